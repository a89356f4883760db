import DNSCore
import Foundation

/// Audits many domains, a bounded number at a time, and streams their reports.
///
/// ```swift
/// let bulk = BulkAuditor(auditor: Auditor(resolver: LDNSResolver()), concurrency: 8)
/// for await report in bulk.reports(for: domains) {
///     print(report.domain, report.status)
/// }
/// ```
///
/// Every audit goes through the one ``Auditor``, so they share its cache (providers' records are
/// asked once for the whole run).
///
/// The input is any `Sequence`, read lazily: one element is taken each time an audit can start,
/// so a list of millions of domains read from a file (a lazy sequence of its lines) is never held
/// in memory. Reading it may block (a pipe on standard input); the sequence is only ever read by
/// the task that iterates the reports.
///
/// The sequence of reports guarantees:
/// - **Order.** With ``Order/input`` (the default) the n-th report is the n-th domain's: a report
///   that finishes early waits for the ones before it, while the audits after it keep running,
///   up to ``holdBackLimit`` finished reports; then no new audit starts until the slow one ends.
///   With ``Order/completion`` each report comes as soon as its audit ends.
/// - **Bounded concurrency.** At most ``concurrency`` audits run at once. A new audit starts when
///   one finishes and the consumer asks for the next report, so a consumer that stops asking stops
///   the run.
/// - **Bounded memory.** At most ``concurrency`` audits run and at most ``holdBackLimit`` finished
///   reports wait, whatever the length of the input.
/// - **Cancellation.** When the task iterating is cancelled, or the iterator is dropped (a
///   `break` out of the loop), the audits in flight are cancelled, none is started, and `next()`
///   returns `nil`.
public struct BulkAuditor: Sendable {
    /// The order in which reports come out.
    public enum Order: Sendable, Hashable {
        /// The order of the input.
        case input
        /// The order in which the audits finish: nothing waits for a slow domain.
        case completion
    }

    /// The auditor that runs each domain's audit.
    public let auditor: Auditor
    /// Most audits running at once; at least 1.
    public let concurrency: Int
    /// The order of the reports.
    public let order: Order

    /// - Parameter concurrency: most audits at once; a value below 1 counts as 1.
    public init(auditor: Auditor, concurrency: Int = 8, order: Order = .input) {
        self.auditor = auditor
        self.concurrency = max(1, concurrency)
        self.order = order
    }

    /// Most finished reports held back, in input order, behind an audit still running:
    /// 16 per concurrent audit, at least 256.
    public var holdBackLimit: Int { max(256, concurrency * 16) }

    /// The reports of `domains`, in ``order``.
    public func reports<Domains: Sequence>(for domains: Domains) -> some AsyncSequence<AuditReport, Never>
    where Domains.Element == DomainName {
        results(for: domains.lazy.map { Result<DomainName, Never>.success($0) }) { result in
            switch result {
            case .success(let report): report
            }
        }
    }

    /// The reports of `domains`, in ``order``, each passed through `transform` in the task that
    /// audited it, so per-report work (encoding, rendering) runs in parallel as the audits do.
    public func reports<Domains: Sequence, Output: Sendable>(
        for domains: Domains, transform: @escaping @Sendable (AuditReport) -> Output
    ) -> some AsyncSequence<Output, Never> where Domains.Element == DomainName {
        results(for: domains.lazy.map { Result<DomainName, Never>.success($0) }) { result in
            switch result {
            case .success(let report): transform(report)
            }
        }
    }

    /// The results of `entries`, in ``order``: an entry that is a domain is audited and its report
    /// passed through `transform`; an entry that is a failure (an input line that is not a domain)
    /// is passed through `transform` as it is, at its place in the input, with no audit.
    public func results<Entries: Sequence, Rejection: Error, Output: Sendable>(
        for entries: Entries, transform: @escaping @Sendable (Result<AuditReport, Rejection>) -> Output
    ) -> Results<Entries, Rejection, Output> where Entries.Element == Result<DomainName, Rejection> {
        Results(bulk: self, entries: entries, transform: transform)
    }
}

