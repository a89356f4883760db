import DMARC
import DNSCore
import Foundation
import MailAuthCore
import SPF

/// Runs the audit of a domain: every area's checks concurrently, through one cache, under one
/// deadline.
///
/// ```swift
/// let auditor = Auditor(resolver: LDNSResolver())
/// let report = await auditor.audit(try DomainName("example.com"))
/// print(report.status, report.findings.map(\.id))
/// ```
public struct Auditor: Sendable {
    /// What to check and how long to take.
    public struct Options: Sendable {
        /// DKIM selectors to check besides those discovered.
        public var selectors: [String]
        /// The DKIM selectors tried besides those named and those the providers imply.
        public var selectorSet: SelectorSet
        /// The deadline of one domain's whole audit.
        public var deadline: Duration
        /// The Public Suffix List for the RFC 7489 view.
        public var publicSuffixList: PublicSuffixList
        /// Most answers the shared cache keeps; bulk audits stay within a fixed memory budget.
        public var cacheSize: Int
        /// How the report names the settings its advice points to (the CLI: by its options).
        public var settingNames: Setting.Names
        /// Validates DNSSEC for the DNSSEC area (DNSLDNS's `DNSSECValidator`): the MX, MTA-STS
        /// TXT and TLSA answers, from the trust anchor down. `nil`: the area reports the
        /// resolver's AD flag instead.
        public var dnssecValidator: (any DNSSECValidating)?
        /// How to reach servers for the live checks (the MTA-STS policy fetch, the MX STARTTLS
        /// probe). `nil`: no network probe at all, and those checks say "not checked".
        public var probe: TransportProbeOptions?

        public init(
            selectors: [String] = [], selectorSet: SelectorSet = .common, deadline: Duration = .seconds(30),
            publicSuffixList: PublicSuffixList = .bundled, cacheSize: Int = 4_096, settingNames: Setting.Names = .api,
            dnssecValidator: (any DNSSECValidating)? = nil, probe: TransportProbeOptions? = nil
        ) {
            self.probe = probe
            self.selectors = selectors
            self.selectorSet = selectorSet
            self.deadline = deadline
            self.publicSuffixList = publicSuffixList
            self.cacheSize = cacheSize
            self.settingNames = settingNames
            self.dnssecValidator = dnssecValidator
        }
    }

    /// The cache shared by every audit this auditor runs (bulk audits share provider records).
    public let cache: CachingResolver
    public let options: Options
    /// The MX STARTTLS probes of every audit this auditor runs: a host is probed once per run.
    public let mxTLSCache: MXTLSCache

    public init(resolver: any DNSResolver, options: Options = Options()) {
        self.cache = CachingResolver.reusing(resolver, maximumEntries: options.cacheSize)
        self.options = options
        self.mxTLSCache = MXTLSCache(maximumEntries: options.cacheSize)
    }

