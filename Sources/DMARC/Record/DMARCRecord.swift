import DNSCore

/// The two generations of DMARC a receiver may run.
///
/// RFC 9989 (May 2026) obsoletes RFC 7489 (and RFC 9091), but receivers will run both for years, so
/// the audit evaluates a domain under each and reports where they disagree.
public enum DMARCGeneration: String, Sendable, Hashable, Codable, CaseIterable {
    /// RFC 9989: DNS tree walk, `np`, `psd`, `t`; `pct`, `rf` and `ri` removed; a missing `p` means `none`.
    case rfc9989
    /// RFC 7489: Public Suffix List, `pct`; `p` required right after `v`.
    case rfc7489
}

/// A parsed DMARC Policy Record (RFC 9989 §4.7, §4.8), published as TXT at `_dmarc.<domain>`.
///
/// Values that were missing or invalid are `nil` (or the default) and the reason is in ``issues``,
/// with the byte offset in ``text``. Legacy RFC 7489 tags are kept so both generations can be read
/// from one parse.
public struct DMARCRecord: Hashable, Sendable, Codable {
    /// The record text as published (TXT strings joined, RFC 9989 §4.5).
    public var text: String

    /// `p=`: the Domain Owner Assessment Policy (RFC 9989 §4.7). `nil` when absent or invalid:
    /// see ``processing(for:)`` for what a receiver makes of that.
    public var policy: Policy?
    /// `sp=`: the policy for existing subdomains of the Organizational Domain (RFC 9989 §4.7).
    public var subdomainPolicy: Policy?
    /// `np=`: the policy for non-existent subdomains (RFC 9989 §4.7, §3.2.13). New in RFC 9989.
    public var nonexistentSubdomainPolicy: Policy?
    /// `adkim=`: DKIM identifier alignment mode (RFC 9989 §4.4.1). Default relaxed.
    public var dkimAlignment: AlignmentMode
    /// `aspf=`: SPF identifier alignment mode (RFC 9989 §4.4.2). Default relaxed.
    public var spfAlignment: AlignmentMode
    /// `psd=`: whether the domain is a Public Suffix Domain (RFC 9989 §4.7). New in RFC 9989.
    public var publicSuffixDomain: PublicSuffixDomainFlag
    /// `t=y`: the policy is being tested; receivers apply one level less (RFC 9989 §4.7). New in RFC 9989.
    public var testing: Bool
    /// `rua=`: where aggregate reports go (RFC 9989 §4.7, RFC 9990). Only the valid URIs.
    public var aggregateReportURIs: [ReportURI]
    /// `ruf=`: where failure reports go (RFC 9989 §4.7, RFC 9991). Only the valid URIs.
    public var failureReportURIs: [ReportURI]
    /// `fo=`: failure reporting options (RFC 9989 §4.7). Default `0`.
    public var failureReportingOptions: [FailureReportingOption]

    /// `pct=`: RFC 7489 §6.3 sampling percentage. Removed by RFC 9989 (replaced by `t`).
    public var percentage: Int?
    /// `rf=`: RFC 7489 §6.3 failure report formats. Removed by RFC 9989.
    public var reportFormats: [String]?
    /// `ri=`: RFC 7489 §6.3 aggregate report interval in seconds. Removed by RFC 9989.
    public var reportInterval: UInt32?

    /// Every tag as written, in order (names as written, values trimmed).
    public var tags: [RecordTag]
    /// What is wrong or worth knowing about the record, each with its byte offset.
    public var issues: [DMARCRecordIssue]

    /// Whether the `p` tag was present (valid or not). RFC 9989 reads a missing `p` as `none`;
    /// RFC 7489 does not.
    public var hasPolicyTag: Bool
    /// Whether `p`, `sp` or `np` was present with a value outside `none`/`quarantine`/`reject`.
    public var hasInvalidPolicyValue: Bool
    /// Whether `p` was the tag right after `v`, as RFC 7489 §6.4's grammar requires.
    public var policyFollowsVersion: Bool

    /// The policy a receiver of `generation` acts on when this record applies to the domain it is
    /// published at: `p`, or `none` in the cases of ``processing(for:)``.
    public func requestedPolicy(for generation: DMARCGeneration) -> Policy? {
        switch processing(for: generation) {
        case .apply: policy ?? Policy.none
        case .treatAsNone: Policy.none
        case .skip: nil
        }
    }

