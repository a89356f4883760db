/// Answers from zone data held in memory: records from a zone file (see `DNSLDNS` for the file
/// reader) or built in code. No network is used.
///
/// It behaves as an authoritative server would (RFC 1034 §4.3.2): NXDOMAIN when the name and every
/// name below it have no records, NODATA when the name exists (or is an empty non-terminal) but
/// has no record of the type, CNAMEs followed up to ``maximumCNAMEChain`` links, and wildcards
/// (RFC 4592) for names that do not exist. Failures can be injected per name, to test how callers
/// handle SERVFAIL or timeouts.
///
/// DNAME (RFC 6672 §3.2): a name strictly below a DNAME's owner is answered as a server would
/// synthesise it, with a CNAME (the DNAME's TTL) from the name to the name with the owner
/// replaced by the DNAME's target; that CNAME is followed like any other, counted in the chain
/// limit and checked for loops. Records below a DNAME's owner are occluded (RFC 6672 §2.4); the
/// DNAME nearest the root wins. The owner itself is answered normally. A substitution that
/// would make a name longer than 255 octets is the server's YXDOMAIN (RFC 6672 §2.2), thrown as
/// ``DNSError/Kind/otherResponseCode`` with rcode ``ResponseCode/yxDomain``, as ``DNSError``
/// reports that rcode from a live server. A wildcard DNAME (`*.example DNAME …`) is not
/// applied to names below the names it would stand for (RFC 6672 §3.3 advises against it).
public struct ZoneResolver: DNSResolver {
    /// Longest CNAME chain followed before the query fails with ``DNSError/Kind/cnameLoop``.
    public static let maximumCNAMEChain = 16

    let byName: [DomainName: [ResourceRecord]]
    let existing: Set<DomainName>
    /// Each DNAME owner's record (RFC 6672 §2.4: at most one per owner; the first is used).
    let dnames: [DomainName: ResourceRecord]
    let failures: [DomainName: DNSError.Kind]
    let questionFailures: [DNSQuestion: DNSError.Kind]
    /// Each zone apex's SOA record TTL and data, for negative TTLs.
    let soas: [DomainName: (ttl: UInt32, data: SOAData)]
    /// Each signed zone's NSEC and NSEC3 records and the RRSIGs over them, by zone apex: the
    /// proofs a server puts in a negative answer (RFC 4035 §3.1.3). Empty for unsigned data.
    let denialRecords: [DomainName: [ResourceRecord]]
    /// What the reports call this resolver.
    public let resolverDescription: String

    /// Makes a resolver over `records`.
    ///
    /// - Parameters:
    ///   - failures: names for which every query fails with the given kind (as a server that
    ///     times out or answers SERVFAIL for that name would).
    ///   - questionFailures: single questions that fail with the given kind.
    public init(
        records: [ResourceRecord], failures: [DomainName: DNSError.Kind] = [:],
        questionFailures: [DNSQuestion: DNSError.Kind] = [:], description: String = "zone data"
    ) {
        var byName: [DomainName: [ResourceRecord]] = [:]
        var existing: Set<DomainName> = []
        var soas: [DomainName: (ttl: UInt32, data: SOAData)] = [:]
        var dnames: [DomainName: ResourceRecord] = [:]
        for record in records {
            byName[record.name, default: []].append(record)
            if record.type == .dname, dnames[record.name] == nil { dnames[record.name] = record }
            var name: DomainName? = record.name
            while let current = name, existing.insert(current).inserted {
                name = current.parent
            }
            if case .soa(let soa) = record.data { soas[record.name] = (record.ttl, soa) }
        }
        self.byName = byName
        self.existing = existing
        self.dnames = dnames
        self.failures = failures
        self.questionFailures = questionFailures
        self.soas = soas
        self.denialRecords = Self.denialRecords(records, apexes: Set(soas.keys))
        self.resolverDescription = description
    }

    /// Every record held, in no particular order.
    public var records: [ResourceRecord] { byName.values.flatMap { $0 } }

    public func query(_ question: DNSQuestion) async throws(DNSError) -> DNSResponse {
        try answer(question, checking: nil)
    }

    /// ``answer(_:)``, unless the task is cancelled or `deadline` has fired.
    private func answer(_ question: DNSQuestion, checking deadline: DeadlineSignal?) throws(DNSError) -> DNSResponse {
        if Task.isCancelled { throw DNSError(.cancelled, question: question, server: resolverDescription) }
        if let deadline, deadline.hasFired { throw DeadlineSignal.expired(question) }
        return try answer(question)
    }

