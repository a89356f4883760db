import Dispatch
import Synchronization

/// A decorator that fails every query once an overall deadline has passed.
///
/// Evaluations (RFC 7208 §4.6.4 suggests 20 s for SPF) wrap their resolver in one of these so no
/// input, however hostile, can make them run longer than the deadline. When the deadline
/// passes, queries still in flight return ``DNSError/Kind/deadlineExceeded`` at once and their
/// lookups are cancelled.
///
/// One timer serves every query of a deadline. The resolvers of this package (``CachingResolver``,
/// ``ZoneResolver``, `LDNSResolver`) are handed the deadline and end their own waits when it
/// fires; any other resolver is raced against it in a task.
public struct DeadlineResolver: DNSResolver {
    public var base: any DNSResolver { bounded.resolver }
    public let deadline: ContinuousClock.Instant
    private let signal: DeadlineSignal
    private let bounded: BoundedBase

    public init(_ base: any DNSResolver, deadline: ContinuousClock.Instant) {
        self.init(BoundedBase(base), deadline: deadline)
    }

    /// Over a base already inspected (a caller that makes one per evaluation keeps the
    /// ``BoundedBase`` and skips the cast each time).
    package init(_ bounded: BoundedBase, deadline: ContinuousClock.Instant) {
        self.bounded = bounded
        self.deadline = deadline
        self.signal = DeadlineSignal(deadline: deadline)
    }

    public init(_ base: any DNSResolver, timeout: Duration) {
        self.init(base, deadline: .now + timeout)
    }

    public var resolverDescription: String { base.resolverDescription }

    public func query(_ question: DNSQuestion) async throws(DNSError) -> DNSResponse {
        try await query(question, within: signal)
    }
}

extension DeadlineResolver {
    /// Of this resolver's deadline and `outer` (an evaluation nested in another), the earlier.
    fileprivate func earlier(_ outer: DeadlineSignal) -> DeadlineSignal {
        outer.deadline < signal.deadline ? outer : signal
    }
}

extension DeadlineResolver: DeadlineAwareResolver {
    /// Nested deadlines (an SPF evaluation inside an audit): the earlier one bounds the query.
    package func query(_ question: DNSQuestion, within outer: DeadlineSignal) async throws(DNSError) -> DNSResponse {
        let signal = earlier(outer)
        if signal.hasFired || ContinuousClock.now >= signal.deadline { throw DeadlineSignal.expired(question) }
        // Deadline-aware bases (a CachingResolver answers hits at once) need no task.
        return try await bounded.query(question, boundedBy: signal)
    }
}

extension DeadlineResolver: BatchResolver {
    /// The batch goes to the base whole, bounded by the earlier of the two deadlines.
    package func queryAll(
        _ questions: [DNSQuestion], within outer: DeadlineSignal?
    ) async -> [Result<DNSResponse, DNSError>] {
        let signal = outer.map(earlier) ?? self.signal
        if signal.hasFired || ContinuousClock.now >= signal.deadline {
            return questions.map { .failure(DeadlineSignal.expired($0)) }
        }
        return await base.queryAll(questions, boundedBy: signal)
    }
}

/// A resolver that ends its own waits when a deadline fires, so bounding it needs no extra task
/// (and no thread hop per query).
package protocol DeadlineAwareResolver: DNSResolver {
    /// Answers `question`; once `deadline` fires, every wait ends with
    /// ``DNSError/Kind/deadlineExceeded``.
    func query(_ question: DNSQuestion, within deadline: DeadlineSignal) async throws(DNSError) -> DNSResponse
}

extension DNSResolver {
    /// `query(question)`, ended by `deadline`: handed down when this resolver can honour it,
    /// else raced against it in a task.
    nonisolated(nonsending) package func query(_ question: DNSQuestion, boundedBy deadline: DeadlineSignal) async throws(DNSError) -> DNSResponse {
        try await BoundedBase(self).query(question, boundedBy: deadline)
    }
}

