/// One header field exactly as it appears in a message (RFC 5322 §2.2).
///
/// ``raw`` holds every byte of the field, folding included, up to but not including the CRLF that
/// ends it; simple header canonicalization (RFC 6376 §3.4.1) hashes exactly these bytes.
public struct HeaderField: Sendable, Hashable {
    /// The field name as written, without any whitespace before the colon (`Subject`).
    public let name: String
    /// The whole field: name, colon and value with its folding, without the final CRLF.
    public let raw: [UInt8]
    /// Index in ``raw`` of the first byte after the colon.
    public let valueStart: Int
    /// The field name in ASCII lower case (how DKIM compares names, RFC 6376 §3.4.2, §5.4.2).
    public let lowercasedName: String

    /// Builds a field from its raw bytes (no trailing CRLF). Used by the parser and the signer.
    init(name: String, raw: [UInt8], valueStart: Int) {
        self.init(name: name, raw: raw, valueStart: valueStart, lowercasedName: Self.asciiLowercased(name))
    }

    /// For a name whose lower-case form is known (the signer's DKIM-Signature).
    init(name: String, raw: [UInt8], valueStart: Int, lowercasedName: String) {
        self.name = name
        self.raw = raw
        self.valueStart = valueStart
        self.lowercasedName = lowercasedName
    }

    /// ASCII lower case; other bytes unchanged (field names are US-ASCII, RFC 5322 §3.6.8).
    static func asciiLowercased(_ text: String) -> String {
        // Most names are already lower case (h= lists, the signer's defaults): copy nothing then.
        guard text.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) else { return text }
        var utf8 = Array(text.utf8)
        for index in utf8.indices where utf8[index] >= 0x41 && utf8[index] <= 0x5A { utf8[index] |= 0x20 }
        return String(decoding: utf8, as: UTF8.self)
    }

    /// The value: every byte after the colon, folding included.
    public var value: ArraySlice<UInt8> { raw[valueStart...] }

    /// The value as text (invalid UTF-8 becomes U+FFFD; use ``value`` when bytes matter).
    public var valueText: String { String(decoding: value, as: UTF8.self) }

    /// Whether the field's name is `name`, compared without regard to ASCII case (RFC 5322 §1.2.2).
    public func hasName(_ name: String) -> Bool { lowercasedName == Self.asciiLowercased(name) }
}
