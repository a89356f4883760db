/// Answers from zone data held in memory: records from a zone file (see `DNSLDNS` for the file
/// reader) or built in code. No network is used.
///
/// It behaves as an authoritative server would (RFC 1034 §4.3.2): NXDOMAIN when the name and every
/// name below it have no records, NODATA when the name exists (or is an empty non-terminal) but
/// has no record of the type, CNAMEs followed up to ``maximumCNAMEChain`` links, and wildcards
/// (RFC 4592) for names that do not exist. Failures can be injected per name, to test how callers
/// handle SERVFAIL or timeouts.
public struct ZoneResolver: DNSResolver {
    /// Longest CNAME chain followed before the query fails with ``DNSError/Kind/cnameLoop``.
    public static let maximumCNAMEChain = 16

    private let byName: [DomainName: [ResourceRecord]]
    private let existing: Set<DomainName>
    private let failures: [DomainName: DNSError.Kind]
    private let questionFailures: [DNSQuestion: DNSError.Kind]
    /// Each zone apex's SOA record TTL and data, for negative TTLs.
    private let soas: [DomainName: (ttl: UInt32, data: SOAData)]
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
        for record in records {
            byName[record.name, default: []].append(record)
            var name: DomainName? = record.name
            while let current = name, existing.insert(current).inserted {
                name = current.parent
            }
            if case .soa(let soa) = record.data { soas[record.name] = (record.ttl, soa) }
        }
        self.byName = byName
        self.existing = existing
        self.failures = failures
        self.questionFailures = questionFailures
        self.soas = soas
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
            let owned = recordsAt(current)
            guard let owned else {
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

    /// Records owned by `name`: its own, or a wildcard's renamed to it; `nil` when it does not exist.
    private func recordsAt(_ name: DomainName) -> [ResourceRecord]? {
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
