import DNSCore
import MailAuthCore

/// MTA-STS discovery record (`_mta-sts.<domain>` TXT, RFC 8461 §3.1) and, when network probes
/// are on, the HTTPS policy file it announces (§3.3), parsed (§3.2) and matched against the MX
/// hosts (§4.1). With probes off the policy is "not checked", never "missing".
struct MTASTSCheck {
    /// Where the record lives, below the domain.
    static let prefix = "_mta-sts"

    let domain: DomainName
    let resolver: any DNSResolver
    let names: Setting.Names
    /// How to fetch the policy; `nil`: not fetched (`--no-probe`, `--zone --offline`).
    var probe: TransportProbeOptions? = nil

    func run(mxHosts: [DomainName] = []) async -> AreaReport {
        let response: DNSResponse
        switch await PolicyRecordLookup.txt(.mtaSts, at: Self.prefix, of: domain, resolver: resolver, names: names) {
        case .found(let answer): response = answer
        case .ended(let report): return report
        }
        let all = response.txt.map(\.joined)
        let records = txtRecords(response, prefix: "v=STSv1")
        var findings: [Finding] = []
        let notFetched = Finding(
            id: "mta-sts.policy-not-fetched", severity: .info, title: "MTA-STS policy file not checked",
            detail: "The policy at https://mta-sts.\(domain)/.well-known/mta-sts.txt was not fetched: network probes are off "
                + "(--no-probe, or --zone with --offline). Nothing is known to be missing.",
            rfc: "RFC 8461 §3.2", fix: nil)
        if records.isEmpty {
            findings.append(Finding(
                id: "mta-sts.none", severity: .info, title: "No MTA-STS",
                detail: "Without MTA-STS, senders deliver to \(domain) over TLS only opportunistically; an attacker on the path can strip it.",
                evidence: all, rfc: "RFC 8461 §3",
                fix: "Publish `_mta-sts.\(domain) TXT \"v=STSv1; id=20260101\"` and a policy file at https://mta-sts.\(domain)/.well-known/mta-sts.txt."))
            return AreaReport(area: .mtaSts, status: .absent, summary: "not published", records: all, findings: findings)
        }
        if records.count > 1 {
            findings.append(Finding(
                id: "mta-sts.multiple", severity: .warning, title: "Several MTA-STS records",
                detail: "\(records.count) TXT records start with v=STSv1; senders treat that as no MTA-STS (RFC 8461 §3.1).",
                evidence: records, rfc: "RFC 8461 §3.1", fix: "Keep exactly one v=STSv1 record."))
            return AreaReport(area: .mtaSts, summary: "several records: senders ignore them all", records: records, findings: findings + (probe == nil ? [notFetched] : []))
        }
        let record = records[0]
        // sts-text-record = sts-version 1*(sts-sep sts-field) [sts-sep]; sts-id = 1*32(ALPHA / DIGIT)
        if let fields = semicolonFields(record), fields.first?.name == "v", fields.first?.value == "STSv1" {
            let ids = fields.filter { $0.name == "id" }
            if ids.count != 1 {
                findings.append(Finding(
                    id: "mta-sts.syntax", severity: .warning, title: "MTA-STS record needs exactly one id",
                    detail: "The record has \(ids.count) id fields; senders ignore it.", evidence: [record], rfc: "RFC 8461 §3.1",
                    fix: "Write `v=STSv1; id=<1 to 32 letters or digits>`, changing id whenever the policy changes."))
            } else if !(1...32).contains(ids[0].value.count) || !ids[0].value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) {
                findings.append(Finding(
                    id: "mta-sts.syntax", severity: .warning, title: "MTA-STS id is not 1–32 letters or digits",
                    detail: "id=\(ids[0].value) is invalid; senders ignore the record.", evidence: [record], rfc: "RFC 8461 §3.1",
                    fix: "Use an id of 1 to 32 letters and digits, such as a date: id=20260101."))
            }
        } else {
            findings.append(Finding(
                id: "mta-sts.syntax", severity: .warning, title: "MTA-STS record is malformed",
                detail: "The record must start with `v=STSv1;` followed by `id=…` fields.", evidence: [record], rfc: "RFC 8461 §3.1",
                fix: "Write `v=STSv1; id=20260101`."))
        }
        // The policy host must exist for the policy to be fetched.
        if let host = try? domain.prepending("mta-sts") {
            let answers = await resolver.queryAll([DNSQuestion(host, .a), DNSQuestion(host, .aaaa)])
            if case .success(let a) = answers[0], case .success(let aaaa) = answers[1], a.addresses.isEmpty, aaaa.addresses.isEmpty {
                findings.append(Finding(
                    id: "mta-sts.policy-host-missing", severity: .warning, title: "mta-sts.\(domain) has no address",
                    detail: "The record announces a policy, but the host that serves it, mta-sts.\(domain), has no A or AAAA record; senders cannot fetch it.",
                    evidence: [record], rfc: "RFC 8461 §3.3", fix: "Publish mta-sts.\(domain) pointing at an HTTPS server with the policy file."))
            }
        }
        let usable = findings.isEmpty
        guard let probe, !findings.contains(where: { $0.id == "mta-sts.policy-host-missing" }) else {
            if probe == nil { findings.append(notFetched) }
            return AreaReport(
                // The finding says "not checked"; a summary with "not" would contradict the area's pass mark.
                area: .mtaSts, summary: usable ? "published" : "published, but senders cannot use it",
                records: records, findings: findings)
        }
        let fetch = await MTASTSPolicyFetch.fetch(domain: domain, resolver: resolver, options: probe)
        findings += fetch.findings
        var summary: String
        if let policy = fetch.policy {
            findings += policy.findings
            findings += policy.uncovered(mxHosts)
            let valid = !policy.findings.contains { $0.severity == .error }
            summary = valid
                ? "policy fetched: mode \(policy.mode?.rawValue ?? "?"), max_age \(policy.maxAge.map(String.init) ?? "?")"
                : "policy fetched, but senders reject it"
        } else {
            summary = "published, but the policy cannot be fetched"
        }
        if !usable { summary = "published, but senders cannot use it" }
        return AreaReport(
            area: .mtaSts, summary: summary, records: records + [fetch.url] + Self.fetchLines(fetch), findings: findings,
            data: AreaData(mtaSts: MTASTSPolicyData(fetch, mxHosts: mxHosts)))
    }
}

