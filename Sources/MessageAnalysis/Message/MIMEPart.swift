import Foundation

/// A `Content-Type` value (RFC 2045 §5.1): `type/subtype` in lower case and its parameters
/// (names in lower case, quotes removed).
public struct ContentType: Sendable, Hashable, Codable {
    public var type: String
    public var subtype: String
    public var parameters: [String: String]

    /// `text/plain; charset=us-ascii`, what an absent Content-Type means (RFC 2045 §5.2).
    public static let plainText = ContentType(type: "text", subtype: "plain", parameters: [:])

    public init(type: String, subtype: String, parameters: [String: String]) {
        self.type = type
        self.subtype = subtype
        self.parameters = parameters
    }

    /// `type "/" subtype *(";" parameter)`; `nil` when there is no `/`.
    public init?(_ text: String) {
        let parts = Self.splitParameters(text)
        guard let head = parts.first else { return nil }
        let pieces = head.split(separator: "/", maxSplits: 1)
        guard pieces.count == 2 else { return nil }
        type = pieces[0].trimmingCharacters(in: .whitespaces).lowercased()
        subtype = pieces[1].trimmingCharacters(in: .whitespaces).lowercased()
        var parameters: [String: String] = [:]
        for part in parts.dropFirst() {
            guard let equals = part.firstIndex(of: "=") else { continue }
            let name = part[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
            var value = part[part.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            if value.hasPrefix("\""), value.hasSuffix("\""), value.count >= 2 { value = String(value.dropFirst().dropLast()) }
            if parameters[name] == nil { parameters[name] = value }
        }
        self.parameters = parameters
    }

    /// `;`-separated parts, a `;` inside quotes or a comment not splitting.
    static func splitParameters(_ text: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var quoted = false
        var depth = 0
        for character in text {
            switch character {
            case "\"" where depth == 0: quoted.toggle(); current.append(character)
            case "(" where !quoted: depth += 1
            case ")" where !quoted: depth = max(0, depth - 1)
            case ";" where !quoted && depth == 0: parts.append(current); current = ""
            default: if depth == 0 { current.append(character) }
            }
        }
        parts.append(current)
        return parts.map { $0.trimmingCharacters(in: .whitespaces) }
    }

    /// `type/subtype`.
    public var mediaType: String { "\(type)/\(subtype)" }
}

/// One MIME entity (RFC 2045, RFC 2046): its header, its content type, its body decoded from its
/// transfer encoding, and its parts (a multipart) or the message it holds (`message/rfc822`).
public struct MIMEPart: Sendable, Hashable {
    /// Nesting read at most; deeper parts are kept undivided (reported).
    public static let maximumDepth = 8
    /// Parts read in one multipart; the rest are ignored (reported).
    public static let maximumParts = 200

    public var text: MessageText
    public var contentType: ContentType
    /// The body after `Content-Transfer-Encoding` decoding (base64, quoted-printable).
    public var decodedBody: [UInt8]
    /// The parts of a multipart, in order.
    public var parts: [MIMEPart]

    /// Reads an entity; `problems` collects what could not be read, with input lines.
    static func read(_ text: MessageText, depth: Int, problems: inout [ReadProblem]) -> MIMEPart {
        let typeText = text.first("Content-Type")
        var contentType = ContentType.plainText
        if let typeText {
            if let parsed = ContentType(typeText) { contentType = parsed } else {
                problems.append(ReadProblem(line: text.firstLine, "Content-Type \"\(typeText.prefix(60))\" has no type/subtype: read as text/plain"))
            }
        }
        let encoding = text.first("Content-Transfer-Encoding")?.trimmingCharacters(in: .whitespaces).lowercased()
        var decoded = text.body
        if contentType.type != "multipart" {
            switch encoding {
            case "base64":
                let (bytes, bad) = TransferEncoding.decodeBase64(text.body)
                decoded = bytes
                if bad > 0 {
                    problems.append(ReadProblem(
                        line: text.bodyFirstLine, "\(bad) bytes of the base64 \(contentType.mediaType) part are not base64: skipped"))
                }
            case "quoted-printable":
                decoded = TransferEncoding.decodeQuotedPrintable(text.body)
            default: break
            }
        }
        var part = MIMEPart(text: text, contentType: contentType, decodedBody: decoded, parts: [])
        guard contentType.type == "multipart" else { return part }
        guard let boundary = contentType.parameters["boundary"], !boundary.isEmpty else {
            problems.append(ReadProblem(line: text.firstLine, "a multipart Content-Type without a boundary: its parts cannot be told apart"))
            return part
        }
        guard depth < maximumDepth else {
            problems.append(ReadProblem(line: text.firstLine, "MIME parts nested deeper than \(maximumDepth): not read"))
            return part
        }
        let (bodies, closed) = split(text.body, boundary: Array(boundary.utf8), firstLine: text.bodyFirstLine)
        if bodies.isEmpty {
            problems.append(ReadProblem(
                line: text.bodyFirstLine, "the boundary \"\(boundary.prefix(70))\" never occurs in the multipart body: its parts cannot be read"))
            return part
        }
        if !closed {
            problems.append(ReadProblem(line: text.bodyFirstLine, "the multipart body does not end with its closing boundary \"--\(boundary.prefix(70))--\": read to the end"))
        }
        for (index, body) in bodies.enumerated() {
            if index >= maximumParts {
                problems.append(ReadProblem(line: body.line, "more than \(maximumParts) MIME parts: the rest are not read"))
                break
            }
            var child = MessageText.read(body.bytes, firstLine: body.line)
            problems += child.problems
            child.problems = []
            part.parts.append(read(child, depth: depth + 1, problems: &problems))
        }
        return part
    }

    /// The bodies between `--boundary` lines (RFC 2046 §5.1.1), each with its first line, and
    /// whether the closing `--boundary--` was seen.
    static func split(_ body: [UInt8], boundary: [UInt8], firstLine: Int) -> ([(bytes: [UInt8], line: Int)], Bool) {
        let delimiter: [UInt8] = [0x2D, 0x2D] + boundary
        var parts: [(bytes: [UInt8], line: Int)] = []
        var start: (index: Int, line: Int)?
        var index = 0
        var line = firstLine
        while index < body.count {
            let lineEnd = body[index...].firstIndex(of: 0x0A) ?? body.count
            if body[index] == 0x2D, lineEnd - index >= delimiter.count, body[index..<(index + delimiter.count)].elementsEqual(delimiter) {
                let rest = body[(index + delimiter.count)..<lineEnd]
                let closing = rest.starts(with: [0x2D, 0x2D])
                let onlySpace = rest.allSatisfy { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
                if closing || onlySpace {
                    if let open = start {
                        var end = index
                        // The CRLF before the delimiter belongs to it (RFC 2046 §5.1.1).
                        if end > open.index, body[end - 1] == 0x0A { end -= 1 }
                        if end > open.index, body[end - 1] == 0x0D { end -= 1 }
                        parts.append((Array(body[open.index..<max(open.index, end)]), open.line))
                    }
                    if closing { return (parts, true) }
                    start = (min(lineEnd + 1, body.count), line + 1)
                }
            }
            index = lineEnd + 1
            line += 1
        }
        if let open = start, open.index <= body.count { parts.append((Array(body[open.index...]), open.line)) }
        return (parts, false)
    }

    /// Every part, depth first, this one included.
    public var allParts: [MIMEPart] { [self] + parts.flatMap(\.allParts) }

    /// The body as text (invalid UTF-8 becomes U+FFFD).
    /// Line ends are LF: a CRLF is one `Character` in Swift, so text split on "\n" must not keep them.
    public var bodyText: String { TextLines.normalized(decodedBody) }
}

/// Content-Transfer-Encoding decoders (RFC 2045 §6.7, §6.8), tolerant: bad input is skipped and
/// counted, never fatal.
enum TransferEncoding {
    /// Decoded bytes and how many input bytes were not base64 (whitespace excluded).
    static func decodeBase64(_ input: [UInt8]) -> ([UInt8], Int) {
        var out: [UInt8] = []
        out.reserveCapacity(input.count * 3 / 4)
        var accumulator: UInt32 = 0
        var bits = 0
        var bad = 0
        var ended = false
        for byte in input {
            let value: UInt8
            switch byte {
            case 0x41...0x5A: value = byte - 0x41
            case 0x61...0x7A: value = byte - 0x61 + 26
            case 0x30...0x39: value = byte - 0x30 + 52
            case 0x2B: value = 62
            case 0x2F: value = 63
            case 0x3D: ended = true; continue
            case 0x20, 0x09, 0x0D, 0x0A: continue
            default: bad += 1; continue
            }
            if ended {
                // Data after padding: a new block (some writers concatenate); start afresh.
                accumulator = 0
                bits = 0
                ended = false
            }
            accumulator = (accumulator << 6) | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8((accumulator >> UInt32(bits)) & 0xFF))
            }
        }
        return (out, bad)
    }

    static func decodeQuotedPrintable(_ input: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(input.count)
        var index = 0
        func hex(_ byte: UInt8) -> UInt8? {
            switch byte {
            case 0x30...0x39: byte - 0x30
            case 0x41...0x46: byte - 0x41 + 10
            case 0x61...0x66: byte - 0x61 + 10
            default: nil
            }
        }
        while index < input.count {
            let byte = input[index]
            if byte == 0x3D {
                if index + 1 < input.count, input[index + 1] == 0x0A { index += 2; continue }
                if index + 2 < input.count, input[index + 1] == 0x0D, input[index + 2] == 0x0A { index += 3; continue }
                if index + 2 < input.count, let high = hex(input[index + 1]), let low = hex(input[index + 2]) {
                    out.append(high << 4 | low)
                    index += 3
                    continue
                }
            }
            out.append(byte)
            index += 1
        }
        return out
    }
}

/// Text from bytes with CRLF (and a lone CR) turned into LF, so `split(separator: "\n")` finds
/// every line: in a Swift `String`, "\r\n" is one `Character`.
enum TextLines {
    static func normalized(_ bytes: some Collection<UInt8>) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var previousCR = false
        for byte in bytes {
            if byte == 0x0D {
                out.append(0x0A)
                previousCR = true
                continue
            }
            if byte == 0x0A && previousCR { previousCR = false; continue }
            previousCR = false
            out.append(byte)
        }
        return String(decoding: out, as: UTF8.self)
    }
}
