/// A canonicalization algorithm (RFC 6376 §3.4).
public enum Canonicalization: String, Sendable, Hashable, Codable, CaseIterable {
    /// Tolerates almost no change (RFC 6376 §3.4.1, §3.4.3).
    case simple
    /// Tolerates whitespace changes and header-name case changes (RFC 6376 §3.4.2, §3.4.4).
    case relaxed
}

/// The `c=` tag: header and body algorithms (RFC 6376 §3.5), written `header/body`.
public struct CanonicalizationPair: Sendable, Hashable, Codable, CustomStringConvertible {
    public var header: Canonicalization
    public var body: Canonicalization

    public init(header: Canonicalization, body: Canonicalization) {
        self.header = header
        self.body = body
    }

    /// `relaxed/relaxed`, the signer's default: it survives the whitespace changes relays make.
    public static let relaxed = CanonicalizationPair(header: .relaxed, body: .relaxed)
    /// `simple/simple`, what an absent `c=` means (RFC 6376 §3.5).
    public static let simple = CanonicalizationPair(header: .simple, body: .simple)

    /// Parses a `c=` value: `header` alone means `header/simple` (RFC 6376 §3.5).
    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2,
              let header = Canonicalization(rawValue: String(parts[0])) else { return nil }
        if parts.count == 2 {
            guard let body = Canonicalization(rawValue: String(parts[1])) else { return nil }
            self.init(header: header, body: body)
        } else {
            self.init(header: header, body: .simple)
        }
    }

    public var description: String { "\(header.rawValue)/\(body.rawValue)" }
}

extension Canonicalization {
    /// The canonical form of one header field, ending in CRLF (RFC 6376 §3.4.1, §3.4.2).
    ///
    /// - simple: the field unchanged.
    /// - relaxed: name in lower case; value unfolded, each run of WSP made one SP, WSP at the
    ///   start and end of the value and around the colon removed.
    public func canonicalize(_ field: HeaderField) -> [UInt8] {
        var out = canonicalize(raw: field.raw, valueStart: field.valueStart, nameEnd: field.name.utf8.count)
        out += [0x0D, 0x0A]
        return out
    }

    /// The canonical form without the final CRLF (how the DKIM-Signature field itself is hashed,
    /// RFC 6376 §3.7).
    func canonicalize(raw: [UInt8], valueStart: Int, nameEnd: Int) -> [UInt8] {
        switch self {
        case .simple:
            return raw
        case .relaxed:
            var out: [UInt8] = []
            out.reserveCapacity(raw.count)
            for byte in raw[0..<nameEnd] {
                out.append(byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte)
            }
            out.append(UInt8(ascii: ":"))
            var pendingSpace = false
            for byte in raw[valueStart...] {
                switch byte {
                case 0x0D, 0x0A:
                    continue  // unfolding: CRLF in a field only occurs before WSP
                case 0x20, 0x09:
                    pendingSpace = true
                default:
                    if pendingSpace && out.count > nameEnd + 1 { out.append(0x20) }
                    pendingSpace = false
                    out.append(byte)
                }
            }
            return out
        }
    }
}
