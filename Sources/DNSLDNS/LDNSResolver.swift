internal import CLDNS
import DNSCore

/// A ``DNSResolver`` that asks real nameservers, with packets built and parsed by ldns.
///
/// - UDP with an EDNS0 payload size of 1232 (RFC 6891; the DNS Flag Day 2020 value), and an
///   explicit TCP re-query when an answer comes back truncated (RFC 7766 §5), reported in
///   ``DNSResponse/truncatedOverUDP`` and ``DNSResponse/transport``.
/// - Optional DO bit (RFC 3225) with the AD flag reported.
/// - Failover: each attempt asks every nameserver in turn; a timeout, SERVFAIL or REFUSED moves
///   on to the next one.
/// - CNAMEs are followed (RFC 1034 §3.6.2), re-asking for the target when a server returns only
///   the alias (an authoritative server whose target is out of zone does that).
/// - Never blocks a thread: UDP queries to a server share a few non-blocking sockets
///   (``UDPChannel``: random IDs, a fresh source port every 64 queries); TCP queries each get a
///   non-blocking connection driven by Dispatch sources. At most
///   ``Configuration/maximumInFlight`` exchanges run at once; cancelling the calling task ends
///   its exchange at once with ``DNSError/Kind/cancelled``.
/// - Batches (the package's `queryAll`, used by the audit for its opening questions, DKIM
///   selector probes, MX host addresses and reverse DNS): the first try of every question leaves
///   in one `sendmmsg(2)` and the caller is woken once; a question the first reply does not
///   settle goes on with the same tries, failover and TCP fallback as if asked alone.
public final class LDNSResolver: DNSResolver {
    /// How the resolver behaves.
    public struct Configuration: Sendable {
        /// Servers to ask, in order.
        public var nameservers: [Nameserver]
        /// How long to wait for each answer.
        public var timeout: Duration
        /// Rounds over the server list.
        public var attempts: Int
        /// Advertised EDNS0 UDP payload size; 0 sends no OPT record (512-byte answers).
        public var ednsUDPSize: UInt16
        /// Set the DO bit and ask for the AD flag.
        public var dnssecOK: Bool
        /// Ask over TCP from the start.
        public var tcpOnly: Bool
        /// Most exchanges in flight at once; others wait their turn.
        public var maximumInFlight: Int
        /// Longest CNAME chain followed.
        public var maximumCNAMEChain: Int

        /// Defaults suited to an interactive CLI: 2 s × 2 attempts, servers from /etc/resolv.conf.
        public init(
            nameservers: [Nameserver] = Nameserver.fromResolvConf(), timeout: Duration = .seconds(2), attempts: Int = 2,
            ednsUDPSize: UInt16 = 1232, dnssecOK: Bool = false, tcpOnly: Bool = false, maximumInFlight: Int = 256,
            maximumCNAMEChain: Int = 16
        ) {
            self.nameservers = nameservers
            self.timeout = timeout
            self.attempts = max(1, attempts)
            self.ednsUDPSize = ednsUDPSize
            self.dnssecOK = dnssecOK
            self.tcpOnly = tcpOnly
            self.maximumInFlight = max(1, maximumInFlight)
            self.maximumCNAMEChain = maximumCNAMEChain
        }
    }

    public let configuration: Configuration
    let semaphore: AsyncSemaphore
    /// One UDP channel per server (the server list is fixed).
    let channels: [Nameserver: UDPChannel]
    /// Each server's description, written once (every response names its server).
    let serverNames: [Nameserver: String]

    public init(_ configuration: Configuration = Configuration()) {
        self.configuration = configuration
        self.semaphore = AsyncSemaphore(permits: configuration.maximumInFlight)
        var channels: [Nameserver: UDPChannel] = [:]
        for server in configuration.nameservers where channels[server] == nil {
            channels[server] = UDPChannel(server: server, timeout: configuration.timeout)
        }
        self.channels = channels
        serverNames = Dictionary(configuration.nameservers.map { ($0, $0.description) }, uniquingKeysWith: { first, _ in first })
    }

