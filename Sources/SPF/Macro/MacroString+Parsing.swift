import MailAuthCore

extension MacroString {
    /// Where a macro string appears, which decides what it may contain.
    enum Context {
        /// A domain-spec or modifier value: no spaces, no `c`, `r`, `t`.
        case term
        /// `exp` text: spaces allowed, all letters allowed (explain-string, RFC 7208 §6.2).
        case explanation
    }

    /// Longest digit run accepted in a transformer; more keeps every part anyway.
    static let maximumTransformerDigits = 3

    /// Parses `bytes[range]` as a macro string.
    ///
    /// - Parameters:
    ///   - base: byte offset of `range.lowerBound` in `input`, for errors.
    /// - Throws: ``SyntaxError`` at the offending byte.
    /// Whether `byte` may stand for itself outside a macro: visible ASCII, and the space in
    /// explanation text (RFC 7208 §7.1 macro-literal, explain-string).
    static func isLiteral(_ byte: UInt8, in context: Context) -> Bool {
        (byte >= 0x21 && byte <= 0x7E) || (context == .explanation && byte == 0x20)
    }

    static func parse(
        _ bytes: [UInt8], _ range: Range<Int>, context: Context, input: String, term: Range<Int>?
    ) throws(SyntaxError) -> MacroString {
        // Most domain-specs are plain names: one literal, the text itself.
        if bytes[range].allSatisfy({ $0 != UInt8(ascii: "%") && isLiteral($0, in: context) }) {
            let text = String(decoding: bytes[range], as: UTF8.self)
            return MacroString(parts: range.isEmpty ? [] : [.literal(text)], text: text)
        }
        var parts: [Part] = []
        var literal: [UInt8] = []
        literal.reserveCapacity(range.count)
        var index = range.lowerBound
        func fail(_ offset: Int, _ message: String) -> SyntaxError {
            SyntaxError(offset: offset, term: term.map { String(decoding: bytes[$0], as: UTF8.self) }, message: message, input: input)
        }
        func flush() {
            if !literal.isEmpty {
                parts.append(.literal(String(decoding: literal, as: UTF8.self)))
                literal.removeAll()
            }
        }
        while index < range.upperBound {
            let byte = bytes[index]
            if byte == UInt8(ascii: "%") {
                guard index + 1 < range.upperBound else { throw fail(index, "'%' at the end; write '%%' for a literal '%'") }
                let next = bytes[index + 1]
                switch next {
                case UInt8(ascii: "%"): literal.append(UInt8(ascii: "%")); index += 2; continue
                case UInt8(ascii: "_"): literal.append(0x20); index += 2; continue
                case UInt8(ascii: "-"): literal += Array("%20".utf8); index += 2; continue
                case UInt8(ascii: "{"): break
                default:
                    throw fail(index, "'%' must be followed by '{', '%', '_' or '-'")
                }
                let start = index
                index += 2
                guard index < range.upperBound else { throw fail(start, "unterminated macro") }
                let letterByte = bytes[index]
                let lowered = letterByte | 0x20
                guard letterByte < 0x80, let letter = Macro.Letter(rawValue: Character(Unicode.Scalar(lowered))),
                    ASCII.isAlpha(letterByte)
                else { throw fail(index, "unknown macro letter \(ASCII.describe(letterByte))") }
                if letter.explanationOnly, context == .term {
                    throw fail(index, "macro letter '\(letter.rawValue)' is allowed only in explanation text")
                }
                index += 1
                var digits = 0
                var keep: Int? = nil
                while index < range.upperBound, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                    digits += 1
                    if digits <= maximumTransformerDigits { keep = (keep ?? 0) * 10 + Int(bytes[index] - 0x30) }
                    index += 1
                }
                if keep == 0 { throw fail(index - 1, "a macro's digit transformer must be nonzero") }
                var reverse = false
                if index < range.upperBound, bytes[index] | 0x20 == UInt8(ascii: "r") {
                    reverse = true
                    index += 1
                }
                var delimiters = ""
                while index < range.upperBound, bytes[index] != UInt8(ascii: "}") {
                    let byte = bytes[index]
                    guard Array(".-+,/_=".utf8).contains(byte) else {
                        throw fail(index, "\(ASCII.describe(byte)) is not a macro delimiter (. - + , / _ =)")
                    }
                    delimiters.unicodeScalars.append(Unicode.Scalar(byte))
                    index += 1
                }
                guard index < range.upperBound else { throw fail(start, "unterminated macro: missing '}'") }
                index += 1
                flush()
                parts.append(.macro(Macro(
                    letter: letter, urlEscape: letterByte < 0x61, keep: keep, reverse: reverse, delimiters: delimiters)))
                continue
            }
            guard isLiteral(byte, in: context) else { throw fail(index, "\(ASCII.describe(byte)) is not allowed here") }
            literal.append(byte)
            index += 1
        }
        flush()
        return MacroString(parts: parts, text: String(decoding: bytes[range], as: UTF8.self))
    }

    /// Parses explanation text fetched by `exp=` (RFC 7208 §6.2, explain-string).
    public static func parseExplanation(_ text: String) throws(SyntaxError) -> MacroString {
        let bytes = Array(text.utf8)
        return try parse(bytes, 0..<bytes.count, context: .explanation, input: text, term: nil)
    }
}
