import DNSCore
import Dispatch

#if canImport(Glibc)
import Glibc
#endif

/// A TCP connection that can be upgraded to TLS, read and written with a deadline on every step.
///
/// The protocol layer (SMTP's probe, the MTA-STS policy fetch) speaks through it; it knows no
/// protocol. Connect, then optionally ``startTLS(_:deadline:)`` (at once for implicit TLS, after
/// `STARTTLS` for RFC 3207), then ``read(maxBytes:deadline:)`` and ``write(_:deadline:)``.
///
/// ```swift
/// let stream = try await ByteStream.connect(to: address, port: 465, deadline: .now + .seconds(10))
/// defer { stream.close() }
/// let session = try await stream.startTLS(TLSClientConfiguration(serverName: "smtp.example.com"),
///                                         deadline: .now + .seconds(10))
/// ```
///
/// The socket is non-blocking; each step waits with `poll(2)` on a Dispatch queue of its own, never
/// on a thread of Swift's cooperative pool, and ends at its deadline or when the task is
/// cancelled. Steps run one at a time, in the order they are called. TLS is OpenSSL 3's libssl:
/// the handshake completes even when the certificate does not verify, so the caller can report
/// the chain; ``TLSSession/verification`` says whether it verified, and a caller that sends
/// secrets checks it first.
///
/// Writing to a connection the peer closed raises `SIGPIPE`, which would end the process: the
/// first connection sets `SIGPIPE` to be ignored when it is at its default action.
public final class ByteStream: @unchecked Sendable {
    /// The address connected to.
    public let address: IPAddress
    /// The port connected to.
    public let port: UInt16

    /// Serializes every use of `descriptor` and `tls` (the `@unchecked Sendable`'s invariant).
    private let queue = DispatchQueue(label: "dnsaudit.ByteStream")
    private var descriptor: Int32 = -1
    private var tls: TLSConnection?
    private let cancelled = LockedState(false)

    private init(address: IPAddress, port: UInt16) {
        self.address = address
        self.port = port
    }

    deinit {
        tls = nil
        if descriptor >= 0 { Glibc.close(descriptor) }
    }

    /// Opens a TCP connection to `address`:`port`.
    ///
    /// - Throws: ``StreamError`` `.refused` when nothing listens, `.timeout` when no answer
    ///   came before `deadline` (a filtered port), `.unreachable`, `.system`.
    public static func connect(
        to address: IPAddress, port: UInt16, deadline: ContinuousClock.Instant
    ) async throws -> ByteStream {
        _ = ignoreSIGPIPE
        let stream = ByteStream(address: address, port: port)
        try await stream.perform { try stream.blockingConnect(deadline: deadline) }
        return stream
    }

    /// Runs the TLS client handshake on the connection (RFC 8446 §4) and reports what was
    /// negotiated and whether the peer's certificate verified.
    ///
    /// - Throws: ``StreamError`` `.handshake` with OpenSSL's reason (a peer that speaks no TLS:
    ///   `wrong version number`), `.closed`, `.timeout`, `.configuration` (an unreadable CA file,
    ///   TLS already started).
    public func startTLS(_ configuration: TLSClientConfiguration, deadline: ContinuousClock.Instant) async throws
        -> TLSSession
    {
        try await perform { try self.blockingStartTLS(configuration, deadline: deadline) }
    }

    /// Writes all of `bytes` (through TLS once it is started).
    public func write(_ bytes: [UInt8], deadline: ContinuousClock.Instant) async throws {
        try await perform { try self.blockingWrite(bytes, deadline: deadline) }
    }

    /// Reads what has arrived, at least one byte and at most `maxBytes`, waiting until `deadline`.
    ///
    /// - Returns: the bytes, or an empty array when the peer closed the connection.
    public func read(maxBytes: Int = 16_384, deadline: ContinuousClock.Instant) async throws -> [UInt8] {
        try await perform { try self.blockingRead(maxBytes: max(1, maxBytes), deadline: deadline) }
    }