    deinit {
        for channel in channels.values { channel.shutdown() }
    }

    /// A resolver asking `nameservers` with otherwise default settings.
    public convenience init(nameservers: [Nameserver], timeout: Duration = .seconds(2), attempts: Int = 2) {
        self.init(Configuration(nameservers: nameservers, timeout: timeout, attempts: attempts))
    }

    /// The ldns library's version ("1.8.3").
    public static var libraryVersion: String {
        guard let text = ldns_version() else { return "unknown" }
        return String(cString: text)
    }

    public var resolverDescription: String {
        "ldns " + configuration.nameservers.map(\.description).joined(separator: ", ")
    }

    public func query(_ question: DNSQuestion) async throws(DNSError) -> DNSResponse {
        try await resolve(question, deadline: nil)
    }

    /// How a batch's try of one question (first server, first attempt, UDP) ended.
    private enum FirstTry {
        /// A usable reply.
        case exchange(Exchange)
        /// No usable reply: the tries go on from the next server.
        case failed(DNSError)
        /// The reply was truncated: the same server is asked over TCP next.
        case truncated
    }

    /// Resolves `question`. `first` is the try at the first server, when a batch has made it.
    nonisolated(nonsending) private func resolve(
        _ question: DNSQuestion, deadline: DeadlineSignal?, first: FirstTry? = nil
    ) async throws(DNSError) -> DNSResponse {
        guard !configuration.nameservers.isEmpty else {
            throw DNSError(.noNameserver, question: question, detail: "no nameserver configured, and none in /etc/resolv.conf")
        }
        let started = ContinuousClock.now
        var walk = CNAMEWalk(question: question)
        var current = question
        var first = first
        while true {
            let exchange: Exchange
            switch first.take() {
            case .exchange(let made)?: exchange = made
            case .failed(let error)?: exchange = try await ask(current, original: question, deadline: deadline, after: error)
            case .truncated?: exchange = try await ask(current, original: question, deadline: deadline, tcpFirst: true)
            case nil: exchange = try await ask(current, original: question, deadline: deadline)
            }
            switch try interpret(exchange, asked: current, walk: &walk, started: started) {
            case .done(let response): return response
            case .ask(let target): current = target
            }
        }
    }

    /// The CNAME chain followed so far for one question.
    private struct CNAMEWalk {
        let question: DNSQuestion
        var chain: [DomainName] = []
        var sawTruncation = false

        init(question: DNSQuestion) {
            self.question = question
        }

        /// Whether `name` is already in the chain (the question's own name included): a loop.
        /// The chain is short (``LDNSResolver/Configuration/maximumCNAMEChain``), so a scan
        /// beats hashing, and most questions never follow a CNAME at all.
        func hasSeen(_ name: DomainName) -> Bool {
            name == question.name || chain.contains(name)
        }
    }

    private enum Step {
        case done(DNSResponse)
        /// Only the alias came back: ask for the target.
        case ask(DNSQuestion)
    }

