internal import CLDNS
import DNSCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// UDP queries to one server, multiplexed over a few long-lived sockets and read by one thread.
///
/// A socket per query costs `socket`/`connect`/`close`, Dispatch sources and thread hand-offs
/// for each; in a bulk audit that was most of the kernel time. Here:
/// - a query is sent on the caller's thread (the sockets are non-blocking);
/// - one I/O thread waits in `epoll_wait` on the channel's sockets, reads replies in batches and
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
final class UDPChannel: @unchecked Sendable {
    /// Queries one socket carries before a new socket (and so a new source port) takes over.
    static let queriesPerSocket = 64
    /// Notes about ignored packets kept per query, for the error when no valid reply comes.
    static let notesKept = 3
    /// Datagrams read from one socket per wake-up: under a flood, timeouts still get their turn.
    static let readBudget = 64

    /// One query waiting for its reply.
    final class Pending: @unchecked Sendable {
        let question: DNSQuestion
        /// Set when the query is registered, under the lock, so the timeout list stays in order.
        var expires = ContinuousClock.Instant.now
        // Guarded by the channel's lock.
        var id: UInt16 = 0
        var socket: Socket?
        var continuation: UnsafeContinuation<QueryExchange.Outcome, Never>?
        var finished = false
        /// How it ended when that happened before it was sent (cancelled, deadline).
        var earlyOutcome: QueryExchange.Outcome?
        var notes: [String] = []

        init(question: DNSQuestion) {
            self.question = question
        }

        func note(_ text: String) {
            if notes.count < UDPChannel.notesKept { notes.append(text) }
        }
    }

    /// One connected UDP socket and the queries waiting on it.
    final class Socket: @unchecked Sendable {
        let fd: Int32
        // Guarded by the channel's lock.
        var pending: [UInt16: Pending] = [:]
        var carried = 0
        /// No new queries go out on it; read without the lock by a sender leaving `send`.
        let retired = Atomic<Bool>(false)
        /// Callers between choosing this socket (under the lock) and returning from `send`: it
        /// stays open for them. Decremented without the lock.
        let sending = Atomic<Int>(0)

        init(fd: Int32) { self.fd = fd }

        /// Retired with nothing left to wait for or send: the I/O thread may close it.
        var closable: Bool {
            retired.load(ordering: .acquiring) && pending.isEmpty && sending.load(ordering: .acquiring) == 0
        }
    }

    private struct State {
        var active: Socket?
        /// Every open socket by descriptor, for the I/O thread.
        var sockets: [Int32: Socket] = [:]
        /// Queries in the order they were sent, for timeouts; finished ones are skipped.
        var expiry: [Pending] = []
        var expiryStart = 0
        /// The I/O thread is waiting with no timeout: a new query must wake it.
        var sleepsForever = false
        var closed = false
    }

