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
        // Split at the first "/" and compare each side to the two names (no String made).
        guard let slash = text.utf8.firstIndex(of: UInt8(ascii: "/")) else {
            guard let header = Canonicalization(named: text[...]) else { return nil }
            self.init(header: header, body: .simple)
            return
        }
        guard let header = Canonicalization(named: text[..<slash]),
              let body = Canonicalization(named: text[text.utf8.index(after: slash)...]) else { return nil }
        self.init(header: header, body: body)
    }

    public var description: String { "\(header.rawValue)/\(body.rawValue)" }
}

extension Canonicalization {
    /// The algorithm named exactly `name` (as `init(rawValue:)`, without making a String).
    init?(named name: Substring) {
        if name.utf8.elementsEqual(Self.simple.rawValue.utf8) {
            self = .simple
        } else if name.utf8.elementsEqual(Self.relaxed.rawValue.utf8) {
            self = .relaxed
        } else {
            return nil
        }
    }

    /// The canonical form of one header field, ending in CRLF (RFC 6376 §3.4.1, §3.4.2).
    ///
    /// - simple: the field unchanged.
    /// - relaxed: name in lower case; value unfolded, each run of WSP made one SP, WSP at the
    ///   start and end of the value and around the colon removed.
    public func canonicalize(_ field: HeaderField) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(field.raw.count + 2)
        append(field, to: &out)
        return out
    }

    /// Appends the canonical form of `field` and its CRLF to `out`.
    func append(_ field: HeaderField, to out: inout [UInt8]) {
        append(raw: field.raw, valueStart: field.valueStart, nameEnd: field.name.utf8.count, to: &out)
        out.append(0x0D)
        out.append(0x0A)
    }

    /// The canonical form without the final CRLF (how the DKIM-Signature field itself is hashed,
    /// RFC 6376 §3.7).
    func canonicalize(raw: [UInt8], valueStart: Int, nameEnd: Int) -> [UInt8] {
        var out: [UInt8] = []
        append(raw: raw, valueStart: valueStart, nameEnd: nameEnd, to: &out)
        return out
    }

    /// Appends the canonical form of the field `raw`, without a final CRLF, leaving out the bytes
    /// in `omitted` (the `b=` value when the signature field itself is hashed, RFC 6376 §3.7).
    func append(raw: [UInt8], valueStart: Int, nameEnd: Int, omitting omitted: Range<Int> = 0..<0, to out: inout [UInt8]) {
        switch self {
        case .simple:
            if omitted.isEmpty {
                out += raw
            } else {
                out += raw[..<omitted.lowerBound]
                out += raw[omitted.upperBound...]
            }
        case .relaxed:
            raw.withUnsafeBufferPointer { input in
                // Each input byte gives at most one output byte, plus the colon.
                withUnsafeTemporaryAllocation(of: UInt8.self, capacity: input.count + 1) { buffer in
                    var o = 0
                    for index in 0..<nameEnd {
                        let byte = input[index]
                        buffer[o] = byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
                        o += 1
                    }
                    buffer[o] = UInt8(ascii: ":")
                    o += 1
                    let valueOutput = o
                    var pendingSpace = false
                    var index = valueStart
                    while index < input.count {
                        if index == omitted.lowerBound, !omitted.isEmpty {
                            index = omitted.upperBound
                            continue
                        }
                        let byte = input[index]
                        index += 1
                        switch byte {
                        case 0x0D, 0x0A:
                            continue  // unfolding: CRLF in a field only occurs before WSP
                        case 0x20, 0x09:
                            pendingSpace = true
                        default:
                            if pendingSpace && o > valueOutput {
                                buffer[o] = 0x20
                                o += 1
                            }
                            pendingSpace = false
                            buffer[o] = byte
                            o += 1
                        }
                    }
                    out.append(contentsOf: UnsafeBufferPointer(rebasing: buffer[0..<o]))
                }
            }
        }
    }
}
