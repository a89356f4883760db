import Foundation

/// SPF, DKIM and DMARC evaluated again by dnsaudit's engines, **as evaluated now**: keys may have
/// rotated and `x=` may have passed since the receiver checked, so a difference from the
/// receiver's verdict is explained, never taken as the receiver's mistake.
public struct Reevaluation: Sendable, Hashable, Codable {
    /// Whether the checks ran.
    public enum Status: String, Sendable, Hashable, Codable {
        /// Evaluated now, against DNS.
        case evaluated
        /// Not checked (`--no-dns`, or nothing to check); ``reason`` says why.
        case notChecked = "not-checked"
    }

    public var status: Status
    /// "as evaluated now", in the JSON too: keys rotate and `x=` expires, so these results are
    /// today's, not necessarily the receiver's.
    public var label = Reevaluation.label
    /// Why not checked.
    public var reason: String?
    /// When the checks ran: the "now" of "as evaluated now".
    public var evaluatedAt: Date?
    /// SPF for the MAIL FROM identity (RFC 7208 §2.4) and the HELO identity (§2.3).
    public var spf: [SPFCheck]
    /// Each DKIM-Signature field (RFC 6376 §6).
    public var dkim: [DKIMCheck]
    /// DMARC (RFC 9989) with the results above.
    public var dmarc: DMARCCheck?
    /// Where the receiver's verdict and the result now differ, each explained.
    public var differences: [Difference]

    /// The label every result here carries.
    public static let label = "as evaluated now"

    /// No checks, for `reason`.
    public static func notChecked(_ reason: String) -> Reevaluation {
        Reevaluation(status: .notChecked, reason: reason, evaluatedAt: nil, spf: [], dkim: [], dmarc: nil, differences: [])
    }

    /// One SPF check_host() run.
    public struct SPFCheck: Sendable, Hashable, Codable {
        /// `mailfrom` or `helo`.
        public var identity: String
        public var domain: String
        public var ip: String
        /// `pass`, `fail`, `softfail`, `neutral`, `none`, `temperror`, `permerror` (RFC 7208 §2.6).
        public var result: String
        /// The directive that decided, or the problem.
        public var detail: String?
    }

    /// One DKIM signature verified now.
    public struct DKIMCheck: Sendable, Hashable, Codable {
        public var domain: String?
        public var selector: String?
        /// `pass`, `fail`, `neutral`, `temperror`, `permerror` (RFC 8601 §2.7.1).
        public var result: String
        /// Why (`body hash mismatch`, `no key for s._domainkey.example.com`).
        public var reason: String
    }

    /// DMARC evaluated now.
    public struct DMARCCheck: Sendable, Hashable, Codable {
        public var fromDomain: String
        /// `pass`, `fail`, `none`, `temperror`.
        public var result: String
        /// `p=` of the policy found (`none`, `quarantine`, `reject`).
        public var policy: String?
        /// The aligned identifiers (`spf example.com`, `dkim example.com`), empty when none aligned.
        public var aligned: [String]
        /// Each identifier's alignment, one sentence each.
        public var alignment: [String]
    }

    /// A receiver's verdict that differs from the result now, and the likely reason.
    public struct Difference: Sendable, Hashable, Codable {
        /// `spf`, `dkim`, `dmarc`.
        public var method: String
        /// The identity (the domain checked, or `d=`).
        public var identity: String?
        public var receiver: String
        public var now: String
        /// Why they differ, for a person.
        public var explanation: String
    }
}