    /// Audits one domain. Never throws: DNS failures make areas `incomplete`.
    public func audit(_ domain: DomainName) async -> AuditReport {
        let started = ContinuousClock.now
        let timestamp = Date()
        let bounded = DeadlineResolver(cache, timeout: options.deadline)
        // Every area opens with one of these questions; asked together they go out as one batch
        // (one sendmmsg, one wake-up), and each area then starts from its answer. The cost: the
        // areas start when the slowest of the eight is settled, so a server that drops one of
        // them delays every area by its timeouts (bounded by the audit's deadline).
        let opening = await OpeningAnswers(Self.openingQuestions(domain), resolver: bounded)
        let counter = QueryCounter(opening)
        let resolver: any DNSResolver = counter
        let timeout = options.deadline
        let names = options.settingNames
        async let mx = MXCheck(domain: domain, resolver: resolver, names: names).run()
        async let spf = SPFAreaCheck(domain: domain, resolver: resolver, timeout: timeout).run()
        async let dmarc = DMARCAreaCheck(
            domain: domain, resolver: resolver, publicSuffixList: options.publicSuffixList, timeout: timeout
        ).run()
        // TLS-RPT reads little beyond its opening answer: no task of its own.
        let tlsRpt = await TLSRPTCheck(domain: domain, resolver: resolver, names: names).run()
        let mxResult = await mx
        // The network probes get what is left of the audit's deadline, at most their own.
        let probe = options.probe.map { configured in
            var bounded = configured
            let remaining = options.deadline - (ContinuousClock.now - started)
            bounded.fetchTimeout = max(.milliseconds(1), min(configured.fetchTimeout, remaining))
            bounded.stepTimeout = min(configured.stepTimeout, bounded.fetchTimeout)
            return bounded
        }
        // After MX: the policy's mx patterns are matched against the MX hosts.
        async let mtaStsReport = MTASTSCheck(domain: domain, resolver: resolver, names: names, probe: probe)
            .run(mxHosts: mxResult.exchanges)
        // After MX: the TLSA records validated are those of the MX hosts, and the hosts probed.
        // Validation asks its own questions (DO and CD set), within what is left of the audit's
        // deadline.
        let left = max(.zero, timeout - (ContinuousClock.now - started))
        async let dnssec = DNSSECCheck(
            domain: domain, resolver: resolver, names: names, validator: options.dnssecValidator, timeout: left
        ).run(mxHosts: mxResult.exchanges, aliased: mxResult.aliased)
        let mxTLSCache = self.mxTLSCache
        async let mxTLS = MXTLSCheck.probeAll(
            mxResult.domainExists ? mxResult.exchanges : [], options: probe, cache: mxTLSCache, resolver: resolver)
        let spfResult = await spf
        async let dkim = DKIMKeyCheck(
            domain: domain, resolver: resolver, names: names, selectors: options.selectors, selectorSet: options.selectorSet,
            mxHosts: mxResult.exchanges,
            spfDomains: SPFAreaCheck.domains(spfResult.analysis.tree),
            sendsNoMail: SPFAreaCheck.sendsNoMail(spfResult.analysis)
        ).run()
        let dmarcResult = await dmarc
        let modern = dmarcResult.inspection.rfc9989
        let enforced: Bool? = modern.record == nil ? false : modern.policy.map { $0 == .quarantine || $0 == .reject }
        let bimi = await BIMICheck(domain: domain, resolver: resolver, names: names).run(dmarcEnforced: enforced)
        let dkimResult = await dkim
        let mtaSts = await mtaStsReport
        let dnssecResult = await dnssec
        let probed = await mxTLS
        let mxReport = probed.isEmpty
            ? mxResult.report
            : MXTLSCheck.extend(
                mxResult.report, with: probed, secureTLSA: dnssecResult.secureTLSA, enforced: mtaSts.data?.mtaSts?.mode == "enforce")
        var areas = [
            spfResult.report, dkimResult.report, dmarcResult.report, mxReport, mtaSts, tlsRpt, bimi, dnssecResult.report,
        ]
        // An SPF record with an error (`?all`, a broken include, too many lookups) gives no pass a
        // receiver can count: the requirement is not met, whatever is published.
        let spfErrors = spfResult.report.findings.filter { $0.severity == .error }.map(\.title)
        let spfPublished: Bool? =
            spfResult.analysis.incomplete && spfResult.analysis.record == nil ? nil : spfResult.analysis.record != nil
        var readiness = BulkSenderReadiness.assess(
            spf: spfPublished.map { $0 && spfErrors.isEmpty }, spfProblems: spfPublished == true ? spfErrors : [],
            dkim: dkimResult.keyFound,
            dkimTestingOnly: dkimResult.keyFound == false && dkimResult.report.findings.contains { $0.id == "dkim.key.testing" },
            dmarcPolicy: modern.record == nil ? nil : (modern.policy?.rawValue ?? "none"),
            dmarcKnown: dmarcResult.inspection.isComplete, names: names)
        if !mxResult.domainExists {
            // A domain that does not exist has one finding, that it does not exist; advice to
            // publish records under it would only mislead.
            areas = areas.map { area in
                area.area == .mx
                    ? area
                    : AreaReport(area: area.area, status: .absent, summary: "not checked: the domain does not exist", findings: [])
            }
            readiness = .domainDoesNotExist(readiness)
        }
        return AuditReport(
            domain: domain.description, timestamp: Self.rfc3339(timestamp), resolver: cache.resolverDescription,
            durationMs: Int((ContinuousClock.now - started).nanoseconds / 1_000_000), areas: areas,
            readiness: readiness, questions: counter.queries + dnssecResult.questions + dnssecResult.cacheHits,
            cacheHits: counter.cacheHits + dnssecResult.cacheHits)
    }