    /// Closes the connection (sending TLS close_notify when TLS is up, without waiting for the
    /// peer's). Safe to call more than once; later steps fail with `.closed`.
    public func close() {
        cancelled.withLock { $0 = true }
        queue.async {
            if let tls = self.tls {
                tls.shutdown()
                self.tls = nil
            }
            if self.descriptor >= 0 {
                Glibc.close(self.descriptor)
                self.descriptor = -1
            }
        }
    }

    // MARK: - Running a step

    private static let ignoreSIGPIPE: Void = {
        var current = sigaction()
        if sigaction(SIGPIPE, nil, &current) == 0, current.__sigaction_handler.sa_handler == nil {
            _ = signal(SIGPIPE, SIG_IGN)
        }
    }()

    /// Runs `body` on the stream's queue; a cancelled task makes its waits end within
    /// ``pollSlice``.
    private func perform<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
                queue.async { continuation.resume(with: Result { try body() }) }
            }
        } onCancel: {
            cancelled.withLock { $0 = true }
        }
    }

    /// How long one `poll(2)` waits before the deadline and cancellation are looked at again.
    static let pollSlice = 100

    /// Waits until the socket is ready for `events`, the deadline passes or the task is cancelled.
    func wait(for events: Int16, deadline: ContinuousClock.Instant, step: String) throws {
        while true {
            if cancelled.withLock({ $0 }) {
                throw StreamError(.cancelled, step: step, "cancelled")
            }
            let remaining = deadline - ContinuousClock.now
            guard remaining > .zero else {
                throw StreamError(.timeout, step: step, "no answer before the deadline")
            }
            let milliseconds = remaining.components.seconds * 1000 + remaining.components.attoseconds / 1_000_000_000_000_000
            var descriptorEvents = pollfd(fd: descriptor, events: events, revents: 0)
            let ready = poll(&descriptorEvents, 1, Int32(min(Int64(Self.pollSlice), max(1, milliseconds))))
            if ready > 0 { return }
            if ready < 0, errno != EINTR { throw Self.systemError(step: step, errno) }
        }
    }

    static func systemError(step: String, _ code: Int32, context: String = "") -> StreamError {
        let text = (context.isEmpty ? "" : context + ": ") + String(cString: strerror(code))
        switch code {
        case ECONNREFUSED: return StreamError(.refused, step: step, text)
        case ENETUNREACH, EHOSTUNREACH, ENETDOWN, EHOSTDOWN: return StreamError(.unreachable, step: step, text)
        case ECONNRESET, EPIPE, ENOTCONN: return StreamError(.closed, step: step, text)
        case ETIMEDOUT: return StreamError(.timeout, step: step, text)
        default: return StreamError(.system, step: step, text)
        }
    }

    // MARK: - The blocking steps (on `queue` only)

    private func blockingConnect(deadline: ContinuousClock.Instant) throws {
        let target = "\(address.description.contains(":") ? "[\(address)]" : address.description):\(port)"
        let family: Int32
        switch address {
        case .v4: family = AF_INET
        case .v6: family = AF_INET6
        }
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Self.systemError(step: "connect", errno, context: "socket") }
        descriptor = fd
        var one: Int32 = 1
        _ = setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        let result = withSocketAddress { pointer, length in Glibc.connect(fd, pointer, length) }
        if result != 0 {
            guard errno == EINPROGRESS else { throw Self.systemError(step: "connect", errno, context: "connect \(target)") }
            do {
                try wait(for: Int16(POLLOUT), deadline: deadline, step: "connect")
            } catch let error as StreamError where error.kind == .timeout {
                throw StreamError(.timeout, step: "connect", "connect \(target): no answer (SYN unanswered) before the deadline")
            }
            var failure: Int32 = 0
            var length = socklen_t(MemoryLayout<Int32>.size)
            guard getsockopt(fd, SOL_SOCKET, SO_ERROR, &failure, &length) == 0 else {
                throw Self.systemError(step: "connect", errno, context: "connect \(target)")
            }
            if failure != 0 { throw Self.systemError(step: "connect", failure, context: "connect \(target)") }
        }
    }

    private func withSocketAddress<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        switch address {
        case .v4(let v4):
            var socketAddress = sockaddr_in()
            socketAddress.sin_family = sa_family_t(AF_INET)
            socketAddress.sin_port = port.bigEndian
            socketAddress.sin_addr = in_addr(s_addr: v4.value.bigEndian)
            return withUnsafePointer(to: &socketAddress) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
        case .v6(let v6):
            var socketAddress = sockaddr_in6()
            socketAddress.sin6_family = sa_family_t(AF_INET6)
            socketAddress.sin6_port = port.bigEndian
            let bytes = (0..<8).map { UInt8(truncatingIfNeeded: v6.high >> (56 - 8 * $0)) }
                + (0..<8).map { UInt8(truncatingIfNeeded: v6.low >> (56 - 8 * $0)) }
            withUnsafeMutableBytes(of: &socketAddress.sin6_addr) { raw in
                for (index, byte) in bytes.enumerated() { raw[index] = byte }
            }
            return withUnsafePointer(to: &socketAddress) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
    }

    private func requireOpen(step: String) throws {
        if descriptor < 0 || cancelled.withLock({ $0 }) {
            throw StreamError(.closed, step: step, "the connection is closed")
        }
    }

    private func blockingStartTLS(_ configuration: TLSClientConfiguration, deadline: ContinuousClock.Instant) throws
        -> TLSSession
    {
        try requireOpen(step: "tls-handshake")
        guard tls == nil else { throw StreamError(.configuration, step: "tls-handshake", "TLS is already started") }
        let connection = try TLSConnection(descriptor: descriptor, configuration: configuration)
        tls = connection
        try connection.handshake { events in try self.wait(for: events, deadline: deadline, step: "tls-handshake") }
        return connection.session(configuration: configuration)
    }

    private func blockingWrite(_ bytes: [UInt8], deadline: ContinuousClock.Instant) throws {
        try requireOpen(step: "write")
        var offset = 0
        while offset < bytes.count {
            let written: Int
            if let tls {
                written = try bytes[offset...].withUnsafeBytes { buffer in
                    try tls.write(buffer) { events in try self.wait(for: events, deadline: deadline, step: "write") }
                }
            } else {
                let result = bytes[offset...].withUnsafeBytes { buffer in
                    send(descriptor, buffer.baseAddress, buffer.count, Int32(MSG_NOSIGNAL))
                }
                if result < 0 {
                    if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR {
                        try wait(for: Int16(POLLOUT), deadline: deadline, step: "write")
                        continue
                    }
                    throw Self.systemError(step: "write", errno)
                }
                written = result
            }
            offset += written
        }
    }

    private func blockingRead(maxBytes: Int, deadline: ContinuousClock.Instant) throws -> [UInt8] {
        try requireOpen(step: "read")
        var buffer = [UInt8](repeating: 0, count: maxBytes)
        while true {
            if let tls {
                let count = try buffer.withUnsafeMutableBytes { raw in
                    try tls.read(into: raw) { events in try self.wait(for: events, deadline: deadline, step: "read") }
                }
                return Array(buffer.prefix(count))
            }
            let count = buffer.withUnsafeMutableBytes { raw in recv(descriptor, raw.baseAddress, raw.count, 0) }
            if count >= 0 { return Array(buffer.prefix(count)) }
            if errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR {
                try wait(for: Int16(POLLIN), deadline: deadline, step: "read")
                continue
            }
            if errno == ECONNRESET { return [] }
            throw Self.systemError(step: "read", errno)
        }
    }
}
