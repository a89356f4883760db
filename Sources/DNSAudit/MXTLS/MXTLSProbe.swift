import DNSCore
import MailAuthCore
import SMTPProbing
import TLS

/// What one MX host's port 25 showed: whether STARTTLS is offered (RFC 3207), the TLS version,
/// the certificate checked against the MX name (RFC 8461 §4.2), and the chain it presents (for
/// DANE, RFC 7672 §3.1). Made by SMTPProbing's `SMTPProbe`, the code of `dnsaudit smtp probe`.
public struct MXTLSResult: Sendable, Hashable {
    /// The MX host name.
    public var host: String
    /// Whether an SMTP greeting came.
    public var reached: Bool
    /// Whether EHLO offered STARTTLS; `nil` when no EHLO reply came.
    public var startTLS: Bool?
    /// The TLS handshake's result, when STARTTLS was offered and the handshake completed.
    public var tls: TLSSession?
    /// What ended the probe early (a refused connection, the deadline, a failed handshake).
    public var failure: String?
    /// How long the probe took, milliseconds.
    public var milliseconds: Int

    /// Probes `host`'s port 25 within `options.fetchTimeout` (each step within `stepTimeout`).
    static func probe(_ host: DomainName, options: TransportProbeOptions, resolver: any DNSResolver) async -> MXTLSResult {
        let started = ContinuousClock.now
        let configuration = SMTPProbe.Configuration(
            ports: [25], expect: .starttls, caFile: options.caFile, stepTimeout: options.stepTimeout,
            connectOverrides: options.connectOverrides, checkInjection: false)
        let probe = SMTPProbe(configuration: configuration, resolver: resolver)
        let name = host.description
        let timeout = options.fetchTimeout
        // The probe has several steps, each with its own deadline: the whole is bounded here, and
        // cancelling the probe ends its socket wait within ByteStream's poll slice.
        let report: SMTPProbeReport? = await withTaskGroup(of: SMTPProbeReport?.self) { group in
            group.addTask { await probe.probe(host: name) }
            group.addTask {
                try? await Task.sleep(for: timeout)
                return nil
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
        let elapsed = Int((ContinuousClock.now - started).nanoseconds / 1_000_000)
        guard let report else {
            return MXTLSResult(
                host: name, reached: false, startTLS: nil, tls: nil,
                failure: "no complete answer on port 25 within \(timeout.secondsText)", milliseconds: elapsed)
        }
        let hostProbe = report.hosts.first
        let port = hostProbe?.ports.first
        let failure = port?.failure ?? hostProbe?.findings.first.map { "\($0.title): \($0.detail)" }
        return MXTLSResult(
            host: name, reached: port?.banner != nil, startTLS: port?.ehloBeforeTLS?.startTLS, tls: port?.tls,
            failure: port?.tls == nil ? failure : nil, milliseconds: elapsed)
    }
}

extension Duration {
    /// `10 s`, `2.5 s`.
    fileprivate var secondsText: String {
        let milliseconds = components.seconds * 1000 + components.attoseconds / 1_000_000_000_000_000
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000) s" : "\(Double(milliseconds) / 1000) s"
    }
}

/// The MX STARTTLS results of an auditor, one per host, shared by every domain it audits: in a
/// bulk run the MX hosts of a provider are probed once. Bounded (the oldest entry goes first);
/// two audits asking for the same host at once share one probe.
public final class MXTLSCache: Sendable {
    struct State {
        var entries: [String: Task<MXTLSResult, Never>] = [:]
        var order: [String] = []
        var probes = 0
        var hits = 0
    }

    /// Most hosts kept.
    public let maximumEntries: Int
    private let state = LockedState(State())

    public init(maximumEntries: Int = 4_096) {
        self.maximumEntries = max(1, maximumEntries)
    }

    /// How many hosts were probed, and how many asks the cache answered.
    public var statistics: (probes: Int, hits: Int) { state.withLock { ($0.probes, $0.hits) } }

