import Synchronization

/// A decorator that caches answers for their TTL, caches NXDOMAIN and NODATA for the negative TTL
/// (RFC 2308 §5), and merges concurrent identical questions into one lookup.
///
/// Failures are not cached: the next ask tries again. One audit asks for the same names many
/// times (an SPF include tree, DMARC discovery, DKIM selectors), so this saves most queries.
public final class CachingResolver: DNSResolver {
    /// TTLs are clamped to this, so a hostile TTL cannot pin an entry for years.
    public static let maximumTTL: UInt32 = 86_400
    /// Negative answers without an SOA are cached this long.
    public static let defaultNegativeTTL: UInt32 = 60

    /// A cached answer. A class, so the table moves pointers when it evicts and reorders, and
    /// eviction reads `sequence` without copying the response.
    private final class Entry: @unchecked Sendable {
        /// The answer as hits get it: marked ``DNSResponse/fromCache``, with its expiry (sharing
        /// the box of the caller's copy).
        let response: DNSResponse
        let expires: ContinuousClock.Instant
        let sequence: UInt64

        init(response: DNSResponse, expires: ContinuousClock.Instant, sequence: UInt64) {
            self.response = response
            self.expires = expires
            self.sequence = sequence
        }
    }

    /// One lookup in progress, run by the caller that asked first, and the callers waiting for it.
    private struct Flight {
        var id: UInt64
        var waiters: [Waiter] = []
    }

    /// A caller waiting for another caller's lookup.
    private final class Waiter: @unchecked Sendable {
        // Guarded by the resolver's lock.
        var continuation: CheckedContinuation<Joined, Never>?
        /// Cancelled or past its deadline: it must not be registered.
        var left = false
    }

    /// A question's place in the table.
    private enum Slot {
        case answer(Entry)
        case lookup(Flight)
    }

    /// `body` on `value` in place: with a dictionary's `[key]`, one hash lookup for reading and
    /// writing the slot.
    private static func update<Value, Result>(_ value: inout Value, _ body: (inout Value) -> Result) -> Result {
        body(&value)
    }

    /// What a waiting caller gets.
    private enum Joined: Sendable {
        case result(Result<DNSResponse, DNSError>)
        /// The lookup ended before this caller was registered, or its caller was cancelled: ask again.
        case retry
    }

    private struct State {
        /// Each question's cached answer or lookup in progress (never both): one table, so a
        /// miss costs two hash lookups (find, then the answer in the lookup's place), not seven.
        var slots: [DNSQuestion: Slot] = [:]
        /// How many slots hold answers.
        var cached = 0
        var nextFlight: UInt64 = 0
        /// Questions in the order they were stored, for first-in-first-out eviction; an item whose
        /// sequence no longer matches its entry is stale and skipped.
        var order: [(question: DNSQuestion, sequence: UInt64)] = []
        var orderStart = 0
        var nextSequence: UInt64 = 0
        var hits = 0
        var misses = 0
    }

    public var base: any DNSResolver { bounded.resolver }
    public let maximumEntries: Int
    /// Names this cache among the caches of the process, for what others derive from its answers
    /// (SPF's include memo): never reused, unlike an object's address.
    package let instanceID: UInt64
    private static let instances = Atomic<UInt64>(0)
    /// Answers dropped before their TTL because the cache was full. What is derived from this
    /// cache's answers is valid only while it has not changed (an answer it rests on may be gone).
    package var evictions: UInt64 { evicted.load(ordering: .acquiring) }
    private let evicted = Atomic<UInt64>(0)
    private let state = LockedState(State())
    private let bounded: BoundedBase

    /// - Parameter maximumEntries: the cache holds at most this many answers; the oldest go first.
    public init(_ base: any DNSResolver, maximumEntries: Int = 100_000) {
        self.bounded = BoundedBase(base)
        self.maximumEntries = max(1, maximumEntries)
        instanceID = Self.instances.add(1, ordering: .relaxed).newValue
    }