    private let server: Nameserver
    private let timeout: Duration
    private let state = Mutex(State())
    private let epollFD: Int32
    private let wakeFD: Int32
    /// Receive buffer, used only by the I/O thread.
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_536, alignment: 8)
    /// Why the I/O thread could not start (then every query fails with this).
    private let startError: String?

    init(server: Nameserver, timeout: Duration) {
        self.server = server
        self.timeout = timeout
        epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        wakeFD = eventfd(0, Int32(EFD_NONBLOCK) | Int32(EFD_CLOEXEC))
        guard epollFD >= 0, wakeFD >= 0 else {
            startError = "epoll/eventfd: \(QueryExchange.errorText(errno))"
            return
        }
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.ptr = nil  // the wake-up descriptor; sockets carry their Socket
        guard epoll_ctl(epollFD, EPOLL_CTL_ADD, wakeFD, &event) == 0 else {
            startError = "epoll_ctl: \(QueryExchange.errorText(errno))"
            return
        }
        startError = nil
        var thread = pthread_t()
        let channel = Unmanaged.passRetained(self).toOpaque()
        let created = pthread_create(&thread, nil, { argument in
            let channel = Unmanaged<UDPChannel>.fromOpaque(argument!).takeRetainedValue()
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
        // Only after the I/O thread has exited (it holds the channel until then).
        buffer.deallocate()
        if epollFD >= 0 { close(epollFD) }
        if wakeFD >= 0 { close(wakeFD) }
    }

    /// Sends `query` (its ID is replaced) and waits for the matching reply, the timeout, an
    /// error, cancellation or the `deadline` of the whole evaluation.
    func run(_ query: [UInt8], question: DNSQuestion, deadline: DeadlineSignal? = nil) async -> QueryExchange.Outcome {
        let pending = Pending(question: question)
        var registration: UInt64? = nil
        if let deadline {
            registration = deadline.register { [self] in finish(pending, QueryExchange.deadlinePassed) }
            if registration == nil { return QueryExchange.deadlinePassed }
        }
        defer { if let registration { deadline?.unregister(registration) } }
        // An unsafe continuation (no checking canary per query): `finish` resumes each exactly
        // once, guarded by `Pending.finished` under the lock.
        return await withTaskCancellationHandler {
            await withUnsafeContinuation { (continuation: UnsafeContinuation<QueryExchange.Outcome, Never>) in
                start(pending, query, continuation)
            }
        } onCancel: {
            finish(pending, .failure(.cancelled, "the query was cancelled"))
        }
    }

    private func start(
        _ pending: Pending, _ query: [UInt8], _ continuation: UnsafeContinuation<QueryExchange.Outcome, Never>
    ) {
        enum Start {
            case send(Socket, UInt16, wake: Bool)
            case fail(QueryExchange.Outcome)
        }
        // Drawn before taking the lock: the system generator is a getrandom(2) call, and the lock
        // is shared with every other sender and the I/O thread.
        let candidateID = UInt16.random(in: .min ... .max)
        let start: Start = state.withLock { state in
            if pending.finished { return .fail(pending.earlyOutcome ?? .failure(.cancelled, "the query was cancelled")) }
            if let startError { return .fail(.failure(.network, startError)) }
            if state.closed { return .fail(.failure(.network, "the resolver was shut down")) }
            if state.active == nil || state.active!.carried >= Self.queriesPerSocket {
                state.active?.retired.store(true, ordering: .releasing)
                state.active = nil
                switch openSocket() {
                case .success(let socket):
                    state.active = socket
                    state.sockets[socket.fd] = socket
                case .failure(let error):
                    return .fail(.failure(.network, error.description))
                }
            }
            let socket = state.active!
            var id = candidateID
            while socket.pending[id] != nil { id = UInt16.random(in: .min ... .max) }
            socket.carried += 1
            socket.sending.add(1, ordering: .relaxed)
            socket.pending[id] = pending
            pending.id = id
            pending.socket = socket
            pending.continuation = continuation
            pending.expires = .now + timeout
            state.expiry.append(pending)
            let wake = state.sleepsForever
            state.sleepsForever = false
            return .send(socket, id, wake: wake)
        }
        switch start {
        case .fail(let outcome):
            continuation.resume(returning: outcome)
        case .send(let socket, let id, let wake):
            if wake { wakeLoop() }
            var wire = query
            wire[0] = UInt8(id >> 8)
            wire[1] = UInt8(id & 0xFF)
            let sent = wire.withUnsafeBytes { send(socket.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            let failure = sent == wire.count ? nil : "send(): \(QueryExchange.errorText(errno))"
            // The last sender on a retired socket lets the I/O thread close it now (it may be
            // asleep with nothing to time out).
            if socket.sending.subtract(1, ordering: .acquiringAndReleasing).newValue == 0,
                socket.retired.load(ordering: .acquiring)
            {
                wakeLoop()
            }
            if let failure { finish(pending, .failure(.network, failure)) }
        }
    }

    /// A new non-blocking socket connected to the server and watched by the I/O thread. Called
    /// with the lock held.
    private func openSocket() -> Result<Socket, SocketError> {
        let fd = socket(
            server.family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failure(SocketError("socket(): \(QueryExchange.errorText(errno))")) }
        let connected = server.withSocketAddress { connect(fd, $0, $1) }
        let socket = Socket(fd: fd)
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        // The I/O thread finds the socket from the event without the lock: it stays in
        // `State.sockets` (so alive) until that thread itself closes it.
        event.data.ptr = Unmanaged.passUnretained(socket).toOpaque()
        guard connected == 0, epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event) == 0 else {
            let message = "\(connected == 0 ? "epoll_ctl" : "connect")(): \(QueryExchange.errorText(errno))"
            close(fd)
            return .failure(SocketError(message))
        }
        return .success(socket)
    }

    struct SocketError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    private func wakeLoop() {
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }

    /// Ends `pending` with `outcome` unless it has ended already; any thread.
    private func finish(_ pending: Pending, _ outcome: QueryExchange.Outcome) {
        let continuation = state.withLock { state -> UnsafeContinuation<QueryExchange.Outcome, Never>? in
            guard !pending.finished else { return nil }
            pending.finished = true
            if pending.continuation == nil { pending.earlyOutcome = outcome }
            pending.socket?.pending[pending.id] = nil
            // Drop finished queries from the head of the timeout list, so it stays short.
            while state.expiryStart < state.expiry.count && state.expiry[state.expiryStart].finished {
                state.expiryStart += 1
            }
            Self.compact(&state)
            let continuation = pending.continuation
            pending.continuation = nil
            pending.socket = nil
            return continuation
        }
        continuation?.resume(returning: outcome)
    }

    /// Stops the channel: queries in flight fail; the I/O thread closes the sockets and exits.
    func shutdown() {
        fail(all: "the resolver was shut down")
        wakeLoop()
    }

    private static func compact(_ state: inout State) {
        if state.expiryStart > 1024 && state.expiryStart * 2 > state.expiry.count {
            state.expiry.removeFirst(state.expiryStart)
            state.expiryStart = 0
        }
    }

    // MARK: The I/O thread

    private func loop() {
        var events = [epoll_event](repeating: epoll_event(), count: 64)
        while true {
            // Close retired sockets nobody uses any more, and work out how long to wait.
            let wait = state.withLock { state -> Int32? in
                if state.closed { return nil }
                for (fd, socket) in state.sockets where socket.closable {
                    epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, nil)
                    close(fd)
                    state.sockets[fd] = nil
                }
                guard state.expiryStart < state.expiry.count else {
                    state.sleepsForever = true
                    return -1
                }
                state.sleepsForever = false
                let remaining = state.expiry[state.expiryStart].expires - .now
                return Int32(clamping: max(0, (remaining.nanoseconds + 999_999) / 1_000_000))  // rounded up
            }
            guard let wait else { break }
            let count = events.withUnsafeMutableBufferPointer { epoll_wait(epollFD, $0.baseAddress, Int32($0.count), wait) }
            if count < 0 && errno != EINTR {
                fail(all: "the resolver's I/O thread stopped: epoll_wait: \(QueryExchange.errorText(errno))")
                break
            }
            for index in 0..<max(0, Int(count)) {
                guard let pointer = events[index].data.ptr else {
                    var value: UInt64 = 0
                    _ = read(wakeFD, &value, 8)
                    continue
                }
                readable(Unmanaged<Socket>.fromOpaque(pointer).takeUnretainedValue())
            }
            expire()
        }
        // A socket a sender is still writing to is left open rather than closed under it (only
        // after an epoll failure; `shutdown` comes from the resolver's deinit, when none can be).
        let sockets = state.withLock { state -> [Int32] in
            defer { state.sockets = [:]; state.active = nil }
            return state.sockets.filter { $0.value.sending.load(ordering: .acquiring) == 0 }.map(\.key)
        }
        for fd in sockets { close(fd) }
    }

    /// Closes the channel: queries waiting now fail with `reason`, and later ones fail at once.
    private func fail(all reason: String) {
        let waiting = state.withLock { state -> [Pending] in
            state.closed = true
            return state.expiry[state.expiryStart...].filter { !$0.finished }
        }
        for pending in waiting { finish(pending, .failure(.network, reason)) }
    }

    private func readable(_ socket: Socket) {
        for _ in 0..<Self.readBudget {
            let count = recv(socket.fd, buffer.baseAddress, buffer.count, Int32(MSG_DONTWAIT))
            if count < 0 {
                let code = errno
                if code == EAGAIN || code == EWOULDBLOCK { return }
                if code == EINTR { continue }
                let message = code == ECONNREFUSED
                    ? "connection refused (nothing listens on \(server))" : "recv(): \(QueryExchange.errorText(code))"
                return fail(socket, message)
            }
            datagram(UnsafeRawBufferPointer(rebasing: buffer[..<count]), on: socket)
        }
    }

    private func datagram(_ bytes: UnsafeRawBufferPointer, on socket: Socket) {
        let id: UInt16? = bytes.count >= 2 ? UInt16(bytes[0]) << 8 | UInt16(bytes[1]) : nil
        let pending = state.withLock { _ in id.flatMap { socket.pending[$0] } }
        guard let pending else {
            // Not for any query on this socket: tell every waiting query, for its error message.
            let text = id.map { "reply with ID \($0) ignored (no query with that ID in flight)" }
                ?? "\(bytes.count)-byte packet ignored"
            state.withLock { _ in for waiting in socket.pending.values { waiting.note(text) } }
            return
        }
        let reply: WireReply
        do {
            reply = try LDNSWire.parseReply(bytes)
        } catch {
            state.withLock { _ in pending.note("\(bytes.count)-byte reply ignored: \(error)") }
            return
        }
        if let problem = QueryExchange.mismatch(reply, id: pending.id, question: pending.question) {
            state.withLock { _ in pending.note(problem) }
            return
        }
        finish(pending, .reply(reply))
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
            var expired: [(Pending, [String])] = []
            while state.expiryStart < state.expiry.count {
                let head = state.expiry[state.expiryStart]
                if !head.finished && head.expires > now { break }
                if !head.finished { expired.append((head, head.notes)) }
                state.expiryStart += 1
            }
            Self.compact(&state)
            return expired
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
