import DNSCore
import Foundation

/// The Public Suffix List (https://publicsuffix.org/list/), which RFC 7489 §3.2 uses to find an
/// Organizational Domain. RFC 9989 replaces it with the DNS tree walk; it is kept for the RFC 7489
/// view of a domain.
///
/// Rules follow the list's format: one rule per line, `//` comments, wildcards (`*.ck`) and
/// exceptions (`!www.ck`); the ICANN and private sections are both read, and each rule knows which
/// it came from. Internationalized rules are stored in both their Unicode and A-label (Punycode,
/// RFC 3492) forms, so `食狮.公司.cn` and `xn--85x722f.xn--55qx5d.cn` both work. Matching is a
/// dictionary lookup per label suffix, built once.
public struct PublicSuffixList: Sendable {
    /// Where the list came from (`bundled`, or a file path).
    public let source: String
    /// How many rules were read (Unicode and A-label forms of one rule count once).
    public let ruleCount: Int
    private let rules: [String: Rule]

    /// What a rule says about a name.
    private struct Rule: Sendable {
        var normal = false
        /// `*.<this name>` is a rule.
        var wildcardBelow = false
        /// `!<this name>` is a rule.
        var exception = false
        var isPrivate = false
    }

    /// The list's section a rule belongs to.
    public enum Section: String, Sendable, Hashable, Codable {
        case icann
        case `private`
    }

