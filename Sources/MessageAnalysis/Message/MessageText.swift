import Foundation

/// One header field read tolerantly: its name, its value unfolded, and the line it starts on.
public struct MessageField: Sendable, Hashable, Codable {
    /// The field name as written (`Received`).
    public var name: String
    /// The value with folding removed (each CRLF before whitespace deleted, RFC 5322 §2.2.3) and
    /// leading and trailing whitespace trimmed; invalid UTF-8 becomes U+FFFD.
    public var value: String
    /// The 1-based line of the input where the field starts.
    public var line: Int

    public init(name: String, value: String, line: Int) {
        self.name = name
        self.value = value
        self.line = line
    }

    /// Whether the name is `name`, ignoring ASCII case (RFC 5322 §1.2.2).
    public func hasName(_ name: String) -> Bool { self.name.caseInsensitiveCompare(name) == .orderedSame }
}

/// Something in the input that could not be read as it should, and where.
public struct ReadProblem: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The 1-based input line, when one is known.
    public var line: Int?
    /// What could not be read, for a person.
    public var message: String

    public init(line: Int? = nil, _ message: String) {
        self.line = line
        self.message = message
    }

    public var description: String { line.map { "line \($0): \(message)" } ?? message }
}

/// Why an input could not be read as a message at all.
public struct MessageReadError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The kinds of failure.
    public enum Code: String, Sendable, Hashable, Codable {
        /// Nothing, or only whitespace.
        case empty
        /// No header field where the message should start (binary data, or not a message).
        case noHeader
    }

    public var code: Code
    public var message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { message }
}

/// A message (or a MIME part) read tolerantly: header fields, the body bytes, and what could not
/// be read. Lines end in LF or CRLF; an mbox `From ` line before the header is skipped.
///
/// Work is bounded: at most ``maximumHeaderBytes`` of header, ``maximumFields`` fields of at most
/// ``maximumFieldBytes`` each; what is beyond is reported in ``problems``, never scanned.
public struct MessageText: Sendable, Hashable {
    /// Header bytes read; a longer header is cut here (reported).
    public static let maximumHeaderBytes = 4 << 20
    /// Bytes kept of one field's value; a longer field is cut (reported).
    public static let maximumFieldBytes = 64 << 10
    /// Header fields kept.
    public static let maximumFields = 50_000
    /// Problems listed one by one; more are counted in one last line.
    public static let maximumProblems = 50

    /// The header fields, first to last.
    public var fields: [MessageField]
    /// The raw header block (every byte up to the empty line, line endings as in the input).
    public var headerBytes: [UInt8]
    /// The body: the bytes after the empty line that ends the header.
    public var body: [UInt8]
    /// What could not be read.
    public var problems: [ReadProblem]
    /// The line of the outer input where this text starts (1 for a whole message).
    public var firstLine: Int

    /// Reads `bytes` as an RFC 5322 message.
    ///
    /// - Throws: ``MessageReadError`` when the input is empty or does not start with a header
    ///   field; every lesser problem is in ``problems``.
    ///
    /// Line ends may be LF, CRLF, or (old Mac OS files) CR alone.
    public init(parsing bytes: some Collection<UInt8>, firstLine: Int = 1) throws(MessageReadError) {
        var input = Array(bytes)
        if !input.contains(0x0A), input.contains(0x0D) {
            for index in input.indices where input[index] == 0x0D { input[index] = 0x0A }
        }
        self = Self.read(input, firstLine: firstLine)
        if input.allSatisfy({ $0 == 0x20 || $0 == 0x09 || $0 == 0x0D || $0 == 0x0A }) {
            throw MessageReadError(.empty, "the input is empty")
        }
        if fields.isEmpty {
            let firstText = Self.printable(input.prefix { $0 != 0x0A }.prefix(40))
            throw MessageReadError(
                .noHeader,
                "no header field at the start (line \(firstLine) is \(firstText)): this is not an email message; give the headers (\"Show original\" in Gmail) or the whole bounce")
        }
    }

