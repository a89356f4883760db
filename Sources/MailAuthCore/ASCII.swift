/// Byte classes and byte names shared by the record parsers (tag-lists, SPF, DMARC).
public enum ASCII {
    @inlinable public static func isAlpha(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }

    @inlinable public static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    @inlinable public static func isAlnum(_ byte: UInt8) -> Bool { isAlpha(byte) || isDigit(byte) }

    /// WSP and the CR/LF of folding whitespace (RFC 5322 §3.2.2), which tag-lists allow.
    @inlinable public static func isFoldingWhitespace(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A
    }

    /// A byte as an error message names it: `'x'` when printable, "a space", else its hex value.
    public static func describe(_ byte: UInt8) -> String {
        if byte >= 0x21 && byte <= 0x7E { return "'\(Character(Unicode.Scalar(byte)))'" }
        return byte == 0x20 ? "a space" : "byte 0x" + String(byte, radix: 16, uppercase: true)
    }
}
