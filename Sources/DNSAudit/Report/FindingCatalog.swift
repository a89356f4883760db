import DMARC
import SPF

/// Every finding id the audit can report, by area. Ids are stable: programs match on them.
/// docs/findings.md describes each.
public enum FindingCatalog {
    /// Ids from the SPF static analysis (RFC 7208).
    public static var spf: [String] { SPFLint.ids }

    /// Ids from DMARC discovery and lints (RFC 9989, RFC 7489).
    public static var dmarc: [String] { DMARCLint.ids }

    /// Ids of the DKIM key checks (RFC 6376, RFC 8301, RFC 8463).
    public static let dkim = [
        "dkim.no-keys", "dkim.selector-unknown", "dkim.selector-dangling", "dkim.none-for-parked-domain", "dkim.ed25519-only",
        "dkim.key.syntax", "dkim.key.multiple-records", "dkim.key.revoked", "dkim.key.unknown-type",
        "dkim.key.not-for-email", "dkim.key.no-sha256", "dkim.key.testing", "dkim.key.rsa-under-1024",
        "dkim.key.rsa-under-2048", "dkim.key.undecodable", "dkim.incomplete",
    ]

    /// Ids of the MX checks (RFC 5321, RFC 7505, RFC 2181) and the domain itself.
    public static let mx = [
        "domain.nxdomain", "mx.none", "mx.null", "mx.null-mixed", "mx.duplicate-preference", "mx.too-many",
        "mx.target-ip-address", "mx.target-cname", "mx.target-no-address", "mx.no-ptr", "mx.fcrdns-mismatch",
        "mx.incomplete",
    ]

    /// Ids of the MTA-STS, TLS-RPT, BIMI and DNSSEC checks.
    public static let policies = [
        "mta-sts.none", "mta-sts.multiple", "mta-sts.syntax", "mta-sts.policy-host-missing", "mta-sts.policy-not-fetched",
        "mta-sts.incomplete", "tls-rpt.none", "tls-rpt.multiple", "tls-rpt.syntax", "tls-rpt.bad-uri",
        "tls-rpt.incomplete", "bimi.none", "bimi.multiple", "bimi.syntax", "bimi.bad-logo-uri", "bimi.bad-authority-uri",
        "bimi.no-certificate", "bimi.dmarc-not-enforced", "bimi.logo-not-fetched", "bimi.incomplete",
        "dnssec.not-validated", "dnssec.incomplete",
    ]

    /// A name under the domain (`_mta-sts.`, `default._bimi.`, `<selector>._domainkey.`) would
    /// exceed 253 octets, so that area cannot be asked about.
    public static let nameTooLong = ["dkim.name-too-long", "mta-sts.name-too-long", "tls-rpt.name-too-long", "bimi.name-too-long"]

    /// Every id.
    public static var all: [String] {
        spf + dmarc + dkim + mx + policies + nameTooLong + dnssecValidation + mtaStsPolicy + mxTLS
    }

    /// Ids of the MX STARTTLS probe and DANE matching (RFC 3207, RFC 8461 §4.2, RFC 7672 §3.1).
    public static let mxTLS = MXTLSCheck.ids

    /// Ids of dnsaudit's own DNSSEC validation and the DANE lookups (RFC 4035, RFC 7672).
    public static let dnssecValidation = DNSSECCheck.ids

    /// Ids of the MTA-STS policy fetch (RFC 8461 §3.3) and of the policy file's parsing and MX
    /// matching (§3.2, §4.1).
    public static let mtaStsPolicy = MTASTSPolicy.findingIDs + MTASTSPolicyFetch.findingIDs
}