    /// `resolver` itself when it is a cache already (so callers share it), else a new cache in
    /// front of it.
    package static func reusing(_ resolver: any DNSResolver, maximumEntries: Int = 100_000) -> CachingResolver {
        resolver as? CachingResolver ?? CachingResolver(resolver, maximumEntries: maximumEntries)
    }

    /// How many answers the cache holds now.
    public var count: Int { state.withLock { $0.cached } }

    public var resolverDescription: String { base.resolverDescription }

    /// Cache hits and misses so far (for reports and benchmarks).
    public var statistics: (hits: Int, misses: Int) { state.withLock { ($0.hits, $0.misses) } }

    public func query(_ question: DNSQuestion) async throws(DNSError) -> DNSResponse {
        try await lookup(question, deadline: nil)
    }

    /// How one question starts: answered from the cache, looked up by this caller, or joined to
    /// the lookup another caller runs.
    private enum Lookup {
        case cached(DNSResponse)
        case lead(UInt64)
        case join(UInt64)
    }

    private static func begin(_ question: DNSQuestion, now: ContinuousClock.Instant, in state: inout State) -> Lookup {
        let next = state.nextFlight + 1
        var expired = false
        let lookup = update(&state.slots[question]) { slot -> Lookup in
            switch slot {
            case .answer(let entry)?:
                if entry.expires > now { return .cached(entry.response) }
                expired = true
            case .lookup(let running)?:
                return .join(running.id)
            case nil:
                break
            }
            slot = .lookup(Flight(id: next))
            return .lead(next)
        }
        if expired { state.cached -= 1 }
        switch lookup {
        case .cached: state.hits += 1
        case .lead:
            state.misses += 1
            state.nextFlight = next
        case .join: break
        }
        return lookup
    }

    nonisolated(nonsending) private func lookup(_ question: DNSQuestion, deadline: DeadlineSignal?) async throws(DNSError) -> DNSResponse {
        let now = ContinuousClock.now
        switch state.withLock({ Self.begin(question, now: now, in: &$0) }) {
        case .cached(let response):
            return response
        case .lead(let flight):
            // The first asker runs the lookup itself (no extra task, no thread hop) and hands
            // the result to whoever joined meanwhile.
            let result = await bounded.result(of: question, boundedBy: deadline)
            return try land(question, result, flight: flight).get()
        case .join(let flight):
            return try await join(question, flight: flight, deadline: deadline)
        }
    }

    /// Ends a lookup this caller led: caches the result and hands it to the joiners.
    private func land(
        _ question: DNSQuestion, _ result: Result<DNSResponse, DNSError>, flight: UInt64
    ) -> Result<DNSResponse, DNSError> {
        let (result, prepared) = Self.prepare(result)
        let waiters = store(question, prepared, flight: flight)
        if !waiters.isEmpty {
            // A joiner saved a query. A lead cut short by its own cancellation or deadline
            // (joiners may have later deadlines) makes joiners ask again themselves.
            let joined: Joined
            if case .failure(let error) = result, error.kind == .cancelled || error.kind == .deadlineExceeded {
                joined = .retry
            } else {
                joined = .result(prepared.map { .success($0.hit) } ?? Self.shared(result))
            }
            for waiter in waiters { waiter.resume(returning: joined) }
        }
        return result
    }

    /// A lookup's result as handed to a caller that did not run it: marked as from the cache.
    private static func shared(_ result: Result<DNSResponse, DNSError>) -> Result<DNSResponse, DNSError> {
        result.map { response in
            var copy = response
            copy.fromCache = true
            return copy
        }
    }

    /// Waits for another caller's lookup of `question`; asks again if that one was cut short.
    nonisolated(nonsending) private func join(_ question: DNSQuestion, flight: UInt64, deadline: DeadlineSignal?) async throws(DNSError) -> DNSResponse {
        switch await wait(for: question, flight: flight, deadline: deadline) {
        case .result(let result):
            return try result.get()
        case .retry:
            if Task.isCancelled { throw DNSError(.cancelled, question: question, detail: "the task was cancelled") }
            if let deadline, deadline.hasFired { throw DeadlineSignal.expired(question) }
            return try await lookup(question, deadline: deadline)
        }
    }

