/// A DNS RR type (RFC 1035 §3.2.2 and later). An open set: unknown codes are kept, not rejected.
public struct RecordType: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let a = RecordType(rawValue: 1)
    public static let ns = RecordType(rawValue: 2)
    public static let cname = RecordType(rawValue: 5)
    public static let soa = RecordType(rawValue: 6)
    public static let ptr = RecordType(rawValue: 12)
    public static let mx = RecordType(rawValue: 15)
    public static let txt = RecordType(rawValue: 16)
    public static let aaaa = RecordType(rawValue: 28)
    /// Redirection of a whole subtree to another name (RFC 6672 §2.1).
    public static let dname = RecordType(rawValue: 39)
    /// The SPF RR type, deprecated by RFC 7208 §3.1; audited only to say it should go.
    public static let spf = RecordType(rawValue: 99)
    /// Delegation signer: the parent's digest of a child zone's key (RFC 4034 §5).
    public static let ds = RecordType(rawValue: 43)
    /// A signature over one RRset (RFC 4034 §3).
    public static let rrsig = RecordType(rawValue: 46)
    /// Authenticated denial: the next owner name and the types at this one (RFC 4034 §4).
    public static let nsec = RecordType(rawValue: 47)
    /// A zone's public key (RFC 4034 §2).
    public static let dnskey = RecordType(rawValue: 48)
    /// Hashed authenticated denial (RFC 5155 §3).
    public static let nsec3 = RecordType(rawValue: 50)
    /// A certificate association for TLS, as DANE publishes it (RFC 6698 §2).
    public static let tlsa = RecordType(rawValue: 52)

    static let mnemonics: [(String, RecordType)] = [
        ("A", .a), ("NS", .ns), ("CNAME", .cname), ("SOA", .soa), ("PTR", .ptr), ("MX", .mx), ("TXT", .txt),
        ("AAAA", .aaaa), ("DNAME", .dname), ("SPF", .spf), ("DS", .ds), ("RRSIG", .rrsig), ("NSEC", .nsec),
        ("DNSKEY", .dnskey), ("NSEC3", .nsec3), ("TLSA", .tlsa),
    ]

    /// Parses a mnemonic (`TXT`, case-insensitive) or the RFC 3597 form `TYPE123`.
    public init?(_ text: some StringProtocol) {
        let upper = text.uppercased()
        if let match = Self.mnemonics.first(where: { $0.0 == upper }) {
            self = match.1
        } else if upper.hasPrefix("TYPE"), let code = UInt16(upper.dropFirst(4)) {
            self.init(rawValue: code)
        } else {
            return nil
        }
    }

    public var description: String {
        Self.mnemonics.first(where: { $0.1 == self })?.0 ?? "TYPE\(rawValue)"
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let type = RecordType(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad type \(text)"))
        }
        self = type
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// A DNS response code (RFC 1035 §4.1.1, RFC 6895). An open set.
public struct ResponseCode: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }

    public static let noError = ResponseCode(rawValue: 0)
    public static let formatError = ResponseCode(rawValue: 1)
    public static let serverFailure = ResponseCode(rawValue: 2)
    public static let nameError = ResponseCode(rawValue: 3)
    public static let notImplemented = ResponseCode(rawValue: 4)
    public static let refused = ResponseCode(rawValue: 5)
    /// A name that should not exist does: for a query, a DNAME substitution that would make a name
    /// longer than 255 octets (RFC 6672 §2.2; the code is RFC 2136 §2.2's).
    public static let yxDomain = ResponseCode(rawValue: 6)

    /// The mnemonics of RFC 1035 §4.1.1 and RFC 2136 §2.2, indexed by code.
    private static let mnemonics = ["NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED", "YXDOMAIN"]

    public var description: String {
        Int(rawValue) < Self.mnemonics.count ? Self.mnemonics[Int(rawValue)] : "RCODE\(rawValue)"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }

    /// Parses what ``description`` writes: a mnemonic (`SERVFAIL`) or `RCODE<n>`.
    public init?(_ text: some StringProtocol) {
        if let code = Self.mnemonics.firstIndex(where: { $0 == text }) {
            rawValue = UInt16(code)
        } else if text.hasPrefix("RCODE"), let code = UInt16(text.dropFirst(5)) {
            rawValue = code
        } else {
            return nil
        }
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let code = ResponseCode(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "bad rcode \(text)"))
        }
        self = code
    }
}