    /// What the reply to `asked` says about the original question: its answer, NXDOMAIN or
    /// NODATA, or the CNAME target still to ask for.
    private func interpret(
        _ exchange: Exchange, asked current: DNSQuestion, walk: inout CNAMEWalk, started: ContinuousClock.Instant
    ) throws(DNSError) -> Step {
        let question = walk.question
        walk.sawTruncation = walk.sawTruncation || exchange.truncated
        let reply = exchange.reply
        // Walk the answer section from the name asked, through any CNAMEs.
        var name = current.name
        var records: [ResourceRecord] = []
        while true {
            // Most replies hold only the records asked for: kept as they are, without a copy.
            let asked = { (record: ResourceRecord) in record.name == name && record.type == question.type }
            records = reply.answers.allSatisfy(asked) ? reply.answers : reply.answers.filter(asked)
            if !records.isEmpty || question.type == .cname { break }
            guard let alias = reply.answers.first(where: { $0.name == name && $0.type == .cname }),
                case .cname(let target) = alias.data
            else { break }
            guard !walk.hasSeen(target), walk.chain.count < configuration.maximumCNAMEChain else {
                throw DNSError(
                    .cnameLoop, question: question, server: exchange.server.description,
                    detail: "CNAME chain " + ([question.name] + walk.chain + [target]).map(\.description).joined(separator: " → "))
            }
            walk.chain.append(target)
            name = target
        }
        func response(_ outcome: DNSResponse.Outcome, _ records: [ResourceRecord] = []) -> DNSResponse {
            var negativeTTL: UInt32? = nil
            if outcome != .answer, let soa = reply.authoritySOA { negativeTTL = min(soa.ttl, soa.minimum) }
            return DNSResponse(
                question: question, outcome: outcome, records: records, cnameChain: walk.chain, rcode: reply.rcode,
                authenticatedData: reply.authenticatedData, truncatedOverUDP: walk.sawTruncation,
                transport: exchange.transport, server: serverNames[exchange.server] ?? exchange.server.description,
                elapsed: .now - started,
                negativeTTL: negativeTTL, authoritativeAnswer: reply.authoritative)
        }
        if !records.isEmpty { return .done(response(.answer, records)) }
        if reply.rcode == .nameError { return .done(response(.nxdomain)) }
        if name != current.name && reply.authoritySOA == nil { return .ask(DNSQuestion(name, question.type)) }
        return .done(response(.nodata))
    }

    private struct Exchange {
        var reply: WireReply
        var server: Nameserver
        var transport: DNSTransport
        var truncated: Bool
    }

    /// The query's wire form, built once for every server and attempt: UDPChannel and the TCP
    /// path each write their own random ID over it.
    private func wire(_ question: DNSQuestion) -> [UInt8] {
        LDNSWire.makeQuery(question, id: 0, ednsUDPSize: configuration.ednsUDPSize, dnssecOK: configuration.dnssecOK)
    }

    /// Asks `question`, trying each server for each attempt, until one gives a usable answer.
    /// When a batch made the first try (first server, first attempt) and it did not settle the
    /// question, the tries go on from there, as if this call had made it: after its failure
    /// `earlier`, from the next server; after a truncated reply (`tcpFirst`), over TCP at the
    /// first server.
    nonisolated(nonsending) private func ask(
        _ question: DNSQuestion, original: DNSQuestion, deadline: DeadlineSignal?, after earlier: DNSError? = nil,
        tcpFirst: Bool = false
    ) async throws(DNSError) -> Exchange {
        if let earlier, earlier.kind == .cancelled || earlier.kind == .deadlineExceeded { throw earlier }
        var failure = earlier
        let wire = wire(question)
        for attempt in 0..<configuration.attempts {
            for (index, server) in configuration.nameservers.enumerated() {
                let first = attempt == 0 && index == 0
                if first && failure != nil { continue }  // the batch's try failed
                if Task.isCancelled { throw DNSError(.cancelled, question: original, server: server.description) }
                do {
                    return try await ask(
                        question, wire: wire, server: server, original: original, deadline: deadline,
                        truncatedOverUDP: first && tcpFirst)
                } catch {
                    if error.kind == .cancelled || error.kind == .deadlineExceeded { throw error }
                    failure = error
                }
            }
        }
        throw failure ?? DNSError(.timeout, question: original)
    }

