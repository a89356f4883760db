import DNSCore

/// A macro string (RFC 7208 §7.1): literal text and `%{…}` expansions.
///
/// ```
/// macro-string  = *( macro-expand / macro-literal )
/// macro-expand  = ( "%{" macro-letter transformers *delimiter "}" ) / "%%" / "%_" / "%-"
/// macro-literal = %x21-24 / %x26-7E
/// macro-letter  = "s" / "l" / "o" / "d" / "i" / "p" / "h" / "c" / "r" / "t" / "v"
/// transformers  = *DIGIT [ "r" ]
/// delimiter     = "." / "-" / "+" / "," / "/" / "_" / "="
/// ```
public struct MacroString: Sendable, Hashable, CustomStringConvertible {
    /// One piece of a macro string.
    public enum Part: Sendable, Hashable {
        /// Literal text, with `%%`, `%_` and `%-` already turned into `%`, space and `%20`.
        case literal(String)
        /// A `%{…}` expansion.
        case macro(Macro)
    }

    public var parts: [Part]
    /// The string as written.
    public var text: String

    public init(parts: [Part], text: String) {
        self.parts = parts
        self.text = text
    }

    public var description: String { text }

    /// Whether any `%{…}` appears, so the value depends on the message (and cannot be checked
    /// statically).
    public var hasMacros: Bool { parts.contains { if case .macro = $0 { true } else { false } } }

    /// Whether the string uses the given macro letter (lower case).
    public func uses(_ letter: Macro.Letter) -> Bool {
        parts.contains { if case .macro(let macro) = $0 { macro.letter == letter } else { false } }
    }

    /// The text when it has no macros.
    public var literalValue: String? {
        hasMacros ? nil : parts.map { if case .literal(let text) = $0 { text } else { "" } }.joined()
    }
}

/// One `%{…}` expansion: a letter, how many labels to keep, whether to reverse, and the
/// delimiters to split on (RFC 7208 §7.3).
public struct Macro: Sendable, Hashable {
    /// The macro letters of RFC 7208 §7.2.
    public enum Letter: Character, Sendable, Hashable, CaseIterable {
        /// `<sender>`
        case s = "s"
        /// local-part of `<sender>`
        case l = "l"
        /// domain of `<sender>`
        case o = "o"
        /// `<domain>`
        case d = "d"
        /// `<ip>` (IPv6 as dotted nibbles)
        case i = "i"
        /// the validated domain name of `<ip>` (deprecated)
        case p = "p"
        /// `in-addr` or `ip6`
        case v = "v"
        /// the HELO/EHLO domain
        case h = "h"
        /// SMTP client IP, readable form (explanations only)
        case c = "c"
        /// domain name of the host performing the check (explanations only)
        case r = "r"
        /// current timestamp (explanations only)
        case t = "t"

        /// Whether the letter is allowed only in `exp` text (§7.2).
        public var explanationOnly: Bool { self == .c || self == .r || self == .t }
    }

    public var letter: Letter
    /// Whether the letter was upper case: the value is URL-escaped (§7.3).
    public var urlEscape: Bool
    /// Keep only this many rightmost parts (never zero).
    public var keep: Int?
    /// Reverse the parts before keeping.
    public var reverse: Bool
    /// Characters to split on; empty means `.`.
    public var delimiters: String

    public init(letter: Letter, urlEscape: Bool = false, keep: Int? = nil, reverse: Bool = false, delimiters: String = "") {
        self.letter = letter
        self.urlEscape = urlEscape
        self.keep = keep
        self.reverse = reverse
        self.delimiters = delimiters
    }
}
