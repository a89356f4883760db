import DNSCore
import Synchronization

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
    }

    private struct State {
        var available: Int
        var waiters: [Waiter] = []
        var head = 0
    }

    private let state: Mutex<State>

    init(permits: Int) {
        state = Mutex(State(available: max(1, permits)))
    }

    func acquire(deadline: DeadlineSignal? = nil) async throws(Interruption) {
        if Task.isCancelled { throw .cancelled }
        // The common case, a free permit and nobody queued, takes no continuation.
        let free = state.withLock { state -> Bool in
            guard state.available > 0 && state.head == state.waiters.count else { return false }
            state.available -= 1
            return true
        }
        if free { return }
        let waiter = Waiter()
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
                    if state.available > 0 && state.head == state.waiters.count {
                        state.available -= 1
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
        let continuation = state.withLock { state -> CheckedContinuation<Interruption?, Never>? in
            if waiter.left == nil { waiter.left = reason }
            guard let continuation = waiter.continuation else { return nil }
            waiter.continuation = nil
            if let index = state.waiters[state.head...].firstIndex(where: { $0 === waiter }) {
                state.waiters.remove(at: index)
            }
            return continuation
        }
        continuation?.resume(returning: reason)
    }

    func release() {
        let next = state.withLock { state -> CheckedContinuation<Interruption?, Never>? in
            while state.head < state.waiters.count {
                let waiter = state.waiters[state.head]
                state.head += 1
                if let continuation = waiter.continuation {
                    waiter.continuation = nil
                    Self.compact(&state)
                    return continuation
                }
            }
            state.available += 1
            Self.compact(&state)
            return nil
        }
        next?.resume(returning: nil)
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
