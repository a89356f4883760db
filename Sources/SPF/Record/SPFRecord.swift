import DNSCore
import MailAuthCore

/// A parsed SPF record (RFC 7208 §4.5, §12): the directives in order, the `redirect=` and
/// `exp=` modifiers, and any unknown modifiers (kept, not rejected: RFC 7208 §6).
///
/// Make one with ``parse(_:)``; every term keeps its text and byte offset so a report can point
/// at it.
public struct SPFRecord: Sendable, Hashable {
    /// The record text as published (the TXT strings joined with nothing between them, §3.3).
    public var text: String
    /// Every term in the order written.
    public var terms: [SPFTerm]

    public init(text: String, terms: [SPFTerm]) {
        self.text = text
        self.terms = terms
    }

    /// The mechanisms with their qualifiers, in order (RFC 7208 §4.6.2).
    public var directives: [SPFDirective] {
        terms.compactMap { if case .directive(let directive) = $0 { directive } else { nil } }
    }

    /// Every modifier, known or not, in order.
    public var modifiers: [SPFModifier] {
        terms.compactMap { if case .modifier(let modifier) = $0 { modifier } else { nil } }
    }

    /// `redirect=`: the domain whose record applies when no mechanism matches (RFC 7208 §6.1).
    public var redirect: SPFModifier? { modifiers.first { $0.kind == .redirect } }

    /// `exp=`: where to find the explanation for a `fail` result (RFC 7208 §6.2).
    public var explanation: SPFModifier? { modifiers.first { $0.kind == .explanation } }

    /// Modifiers other than `redirect` and `exp`, which evaluation ignores (RFC 7208 §6).
    public var unknownModifiers: [SPFModifier] { modifiers.filter { $0.kind == .unknown } }
}

/// One term of a record: a directive or a modifier (RFC 7208 §4.6.1).
public enum SPFTerm: Sendable, Hashable {
    case directive(SPFDirective)
    case modifier(SPFModifier)

    /// The term as written.
    public var text: String {
        switch self {
        case .directive(let directive): directive.text
        case .modifier(let modifier): modifier.text
        }
    }

    /// Byte offset of the term in the record.
    public var offset: Int {
        switch self {
        case .directive(let directive): directive.offset
        case .modifier(let modifier): modifier.offset
        }
    }
}

/// The result a matching mechanism gives (RFC 7208 §4.6.2). Absent means `+`.
public enum SPFQualifier: String, Sendable, Hashable, Codable, CaseIterable {
    case pass = "+"
    case fail = "-"
    case softfail = "~"
    case neutral = "?"

    /// The check_host() result this qualifier produces on a match.
    public var result: SPFResult {
        switch self {
        case .pass: .pass
        case .fail: .fail
        case .softfail: .softfail
        case .neutral: .neutral
        }
    }
}

/// A qualifier and a mechanism: `-all`, `include:_spf.example.com`, `ip4:192.0.2.0/24`.
public struct SPFDirective: Sendable, Hashable {
    public var qualifier: SPFQualifier
    /// Whether the qualifier was written (`+all`) rather than implied (`all`).
    public var qualifierWritten: Bool
    public var mechanism: SPFMechanism
    /// The term as written.
    public var text: String
    /// Byte offset of the term in the record.
    public var offset: Int

    public init(qualifier: SPFQualifier, qualifierWritten: Bool, mechanism: SPFMechanism, text: String, offset: Int) {
        self.qualifier = qualifier
        self.qualifierWritten = qualifierWritten
        self.mechanism = mechanism
        self.text = text
        self.offset = offset
    }
}

/// The prefix lengths of `a` and `mx`: `a/24//64` (RFC 7208 §5.6). `nil` means a full-length match.
public struct DualCIDR: Sendable, Hashable, Codable {
    /// `/n` for IPv4 (0–32).
    public var ipv4: Int?
    /// `//n` for IPv6 (0–128).
    public var ipv6: Int?

    public init(ipv4: Int? = nil, ipv6: Int? = nil) {
        self.ipv4 = ipv4
        self.ipv6 = ipv6
    }

    /// The prefix length for an address family: the written one, or the full width.
    public func length(for address: IPAddress) -> Int {
        switch address {
        case .v4: ipv4 ?? 32
        case .v6: ipv6 ?? 128
        }
    }