    /// The first question of every area: SPF's TXT, DMARC's policy record, MX, the DKIM probe
    /// of `_domainkey`, MTA-STS, TLS-RPT, BIMI, and the SOA whose AD flag DNSSEC reads.
    static func openingQuestions(_ domain: DomainName) -> [DNSQuestion] {
        var questions = [DNSQuestion(domain, .txt), DNSQuestion(domain, .mx), DNSQuestion(domain, .soa)]
        for prefix in [TreeWalk.recordLabel, DKIMKeyCheck.keysLabel, MTASTSCheck.prefix, TLSRPTCheck.prefix, BIMICheck.prefix] {
            if let name = try? domain.prepending(prefix) { questions.append(DNSQuestion(name, .txt)) }
        }
        return questions
    }

    /// RFC 3339 UTC (`2026-11-27T12:00:00Z`); a value type, made once.
    static let rfc3339Style = Date.ISO8601FormatStyle()

    static func rfc3339(_ date: Date) -> String { date.formatted(rfc3339Style) }
}

/// Counts the questions one audit asks and how many the cache answered.
final class QueryCounter: DNSResolver, @unchecked Sendable {
    let base: any DNSResolver
    private let lock = NSLock()
    private var asked = 0
    private var hits = 0

    init(_ base: any DNSResolver) { self.base = base }

    var resolverDescription: String { base.resolverDescription }
    var queries: Int { lock.withLock { asked } }
    var cacheHits: Int { lock.withLock { hits } }

    func query(_ question: DNSQuestion) async throws(DNSError) -> DNSResponse {
        count(try await base.query(question))
    }

    private func count(_ response: DNSResponse) -> DNSResponse {
        lock.withLock {
            asked += 1
            if response.fromCache { hits += 1 }
        }
        return response
    }
}

extension QueryCounter: DeadlineAwareResolver {
    /// The SPF and DMARC evaluations bound their queries with deadlines of their own; those pass
    /// through to the audit's deadline and resolvers below.
    func query(_ question: DNSQuestion, within deadline: DeadlineSignal) async throws(DNSError) -> DNSResponse {
        count(try await base.query(question, boundedBy: deadline))
    }
}

extension QueryCounter: BatchResolver {
    /// A batch passes down whole; its answers are counted as single ones are.
    func queryAll(_ questions: [DNSQuestion], within deadline: DeadlineSignal?) async -> [Result<DNSResponse, DNSError>] {
        let results = await base.queryAll(questions, boundedBy: deadline)
        for case .success(let response) in results { _ = count(response) }
        return results
    }
}

/// Answers each of a set of questions once from a batch asked up front, then asks its base.
///
/// The first ask of an opening question gets the batch's result exactly as a lookup of its own
/// would have (a failure included, so a dead server is not waited for twice); a later ask goes
/// to the base, whose cache answers it. The report counts each question as if its area had asked
/// it alone.
final class OpeningAnswers: DNSResolver, @unchecked Sendable {
    let base: any DNSResolver
    private let lock = NSLock()
    private var answers: [DNSQuestion: Result<DNSResponse, DNSError>]

    init(_ questions: [DNSQuestion], resolver: any DNSResolver) async {
        base = resolver
        let results = await resolver.queryAll(questions)
        answers = Dictionary(zip(questions, results), uniquingKeysWith: { first, _ in first })
    }

    var resolverDescription: String { base.resolverDescription }

    private func take(_ question: DNSQuestion) -> Result<DNSResponse, DNSError>? {
        lock.withLock { answers.removeValue(forKey: question) }
    }

    func query(_ question: DNSQuestion) async throws(DNSError) -> DNSResponse {
        if let answer = take(question) { return try answer.get() }
        return try await base.query(question)
    }
}

extension OpeningAnswers: DeadlineAwareResolver {
    func query(_ question: DNSQuestion, within deadline: DeadlineSignal) async throws(DNSError) -> DNSResponse {
        if let answer = take(question) { return try answer.get() }
        return try await base.query(question, boundedBy: deadline)
    }
}

extension OpeningAnswers: BatchResolver {
    func queryAll(_ questions: [DNSQuestion], within deadline: DeadlineSignal?) async -> [Result<DNSResponse, DNSError>] {
        var results = BatchResults(questions)
        var rest: [Int] = []
        for (index, question) in questions.enumerated() {
            if let answer = take(question) { results[index] = answer } else { rest.append(index) }
        }
        if !rest.isEmpty {
            for (index, result) in zip(rest, await base.queryAll(rest.map { questions[$0] }, boundedBy: deadline)) {
                results[index] = result
            }
        }
        return results.inOrder
    }
}
