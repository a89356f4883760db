import DNSCore
import Dispatch
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// UDP queries to one server, multiplexed over a few long-lived sockets.
///
/// A socket per query costs `socket`/`connect`/`close`, three Dispatch sources and a queue, and
/// a thread hand-off for each; in a bulk audit that was most of the kernel time. Here:
/// - the query is sent on the caller's thread (the socket is non-blocking);
/// - one read source per socket delivers replies in batches on one serial queue;
/// - one timer serves every deadline (all queries of a channel share one timeout, so deadlines
///   expire in the order the queries were sent).
///
/// Spoofing defence (RFC 5452 §9): each query has a random 16-bit ID, unique among the queries
/// in flight on its socket; a reply must match ID, QR bit and question; and a socket carries
/// at most ``queriesPerSocket`` queries before it is replaced by one on a fresh ephemeral port
/// chosen by the kernel, so the source port keeps changing. Capping the queries per socket also
/// keeps the replies in flight within a socket's default receive buffer.
final class UDPChannel: @unchecked Sendable {
    /// Queries one socket carries before a new socket (and so a new source port) takes over.
    static let queriesPerSocket = 64
    /// Notes about ignored packets kept per query, for the error when no valid reply comes.
    static let notesKept = 3
    /// Datagrams read per read event: under a flood the timer, on the same queue, still runs.
    static let readBudget = 64

    /// One query waiting for its reply.
    final class Pending: @unchecked Sendable {
        let question: DNSQuestion
        let deadline: DispatchTime
        // Guarded by the channel's lock.
        var id: UInt16 = 0
        var socket: Socket?
        var continuation: CheckedContinuation<QueryExchange.Outcome, Never>?
        var finished = false
        /// How it ended when that happened before it was sent (cancelled, deadline).
        var earlyOutcome: QueryExchange.Outcome?
        var notes: [String] = []

        init(question: DNSQuestion, deadline: DispatchTime) {
            self.question = question
            self.deadline = deadline
        }

        func note(_ text: String) {
            if notes.count < UDPChannel.notesKept { notes.append(text) }
        }
    }

    /// One connected UDP socket and the queries waiting on it.
    final class Socket: @unchecked Sendable {
        let fd: Int32
        var source: (any DispatchSourceRead)?
        // Guarded by the channel's lock.
        var pending: [UInt16: Pending] = [:]
        var carried = 0
        var retired = false

        init(fd: Int32) { self.fd = fd }
    }

    private struct State {
        var active: Socket?
        /// Queries in the order they were sent, for the timer; finished ones are skipped.
        var expiry: [Pending] = []
        var expiryStart = 0
        var timerArmed = false
        var closed = false
    }

