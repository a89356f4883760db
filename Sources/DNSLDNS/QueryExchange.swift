import DNSCore
import Dispatch

#if canImport(Glibc)
import Glibc
#endif

/// One query to one server over TCP (RFC 7766), driven by Dispatch sources on a non-blocking
/// socket: no thread blocks, so hundreds of queries can wait on silent servers at once without
/// starving Swift's cooperative pool (one thread per core: 2 on a small CI machine). UDP
/// queries go through ``UDPChannel``.
///
/// Replies are checked against the query (ID, QR bit, question) because ldns does not check
/// them (RFC 5452 §9.1).
final class QueryExchange: @unchecked Sendable {
    enum Outcome: Sendable {
        case reply(WireReply)
        case failure(DNSError.Kind, String)
    }

    private let server: Nameserver
    private let query: [UInt8]
    private let id: UInt16
    private let question: DNSQuestion
    private let timeout: Duration
    private let queue: DispatchQueue

    // State below is touched only on `queue`.
    private var continuation: CheckedContinuation<Outcome, Never>?
    private var finished = false
    private var earlyOutcome: Outcome?
    private var fd: Int32 = -1
    private var openSources = 0
    private var readSource: (any DispatchSourceRead)?
    private var writeSource: (any DispatchSourceWrite)?
    private var timer: (any DispatchSourceTimer)?
    private var pendingWrite: [UInt8] = []
    private var received: [UInt8] = []
    /// One receive buffer for the exchange, not one per read event.
    private var buffer = [UInt8](repeating: 0, count: 65_536)

    private static let target = DispatchQueue(label: "dnsaudit.ldns.io", attributes: .concurrent)

    init(server: Nameserver, query: [UInt8], id: UInt16, question: DNSQuestion, timeout: Duration) {
        self.server = server
        self.query = query
        self.id = id
        self.question = question
        self.timeout = timeout
        self.queue = DispatchQueue(label: "dnsaudit.ldns.exchange", target: Self.target)
    }

    /// How a wait ends when the evaluation's deadline fires.
    static let deadlinePassed = Outcome.failure(.deadlineExceeded, "the evaluation's deadline passed")

    /// Sends the query and waits for the reply, a timeout, an error, cancellation or `deadline`.
    func run(deadline: DeadlineSignal? = nil) async -> Outcome {
        var registration: UInt64? = nil
        if let deadline {
            registration = deadline.register { [self] in queue.async { self.finish(Self.deadlinePassed) } }
            if registration == nil { return Self.deadlinePassed }
        }
        defer { if let registration { deadline?.unregister(registration) } }
        return await withTaskCancellationHandler {
            await withCheckedContinuation { (continuation: CheckedContinuation<Outcome, Never>) in
                queue.async { self.start(continuation) }
            }
        } onCancel: {
            queue.async { self.finish(.failure(.cancelled, "the query was cancelled")) }
        }
    }

