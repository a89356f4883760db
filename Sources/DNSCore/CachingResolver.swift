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

    private struct Entry {
        var response: DNSResponse
        var expires: ContinuousClock.Instant
        var sequence: UInt64
    }

    /// One lookup in progress and the callers waiting for it.
    private struct Flight {
        var task: Task<Result<DNSResponse, DNSError>, Never>
        var waiters = 1
        var cancelled = 0
    }

    private struct State {
        var entries: [DNSQuestion: Entry] = [:]
        var inFlight: [DNSQuestion: Flight] = [:]
        /// Questions in the order they were stored, for first-in-first-out eviction; an item whose
        /// sequence no longer matches its entry is stale and skipped.
        var order: [(question: DNSQuestion, sequence: UInt64)] = []
        var orderStart = 0
        var nextSequence: UInt64 = 0
        var hits = 0
        var misses = 0
    }

    public let base: any DNSResolver
    public let maximumEntries: Int
    private let state = Mutex(State())

    /// - Parameter maximumEntries: the cache holds at most this many answers; the oldest go first.
    public init(_ base: any DNSResolver, maximumEntries: Int = 100_000) {
        self.base = base
        self.maximumEntries = max(1, maximumEntries)
    }

    /// How many answers the cache holds now.
    public var count: Int { state.withLock { $0.entries.count } }

    public var resolverDescription: String { base.resolverDescription }

    /// Cache hits and misses so far (for reports and benchmarks).
    public var statistics: (hits: Int, misses: Int) { state.withLock { ($0.hits, $0.misses) } }

    public func query(_ question: DNSQuestion) async throws(DNSError) -> DNSResponse {
        let now = ContinuousClock.now
        let base = self.base
        enum Lookup {
            case cached(DNSResponse)
            /// Wait for a lookup; `joined` when another caller started it (this one saves a query).
            case wait(Task<Result<DNSResponse, DNSError>, Never>, joined: Bool)
        }
        let lookup: Lookup = state.withLock { state in
            if let entry = state.entries[question] {
                if entry.expires > now {
                    state.hits += 1
                    var cached = entry.response
                    cached.fromCache = true
                    return .cached(cached)
                }
                state.entries[question] = nil
            }
            if let running = state.inFlight[question] {
                state.hits += 1
                state.inFlight[question]!.waiters += 1
                return .wait(running.task, joined: true)
            }
            state.misses += 1
            let task = Task<Result<DNSResponse, DNSError>, Never> {
                do throws(DNSError) { return .success(try await base.query(question)) } catch { return .failure(error) }
            }
            state.inFlight[question] = Flight(task: task)
            return .wait(task, joined: false)
        }
        let task: Task<Result<DNSResponse, DNSError>, Never>
        let joined: Bool
        switch lookup {
        case .cached(let response): return response
        case .wait(let running, let isJoin):
            task = running
            joined = isJoin
        }
        let result = await withTaskCancellationHandler {
            await task.value
        } onCancel: {
            // Shared lookups keep running for the other waiters; once every waiter is cancelled,
            // the lookup is cancelled too (else a cancelled caller, e.g. a DeadlineResolver, would
            // wait out the base resolver's whole timeout), and later askers start a fresh one.
            let cancelLookup = state.withLock { state -> Bool in
                guard var flight = state.inFlight[question], flight.task == task else { return false }
                flight.cancelled += 1
                guard flight.cancelled >= flight.waiters else {
                    state.inFlight[question] = flight
                    return false
                }
                state.inFlight[question] = nil
                return true
            }
            if cancelLookup { task.cancel() }
        }
        store(question, result, task: task)
        switch result {
        case .success(var response):
            // A caller that joined someone else's lookup got its answer without a query of its own.
            if joined { response.fromCache = true }
            return response
        case .failure(let error): throw error
        }
    }

    private func store(
        _ question: DNSQuestion, _ result: Result<DNSResponse, DNSError>, task: Task<Result<DNSResponse, DNSError>, Never>
    ) {
        state.withLock { state in
            if state.inFlight[question]?.task == task { state.inFlight[question] = nil }
            guard case .success(let response) = result, !response.fromCache, state.entries[question] == nil else { return }
            let ttl: UInt32
            switch response.outcome {
            case .answer: ttl = response.minimumTTL ?? 0
            case .nodata, .nxdomain: ttl = response.negativeTTL ?? Self.defaultNegativeTTL
            }
            guard ttl > 0 else { return }
            while state.entries.count >= maximumEntries, state.orderStart < state.order.count {
                let oldest = state.order[state.orderStart]
                state.orderStart += 1
                if state.entries[oldest.question]?.sequence == oldest.sequence {
                    state.entries[oldest.question] = nil
                }
            }
            if state.orderStart > 1024 && state.orderStart * 2 > state.order.count {
                state.order.removeFirst(state.orderStart)
                state.orderStart = 0
            }
            let seconds = min(ttl, Self.maximumTTL)
            state.nextSequence += 1
            state.entries[question] = Entry(
                response: response, expires: .now + .seconds(Int(seconds)), sequence: state.nextSequence)
            state.order.append((question, state.nextSequence))
        }
    }
}
