import DNSCore
import MailAuthCore

extension SPFRecord {
    /// The version section every SPF record starts with (RFC 7208 §4.5), compared case-insensitively.
    public static let versionTag = "v=spf1"

    /// Whether a TXT string (joined, as bytes) is an SPF record: it starts with `v=spf1`
    /// (any case) followed by a space or the end (RFC 7208 §4.5). Others are not SPF and are
    /// ignored during record selection.
    public static func isSPFRecord(_ bytes: some Collection<UInt8>) -> Bool {
        let version = versionTag.utf8
        guard bytes.count >= version.count else { return false }
        var index = bytes.startIndex
        for expected in version {
            let byte = bytes[index]
            let lowered = (byte >= 0x41 && byte <= 0x5A) ? byte | 0x20 : byte
            if lowered != expected { return false }
            index = bytes.index(after: index)
        }
        return index == bytes.endIndex || bytes[index] == 0x20
    }

    /// Parses an SPF record (RFC 7208 §4.5, §12).
    ///
    /// ```
    /// record    = version terms *SP
    /// version   = "v=spf1"
    /// terms     = *( 1*SP ( directive / modifier ) )
    /// directive = [ qualifier ] mechanism
    /// modifier  = redirect / explanation / unknown-modifier
    /// ```
    ///
    /// Any error anywhere in the record is a syntax error (check_host() gives `permerror`, §4.6).
    /// Terms are separated by spaces only (§4.6.1); a control character, non-ASCII byte, unknown
    /// mechanism, CIDR length out of range or a second `redirect=`/`exp=` is an error.
    ///
    /// - Throws: ``SyntaxError`` with the byte offset and the offending term.
    public static func parse(_ text: String) throws(SyntaxError) -> SPFRecord {
        try parse(bytes: Array(text.utf8))
    }

    /// Parses record bytes exactly as received; non-ASCII bytes are an error (RFC 7208 §3.1 requires
    /// US-ASCII). Invalid UTF-8 is shown as U+FFFD in ``SyntaxError/input``.
    public static func parse(bytes: [UInt8]) throws(SyntaxError) -> SPFRecord {
        let text = String(decoding: bytes, as: UTF8.self)
        var parser = RecordParser(bytes: bytes, input: text)
        return try parser.parseRecord()
    }
}

/// The hand-written parser behind ``SPFRecord/parse(_:)``: a cursor over bytes.
struct RecordParser {
    let bytes: [UInt8]
    let input: String

    /// A record longer than this is refused rather than scanned (DNS answers cannot be this long).
    static let maximumRecordLength = 65_535

    func error(_ offset: Int, _ message: String, term: Range<Int>? = nil) -> SyntaxError {
        let termText = term.map { String(decoding: bytes[$0], as: UTF8.self) }
        return SyntaxError(offset: offset, term: termText, message: message, input: input)
    }

    mutating func parseRecord() throws(SyntaxError) -> SPFRecord {
        if bytes.count > Self.maximumRecordLength {
            throw error(Self.maximumRecordLength, "record longer than \(Self.maximumRecordLength) bytes")
        }
        guard SPFRecord.isSPFRecord(bytes) else {
            throw error(0, "an SPF record starts with \"v=spf1\" followed by a space or the end")
        }
        if let bad = bytes.firstIndex(where: { $0 >= 0x80 }) {
            throw error(bad, "non-ASCII byte 0x\(String(bytes[bad], radix: 16, uppercase: true)); SPF records are US-ASCII (RFC 7208 §3.1)",
                        term: termRange(around: bad))
        }
        var terms: [SPFTerm] = []
        // At most one term per space-separated word: one allocation.
        terms.reserveCapacity(bytes.reduce(0) { $1 == 0x20 ? $0 + 1 : $0 })
        var index = SPFRecord.versionTag.utf8.count
        var seenRedirect = false
        var seenExplanation = false
        while index < bytes.count {
            guard bytes[index] == 0x20 else {
                throw error(index, "\(ASCII.describe(bytes[index])) where a space was expected; terms are separated by spaces", term: termRange(around: index))
            }
            while index < bytes.count, bytes[index] == 0x20 { index += 1 }
            if index == bytes.count { break }
            var end = index
            while end < bytes.count, bytes[end] != 0x20 { end += 1 }
            let term = try parseTerm(index..<end)
            if case .modifier(let modifier) = term {
                if modifier.kind == .redirect {
                    if seenRedirect { throw error(index, "a second redirect= modifier (RFC 7208 §6)", term: index..<end) }
                    seenRedirect = true
                } else if modifier.kind == .explanation {
                    if seenExplanation { throw error(index, "a second exp= modifier (RFC 7208 §6)", term: index..<end) }
                    seenExplanation = true
                }
            }
            terms.append(term)
            index = end
        }
        return SPFRecord(text: input, terms: terms)
    }

