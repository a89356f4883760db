/// One `name=value` pair of a tag-list, with where it was found.
public struct Tag: Sendable, Hashable, Codable {
    /// The tag name, as written (tag names are case-sensitive in DKIM, RFC 6376 §3.2).
    public var name: String
    /// The value with leading and trailing whitespace removed; inner whitespace (folding) is kept.
    public var value: String
    /// Byte offset of the name in the parsed input.
    public var nameOffset: Int
    /// Byte offset of the value's first byte (the byte after `=` and whitespace).
    public var valueOffset: Int

    public init(name: String, value: String, nameOffset: Int, valueOffset: Int) {
        self.name = name
        self.value = value
        self.nameOffset = nameOffset
        self.valueOffset = valueOffset
    }
}

/// A parsed tag-list: the shared syntax of DKIM-Signature fields, DKIM key records and DMARC
/// records (RFC 6376 §3.2; RFC 9989 §4.7 uses the same form).
///
/// ```
/// tag-list  =  tag-spec *( ";" tag-spec ) [ ";" ]
/// tag-spec  =  [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
/// tag-name  =  ALPHA *ALNUMPUNC
/// tag-value =  [ tval *( 1*(WSP / FWS) tval ) ]
/// tval      =  1*VALCHAR
/// VALCHAR   =  %x21-3A / %x3C-7E
/// ```
///
/// Duplicate tags are kept in order; the caller decides (DKIM: permerror, RFC 6376 §3.2; DMARC:
/// reported). Values are not interpreted here.
public struct TagList: Sendable, Hashable, Codable {
    /// Every tag in the order written, duplicates included.
    public var tags: [Tag]

    /// Longest input parsed; anything longer is refused rather than scanned.
    public static let maximumLength = 65_536

    public init(tags: [Tag]) { self.tags = tags }

    /// The first tag named `name` (exact, case-sensitive match).
    public subscript(name: String) -> Tag? { tags.first { $0.name == name } }

    /// The first tag whose name equals `name` ignoring ASCII case (DMARC tag names).
    public func first(caseInsensitive name: String) -> Tag? {
        let lowered = name.lowercased()
        return tags.first { $0.name.lowercased() == lowered }
    }

    /// Tags whose name appears more than once (each later occurrence).
    public var duplicates: [Tag] {
        var seen: Set<String> = []
        return tags.filter { !seen.insert($0.name).inserted }
    }

    /// Parses a tag-list.
    ///
    /// - Parameters:
    ///   - text: the record or header value.
    ///   - allowEmptySpecs: accept `;;` and a leading `;` (seen in DMARC records in the wild);
    ///     RFC 6376's grammar does not.
    /// - Throws: ``SyntaxError`` with the offset of the first problem.
    public static func parse(_ text: String, allowEmptySpecs: Bool = true) throws(SyntaxError) -> TagList {
        let bytes = Array(text.utf8)
        if bytes.count > maximumLength {
            throw SyntaxError(offset: maximumLength, message: "tag-list longer than \(maximumLength) bytes", input: text)
        }
        var tags: [Tag] = []
        var start = 0
        while start <= bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: ";") { end += 1 }
            let isLast = end >= bytes.count
            var lower = start
            var upper = end
            while lower < upper, ASCII.isFoldingWhitespace(bytes[lower]) { lower += 1 }
            while upper > lower, ASCII.isFoldingWhitespace(bytes[upper - 1]) { upper -= 1 }
            if lower == upper {
                // An empty spec is fine after a final ";" (or for an empty list); elsewhere only if allowed.
                if !isLast && !allowEmptySpecs {
                    throw SyntaxError(offset: lower, message: "empty tag-spec (\";;\")", input: text)
                }
            } else {
                tags.append(try parseSpec(bytes, lower, upper, text))
            }
            if isLast { break }
            start = end + 1
        }
        return TagList(tags: tags)
    }

    private static func parseSpec(_ bytes: [UInt8], _ lower: Int, _ upper: Int, _ text: String) throws(SyntaxError) -> Tag {
        var index = lower
        let nameStart = index
        guard ASCII.isAlpha(bytes[index]) else {
            throw SyntaxError(
                offset: index, term: term(bytes, lower, upper), message: "a tag name must start with a letter", input: text)
        }
        while index < upper, ASCII.isAlpha(bytes[index]) || ASCII.isDigit(bytes[index]) || bytes[index] == UInt8(ascii: "_") {
            index += 1
        }
        let name = String(decoding: bytes[nameStart..<index], as: UTF8.self)
        while index < upper, ASCII.isFoldingWhitespace(bytes[index]) { index += 1 }
        guard index < upper, bytes[index] == UInt8(ascii: "=") else {
            let message = index < upper
                ? "unexpected \(ASCII.describe(bytes[index])) in tag name; expected '='" : "tag \"\(name)\" has no '='"
            throw SyntaxError(offset: index, term: term(bytes, lower, upper), message: message, input: text)
        }
        index += 1
        while index < upper, ASCII.isFoldingWhitespace(bytes[index]) { index += 1 }
        let valueStart = index
        for position in valueStart..<upper {
            let byte = bytes[position]
            if ASCII.isFoldingWhitespace(byte) || (byte >= 0x21 && byte <= 0x7E && byte != UInt8(ascii: ";")) { continue }
            throw SyntaxError(
                offset: position, term: term(bytes, lower, upper),
                message: "\(ASCII.describe(byte)) is not allowed in a tag value", input: text)
        }
        let value = String(decoding: bytes[valueStart..<upper], as: UTF8.self)
        return Tag(name: name, value: value, nameOffset: nameStart, valueOffset: valueStart)
    }

    private static func term(_ bytes: [UInt8], _ lower: Int, _ upper: Int) -> String {
        String(decoding: bytes[lower..<upper], as: UTF8.self)
    }
}
