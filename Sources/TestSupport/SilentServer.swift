import DNSCore
import DNSLDNS

#if canImport(Glibc)
import Glibc
#endif

/// A UDP socket bound on 127.0.0.1 that never answers: queries to it time out (a closed port
/// would instead be refused by the kernel at once).
public final class SilentServer: Sendable {
    public let port: UInt16
    private let fd: Int32

    public init() throws {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        guard fd >= 0 else { throw KnotServer.StartError(description: "socket(): \(errno)") }
        guard let port = FaultyServer.bind(fd, port: 0) else {
            close(fd)
            throw KnotServer.StartError(description: "bind(): \(errno)")
        }
        self.fd = fd
        self.port = port
    }

    /// The nameserver address to give a resolver.
    public var nameserver: Nameserver { Nameserver(.v4(IPv4Address(0x7F00_0001)), port: port) }

    deinit { close(fd) }
}
