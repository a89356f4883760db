import DNSCore

/// The results of `include:` targets already evaluated for a client address, for evaluations
/// without the trace (``SPFEvaluator/recordsTrace`` off) over one ``CachingResolver``: a bulk
/// scan meets the same provider include tree (`_spf.google.com`, an ESP's) in domain after
/// domain, and with the answers cached, evaluating it again gives the same result and counts.
///
/// An entry is kept only when that holds exactly (RFC 7208 §5.2):
/// - the included tree's result is `pass`, `fail`, `softfail` or `neutral` (no error, nothing cut
///   short by a limit);
/// - its terms have no macros and no `ptr`, so the result depends only on the target, the client
///   address and the DNS answers;
/// - every answer it read is in the cache; the entry expires with the first of them to leave it,
///   and is dropped if the cache, being full, evicted any answer since the tree was evaluated.
///
/// Replaying an entry adds the tree's DNS-querying terms and void lookups to the evaluation's
/// counts (§4.6.4), and happens only when the sums stay within the limits and the evaluation's
/// deadline has not passed; otherwise the tree is evaluated again, and fails where it would have.
enum IncludeMemo {
    static let capacity = 4096

    struct Key: Hashable {
        /// ``CachingResolver/instanceID`` of the cache the answers came from.
        let cache: UInt64
        let target: String
        let ip: IPAddress
    }

    struct Entry {
        let result: SPFResult
        /// The DNS-querying terms and void lookups the included tree counted (§4.6.4).
        let dnsTerms: Int
        let voidLookups: Int
        let expires: ContinuousClock.Instant
        /// ``CachingResolver/evictions`` when the tree's evaluation began: while it is unchanged,
        /// every answer the tree read is still in the cache.
        let evictions: UInt64
    }

    /// What an include's tree rests on while it is evaluated.
    struct Basis {
        /// False once the tree did something an entry cannot stand for (a macro, `ptr`, an
        /// answer not in the cache).
        var rememberable = true
        /// When the first answer it read leaves the cache.
        var expires: ContinuousClock.Instant?

        /// The basis of a tree that contains `inner`.
        func including(_ inner: Basis) -> Basis {
            Basis(rememberable: rememberable && inner.rememberable, expires: Self.earlier(expires, inner.expires))
        }

        /// Adds an answer the tree read.
        mutating func rest(on response: DNSResponse) {
            guard let expiry = response.cacheExpiry else {
                rememberable = false
                return
            }
            rest(until: expiry)
        }

        /// Adds something the tree rests on that holds until `expiry` (an answer, an entry).
        mutating func rest(until expiry: ContinuousClock.Instant) {
            expires = Self.earlier(expires, expiry)
        }

        static func earlier(_ a: ContinuousClock.Instant?, _ b: ContinuousClock.Instant?) -> ContinuousClock.Instant? {
            guard let a else { return b }
            guard let b else { return a }
            return min(a, b)
        }
    }

    private static let table = LockedState<[Key: Entry]>([:])

    /// Whether an included tree's result can be kept: the results of RFC 7208 §5.2 that are not
    /// errors (`none`, `temperror`, `permerror` are evaluated again each time).
    static func keeps(_ result: SPFResult) -> Bool {
        switch result {
        case .pass, .fail, .softfail, .neutral: true
        case .none, .temperror, .permerror: false
        }
    }

    /// The entry for `key`, unless it has expired by `now` or `evictions` says the cache has
    /// dropped answers since it was made.
    static func entry(for key: Key, at now: ContinuousClock.Instant, evictions: UInt64) -> Entry? {
        guard let entry = table.withLock({ $0[key] }), entry.expires > now, entry.evictions == evictions else { return nil }
        return entry
    }

    /// Stores `entry`; a full table starts over (as ``SPFRecordCache`` does).
    static func store(_ entry: Entry, for key: Key) {
        table.withLock { table in
            if table.count >= capacity { table.removeAll(keepingCapacity: true) }
            table[key] = entry
        }
    }
}
