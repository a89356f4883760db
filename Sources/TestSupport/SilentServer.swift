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
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            close(fd)
            throw KnotServer.StartError(description: "bind(): \(errno)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        self.fd = fd
        self.port = UInt16(bigEndian: address.sin_port)
    }

    /// The nameserver address to give a resolver.
    public var nameserver: Nameserver { Nameserver(.v4(IPv4Address(0x7F00_0001)), port: port) }

    deinit { close(fd) }
}
