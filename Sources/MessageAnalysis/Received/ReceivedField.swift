import DNSCore
import Foundation

/// One `Received` field, read leniently (RFC 5321 §4.4 `Stamp`; RFC 5322 §3.6.7).
///
/// ```
/// Received: from mail.example.com (mail.example.com [192.0.2.1]) by mx.google.com with ESMTPS
///     id a1si123 for <you@gmail.com>; Tue, 16 Apr 2024 08:30:11 -0700 (PDT)
/// ```
///
/// The client's address is read only from the `from` clause (its name or the comment after it,
/// `[192.0.2.1]`, `(2603:10a6::20)`), never from `id`, so an Exchange version string
/// (`id 15.20.7452.49`) is not mistaken for an address.
public struct ReceivedField: Sendable, Hashable, Codable {
    /// A way the field departs from RFC 5321 §4.4 that was read anyway.
    public enum Deviation: String, Sendable, Hashable, Codable {
        /// No `;` before the date (SendGrid writes `… id X Tue, 16 Apr 2024 …`).
        case missingSemicolon = "missing-semicolon"
        /// Seconds with a fraction (`08:30:11.123`).
        case fractionalSeconds = "fractional-seconds"
        /// A comment after the date (`+0000 (UTC)`): allowed by RFC 5322, noted.
        case commentAfterDate = "comment-after-date"
        /// Text after the date's zone that is not a comment.
        case textAfterDate = "text-after-date"
        /// A date with no zone: read as UTC.
        case missingZone = "missing-zone"
        /// A date that could not be read.
        case unreadableDate = "unreadable-date"
        /// No date at all.
        case missingDate = "missing-date"
        /// An `id` that looks like an IPv4 address (Exchange's version numbers, `15.20.7452.49`):
        /// kept as an id.
        case versionLikeID = "version-like-id"
    }

    /// The `from` clause's name: what the client said in HELO/EHLO (as the receiver wrote it).
    public var from: String?
    /// The name the receiver found for the client (reverse DNS), from the comment, when given.
    public var fromReverseName: String?
    /// The HELO name when the receiver wrote it apart (`(helo=name)`, `(HELO name)`).
    public var helo: String?
    /// The client's IP address, from the `from` clause.
    public var fromIP: String?
    /// The receiving host (`by`).
    public var by: String?
    /// The protocol (`with ESMTPS`).
    public var with: String?
    /// The receiver's queue id (`id`).
    public var id: String?
    /// The recipient (`for <you@example.com>`).
    public var recipient: String?
    /// The date, when it could be read.
    public var date: Date?
    /// The date as written.
    public var dateText: String?
    /// How the field departs from the standard.
    public var deviations: [Deviation]
    /// The 1-based input line of the field.
    public var line: Int

    /// Longest field text read (Received fields are short; a longer one is cut).
    public static let maximumLength = 8_192

    /// Reads one field's value; never fails (what cannot be read stays absent).
    public init(parsing value: String, line: Int = 0) {
        self.line = line
        deviations = []
        let text = String(value.prefix(Self.maximumLength))
        var clauses = text
        if let semicolon = Self.lastSemicolonOutsideComments(text) {
            clauses = String(text[..<semicolon])
            dateText = text[text.index(after: semicolon)...].trimmingCharacters(in: .whitespaces)
        } else if let start = MailDate.start(in: text) {
            clauses = String(text[..<start])
            dateText = String(text[start...]).trimmingCharacters(in: .whitespaces)
            deviations.append(.missingSemicolon)
        } else {
            deviations.append(.missingDate)
        }
        if let dateText, !dateText.isEmpty {
            if let reading = MailDate.parse(dateText) {
                date = reading.date
                if reading.fractionalSeconds { deviations.append(.fractionalSeconds) }
                if reading.commentAfter { deviations.append(.commentAfterDate) }
                if reading.trailingText { deviations.append(.textAfterDate) }
                if reading.missingZone { deviations.append(.missingZone) }
            } else {
                deviations.append(.unreadableDate)
            }
        } else if !deviations.contains(.missingDate) {
            deviations.append(.missingDate)
        }
        readClauses(clauses)
    }

