import DNSCore

/// Forward-confirmed reverse DNS of an egress IP (step 8 of the gate).
///
/// FCrDNS: the PTR name of the address resolves (A or AAAA) back to the same address. Gmail and
/// Yahoo require it of every sender (Gmail answers `550-5.7.25` otherwise); RFC 8601 §3 calls it
/// `iprev` (RFC 8601 §2.7.3).
enum ReverseDNS {
    /// At most this many PTR names are followed forward (RFC 7208 §4.6.4 uses the same limit for `ptr`).
    static let maximumNames = 10

    static func check(_ ip: IPAddress, helo: String?, resolver: any DNSResolver) async -> PreSendCheck {
        let id = PreSendCheckID.reverseDNS
        let rfc = "RFC 8601 §3 (iprev); RFC 1912 §2.1"
        let subject = ip.description
        let reverse = ip.reverseName
        let response: DNSResponse
        do { response = try await resolver.query(reverse, .ptr) } catch {
            return PreSendCheck(
                id: id, status: .incomplete, subject: subject, summary: "The PTR lookup for \(ip) failed",
                detail: "\(error). This is not a missing record: the answer never arrived.", rfc: rfc,
                fix: "Retry; if it persists, the reverse zone's nameservers (your hosting or IP provider's) are not answering.")
        }
        let names = Array(response.names.prefix(maximumNames))
        guard response.outcome == .answer, !names.isEmpty else {
            return PreSendCheck(
                id: id, status: .fail, subject: subject, summary: "\(ip) has no PTR record",
                detail: "\(reverse.fullyQualified) answered \(response.outcome == .nxdomain ? "NXDOMAIN" : "no PTR record"). Gmail rejects mail from addresses without reverse DNS (550-5.7.25) and Yahoo and Microsoft treat it as a spam signal.",
                evidence: ["\(reverse.fullyQualified) PTR: \(response.outcome.rawValue)"], rfc: rfc,
                fix: "Ask whoever owns \(ip) (your hosting or IP provider) to set its PTR to your mail server's name, e.g. \(helo ?? "mail.example.com"), and publish that name's \(ip.isV4 ? "A" : "AAAA") record with \(ip).")
        }
        var evidence = names.map { "\(reverse.fullyQualified) PTR \($0.fullyQualified)" }
        var failure: DNSError?
        var confirmed: DomainName?
        for name in names {
            do {
                let forward = try await resolver.query(name, ip.isV4 ? .a : .aaaa)
                let addresses = forward.addresses
                evidence.append("\(name.fullyQualified) \(ip.isV4 ? "A" : "AAAA"): " + (addresses.isEmpty ? forward.outcome.rawValue : addresses.map(\.description).joined(separator: " ")))
                if addresses.contains(ip.unmapped) {
                    confirmed = name
                    break
                }
            } catch {
                failure = error
                evidence.append("\(name.fullyQualified): \(error)")
            }
        }
        if let confirmed {
            var check = PreSendCheck(
                id: id, status: .pass, subject: subject, summary: "\(ip) → \(confirmed) → \(ip) (forward-confirmed)",
                evidence: evidence, rfc: rfc)
            if let helo, let heloName = try? DomainName(dnsName: helo), heloName != confirmed {
                check.detail = "The HELO name \(helo) differs from the PTR name \(confirmed); most receivers accept that, some score it."
            }
            return check
        }
        if let failure {
            return PreSendCheck(
                id: id, status: .incomplete, subject: subject, summary: "The forward lookup of \(ip)'s PTR name failed",
                detail: "\(failure). This is not a missing record: the answer never arrived.", evidence: evidence, rfc: rfc,
                fix: "Retry; if it persists, check the nameservers of \(names.map(\.description).joined(separator: ", ")).")
        }
        return PreSendCheck(
            id: id, status: .fail, subject: subject,
            summary: "\(ip)'s PTR name \(names[0]) does not resolve back to \(ip)",
            detail: "Reverse DNS is not forward-confirmed: none of \(names.map(\.description).joined(separator: ", ")) has an \(ip.isV4 ? "A" : "AAAA") record with \(ip). Gmail and Yahoo require forward-confirmed reverse DNS.",
            evidence: evidence, rfc: rfc,
            fix: "Publish \(names[0].fullyQualified) IN \(ip.isV4 ? "A" : "AAAA") \(ip), or have the PTR changed to a name that has it.")
    }
}
