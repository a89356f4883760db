/// Zone data laid over another resolver: the pre-deploy check of zone files that are not yet
/// published, on a domain that includes providers' records.
///
/// A name at or below the apex (the SOA owner) of a zone in the data is answered from the data,
/// authoritatively: NXDOMAIN there means the files lack the name. Every other name is asked of
/// the `outside` resolver (the network), so `include:_spf.google.com` or an MX at a provider is
/// checked for real instead of being reported missing. A CNAME in the data whose target lies
/// outside the zones is followed through `outside`, and the answer keeps the whole chain.
///
/// With no `outside` resolver (an offline check), a question outside the zones fails with
/// ``DNSError/Kind/outsideZoneData``, naming the question that was not asked (a CNAME's target
/// when the chain led out of the zones): the part that needs it is reported as not checked
/// (incomplete), never as a missing record.
public struct OverlayResolver: DNSResolver {
    /// The zone data.
    public let zones: ZoneResolver
    /// The apexes of the zones in ``zones``: their SOA owners.
    public let apexes: Set<DomainName>
    /// Where names outside ``apexes`` are asked; `nil` offline.
    public let outside: (any DNSResolver)?

    /// Lays `zones` over `outside`; pass `nil` for an offline check.
    public init(zones: ZoneResolver, outside: (any DNSResolver)?) {
        self.zones = zones
        self.outside = outside
        apexes = Set(zones.records.filter { $0.type == .soa }.map(\.name))
    }

    public var resolverDescription: String {
        guard let outside else { return zones.resolverDescription + " (offline: other names not checked)" }
        return zones.resolverDescription + "; other names from " + outside.resolverDescription
    }

    /// Whether `name` is at or below one of the ``apexes``, so the zone data answers it.
    public func holds(_ name: DomainName) -> Bool {
        var current: DomainName? = name
        while let candidate = current {
            if apexes.contains(candidate) { return true }
            current = candidate.parent
        }
        return false
    }

    public func query(_ question: DNSQuestion) async throws(DNSError) -> DNSResponse {
        try await resolve(question, deadline: nil)
    }

    private func resolve(_ question: DNSQuestion, deadline: DeadlineSignal?) async throws(DNSError) -> DNSResponse {
        guard holds(question.name) else { return try await ask(question, deadline: deadline) }
        let local = try zones.answer(question)
        // The chain left the zone data: the data cannot say what the target holds.
        guard let target = local.cnameChain.last, !holds(target) else { return local }
        var remote = try await ask(DNSQuestion(target, question.type), original: question, deadline: deadline)
        remote.question = question
        remote.cnameChain = local.cnameChain + remote.cnameChain
        return remote
    }

    /// Asks `outside`, or fails offline.
    private func ask(
        _ question: DNSQuestion, original: DNSQuestion? = nil, deadline: DeadlineSignal?
    ) async throws(DNSError) -> DNSResponse {
        guard let outside else {
            // The question is the one not asked (a CNAME's target, when one led out of the zones).
            throw DNSError(
                .outsideZoneData, question: question, server: zones.resolverDescription,
                detail: original.map { "reached by the CNAME chain from \($0.name)" } ?? "")
        }
        do throws(DNSError) {
            if let deadline { return try await outside.query(question, boundedBy: deadline) }
            return try await outside.query(question)
        } catch {
            guard let original, original != question else { throw error }
            // Name the question the caller asked; keep what failed in the detail.
            var failure = error
            failure.question = original
            failure.detail = "while following a CNAME to \(question): " + (error.detail.isEmpty ? error.description : error.detail)
            throw failure
        }
    }
}

extension OverlayResolver: DeadlineAwareResolver {
    package func query(_ question: DNSQuestion, within deadline: DeadlineSignal) async throws(DNSError) -> DNSResponse {
        if deadline.hasFired { throw DeadlineSignal.expired(question) }
        return try await resolve(question, deadline: deadline)
    }
}

extension OverlayResolver: BatchResolver {
    /// Answers the questions inside the zones at once, and sends the others to `outside` as one
    /// batch (CNAME targets outside the zones are then chased one by one).
    package func queryAll(_ questions: [DNSQuestion], within deadline: DeadlineSignal?) async -> [Result<DNSResponse, DNSError>] {
        var results = BatchResults(questions)
        var away: [Int] = []
        for (index, question) in questions.enumerated() {
            if holds(question.name) { results[index] = await result(of: question, boundedBy: deadline) } else { away.append(index) }
        }
        if let outside, !away.isEmpty {
            let answers = await outside.queryAll(away.map { questions[$0] }, boundedBy: deadline)
            for (index, answer) in zip(away, answers) { results[index] = answer }
        } else {
            for index in away { results[index] = await result(of: questions[index], boundedBy: deadline) }
        }
        return results.inOrder
    }
}
