/// Finds SMTP replies in what a user pastes: a raw transcript (`550-5.7.26 …` lines), a Python
/// `smtplib` exception (`(535, b'5.7.8 …')`), a nodemailer error (`Invalid login: 535-5.7.8 …`,
/// with `\n` escapes) or a bounce (`said: 550 5.7.1 …`).
///
/// Bounded work: the caller cuts the input to ``ReplyClassifier/maxInputBytes``; at most
/// ``maxLines`` lines of at most ``maxLineLength`` bytes are read, and at most ``maxReplies``
/// replies are kept.
enum ReplyParser {
    /// Lines read from the input; the rest is ignored.
    static let maxLines = 5_000
    /// Bytes of one line that are read; a longer line is cut.
    static let maxLineLength = 4_096
    /// Replies kept (the first ones).
    static let maxReplies = 500
    /// The longest enhanced status code, `5.123.123` (RFC 3463 §2).
    static let maxStatusCodeLength = 9

    /// Every reply in `text`, in input order: smtplib tuples first, then transcript lines.
    static func replies(in text: String) -> [SMTPReply] {
        let tuples = pythonTuples(in: text)
        if !tuples.isEmpty { return tuples }
        return transcriptReplies(in: unescapingNewlines(text))
    }

    // MARK: - smtplib: (535, b'5.7.8 Username and Password not accepted. …\n5.7.8  https://… - gsmtp')