    /// ``join(_:flight:deadline:)`` as a value.
    nonisolated(nonsending) private func joined(_ question: DNSQuestion, flight: UInt64, deadline: DeadlineSignal?) async -> Result<DNSResponse, DNSError> {
        do throws(DNSError) {
            return .success(try await join(question, flight: flight, deadline: deadline))
        } catch {
            return .failure(error)
        }
    }

    /// Waits for the lookup `flight` of `question`, or until this caller is cancelled or its
    /// deadline fires.
    nonisolated(nonsending) private func wait(for question: DNSQuestion, flight: UInt64, deadline: DeadlineSignal?) async -> Joined {
        let waiter = Waiter()
        var registration: UInt64? = nil
        if let deadline {
            registration = deadline.register { [self] in
                leave(waiter, question: question, flight: flight, with: DeadlineSignal.expired(question))
            }
            if registration == nil { return .result(.failure(DeadlineSignal.expired(question))) }
        }
        defer { if let registration { deadline?.unregister(registration) } }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Joined, Never>) in
                let registered = state.withLock { state -> Bool in
                    guard !waiter.left else { return false }
                    let joined = Self.update(&state.slots[question]) { slot -> Bool in
                        guard case .lookup(var running)? = slot, running.id == flight else { return false }
                        slot = nil  // so that the waiters array is not shared, and not copied
                        running.waiters.append(waiter)
                        slot = .lookup(running)
                        return true
                    }
                    guard joined else { return false }
                    state.hits += 1
                    waiter.continuation = continuation
                    return true
                }
                if !registered { continuation.resume(returning: .retry) }
            }
        } onCancel: {
            leave(waiter, question: question, flight: flight, with: DNSError(.cancelled, question: question, detail: "the task was cancelled"))
        }
    }

    /// Takes `waiter` off its flight and ends its wait with `error` (cancellation, deadline).
    private func leave(_ waiter: Waiter, question: DNSQuestion, flight: UInt64, with error: DNSError) {
        let continuation = state.withLock { state -> CheckedContinuation<Joined, Never>? in
            waiter.left = true
            Self.update(&state.slots[question]) { slot in
                guard case .lookup(var running)? = slot, running.id == flight else { return }
                slot = nil  // so that the waiters array is not shared, and not copied
                running.waiters.removeAll { $0 === waiter }
                slot = .lookup(running)
            }
            defer { waiter.continuation = nil }
            return waiter.continuation
        }
        continuation?.resume(returning: .result(.failure(error)))
    }

    /// A fresh answer made ready for the cache, outside the lock: the caller's copy, with the
    /// instant it expires from the cache, and the copy hits get (`nil` when it is not cached: a
    /// failure, an answer from another cache, a TTL of zero).
    private static func prepare(_ result: Result<DNSResponse, DNSError>) -> (Result<DNSResponse, DNSError>, Prepared?) {
        switch result {
        case .failure(let error):
            return (.failure(error), nil)
        case .success(var response):
            guard !response.fromCache, let seconds = lifetime(of: response) else {
                // Not stored here: an expiry it carries (another cache's) says nothing about this one.
                response.cacheExpiry = nil
                return (.success(response), nil)
            }
            let expires = ContinuousClock.now + .seconds(Int(seconds))
            response.cacheExpiry = expires
            var hit = response
            hit.fromCache = true
            return (.success(response), Prepared(hit: hit, expires: expires))
        }
    }

    private struct Prepared {
        let hit: DNSResponse
        let expires: ContinuousClock.Instant
    }

    /// Ends `flight`, caches its answer, and returns the continuations of its waiters.
    private func store(
        _ question: DNSQuestion, _ prepared: Prepared?, flight: UInt64
    ) -> [CheckedContinuation<Joined, Never>] {
        state.withLock { state in
            if prepared != nil { evict(&state) }
            let sequence = state.nextSequence + 1
            var waiters: [CheckedContinuation<Joined, Never>] = []
            let inserted = Self.update(&state.slots[question]) { slot -> Bool in
                if case .lookup(let running)? = slot, running.id == flight {
                    for waiter in running.waiters {
                        if let continuation = waiter.continuation { waiters.append(continuation) }
                        waiter.continuation = nil
                    }
                    slot = nil
                }
                // A slot still taken holds another lookup's answer, or a later lookup.
                guard slot == nil, let prepared else { return false }
                slot = .answer(Entry(response: prepared.hit, expires: prepared.expires, sequence: sequence))
                return true
            }
            if inserted {
                state.cached += 1
                state.nextSequence = sequence
                state.order.append((question, sequence))
            }
            return waiters
        }
    }

    /// How many seconds a fresh `response` is cached: its smallest TTL, or for NXDOMAIN and
    /// NODATA the negative TTL (RFC 2308 §5), at most ``maximumTTL``; `nil` when it is not cached
    /// (a TTL of zero).
    private static func lifetime(of response: DNSResponse) -> UInt32? {
        let ttl: UInt32
        switch response.outcome {
        case .answer: ttl = response.minimumTTL ?? 0
        case .nodata, .nxdomain: ttl = response.negativeTTL ?? Self.defaultNegativeTTL
        }
        return ttl > 0 ? min(ttl, Self.maximumTTL) : nil
    }

    /// Makes room for one more answer: drops the oldest while the cache is full.
    private func evict(_ state: inout State) {
        while state.cached >= maximumEntries, state.orderStart < state.order.count {
            let oldest = state.order[state.orderStart]
            state.orderStart += 1
            if case .answer(let entry)? = state.slots[oldest.question], entry.sequence == oldest.sequence {
                state.slots[oldest.question] = nil
                state.cached -= 1
                evicted.add(1, ordering: .releasing)
            }
        }
        if state.orderStart > 1024 && state.orderStart * 2 > state.order.count {
            state.order.removeFirst(state.orderStart)
            state.orderStart = 0
        }
    }
}