    /// Whether a receiver applies DMARC with this record (RFC 9989 §4.10.1; RFC 7489 §6.6.3 step 6).
    ///
    /// - RFC 9989: a missing `p` is `none` (§4.7). An invalid `p`, `sp` or `np` makes the receiver
    ///   act as if `p=none` when `rua` holds at least one valid URI, and skip DMARC otherwise.
    /// - RFC 7489: `p` must be present and valid (and `sp` valid); otherwise the same `rua` rule.
    public func processing(for generation: DMARCGeneration) -> Processing {
        let hasValidRUA = !aggregateReportURIs.isEmpty
        switch generation {
        case .rfc9989:
            if !hasInvalidPolicyValue { return .apply }
            return hasValidRUA ? .treatAsNone(.invalidPolicy) : .skip(.invalidPolicy)
        case .rfc7489:
            let invalid7489 = (policy == nil) || (hasInvalidPolicyTag(["p", "sp"]))
            if !invalid7489 { return .apply }
            let reason: Processing.Reason = hasPolicyTag ? .invalidPolicy : .missingPolicy
            return hasValidRUA ? .treatAsNone(reason) : .skip(reason)
        }
    }

    private func hasInvalidPolicyTag(_ names: Set<String>) -> Bool {
        issues.contains { $0.kind == .invalidValue && names.contains($0.tag ?? "") }
    }

    /// Creates a record from parsed parts; use ``parse(_:)`` for text.
    init(text: String) {
        self.text = text
        self.dkimAlignment = .relaxed
        self.spfAlignment = .relaxed
        self.publicSuffixDomain = .unspecified
        self.testing = false
        self.aggregateReportURIs = []
        self.failureReportURIs = []
        self.failureReportingOptions = [.all]
        self.tags = []
        self.issues = []
        self.hasPolicyTag = false
        self.hasInvalidPolicyValue = false
        self.policyFollowsVersion = false
    }
}

extension DMARCRecord {
    /// A Domain Owner Assessment Policy: `none`, `quarantine` or `reject` (RFC 9989 §4.7).
    public enum Policy: String, Sendable, Hashable, Codable, Comparable, CaseIterable {
        case none
        case quarantine
        case reject

        private var strength: Int {
            switch self {
            case .none: 0
            case .quarantine: 1
            case .reject: 2
            }
        }

        /// The policy one level below (`reject` → `quarantine` → `none`), as `t=y` (RFC 9989 §4.7)
        /// and an unsampled message under RFC 7489 `pct` (§6.6.4) ask.
        public var oneLevelLower: Policy {
            switch self {
            case .none, .quarantine: .none
            case .reject: .quarantine
            }
        }

        public static func < (lhs: Policy, rhs: Policy) -> Bool { lhs.strength < rhs.strength }
    }

    /// Identifier alignment mode: `r` relaxed (same Organizational Domain) or `s` strict (identical).
    public enum AlignmentMode: String, Sendable, Hashable, Codable {
        case relaxed = "r"
        case strict = "s"
    }

    /// The `psd` flag (RFC 9989 §4.7).
    public enum PublicSuffixDomainFlag: String, Sendable, Hashable, Codable {
        /// `psd=y`: the domain is a Public Suffix Domain; its Organizational Domains are one label below.
        case yes = "y"
        /// `psd=n`: the domain is an Organizational Domain, for itself and its subdomains.
        case no = "n"
        /// `psd=u` or absent: find out with the tree walk.
        case unspecified = "u"
    }

    /// One `fo` value (RFC 9989 §4.7).
    public enum FailureReportingOption: String, Sendable, Hashable, Codable {
        /// `0`: report when no mechanism produced an aligned pass.
        case all = "0"
        /// `1`: report when any mechanism failed to produce an aligned pass.
        case any = "1"
        /// `d`: report DKIM signatures that failed, aligned or not.
        case dkim = "d"
        /// `s`: report SPF failures, aligned or not.
        case spf = "s"
    }

