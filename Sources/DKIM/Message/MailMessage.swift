/// An RFC 5322 message that keeps its bytes: the header fields in order with their exact text
/// (folding preserved), and the body as bytes.
///
/// Line endings: a message is held with CRLF line endings, the form DKIM signs (RFC 6376 §3.4 and
/// §5.3: "a CRLF … is the line separator"). A bare LF in the input (a file written on Unix) is
/// turned into CRLF when the message is parsed, as dkimpy and OpenDKIM do, and ``bytes`` (so the
/// signed output) always uses CRLF. ``hadBareLineFeeds`` tells whether that happened.
///
/// Nothing else is changed: signing only prepends header fields (``prepending(_:)``).
public struct MailMessage: Sendable, Hashable {
    /// The header fields, first to last.
    public private(set) var header: [HeaderField]
    /// The body: every byte after the empty line that ends the header (empty when there is none).
    public private(set) var body: [UInt8]
    /// Whether the input had line feeds without a carriage return, which were turned into CRLF.
    public let hadBareLineFeeds: Bool

    /// Longest header block accepted; a longer one is refused rather than scanned (1 MiB).
    public static let maximumHeaderLength = 1 << 20

    /// Parses a message.
    ///
    /// A line that starts with space or tab continues the field above it (RFC 5322 §2.2.3); any
    /// other header line must be `field-name ":" …` with a name of printable US-ASCII other than
    /// `:` (§3.6.8; whitespace before the colon, the obsolete form of §4.5, is accepted). The first
    /// empty line ends the header. A message that ends inside the header has an empty body.
    ///
    /// - Throws: ``MessageError`` for a malformed header block (with its byte offset). Whether the
    ///   message has exactly one `From` is checked by ``validateFromField()`` (signing requires it).
    public init(parsing input: some Collection<UInt8>) throws(MessageError) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(input.count + input.count / 32)
        var previous: UInt8 = 0
        var bare = false
        for byte in input {
            if byte == 0x0A && previous != 0x0D {
                bytes.append(0x0D)
                bare = true
            }
            bytes.append(byte)
            previous = byte
        }
        self.hadBareLineFeeds = bare

        var fields: [HeaderField] = []
        var index = 0
        var fieldStart: Int?
        var bodyStart = bytes.count
        func finishField(end: Int) throws(MessageError) {
            guard let start = fieldStart else { return }
            fields.append(try Self.makeField(bytes, start, end))
            fieldStart = nil
        }
        while index < bytes.count {
            if index > Self.maximumHeaderLength {
                throw MessageError(.headerTooLong, offset: index, "the header is longer than \(Self.maximumHeaderLength) bytes")
            }
            // Find the end of this line (the CRLF, or the end of input).
            var end = index
            while end < bytes.count, !(bytes[end] == 0x0D && end + 1 < bytes.count && bytes[end + 1] == 0x0A) {
                end += 1
            }
            let next = min(end + 2, bytes.count)
            if end == index {
                // The empty line: the header ends here.
                try finishField(end: index)
                bodyStart = next
                break
            }
            if bytes[index] == 0x20 || bytes[index] == 0x09 {
                guard fieldStart != nil else {
                    throw MessageError(
                        .malformedHeader, offset: index,
                        "the message starts with a continuation line (whitespace before the first field name)")
                }
            } else {
                try finishField(end: index)
                fieldStart = index
            }
            index = next
            if index >= bytes.count { try finishField(end: bytes.count) }
        }
        if fields.isEmpty {
            throw MessageError(.noHeader, offset: 0, "the message has no header fields")
        }
        self.header = fields
        self.body = bodyStart < bytes.count ? Array(bytes[bodyStart...]) : []
    }

    /// `field = name ":" value CRLF`; `start..<end` includes the final CRLF when there is one.
    private static func makeField(_ bytes: [UInt8], _ start: Int, _ end: Int) throws(MessageError) -> HeaderField {
        var stop = end
        if stop - start >= 2, bytes[stop - 2] == 0x0D, bytes[stop - 1] == 0x0A { stop -= 2 }
        let raw = Array(bytes[start..<stop])
        guard let colon = raw.firstIndex(of: UInt8(ascii: ":")) else {
            let line = String(decoding: raw.prefix { $0 != 0x0D }.prefix(60), as: UTF8.self)
            throw MessageError(.malformedHeader, offset: start, "header line without a colon: \(line.debugDescription)")
        }
        var nameEnd = colon
        while nameEnd > 0, raw[nameEnd - 1] == 0x20 || raw[nameEnd - 1] == 0x09 { nameEnd -= 1 }
        guard nameEnd > 0 else { throw MessageError(.malformedHeader, offset: start, "header field with an empty name") }
        for position in 0..<nameEnd where raw[position] < 0x21 || raw[position] > 0x7E {
            throw MessageError(
                .malformedHeader, offset: start + position,
                "byte 0x\(String(raw[position], radix: 16)) is not allowed in a header field name (RFC 5322 §3.6.8)")
        }
        return HeaderField(
            name: String(decoding: raw[0..<nameEnd], as: UTF8.self), raw: raw, valueStart: colon + 1)
    }

    /// The message as bytes, CRLF line endings: each field and its CRLF, an empty line, the body.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(header.reduce(0) { $0 + $1.raw.count + 2 } + 2 + body.count)
        for field in header {
            out += field.raw
            out += [0x0D, 0x0A]
        }
        out += [0x0D, 0x0A]
        out += body
        return out
    }

    /// The fields named `name` (any ASCII case), first to last.
    public func fields(named name: String) -> [HeaderField] {
        let lowered = HeaderField.asciiLowercased(name)
        return header.filter { $0.lowercasedName == lowered }
    }

    /// How many fields are named `lowercasedName` (already in ASCII lower case).
    func count(ofFieldsNamed lowercasedName: String) -> Int {
        var count = 0
        for field in header where field.lowercasedName == lowercasedName { count += 1 }
        return count
    }

    /// A copy with `fields` put before the existing header, in the order given.
    public func prepending(_ fields: [HeaderField]) -> MailMessage {
        var copy = self
        copy.header = fields + header
        return copy
    }

    /// Checks that there is exactly one `From` field (RFC 5322 §3.6: "from" occurs exactly once).
    ///
    /// DKIM requires `From` to be signed (RFC 6376 §5.4), and a second `From` is the classic way
    /// to show a reader a sender other than the signed one (RFC 6376 §8.15).
    public func validateFromField() throws(MessageError) {
        let fromCount = count(ofFieldsNamed: "from")
        if fromCount == 0 { throw MessageError(.noFrom, offset: 0, "the message has no From field") }
        if fromCount > 1 {
            throw MessageError(
                .multipleFrom, offset: 0, "the message has \(fromCount) From fields; RFC 5322 §3.6 allows exactly one")
        }
    }
}

/// Why a message could not be parsed or signed.
public struct MessageError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kinds of problem.
    public enum Code: String, Sendable, Hashable, Codable {
        /// A header line that is not a field or a continuation.
        case malformedHeader
        /// No header field at all.
        case noHeader
        /// The header block is longer than ``MailMessage/maximumHeaderLength``.
        case headerTooLong
        /// No `From` field.
        case noFrom
        /// More than one `From` field.
        case multipleFrom
    }

    public var code: Code
    /// Byte offset in the (CRLF-normalised) message.
    public var offset: Int
    public var message: String

    public init(_ code: Code, offset: Int, _ message: String) {
        self.code = code
        self.offset = offset
        self.message = message
    }

    public var description: String { "\(message) (offset \(offset))" }
}
