/// The character-strings of one TXT record (RFC 1035 §3.3.14), kept as raw bytes.
///
/// SPF (RFC 7208 §3.3) and DKIM (RFC 6376 §3.6.2.2) join the strings with nothing between them;
/// ``joined`` gives that. The raw strings stay available because a lint needs their lengths.
public struct TXTData: Sendable, Hashable, Codable {
    /// Each character-string's bytes, without the length prefix.
    public var strings: [[UInt8]]

    public init(strings: [[UInt8]]) { self.strings = strings }

    /// Splits text into character-strings of at most 255 bytes.
    public init(text: String) {
        let bytes = Array(text.utf8)
        var strings: [[UInt8]] = []
        var start = 0
        repeat {
            let end = min(start + 255, bytes.count)
            strings.append(Array(bytes[start..<end]))
            start = end
        } while start < bytes.count
        self.strings = strings
    }

    /// All strings concatenated, as bytes.
    public var joinedBytes: [UInt8] { strings.count == 1 ? strings[0] : strings.flatMap { $0 } }

    /// All strings concatenated, decoded as UTF-8 (invalid bytes become U+FFFD; check
    /// ``joinedBytes`` when exact bytes matter).
    public var joined: String { String(decoding: joinedBytes, as: UTF8.self) }

    /// Whether every byte is printable US-ASCII or space/tab.
    public var isASCII: Bool { joinedBytes.allSatisfy { $0 < 0x80 } }
}

/// A start-of-authority record (RFC 1035 §3.3.13).
public struct SOAData: Sendable, Hashable, Codable {
    public var primary: DomainName
    public var mailbox: DomainName
    public var serial: UInt32
    public var refresh: UInt32
    public var retry: UInt32
    public var expire: UInt32
    /// The negative-caching TTL (RFC 2308 §4).
    public var minimum: UInt32

    public init(
        primary: DomainName, mailbox: DomainName, serial: UInt32, refresh: UInt32, retry: UInt32, expire: UInt32,
        minimum: UInt32
    ) {
        self.primary = primary
        self.mailbox = mailbox
        self.serial = serial
        self.refresh = refresh
        self.retry = retry
        self.expire = expire
        self.minimum = minimum
    }
}

/// The data of one resource record, typed for the types mail authentication reads.
public enum RecordData: Sendable, Hashable {
    case a(IPv4Address)
    case aaaa(IPv6Address)
    case cname(DomainName)
    /// The target of a DNAME (RFC 6672 §2.1): names below the owner are renamed below it.
    case dname(DomainName)
    case ptr(DomainName)
    case ns(DomainName)
    /// `MX preference exchange` (RFC 1035 §3.3.9).
    case mx(preference: UInt16, exchange: DomainName)
    case txt(TXTData)
    case soa(SOAData)
    /// Any other type, as uninterpreted RDATA (RFC 3597).
    case other(RecordType, [UInt8])

    /// The RR type this data belongs to.
    public var type: RecordType {
        switch self {
        case .a: .a
        case .aaaa: .aaaa
        case .cname: .cname
        case .dname: .dname
        case .ptr: .ptr
        case .ns: .ns
        case .mx: .mx
        case .txt: .txt
        case .soa: .soa
        case .other(let type, _): type
        }
    }

    /// Presentation text of the data, as a zone file would show it.
    public var presentation: String {
        switch self {
        case .a(let address): return address.description
        case .aaaa(let address): return address.description
        case .cname(let name), .dname(let name), .ptr(let name), .ns(let name): return name.fullyQualified
        case .mx(let preference, let exchange): return "\(preference) \(exchange.fullyQualified)"
        case .txt(let txt): return txt.strings.map(Self.quote).joined(separator: " ")
        case .soa(let soa):
            return "\(soa.primary.fullyQualified) \(soa.mailbox.fullyQualified) \(soa.serial) \(soa.refresh) "
                + "\(soa.retry) \(soa.expire) \(soa.minimum)"
        case .other(_, let bytes):
            return "\\# \(bytes.count) " + bytes.map { String($0, radix: 16).leftPadded(to: 2) }.joined()
        }
    }

    static func quote(_ bytes: [UInt8]) -> String {
        var out = "\""
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "\""): out += "\\\""
            case UInt8(ascii: "\\"): out += "\\\\"
            case 0x20..<0x7F: out.unicodeScalars.append(Unicode.Scalar(byte))
            default: out += "\\" + String(byte).leftPadded(to: 3)
            }
        }
        return out + "\""
    }
}

extension String {
    func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}

/// One resource record: owner name, TTL and typed data.
public struct ResourceRecord: Sendable, Hashable {
    public var name: DomainName
    public var ttl: UInt32
    public var data: RecordData

    public init(name: DomainName, ttl: UInt32 = 300, data: RecordData) {
        self.name = name
        self.ttl = ttl
        self.data = data
    }

    /// The record's type.
    public var type: RecordType { data.type }

    /// The record as a zone-file line.
    public var presentation: String { "\(name.fullyQualified)\t\(ttl)\tIN\t\(type)\t\(data.presentation)" }
}