extension MTASTSCheck {
    /// What the fetch got, for `--verbose`: the response, then the policy's fields.
    static func fetchLines(_ fetch: MTASTSPolicyFetch) -> [String] {
        var lines: [String] = []
        if let status = fetch.httpStatus {
            lines.append("  HTTP \(status), Content-Type: \(fetch.contentType ?? "(none)")"
                + (fetch.bodyBytes.map { ", \($0) bytes" } ?? "") + (fetch.tlsVersion.map { ", \($0)" } ?? ""))
        }
        if let policy = fetch.policy {
            lines.append("  version: \(policy.version ?? "(none)"); mode: \(policy.mode?.rawValue ?? "(none)"); "
                + "max_age: \(policy.maxAge.map(String.init) ?? "(none)"); mx: \(policy.mx.joined(separator: ", "))")
        }
        return lines
    }
}

/// SMTP TLS Reporting record (`_smtp._tls.<domain>` TXT, RFC 8460 §3).
struct TLSRPTCheck {
    /// Where the record lives, below the domain.
    static let prefix = "_smtp._tls"

    let domain: DomainName
    let resolver: any DNSResolver
    let names: Setting.Names

    func run() async -> AreaReport {
        let response: DNSResponse
        switch await PolicyRecordLookup.txt(.tlsRpt, at: Self.prefix, of: domain, resolver: resolver, names: names) {
        case .found(let answer): response = answer
        case .ended(let report): return report
        }
        let records = txtRecords(response, prefix: "v=TLSRPTv1")
        if records.isEmpty {
            return AreaReport(area: .tlsRpt, status: .absent, summary: "not published", findings: [Finding(
                id: "tls-rpt.none", severity: .info, title: "No TLS-RPT",
                detail: "Senders have nowhere to report TLS failures delivering to \(domain).", rfc: "RFC 8460 §3",
                fix: "Publish `_smtp._tls.\(domain) TXT \"v=TLSRPTv1; rua=mailto:tlsrpt@\(domain)\"`.")])
        }
        if records.count > 1 {
            return AreaReport(area: .tlsRpt, summary: "several records: senders ignore them all", records: records, findings: [Finding(
                id: "tls-rpt.multiple", severity: .warning, title: "Several TLS-RPT records",
                detail: "\(records.count) records start with v=TLSRPTv1; senders ignore them all (RFC 8460 §3).",
                evidence: records, rfc: "RFC 8460 §3", fix: "Keep exactly one.")])
        }
        let record = records[0]
        var findings: [Finding] = []
        let fields = semicolonFields(record)
        let rua = fields?.filter { $0.name == "rua" } ?? []
        if fields == nil || fields?.first?.name != "v" || rua.count != 1 {
            findings.append(Finding(
                id: "tls-rpt.syntax", severity: .warning, title: "TLS-RPT record is malformed",
                detail: "It must be `v=TLSRPTv1;` followed by exactly one rua= field.", evidence: [record], rfc: "RFC 8460 §3",
                fix: "Write `v=TLSRPTv1; rua=mailto:tlsrpt@\(domain)`."))
        } else {
            let uris = rua[0].value.split(separator: ",").map { $0.trimmingWhitespace() }
            let bad = uris.filter { !($0.lowercased().hasPrefix("mailto:") || $0.lowercased().hasPrefix("https://")) }
            if uris.isEmpty || !bad.isEmpty {
                findings.append(Finding(
                    id: "tls-rpt.bad-uri", severity: .warning, title: "TLS-RPT rua must be mailto: or https: URIs",
                    detail: "Not usable: \(bad.joined(separator: ", ")).", evidence: [record], rfc: "RFC 8460 §3",
                    fix: "Use rua=mailto:address or rua=https://endpoint."))
            }
        }
        return AreaReport(
            area: .tlsRpt, summary: findings.isEmpty ? "published" : "published, but reports cannot be sent", records: records,
            findings: findings)
    }
}