    private let server: Nameserver
    private let timeout: Duration
    private let queue = DispatchQueue(label: "dnsaudit.ldns.udp")
    private let timer: any DispatchSourceTimer
    private let state = Mutex(State())
    /// Receive buffer, used only on `queue`.
    private let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: 65_536, alignment: 8)

    init(server: Nameserver, timeout: Duration) {
        self.server = server
        self.timeout = timeout
        timer = DispatchSource.makeTimerSource(queue: queue)
        timer.setEventHandler { [weak self] in self?.expire() }
        timer.schedule(deadline: .distantFuture)
        timer.activate()
    }

    deinit {
        timer.cancel()
        state.withLock { state in
            if let active = state.active { Self.stopReading(active) }
        }
        // Handlers hold the channel strongly while they run (and skip once it is gone), so no
        // handler can be reading the buffer now.
        buffer.deallocate()
    }

    /// Sends `query` (its ID is replaced) and waits for the matching reply, the timeout, an
    /// error, cancellation or the `deadline` of the whole evaluation.
    func run(_ query: [UInt8], question: DNSQuestion, deadline: DeadlineSignal? = nil) async -> QueryExchange.Outcome {
        let pending = Pending(question: question, deadline: .now() + .nanoseconds(Int(timeout.nanoseconds)))
        var registration: UInt64? = nil
        if let deadline {
            registration = deadline.register { [self] in finish(pending, QueryExchange.deadlinePassed) }
            if registration == nil { return QueryExchange.deadlinePassed }
        }
        defer { if let registration { deadline?.unregister(registration) } }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<QueryExchange.Outcome, Never>) in
                start(pending, query, continuation)
            }
        } onCancel: {
            finish(pending, .failure(.cancelled, "the query was cancelled"))
        }
    }

    private func start(
        _ pending: Pending, _ query: [UInt8], _ continuation: CheckedContinuation<QueryExchange.Outcome, Never>
    ) {
        enum Start {
            case send(Socket, UInt16)
            case fail(QueryExchange.Outcome)
        }
        let start: Start = state.withLock { state in
            if pending.finished { return .fail(pending.earlyOutcome ?? .failure(.cancelled, "the query was cancelled")) }
            if state.closed { return .fail(.failure(.network, "the resolver was shut down")) }
            if state.active == nil || state.active!.carried >= Self.queriesPerSocket {
                if let old = state.active {
                    old.retired = true
                    if old.pending.isEmpty { Self.stopReading(old) }
                }
                state.active = nil
                switch openSocket() {
                case .success(let socket): state.active = socket
                case .failure(let error): return .fail(.failure(.network, error.description))
                }
            }
            let socket = state.active!
            var id = UInt16.random(in: .min ... .max)
            while socket.pending[id] != nil { id = UInt16.random(in: .min ... .max) }
            socket.carried += 1
            socket.pending[id] = pending
            pending.id = id
            pending.socket = socket
            pending.continuation = continuation
            state.expiry.append(pending)
            if !state.timerArmed {
                state.timerArmed = true
                timer.schedule(deadline: pending.deadline)
            }
            return .send(socket, id)
        }
        switch start {
        case .fail(let outcome):
            continuation.resume(returning: outcome)
        case .send(let socket, let id):
            var wire = query
            wire[0] = UInt8(id >> 8)
            wire[1] = UInt8(id & 0xFF)
            let sent = wire.withUnsafeBytes { send(socket.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent != wire.count {
                finish(pending, .failure(.network, "send(): \(QueryExchange.errorText(errno))"))
            }
        }
    }

    /// A new non-blocking socket connected to the server, with its read source. Called with
    /// the lock held.
    private func openSocket() -> Result<Socket, SocketError> {
        let fd = socket(
            server.family, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return .failure(SocketError("socket(): \(QueryExchange.errorText(errno))")) }
        let connected = server.withSocketAddress { connect(fd, $0, $1) }
        guard connected == 0 else {
            let message = "connect(): \(QueryExchange.errorText(errno))"
            close(fd)
            return .failure(SocketError(message))
        }
        let socket = Socket(fd: fd)
        let source = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        source.setEventHandler { [weak self, weak socket] in
            if let self, let socket { self.readable(socket) }
        }
        source.setCancelHandler { close(fd) }
        socket.source = source
        source.activate()
        return .success(socket)
    }

    struct SocketError: Error, CustomStringConvertible {
        var description: String
        init(_ description: String) { self.description = description }
    }

    /// Cancels the read source; its cancel handler closes the descriptor.
    private static func stopReading(_ socket: Socket) {
        socket.source?.cancel()
        socket.source = nil
    }

    // MARK: On `queue`

    private func readable(_ socket: Socket) {
        for _ in 0..<Self.readBudget {
            let count = recv(socket.fd, buffer.baseAddress, buffer.count, 0)
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

    /// Fails every query on `socket` and retires it (an ICMP error makes the socket unusable).
    private func fail(_ socket: Socket, _ message: String) {
        let waiting = state.withLock { state -> [Pending] in
            let waiting = Array(socket.pending.values)
            socket.retired = true
            if state.active === socket { state.active = nil }
            return waiting
        }
        for pending in waiting { finish(pending, .failure(.network, message)) }
        state.withLock { _ in if socket.pending.isEmpty { Self.stopReading(socket) } }
    }

    private func expire() {
        let now = DispatchTime.now()
        let expired = state.withLock { state -> [(Pending, [String])] in
            var expired: [(Pending, [String])] = []
            while state.expiryStart < state.expiry.count {
                let head = state.expiry[state.expiryStart]
                if !head.finished && head.deadline > now { break }
                if !head.finished { expired.append((head, head.notes)) }
                state.expiryStart += 1
            }
            Self.compact(&state)
            if state.expiryStart < state.expiry.count {
                timer.schedule(deadline: state.expiry[state.expiryStart].deadline)
            } else {
                state.timerArmed = false
                timer.schedule(deadline: .distantFuture)
            }
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

    private static func compact(_ state: inout State) {
        if state.expiryStart > 1024 && state.expiryStart * 2 > state.expiry.count {
            state.expiry.removeFirst(state.expiryStart)
            state.expiryStart = 0
        }
    }

    /// Ends `pending` with `outcome` unless it has ended already; any thread.
    private func finish(_ pending: Pending, _ outcome: QueryExchange.Outcome) {
        let continuation = state.withLock { state -> CheckedContinuation<QueryExchange.Outcome, Never>? in
            guard !pending.finished else { return nil }
            pending.finished = true
            if pending.continuation == nil { pending.earlyOutcome = outcome }
            if let socket = pending.socket {
                socket.pending[pending.id] = nil
                if socket.retired && socket.pending.isEmpty { Self.stopReading(socket) }
            }
            // Drop finished queries from the head of the timer's list, so it stays short.
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

    /// Stops the channel: queries in flight fail, sockets close.
    func shutdown() {
        let waiting = state.withLock { state -> [Pending] in
            state.closed = true
            let waiting = state.expiry[state.expiryStart...].filter { !$0.finished }
            if let active = state.active {
                active.retired = true
                if active.pending.isEmpty { Self.stopReading(active) }
            }
            state.active = nil
            return waiting
        }
        for pending in waiting { finish(pending, .failure(.network, "the resolver was shut down")) }
    }
}
