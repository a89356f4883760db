import Dispatch
import Synchronization

/// Anything that answers DNS questions: ldns on the network, a zone file, memory, a cache.
///
/// Every evaluator (SPF, DKIM, DMARC, the audit) takes one of these and opens no socket itself.
/// Implementations must be safe to call from many tasks at once and must honour cancellation.
public protocol DNSResolver: Sendable {
    /// Asks one question, following CNAMEs (RFC 1034 §3.6.2).
    ///
    /// - Returns: an answer, NODATA or NXDOMAIN (``DNSResponse/Outcome``).
    /// - Throws: ``DNSError`` when no usable answer arrived: SERVFAIL, REFUSED, timeout, network
    ///   error, malformed answer. A failure is never reported as a missing record.
    func query(_ question: DNSQuestion) async throws(DNSError) -> DNSResponse

    /// A short description for reports (`ldns 127.0.0.1:53`, `zone example.zone`).
    var resolverDescription: String { get }
}

extension DNSResolver {
    /// Asks for `type` records at `name`.
    public func query(_ name: DomainName, _ type: RecordType) async throws(DNSError) -> DNSResponse {
        try await query(DNSQuestion(name, type))
    }
}

/// A decorator that fails every query once an overall deadline has passed.
///
/// Evaluations (RFC 7208 §4.6.4 suggests 20 s for SPF) wrap their resolver in one of these so no
/// input, however hostile, can make them run longer than the deadline. When the deadline
/// passes, queries still in flight return ``DNSError/Kind/deadlineExceeded`` at once and their
/// lookups are cancelled.
///
/// One timer serves every query of a deadline (a sleeping task per query would stay in memory
/// until the deadline even after the query ends, which in a bulk audit adds up).
public struct DeadlineResolver: DNSResolver {
    public let base: any DNSResolver
    public let deadline: ContinuousClock.Instant
    private let signal: DeadlineSignal

    public init(_ base: any DNSResolver, deadline: ContinuousClock.Instant) {
        self.base = base
        self.deadline = deadline
        self.signal = DeadlineSignal(deadline: deadline)
    }

    public init(_ base: any DNSResolver, timeout: Duration) {
        self.init(base, deadline: .now + timeout)
    }

    public var resolverDescription: String { base.resolverDescription }

    public func query(_ question: DNSQuestion) async throws(DNSError) -> DNSResponse {
        if signal.hasFired || ContinuousClock.now >= deadline { throw Self.expired(question) }
        // A cache hit cannot overrun the deadline: answer it without racing a task against the timer.
        if let cache = base as? CachingResolver, let cached = cache.cachedResponse(question) { return cached }
        let once = ResumeOnce()
        let base = self.base
        let signal = self.signal
        let expired = Self.expired(question)
        let result: Result<DNSResponse, DNSError> = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Result<DNSResponse, DNSError>, Never>) in
                once.set(continuation)
                let task = Task {
                    do throws(DNSError) {
                        once.resume(.success(try await base.query(question)))
                    } catch {
                        once.resume(.failure(error))
                    }
                }
                once.addCleanup { task.cancel() }
                if let registration = signal.register({ once.resume(.failure(expired)) }) {
                    once.addCleanup { signal.unregister(registration) }
                } else {
                    once.resume(.failure(expired))
                }
            }
        } onCancel: {
            once.resume(.failure(DNSError(.cancelled, question: question, detail: "the task was cancelled")))
        }
        return try result.get()
    }

    private static func expired(_ question: DNSQuestion) -> DNSError {
        DNSError(.deadlineExceeded, question: question, detail: "the evaluation's deadline passed")
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

    private let state = Mutex(State())

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

/// Fires once at a deadline and calls every registered handler.
private final class DeadlineSignal: Sendable {
    private struct State {
        var fired = false
        var handlers: [UInt64: @Sendable () -> Void] = [:]
        var nextID: UInt64 = 0
        var timer: TimerBox?
        var timerStarted = false
    }

    private let state = Mutex(State())
    private let deadline: ContinuousClock.Instant

    init(deadline: ContinuousClock.Instant) {
        self.deadline = deadline
    }

    var hasFired: Bool { state.withLock { $0.fired } }

    /// Registers `handler`; `nil` if the deadline has already passed.
    func register(_ handler: @escaping @Sendable () -> Void) -> UInt64? {
        let registered = state.withLock { state -> (id: UInt64, startTimer: Bool)? in
            if state.fired { return nil }
            state.nextID += 1
            state.handlers[state.nextID] = handler
            let start = !state.timerStarted
            state.timerStarted = true
            return (state.nextID, start)
        }
        guard let registered else { return nil }
        if registered.startTimer { startTimer() }
        return registered.id
    }

    func unregister(_ id: UInt64) {
        state.withLock { _ = $0.handlers.removeValue(forKey: id) }
    }

    private func startTimer() {
        let remaining = deadline - ContinuousClock.now
        let (seconds, attoseconds) = remaining.components
        let nanoseconds = max(0, seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
        let timer = DispatchSource.makeTimerSource(queue: .global())
        timer.schedule(deadline: .now() + .nanoseconds(Int(nanoseconds)))
        timer.setEventHandler { [weak self] in self?.fire() }
        let box = TimerBox(timer: timer)
        state.withLock { $0.timer = box }
        timer.resume()
    }

    private func fire() {
        let handlers = state.withLock { state -> [@Sendable () -> Void] in
            state.fired = true
            let handlers = Array(state.handlers.values)
            state.handlers.removeAll()
            return handlers
        }
        for handler in handlers { handler() }
    }

    deinit {
        state.withLock { $0.timer?.timer.cancel() }
    }
}

/// A Dispatch timer, which is thread-safe, carried across the lock.
private struct TimerBox: @unchecked Sendable {
    let timer: any DispatchSourceTimer
}
