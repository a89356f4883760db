/// An IPv4 address (RFC 791), stored as four octets in network order.
public struct IPv4Address: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// The address as a 32-bit big-endian value (`192.0.2.1` is `0xC000_0201`).
    public let value: UInt32

    public init(_ value: UInt32) { self.value = value }

    public init(octets: (UInt8, UInt8, UInt8, UInt8)) {
        value = UInt32(octets.0) << 24 | UInt32(octets.1) << 16 | UInt32(octets.2) << 8 | UInt32(octets.3)
    }

    /// Parses dotted-quad text: exactly four decimal parts 0–255, no leading zeros (RFC 7208 §4.6.4
    /// and RFC 6943 §3.1.1: `010.0.0.1` is ambiguous and is refused).
    public init?(_ text: some StringProtocol) {
        // Over the UTF-8 bytes: four parts of one to three ASCII digits, no leading zero, each
        // at most 255.
        var value: UInt32 = 0
        var octet: UInt32 = 0
        var digits = 0
        var dots = 0
        for byte in text.utf8 {
            if byte == UInt8(ascii: ".") {
                guard digits > 0, dots < 3 else { return nil }
                value = value << 8 | octet
                dots += 1
                octet = 0
                digits = 0
                continue
            }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9"), digits < 3, digits == 0 || octet != 0 else { return nil }
            octet = octet * 10 + UInt32(byte - UInt8(ascii: "0"))
            digits += 1
            guard octet <= 255 else { return nil }
        }
        guard dots == 3, digits > 0 else { return nil }
        self.value = value << 8 | octet
    }

    /// The four octets, most significant first.
    public var octets: [UInt8] { [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)] }

    // At most 15 characters: a small string, built without an allocation.
    public var description: String { "\(value >> 24).\(value >> 16 & 0xFF).\(value >> 8 & 0xFF).\(value & 0xFF)" }

    /// The reverse-lookup name, `1.2.0.192.in-addr.arpa` (RFC 1035 §3.5).
    public var reverseName: DomainName {
        DomainName(uncheckedLabels: octets.reversed().map(String.init) + ["in-addr", "arpa"])
    }

    public static func < (lhs: IPv4Address, rhs: IPv4Address) -> Bool { lhs.value < rhs.value }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let address = IPv4Address(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad IPv4 \(text)"))
        }
        self = address
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// An IPv6 address (RFC 4291), stored as sixteen octets.
public struct IPv6Address: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// The address as two big-endian halves.
    public let high: UInt64
    public let low: UInt64

    public init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// Makes an address from 16 octets; `nil` if there are not exactly 16.
    public init?(octets: some Collection<UInt8>) {
        guard octets.count == 16 else { return nil }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for (index, octet) in octets.enumerated() {
            if index < 8 { high = high << 8 | UInt64(octet) } else { low = low << 8 | UInt64(octet) }
        }
        self.init(high: high, low: low)
    }

    /// Parses RFC 4291 §2.2 text: eight groups, `::` once, and an embedded dotted quad at the end.
    public init?(_ text: some StringProtocol) {
        let text = String(text)
        guard !text.isEmpty, text.utf8.count <= 45 else { return nil }
        var groups: [UInt16] = []
        let halves = text.split(separator: "::", omittingEmptySubsequences: false).map(String.init)
        guard halves.count <= 2 else { return nil }
        func parse(_ part: String, allowIPv4Tail: Bool) -> [UInt16]? {
            if part.isEmpty { return [] }
            var result: [UInt16] = []
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated() {
                if index == pieces.count - 1, allowIPv4Tail, piece.contains(".") {
                    guard let v4 = IPv4Address(piece) else { return nil }
                    result.append(UInt16(v4.value >> 16))
                    result.append(UInt16(v4.value & 0xFFFF))
                    continue
                }
                guard (1...4).contains(piece.count), piece.allSatisfy(\.isHexDigit), let group = UInt16(piece, radix: 16)
                else { return nil }
                result.append(group)
            }
            return result
        }
        if halves.count == 2 {
            guard let head = parse(halves[0], allowIPv4Tail: false), let tail = parse(halves[1], allowIPv4Tail: true),
                head.count + tail.count <= 7
            else { return nil }
            groups = head + tail
            groups.insert(contentsOf: repeatElement(0, count: 8 - groups.count), at: head.count)
        } else {
            guard let all = parse(halves[0], allowIPv4Tail: true), all.count == 8 else { return nil }
            groups = all
        }
        var octets: [UInt8] = []
        for group in groups {
            octets.append(UInt8(group >> 8))
            octets.append(UInt8(group & 0xFF))
        }
        self.init(octets: octets)
    }

    /// The sixteen octets, most significant first.
    public var octets: [UInt8] {
        (0..<8).map { UInt8(high >> (56 - 8 * UInt64($0)) & 0xFF) } + (0..<8).map { UInt8(low >> (56 - 8 * UInt64($0)) & 0xFF) }
    }

    /// The IPv4 address inside an IPv4-mapped address (`::ffff:192.0.2.1`, RFC 4291 §2.5.5.2).
    public var ipv4Mapped: IPv4Address? {
        high == 0 && low >> 32 == 0xFFFF ? IPv4Address(UInt32(low & 0xFFFF_FFFF)) : nil
    }

    /// RFC 5952 text: lower case, the longest run of two or more zero groups shortened to `::`.
    public var description: String {
        let bytes = octets
        let groups = (0..<8).map { UInt16(bytes[2 * $0]) << 8 | UInt16(bytes[2 * $0 + 1]) }
        var bestStart = -1
        var bestLength = 0
        var index = 0
        while index < 8 {
            if groups[index] == 0 {
                var end = index
                while end < 8, groups[end] == 0 { end += 1 }
                if end - index > bestLength, end - index >= 2 {
                    bestStart = index
                    bestLength = end - index
                }
                index = end
            } else {
                index += 1
            }
        }
        let hex = groups.map { String($0, radix: 16) }
        if bestStart < 0 { return hex.joined(separator: ":") }
        let head = hex[..<bestStart].joined(separator: ":")
        let tail = hex[(bestStart + bestLength)...].joined(separator: ":")
        return head + "::" + tail
    }

    /// The reverse-lookup name under `ip6.arpa`, one nibble per label (RFC 3596 §2.5).
    public var reverseName: DomainName {
        var labels: [String] = []
        for octet in octets.reversed() {
            labels.append(String(octet & 0x0F, radix: 16))
            labels.append(String(octet >> 4, radix: 16))
        }
        return DomainName(uncheckedLabels: labels + ["ip6", "arpa"])
    }

    public static func < (lhs: IPv6Address, rhs: IPv6Address) -> Bool { (lhs.high, lhs.low) < (rhs.high, rhs.low) }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let address = IPv6Address(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad IPv6 \(text)"))
        }
        self = address
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// An IPv4 or IPv6 address.
public enum IPAddress: Sendable, Hashable, Codable, CustomStringConvertible {
    case v4(IPv4Address)
    case v6(IPv6Address)

    /// Parses either form; IPv6 text may be written in brackets (`[2001:db8::1]`).
    public init?(_ text: some StringProtocol) {
        var text = String(text)
        if text.hasPrefix("["), text.hasSuffix("]") { text = String(text.dropFirst().dropLast()) }
        if let v4 = IPv4Address(text) {
            self = .v4(v4)
        } else if let v6 = IPv6Address(text) {
            self = .v6(v6)
        } else {
            return nil
        }
    }

    public var description: String {
        switch self {
        case .v4(let address): address.description
        case .v6(let address): address.description
        }
    }

    /// The reverse-lookup name (`in-addr.arpa` or `ip6.arpa`).
    public var reverseName: DomainName {
        switch self {
        case .v4(let address): address.reverseName
        case .v6(let address): address.reverseName
        }
    }

    /// An IPv4-mapped IPv6 address turned into its IPv4 address; others unchanged.
    public var unmapped: IPAddress {
        if case .v6(let v6) = self, let v4 = v6.ipv4Mapped { return .v4(v4) }
        return self
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let address = IPAddress(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad IP \(text)"))
        }
        self = address
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}