/// A decorator's base resolver, with whether it honours deadlines itself (``DeadlineAwareResolver``)
/// found once: the decorators on every query's path (``DeadlineResolver``, ``CachingResolver``)
/// keep one, where a cast per query cost a measurable share of a bulk check_host's CPU.
package struct BoundedBase: Sendable {
    package let resolver: any DNSResolver
    private let aware: (any DeadlineAwareResolver)?

    package init(_ resolver: any DNSResolver) {
        self.resolver = resolver
        aware = resolver as? any DeadlineAwareResolver
    }

    /// `query(question)`, ended by `deadline`: handed down when the resolver can honour it, else
    /// raced against it in a task.
    nonisolated(nonsending) package func query(_ question: DNSQuestion, boundedBy deadline: DeadlineSignal) async throws(DNSError) -> DNSResponse {
        if deadline.hasFired { throw DeadlineSignal.expired(question) }
        if let aware { return try await aware.query(question, within: deadline) }
        let resolver = self.resolver
        return try await deadline.race(question) { () async throws(DNSError) in try await resolver.query(question) }
    }

    /// `query(question)`, bounded by `deadline` if there is one, as a value.
    ///
    /// Call this, not a typed `do`/`catch` of your own, from a task-group child or `Task { }`:
    /// Swift 6.3.1 at `-O` corrupts the value such a closure returns when it holds a typed
    /// `do throws(E) { } catch { }` (`scripts/check-source` rejects that pattern).
    nonisolated(nonsending) package func result(of question: DNSQuestion, boundedBy deadline: DeadlineSignal?) async -> Result<DNSResponse, DNSError> {
        do throws(DNSError) {
            if let deadline { return .success(try await query(question, boundedBy: deadline)) }
            return .success(try await resolver.query(question))
        } catch {
            return .failure(error)
        }
    }
}

/// A deadline shared by the queries of one evaluation: one Dispatch timer, started by the first
/// registration, that fires once and calls every registered handler.
package final class DeadlineSignal: Sendable {
    private struct State {
        var fired = false
        var handlers: [UInt64: @Sendable () -> Void] = [:]
        var nextID: UInt64 = 0
        var scheduled = false
    }

    /// Made on first use: most deadlines (one per SPF evaluation) never have a handler, and
    /// their lock would be two allocations and a mutex set up and torn down each.
    private let lazyState = AtomicLazyReference<LockedState<State>>()
    private var state: LockedState<State> {
        lazyState.load() ?? lazyState.storeIfNil(LockedState(State()))
    }
    /// `state.fired`, readable without the lock: every query checks it.
    private let firedFlag = Atomic<Bool>(false)
    package let deadline: ContinuousClock.Instant

    package init(deadline: ContinuousClock.Instant) {
        self.deadline = deadline
    }

    package var hasFired: Bool { firedFlag.load(ordering: .acquiring) }

    /// Whether a handler was ever registered, arming the shared timer for this deadline.
    package var isArmed: Bool { lazyState.load()?.withLock { $0.scheduled } ?? false }

    /// The error of a query cut off by the deadline.
    package static func expired(_ question: DNSQuestion) -> DNSError {
        DNSError(.deadlineExceeded, question: question, detail: "the evaluation's deadline passed")
    }

    /// Registers `handler`; `nil` if the deadline has already passed (the handler is not called).
    package func register(_ handler: @escaping @Sendable () -> Void) -> UInt64? {
        let registered = state.withLock { state -> (id: UInt64, schedule: Bool)? in
            if state.fired { return nil }
            state.nextID += 1
            state.handlers[state.nextID] = handler
            let schedule = !state.scheduled
            state.scheduled = true
            return (state.nextID, schedule)
        }
        guard let registered else { return nil }
        if registered.schedule { DeadlineScheduler.shared.schedule(self) }
        return registered.id
    }

    package func unregister(_ id: UInt64) {
        state.withLock { _ = $0.handlers.removeValue(forKey: id) }
    }

    /// Runs `operation` in a task and returns its result, or ``DNSError/Kind/deadlineExceeded``
    /// as soon as the deadline fires (cancelling the task), or `.cancelled` when the caller is.
    package func race(
        _ question: DNSQuestion, _ operation: @escaping @Sendable () async throws(DNSError) -> DNSResponse
    ) async throws(DNSError) -> DNSResponse {
        let once = ResumeOnce()
        let expired = Self.expired(question)
        let result: Result<DNSResponse, DNSError> = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<DNSResponse, DNSError>, Never>) in
                once.set(continuation)
                let task = Task { once.resume(await Self.outcome(of: operation)) }
                once.addCleanup { task.cancel() }
                if let registration = register({ once.resume(.failure(expired)) }) {
                    once.addCleanup { self.unregister(registration) }
                } else {
                    once.resume(.failure(expired))
                }
            }
        } onCancel: {
            once.resume(.failure(DNSError(.cancelled, question: question, detail: "the task was cancelled")))
        }
        return try result.get()
    }

    /// `operation`'s result as a value. A named function, so that no typed `do`/`catch` sits in
    /// the escaping `Task { }` closure (Swift 6.3.1 at `-O` corrupts what such a closure yields).
    private static func outcome(
        of operation: @Sendable () async throws(DNSError) -> DNSResponse
    ) async -> Result<DNSResponse, DNSError> {
        do throws(DNSError) {
            return .success(try await operation())
        } catch {
            return .failure(error)
        }
    }

    fileprivate func fire() {
        let handlers = state.withLock { state -> [@Sendable () -> Void] in
            state.fired = true
            firedFlag.store(true, ordering: .releasing)
            let handlers = Array(state.handlers.values)
            state.handlers.removeAll()
            return handlers
        }
        for handler in handlers { handler() }
    }

}

