internal import CLinuxIO
import DNSCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// UDP queries to one server, multiplexed over a few long-lived sockets and read by one thread.
///
/// A socket per query costs `socket`/`connect`/`close`, Dispatch sources and thread hand-offs
/// for each; in a bulk audit that was most of the kernel time. Here:
/// - a query is sent on the caller's thread (the sockets are non-blocking), and a batch of them
///   with one `sendmmsg(2)` per socket; its caller is resumed once, when the last one ends;
/// - one I/O thread waits in `epoll_wait` on the channel's sockets, reads the replies and
///   resumes the waiting tasks directly (a Dispatch source would add a hop through libdispatch's
///   manager thread and a worker per batch);
/// - the same wait serves every timeout: all queries of a channel share one timeout, so their
///   deadlines expire in the order the queries were sent.
///
/// Spoofing defence (RFC 5452 §9): each query has a random 16-bit ID, unique among the queries
/// in flight on its socket; a reply must match ID, QR bit and question; and a socket carries
/// at most ``queriesPerSocket`` queries before it is replaced by one on a fresh ephemeral port
/// chosen by the kernel, so the source port keeps changing. Capping the queries per socket also
/// keeps the replies in flight within a socket's default receive buffer.
///
/// Lifetime: the I/O thread keeps the channel alive until ``shutdown()``, which `LDNSResolver`
/// calls from its `deinit`; the thread then closes every descriptor and exits.
///
/// The parts, each with one job: ``Selector`` (epoll and the wake-up eventfd), ``Socket`` (owns
/// its descriptor), ``PendingQueries`` (the queries in flight, in timeout order), and
/// ``systemCall(_:_:)`` (EINTR and errno). Sockets are registered with epoll by value (their
/// key in the channel's table, which holds the descriptor too), never by object pointer.
///
/// Invariants: every mutable field is guarded by the channel's lock unless its comment says
/// otherwise. Only the I/O thread reads from a socket. A socket is closed by whoever removes it
/// from the table, and only then: the I/O thread, or after that thread has exited, the last
/// sender on it.
final class UDPChannel: @unchecked Sendable {
    /// Queries one socket carries before a new socket (and so a new source port) takes over.
    static let queriesPerSocket = 64
    /// Notes about ignored packets kept per query, for the error when no valid reply comes.
    static let notesKept = 3
    /// Datagrams read from one socket per wake-up: under a flood, timeouts still get their turn.
    static let readBudget = 64
    /// Datagrams read by one `recvmmsg(2)`.
    static let readBatch = 8
    /// Room for one datagram: the largest UDP payload fits.
    static let slotSize = 65_536
    /// A query's timeout counts from its registration, which follows the deadline check in
    /// ``runAll(_:deadline:)`` by this much at most (a lock's wait): a deadline that falls later
    /// than the timeout plus this cannot end the query.
    static let deadlineMargin = Duration.seconds(1)
    /// Linux's SCHED_BATCH scheduling policy.
    static let schedBatch: Int32 = 3

    /// One query waiting for its reply.
    final class Pending: @unchecked Sendable {
        let question: DNSQuestion
        /// The batch waiting for it, and its index there (which is also its wire's).
        let batch: Batch
        let slot: Int
        /// Set when the query is registered, under the lock, so the timeout list stays in order.
        var expires = ContinuousClock.Instant.now
        // Guarded by the channel's lock.
        var id: UInt16 = 0
        var socket: Socket?
        var finished = false
        var notes: [String] = []

        init(question: DNSQuestion, batch: Batch, slot: Int) {
            self.question = question
            self.batch = batch
            self.slot = slot
        }

        func note(_ text: String) {
            if notes.count < UDPChannel.notesKept { notes.append(text) }
        }
    }

    /// The queries of one ``runAll(_:deadline:)``: its caller is resumed once, when the last ends.
    final class Batch: @unchecked Sendable {
        // Guarded by the channel's lock.
        /// Each query's outcome; until it ends, a placeholder that `remaining` keeps unread.
        var outcomes: [QueryExchange.Outcome]
        var remaining: Int
        var continuation: UnsafeContinuation<[QueryExchange.Outcome], Never>?