/// BIMI assertion record (`default._bimi.<domain>` TXT, draft-brand-indicators-for-message-identification
/// §4). The SVG logo and the mark certificate are not fetched.
struct BIMICheck {
    /// Where the record lives, below the domain.
    static let prefix = "default._bimi"

    let domain: DomainName
    let resolver: any DNSResolver
    let names: Setting.Names

    func run(dmarcEnforced: Bool?) async -> AreaReport {
        let response: DNSResponse
        switch await PolicyRecordLookup.txt(.bimi, at: Self.prefix, of: domain, resolver: resolver, names: names) {
        case .found(let answer): response = answer
        case .ended(let report): return report
        }
        let records = txtRecords(response, prefix: "v=BIMI1")
        if records.isEmpty {
            return AreaReport(area: .bimi, status: .absent, summary: "not published", findings: [Finding(
                id: "bimi.none", severity: .info, title: "No BIMI record",
                detail: "No brand logo is shown beside \(domain)'s mail in supporting inboxes. Optional.",
                rfc: "draft-brand-indicators-for-message-identification §4", fix: nil)])
        }
        var findings: [Finding] = []
        if records.count > 1 {
            findings.append(Finding(
                id: "bimi.multiple", severity: .warning, title: "Several BIMI records",
                detail: "Receivers ignore BIMI when there is more than one record.", evidence: records,
                rfc: "draft-brand-indicators-for-message-identification §4.2", fix: "Keep exactly one."))
        }
        let record = records[0]
        if let fields = semicolonFields(record) {
            let location = fields.first { $0.name == "l" }?.value ?? ""
            let authority = fields.first { $0.name == "a" }?.value ?? ""
            if !location.isEmpty && !(location.lowercased().hasPrefix("https://") && location.lowercased().hasSuffix(".svg")) {
                findings.append(Finding(
                    id: "bimi.bad-logo-uri", severity: .warning, title: "BIMI l= must be an https: URL of an SVG file",
                    detail: "l=\(location)", evidence: [record], rfc: "draft-brand-indicators-for-message-identification §4.2",
                    fix: "Point l= at an https:// URL of an SVG Tiny PS file."))
            }
            if !authority.isEmpty && !authority.lowercased().hasPrefix("https://") {
                findings.append(Finding(
                    id: "bimi.bad-authority-uri", severity: .warning, title: "BIMI a= must be an https: URL",
                    detail: "a=\(authority)", evidence: [record], rfc: "draft-brand-indicators-for-message-identification §4.2",
                    fix: "Point a= at the https:// URL of the mark certificate (VMC/CMC) PEM file."))
            }
            if authority.isEmpty {
                findings.append(Finding(
                    id: "bimi.no-certificate", severity: .info, title: "BIMI without a mark certificate",
                    detail: "Gmail and Apple Mail show BIMI logos only with a Verified or Common Mark Certificate (a=).",
                    evidence: [record], rfc: "draft-brand-indicators-for-message-identification §4.2",
                    fix: "Obtain a VMC or CMC and add a=https://…/certificate.pem."))
            }
        } else {
            findings.append(Finding(
                id: "bimi.syntax", severity: .warning, title: "BIMI record is malformed", detail: "Expected `v=BIMI1; l=…; a=…`.",
                evidence: [record], rfc: "draft-brand-indicators-for-message-identification §4.2", fix: "Rewrite it as `v=BIMI1; l=https://…/logo.svg; a=https://…/vmc.pem`."))
        }
        if dmarcEnforced == false {
            findings.append(Finding(
                id: "bimi.dmarc-not-enforced", severity: .warning, title: "BIMI needs DMARC enforcement",
                detail: "Receivers show BIMI logos only when the domain's DMARC policy is quarantine or reject (at full coverage).",
                evidence: [record], rfc: "draft-brand-indicators-for-message-identification §3",
                fix: "Move DMARC to p=quarantine or p=reject."))
        }
        let shown = !findings.contains { $0.severity >= .warning }
        findings.append(Finding(
            id: "bimi.logo-not-fetched", severity: .info, title: "BIMI logo and certificate not checked",
            detail: "They are fetched over HTTPS, which this DNS audit does not do.", rfc: nil, fix: nil))
        return AreaReport(
            area: .bimi, summary: shown ? "published" : "published, but no logo will be shown", records: records, findings: findings)
    }
}

/// The opening every policy-record area shares: the TXT answer at `<prefix>.<domain>`, or the
/// area's report when that name cannot exist or DNS failed.
enum PolicyRecordLookup {
    case found(DNSResponse)
    case ended(AreaReport)

    static func txt(
        _ area: AuditArea, at prefix: String, of domain: DomainName, resolver: any DNSResolver, names: Setting.Names
    ) async -> Self {
        guard let name = try? domain.prepending(prefix) else {
            return .ended(AreaReport(
                area: area, summary: "name too long", findings: [.nameTooLong(area, prefix: prefix, domain: domain)]))
        }
        do { return .found(try await ask(resolver, name, .txt)) } catch {
            return .ended(AreaReport(area: area, status: .incomplete, summary: "DNS failure", findings: [.incomplete(area, error.error, names: names)]))
        }
    }
}