    func termRange(around offset: Int) -> Range<Int> {
        var lower = offset
        while lower > 0, bytes[lower - 1] != 0x20 { lower -= 1 }
        var upper = offset
        while upper < bytes.count, bytes[upper] != 0x20 { upper += 1 }
        return lower..<upper
    }


    /// ```
    /// directive        = [ qualifier ] mechanism
    /// qualifier        = "+" / "-" / "?" / "~"
    /// unknown-modifier = name "=" macro-string
    /// name             = ALPHA *( ALPHA / DIGIT / "-" / "_" / "." )
    /// ```
    func parseTerm(_ range: Range<Int>) throws(SyntaxError) -> SPFTerm {
        let text = String(decoding: bytes[range], as: UTF8.self)
        var index = range.lowerBound
        var qualifier = SPFQualifier.pass
        var qualifierWritten = false
        let written: SPFQualifier? = switch bytes[index] {
        case UInt8(ascii: "+"): .pass
        case UInt8(ascii: "-"): .fail
        case UInt8(ascii: "~"): .softfail
        case UInt8(ascii: "?"): .neutral
        default: nil
        }
        if let written {
            qualifier = written
            qualifierWritten = true
            index += 1
        }
        let nameStart = index
        while index < range.upperBound {
            let byte = bytes[index]
            guard ASCII.isAlpha(byte) || ASCII.isDigit(byte) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")
                || byte == UInt8(ascii: ".")
            else { break }
            index += 1
        }
        let name = String(decoding: bytes[nameStart..<index], as: UTF8.self)
        // The name is ASCII (the loop above stops at anything else): lower-cased byte by byte,
        // without String.lowercased()'s Unicode tables.
        let lowered = name.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A })
            ? String(decoding: bytes[nameStart..<index].map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
            : name

        if index < range.upperBound, bytes[index] == UInt8(ascii: "=") {
            if qualifierWritten { throw error(range.lowerBound, "a modifier takes no qualifier", term: range) }
            guard let first = bytes[nameStart..<index].first, ASCII.isAlpha(first) else {
                throw error(nameStart, "a modifier name must start with a letter", term: range)
            }
            let valueRange = (index + 1)..<range.upperBound
            let kind: SPFModifier.Kind = lowered == "redirect" ? .redirect : lowered == "exp" ? .explanation : .unknown
            let value: MacroString
            if kind == .unknown {
                value = try MacroString.parse(bytes, valueRange, context: .term, input: input, term: range)
            } else {
                value = try parseDomainSpec(valueRange, term: range)
            }
            return .modifier(SPFModifier(kind: kind, name: name, value: value, text: text, offset: range.lowerBound))
        }

        let rest = index..<range.upperBound
        let mechanism: SPFMechanism
        switch lowered {
        case "all":
            guard rest.isEmpty else { throw error(rest.lowerBound, "\"all\" takes no argument", term: range) }
            mechanism = .all
        case "include":
            mechanism = .include(try parseDomainSpec(try requiredArgument(rest, term: range), term: range))
        case "exists":
            mechanism = .exists(try parseDomainSpec(try requiredArgument(rest, term: range), term: range))
        case "a", "mx":
            var spec: MacroString? = nil
            var cidr = DualCIDR()
            if !rest.isEmpty {
                let first = bytes[rest.lowerBound]
                if first == UInt8(ascii: ":") {
                    let (domainEnd, dual) = try splitDualCIDR((rest.lowerBound + 1)..<rest.upperBound, term: range)
                    spec = try parseDomainSpec((rest.lowerBound + 1)..<domainEnd, term: range)
                    cidr = dual
                } else if first == UInt8(ascii: "/") {
                    let (domainEnd, dual) = try splitDualCIDR(rest, term: range)
                    guard domainEnd == rest.lowerBound else {
                        throw error(rest.lowerBound, "malformed CIDR length", term: range)
                    }
                    cidr = dual
                } else {
                    throw error(rest.lowerBound, "expected ':' or '/' after \"\(lowered)\"", term: range)
                }
            }
            mechanism = lowered == "a" ? .a(spec, cidr) : .mx(spec, cidr)
        case "ptr":
            var spec: MacroString? = nil
            if !rest.isEmpty {
                guard bytes[rest.lowerBound] == UInt8(ascii: ":") else {
                    throw error(rest.lowerBound, "expected ':' after \"ptr\"", term: range)
                }
                spec = try parseDomainSpec((rest.lowerBound + 1)..<rest.upperBound, term: range)
            }
            mechanism = .ptr(spec)
        case "ip4", "ip6":
            let argument = try requiredArgument(rest, term: range)
            var addressEnd = argument.upperBound
            var length: Int? = nil
            if let slash = bytes[argument].lastIndex(of: UInt8(ascii: "/")) {
                length = try parseCIDRLength((slash + 1)..<argument.upperBound, maximum: lowered == "ip4" ? 32 : 128, term: range)
                addressEnd = slash
            }
            let addressText = String(decoding: bytes[argument.lowerBound..<addressEnd], as: UTF8.self)
            if lowered == "ip4" {
                guard let address = IPv4Address(addressText) else {
                    throw error(argument.lowerBound, "\(addressText.debugDescription) is not an IPv4 address (dotted quad, no leading zeros)", term: range)
                }
                mechanism = .ip4(IPNetwork(.v4(address), prefixLength: length ?? 32)!)
            } else {
                guard let address = IPv6Address(addressText) else {
                    throw error(argument.lowerBound, "\(addressText.debugDescription) is not an IPv6 address", term: range)
                }
                mechanism = .ip6(IPNetwork(.v6(address), prefixLength: length ?? 128)!)
            }
        default:
            let message: String
            if name.isEmpty {
                message = "expected a mechanism or modifier"
            } else if let suggestion = SPFRecord.suggestion(for: lowered) {
                message = "unknown mechanism \"\(name)\"; did you mean \"\(suggestion)\"?"
            } else {
                message = "unknown mechanism \"\(name)\""
            }
            throw error(nameStart, message, term: range)
        }
        return .directive(SPFDirective(
            qualifier: qualifier, qualifierWritten: qualifierWritten, mechanism: mechanism, text: text,
            offset: range.lowerBound))
    }

    /// The range after a required `:`, which must not be empty.
    func requiredArgument(_ rest: Range<Int>, term: Range<Int>) throws(SyntaxError) -> Range<Int> {
        guard !rest.isEmpty, bytes[rest.lowerBound] == UInt8(ascii: ":") else {
            throw error(rest.lowerBound, "expected ':' and an argument", term: term)
        }
        guard rest.count > 1 else {
            let name = String(decoding: bytes[term], as: UTF8.self)
            throw error(rest.upperBound, "\(name.debugDescription) has an empty argument", term: term)
        }
        return (rest.lowerBound + 1)..<rest.upperBound
    }

    /// ```
    /// dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ]
    /// ip4-cidr-length  = "/" ("0" / %x31-39 0*1DIGIT) ; value range 0-32
    /// ip6-cidr-length  = "/" ("0" / %x31-39 0*2DIGIT) ; value range 0-128
    /// ```
    /// Returns where the domain-spec ends and the lengths found after it.
    func splitDualCIDR(_ range: Range<Int>, term: Range<Int>) throws(SyntaxError) -> (Int, DualCIDR) {
        var end = range.upperBound
        var dual = DualCIDR()
        func trailingDigitsStart(_ end: Int) -> Int {
            var start = end
            while start > range.lowerBound, ASCII.isDigit(bytes[start - 1]) { start -= 1 }
            return start
        }
        var digits = trailingDigitsStart(end)
        if digits < end, digits - 2 >= range.lowerBound, bytes[digits - 1] == UInt8(ascii: "/"),
            bytes[digits - 2] == UInt8(ascii: "/")
        {
            dual.ipv6 = try parseCIDRLength(digits..<end, maximum: 128, term: term)
            end = digits - 2
            digits = trailingDigitsStart(end)
        }
        if digits < end, digits - 1 >= range.lowerBound, bytes[digits - 1] == UInt8(ascii: "/") {
            dual.ipv4 = try parseCIDRLength(digits..<end, maximum: 32, term: term)
            end = digits - 1
        }
        return (end, dual)
    }

    func parseCIDRLength(_ range: Range<Int>, maximum: Int, term: Range<Int>) throws(SyntaxError) -> Int {
        guard !range.isEmpty, bytes[range].allSatisfy(ASCII.isDigit) else {
            throw error(range.lowerBound, "a CIDR length must be a decimal number", term: term)
        }
        guard range.count == 1 || bytes[range.lowerBound] != UInt8(ascii: "0") else {
            throw error(range.lowerBound, "a CIDR length has no leading zeros", term: term)
        }
        guard range.count <= 3, let value = Int(String(decoding: bytes[range], as: UTF8.self)), value <= maximum else {
            throw error(range.lowerBound, "CIDR length \(String(decoding: bytes[range], as: UTF8.self)) exceeds \(maximum)", term: term)
        }
        return value
    }

    /// ```
    /// domain-spec = macro-string domain-end
    /// domain-end  = ( "." toplabel [ "." ] ) / macro-expand
    /// toplabel    = ( *alphanum ALPHA *alphanum ) / ( 1*alphanum "-" *( alphanum / "-" ) alphanum )
    /// ```
    func parseDomainSpec(_ range: Range<Int>, term: Range<Int>) throws(SyntaxError) -> MacroString {
        guard !range.isEmpty else { throw error(range.lowerBound, "empty domain-spec", term: term) }
        let spec = try MacroString.parse(bytes, range, context: .term, input: input, term: term)
        if case .macro = spec.parts.last, bytes[range.upperBound - 1] == UInt8(ascii: "}") { return spec }
        // The literal tail must end in "." toplabel [ "." ].
        var end = range.upperBound
        if bytes[end - 1] == UInt8(ascii: ".") { end -= 1 }
        var start = end
        while start > range.lowerBound, bytes[start - 1] != UInt8(ascii: "."), bytes[start - 1] != UInt8(ascii: "}") {
            start -= 1
        }
        let hasDot = start > range.lowerBound && bytes[start - 1] == UInt8(ascii: ".")
        let label = bytes[start..<end]
        guard hasDot, Self.isTopLabel(label) else {
            let shown = String(decoding: label, as: UTF8.self)
            let why = hasDot ? "\(shown.debugDescription) is not a valid top-level label"
                : "a domain-spec must end in '.' and a top-level label, or in a macro"
            throw error(start, why, term: term)
        }
        return spec
    }

    static func isTopLabel(_ label: ArraySlice<UInt8>) -> Bool {
        guard let first = label.first, let last = label.last else { return false }
        let alnum: (UInt8) -> Bool = { ASCII.isAlpha($0) || ASCII.isDigit($0) }
        guard label.allSatisfy({ alnum($0) || $0 == UInt8(ascii: "-") }), alnum(first), alnum(last) else { return false }
        return label.contains(where: ASCII.isAlpha) || label.contains(UInt8(ascii: "-"))
    }
}

