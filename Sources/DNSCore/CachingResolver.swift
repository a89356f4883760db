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
    }

    private struct State {
        var entries: [DNSQuestion: Entry] = [:]
        var inFlight: [DNSQuestion: Task<Result<DNSResponse, DNSError>, Never>] = [:]
        var hits = 0
        var misses = 0
    }

    public let base: any DNSResolver
    public let maximumEntries: Int
    private let state = Mutex(State())

    public init(_ base: any DNSResolver, maximumEntries: Int = 100_000) {
        self.base = base
        self.maximumEntries = maximumEntries
    }

    public var resolverDescription: String { base.resolverDescription }

    /// Cache hits and misses so far (for reports and benchmarks).
    public var statistics: (hits: Int, misses: Int) { state.withLock { ($0.hits, $0.misses) } }

    public func query(_ question: DNSQuestion) async throws(DNSError) -> DNSResponse {
        let now = ContinuousClock.now
        let base = self.base
        let task: Task<Result<DNSResponse, DNSError>, Never> = state.withLock { state in
            if let entry = state.entries[question] {
                if entry.expires > now {
                    state.hits += 1
                    var cached = entry.response
                    cached.fromCache = true
                    return Task { .success(cached) }
                }
                state.entries[question] = nil
            }
            if let running = state.inFlight[question] {
                state.hits += 1
                return running
            }
            state.misses += 1
            let task = Task<Result<DNSResponse, DNSError>, Never> {
                do throws(DNSError) { return .success(try await base.query(question)) } catch { return .failure(error) }
            }
            state.inFlight[question] = task
            return task
        }
        let result = await withTaskCancellationHandler {
            await task.value
        } onCancel: {
            // Shared lookups keep running for the other waiters; a lone waiter cancels its lookup.
        }
        store(question, result)
        switch result {
        case .success(let response): return response
        case .failure(let error): throw error
        }
    }

    private func store(_ question: DNSQuestion, _ result: Result<DNSResponse, DNSError>) {
        state.withLock { state in
            state.inFlight[question] = nil
            guard case .success(let response) = result, !response.fromCache, state.entries[question] == nil else { return }
            let ttl: UInt32
            switch response.outcome {
            case .answer: ttl = response.minimumTTL ?? 0
            case .nodata, .nxdomain: ttl = response.negativeTTL ?? Self.defaultNegativeTTL
            }
            guard ttl > 0 else { return }
            if state.entries.count >= maximumEntries {
                let now = ContinuousClock.now
                state.entries = state.entries.filter { $0.value.expires > now }
                if state.entries.count >= maximumEntries { state.entries.removeAll(keepingCapacity: true) }
            }
            let seconds = min(ttl, Self.maximumTTL)
            state.entries[question] = Entry(response: response, expires: .now + .seconds(Int(seconds)))
        }
    }
}