        init(count: Int) {
            outcomes = Array(repeating: .failure(.unanswered, "no outcome was recorded for this query"), count: count)
            remaining = count
        }
    }

    /// A batch's caller and its outcomes, to be resumed once the lock is released.
    private struct Resumption {
        let continuation: UnsafeContinuation<[QueryExchange.Outcome], Never>
        let outcomes: [QueryExchange.Outcome]

        func resume() { continuation.resume(returning: outcomes) }
    }

    /// One connected UDP socket and the queries waiting on it. It owns its descriptor: whoever
    /// removes it from the channel's table closes it (``close()``), and dropping it open is a
    /// descriptor leak, which debug builds trap on.
    final class Socket: @unchecked Sendable {
        let fd: Int32
        /// Its key in the channel's table and in the selector: a serial number (high 32 bits)
        /// and the descriptor (low 32 bits), so a stale event cannot name a reused descriptor.
        let key: UInt64
        // Guarded by the channel's lock.
        var pending: [UInt16: Pending] = [:]
        var carried = 0
        /// No new queries go out on it; read without the lock by a sender leaving `send`.
        let retired = Atomic<Bool>(false)
        /// Callers between choosing this socket (under the lock) and returning from `send`: it
        /// stays open for them. Decremented without the lock.
        let sending = Atomic<Int>(0)
        /// Owned by whoever removed the socket from the table.
        private var isClosed = false

        init(fd: Int32, serial: UInt32) {
            self.fd = fd
            key = UInt64(serial) << 32 | UInt64(UInt32(bitPattern: fd))
        }

        deinit {
            assert(isClosed, "UDP socket \(fd) was dropped without being closed")
        }

        /// Retired with nothing left to wait for or send: it may be closed.
        var closable: Bool {
            retired.load(ordering: .acquiring) && pending.isEmpty && sending.load(ordering: .acquiring) == 0
        }

        /// Closes the descriptor; call once the socket is out of the table (and the selector).
        func close() {
            guard !isClosed else { return }
            isClosed = true
            _ = Glibc.close(fd)
        }
    }

    /// The queries in flight in the order they were sent, which is the order their timeouts fall
    /// due (they all share one timeout). Finished queries are skipped, and dropped from the head.
    struct PendingQueries {
        private var queue: [Pending] = []
        private var start = 0

        mutating func append(_ pending: Pending) { queue.append(pending) }

        /// When the oldest unfinished query times out; `nil` when none is in flight.
        mutating func nextExpiry() -> ContinuousClock.Instant? {
            dropFinishedHead()
            return start < queue.count ? queue[start].expires : nil
        }

        /// Removes and returns the unfinished queries whose timeout is at or before `now`.
        mutating func takeExpired(at now: ContinuousClock.Instant) -> [Pending] {
            var expired: [Pending] = []
            while start < queue.count {
                let head = queue[start]
                if !head.finished && head.expires > now { break }
                if !head.finished { expired.append(head) }
                start += 1
            }
            compact()
            return expired
        }

        /// Every unfinished query.
        var unfinished: [Pending] { queue[start...].filter { !$0.finished } }

        /// Drops finished queries from the head, so the queue stays short.
        mutating func dropFinishedHead() {
            while start < queue.count && queue[start].finished { start += 1 }
            compact()
        }

        private mutating func compact() {
            if start > 1024 && start * 2 > queue.count {
                queue.removeFirst(start)
                start = 0
            }
        }
    }

    private struct State {
        var active: Socket?
        /// Every open socket by key, for the I/O thread.
        var sockets: [UInt64: Socket] = [:]
        /// The serial number of the next socket's key.
        var nextSerial: UInt32 = 1
        var inFlight = PendingQueries()
        var ids = RandomIDs()
        /// The I/O thread is waiting with no timeout: a new query must wake it.
        var sleepsForever = false
        var closed = false
        /// The I/O thread has exited: the last sender on a socket closes it.
        var loopExited = false
    }

