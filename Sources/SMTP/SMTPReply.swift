/// An enhanced mail system status code, `class.subject.detail` (RFC 3463 §2, carried in SMTP replies
/// per RFC 2034).
///
/// ```
/// status-code = class "." subject "." detail
/// class       = "2" / "4" / "5"
/// subject     = 1*3digit
/// detail      = 1*3digit
/// ```
public struct EnhancedStatusCode: Hashable, Sendable, Codable, CustomStringConvertible {
    /// `2` success, `4` persistent transient failure, `5` permanent failure (RFC 3463 §2).
    public var statusClass: Int
    /// What the status is about: `7` security or policy, `1` addressing, … (RFC 3463 §2).
    public var subject: Int
    /// The detail within the subject (RFC 3463 §3.2–§3.9 and the IANA registry).
    public var detail: Int

    public init(statusClass: Int, subject: Int, detail: Int) {
        self.statusClass = statusClass
        self.subject = subject
        self.detail = detail
    }

    /// Parses `5.7.26`; `nil` unless the text is exactly one status code of the RFC 3463 grammar.
    public init?(_ text: some StringProtocol) {
        let parts = String(text).split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let first = parts.first, first.count == 1,
            let statusClass = Int(first), [2, 4, 5].contains(statusClass)
        else { return nil }
        guard let subject = Self.number(parts[1]), let detail = Self.number(parts[2]) else { return nil }
        self.init(statusClass: statusClass, subject: subject, detail: detail)
    }

    private static func number(_ part: Substring) -> Int? {
        guard (1...3).contains(part.count), part.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return Int(part)
    }

    public var description: String { "\(statusClass).\(subject).\(detail)" }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let code = EnhancedStatusCode(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "not a status code: \(text)"))
        }
        self = code
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// One SMTP reply: the three-digit reply code, the enhanced status code when the server sent one,
/// and the text of every line joined.
///
/// A multi-line reply (RFC 5321 §4.2: `550-…` continuation lines, then `550 …`) becomes one value;
/// the enhanced code a server repeats at the start of each line (RFC 2034 §4) is kept once.
public struct SMTPReply: Hashable, Sendable, Codable {
    /// The basic reply code, `530`, `550` (RFC 5321 §4.2).
    public var code: Int
    /// The enhanced status code, `5.7.26`, when the reply carries one (RFC 2034, RFC 3463).
    public var enhancedCode: EnhancedStatusCode?
    /// The reply text of all lines, without codes, joined by single spaces.
    public var text: String

    public init(code: Int, enhancedCode: EnhancedStatusCode? = nil, text: String) {
        self.code = code
        self.enhancedCode = enhancedCode
        self.text = text
    }

    /// One reply from the texts of its lines as received (without the `550-`/`550 ` prefix), the
    /// enhanced code read from the first line and kept once (RFC 2034 §4).
    public init(code: Int, lines: [String]) {
        self = ReplyParser.assemble(code: code, texts: lines)
    }

    /// `true` for a 4xx or 5xx reply: the command failed (RFC 5321 §4.2.1).
    public var isFailure: Bool { code >= 400 }

    /// The reply as a server would send it on one line: `550 5.7.26 text`.
    public var line: String {
        ([String(code)] + (enhancedCode.map { [$0.description] } ?? []) + (text.isEmpty ? [] : [text]))
            .joined(separator: " ")
    }
}
