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
        [UInt8](unsafeUninitializedCapacity: field.raw.count + 2) { buffer, count in
            count = write(field, into: buffer, at: 0)
        }
    }

    /// Writes the canonical form of `field` and its CRLF into `buffer` from `start`, which must
    /// leave room for the field and two bytes; returns where it stopped.
    func write(_ field: HeaderField, into buffer: UnsafeMutableBufferPointer<UInt8>, at start: Int) -> Int {
        let end = write(raw: field.raw, valueStart: field.valueStart, nameEnd: field.name.utf8.count, into: buffer, at: start)
        buffer[end] = 0x0D
        buffer[end + 1] = 0x0A
        return end + 2
    }

    /// Writes the canonical form of the field `raw`, without a final CRLF, into `buffer` from
    /// `start` (room for `raw.count` bytes needed: relaxed never writes more), leaving out the bytes in `omitted` (the
    /// `b=` value when the signature field itself is hashed, RFC 6376 §3.7); returns where it
    /// stopped.
    func write(
        raw: [UInt8], valueStart: Int, nameEnd: Int, omitting omitted: Range<Int> = 0..<0,
        into buffer: UnsafeMutableBufferPointer<UInt8>, at start: Int
    ) -> Int {
        raw.withUnsafeBufferPointer { input in
            var o = start
            switch self {
            case .simple:
                // Everything but `omitted`: the bytes before it, then the bytes after it.
                let head = 0..<(omitted.isEmpty ? input.count : omitted.lowerBound)
                let tail = (omitted.isEmpty ? input.count : omitted.upperBound)..<input.count
                _ = UnsafeMutableBufferPointer(rebasing: buffer[o..<(o + head.count)])
                    .update(fromContentsOf: UnsafeBufferPointer(rebasing: input[head]))
                o += head.count
                _ = UnsafeMutableBufferPointer(rebasing: buffer[o..<(o + tail.count)])
                    .update(fromContentsOf: UnsafeBufferPointer(rebasing: input[tail]))
                o += tail.count
            case .relaxed:
                // Each input byte gives at most one output byte (the colon stands for the bytes
                // from the end of the name to the value).
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
            }
            return o
        }
    }
}