    /// Reads a header block and body without requiring any field (a MIME part may have none).
    static func read(_ input: [UInt8], firstLine: Int) -> MessageText {
        var fields: [MessageField] = []
        var problems: [ReadProblem] = []
        var extraProblems = 0
        func problem(_ line: Int?, _ message: String) {
            if problems.count < maximumProblems { problems.append(ReadProblem(line: line, message)) } else { extraProblems += 1 }
        }
        var index = 0
        var line = firstLine
        var bodyStart = input.count
        var headerEnd = input.count
        var current: (name: String, value: [UInt8], line: Int, cut: Bool)?
        func finish() {
            guard let field = current else { return }
            current = nil
            if fields.count >= maximumFields {
                if fields.count == maximumFields { problem(field.line, "more than \(maximumFields) header fields: the rest are not read") }
                return
            }
            if field.cut { problem(field.line, "the \(field.name) field is longer than \(maximumFieldBytes) bytes: only its start is read") }
            fields.append(MessageField(name: field.name, value: unfolded(field.value), line: field.line))
        }
        // An mbox separator ("From sender date") before the header.
        if input.starts(with: Array("From ".utf8)) {
            let end = input.firstIndex(of: 0x0A).map { $0 + 1 } ?? input.count
            index = end
            line += 1
        }
        var sawField = false
        while index < input.count {
            if index > maximumHeaderBytes {
                problem(line, "the header is longer than \(maximumHeaderBytes) bytes: the rest is not read")
                headerEnd = index
                bodyStart = input.count
                break
            }
            let lineEnd = input[index...].firstIndex(of: 0x0A) ?? input.count
            var contentEnd = lineEnd
            if contentEnd > index, input[contentEnd - 1] == 0x0D { contentEnd -= 1 }
            let next = min(lineEnd + 1, input.count)
            if contentEnd == index {
                // The empty line ends the header.
                headerEnd = index
                bodyStart = next
                break
            }
            let first = input[index]
            if first == 0x20 || first == 0x09 {
                if current != nil {
                    appendValue(&current, input[index..<contentEnd], separator: true)
                } else if sawField || !fields.isEmpty {
                    problem(line, "a continuation line follows a line that is not a field: ignored")
                } else {
                    // Whitespace before the first field: not a header.
                    headerEnd = index
                    bodyStart = index
                    break
                }
            } else if let colon = input[index..<contentEnd].firstIndex(of: UInt8(ascii: ":")),
                      colon > index, isFieldName(input[index..<colon]) {
                finish()
                var nameEnd = colon
                while nameEnd > index, input[nameEnd - 1] == 0x20 || input[nameEnd - 1] == 0x09 { nameEnd -= 1 }
                current = (String(decoding: input[index..<nameEnd], as: UTF8.self), [], line, false)
                appendValue(&current, input[(colon + 1)..<contentEnd], separator: false)
                sawField = true
            } else {
                finish()
                if !sawField {
                    // The first line is not a field: there is no header here (a MIME part's body).
                    headerEnd = index
                    bodyStart = index
                    break
                }
                problem(line, "not a header field (no \"name:\"): \(printable(input[index..<contentEnd].prefix(60)))")
            }
            index = next
            line += 1
            if index >= input.count { headerEnd = input.count; bodyStart = input.count }
        }
        finish()
        if extraProblems > 0 { problems.append(ReadProblem("\(extraProblems) more problems like these")) }
        var text = MessageText(
            fields: fields, headerBytes: Array(input[0..<min(headerEnd, input.count)]),
            body: bodyStart < input.count ? Array(input[bodyStart...]) : [], problems: problems, firstLine: firstLine)
        text.bodyFirstLine = line + 1
        return text
    }

    private init(fields: [MessageField], headerBytes: [UInt8], body: [UInt8], problems: [ReadProblem], firstLine: Int) {
        self.fields = fields
        self.headerBytes = headerBytes
        self.body = body
        self.problems = problems
        self.firstLine = firstLine
    }

    /// The input line where the body starts.
    var bodyFirstLine = 1

    private static func appendValue(
        _ current: inout (name: String, value: [UInt8], line: Int, cut: Bool)?, _ bytes: ArraySlice<UInt8>, separator: Bool
    ) {
        guard var field = current else { return }
        let room = maximumFieldBytes - field.value.count
        if room <= 0 {
            field.cut = true
        } else {
            if separator { field.value.append(0x0A) }
            if bytes.count > room { field.cut = true }
            field.value.append(contentsOf: bytes.prefix(room))
        }
        current = field
    }

    /// `field-name = 1*ftext`, printable US-ASCII but `:` (RFC 5322 §3.6.8); whitespace before the
    /// colon (the obsolete form, §4.5) is accepted.
    private static func isFieldName(_ bytes: ArraySlice<UInt8>) -> Bool {
        var sawName = false
        var sawSpace = false
        for byte in bytes {
            if byte == 0x20 || byte == 0x09 {
                sawSpace = true
            } else if byte > 0x20 && byte < 0x7F && !sawSpace {
                sawName = true
            } else {
                return false
            }
        }
        return sawName
    }

    /// Folding removed: the LF markers between lines are dropped, the continuation's whitespace
    /// kept; the result trimmed.
    private static func unfolded(_ bytes: [UInt8]) -> String {
        let text = String(decoding: bytes.filter { $0 != 0x0A }, as: UTF8.self)
        return text.trimmingCharacters(in: .whitespaces)
    }

    /// A short, printable quotation of bytes for an error message.
    static func printable(_ bytes: some Sequence<UInt8>) -> String {
        var out = ""
        for byte in bytes {
            if byte >= 0x20 && byte < 0x7F { out.append(Character(Unicode.Scalar(byte))) } else {
                out += "\\x" + String(byte, radix: 16, uppercase: true).leftPadded(2)
            }
        }
        return "\"\(out)\""
    }

    /// The values of the fields named `name`, first to last.
    public func values(_ name: String) -> [String] { fields.filter { $0.hasName(name) }.map(\.value) }

    /// The first field named `name`.
    public func first(_ name: String) -> String? { fields.first { $0.hasName(name) }?.value }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}