    /// Reads a list in the publicsuffix.org format.
    ///
    /// - Parameter includePrivate: also use the rules between `===BEGIN PRIVATE DOMAINS===` and
    ///   `===END PRIVATE DOMAINS===` (as browsers and most DMARC implementations do).
    public init(parsing text: String, source: String = "text", includePrivate: Bool = true) {
        var rules: [String: Rule] = [:]
        var count = 0
        var inPrivate = false
        // Read at the byte level: the list has about 10,000 lines and every audit loads it, so
        // Character-level splitting and trimming were most of a one-domain audit's start-up.
        let bytes = Array(text.utf8)
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0B || byte == 0x0C }
        var lineStart = 0
        while lineStart < bytes.count {
            var lineEnd = lineStart
            while lineEnd < bytes.count && bytes[lineEnd] != 0x0A { lineEnd += 1 }
            defer { lineStart = lineEnd + 1 }
            var first = lineStart
            while first < lineEnd && isSpace(bytes[first]) { first += 1 }
            guard first < lineEnd else { continue }
            if lineEnd - first >= 2 && bytes[first] == UInt8(ascii: "/") && bytes[first + 1] == UInt8(ascii: "/") {
                let comment = String(decoding: bytes[first..<lineEnd], as: UTF8.self)
                if comment.contains("===BEGIN PRIVATE DOMAINS===") { inPrivate = true }
                if comment.contains("===END PRIVATE DOMAINS===") { inPrivate = false }
                continue
            }
            guard includePrivate || !inPrivate else { continue }
            // A rule ends at the first whitespace (the format's definition).
            var end = first
            while end < lineEnd && !isSpace(bytes[end]) { end += 1 }
            var ruleStart = first
            var exception = false
            var wildcard = false
            if bytes[ruleStart] == UInt8(ascii: "!") {
                exception = true
                ruleStart += 1
            } else if end - ruleStart >= 2 && bytes[ruleStart] == UInt8(ascii: "*") && bytes[ruleStart + 1] == UInt8(ascii: ".") {
                wildcard = true
                ruleStart += 2
            }
            guard ruleStart < end else { continue }
            count += 1
            let ruleBytes = bytes[ruleStart..<end]
            let forms: [String]
            if ruleBytes.allSatisfy({ $0 < 0x80 }) {
                // An ASCII rule is its own A-label form.
                forms = [String(decoding: ruleBytes.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)]
            } else {
                forms = Self.forms(of: String(decoding: ruleBytes, as: UTF8.self).lowercased())
            }
            for form in forms {
                var entry = rules[form] ?? Rule()
                if exception { entry.exception = true } else if wildcard { entry.wildcardBelow = true } else { entry.normal = true }
                entry.isPrivate = entry.isPrivate || inPrivate
                rules[form] = entry
            }
        }
        self.rules = rules
        self.ruleCount = count
        self.source = source
    }

    /// Reads a list from a file, such as a fresh copy downloaded from
    /// https://publicsuffix.org/list/public_suffix_list.dat (the way to refresh the list).
    public init(contentsOfFile path: String, includePrivate: Bool = true) throws {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        self.init(parsing: text, source: path, includePrivate: includePrivate)
    }

    /// The copy bundled with this package (`Resources/public_suffix_list.dat`).
    public static let bundled: PublicSuffixList = {
        guard let url = Bundle.module.url(forResource: "public_suffix_list", withExtension: "dat"),
              let text = try? String(contentsOf: url, encoding: .utf8)
        else { return PublicSuffixList(parsing: "", source: "bundled (missing)") }
        return PublicSuffixList(parsing: text, source: "bundled")
    }()

    /// Where Debian's `publicsuffix` package installs the list.
    public static let systemPath = "/usr/share/publicsuffix/public_suffix_list.dat"

    /// The system copy at ``systemPath``, or `nil` when there is none.
    public static func system() -> PublicSuffixList? {
        try? PublicSuffixList(contentsOfFile: systemPath)
    }

    /// The Unicode and A-label forms of a rule.
    private static func forms(of rule: String) -> [String] {
        var labels: [String] = []
        for label in rule.split(separator: ".", omittingEmptySubsequences: false) {
            guard let ascii = Punycode.toASCII(label: label) else { return [rule] }
            labels.append(ascii)
        }
        let aLabel = labels.joined(separator: ".")
        return aLabel == rule ? [rule] : [rule, aLabel]
    }

    /// The public suffix of `name` under the list's algorithm: the longest matching rule, an
    /// exception winning and giving up its leftmost label, and `*` when nothing matches.
    ///
    /// - Returns: the suffix and the section of the rule that set it (`nil` for the implicit `*`);
    ///   `nil` for an empty name or one with an empty label (a leading dot).
    public func publicSuffix(of name: String) -> (suffix: String, section: Section?)? {
        guard let labels = Self.labels(of: name) else { return nil }
        guard let (count, rule) = suffixLength(labels) else { return nil }
        return (labels.suffix(count).joined(separator: "."), rule.map { $0.isPrivate ? .private : .icann })
    }

    /// The registrable domain of `name`: its public suffix plus one label (RFC 7489 §3.2 steps 3–4),
    /// lower-cased; `nil` when `name` is itself a public suffix, empty, or has an empty label.
    public func registrableDomain(of name: String) -> String? {
        guard let labels = Self.labels(of: name), let (count, _) = suffixLength(labels), labels.count > count else {
            return nil
        }
        return labels.suffix(count + 1).joined(separator: ".")
    }

    /// The RFC 7489 Organizational Domain of `name` (§3.2): the registrable domain, or the name
    /// itself when it is a public suffix.
    public func organizationalDomain(of name: DomainName) -> DomainName {
        guard let registrable = registrableDomain(of: name.description),
              let domain = try? DomainName(dnsName: registrable)
        else { return name.lowercased }
        return domain
    }

    private static func labels(of name: String) -> [String]? {
        var text = name
        if text.hasSuffix(".") { text.removeLast() }
        guard !text.isEmpty else { return nil }
        let labels = text.split(separator: ".", omittingEmptySubsequences: false).map { $0.lowercased() }
        guard labels.allSatisfy({ !$0.isEmpty }) else { return nil }
        return labels
    }

    /// How many rightmost labels form the public suffix, and the rule that decided it.
    private func suffixLength(_ labels: [String]) -> (Int, Rule?)? {
        var longest: (Int, Rule?) = (1, nil)  // the implicit "*" rule
        var exceptionMatch: (Int, Rule)?
        var suffix = ""
        for count in 1...labels.count {
            let label = labels[labels.count - count]
            let parent = suffix
            suffix = count == 1 ? label : label + "." + suffix
            if let rule = rules[suffix] {
                if rule.exception { exceptionMatch = (count, rule) }
                if rule.normal, count >= longest.0 { longest = (count, rule) }
            }
            if count > 1, let rule = rules[parent], rule.wildcardBelow, count >= longest.0 {
                longest = (count, rule)
            }
        }
        if let (count, rule) = exceptionMatch { return (count - 1, rule) }
        return longest
    }
}
