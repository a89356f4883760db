/// The bulk-sender requirements of Gmail and Yahoo (February 2024) and Microsoft Outlook.com
/// (May 2025) for senders of more than 5,000 messages a day, sorted by what DNS alone can tell.
public struct BulkSenderReadiness: Codable, Sendable, Hashable {
    /// Where a requirement stands.
    public enum State: String, Codable, Sendable {
        case met
        case notMet = "not-met"
        /// DNS could not tell (a lookup failed, or the key selector is unknown).
        case unknown
    }

    /// One requirement.
    public struct Requirement: Codable, Sendable, Hashable {
        /// Stable id (`bulk.spf`).
        public var id: String
        public var title: String
        /// Who requires it.
        public var requiredBy: [String]
        /// For requirements checked from DNS: met, not met or unknown; `nil` otherwise.
        public var state: State?
        public var detail: String
    }

    /// Met or not, as far as DNS shows.
    public var fromDNS: [Requirement]
    /// Needs a real message and the sending IPs: `dnsaudit presend` checks these.
    public var needsPresend: [Requirement]
    /// Nothing here can check these.
    public var cannotCheck: [Requirement]

    static let everyone = ["Gmail (Feb 2024)", "Yahoo (Feb 2024)", "Microsoft (May 2025)"]

    /// The summary from what the audit found.
    ///
    /// - Parameters:
    ///   - spf: the domain publishes one valid SPF record (`nil`: unknown).
    ///   - dkim: a DKIM key was found (`nil`: unknown — no selector found, none proven absent).
    ///   - dmarcPolicy: the policy that applies (`none`, `quarantine`, `reject`), `nil` when no record.
    ///   - dmarcKnown: whether DMARC discovery completed.
    ///   - names: how the details name the settings they point to.
    ///   - spfProblems: the titles of the errors that keep a published SPF record from counting.
    ///   - dkimTestingOnly: keys were found, and what kept them from counting includes `t=y`.
    static func assess(
        spf: Bool?, spfProblems: [String] = [], dkim: Bool?, dkimTestingOnly: Bool = false, dmarcPolicy: String?,
        dmarcKnown: Bool, names: Setting.Names
    ) -> BulkSenderReadiness {
        func state(_ value: Bool?) -> State { value.map { $0 ? .met : .notMet } ?? .unknown }
        let dmarcState: State = !dmarcKnown ? .unknown : (dmarcPolicy == nil ? .notMet : .met)
        let alignable: Bool? = {
            guard let spf, let dkim else { return (spf == true || dkim == true) ? true : nil }
            return spf || dkim
        }()
        let fromDNS = [
            Requirement(
                id: "bulk.spf", title: "SPF record published", requiredBy: everyone, state: state(spf),
                detail: spfProblems.isEmpty
                    ? "The domain needs a valid SPF record; the sending IPs must pass it (checked by presend)."
                    : "The record is published, but receivers cannot count it: \(spfProblems.joined(separator: "; "))."),
            Requirement(
                id: "bulk.dkim", title: "DKIM key published", requiredBy: everyone, state: state(dkim),
                detail: dkim == nil
                    ? "No key was found at the selectors tried; pass \(names[.selector]) with the one your mail uses."
                    : dkim == true
                        ? "Mail must carry a DKIM signature that verifies with this key."
                        : dkimTestingOnly
                            ? "The keys found are in testing (t=y): receivers treat the mail signed with them as unsigned; remove t=y."
                            : "No usable DKIM key is published; generate one with `dnsaudit dkim keygen`."),
            Requirement(
                id: "bulk.dmarc", title: "DMARC at p=none or stricter", requiredBy: everyone, state: dmarcState,
                detail: dmarcPolicy.map { "Policy in force: p=\($0)." } ?? "No DMARC record applies to the domain."),
            Requirement(
                id: "bulk.alignment-possible", title: "The From domain can align with SPF or DKIM",
                requiredBy: everyone, state: state(alignable),
                detail: "DMARC passes only when the SPF (MAIL FROM) or DKIM (d=) domain matches the From domain."),
        ]
        let presend = [
            Requirement(
                id: "bulk.aligned-pass", title: "SPF or DKIM passes, aligned with From, on real mail", requiredBy: everyone,
                state: nil, detail: "Run `dnsaudit presend` on a message with the real egress IPs."),
            Requirement(
                id: "bulk.ptr", title: "Sending IPs have forward-confirmed reverse DNS", requiredBy: ["Gmail (Feb 2024)", "Yahoo (Feb 2024)"],
                state: nil, detail: "presend checks the PTR of each \(names[.egressIP])."),
            Requirement(
                id: "bulk.one-click-unsubscribe", title: "One-click unsubscribe (RFC 8058) on marketing mail",
                requiredBy: everyone, state: nil,
                detail: "List-Unsubscribe with an https URI and List-Unsubscribe-Post, both signed; presend checks it."),
            Requirement(
                id: "bulk.tls", title: "Mail is sent over TLS", requiredBy: ["Gmail (Feb 2024)"], state: nil,
                detail: "A property of the sending server's connection."),
        ]
        let cannot = [
            Requirement(
                id: "bulk.spam-rate", title: "Spam complaint rate below 0.3% (aim for 0.1%)", requiredBy: everyone, state: nil,
                detail: "Visible only in Google Postmaster Tools, Yahoo's feedback loop and Microsoft SNDS."),
            Requirement(
                id: "bulk.list-hygiene", title: "Valid recipients, honoured unsubscribes within 2 days", requiredBy: everyone,
                state: nil, detail: "A property of how the list is run."),
        ]
        return BulkSenderReadiness(fromDNS: fromDNS, needsPresend: presend, cannotCheck: cannot)
    }

    /// The readiness of a domain that does not exist: nothing can be met, and no advice applies.
    static func domainDoesNotExist(_ readiness: BulkSenderReadiness) -> BulkSenderReadiness {
        var copy = readiness
        for index in copy.fromDNS.indices {
            copy.fromDNS[index].state = .notMet
            copy.fromDNS[index].detail = "The domain does not exist."
        }
        return copy
    }
}