/// Resumes a continuation once, with whichever result comes first, then runs the cleanups.
private final class ResumeOnce: Sendable {
    typealias Outcome = Result<DNSResponse, DNSError>

    private struct State {
        var continuation: CheckedContinuation<Outcome, Never>?
        var result: Outcome?
        var cleanups: [@Sendable () -> Void] = []
    }

    private let state = LockedState(State())

    func set(_ continuation: CheckedContinuation<Outcome, Never>) {
        let early = state.withLock { state -> Outcome? in
            if let result = state.result { return result }
            state.continuation = continuation
            return nil
        }
        if let early { continuation.resume(returning: early) }
    }

    /// Runs `cleanup` once a result is in (at once if it already is).
    func addCleanup(_ cleanup: @escaping @Sendable () -> Void) {
        let runNow = state.withLock { state -> Bool in
            if state.result != nil { return true }
            state.cleanups.append(cleanup)
            return false
        }
        if runNow { cleanup() }
    }

    func resume(_ result: Outcome) {
        let taken = state.withLock { state -> (CheckedContinuation<Outcome, Never>?, [@Sendable () -> Void])? in
            if state.result != nil { return nil }
            state.result = result
            defer {
                state.continuation = nil
                state.cleanups = []
            }
            return (state.continuation, state.cleanups)
        }
        guard let (continuation, cleanups) = taken else { return }
        continuation?.resume(returning: result)
        for cleanup in cleanups { cleanup() }
    }
}

/// One Dispatch timer for every deadline in the process, armed for the earliest one.
///
/// A bulk audit makes several deadlines per domain (the audit's, SPF's, DMARC's); a Dispatch
/// timer each meant creating, arming and cancelling thousands of sources, each a trip through
/// libdispatch's manager thread. Deadlines sit in a min-heap by instant; a signal that goes
/// away before its deadline leaves a weak entry that is dropped when its time comes.
private final class DeadlineScheduler: @unchecked Sendable {
    static let shared = DeadlineScheduler()

    private struct Entry {
        let instant: ContinuousClock.Instant
        weak var signal: DeadlineSignal?
    }

    private struct State {
        var heap: [Entry] = []
        var armedFor: ContinuousClock.Instant?
    }

    private let state = LockedState(State())
    private let queue = DispatchQueue(label: "dnsaudit.deadlines")
    private let timer: any DispatchSourceTimer

    private init() {
        timer = DispatchSource.makeTimerSource(queue: queue)
        timer.setEventHandler { [unowned self] in self.fire() }
        timer.schedule(deadline: .distantFuture)
        timer.activate()
    }

    func schedule(_ signal: DeadlineSignal) {
        let instant = signal.deadline
        state.withLock { state in
            Self.push(Entry(instant: instant, signal: signal), into: &state.heap)
            if state.armedFor.map({ instant < $0 }) ?? true { arm(&state, for: instant) }
        }
    }

    private func fire() {
        let now = ContinuousClock.now
        let due = state.withLock { state -> [DeadlineSignal] in
            var due: [DeadlineSignal] = []
            while let first = state.heap.first, first.instant <= now {
                if let signal = Self.pop(from: &state.heap).signal { due.append(signal) }
            }
            state.armedFor = nil
            if let next = state.heap.first { arm(&state, for: next.instant) }
            return due
        }
        for signal in due { signal.fire() }
    }

    private func arm(_ state: inout State, for instant: ContinuousClock.Instant) {
        state.armedFor = instant
        timer.schedule(deadline: .now() + .nanoseconds(Int(max(0, (instant - .now).nanoseconds))))
    }

    private static func push(_ entry: Entry, into heap: inout [Entry]) {
        heap.append(entry)
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].instant < heap[parent].instant else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    private static func pop(from heap: inout [Entry]) -> Entry {
        let first = heap[0]
        let last = heap.removeLast()
        guard !heap.isEmpty else { return first }
        heap[0] = last
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count && heap[left].instant < heap[smallest].instant { smallest = left }
            if right < heap.count && heap[right].instant < heap[smallest].instant { smallest = right }
            if smallest == parent { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return first
    }
}
