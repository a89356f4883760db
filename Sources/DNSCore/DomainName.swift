/// A DNS domain name, compared case-insensitively (RFC 4343).
///
/// Two ways to make one:
/// - ``init(_:)`` validates a name a person typed or a record names as a host: every label is
///   letters, digits and hyphens (LDH, RFC 5890 §2.3.1), or starts with an underscore
///   (`_dmarc`, `_domainkey`, RFC 8552), and no LDH label starts or ends with a hyphen.
/// - ``init(dnsName:)`` accepts any label the DNS itself allows (RFC 2181 §11): used for names
///   built by protocols, such as an SPF macro expansion of a local part.
///
/// Both enforce the length rules of RFC 1035 §2.3.4: a label is 1 to 63 octets and the name is at
/// most 253 octets written without the trailing dot (255 on the wire). A trailing dot is tolerated.
public struct DomainName: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    /// The labels, leftmost first, as given (case preserved). The root name has none.
    public let labels: [String]
    /// The labels lower-cased (ASCII only), used for equality, hashing and ordering.
    private let key: [String]

    /// Longest label in octets (RFC 1035 §2.3.4).
    public static let maximumLabelLength = 63
    /// Longest name in octets written without the trailing dot (255 on the wire).
    public static let maximumNameLength = 253

    /// The root name, `.`.
    public static let root = DomainName(uncheckedLabels: [])

    /// Validates a host-style name: LDH or underscore labels.
    ///
    /// - Throws: ``DomainNameError`` naming the problem and the byte offset where it is.
    public init(_ text: some StringProtocol) throws(DomainNameError) {
        try self.init(text: String(text), strict: true)
    }

    /// Accepts any name the DNS can carry: labels of 1 to 63 octets of any value except `.`.
    ///
    /// - Throws: ``DomainNameError`` for an empty label or a length over the limits.
    public init(dnsName text: some StringProtocol) throws(DomainNameError) {
        try self.init(text: String(text), strict: false)
    }

    /// Builds a name from labels as they arrive on the wire (a label may hold any octet, even a
    /// dot); checks only the RFC 1035 length rules.
    public init(labels: [String]) throws(DomainNameError) {
        var total = -1
        for label in labels {
            let length = label.utf8.count
            if length == 0 { throw DomainNameError(.emptyLabel, name: labels.joined(separator: "."), offset: total + 1) }
            if length > Self.maximumLabelLength {
                throw DomainNameError(.labelTooLong(length), name: labels.joined(separator: "."), offset: total + 1)
            }
            total += length + 1
        }
        if total > Self.maximumNameLength {
            throw DomainNameError(.nameTooLong(total), name: labels.joined(separator: "."), offset: Self.maximumNameLength)
        }
        self.init(uncheckedLabels: labels)
    }

    /// Builds a name from labels that are already known to be valid.
    init(uncheckedLabels labels: [String]) {
        self.labels = labels
        // Most names arrive in lower case: then the key shares the labels' storage.
        let hasUpperCase = labels.contains { $0.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) }
        self.key = hasUpperCase ? labels.map { Self.asciiLowercased($0) } : labels
    }

    private init(text original: String, strict: Bool) throws(DomainNameError) {
        var text = original
        if text.isEmpty { throw DomainNameError(.empty, name: original, offset: 0) }
        if text == "." {
            self = .root
            return
        }
        if text.hasSuffix(".") { text.removeLast() }
        // Read in place: the labels are the only copies made.
        let labels = text.withUTF8 { Self.labels(of: $0, original: original, strict: strict) }
        self.init(uncheckedLabels: try labels.get())
    }

    /// The labels of a name's octets (no trailing dot), checked.
    private static func labels(
        of bytes: UnsafeBufferPointer<UInt8>, original: String, strict: Bool
    ) -> Result<[String], DomainNameError> {
        if bytes.count > Self.maximumNameLength {
            return .failure(DomainNameError(.nameTooLong(bytes.count), name: original, offset: Self.maximumNameLength))
        }
        var labels: [String] = []
        labels.reserveCapacity(bytes.reduce(1) { $1 == UInt8(ascii: ".") ? $0 + 1 : $0 })
        var start = 0
        var index = 0
        while index <= bytes.count {
            if index == bytes.count || bytes[index] == UInt8(ascii: ".") {
                let label = bytes[start..<index]
                if label.isEmpty { return .failure(DomainNameError(.emptyLabel, name: original, offset: start)) }
                if label.count > Self.maximumLabelLength {
                    return .failure(DomainNameError(.labelTooLong(label.count), name: original, offset: start))
                }
                if strict, let error = Self.hostLabelError(label, name: original) {
                    return .failure(error)
                }
                labels.append(String(decoding: label, as: UTF8.self))
                start = index + 1
            }
            index += 1
        }
        return .success(labels)
    }

    /// Why `label` (a slice of the name's octets, so its indices are offsets in the name) is not
    /// an LDH-or-underscore label; `nil` if it is one.
    private static func hostLabelError(_ label: Slice<UnsafeBufferPointer<UInt8>>, name: String) -> DomainNameError? {
        let underscore = label.first == UInt8(ascii: "_")
        for offset in label.indices {
            let byte = label[offset]
            let isLetterOrDigit =
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
            if isLetterOrDigit || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_") { continue }
            if byte >= 0x80 {
                return DomainNameError(.nonASCII, name: name, offset: offset)
            }
            return DomainNameError(.invalidCharacter(Character(Unicode.Scalar(byte))), name: name, offset: offset)
        }
        if !underscore, label.first == UInt8(ascii: "-") {
            return DomainNameError(.hyphenAtLabelEdge, name: name, offset: label.startIndex)
        }
        if !underscore, label.last == UInt8(ascii: "-") {
            return DomainNameError(.hyphenAtLabelEdge, name: name, offset: label.endIndex - 1)
        }
        return nil
    }

    static func asciiLowercased(_ label: String) -> String {
        // Most names arrive in lower case: then the label is shared, not copied.
        guard label.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) else { return label }
        var bytes = Array(label.utf8)
        for index in bytes.indices where bytes[index] >= 0x41 && bytes[index] <= 0x5A { bytes[index] |= 0x20 }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The name without a trailing dot (`example.com`); the root is `.`.
    public var description: String { labels.isEmpty ? "." : labels.joined(separator: ".") }

    /// The fully qualified form with a trailing dot (`example.com.`).
    public var fullyQualified: String { labels.isEmpty ? "." : labels.joined(separator: ".") + "." }

    /// The name lower-cased (ASCII), for display in canonical form.
    public var lowercased: DomainName { DomainName(uncheckedLabels: key) }

    /// Whether this is the root name.
    public var isRoot: Bool { labels.isEmpty }

    /// The name with the leftmost label removed; `nil` for the root.
    public var parent: DomainName? {
        labels.isEmpty ? nil : DomainName(uncheckedLabels: Array(labels.dropFirst()))
    }

    /// The rightmost `count` labels (`count` ≥ the label count gives the name itself).
    public func suffix(labels count: Int) -> DomainName {
        DomainName(uncheckedLabels: Array(labels.suffix(count)))
    }

    /// Whether `self` equals `other` or lies beneath it (`a.example.com` is under `example.com`).
    public func isSubdomain(of other: DomainName) -> Bool {
        key.count >= other.key.count && key[(key.count - other.key.count)...].elementsEqual(other.key, by: Self.sameOctets)
    }

    /// The name with `label` (which may contain dots) prepended, checked as a DNS name.
    public func prepending(_ label: some StringProtocol) throws(DomainNameError) -> DomainName {
        if labels.isEmpty { return try DomainName(dnsName: label) }
        // The new labels are checked with the same length rules as `init(dnsName:)`; this name's
        // labels are already valid, so nothing is written out and parsed again.
        let added = String(label).split(separator: Character("."), omittingEmptySubsequences: false).map(String.init)
        return try DomainName(labels: added + labels)
    }

    /// Names compare by their octets, ASCII letters case-insensitively (RFC 4343 §3): two labels
    /// that render alike in Unicode (NFC and NFD "é") are different labels.
    public static func == (lhs: DomainName, rhs: DomainName) -> Bool {
        lhs.key.count == rhs.key.count && zip(lhs.key, rhs.key).allSatisfy { Self.sameOctets($0, $1) }
    }

    /// Hashes the octets that ``==`` compares, in one pass over each label's memory.
    public func hash(into hasher: inout Hasher) {
        hasher.combine(key.count)
        for label in key {
            var label = label
            hasher.combine(label.utf8.count)
            label.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        }
    }

    private static func sameOctets(_ a: String, _ b: String) -> Bool {
        a.utf8.count == b.utf8.count && a.utf8.elementsEqual(b.utf8)
    }

    /// Canonical DNS order (RFC 4034 §6.1): by labels from the right, case-insensitively.
    public static func < (lhs: DomainName, rhs: DomainName) -> Bool {
        for (a, b) in zip(lhs.key.reversed(), rhs.key.reversed()) where !sameOctets(a, b) {
            return a.utf8.lexicographicallyPrecedes(b.utf8)
        }
        return lhs.key.count < rhs.key.count
    }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        do { self = try DomainName(dnsName: text) } catch {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "\(error)"))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// Why a string is not a valid domain name, and where.