    /// One server's answer: over UDP, then over TCP if the reply was truncated (or straight over
    /// TCP when `truncatedOverUDP` says a batch already had the truncated UDP reply).
    nonisolated(nonsending) private func ask(
        _ question: DNSQuestion, wire: [UInt8], server: Nameserver, original: DNSQuestion, deadline: DeadlineSignal?,
        truncatedOverUDP: Bool = false
    ) async throws(DNSError) -> Exchange {
        do {
            try await semaphore.acquire(deadline: deadline)
        } catch {
            throw Self.error(waiting: error, original: original, server: server)
        }
        defer { semaphore.release() }
        var truncated = truncatedOverUDP
        var transport: DNSTransport = configuration.tcpOnly || truncated ? .tcp : .udp
        var reply = try await exchange(wire, question, server: server, transport: transport, original: original, deadline: deadline)
        if reply.truncated && transport == .udp {
            truncated = true
            transport = .tcp
            reply = try await exchange(wire, question, server: server, transport: .tcp, original: original, deadline: deadline)
        }
        return try Self.usable(reply, server: server, transport: transport, truncated: truncated, original: original)
    }

    /// The error of a query that stopped waiting for its turn to be sent.
    static func error(waiting interruption: AsyncSemaphore.Interruption, original: DNSQuestion, server: Nameserver) -> DNSError {
        switch interruption {
        case .deadline: DeadlineSignal.expired(original)
        case .cancelled: DNSError(.cancelled, question: original, server: server.description, detail: "cancelled while waiting to send")
        }
    }

    /// The error of an exchange that ended without a reply.
    static func error(
        _ kind: DNSError.Kind, _ detail: String, original: DNSQuestion, server: Nameserver, transport: DNSTransport
    ) -> DNSError {
        DNSError(kind, question: original, server: server.description, detail: (transport == .tcp ? "TCP: " : "") + detail)
    }

    /// The exchange, if its reply's rcode is an answer (NOERROR, NXDOMAIN); else the error that
    /// moves on to the next server.
    private static func usable(
        _ reply: WireReply, server: Nameserver, transport: DNSTransport, truncated: Bool, original: DNSQuestion
    ) throws(DNSError) -> Exchange {
        switch reply.rcode {
        case .noError where reply.referral != nil:
            // Not an answer: the record may well exist. The next server may answer; if none
            // does, the part that asked is incomplete, never "no record".
            throw DNSError(
                .referral, question: original, server: server.description, rcode: reply.rcode,
                detail: "referred to the nameservers of \(reply.referral.map(\.description) ?? "a child zone"); "
                    + "this server neither serves the name nor resolves recursively")
        case .noError, .nameError:
            return Exchange(reply: reply, server: server, transport: transport, truncated: truncated)
        case .serverFailure:
            throw DNSError(.serverFailure, question: original, server: server.description, rcode: reply.rcode)
        case .refused:
            throw DNSError(.refused, question: original, server: server.description, rcode: reply.rcode)
        default:
            throw DNSError(.otherResponseCode, question: original, server: server.description, rcode: reply.rcode)
        }
    }

    nonisolated(nonsending) func exchange(
        _ wire: [UInt8], _ question: DNSQuestion, server: Nameserver, transport: DNSTransport, original: DNSQuestion,
        deadline: DeadlineSignal?
    ) async throws(DNSError) -> WireReply {
        let outcome: QueryExchange.Outcome
        if transport == .udp, let channel = channels[server] {
            outcome = await channel.run(wire, question: question, deadline: deadline)
        } else {
            let id = UInt16.random(in: .min ... .max)
            var query = wire
            query[0] = UInt8(id >> 8)
            query[1] = UInt8(id & 0xFF)
            outcome = await QueryExchange(
                server: server, query: query, id: id, question: question, timeout: configuration.timeout
            ).run(deadline: deadline)
        }
        switch outcome {
        case .reply(let reply):
            return reply
        case .failure(let kind, let detail):
            throw Self.error(kind, detail, original: original, server: server, transport: transport)
        }
    }