    /// The result for `host`: the cached one, or `probe()`'s, which is then kept.
    /// - Returns: the result, and whether it came from the cache.
    func result(
        for host: DomainName, probe: @escaping @Sendable () async -> MXTLSResult
    ) async -> (MXTLSResult, cached: Bool) {
        let key = host.description.lowercased()
        let (task, cached) = state.withLock { state -> (Task<MXTLSResult, Never>, Bool) in
            if let task = state.entries[key] {
                state.hits += 1
                return (task, true)
            }
            let task = Task { await probe() }
            state.entries[key] = task
            state.order.append(key)
            state.probes += 1
            if state.order.count > maximumEntries {
                let oldest = state.order.removeFirst()
                state.entries[oldest] = nil
            }
            return (task, false)
        }
        return (await task.value, cached)
    }
}

/// One MX host's STARTTLS and DANE result, for programs (the MX area's `data.mxTLS`).
public struct MXTLSData: Codable, Sendable, Hashable {
    public var host: String
    /// Whether an SMTP greeting came on port 25.
    public var reached: Bool
    /// Whether EHLO offered STARTTLS.
    public var startTLS: Bool?
    /// The TLS version negotiated (`TLSv1.3`).
    public var tlsVersion: String?
    /// Whether the certificate verified for the MX name (trust store, validity, name).
    public var certificateValid: Bool?
    /// OpenSSL's reason when it did not (`hostname mismatch`).
    public var certificateProblem: String?
    /// DANE: `match` when a DNSSEC-secure usable TLSA record matches the chain, `mismatch` when
    /// none does; absent when the host has no secure TLSA records.
    public var dane: String?
    /// The TLSA record that matched (`3 1 1 …`).
    public var daneMatched: String?
    /// What ended the probe early.
    public var failure: String?
    /// Whether this result came from the auditor's cache (an earlier domain's probe of the host).
    public var cached: Bool
    /// How long the probe took, milliseconds (the original probe's, when cached).
    public var milliseconds: Int
}

/// The MX area's live part: STARTTLS on port 25 of each MX host (RFC 3207), the certificate
/// against the MX name (RFC 8461 §4.2), and DANE: DNSSEC-secure TLSA records matched against the
/// presented chain (RFC 7672 §3.1).
struct MXTLSCheck {
    /// Ids of the findings it gives.
    static let ids = [
        "mx.smtp-unreachable", "mx.starttls-missing", "mx.tls-handshake-failed", "mx.tls-old-version",
        "mx.tls-certificate", "dane.tlsa-mismatch",
    ]

    /// Most hosts probed for one domain (as many as the MX area checks).
    static let maximumHosts = MXCheck.maximumHosts

    /// Probes each host (through `cache`) at once; none when probes are off (`options` is `nil`).
    static func probeAll(
        _ hosts: [DomainName], options: TransportProbeOptions?, cache: MXTLSCache, resolver: any DNSResolver
    ) async -> [(MXTLSResult, cached: Bool)] {
        guard let options else { return [] }
        let unique = hosts.reduce(into: [DomainName]()) { if !$0.contains($1) { $0.append($1) } }.prefix(maximumHosts)
        return await withTaskGroup(of: (Int, MXTLSResult, Bool).self) { group in
            for (index, host) in unique.enumerated() {
                group.addTask {
                    let (result, cached) = await cache.result(for: host) {
                        await MXTLSResult.probe(host, options: options, resolver: resolver)
                    }
                    return (index, result, cached)
                }
            }
            var results: [(Int, MXTLSResult, Bool)] = []
            for await result in group { results.append(result) }
            return results.sorted { $0.0 < $1.0 }.map { ($0.1, cached: $0.2) }
        }
    }

    /// The MX area with the probes' findings and data added. `secureTLSA`: the DNSSEC-secure TLSA
    /// records by MX host; `enforced`: the MTA-STS policy is in enforce mode (a certificate
    /// problem then stops delivery from MTA-STS senders).
    static func extend(
        _ report: AreaReport, with results: [(MXTLSResult, cached: Bool)], secureTLSA: [String: DNSSECCheck.HostTLSA],
        enforced: Bool
    ) -> AreaReport {
        var findings = report.findings
        var data: [MXTLSData] = []
        for (result, cached) in results {
            var entry = MXTLSData(
                host: result.host, reached: result.reached, startTLS: result.startTLS, tlsVersion: result.tls?.version,
                certificateValid: result.tls?.verification.verified,
                certificateProblem: result.tls.flatMap { $0.verification.verified ? nil : $0.verification.reason },
                dane: nil, daneMatched: nil, failure: result.failure, cached: cached, milliseconds: result.milliseconds)
            let tlsa = secureTLSA[result.host.lowercased()]
            let usable = (tlsa?.records ?? []).filter { $0.usage == .daneEE || $0.usage == .daneTA }
            findings += hostFindings(result, enforced: enforced, dane: tlsa != nil)
            if let tlsa, !usable.isEmpty, let tls = result.tls {
                let matched = usable.first { record in
                    if case .matched = TLSAMatch.evaluate(record, chain: tls.chainDER) { return true }
                    return false
                }
                entry.dane = matched == nil ? "mismatch" : "match"
                entry.daneMatched = matched?.description
                if matched == nil {
                    findings.append(Finding(
                        id: "dane.tlsa-mismatch", severity: .error,
                        title: "No TLSA record matches the certificate \(result.host) presents",
                        detail: "\(result.host) has DNSSEC-secure DANE TLSA records, but none matches the chain it presents on "
                            + "port 25: DANE senders will not deliver to it (they defer the mail).",
                        evidence: usable.map { "\(tlsa.owner) TLSA \($0)" }, rfc: "RFC 7672 §3.1",
                        fix: "Publish a TLSA record for the certificate in use (`ldns-dane create \(tlsa.base) 25 3 1 1`), "
                            + "keeping the old one until the new certificate is deployed."))
                }
            }
            data.append(entry)
        }
        var areaData = report.data ?? AreaData()
        areaData.mxTLS = data
        let withTLS = results.filter { $0.0.startTLS == true && $0.0.tls != nil }.count
        let unreached = results.filter { !$0.0.reached }.count
        let summary = report.summary + "; STARTTLS on \(withTLS) of \(results.count) host\(results.count == 1 ? "" : "s")"
            + (unreached == 0 ? "" : " (\(unreached) not reachable from here: not checked)")
        let lines = data.map { host -> String in
            var parts = ["\(host.host):25"]
            if !host.reached {
                parts.append("not reached (\(host.failure ?? "no answer"))")
            } else if host.startTLS != true {
                parts.append("no STARTTLS")
            } else {
                parts.append("STARTTLS " + (host.tlsVersion ?? "handshake failed"))
                if let valid = host.certificateValid { parts.append(valid ? "certificate ok" : "certificate: \(host.certificateProblem ?? "invalid")") }
                if let dane = host.dane { parts.append("DANE \(dane)" + (host.daneMatched.map { " (\($0))" } ?? "")) }
            }
            return parts.joined(separator: ", ") + (host.cached ? " [cached]" : "")
        }
        return AreaReport(
            area: report.area, status: report.status == .incomplete ? .incomplete : nil, summary: summary,
            records: report.records + lines, findings: findings, data: areaData, dnssec: report.dnssec)
    }