public struct DomainNameError: Error, Sendable, Hashable, CustomStringConvertible {
    /// What is wrong.
    public enum Reason: Sendable, Hashable {
        case empty
        case emptyLabel
        case labelTooLong(Int)
        case nameTooLong(Int)
        case invalidCharacter(Character)
        case nonASCII
        case hyphenAtLabelEdge
    }

    public let reason: Reason
    /// The text that was rejected.
    public let name: String
    /// Byte offset of the problem in ``name``.
    public let offset: Int

    public init(_ reason: Reason, name: String, offset: Int) {
        self.reason = reason
        self.name = name
        self.offset = offset
    }

    public var description: String {
        let what: String
        switch reason {
        case .empty: what = "the name is empty"
        case .emptyLabel: what = "empty label (two dots in a row, or a leading dot)"
        case .labelTooLong(let n): what = "label of \(n) octets exceeds \(DomainName.maximumLabelLength)"
        case .nameTooLong(let n): what = "name of \(n) octets exceeds \(DomainName.maximumNameLength)"
        case .invalidCharacter(let c):
            what = "character \(c.debugDescription) is not allowed in a host name (letters, digits, '-', '_')"
        case .nonASCII: what = "non-ASCII character; write an internationalized name as its A-label (xn--…)"
        case .hyphenAtLabelEdge: what = "a label may not start or end with '-'"
        }
        return "invalid domain name \(name.debugDescription) at offset \(offset): \(what)"
    }
}
