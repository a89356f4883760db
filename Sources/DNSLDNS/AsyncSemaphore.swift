import DNSCore

/// Bounds how many queries are in flight at once. Waiters queue in order; a cancelled waiter,
/// or one whose deadline fires, leaves the queue with an ``Interruption``.
final class AsyncSemaphore: Sendable {
    enum Interruption: Error {
        case cancelled
        case deadline
    }

    /// One caller waiting for a permit.
    private final class Waiter: @unchecked Sendable {
        // Guarded by the semaphore's lock.
        var continuation: CheckedContinuation<Interruption?, Never>?
        /// Set when the caller left before it was queued (cancelled, or its deadline fired).
        var left: Interruption?
        /// Permits it needs, all at once.
        let count: Int

        init(count: Int) { self.count = count }
    }

    private struct State {
        var available: Int
        var waiters: [Waiter] = []
        var head = 0
    }

    private let state: LockedState<State>
    /// Permits in all.
    let permits: Int

    init(permits: Int) {
        self.permits = max(1, permits)
        state = LockedState(State(available: self.permits))
    }

    /// Callers waiting in the queue now (for tests).
    var queued: Int { state.withLock { $0.waiters[$0.head...].filter { $0.continuation != nil }.count } }

    /// Waits for `count` permits (at most ``permits``), taken together: a batch holding some
    /// while waiting for more could deadlock with another doing the same. Waiters are served in
    /// order, so a single query queued behind a batch waits for it even if a permit is free.
    nonisolated(nonsending) func acquire(_ count: Int = 1, deadline: DeadlineSignal? = nil) async throws(Interruption) {
        precondition((1...permits).contains(count), "a semaphore of \(permits) permits cannot grant \(count)")
        if Task.isCancelled { throw .cancelled }
        // The common case, free permits and nobody queued, takes no continuation.
        let free = state.withLock { state -> Bool in
            guard state.available >= count && state.head == state.waiters.count else { return false }
            state.available -= count
            return true
        }
        if free { return }
        let waiter = Waiter(count: count)
        var registration: UInt64? = nil
        if let deadline {
            registration = deadline.register { [self] in leave(waiter, .deadline) }
            if registration == nil { throw .deadline }
        }
        defer { if let registration { deadline?.unregister(registration) } }
        let interruption = await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Interruption?, Never>) in
                let immediate: Interruption?? = state.withLock { state in
                    if let left = waiter.left { return .some(left) }
                    if state.available >= count && state.head == state.waiters.count {
                        state.available -= count
                        return .some(nil)
                    }
                    waiter.continuation = continuation
                    state.waiters.append(waiter)
                    return .none
                }
                if let immediate { continuation.resume(returning: immediate) }
            }
        } onCancel: {
            leave(waiter, .cancelled)
        }
        if let interruption { throw interruption }
    }

    /// Takes `waiter` out of the queue (if it is still there) and ends its wait.
    private func leave(_ waiter: Waiter, _ reason: Interruption) {
        let (continuation, next) = state.withLock {
            state -> (CheckedContinuation<Interruption?, Never>?, [CheckedContinuation<Interruption?, Never>]) in
            if waiter.left == nil { waiter.left = reason }
            guard let continuation = waiter.continuation else { return (nil, []) }
            waiter.continuation = nil
            if let index = state.waiters[state.head...].firstIndex(where: { $0 === waiter }) {
                state.waiters.remove(at: index)
            }
            // A waiter for many permits that leaves may unblock smaller ones behind it.
            return (continuation, Self.grant(&state))
        }
        continuation?.resume(returning: reason)
        for continuation in next { continuation.resume(returning: nil) }
    }

    /// Returns `count` permits; waiters at the head of the queue whose needs are now met go on,
    /// in order.
    func release(_ count: Int = 1) {
        let next = state.withLock { state -> [CheckedContinuation<Interruption?, Never>] in
            state.available += count
            return Self.grant(&state)
        }
        for continuation in next { continuation.resume(returning: nil) }
    }

    /// Hands free permits to the waiters at the head of the queue, in order, while their needs
    /// are met; returns their continuations, to resume outside the lock.
    private static func grant(_ state: inout State) -> [CheckedContinuation<Interruption?, Never>] {
        var granted: [CheckedContinuation<Interruption?, Never>] = []
        while state.head < state.waiters.count {
            let waiter = state.waiters[state.head]
            guard let continuation = waiter.continuation else {
                state.head += 1  // left meanwhile
                continue
            }
            guard waiter.count <= state.available else { break }
            state.available -= waiter.count
            state.head += 1
            waiter.continuation = nil
            granted.append(continuation)
        }
        compact(&state)
        return granted
    }

    private static func compact(_ state: inout State) {
        if state.head == state.waiters.count {
            state.waiters.removeAll(keepingCapacity: true)
            state.head = 0
        } else if state.head > 256 && state.head * 2 > state.waiters.count {
            state.waiters.removeFirst(state.head)
            state.head = 0
        }
    }
}