    /// Whether a receiver applies DMARC using a record (RFC 9989 §4.10.1).
    public enum Processing: Sendable, Hashable, Codable {
        /// The record is used as published.
        case apply
        /// The record is used as if it said `p=none` (it has a valid `rua`).
        case treatAsNone(Reason)
        /// No DMARC processing for the message.
        case skip(Reason)

        public enum Reason: String, Sendable, Hashable, Codable {
            /// `p`, `sp` or `np` had a value other than `none`, `quarantine`, `reject`.
            case invalidPolicy
            /// No `p` tag (only RFC 7489 cares).
            case missingPolicy
        }
    }

    /// A tag as written in the record.
    public struct RecordTag: Sendable, Hashable, Codable {
        /// The name as written (DMARC compares names case-insensitively, RFC 5234 §2.3).
        public var name: String
        public var value: String
        /// Byte offset of the name in ``DMARCRecord/text``.
        public var offset: Int
        /// Byte offset of the value.
        public var valueOffset: Int
    }
}

/// A reporting URI from `rua` or `ruf` (RFC 9989 §4.6, §4.8).
public struct ReportURI: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The URI without any legacy `!size` suffix.
    public var uri: String
    /// The scheme, lower-cased (`mailto`, `https`, …).
    public var scheme: String
    /// For `mailto:` URIs, the first address (RFC 6068).
    public var mailbox: Mailbox?
    /// The obsolete `!size` limit in bytes (`obs-dmarc-report-size`, RFC 9989 §4.8), if written.
    public var legacySizeLimit: UInt64?
    /// The size limit as written (`10m`).
    public var legacySizeText: String?
    /// Byte offset of the URI in the record text.
    public var offset: Int

    /// A `local@domain` mailbox from a `mailto:` URI.
    public struct Mailbox: Sendable, Hashable, Codable, CustomStringConvertible {
        public var localPart: String
        public var domain: DomainName
        public var description: String { "\(localPart)@\(domain)" }
    }

    public var description: String { uri + (legacySizeText.map { "!" + $0 } ?? "") }
}

/// Something wrong with, or notable in, a record, with where it is.
public struct DMARCRecordIssue: Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Kind: String, Sendable, Hashable, Codable {
        /// A tag-spec that does not parse (`;;`, no `=`, a bad character); ignored (RFC 9989 §4.8).
        case syntax
        /// A known tag with a value outside its grammar; the default applies (RFC 9989 §4.8).
        case invalidValue
        /// A tag appearing twice (RFC 6376 §3.2 via RFC 9989 §4.7: the record is invalid).
        case duplicateTag
        /// A tag not in the registry; ignored (RFC 9989 §4.7).
        case unknownTag
        /// `pct`, `rf` or `ri`: defined by RFC 7489, removed by RFC 9989 (ignored there).
        case removedTag
        /// A `rua`/`ruf` entry that is not a valid URI; ignored.
        case invalidURI
        /// A `!size` suffix on a reporting URI (`obs-dmarc-report-size`, RFC 9989 §4.8).
        case obsoleteSizeLimit
        /// `p` not right after `v` (RFC 7489 §6.4's grammar wanted it there; RFC 9989 does not).
        case policyNotSecond
    }

    public var kind: Kind
    /// The tag concerned, lower-cased, when there is one.
    public var tag: String?
    /// Byte offset in the record text.
    public var offset: Int
    public var message: String

    public init(_ kind: Kind, tag: String?, offset: Int, message: String) {
        self.kind = kind
        self.tag = tag
        self.offset = offset
        self.message = message
    }

    public var description: String { "at offset \(offset): \(message)" }
}

/// Why a text is not a DMARC record at all (RFC 9989 §4.7 `v`; RFC 6376 §3.2 duplicates).
public struct DMARCRecordError: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    public enum Code: String, Sendable, Hashable, Codable {
        /// Empty text.
        case empty
        /// The first tag is not `v`, or `v` is not exactly `DMARC1`: the record MUST be ignored.
        case notDMARC
        /// A tag appears more than once: the tag-list is invalid (RFC 6376 §3.2).
        case duplicateTag
    }

    public var code: Code
    public var offset: Int
    public var message: String
    public var text: String

    public var description: String { "at offset \(offset): \(message)" }
}