    /// The findings of one host's probe. `dane`: the host has DNSSEC-secure TLSA records (usable
    /// or not), so DANE senders require TLS from it (RFC 7672 §2.2) and defer mail without it.
    static func hostFindings(_ result: MXTLSResult, enforced: Bool, dane: Bool = false) -> [Finding] {
        let host = result.host
        guard result.reached, let offered = result.startTLS else {
            // No greeting, or a greeting and no EHLO reply (a 554 banner, a dropped connection).
            let what = result.reached ? "\(host) greeted on port 25 but did not answer EHLO" : "No SMTP greeting from \(host) on port 25"
            return [Finding(
                id: "mx.smtp-unreachable", severity: .info, title: "\(host) port 25 not reachable from here: STARTTLS not checked",
                detail: "\(what) (\(result.failure ?? "no answer")). Many networks block outgoing port 25, and some servers "
                    + "refuse unknown clients; nothing is known to be missing.",
                rfc: "RFC 5321 §3.1", fix: "Run the audit where port 25 is open, or check that \(host) accepts mail on port 25.")]
        }
        guard offered else {
            var refusing: [String] = []
            if enforced { refusing.append("MTA-STS senders in enforce mode") }
            if dane { refusing.append("DANE senders, as it has DNSSEC-secure TLSA records (RFC 7672 §2.2),") }
            return [Finding(
                id: "mx.starttls-missing", severity: refusing.isEmpty ? .warning : .error, title: "\(host) does not offer STARTTLS",
                detail: "\(host) answered EHLO without STARTTLS: mail to it travels in plain text"
                    + (refusing.isEmpty ? "." : ", and " + refusing.joined(separator: " and ") + " will not deliver to it."),
                rfc: dane ? "RFC 3207 §4; RFC 7672 §2.2" : "RFC 3207 §4", fix: "Enable STARTTLS on \(host) (Postfix: smtpd_tls_security_level = may, with a certificate).")]
        }
        guard let tls = result.tls else {
            return [Finding(
                id: "mx.tls-handshake-failed", severity: .error, title: "\(host) offers STARTTLS but the TLS handshake fails",
                detail: "\(host) offered STARTTLS, but the handshake failed: \(result.failure ?? "no detail"). Senders that "
                    + "require TLS cannot deliver; others fall back to plain text.",
                rfc: "RFC 3207 §4", fix: "Check \(host)'s TLS certificate, key and protocol settings.")]
        }
        var findings: [Finding] = []
        if ["SSLv3", "TLSv1", "TLSv1.1"].contains(tls.version) {
            findings.append(Finding(
                id: "mx.tls-old-version", severity: .warning, title: "\(host) negotiates \(tls.version)",
                detail: "\(host) agreed to \(tls.version), which RFC 8996 deprecates; senders that require TLS 1.2 cannot deliver.",
                rfc: "RFC 8996 §2", fix: "Allow TLS 1.2 and 1.3 on \(host)."))
        }
        if !tls.verification.verified {
            findings.append(Finding(
                id: "mx.tls-certificate", severity: enforced ? .error : .warning,
                title: "\(host)'s certificate is not valid for its MX name",
                detail: "The certificate \(host) presents does not verify: \(tls.verification.reason). MTA-STS requires a "
                    + "certificate valid for the MX name from a trusted CA"
                    + (enforced ? "; in enforce mode, MTA-STS senders will not deliver to it." : "."),
                evidence: tls.chain.first.map { ["subject: \($0.subject)", "names: \($0.subjectAlternativeNames.joined(separator: ", "))"] }
                    ?? [],
                rfc: "RFC 8461 §4.2", fix: "Serve a certificate from a public CA whose names include \(host)."))
        }
        return findings
    }
}
