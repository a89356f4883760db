import DNSCore

/// Forward-confirmed reverse DNS of an egress IP (step 8 of the gate).
///
/// FCrDNS: the PTR name of the address resolves (A or AAAA) back to the same address. Gmail and
/// Yahoo require it of every sender (Gmail answers `550-5.7.25` otherwise); RFC 8601 §3 calls it
/// `iprev` (RFC 8601 §2.7.3).
enum ReverseDNS {
    /// The check of each of `ips`, in order; their lookups go out in batches.
    static func checks(_ ips: [IPAddress], helo: String?, resolver: any DNSResolver) async -> [PreSendCheck] {
        let results = await ForwardConfirmedReverseDNS.check(ips, resolver: resolver)
        return zip(ips, results).map { check($0, result: $1, helo: helo) }
    }

    private static func check(_ ip: IPAddress, result: ForwardConfirmedReverseDNS, helo: String?) -> PreSendCheck {
        let id = PreSendCheckID.reverseDNS
        let rfc = "RFC 8601 §3 (iprev); RFC 1912 §2.1"
        let subject = ip.description
        let evidence = result.evidence
        let names = result.names
        switch result.outcome {
        case .confirmed(let confirmed):
            var check = PreSendCheck(
                id: id, status: .pass, subject: subject, summary: "\(ip) → \(confirmed) → \(ip) (forward-confirmed)",
                evidence: evidence, rfc: rfc)
            if let helo, let heloName = try? DomainName(dnsName: helo), heloName != confirmed {
                check.detail = "The HELO name \(helo) differs from the PTR name \(confirmed); most receivers accept that, some score it."
            }
            return check
        case .noPTR(let outcome):
            return PreSendCheck(
                id: id, status: .fail, subject: subject, summary: "\(ip) has no PTR record",
                detail: "\(ip.reverseName.fullyQualified) answered \(outcome == .nxdomain ? "NXDOMAIN" : "no PTR record"). Gmail rejects mail from addresses without reverse DNS (550-5.7.25) and Yahoo and Microsoft treat it as a spam signal.",
                evidence: evidence, rfc: rfc,
                fix: "Ask whoever owns \(ip) (your hosting or IP provider) to set its PTR to your mail server's name, e.g. \(helo ?? "mail.example.com"), and publish that name's \(ip.isV4 ? "A" : "AAAA") record with \(ip).")
        case .failed(let failure) where names.isEmpty:
            return PreSendCheck(
                id: id, status: .incomplete, subject: subject, summary: "The PTR lookup for \(ip) failed",
                detail: "\(failure). This is not a missing record: the answer never arrived.", evidence: evidence, rfc: rfc,
                fix: "Retry; if it persists, the reverse zone's nameservers (your hosting or IP provider's) are not answering.")
        case .failed(let failure):
            return PreSendCheck(
                id: id, status: .incomplete, subject: subject, summary: "The forward lookup of \(ip)'s PTR name failed",
                detail: "\(failure). This is not a missing record: the answer never arrived.", evidence: evidence, rfc: rfc,
                fix: "Retry; if it persists, check the nameservers of \(names.map(\.description).joined(separator: ", ")).")
        case .notConfirmed:
            return PreSendCheck(
                id: id, status: .fail, subject: subject,
                summary: "\(ip)'s PTR name \(names[0]) does not resolve back to \(ip)",
                detail: "Reverse DNS is not forward-confirmed: none of \(names.map(\.description).joined(separator: ", ")) has an \(ip.isV4 ? "A" : "AAAA") record with \(ip). Gmail and Yahoo require forward-confirmed reverse DNS.",
                evidence: evidence, rfc: rfc,
                fix: "Publish \(names[0].fullyQualified) IN \(ip.isV4 ? "A" : "AAAA") \(ip), or have the PTR changed to a name that has it.")
        }
    }
}
