import DNSCore

/// Where to connect instead of resolving a host name: `HOST:PORT=IP:PORT`, the `--connect-to`
/// option of `dnsaudit smtp probe` (and of the MTA-STS policy fetch), after curl's option of the
/// same name.
///
/// Tests use it to probe a server under its real name (so SNI, the certificate's host-name check
/// and the report carry the name) while the TCP connection goes to a loopback fixture. The name
/// is not looked up in DNS when an override matches. Host names compare case-insensitively,
/// without a trailing dot.
public struct ConnectOverride: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The host name as the user gave it (`smtp.example.test`).
    public var host: String
    /// The port the user asked for (`587`).
    public var port: UInt16
    /// The address actually connected to.
    public var address: IPAddress
    /// The port actually connected to.
    public var targetPort: UInt16

    public init(host: String, port: UInt16, address: IPAddress, targetPort: UInt16) {
        self.host = Self.normalized(host)
        self.port = port
        self.address = address
        self.targetPort = targetPort
    }

    /// Parses `HOST:PORT=IP:PORT` (an IPv6 target in brackets: `[::1]:2525`); `nil` when malformed.
    public init?(_ text: String) {
        let sides = text.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
        guard sides.count == 2,
            let (host, port) = Self.splitPort(sides[0]), !host.isEmpty, !host.contains("["),
            let (target, targetPort) = Self.splitPort(sides[1]), let address = IPAddress(target)
        else { return nil }
        self.init(host: String(host), port: port, address: address, targetPort: targetPort)
    }

    public var description: String {
        let target: String
        if case .v6 = address { target = "[\(address)]" } else { target = address.description }
        return "\(host):\(port)=\(target):\(targetPort)"
    }

    /// The override among `overrides` for `host` and `port`, if any.
    public static func matching(_ overrides: [ConnectOverride], host: String, port: UInt16) -> ConnectOverride? {
        let host = normalized(host)
        return overrides.first { $0.host == host && $0.port == port }
    }

    private static func normalized(_ host: String) -> String {
        var host = host.lowercased()
        while host.hasSuffix(".") { host.removeLast() }
        return host
    }

    private static func splitPort(_ text: Substring) -> (Substring, UInt16)? {
        guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]), port > 0
        else { return nil }
        return (text[..<colon], port)
    }
}
