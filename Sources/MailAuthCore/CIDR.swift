import DNSCore

/// An IP network: an address and a prefix length (CIDR, RFC 4632 §3.1; RFC 4291 §2.3).
///
/// The address is stored with its host bits cleared, so `192.0.2.7/24` and `192.0.2.0/24` are the
/// same network. No operation traps: prefix lengths are clamped when the value is made.
public struct IPNetwork: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The network address (host bits zero).
    public let address: IPAddress
    /// The prefix length: 0–32 for IPv4, 0–128 for IPv6.
    public let prefixLength: Int

    /// Makes a network; `nil` when the prefix length is out of range for the address family.
    public init?(_ address: IPAddress, prefixLength: Int) {
        guard prefixLength >= 0, prefixLength <= address.bitWidth else { return nil }
        self.address = address.masked(to: prefixLength)
        self.prefixLength = prefixLength
    }

    /// Parses `192.0.2.0/24`, `2001:db8::/32`, or a bare address (a host network).
    public init?(_ text: some StringProtocol) {
        let parts = text.split(separator: "/", maxSplits: 1, omittingEmptySubsequences: false)
        guard let address = IPAddress(parts[0]) else { return nil }
        if parts.count == 1 {
            self.init(address, prefixLength: address.bitWidth)
            return
        }
        let digits = parts[1]
        guard !digits.isEmpty, digits.count <= 3, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
            let length = Int(digits)
        else { return nil }
        self.init(address, prefixLength: length)
    }

    /// Whether `ip` lies in this network. An address of the other family never does.
    public func contains(_ ip: IPAddress) -> Bool {
        switch (address, ip) {
        case (.v4, .v4), (.v6, .v6): return ip.masked(to: prefixLength) == address
        default: return false
        }
    }

    /// Whether `other` lies entirely inside this network.
    public func contains(_ other: IPNetwork) -> Bool {
        other.prefixLength >= prefixLength && contains(other.address)
    }

    /// Whether the two networks share at least one address.
    public func overlaps(_ other: IPNetwork) -> Bool { contains(other) || other.contains(self) }

    public var description: String { "\(address)/\(prefixLength)" }
}

extension IPAddress {
    /// 32 for IPv4, 128 for IPv6.
    public var bitWidth: Int {
        switch self {
        case .v4: 32
        case .v6: 128
        }
    }

    /// The address with all bits after the first `prefixLength` cleared. Lengths outside the
    /// family's range are clamped (0 clears everything; the width or more keeps everything).
    public func masked(to prefixLength: Int) -> IPAddress {
        switch self {
        case .v4(let address):
            return .v4(IPv4Address(address.value & Self.mask32(prefixLength)))
        case .v6(let address):
            let highBits = min(max(prefixLength, 0), 64)
            let lowBits = min(max(prefixLength - 64, 0), 64)
            return .v6(IPv6Address(high: address.high & Self.mask64(highBits), low: address.low & Self.mask64(lowBits)))
        }
    }

    static func mask32(_ bits: Int) -> UInt32 {
        let bits = min(max(bits, 0), 32)
        return bits == 0 ? 0 : UInt32.max << UInt32(32 - bits)
    }

    static func mask64(_ bits: Int) -> UInt64 {
        let bits = min(max(bits, 0), 64)
        return bits == 0 ? 0 : UInt64.max << UInt64(64 - bits)
    }
}
