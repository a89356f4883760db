/// Byte classes and byte names shared by the record parsers (tag-lists, SPF, DMARC).
public enum ASCII {
    @inlinable public static func isAlpha(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }

    @inlinable public static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    /// A byte as an error message names it: `'x'` when printable, "a space", else its hex value.
    public static func describe(_ byte: UInt8) -> String {
        if byte >= 0x21 && byte <= 0x7E { return "'\(Character(Unicode.Scalar(byte)))'" }
        return byte == 0x20 ? "a space" : "byte 0x" + String(byte, radix: 16, uppercase: true)
    }
}
