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
/// The input is any `Sequence`, read lazily: an element is taken only when an audit can start,
/// so a list of millions of domains read from a file (a lazy sequence of its lines) is never held
/// in memory. It is read on a thread of its own, never on Swift's cooperative pool: reading may
/// block (a pipe on standard input whose writer is slow), and while it does, the audits in flight
/// go on and their reports still come out. Only that thread uses the sequence's iterator once
/// the iteration has begun; it ends when the input ends or the iteration stops (a read blocked
/// at that moment finishes first).
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
            typealias Entry = Result<DomainName, Rejection>
            let bulk: BulkAuditor
            let transform: @Sendable (Result<AuditReport, Rejection>) -> Element
            let mailbox = Mailbox<Element, Entry>()
            /// Reads the input on its own thread, as many entries as it is asked for.
            let reader: InputReader<Entry>
            /// Cancels the audits in flight and stops the reader when the last copy of the
            /// iterator goes away.
            let owner: Owner<Element, Entry>
            /// Entries asked of the reader and not yet received.
            var requested = 0
            /// The input position of the next entry received.
            var nextToRead = 0
            /// The input position of the next result to return (input order).
            var nextToYield = 0
            var running = 0
            var inputEnded = false
            /// Finished results not yet returned, by input position.
            var finished: [Int: Element] = [:]
            /// Input positions of `finished`, in the order they finished (completion order).
            var finishOrder = Queue<Int>()
            var stopped = false

            init(results: Results) {
                bulk = results.bulk
                transform = results.transform
                let mailbox = self.mailbox
                reader = InputReader(results.entries.makeIterator()) { mailbox.deliver(.entry($0)) }
                owner = Owner(mailbox, reader: reader)
            }

            /// The next result; `nil` after the last, or once the task is cancelled.
            public mutating func next() async -> Element? {
                while !stopped {
                    if Task.isCancelled { break }
                    while let event = mailbox.take() { handle(event) }
                    if let element = takeFinished() { return element }
                    requestInput()
                    if inputEnded && running == 0 {
                        // Every entry read was started and every one started has finished, so
                        // nothing is left (a gap in input order would be an entry lost).
                        assert(finished.isEmpty, "a finished result was never returned")
                        return nil
                    }
                    guard let event = await mailbox.wait() else { break }
                    handle(event)
                }
                stopped = true
                owner.stop()
                return nil
            }

            /// Asks the reader for as many entries as there is room for: audits below
            /// ``BulkAuditor/concurrency``, and in input order, finished results below
            /// ``BulkAuditor/holdBackLimit``.
            private mutating func requestInput() {
                guard !inputEnded else { return }
                var room = bulk.concurrency - running - requested
                if bulk.order == .input { room = Swift.min(room, bulk.holdBackLimit - finished.count - requested) }
                guard room > 0 else { return }
                requested += room
                reader.request(room)
            }

            private mutating func handle(_ event: Mailbox<Element, Entry>.Event) {
                switch event {
                case .result(let index, let element):
                    mailbox.forget(index)
                    running -= 1
                    store(element, at: index)
                case .entry(let entry?):
                    requested -= 1
                    let index = nextToRead
                    nextToRead += 1
                    switch entry {
                    case .success(let domain): start(domain, at: index)
                    case .failure(let rejection): store(transform(.failure(rejection)), at: index)
                    }
                case .entry(nil):
                    requested = 0
                    inputEnded = true
                }
            }

            private mutating func start(_ domain: DomainName, at index: Int) {
                let (auditor, transform, mailbox) = (bulk.auditor, transform, mailbox)
                let task = Task {
                    let report = await auditor.audit(domain)
                    mailbox.deliver(.result(index, transform(.success(report))))
                }
                mailbox.register(task, for: index)
                running += 1
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
                    guard let index = finishOrder.popFirst() else { return nil }
                    return finished.removeValue(forKey: index)
                }
            }
        }
    }

    /// Reads a sequence's iterator on a thread of its own, one element per credit, and hands each
    /// element (`nil` at the end) to `deliver`. The iterator is used by that thread alone once
    /// the first credit has started it (the `@unchecked Sendable`'s invariant); the counters are
    /// guarded by the condition's lock.
    final class InputReader<Element: Sendable>: @unchecked Sendable {
        private let condition = NSCondition()
        /// The iterator's `next()`.
        private var input: (() -> Element?)?
        private var credit = 0
        private var started = false
        private var stopped = false
        private let deliver: @Sendable (Element?) -> Void

        init<Input: IteratorProtocol>(_ input: Input, deliver: @escaping @Sendable (Element?) -> Void)
        where Input.Element == Element {
            var iterator = input
            self.input = { iterator.next() }
            self.deliver = deliver
        }

        /// Allows `count` more elements to be read; the first call starts the thread.
        func request(_ count: Int) {
            let start = condition.withLock {
                credit += count
                condition.signal()
                defer { started = true }
                return !started && !stopped
            }
            if start {
                let thread = Thread { self.run() }
                thread.name = "dnsaudit.BulkAuditor.input"
                thread.start()
            }
        }

        /// No more elements are read; a read in progress finishes, and its element is dropped.
        func stop() {
            condition.withLock {
                stopped = true
                condition.signal()
            }
        }

        private func run() {
            guard let next = condition.withLock({ input.take() }) else { return }
            while true {
                let proceed = condition.withLock {
                    while credit == 0 && !stopped { condition.wait() }
                    if stopped { return false }
                    credit -= 1
                    return true
                }
                guard proceed else { return }
                let element = next()
                if condition.withLock({ stopped }) { return }
                deliver(element)
                if element == nil { return }
            }
        }
    }

    /// First in, first out, without moving the elements left on each removal.
    struct Queue<Element> {
        private var elements: [Element] = []
        private var head = 0

        mutating func append(_ element: Element) { elements.append(element) }

        /// The oldest element, removed; `nil` when empty.
        mutating func popFirst() -> Element? {
            guard head < elements.count else { return nil }
            let element = elements[head]
            head += 1
            if head == elements.count {
                elements.removeAll(keepingCapacity: true)
                head = 0
            }
            return element
        }
    }

    /// Where audit tasks leave their results, and the input reader its entries, for the iterator;
    /// and the audits' handles, for cancellation.
    final class Mailbox<Element: Sendable, Entry: Sendable>: @unchecked Sendable {
        /// What arrives, in the order it arrived.
        enum Event: Sendable {
            /// An audit's result, by input position.
            case result(Int, Element)
            /// The next input entry; `nil` once the input has ended.
            case entry(Entry?)
        }

        private let lock = NSLock()
        private var delivered = Queue<Event>()
        private var waiter: CheckedContinuation<Event?, Never>?
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

        func deliver(_ event: Event) {
            let resume: CheckedContinuation<Event?, Never>? = lock.withLock {
                if let waiter {
                    self.waiter = nil
                    return waiter
                }
                delivered.append(event)
                return nil
            }
            resume?.resume(returning: event)
        }

        /// A delivered event, without waiting.
        func take() -> Event? {
            lock.withLock { delivered.popFirst() }
        }

        /// The next delivered event; `nil` once cancelled.
        func wait() async -> Event? {
            await withTaskCancellationHandler {
                await withCheckedContinuation { (continuation: CheckedContinuation<Event?, Never>) in
                    let ready: Event?? = lock.withLock {
                        if cancelled { return .some(nil) }
                        if let event = delivered.popFirst() { return .some(event) }
                        waiter = continuation
                        return .none
                    }
                    if case .some(let event) = ready { continuation.resume(returning: event) }
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

    /// Held only by the iterator: its end cancels what the iterator started and stops the reader.
    final class Owner<Element: Sendable, Entry: Sendable>: Sendable {
        let mailbox: Mailbox<Element, Entry>
        let stopReader: @Sendable () -> Void

        init(_ mailbox: Mailbox<Element, Entry>, reader: InputReader<Entry>) {
            self.mailbox = mailbox
            stopReader = { reader.stop() }
        }

        func stop() {
            stopReader()
            mailbox.cancelAll()
        }

        deinit { stop() }
    }
}
