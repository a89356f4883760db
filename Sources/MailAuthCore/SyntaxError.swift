/// A syntax error in a record or header, with the byte offset where it was found.
///
/// The CLI uses ``offset`` to point at the problem under the input:
/// ```
/// v=spf1 ip4:192.0.2.0/33 -all
///        ^ CIDR length 33 exceeds 32
/// ```
public struct SyntaxError: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    /// Byte offset of the problem in ``input``.
    public var offset: Int
    /// The offending term or tag, when there is one (`ip4:192.0.2.0/33`).
    public var term: String?
    /// What is wrong, for a person.
    public var message: String
    /// The text that was parsed.
    public var input: String

    public init(offset: Int, term: String? = nil, message: String, input: String) {
        self.offset = offset
        self.term = term
        self.message = message
        self.input = input
    }

    public var description: String {
        var text = "at offset \(offset)"
        if let term { text += " in \(term.debugDescription)" }
        return "\(text): \(message)"
    }

    /// Two lines: the input, then a caret under the offset followed by the message.
    public var pointer: String {
        let printable = String(input.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : Character($0) })
        let column = String(decoding: Array(input.utf8).prefix(offset), as: UTF8.self).count
        return printable + "\n" + String(repeating: " ", count: column) + "^ " + message
    }
}
