/// Why a ``ByteStream`` operation failed: what happened, in which step, and the system's or
/// OpenSSL's own words.
public struct StreamError: Error, Sendable, Hashable, Codable, CustomStringConvertible {
    /// What went wrong, for a program to act on.
    public enum Kind: String, Sendable, Hashable, Codable {
        /// The deadline passed before the step finished.
        case timeout
        /// The peer refused the TCP connection (RST: nothing listens on the port).
        case refused
        /// No route, network down, host unreachable.
        case unreachable
        /// The peer closed the connection (or reset it) in the middle of the step.
        case closed
        /// The TLS handshake failed (OpenSSL's reason is in ``StreamError/message``).
        case handshake
        /// TLS was asked for on a stream that already speaks it, or the configuration is unusable
        /// (an unreadable `--ca-file`).
        case configuration
        /// Any other system call failure.
        case system
        /// The task was cancelled.
        case cancelled
    }

    public var kind: Kind
    /// The step that failed: `connect`, `tls-handshake`, `read`, `write`.
    public var step: String
    /// The detail: `connect 127.0.0.1:25: Connection refused`, OpenSSL's error string.
    public var message: String

    public init(_ kind: Kind, step: String, _ message: String) {
        self.kind = kind
        self.step = step
        self.message = message
    }

    public var description: String { "\(step): \(message)" }
}