    var suffix: String {
        (ipv4.map { "/\($0)" } ?? "") + (ipv6.map { "//\($0)" } ?? "")
    }
}

/// A mechanism (RFC 7208 §5). Domain arguments are macro strings, expanded at evaluation.
public enum SPFMechanism: Sendable, Hashable {
    /// `all`: always matches (§5.1).
    case all
    /// `include:<domain-spec>`: matches when the target's record passes (§5.2).
    case include(MacroString)
    /// `a[:<domain-spec>][cidr]`: matches an address of the target (§5.3). `nil` means `<domain>`.
    case a(MacroString?, DualCIDR)
    /// `mx[:<domain-spec>][cidr]`: matches an address of the target's mail exchangers (§5.4).
    case mx(MacroString?, DualCIDR)
    /// `ptr[:<domain-spec>]`: matches a validated reverse name (§5.5). Deprecated.
    case ptr(MacroString?)
    /// `ip4:<network>` (§5.6).
    case ip4(IPNetwork)
    /// `ip6:<network>` (§5.6).
    case ip6(IPNetwork)
    /// `exists:<domain-spec>`: matches when the name has an A record (§5.7).
    case exists(MacroString)

    /// The mechanism's name, lower case.
    public var name: String {
        switch self {
        case .all: "all"
        case .include: "include"
        case .a: "a"
        case .mx: "mx"
        case .ptr: "ptr"
        case .ip4: "ip4"
        case .ip6: "ip6"
        case .exists: "exists"
        }
    }

    /// Whether evaluating it queries DNS, so it counts toward the limit of
    /// ``SPFLimits/maximumDNSMechanisms`` (RFC 7208 §4.6.4).
    public var queriesDNS: Bool {
        switch self {
        case .all, .ip4, .ip6: false
        case .include, .a, .mx, .ptr, .exists: true
        }
    }

    /// The domain-spec argument, if one was written.
    public var domainSpec: MacroString? {
        switch self {
        case .include(let spec), .exists(let spec): spec
        case .a(let spec, _), .mx(let spec, _), .ptr(let spec): spec
        case .all, .ip4, .ip6: nil
        }
    }
}

/// A `name=value` modifier (RFC 7208 §6).
public struct SPFModifier: Sendable, Hashable {
    /// Which modifier this is.
    public enum Kind: String, Sendable, Hashable, Codable {
        /// `redirect=` (§6.1).
        case redirect
        /// `exp=` (§6.2).
        case explanation
        /// Any other name, kept and ignored (§6).
        case unknown
    }

    public var kind: Kind
    /// The name as written.
    public var name: String
    /// The value as a macro string (a domain-spec for `redirect` and `exp`).
    public var value: MacroString
    /// The term as written.
    public var text: String
    /// Byte offset of the term in the record.
    public var offset: Int

    public init(kind: Kind, name: String, value: MacroString, text: String, offset: Int) {
        self.kind = kind
        self.name = name
        self.value = value
        self.text = text
        self.offset = offset
    }
}

/// The limits of RFC 7208 §4.6.4 and §3.4, as named constants.
public enum SPFLimits {
    /// At most 10 terms that query DNS (`include`, `a`, `mx`, `ptr`, `exists`, `redirect`) per
    /// check_host() evaluation, includes and redirects counted across the whole tree (§4.6.4).
    public static let maximumDNSMechanisms = 10
    /// At most 2 lookups answering NXDOMAIN or NODATA ("void lookups", §4.6.4).
    public static let maximumVoidLookups = 2
    /// An `mx` mechanism may look up the addresses of at most 10 exchangers; more is permerror (§4.6.4).
    public static let maximumMXNames = 10
    /// A `ptr` mechanism or `%{p}` validates at most the first 10 PTR names; the rest are ignored (§4.6.4).
    public static let maximumPTRNames = 10
    /// Keep a record under 450 bytes so the whole answer fits a 512-byte UDP packet (§3.4).
    public static let recommendedMaximumRecordLength = 450
    /// A DNS character-string holds at most 255 bytes (RFC 1035 §3.3; RFC 7208 §3.3).
    public static let maximumCharacterString = 255
    /// Expanded domain names longer than this are truncated from the left (§7.3).
    public static let maximumDomainLength = 253
    /// The overall evaluation deadline suggested by §4.6.4 ("at least 20 seconds").
    public static let defaultTimeout: Duration = .seconds(20)
}