    /// The synchronous lookup behind ``query(_:)``.
    public func answer(_ question: DNSQuestion) throws(DNSError) -> DNSResponse {
        var chain: [DomainName] = []
        var current = question.name
        var seen: Set<DomainName> = [current]
        while true {
            if let kind = failures[current]
                ?? (questionFailures.isEmpty ? nil : questionFailures[DNSQuestion(current, question.type)])
            {
                throw DNSError(kind, question: question, server: resolverDescription, detail: "injected failure at \(current)")
            }
            let owned: [ResourceRecord]
            if let synthesised = try synthesisedCNAME(current, question: question) {
                owned = [synthesised]
            } else if let records = recordsAt(current) {
                owned = records
            } else {
                return response(question, .nxdomain, chain: chain, negativeFor: current)
            }
            let matching = owned.filter { $0.type == question.type }
            if !matching.isEmpty {
                return response(question, .answer, records: matching, chain: chain, negativeFor: current)
            }
            if question.type != .cname, let alias = owned.first(where: { $0.type == .cname }),
                case .cname(let target) = alias.data
            {
                if chain.count >= Self.maximumCNAMEChain || !seen.insert(target).inserted {
                    throw DNSError(
                        .cnameLoop, question: question, server: resolverDescription,
                        detail: "CNAME chain \(([question.name] + chain + [target]).map(\.description).joined(separator: " → "))")
                }
                chain.append(target)
                current = target
                continue
            }
            return response(question, .nodata, chain: chain, negativeFor: current)
        }
    }

    /// The CNAME a server synthesises for `name` from the DNAME of one of its proper ancestors
    /// (RFC 6672 §3.2), or `nil` when no ancestor owns a DNAME.
    ///
    /// - Throws: YXDOMAIN as ``DNSError/Kind/otherResponseCode`` when the substituted name would be
    ///   longer than 255 octets (RFC 6672 §2.2).
    func synthesisedCNAME(_ name: DomainName, question: DNSQuestion) throws(DNSError) -> ResourceRecord? {
        guard !dnames.isEmpty else { return nil }
        let labels = name.labels
        // From the root down: a DNAME occludes everything below its owner, other DNAMEs included.
        for kept in 0..<labels.count {
            let owner = name.suffix(labels: kept)
            guard let dname = dnames[owner], case .dname(let target) = dname.data else { continue }
            let renamed = Array(labels.prefix(labels.count - kept)) + target.labels
            guard let substituted = try? DomainName(labels: renamed) else {
                throw DNSError(
                    .otherResponseCode, question: question, server: resolverDescription, rcode: .yxDomain,
                    detail: "DNAME \(owner) → \(target) would rename \(name) to a name longer than 255 octets "
                        + "(RFC 6672 §2.2)")
            }
            return ResourceRecord(name: name, ttl: dname.ttl, data: .cname(substituted))
        }
        return nil
    }

    /// Records owned by `name`: its own, or a wildcard's renamed to it; `nil` when it does not exist.
    func recordsAt(_ name: DomainName) -> [ResourceRecord]? {
        if let own = byName[name] { return own }
        if existing.contains(name) { return [] }
        // RFC 4592 §3.3.1: find the closest encloser, then look for `*.<closest encloser>`.
        var encloser = name.parent
        while let candidate = encloser, !existing.contains(candidate) { encloser = candidate.parent }
        guard let closest = encloser, let wildcard = try? closest.prepending("*"), let records = byName[wildcard]
        else { return nil }
        return records.map { ResourceRecord(name: name, ttl: $0.ttl, data: $0.data) }
    }

    private func response(
        _ question: DNSQuestion, _ outcome: DNSResponse.Outcome, records: [ResourceRecord] = [], chain: [DomainName],
        negativeFor name: DomainName
    ) -> DNSResponse {
        var negativeTTL: UInt32? = nil
        if outcome != .answer {
            var zone: DomainName? = name
            while let current = zone, soas[current] == nil { zone = current.parent }
            // RFC 2308 §5: the smaller of the SOA record's TTL and its MINIMUM field.
            negativeTTL = zone.flatMap { soas[$0] }.map { min($0.ttl, $0.data.minimum) }
        }
        return DNSResponse(
            question: question, outcome: outcome, records: records, cnameChain: chain, transport: .zone,
            server: resolverDescription, negativeTTL: negativeTTL)
    }
}

extension ZoneResolver: DeadlineAwareResolver {
    /// A zone lookup never waits, so the deadline is only checked before it.
    package func query(_ question: DNSQuestion, within deadline: DeadlineSignal) async throws(DNSError) -> DNSResponse {
        try answer(question, checking: deadline)
    }
}

extension ZoneResolver: BatchResolver {
    /// A zone lookup never waits, so a batch is answered in turn, with no task per question.
    package func queryAll(_ questions: [DNSQuestion], within deadline: DeadlineSignal?) async -> [Result<DNSResponse, DNSError>] {
        questions.map { question in Result { () throws(DNSError) in try answer(question, checking: deadline) } }
    }
}