extension BulkAuditor {
    /// The results of a bulk audit (see ``BulkAuditor`` for the guarantees).
    public struct Results<Entries: Sequence, Rejection: Error, Element: Sendable>: AsyncSequence
    where Entries.Element == Result<DomainName, Rejection> {
        public typealias Failure = Never

        let bulk: BulkAuditor
        let entries: Entries
        let transform: @Sendable (Result<AuditReport, Rejection>) -> Element

        public func makeAsyncIterator() -> Iterator {
            Iterator(results: self)
        }

        /// Starts audits as results are asked for; not to be shared between tasks.
        public struct Iterator: AsyncIteratorProtocol {
            let bulk: BulkAuditor
            let transform: @Sendable (Result<AuditReport, Rejection>) -> Element
            var input: Entries.Iterator
            let mailbox = Mailbox<Element>()
            /// Cancels the audits in flight when the last copy of the iterator goes away.
            let owner: Owner<Element>
            /// The input position of the next entry read.
            var nextToRead = 0
            /// The input position of the next result to return (input order).
            var nextToYield = 0
            var running = 0
            var inputEnded = false
            /// Finished results not yet returned, by input position.
            var finished: [Int: Element] = [:]
            /// Input positions of `finished`, in the order they finished (completion order).
            var finishOrder: [Int] = []
            var finishOrderStart = 0
            var stopped = false

            init(results: Results) {
                bulk = results.bulk
                transform = results.transform
                input = results.entries.makeIterator()
                owner = Owner(mailbox)
            }

            /// The next result; `nil` after the last, or once the task is cancelled.
            public mutating func next() async -> Element? {
                while !stopped {
                    if Task.isCancelled { break }
                    while let (index, element) = mailbox.take() { received(index, element) }
                    // A finished result goes out before more input is read: reading may block (a
                    // pipe whose writer is slow), and what is done must not wait for it.
                    if let element = takeFinished() { return element }
                    startAudits()
                    if let element = takeFinished() { return element }
                    if inputEnded && running == 0 {
                        // Every entry read was started and every one started has finished, so
                        // nothing is left (a gap in input order would be an entry lost).
                        assert(finished.isEmpty, "a finished result was never returned")
                        return nil
                    }
                    guard let (index, element) = await mailbox.wait() else { break }
                    received(index, element)
                }
                stopped = true
                mailbox.cancelAll()
                return nil
            }

            /// Reads entries and starts their audits while there is room.
            private mutating func startAudits() {
                while !inputEnded, running < bulk.concurrency,
                    bulk.order == .completion || finished.count < bulk.holdBackLimit
                {
                    guard let entry = input.next() else {
                        inputEnded = true
                        return
                    }
                    let index = nextToRead
                    nextToRead += 1
                    switch entry {
                    case .success(let domain):
                        start(domain, at: index)
                    case .failure(let rejection):
                        store(transform(.failure(rejection)), at: index)
                    }
                }
            }

            private mutating func start(_ domain: DomainName, at index: Int) {
                let (auditor, transform, mailbox) = (bulk.auditor, transform, mailbox)
                let task = Task {
                    let report = await auditor.audit(domain)
                    mailbox.deliver(index, transform(.success(report)))
                }
                mailbox.register(task, for: index)
                running += 1
            }

            private mutating func received(_ index: Int, _ element: Element) {
                mailbox.forget(index)
                running -= 1
                store(element, at: index)
            }

            private mutating func store(_ element: Element, at index: Int) {
                finished[index] = element
                if bulk.order == .completion { finishOrder.append(index) }
            }

            /// The next finished result that may be returned now, in ``BulkAuditor/order``.
            private mutating func takeFinished() -> Element? {
                switch bulk.order {
                case .input:
                    guard let element = finished.removeValue(forKey: nextToYield) else { return nil }
                    nextToYield += 1
                    return element
                case .completion:
                    guard finishOrderStart < finishOrder.count else { return nil }
                    let index = finishOrder[finishOrderStart]
                    finishOrderStart += 1
                    if finishOrderStart == finishOrder.count {
                        finishOrder.removeAll(keepingCapacity: true)
                        finishOrderStart = 0
                    }
                    return finished.removeValue(forKey: index)
                }
            }
        }
    }

    /// Where audit tasks leave their results for the iterator, and their handles for cancellation.
    final class Mailbox<Element: Sendable>: @unchecked Sendable {
        private let lock = NSLock()
        private var delivered: [(Int, Element)] = []
        private var waiter: CheckedContinuation<(Int, Element)?, Never>?
        private var tasks: [Int: Task<Void, Never>] = [:]
        private var cancelled = false

        func register(_ task: Task<Void, Never>, for index: Int) {
            let keep = lock.withLock {
                if !cancelled { tasks[index] = task }
                return !cancelled
            }
            if !keep { task.cancel() }
        }

        func forget(_ index: Int) {
            lock.withLock { _ = tasks.removeValue(forKey: index) }
        }

        func deliver(_ index: Int, _ element: Element) {
            let resume: CheckedContinuation<(Int, Element)?, Never>? = lock.withLock {
                if let waiter {
                    self.waiter = nil
                    return waiter
                }
                delivered.append((index, element))
                return nil
            }
            resume?.resume(returning: (index, element))
        }

        /// A delivered result, without waiting.
        func take() -> (Int, Element)? {
            lock.withLock { delivered.isEmpty ? nil : delivered.removeFirst() }
        }

        /// The next delivered result; `nil` once cancelled.
        func wait() async -> (Int, Element)? {
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<(Int, Element)?, Never>) in
                    let ready: (Int, Element)?? = lock.withLock {
                        if cancelled { return .some(nil) }
                        if !delivered.isEmpty { return .some(delivered.removeFirst()) }
                        waiter = continuation
                        return .none
                    }
                    if case .some(let result) = ready { continuation.resume(returning: result) }
                }
            } onCancel: {
                cancelAll()
            }
        }

        /// Cancels every audit in flight and ends any wait.
        func cancelAll() {
            let (running, resume) = lock.withLock {
                cancelled = true
                let running = Array(tasks.values)
                tasks = [:]
                let resume = waiter
                waiter = nil
                return (running, resume)
            }
            for task in running { task.cancel() }
            resume?.resume(returning: nil)
        }
    }

    /// Held only by the iterator: its end cancels what the iterator started.
    final class Owner<Element: Sendable>: Sendable {
        let mailbox: Mailbox<Element>

        init(_ mailbox: Mailbox<Element>) { self.mailbox = mailbox }

        deinit { mailbox.cancelAll() }
    }
}
