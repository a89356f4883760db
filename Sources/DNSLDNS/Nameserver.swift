import DNSCore

#if canImport(Glibc)
import Glibc
#endif

/// A nameserver to ask: an address and a port.
public struct Nameserver: Sendable, Hashable, CustomStringConvertible {
    public var address: IPAddress
    public var port: UInt16

    public init(_ address: IPAddress, port: UInt16 = 53) {
        self.address = address
        self.port = port
    }

    /// Parses `IP`, `IP:PORT`, `IPv6` or `[IPv6]:PORT`.
    public init?(_ text: some StringProtocol) {
        let text = String(text)
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"),
                case .v6(let v6)? = IPAddress(text[text.index(after: text.startIndex)..<close])
            else { return nil }
            let rest = text[text.index(after: close)...]
            if rest.isEmpty {
                self.init(.v6(v6))
            } else {
                guard rest.hasPrefix(":"), let port = UInt16(rest.dropFirst()), port > 0 else { return nil }
                self.init(.v6(v6), port: port)
            }
            return
        }
        if let address = IPAddress(text) {
            self.init(address)
            return
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, case .v4(let v4)? = IPAddress(parts[0]), let port = UInt16(parts[1]), port > 0 else {
            return nil
        }
        self.init(.v4(v4), port: port)
    }

    public var description: String {
        switch address {
        case .v4(let v4): "\(v4):\(port)"
        case .v6(let v6): "[\(v6)]:\(port)"
        }
    }

    /// The `nameserver` lines of a resolv.conf file (resolv.conf(5)), in order. Scoped IPv6
    /// addresses (`fe80::1%eth0`) are skipped.
    public static func fromResolvConf(_ path: String = "/etc/resolv.conf") -> [Nameserver] {
        guard let file = fopen(path, "r") else { return [] }
        defer { fclose(file) }
        var servers: [Nameserver] = []
        var line: UnsafeMutablePointer<CChar>? = nil
        var capacity = 0
        defer { free(line) }
        while getline(&line, &capacity, file) > 0, let line {
            let text = String(cString: line)
            let fields = text.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" })
            guard fields.count >= 2, fields[0] == "nameserver", let address = IPAddress(fields[1]) else { continue }
            servers.append(Nameserver(address))
        }
        return servers
    }

    /// A socket address for this server.
    func withSocketAddress<T>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> T) -> T {
        switch address {
        case .v4(let v4):
            var storage = sockaddr_in()
            storage.sin_family = sa_family_t(AF_INET)
            storage.sin_port = port.bigEndian
            storage.sin_addr.s_addr = v4.value.bigEndian
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        case .v6(let v6):
            var storage = sockaddr_in6()
            storage.sin6_family = sa_family_t(AF_INET6)
            storage.sin6_port = port.bigEndian
            let octets = v6.octets
            withUnsafeMutableBytes(of: &storage.sin6_addr) { raw in
                for index in 0..<16 { raw[index] = octets[index] }
            }
            return withUnsafePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
    }

    var family: Int32 {
        if case .v4 = address { return AF_INET }
        return AF_INET6
    }
}
