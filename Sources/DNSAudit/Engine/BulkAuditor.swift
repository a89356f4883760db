import DNSCore
import Foundation

/// Audits many domains, a bounded number at a time, and streams their reports in input order.
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
/// The sequence guarantees:
/// - **Input order.** The n-th report is the n-th domain's. A report that finishes early waits
///   for the ones before it, while the audits after it keep running.
/// - **Bounded concurrency.** At most ``concurrency`` audits run at once. A new audit starts when
///   one finishes and the consumer asks for the next report, so a consumer that stops asking
///   stops the run: at most ``concurrency`` finished reports wait, plus those waiting for a slower
///   one before them.
/// - **Cancellation.** When the task iterating is cancelled, or the iterator is dropped (a
///   `break` out of the loop), the audits in flight are cancelled, none is started, and `next()`
///   returns `nil`.
public struct BulkAuditor: Sendable {
    /// The auditor that runs each domain's audit.
    public let auditor: Auditor
    /// Most audits running at once; at least 1.
    public let concurrency: Int

    /// - Parameter concurrency: most audits at once; a value below 1 counts as 1.
    public init(auditor: Auditor, concurrency: Int = 8) {
        self.auditor = auditor
        self.concurrency = max(1, concurrency)
    }

    /// The reports of `domains`, in the same order.
    public func reports(for domains: [DomainName]) -> Reports<AuditReport> {
        Reports(auditor: auditor, domains: domains, concurrency: concurrency) { $0 }
    }

    /// The reports of `domains`, in the same order, each passed through `transform` in the task
    /// that audited it, so per-report work (encoding, rendering) runs in parallel as the audits do.
    public func reports<Output: Sendable>(
        for domains: [DomainName], transform: @escaping @Sendable (AuditReport) -> Output
    ) -> Reports<Output> {
        Reports(auditor: auditor, domains: domains, concurrency: concurrency, transform: transform)
    }
}

extension BulkAuditor {
    /// The reports of a bulk audit, in input order (see ``BulkAuditor`` for the guarantees).
    public struct Reports<Element: Sendable>: AsyncSequence, Sendable {
        public typealias Failure = Never

        let auditor: Auditor
        let domains: [DomainName]
        let concurrency: Int
        let transform: @Sendable (AuditReport) -> Element

        public func makeAsyncIterator() -> Iterator {
            Iterator(reports: self)
        }

        /// Starts audits as reports are asked for; not to be shared between tasks.
        public struct Iterator: AsyncIteratorProtocol {
            let reports: Reports
            let mailbox = Mailbox<Element>()
            /// Cancels the audits in flight when the last copy of the iterator goes away.
            let owner: Owner<Element>
            var nextToStart = 0
            var nextToYield = 0
            var running = 0
            /// Reports that finished before one earlier in the input.
            var waiting: [Int: Element] = [:]
            var stopped = false

            init(reports: Reports) {
                self.reports = reports
                owner = Owner(mailbox)
            }

            /// The next report in input order; `nil` after the last, or once the task is cancelled.
            public mutating func next() async -> Element? {
                while !stopped {
                    if Task.isCancelled { break }
                    while let (index, element) = mailbox.take() { received(index, element) }
                    while running < reports.concurrency, nextToStart < reports.domains.count { start() }
                    if let element = waiting.removeValue(forKey: nextToYield) {
                        nextToYield += 1
                        return element
                    }
                    guard nextToYield < reports.domains.count else { return nil }
                    guard let (index, element) = await mailbox.wait() else { break }
                    received(index, element)
                }
                stopped = true
                mailbox.cancelAll()
                return nil
            }

            private mutating func start() {
                let index = nextToStart
                let domain = reports.domains[index]
                let (auditor, transform, mailbox) = (reports.auditor, reports.transform, mailbox)
                let task = Task {
                    let report = await auditor.audit(domain)
                    mailbox.deliver(index, transform(report))
                }
                mailbox.register(task, for: index)
                nextToStart += 1
                running += 1
            }

            private mutating func received(_ index: Int, _ element: Element) {
                mailbox.forget(index)
                running -= 1
                waiting[index] = element
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