    /// Asks every question at once: the first try goes to the first server over UDP as one batch
    /// (one `sendmmsg(2)`, one wake-up of the caller); a question whose reply settles it is done.
    /// The rest (a failed or truncated first try, a CNAME target to chase) go on concurrently,
    /// each as ``query(_:)`` would from there.
    nonisolated(nonsending) private func resolveAll(_ questions: [DNSQuestion], deadline: DeadlineSignal?) async -> [Result<DNSResponse, DNSError>] {
        guard let server = configuration.nameservers.first, let channel = channels[server], !configuration.tcpOnly,
            questions.count > 1
        else {
            return await queryConcurrently(questions, boundedBy: deadline)
        }
        let started = ContinuousClock.now
        var results = BatchResults(questions)
        var firsts = [FirstTry?](repeating: nil, count: questions.count)
        let batch = questions.enumerated().map { (index: $0.offset, wire: wire($0.element)) }
        // At most `maximumInFlight` at a time, each chunk taking its permits at once.
        var offset = 0
        while offset < batch.count {
            let chunk = batch[offset..<min(batch.count, offset + semaphore.permits)]
            offset = chunk.endIndex
            do {
                try await semaphore.acquire(chunk.count, deadline: deadline)
            } catch {
                for (index, _) in chunk {
                    firsts[index] = .failed(Self.error(waiting: error, original: questions[index], server: server))
                }
                continue
            }
            let outcomes = await channel.runAll(chunk.map { (wire: $0.wire, question: questions[$0.index]) }, deadline: deadline)
            semaphore.release(chunk.count)
            for ((index, _), outcome) in zip(chunk, outcomes) {
                switch outcome {
                case .reply(let reply) where reply.truncated:
                    firsts[index] = .truncated
                case .reply(let reply):
                    do throws(DNSError) {
                        firsts[index] = .exchange(
                            try Self.usable(reply, server: server, transport: .udp, truncated: false, original: questions[index]))
                    } catch {
                        firsts[index] = .failed(error)
                    }
                case .failure(let kind, let detail):
                    firsts[index] = .failed(Self.error(kind, detail, original: questions[index], server: server, transport: .udp))
                }
            }
        }
        // Settle what the first replies answer; the others go on in child tasks.
        var rest: [(index: Int, first: FirstTry?)] = []
        for (index, _) in batch {
            guard case .exchange(let exchange)? = firsts[index] else {
                rest.append((index, firsts[index]))
                continue
            }
            var walk = CNAMEWalk(question: questions[index])
            do throws(DNSError) {
                switch try interpret(exchange, asked: questions[index], walk: &walk, started: started) {
                case .done(let response): results[index] = .success(response)
                case .ask: rest.append((index, firsts[index]))  // read again there, then the target is asked
                }
            } catch {
                results[index] = .failure(error)
            }
        }
        if !rest.isEmpty {
            await withTaskGroup(of: (Int, Result<DNSResponse, DNSError>).self) { group in
                for (index, first) in rest {
                    group.addTask { (index, await self.result(of: questions[index], deadline: deadline, first: first)) }
                }
                for await (index, result) in group { results[index] = result }
            }
        }
        return results.inOrder
    }

    /// ``resolve(_:deadline:first:)`` as a value, for task-group children: a typed `do`/`catch`
    /// written inside the child closure is miscompiled by Swift 6.3.1 at `-O`.
    private func result(
        of question: DNSQuestion, deadline: DeadlineSignal?, first: FirstTry?
    ) async -> Result<DNSResponse, DNSError> {
        do throws(DNSError) {
            return .success(try await resolve(question, deadline: deadline, first: first))
        } catch {
            return .failure(error)
        }
    }
}

extension LDNSResolver: BatchResolver {
    package func queryAll(_ questions: [DNSQuestion], within deadline: DeadlineSignal?) async -> [Result<DNSResponse, DNSError>] {
        await resolveAll(questions, deadline: deadline)
    }
}

extension LDNSResolver: DeadlineAwareResolver {
    /// Every wait (for a free slot, a UDP reply, a TCP exchange) ends when `deadline` fires.
    package func query(_ question: DNSQuestion, within deadline: DeadlineSignal) async throws(DNSError) -> DNSResponse {
        try await resolve(question, deadline: deadline)
    }
}