    /// `"(" code "," SP ["b"] quote chars quote`: the `(code, message)` tuple that smtplib's
    /// `SMTPResponseException` subclasses print. smtplib strips `535-`/`535 ` from each line and
    /// joins the lines with `\n`.
    static func pythonTuples(in text: String) -> [SMTPReply] {
        let bytes = Array(text.utf8)
        var replies: [SMTPReply] = []
        var index = 0
        while index < bytes.count, replies.count < maxReplies {
            guard bytes[index] == UInt8(ascii: "("),
                let (code, literalStart, quote) = tupleHead(bytes, after: index)
            else {
                index += 1
                continue
            }
            let (literal, end) = pythonLiteral(bytes, from: literalStart, quote: quote)
            let lines = literal.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).map(String.init)
            replies.append(assemble(code: code, texts: lines))
            index = end
        }
        return replies
    }

    private static func tupleHead(_ bytes: [UInt8], after open: Int) -> (Int, Int, UInt8)? {
        var i = open + 1
        func skipSpaces() { while i < bytes.count, bytes[i] == UInt8(ascii: " ") { i += 1 } }
        skipSpaces()
        guard i + 3 <= bytes.count, let code = replyCode(bytes[i..<(i + 3)]) else { return nil }
        i += 3
        skipSpaces()
        guard i < bytes.count, bytes[i] == UInt8(ascii: ",") else { return nil }
        i += 1
        skipSpaces()
        if i < bytes.count, bytes[i] == UInt8(ascii: "b") { i += 1 }
        guard i < bytes.count, bytes[i] == UInt8(ascii: "'") || bytes[i] == UInt8(ascii: "\"") else { return nil }
        return (code, i + 1, bytes[i])
    }

    /// A Python string literal's contents up to the closing `quote` (or the end of the input), with
    /// the escapes smtplib's repr produces decoded: `\n \r \t \\ \' \" \xNN`.
    private static func pythonLiteral(_ bytes: [UInt8], from start: Int, quote: UInt8) -> (String, Int) {
        var out: [UInt8] = []
        var i = start
        while i < bytes.count, bytes[i] != quote {
            if bytes[i] == UInt8(ascii: "\\"), i + 1 < bytes.count {
                let next = bytes[i + 1]
                switch next {
                case UInt8(ascii: "n"): out.append(0x0A)
                case UInt8(ascii: "r"): out.append(0x0D)
                case UInt8(ascii: "t"): out.append(0x20)
                case UInt8(ascii: "x") where i + 3 < bytes.count:
                    if let value = UInt8(String(decoding: bytes[(i + 2)...(i + 3)], as: UTF8.self), radix: 16) {
                        out.append(value)
                        i += 4
                        continue
                    }
                    out.append(next)
                default: out.append(next)
                }
                i += 2
                continue
            }
            out.append(bytes[i])
            i += 1
        }
        return (String(decoding: out, as: UTF8.self), i)
    }

    // MARK: - Transcript lines

    /// Literal `\r\n` and `\n` (as JavaScript and JSON print them) become line breaks.
    static func unescapingNewlines(_ text: String) -> String {
        guard text.contains("\\n") else { return text }
        return text.replacing("\\r\\n", with: "\n").replacing("\\n", with: "\n")
    }

    /// RFC 5321 §4.2:
    /// ```
    /// Reply-line = *( Reply-code "-" [ textstring ] CRLF )
    ///              Reply-code [ SP textstring ] CRLF
    /// ```
    /// A line counts as a reply line when the code starts it (after a transcript prefix such as
    /// `S:` or `<-`), or when it follows `: ` or is followed by an enhanced status code
    /// (`said: 550 5.7.1 …`, `Invalid login: 535-5.7.8 …`).
    static func transcriptReplies(in text: String) -> [SMTPReply] {
        var replies: [SMTPReply] = []
        var pending: (code: Int, texts: [String])?
        func flush() {
            if let open = pending, replies.count < maxReplies { replies.append(assemble(code: open.code, texts: open.texts)) }
            pending = nil
        }
        for rawLine in text.split(omittingEmptySubsequences: true, whereSeparator: { $0 == "\n" || $0 == "\r" })
            .prefix(maxLines)
        {
            let line = Array(rawLine.utf8.prefix(maxLineLength))
            guard let (code, continues, rest) = replyLine(line) else {
                flush()
                continue
            }
            if let open = pending, open.code != code { flush() }
            pending = (code, (pending?.texts ?? []) + [rest])
            if !continues { flush() }
        }
        flush()
        return replies
    }

    private static let prefixes: [[UInt8]] = ["S:", "s:", "<<<", "<<", "<-", "<", "smtp;", "SMTP;", "'", "\"", "`"]
        .map { Array($0.utf8) }

    private static func replyLine(_ line: [UInt8]) -> (Int, Bool, String)? {
        var start = 0
        var stripped = true
        while stripped {
            stripped = false
            while start < line.count, line[start] == 0x20 || line[start] == 0x09 { start += 1 }
            for prefix in prefixes where line[start...].starts(with: prefix) {
                start += prefix.count
                stripped = true
                break
            }
        }
        if let found = reply(in: line, at: start, requireEvidence: false) { return found }
        var i = start
        while i + 3 <= line.count {
            if i > 0, isAlphanumeric(line[i - 1]) || line[i - 1] == UInt8(ascii: ".") {
                i += 1
                continue
            }
            let afterColon = i >= 2 && line[i - 1] == 0x20 && line[i - 2] == UInt8(ascii: ":")
            if let found = reply(in: line, at: i, requireEvidence: !afterColon) { return found }
            i += 1
        }
        return nil
    }

    /// The reply starting at `at`: code, whether it is a continuation line (`-`), and its text.
    /// With `requireEvidence`, an enhanced status code must follow the reply code.
    private static func reply(in line: [UInt8], at start: Int, requireEvidence: Bool) -> (Int, Bool, String)? {
        guard start + 3 <= line.count, let code = replyCode(line[start..<(start + 3)]) else { return nil }
        var i = start + 3
        var continues = false
        if i < line.count {
            switch line[i] {
            case UInt8(ascii: "-"): continues = true
            case 0x20, 0x09: break
            default: return nil
            }
            i += 1
        }
        let body = line[min(i, line.count)...]
        if requireEvidence {
            // At most "5.123.123," is read here, so a line of digits costs no more than its length.
            let token = body.prefix(maxStatusCodeLength + 1).prefix(while: { $0 != 0x20 && $0 != 0x09 })
            guard EnhancedStatusCode(String(decoding: token, as: UTF8.self)[...].trimmingTrailingPunctuation) != nil
            else { return nil }
        }
        return (code, continues, String(decoding: body, as: UTF8.self))
    }

    /// `Reply-code = %x32-35 %x30-35 %x30-39` (RFC 5321 §4.2).
    private static func replyCode(_ digits: ArraySlice<UInt8>) -> Int? {
        let d = Array(digits)
        guard d.count == 3, (0x32...0x35).contains(d[0]), (0x30...0x35).contains(d[1]), (0x30...0x39).contains(d[2])
        else { return nil }
        return Int(d[0] - 0x30) * 100 + Int(d[1] - 0x30) * 10 + Int(d[2] - 0x30)
    }

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (0x30...0x39).contains(byte) || (0x41...0x5A).contains(byte) || (0x61...0x7A).contains(byte)
    }

    /// One reply from its lines' texts: the enhanced code from the first line, removed from every
    /// line that repeats it (RFC 2034 §4), the texts joined by single spaces.
    static func assemble(code: Int, texts: [String]) -> SMTPReply {
        var enhanced: EnhancedStatusCode?
        var words: [Substring] = []
        for (number, text) in texts.enumerated() {
            var lineWords = text.split(whereSeparator: { $0 == " " || $0 == "\t" })
            if let first = lineWords.first, let parsed = EnhancedStatusCode(first.trimmingTrailingPunctuation) {
                if number == 0 { enhanced = parsed }
                if number == 0 || parsed == enhanced { lineWords.removeFirst() }
            }
            words += lineWords
        }
        return SMTPReply(code: code, enhancedCode: enhanced, text: words.joined(separator: " "))
    }
}

extension Substring {
    /// Without a trailing `,` `;` `:` (`5.7.8,` in some client logs).
    fileprivate var trimmingTrailingPunctuation: Substring {
        var copy = self
        while let last = copy.last, last == "," || last == ";" || last == ":" { copy = copy.dropLast() }
        return copy
    }
}
