import DNSCore
import MailAuthCore

/// The MX area: where the domain receives mail (RFC 5321 §5.1), null MX (RFC 7505), and whether
/// each exchange resolves and has forward-confirmed reverse DNS.
struct MXCheck {
    /// Most MX hosts examined; a longer list is reported and cut.
    static let maximumHosts = 10
    /// Most addresses whose reverse DNS is checked.
    static let maximumFCrDNSAddresses = 10

    struct Result {
        var report: AreaReport
        /// The exchanges, for selector inference.
        var exchanges: [DomainName]
        /// Whether the domain itself exists.
        var domainExists: Bool
        /// The exchanges whose address records were reached through a CNAME, for DANE's TLSA
        /// base domain (RFC 7672 §2.2.2).
        var aliased: Set<DomainName> = []
    }

    let domain: DomainName
    let resolver: any DNSResolver
    let names: Setting.Names

    func run() async -> Result {
        do {
            return try await check()
        } catch {
            return Result(
                report: AreaReport(area: .mx, status: .incomplete, summary: "DNS failure", findings: [.incomplete(.mx, error.error, names: names)]),
                exchanges: [], domainExists: true)
        }
    }

    private func check() async throws(Incomplete) -> Result {
        let response = try await ask(resolver, domain, .mx)
        var findings: [Finding] = []
        var records = response.records.map(\.presentation)
        switch response.outcome {
        case .nxdomain:
            findings.append(Finding(
                id: "domain.nxdomain", severity: .error, title: "The domain does not exist",
                detail: "\(domain) answered NXDOMAIN: no mail can be sent from or to it.", rfc: "RFC 8020 §2",
                fix: "Check the spelling, or register and delegate the domain."))
            return Result(report: AreaReport(area: .mx, summary: "domain does not exist", findings: findings), exchanges: [], domainExists: false)
        case .nodata:
            findings.append(Finding(
                id: "mx.none", severity: .warning, title: "No MX records",
                detail: "\(domain) has no MX records, so senders fall back to its A/AAAA address (RFC 5321 §5.1); bounces and DMARC reports to this domain may go nowhere.",
                rfc: "RFC 5321 §5.1",
                fix: "Publish MX records for the hosts that receive mail, or a null MX (`MX 0 .`) if the domain receives none."))
            return Result(report: AreaReport(area: .mx, summary: "no MX records", findings: findings), exchanges: [], domainExists: true)
        case .answer:
            break
        }
        let mx = response.mx
        let isNull = mx.contains { $0.exchange.isRoot }
        if isNull {
            if mx.count == 1 && mx[0].preference == 0 {
                findings.append(Finding(
                    id: "mx.null", severity: .info, title: "Null MX: the domain accepts no mail",
                    detail: "\(domain) publishes a null MX (RFC 7505): it receives no mail. Mail it sends cannot get bounces.",
                    evidence: records, rfc: "RFC 7505 §3",
                    fix: "Nothing, if the domain is not meant to receive mail."))
            } else {
                findings.append(Finding(
                    id: "mx.null-mixed", severity: .error, title: "Null MX mixed with other MX records",
                    detail: "A null MX must be the only MX record, with preference 0 (RFC 7505 §3).",
                    evidence: records, rfc: "RFC 7505 §3",
                    fix: "Remove the `MX 0 .` record, or remove every other MX record."))
            }
            let summary = mx.count == 1 ? "null MX (receives no mail)" : "null MX mixed with hosts"
            return Result(report: AreaReport(area: .mx, summary: summary, records: records, findings: findings), exchanges: [], domainExists: true)
        }
        var preferences: [UInt16: [DomainName]] = [:]
        for entry in mx { preferences[entry.preference, default: []].append(entry.exchange) }
        for (preference, hosts) in preferences.sorted(by: { $0.key < $1.key }) where hosts.count > 1 {
            findings.append(Finding(
                id: "mx.duplicate-preference", severity: .info, title: "Several MX hosts share preference \(preference)",
                detail: "\(hosts.map(\.description).joined(separator: ", ")) share preference \(preference): senders pick among them at random. Fine for load sharing; a mistake if one was meant as a backup.",
                evidence: records, rfc: "RFC 5321 §5.1",
                fix: "Give a backup host a higher preference number than the primary."))
        }
        let sorted = mx.sorted { ($0.preference, $0.exchange) < ($1.preference, $1.exchange) }
        if sorted.count > Self.maximumHosts {
            findings.append(Finding(
                id: "mx.too-many", severity: .warning, title: "\(sorted.count) MX hosts",
                detail: "Only the first \(Self.maximumHosts) were checked; senders may also give up on long lists.",
                rfc: "RFC 5321 §5.1", fix: "Keep the MX set short."))
        }
        let hosts = Array(sorted.prefix(Self.maximumHosts))
        // Every host's A and AAAA at once, as one batch. An IP literal is reported below, not
        // resolved: asking for it only produces noise.
        let resolved = hosts.indices.filter { IPAddress(hosts[$0].exchange.description) == nil }
        let answers = await resolver.queryAll(resolved.flatMap {
            [DNSQuestion(hosts[$0].exchange, .a), DNSQuestion(hosts[$0].exchange, .aaaa)]
        })
        var resolutions: [Int: Resolution] = [:]
        for (position, index) in resolved.enumerated() {
            resolutions[index] = Resolution(v4: answers[2 * position], v6: answers[2 * position + 1])
        }
        var addresses: [(DomainName, IPAddress)] = []
        var aliased: Set<DomainName> = []
        var incomplete: DNSError? = nil
        let parsed = hosts.indices.map { index in
            MXHost(
                preference: Int(hosts[index].preference), exchange: hosts[index].exchange.description,
                addresses: resolutions[index]?.addresses.map(\.description) ?? [])
        }
        for (index, host) in hosts.enumerated() {
            let name = host.exchange
            if IPAddress(name.description) != nil {
                findings.append(Finding(
                    id: "mx.target-ip-address", severity: .error, title: "MX target \(name) is an IP address",
                    detail: "An MX record must name a host, not an address (RFC 7505 §3 / RFC 5321 §5.1); many senders will not deliver to it.",
                    evidence: ["MX \(host.preference) \(name)"], rfc: "RFC 5321 §5.1",
                    fix: "Point the MX at a host name that has an A/AAAA record."))
                continue
            }
            guard let resolution = resolutions[index] else { continue }
            if let error = resolution.failure {
                incomplete = incomplete ?? error
                continue
            }
            if resolution.throughCNAME {
                aliased.insert(name)
                findings.append(Finding(
                    id: "mx.target-cname", severity: .warning, title: "MX target \(name) is a CNAME",
                    detail: "RFC 2181 §10.3 forbids an MX pointing at an alias; some senders refuse or misroute it.",
                    evidence: ["MX \(host.preference) \(name)"], rfc: "RFC 2181 §10.3",
                    fix: "Point the MX at the canonical name the CNAME leads to."))
            }
            if resolution.addresses.isEmpty {
                findings.append(Finding(
                    id: "mx.target-no-address", severity: .error, title: "MX target \(name) has no address",
                    detail: "\(name) has no A or AAAA record\(resolution.nxdomain ? " (the name does not exist)" : ""): senders cannot deliver to it.",
                    evidence: ["MX \(host.preference) \(name)"], rfc: "RFC 5321 §5.1",
                    fix: "Publish an A/AAAA record for \(name), or remove it from the MX set."))
            }
            records += resolution.records
            addresses += resolution.addresses.map { (name, $0) }
        }
        // Forward-confirmed reverse DNS of the exchange addresses.
        let checked = Array(addresses.prefix(Self.maximumFCrDNSAddresses))
        let reverse = await ForwardConfirmedReverseDNS.check(checked.map(\.1), resolver: resolver)
        var noPTR: [String] = []
        var mismatched: [String] = []
        for (index, entry) in checked.enumerated() {
            let result = reverse[index]
            switch result.outcome {
            case .confirmed(let ptr): records.append("\(entry.1) PTR \(ptr)")
            case .noPTR: noPTR.append("\(entry.1) (\(entry.0))")
            case .notConfirmed: mismatched.append("\(entry.1) → \(result.names.map(\.description).joined(separator: ", "))")
            case .failed(let error): incomplete = incomplete ?? error
            }
        }
        if !noPTR.isEmpty {
            findings.append(Finding(
                id: "mx.no-ptr", severity: .warning, title: "MX addresses without reverse DNS",
                detail: "No PTR record for \(noPTR.joined(separator: ", ")). Receivers expect mail hosts to have forward-confirmed reverse DNS; if these hosts also send, their mail is likely refused.",
                rfc: "RFC 8601 §3 (iprev); Gmail sender guidelines",
                fix: "Ask the address owner (hosting provider) to publish a PTR naming a host whose A/AAAA record points back."))
        }
        if !mismatched.isEmpty {
            findings.append(Finding(
                id: "mx.fcrdns-mismatch", severity: .warning, title: "MX reverse DNS is not forward-confirmed",
                detail: "The PTR names do not resolve back to the address: \(mismatched.joined(separator: "; ")).",
                rfc: "RFC 8601 §3 (iprev)",
                fix: "Make the PTR name's A/AAAA record include the address."))
        }
        if let incomplete {
            findings.append(.incomplete(.mx, incomplete, names: names))
        }
        let summary = "\(mx.count) MX host\(mx.count == 1 ? "" : "s"): " + sorted.prefix(3).map { "\($0.preference) \($0.exchange)" }.joined(separator: ", ") + (sorted.count > 3 ? ", …" : "")
        let report = AreaReport(
            area: .mx, status: incomplete != nil ? .incomplete : nil, summary: summary, records: records, findings: findings,
            data: AreaData(mx: parsed))
        return Result(report: report, exchanges: sorted.map(\.exchange), domainExists: true, aliased: aliased)
    }

    /// What a host's A and AAAA lookups found.
    struct Resolution: Sendable {
        var addresses: [IPAddress] = []
        var throughCNAME = false
        var nxdomain = false
        var records: [String] = []
        var failure: DNSError? = nil

        init(v4: Swift.Result<DNSResponse, DNSError>, v6: Swift.Result<DNSResponse, DNSError>) {
            switch (v4, v6) {
            case (.success(let a), .success(let aaaa)):
                addresses = a.addresses + aaaa.addresses
                throughCNAME = !a.cnameChain.isEmpty || !aaaa.cnameChain.isEmpty
                nxdomain = a.outcome == .nxdomain
                records = (a.records + aaaa.records).map(\.presentation)
            case (.failure(let error), _), (_, .failure(let error)):
                failure = error
            }
        }
    }
}

extension IPAddress {
    var isV4: Bool {
        if case .v4 = self { return true }
        return false
    }
}