    private func start(_ continuation: CheckedContinuation<Outcome, Never>) {
        if finished {
            // Cancelled or past the deadline before we started; `finish` kept the outcome.
            continuation.resume(returning: earlyOutcome ?? .failure(.cancelled, "the query was cancelled"))
            return
        }
        self.continuation = continuation
        fd = socket(server.family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { return finish(.failure(.network, "socket(): \(Self.errorText(errno))")) }

        let timer = DispatchSource.makeTimerSource(queue: queue)
        timer.schedule(deadline: .now() + .nanoseconds(Int(timeout.nanoseconds)))
        timer.setEventHandler { self.timedOut() }
        timer.resume()
        self.timer = timer

        let connected = server.withSocketAddress { connect(fd, $0, $1) }
        if connected != 0 && errno != EINPROGRESS {
            return finish(.failure(.network, "connect(): \(Self.errorText(errno))"))
        }
        let read = DispatchSource.makeReadSource(fileDescriptor: fd, queue: queue)
        readSource = read
        start(read) { self.readable() }

        let length = UInt16(query.count)
        pendingWrite = [UInt8(length >> 8), UInt8(length & 0xFF)] + query
        let write = DispatchSource.makeWriteSource(fileDescriptor: fd, queue: queue)
        writeSource = write
        start(write) { self.writable() }
    }

    /// Starts `source`; the descriptor closes once every started source has been cancelled.
    private func start(_ source: any DispatchSourceProtocol, handler: @escaping () -> Void) {
        source.setEventHandler(handler: handler)
        source.setCancelHandler { self.sourceCancelled() }
        openSources += 1
        source.resume()
    }

    private func writable() {
        guard !finished else { return }
        var error: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
        if error != 0 { return finish(.failure(.network, "TCP connect: \(Self.errorText(error))")) }
        while !pendingWrite.isEmpty {
            let sent = pendingWrite.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent < 0 {
                if errno == EAGAIN || errno == EWOULDBLOCK { return }
                return finish(.failure(.network, "TCP send: \(Self.errorText(errno))"))
            }
            pendingWrite.removeFirst(sent)
        }
        writeSource?.cancel()
        writeSource = nil
    }

    private func readable() {
        guard !finished else { return }
        // At most this many reads per event: under a flood the timeout, which runs on the same
        // queue, still gets its turn (the source fires again for the rest).
        var budget = UDPChannel.readBudget
        while !finished && budget > 0 {
            budget -= 1
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count < 0 {
                let code = errno
                if code == EAGAIN || code == EWOULDBLOCK { return }
                if code == EINTR { continue }
                if code == ECONNREFUSED {
                    return finish(.failure(.network, "connection refused (nothing listens on \(server))"))
                }
                return finish(.failure(.network, "recv(): \(Self.errorText(code))"))
            }
            if count == 0 {
                return finish(.failure(.malformed, "the server closed the TCP connection after \(received.count) bytes"))
            }
            received += buffer[..<count]
            streamData()
            if !finished { return }
        }
    }

    private func streamData() {
        guard received.count >= 2 else { return }
        let length = Int(received[0]) << 8 | Int(received[1])
        guard received.count >= 2 + length else { return }
        let message = Array(received[2..<(2 + length)])
        do {
            let reply = try message.withUnsafeBytes { (raw) throws(WireError) in try LDNSWire.parseReply(raw) }
            if let problem = Self.mismatch(reply, id: id, question: question) { return finish(.failure(.malformed, problem)) }
            finish(.reply(reply))
        } catch {
            finish(.failure(.malformed, "TCP reply: \(error)"))
        }
    }

    /// Why a reply does not answer the query with `id` for `question`, or `nil` when it does.
    static func mismatch(_ reply: WireReply, id: UInt16, question: DNSQuestion) -> String? {
        if reply.id != id { return "reply with ID \(reply.id) ignored (sent \(id))" }
        if !reply.isResponse { return "packet without the QR bit ignored" }
        guard let asked = reply.question else {
            // A server may omit the question in some error replies (FORMERR, REFUSED); accept those.
            return reply.rcode == .noError || reply.rcode == .nameError ? "reply without a question ignored" : nil
        }
        if asked.name != question.name || asked.type != question.type {
            return "reply for \(asked) ignored (asked \(question))"
        }
        return nil
    }

    private func timedOut() {
        finish(.failure(.timeout, "no reply from \(server) within \(Self.seconds(timeout))"))
    }

    private func finish(_ outcome: Outcome) {
        guard !finished else { return }
        finished = true
        if continuation == nil { earlyOutcome = outcome }
        timer?.cancel()
        timer = nil
        if let readSource { readSource.cancel() }
        if let writeSource { writeSource.cancel() }
        readSource = nil
        writeSource = nil
        if openSources == 0, fd >= 0 {
            close(fd)
            fd = -1
        }
        continuation?.resume(returning: outcome)
        continuation = nil
    }

    private func sourceCancelled() {
        openSources -= 1
        if openSources == 0, finished, fd >= 0 {
            close(fd)
            fd = -1
        }
    }

    static func errorText(_ code: Int32) -> String {
        String(cString: strerror(code))
    }

    static func seconds(_ duration: Duration) -> String {
        let milliseconds = duration.nanoseconds / 1_000_000
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000) s" : "\(milliseconds) ms"
    }
}