    private let server: Nameserver
    private let timeout: Duration
    private let state = LockedState(State())
    private let selector: Selector?
    /// Receive buffers, one per datagram of a ``readBatch`` (each fits any UDP payload), with the
    /// headers `recvmmsg(2)` fills; used only by the I/O thread. Pages are touched only as
    /// replies fill them.
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: UDPChannel.slotSize * UDPChannel.readBatch, alignment: 8)
    private let vectors = UnsafeMutableBufferPointer<iovec>.allocate(capacity: UDPChannel.readBatch)
    private let headers = UnsafeMutableBufferPointer<dnsaudit_mmsghdr>.allocate(capacity: UDPChannel.readBatch)
    /// Why the I/O thread could not start (then every query fails with this).
    private let startError: String?
    /// The I/O thread's `pthread_t`, for ``assertOnIOThread()``; 0 before it runs.
    private let ioThread = Atomic<UInt>(0)

    init(server: Nameserver, timeout: Duration) {
        self.server = server
        self.timeout = timeout
        for slot in 0..<Self.readBatch {
            vectors[slot] = iovec(iov_base: buffer.baseAddress.map { $0 + slot * Self.slotSize }, iov_len: Self.slotSize)
            var header = dnsaudit_mmsghdr()
            header.msg_hdr.msg_iov = vectors.baseAddress.map { $0 + slot }
            header.msg_hdr.msg_iovlen = 1
            headers[slot] = header
        }
        do throws(SystemCallError) {
            selector = try Selector()
        } catch {
            selector = nil
            startError = error.description
            return
        }
        startError = nil
        var thread = pthread_t()
        let channel = Unmanaged.passRetained(self).toOpaque()
        let created = pthread_create(&thread, nil, { argument in
            guard let argument else { return nil }
            let channel = Unmanaged<UDPChannel>.fromOpaque(argument).takeRetainedValue()
            channel.loop()
            return nil
        }, channel)
        if created == 0 {
            pthread_detach(thread)
        } else {
            Unmanaged<UDPChannel>.fromOpaque(channel).release()
            state.withLock { $0.closed = true }
        }
    }

    deinit {
        // Only after the I/O thread has exited (it holds the channel until then); the selector
        // closes its own descriptors.
        buffer.deallocate()
        vectors.deallocate()
        headers.deallocate()
    }

    /// Traps in debug builds when called off the I/O thread.
    private func assertOnIOThread() {
        assert(pthread_equal(pthread_self(), ioThread.load(ordering: .relaxed)) != 0, "not on the UDP I/O thread")
    }

    /// Sends `query` (its ID is replaced) and waits for the matching reply, the timeout, an
    /// error, cancellation or the `deadline` of the whole evaluation.
    nonisolated(nonsending) func run(_ query: [UInt8], question: DNSQuestion, deadline: DeadlineSignal? = nil) async -> QueryExchange.Outcome {
        await runAll([(query, question)], deadline: deadline)[0]
    }

    /// Sends every query (their IDs are replaced) and waits until each has its reply, timeout
    /// or error, or the `deadline` or cancellation ends the rest. The queries leave in one
    /// `sendmmsg(2)` per socket, and the caller is resumed once, with the outcomes in order.
    nonisolated(nonsending) func runAll(_ queries: [(wire: [UInt8], question: DNSQuestion)], deadline: DeadlineSignal? = nil) async -> [QueryExchange.Outcome] {
        guard !queries.isEmpty else { return [] }
        let batch = Batch(count: queries.count)
        let pendings = queries.indices.map { Pending(question: queries[$0].question, batch: batch, slot: $0) }
        // Every query of the batch times out `timeout` after it is registered, a moment from
        // now. A deadline later than that (with ``deadlineMargin`` to spare) cannot end one of
        // them: it needs no handler, and the evaluation's deadline no timer, unless it is sooner.
        var registration: UInt64? = nil
        if let deadline {
            if deadline.hasFired { return queries.map { _ in QueryExchange.deadlinePassed } }
            if deadline.deadline < ContinuousClock.now + timeout + Self.deadlineMargin {
                registration = deadline.register { [self] in
                    for pending in pendings { finish(pending, QueryExchange.deadlinePassed) }
                }
                if registration == nil { return queries.map { _ in QueryExchange.deadlinePassed } }
            }
        }
        defer { if let registration { deadline?.unregister(registration) } }
        return await withTaskCancellationHandler {
            // An unsafe continuation (no checking canary per batch): it is resumed exactly once,
            // when `Batch.remaining` reaches zero with the continuation stored, under the lock.
            // It is stored and the queries registered under one lock; they go out from the
            // closure, once the lock is released. A reply may then resume the continuation
            // before the closure has returned, which continuations allow. A batch that ended
            // before it was registered (cancelled, past its deadline) is resumed at once.
            await withUnsafeContinuation { (continuation: UnsafeContinuation<[QueryExchange.Outcome], Never>) in
                let (send, resumptions) = state.withLock { state -> (Send?, [Resumption]) in
                    batch.continuation = continuation
                    var (send, resumptions) = register(pendings, in: &state)
                    if let done = Self.takeIfComplete(batch) { resumptions.append(done) }
                    return (send, resumptions)
                }
                for resumption in resumptions { resumption.resume() }
                if let send { self.send(send, queries) }
            }
        } onCancel: {
            for pending in pendings { finish(pending, .failure(.cancelled, "the query was cancelled")) }
        }
    }

    /// Unpredictable 16-bit IDs (RFC 5452 §9.2) from the system's CSPRNG (`arc4random_buf`, which
    /// reads getrandom(2)), 2,048 per call: a call per query was one system call in nine of a
    /// bulk check_host. IDs are handed out once each and never kept after use. A channel keeps
    /// one pool in its locked state and draws while it registers a query: no lock of its own.
    struct RandomIDs {
        static let perDraw = 2048
        private var ids: [UInt16] = []
        private var next = 0

        /// One ID.
        mutating func takeOne() -> UInt16 {
            if next == ids.count { refill() }
            defer {
                ids[next] = 0
                next += 1
            }
            return ids[next]
        }

        private mutating func refill() {
            ids = [UInt16](repeating: 0, count: Self.perDraw)
            ids.withUnsafeMutableBytes { bytes in
                if let base = bytes.baseAddress { arc4random_buf(base, bytes.count) }
            }
            next = 0
        }
    }

    /// Queries registered on sockets, to be sent once the lock is released.
    private struct Send {
        /// The query, when exactly one goes out (a lone query, most of them): no arrays.
        var lone: (socket: Socket, pending: Pending, id: UInt16)?
        /// Runs of queries going out on one socket, each query with its ID, when several do.
        var runs: [(socket: Socket, queries: [(pending: Pending, id: UInt16)])] = []
        /// The I/O thread sleeps with no timeout and must be woken.
        var wake = false

        var isEmpty: Bool { lone == nil && runs.isEmpty }

        /// Adds a query placed on `socket`; a new run counts as a sender on the socket.
        mutating func add(_ pending: Pending, id: UInt16, on socket: Socket) {
            if isEmpty {
                socket.sending.add(1, ordering: .relaxed)
                lone = (socket, pending, id)
                return
            }
            if let first = lone {
                runs = [(first.socket, [(first.pending, first.id)])]
                lone = nil
            }
            if runs.last?.socket !== socket {
                socket.sending.add(1, ordering: .relaxed)
                runs.append((socket, []))
            }
            runs[runs.count - 1].queries.append((pending, id))
        }
    }

    /// Gives each of `pendings` an ID on the active socket (opening a new one every
    /// ``queriesPerSocket`` queries) and a place in the timeout list. A query that cannot be
    /// registered ends at once with the error; the waiters so completed are returned, to be
    /// resumed once the lock is released. Called with the lock held.
    private func register(_ pendings: [Pending], in state: inout State) -> (Send?, [Resumption]) {
        var send = Send()
        var resumptions: [Resumption] = []
        var retiredOne = false
        let expires = ContinuousClock.now + timeout
        // Queries ended before they could be sent (cancellation, deadline) are skipped.
        for pending in pendings where !pending.finished {
            var failure: String? = startError
            if failure == nil && state.closed { failure = "the resolver was shut down" }
            var socket = state.active
            if failure == nil && (socket == nil || socket.map({ $0.carried >= Self.queriesPerSocket }) == true) {
                // The I/O thread closes a retired socket once nothing uses it; it must not
                // sleep on with one waiting (woken below).
                if let old = state.active {
                    old.retired.store(true, ordering: .releasing)
                    retiredOne = true
                }
                state.active = nil
                socket = nil
                switch openSocket(in: &state) {
                case .success(let opened):
                    state.active = opened
                    state.sockets[opened.key] = opened
                    socket = opened
                case .failure(let error):
                    failure = error.description
                }
            }
            guard failure == nil, let socket else {
                let reason = failure ?? "no socket"
                if let resumption = Self.settle(pending, .failure(.network, reason), in: &state) {
                    resumptions.append(resumption)
                }
                continue
            }
            var id = state.ids.takeOne()
            while socket.pending[id] != nil { id = state.ids.takeOne() }
            socket.carried += 1
            socket.pending[id] = pending
            pending.id = id
            pending.socket = socket
            pending.expires = expires
            state.inFlight.append(pending)
            send.add(pending, id: id, on: socket)
        }
        send.wake = state.sleepsForever && (!send.isEmpty || retiredOne)
        if send.wake { state.sleepsForever = false }
        guard !send.isEmpty || send.wake else { return (nil, resumptions) }
        return (send, resumptions)
    }

    /// Sends the queries `register` placed, each with its ID written over `queries[slot].wire`: one
    /// `send(2)` for a lone query, one `sendmmsg(2)` per socket for a batch. Without the lock.
    private func send(_ send: Send, _ queries: [(wire: [UInt8], question: DNSQuestion)]) {
        if send.wake { wakeLoop() }
        if let (socket, pending, id) = send.lone {
            let failure = sendOne(queries[pending.slot].wire, id: id, on: socket.fd)
            doneSending(socket)
            if let failure { finish(pending, .failure(.network, failure)) }
        }
        for run in send.runs {
            let failure: (from: Int, message: String)?
            if run.queries.count == 1 {
                let (pending, id) = run.queries[0]
                failure = sendOne(queries[pending.slot].wire, id: id, on: run.socket.fd).map { (0, $0) }
            } else {
                failure = sendMany(run.queries, queries, on: run.socket.fd)
            }
            doneSending(run.socket)
            if let failure {
                for (pending, _) in run.queries[failure.from...] { finish(pending, .failure(.network, failure.message)) }
            }
        }
    }

    /// Sends one query with `send(2)`, its ID written into a copy on the stack (the wire is
    /// shared by every attempt); the error message if it did not go out whole.
    private func sendOne(_ wire: [UInt8], id: UInt16, on fd: Int32) -> String? {
        let sent = withUnsafeTemporaryAllocation(of: UInt8.self, capacity: wire.count) { copy -> Int in
            guard let base = copy.baseAddress, copy.count >= 2 else { return -1 }
            _ = copy.initialize(fromContentsOf: wire)
            copy[0] = UInt8(id >> 8)
            copy[1] = UInt8(id & 0xFF)
            return Glibc.send(fd, base, copy.count, Int32(MSG_NOSIGNAL))
        }
        return sent == wire.count ? nil : "send(): \(QueryExchange.errorText(errno))"
    }

    /// A sender is done with `socket`. The last sender on a retired socket lets the I/O thread
    /// close it now (it may be asleep with nothing to time out).
    private func doneSending(_ socket: Socket) {
        if socket.sending.subtract(1, ordering: .acquiringAndReleasing).newValue == 0, socket.retired.load(ordering: .acquiring) {
            lastSenderLeft(socket)
        }
    }

    /// The last sender has left a retired socket: the I/O thread may close it now (it may be
    /// asleep with nothing to time out); once that thread has exited, this sender closes it.
    private func lastSenderLeft(_ socket: Socket) {
        let mine = state.withLock { state -> Bool in
            guard state.loopExited, state.sockets[socket.key] === socket else { return false }
            state.sockets[socket.key] = nil
            return true
        }
        if mine { socket.close() } else { wakeLoop() }
    }

    /// Sends `queries` on `fd` with `sendmmsg(2)`; on an error, the index of the first query not
    /// sent and the message.
    private func sendMany(
        _ queries: [(pending: Pending, id: UInt16)], _ batch: [(wire: [UInt8], question: DNSQuestion)], on fd: Int32
    ) -> (from: Int, message: String)? {
        let total = queries.reduce(0) { $0 + batch[$1.pending.slot].wire.count }
        let bytes = UnsafeMutableRawBufferPointer.allocate(byteCount: total, alignment: 8)
        let vectors = UnsafeMutableBufferPointer<iovec>.allocate(capacity: queries.count)
        let headers = UnsafeMutableBufferPointer<dnsaudit_mmsghdr>.allocate(capacity: queries.count)
        defer {
            bytes.deallocate()
            vectors.deallocate()
            headers.deallocate()
        }
        guard let vectorBase = vectors.baseAddress, let headerBase = headers.baseAddress else { return nil }
        var offset = 0
        for (index, (pending, id)) in queries.enumerated() {
            let wire = batch[pending.slot].wire
            // A DNS query is at least a 12-byte header; a shorter wire is never sent.
            guard wire.count >= 12 else { return (index, "query of \(wire.count) bytes is shorter than a DNS header") }
            let slice = UnsafeMutableRawBufferPointer(rebasing: bytes[offset..<(offset + wire.count)])
            slice.copyBytes(from: wire)
            slice[0] = UInt8(id >> 8)
            slice[1] = UInt8(id & 0xFF)
            vectors[index] = iovec(iov_base: slice.baseAddress, iov_len: wire.count)
            var header = dnsaudit_mmsghdr()
            header.msg_hdr.msg_iov = vectorBase + index
            header.msg_hdr.msg_iovlen = 1
            headers[index] = header
            offset += wire.count
        }
        var sent = 0
        while sent < queries.count {
            let result = systemCall("sendmmsg") {
                dnsaudit_sendmmsg(fd, headerBase + sent, UInt32(queries.count - sent), Int32(MSG_NOSIGNAL))
            }
            switch result {
            case .success(let count) where count > 0: sent += Int(count)
            case .success: return (sent, "sendmmsg(): sent nothing")
            case .failure(let error): return (sent, error.description)
            }
        }
        return nil
    }

    /// A new non-blocking socket connected to the server and watched by the I/O thread. Called
    /// with the lock held.
    private func openSocket(in state: inout State) -> Result<Socket, SocketError> {
        guard let selector else { return .failure(SocketError(startError ?? "the I/O thread did not start")) }
        let opened = systemCall("socket") {
            Glibc.socket(server.family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        }
        let fd: Int32
        switch opened {
        case .success(let descriptor): fd = descriptor
        case .failure(let error): return .failure(SocketError(error.description))
        }
        let socket = Socket(fd: fd, serial: state.nextSerial)
        state.nextSerial &+= 1
        if state.nextSerial == 0 { state.nextSerial = 1 }  // key 0 is the selector's wake-up
        let connected = systemCall("connect") { server.withSocketAddress { connect(fd, $0, $1) } }
        let watched = connected.flatMap { _ in selector.register(fd, key: socket.key) }
        if case .failure(let error) = watched {
            socket.close()
            return .failure(SocketError(error.description))
        }
        return .success(socket)
    }

    struct SocketError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    private func wakeLoop() {
        selector?.wake()
    }

    /// Ends `pending` with `outcome` unless it has ended already; any thread.
    private func finish(_ pending: Pending, _ outcome: QueryExchange.Outcome) {
        state.withLock { Self.settle(pending, outcome, in: &$0) }?.resume()
    }

    /// Ends `pending` with `outcome` unless it has ended already, and returns its waiter if that
    /// is now due (a batch is due when its last query ends). Called with the lock held.
    private static func settle(_ pending: Pending, _ outcome: QueryExchange.Outcome, in state: inout State) -> Resumption? {
        guard !pending.finished else { return nil }
        pending.finished = true
        pending.socket?.pending[pending.id] = nil
        pending.socket = nil
        state.inFlight.dropFinishedHead()
        pending.batch.outcomes[pending.slot] = outcome
        pending.batch.remaining -= 1
        return takeIfComplete(pending.batch)
    }

    /// The batch's waiter, once every query has ended and the caller is waiting.
    private static func takeIfComplete(_ batch: Batch) -> Resumption? {
        guard batch.remaining == 0, let continuation = batch.continuation else { return nil }
        batch.continuation = nil
        return Resumption(continuation: continuation, outcomes: batch.outcomes)
    }

    /// Stops the channel: queries in flight fail; the I/O thread closes the sockets and exits.
    func shutdown() {
        fail(all: "the resolver was shut down")
        wakeLoop()
    }


    // MARK: The I/O thread

    private func loop() {
        ioThread.store(pthread_self(), ordering: .relaxed)
        guard let selector else { return }
        // SCHED_BATCH: a reply wakes this thread without preempting the threads running the
        // audits (it runs when a core is free or at the next tick). The value is Linux's
        // (linux/sched.h), which Glibc hides without _GNU_SOURCE; no privilege is needed, and
        // if it is refused the thread keeps the normal policy.
        var parameters = sched_param()
        _ = pthread_setschedparam(pthread_self(), Self.schedBatch, &parameters)
        var events = [epoll_event](repeating: epoll_event(), count: 64)
        var keys: [UInt64] = []
        keys.reserveCapacity(events.count)
        while true {
            // Take the retired sockets nobody uses any more, and work out how long to wait.
            let (wait, done) = state.withLock { state -> (Int32?, [Socket]) in
                if state.closed { return (nil, []) }
                let done = state.sockets.values.filter(\.closable)
                for socket in done { state.sockets[socket.key] = nil }
                guard let next = state.inFlight.nextExpiry() else {
                    state.sleepsForever = true
                    return (-1, done)
                }
                state.sleepsForever = false
                let remaining = next - .now
                return (Int32(clamping: max(0, (remaining.nanoseconds + 999_999) / 1_000_000)), done)  // rounded up
            }
            for socket in done { close(socket, selector) }
            guard let wait else { break }
            switch selector.wait(into: &events, keys: &keys, milliseconds: wait) {
            case .failure(let error):
                fail(all: "the resolver's I/O thread stopped: \(error)")
            case .success:
                for key in keys {
                    // By value: a key whose socket has left the table (closed since) names nothing.
                    guard let socket = state.withLock({ $0.sockets[key] }) else { continue }
                    readable(socket)
                }
                expire()
                continue
            }
            break
        }
        // Every socket is retired. One a sender is still writing to stays in the table; that
        // sender closes it when it leaves (`lastSenderLeft`), since this thread is gone.
        let idle = state.withLock { state -> [Socket] in
            state.loopExited = true
            state.active = nil
            var idle: [Socket] = []
            for socket in state.sockets.values {
                socket.retired.store(true, ordering: .releasing)
                if socket.sending.load(ordering: .acquiring) == 0 {
                    idle.append(socket)
                    state.sockets[socket.key] = nil
                }
            }
            return idle
        }
        for socket in idle { close(socket, selector) }
    }

    /// Closes a socket this thread has removed from the table.
    private func close(_ socket: Socket, _ selector: Selector) {
        assertOnIOThread()
        selector.deregister(socket.fd)
        socket.close()
    }

    /// Closes the channel: queries waiting now fail with `reason`, and later ones fail at once.
    private func fail(all reason: String) {
        let waiting = state.withLock { state -> [Pending] in
            state.closed = true
            return state.inFlight.unfinished
        }
        for pending in waiting { finish(pending, .failure(.network, reason)) }
    }

    /// Reads what `socket` holds, ``readBatch`` datagrams per `recvmmsg(2)`, at most
    /// ``readBudget``; a short batch means the socket is empty (no call just to hear EAGAIN).
    private func readable(_ socket: Socket) {
        assertOnIOThread()
        guard let base = buffer.baseAddress, let first = headers.baseAddress else { return }
        var read = 0
        while read < Self.readBudget {
            let count = Int(dnsaudit_recvmmsg(socket.fd, first, UInt32(Self.readBatch), Int32(MSG_DONTWAIT)))
            if count < 0 {
                let code = errno
                if code == EAGAIN || code == EWOULDBLOCK { return }
                if code == EINTR { continue }
                let message = code == ECONNREFUSED
                    ? "connection refused (nothing listens on \(server))" : "recv(): \(QueryExchange.errorText(code))"
                return fail(socket, message)
            }
            for slot in 0..<count {
                let length = min(Int(headers[slot].msg_len), Self.slotSize)
                datagram(UnsafeRawBufferPointer(start: base + slot * Self.slotSize, count: length), on: socket)
            }
            read += count
            if count < Self.readBatch { return }
        }
    }

    /// One datagram read from `socket`: parsed first, then, under one lock, matched to its query
    /// (ID, QR bit, question), which it settles. A packet that settles nothing is noted on the
    /// queries waiting, for their error if no valid reply comes. (A packet for no query is
    /// parsed for nothing; that is rare, and the lock is taken once for the common case.)
    private func datagram(_ bytes: UnsafeRawBufferPointer, on socket: Socket) {
        guard bytes.count >= 2 else {
            let text = "\(bytes.count)-byte packet ignored"
            state.withLock { _ in for waiting in socket.pending.values { waiting.note(text) } }
            return
        }
        let id = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        let parsed: Result<WireReply, WireError>
        do throws(WireError) {
            parsed = .success(try LDNSWire.parseReply(bytes))
        } catch {
            parsed = .failure(error)
        }
        let resumption = state.withLock { state -> Resumption? in
            guard let pending = socket.pending[id] else {
                let text = "reply with ID \(id) ignored (no query with that ID in flight)"
                for waiting in socket.pending.values { waiting.note(text) }
                return nil
            }
            switch parsed {
            case .failure(let error):
                pending.note("\(bytes.count)-byte reply ignored: \(error)")
                return nil
            case .success(let reply):
                if let problem = QueryExchange.mismatch(reply, id: id, question: pending.question) {
                    pending.note(problem)
                    return nil
                }
                return Self.settle(pending, .reply(reply), in: &state)
            }
        }
        resumption?.resume()
    }

    /// Fails every query on `socket` and retires it, after an ICMP error such as port
    /// unreachable: a dead server then fails over at once instead of after the timeout. The
    /// socket would stay usable, but the error cannot be tied to one query. Spoofing such an
    /// error needs the source port and can only force a retry, never a wrong answer.
    private func fail(_ socket: Socket, _ message: String) {
        let waiting = state.withLock { state -> [Pending] in
            socket.retired.store(true, ordering: .releasing)
            if state.active === socket { state.active = nil }
            return Array(socket.pending.values)
        }
        for pending in waiting { finish(pending, .failure(.network, message)) }
    }

    private func expire() {
        let now = ContinuousClock.now
        let expired = state.withLock { state -> [(Pending, [String])] in
            state.inFlight.takeExpired(at: now).map { ($0, $0.notes) }
        }
        let waited = QueryExchange.seconds(timeout)
        for (pending, notes) in expired {
            let outcome: QueryExchange.Outcome = notes.isEmpty
                ? .failure(.timeout, "no reply from \(server) within \(waited)")
                : .failure(.malformed, "no valid reply from \(server) within \(waited): " + notes.joined(separator: "; "))
            finish(pending, outcome)
        }
    }
}