    private mutating func readClauses(_ text: String) {
        let tokens = Self.tokenize(text)
        var keyword: String?
        var fromComments: [String] = []
        for token in tokens {
            switch token {
            case .comment(let comment):
                if keyword == "from" { fromComments.append(comment) }
            case .word(let word):
                let lowered = word.lowercased()
                if ["from", "by", "via", "with", "id", "for"].contains(lowered) {
                    keyword = lowered
                    continue
                }
                switch keyword {
                case "from": if from == nil { from = word } else if word.hasPrefix("[") { fromComments.append(word) }
                case "by": if by == nil { by = word.trimmingCharacters(in: CharacterSet(charactersIn: ".")) }
                case "with": with = with.map { "\($0) \(word)" } ?? word
                case "id": if id == nil { id = word }
                case "for": if recipient == nil { recipient = word.trimmingCharacters(in: CharacterSet(charactersIn: "<>")) }
                default: break
                }
            }
        }
        if let id {
            let parts = id.split(separator: ".", omittingEmptySubsequences: false)
            if parts.count == 4, parts.allSatisfy({ !$0.isEmpty && $0.count <= 5 && $0.allSatisfy(\.isNumber) }) {
                deviations.append(.versionLikeID)
            }
        }
        // The client's address: in the from-name itself ("[192.0.2.1]"), else in its comments.
        if let name = from, let ip = Self.address(in: name) { fromIP = ip }
        for comment in fromComments {
            let lowered = comment.lowercased()
            if lowered.hasPrefix("helo=") || lowered.hasPrefix("helo ") || lowered.hasPrefix("ehlo=") || lowered.hasPrefix("ehlo ") {
                helo = String(comment.dropFirst(5)).trimmingCharacters(in: .whitespaces)
                if fromIP == nil, let ip = Self.address(in: comment) { fromIP = ip }
                continue
            }
            if fromIP == nil, let ip = Self.address(in: comment) { fromIP = ip }
            if fromReverseName == nil, let first = comment.split(separator: " ").first, !first.hasPrefix("["),
               first.contains("."), Self.address(in: String(first)) == nil, first.lowercased() != "unknown" {
                fromReverseName = first.trimmingCharacters(in: CharacterSet(charactersIn: "."))
            }
        }
        if helo == nil, let name = from, !name.hasPrefix("[") { helo = name }
    }

    enum Token: Equatable {
        case word(String)
        case comment(String)
    }

    /// Words and parenthesised comments (nested comments stay inside their outer one).
    static func tokenize(_ text: String) -> [Token] {
        var tokens: [Token] = []
        var current = ""
        var comment = ""
        var depth = 0
        for character in text {
            if depth > 0 {
                if character == "(" { depth += 1 } else if character == ")" {
                    depth -= 1
                    if depth == 0 {
                        tokens.append(.comment(comment.trimmingCharacters(in: .whitespaces)))
                        comment = ""
                        continue
                    }
                }
                comment.append(character)
                continue
            }
            if character == "(" {
                if !current.isEmpty { tokens.append(.word(current)); current = "" }
                depth = 1
            } else if character == " " || character == "\t" || character == "\n" || character == "\r" {
                if !current.isEmpty { tokens.append(.word(current)); current = "" }
            } else {
                current.append(character)
            }
        }
        if !current.isEmpty { tokens.append(.word(current)) }
        if depth > 0, !comment.isEmpty { tokens.append(.comment(comment)) }
        return tokens
    }

    static func lastSemicolonOutsideComments(_ text: String) -> String.Index? {
        var depth = 0
        var last: String.Index?
        for index in text.indices {
            switch text[index] {
            case "(": depth += 1
            case ")": depth = max(0, depth - 1)
            case ";" where depth == 0: last = index
            default: break
            }
        }
        return last
    }

    /// The first IP address literal in `text`: `[192.0.2.1]`, `[IPv6:2001:db8::1]`, a bare
    /// `192.0.2.1` or `2603:10a6::20`.
    static func address(in text: String) -> String? {
        let separators = CharacterSet(charactersIn: " \t[](),;=<>")
        for piece in text.components(separatedBy: separators) where !piece.isEmpty {
            var candidate = piece
            if candidate.lowercased().hasPrefix("ipv6:") { candidate = String(candidate.dropFirst(5)) }
            if candidate.hasSuffix(".") { candidate = String(candidate.dropLast()) }
            if let ip = IPAddress(candidate) { return ip.description }
        }
        return nil
    }
}