extension SPFRecord {
    /// Known mechanism and modifier names, for "did you mean" hints.
    static let knownNames = ["all", "include", "a", "mx", "ptr", "ip4", "ip6", "exists", "redirect", "exp"]
    /// Common misspellings that edit distance alone would not catch.
    static let knownMisspellings = ["ipv4": "ip4", "ipv6": "ip6", "ip": "ip4", "exist": "exists", "includes": "include"]

    /// The known name a misspelt one most likely meant, or `nil`.
    static func suggestion(for name: String) -> String? {
        let lowered = name.lowercased()
        if knownNames.contains(lowered) { return nil }
        if let known = knownMisspellings[lowered] { return known }
        guard lowered.count >= 3 else { return nil }
        let candidates = knownNames.filter { $0.count >= 3 }
        let scored = candidates.map { ($0, EditDistance.between(lowered, $0)) }.filter { $0.1 > 0 && $0.1 <= ($0.0.count > 4 ? 2 : 1) }
        return scored.min { $0.1 < $1.1 }?.0
    }
}

/// Records already parsed, by their bytes. A bulk audit meets the same provider records
/// (`_spf.google.com`, an ESP's include tree) in domain after domain; parsing is pure, so the
/// result can be shared. Bounded: when full it starts over.
package enum SPFRecordCache {
    static let capacity = 512
    private static let parsed = LockedState<[Key: Result<SPFRecord, SyntaxError>]>([:])

    /// A record's bytes, hashed once, in one pass over their memory (an array of bytes hashes
    /// each element separately, which made the lookup cost as much as the parse); a miss looks
    /// the key up and then stores it, and both use the hash taken here.
    struct Key: Hashable {
        let bytes: [UInt8]
        private let hashCode: Int

        init(bytes: [UInt8]) {
            self.bytes = bytes
            var hasher = Hasher()
            bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
            hashCode = hasher.finalize()
        }

        static func == (lhs: Key, rhs: Key) -> Bool { lhs.hashCode == rhs.hashCode && lhs.bytes == rhs.bytes }

        func hash(into hasher: inout Hasher) { hasher.combine(hashCode) }
    }

    package static func parse(bytes: [UInt8]) throws(SyntaxError) -> SPFRecord {
        let key = Key(bytes: bytes)
        if let known = parsed.withLock({ $0[key] }) { return try known.get() }
        let result: Result<SPFRecord, SyntaxError>
        do throws(SyntaxError) { result = .success(try SPFRecord.parse(bytes: bytes)) } catch { result = .failure(error) }
        parsed.withLock { table in
            if table.count >= capacity { table.removeAll(keepingCapacity: true) }
            table[key] = result
        }
        return try result.get()
    }

    /// Records held now (for tests).
    static var count: Int { parsed.withLock { $0.count } }
}