extension CachingResolver: DeadlineAwareResolver {
    package func query(_ question: DNSQuestion, within deadline: DeadlineSignal) async throws(DNSError) -> DNSResponse {
        try await lookup(question, deadline: deadline)
    }
}

extension CachingResolver: BatchResolver {
    /// Hits are answered at once; the misses go to the base as one batch; questions another
    /// caller is already asking wait for that lookup. A caller that joins one of the batch's
    /// questions meanwhile gets its answer when the whole batch is done.
    package func queryAll(
        _ questions: [DNSQuestion], within deadline: DeadlineSignal?
    ) async -> [Result<DNSResponse, DNSError>] {
        var results = BatchResults(questions)
        var leads: [(index: Int, flight: UInt64)] = []
        var joins: [(index: Int, flight: UInt64)] = []
        let now = ContinuousClock.now
        state.withLock { state in
            for (index, question) in questions.enumerated() {
                switch Self.begin(question, now: now, in: &state) {
                case .cached(let response): results[index] = .success(response)
                case .lead(let flight): leads.append((index, flight))
                case .join(let flight): joins.append((index, flight))
                }
            }
        }
        var ledHere: [UInt64: Result<DNSResponse, DNSError>] = [:]
        if !leads.isEmpty {
            let answers = await base.queryAll(leads.map { questions[$0.index] }, boundedBy: deadline)
            for (lead, answer) in zip(leads, answers) {
                results[lead.index] = land(questions[lead.index], answer, flight: lead.flight)
                ledHere[lead.flight] = answer
            }
        }
        // Joined lookups run concurrently already; waiting for them in turn costs no extra time.
        for (index, flight) in joins {
            // A question asked twice in this batch shares the first one's result, a failure
            // included (joining that lookup now would find it over and ask again).
            if let shared = ledHere[flight] {
                results[index] = Self.shared(shared)
                state.withLock { $0.hits += 1 }
                continue
            }
            results[index] = await joined(questions[index], flight: flight, deadline: deadline)
        }
        return results.inOrder
    }
}
