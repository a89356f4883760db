import Foundation
import SMTP
import TLS

/// Why a conversation step failed, beyond the stream's own errors.
enum ConversationFailure: Error, Sendable {
    /// The stream failed (timeout, closed, TLS).
    case stream(StreamError)
    /// The peer sent bytes that are not an SMTP reply line (RFC 5321 §4.2); the first ones, escaped.
    case notSMTP(String)
    /// A reply line longer than ``SMTPConversation/maxLineLength`` without an end.
    case lineTooLong(Int)
    /// A reply of more than ``SMTPConversation/maxReplyLines`` lines.
    case replyTooLong(Int)
    /// The peer closed the connection before a complete reply.
    case closed(partial: String)

    var summary: String {
        switch self {
        case .stream(let error): error.description
        case .notSMTP(let bytes): "the server sent something that is not an SMTP reply: \(bytes)"
        case .lineTooLong(let count): "the server sent a reply line of more than \(count) bytes without an end"
        case .replyTooLong(let lines): "the server sent a reply of more than \(lines) lines"
        case .closed(let partial): "the server closed the connection" + (partial.isEmpty ? "" : " after \(partial)")
        }
    }
}

/// A reply as read: the code, the text of each line, and the assembled ``SMTPReply``.
struct RawReply: Sendable {
    var code: Int
    var lines: [String]
    var reply: SMTPReply { SMTPReply(code: code, lines: lines) }
}

/// SMTP lines over a ``ByteStream``, with the limits that keep a hostile server from holding the
/// probe: every read has the step's deadline, a line is at most ``maxLineLength`` bytes, a reply
/// at most ``maxReplyLines`` lines. Records the transcript, with secrets replaced.
final class SMTPConversation {
    /// RFC 5321 §4.5.3.1.5 allows 512 octets per reply line; real servers stay far below this.
    static let maxLineLength = 4_096
    /// Lines in one reply (an EHLO reply has one per extension).
    static let maxReplyLines = 200

    let stream: ByteStream
    let stepTimeout: Duration
    private var buffer: [UInt8] = []
    private(set) var transcript: [TranscriptLine] = []
    /// Texts replaced by `[redacted]` wherever the server might echo them.
    var secrets: [String] = []

    init(stream: ByteStream, stepTimeout: Duration) {
        self.stream = stream
        self.stepTimeout = stepTimeout
    }

    func note(_ text: String) { transcript.append(TranscriptLine(.event, text)) }

    /// Sends one command line. `shown` replaces it in the transcript (for credentials).
    func send(_ line: String, shown: String? = nil) async throws(ConversationFailure) {
        transcript.append(TranscriptLine(.client, shown ?? line))
        do {
            try await stream.write(Array((line + "\r\n").utf8), deadline: .now + stepTimeout)
        } catch {
            throw .stream(Self.streamError(error, step: "write"))
        }
    }

    /// Sends bytes as they are (the injection check's pipelined commands).
    func sendRaw(_ bytes: [UInt8], shown: [String]) async throws(ConversationFailure) {
        for line in shown { transcript.append(TranscriptLine(.client, line)) }
        do {
            try await stream.write(bytes, deadline: .now + stepTimeout)
        } catch {
            throw .stream(Self.streamError(error, step: "write"))
        }
    }

    /// Reads one complete reply (every `code-` line and the final `code ` line).
    func readReply(timeout: Duration? = nil) async throws(ConversationFailure) -> RawReply {
        let deadline = ContinuousClock.now + (timeout ?? stepTimeout)
        var code: Int?
        var lines: [String] = []
        while true {
            let line = try await readLine(deadline: deadline)
            let text = redacted(String(decoding: line, as: UTF8.self))
            guard line.count >= 3, let lineCode = Self.code(line),
                line.count == 3 || line[3] == UInt8(ascii: " ") || line[3] == UInt8(ascii: "-"),
                code == nil || code == lineCode
            else {
                transcript.append(TranscriptLine(.server, Self.escaped(line)))
                throw .notSMTP(Self.escaped(line))
            }
            transcript.append(TranscriptLine(.server, text))
            code = lineCode
            lines.append(line.count > 4 ? String(text.dropFirst(4)) : "")
            if line.count == 3 || line[3] == UInt8(ascii: " ") { return RawReply(code: lineCode, lines: lines) }
            if lines.count >= Self.maxReplyLines { throw .replyTooLong(Self.maxReplyLines) }
        }
    }

    /// Whether any byte arrives before `timeout` (the injection check): the bytes, or `nil` on
    /// silence.
    func peekForData(timeout: Duration) async throws(ConversationFailure) -> [UInt8]? {
        if !buffer.isEmpty { return buffer }
        do {
            let bytes = try await stream.read(deadline: .now + timeout)
            buffer += bytes
            return bytes.isEmpty ? nil : bytes
        } catch let error as StreamError where error.kind == .timeout {
            return nil
        } catch {
            throw .stream(Self.streamError(error, step: "read"))
        }
    }

    /// Whether bytes are waiting that were not read as a reply (a server answering early).
    var hasBufferedBytes: Bool { !buffer.isEmpty }

    /// Drops buffered bytes (before TLS starts: they belong to the plain-text stream).
    func discardBuffer() { buffer.removeAll() }

    private func readLine(deadline: ContinuousClock.Instant) async throws(ConversationFailure) -> [UInt8] {
        var searched = 0
        while true {
            if let newline = buffer[searched...].firstIndex(of: UInt8(ascii: "\n")) {
                var line = Array(buffer[..<newline])
                buffer.removeFirst(newline + 1)
                if line.last == UInt8(ascii: "\r") { line.removeLast() }
                guard line.count <= Self.maxLineLength else { throw .lineTooLong(Self.maxLineLength) }
                return line
            }
            searched = buffer.count
            if buffer.count > Self.maxLineLength { throw .lineTooLong(Self.maxLineLength) }
            let bytes: [UInt8]
            do {
                bytes = try await stream.read(deadline: deadline)
            } catch {
                throw .stream(Self.streamError(error, step: "read"))
            }
            if bytes.isEmpty { throw .closed(partial: buffer.isEmpty ? "" : "a partial line: " + Self.escaped(buffer)) }
            buffer += bytes
        }
    }

    private func redacted(_ text: String) -> String {
        var text = text
        for secret in secrets where !secret.isEmpty { text = text.replacingOccurrences(of: secret, with: "[redacted]") }
        return text
    }

    static func code(_ line: [UInt8]) -> Int? {
        guard line.count >= 3, line[0...2].allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
            (UInt8(ascii: "2")...UInt8(ascii: "5")).contains(line[0])
        else { return nil }
        return line[0...2].reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) }
    }

    /// At most 80 bytes, printable ASCII as is, the rest as `\xNN`.
    static func escaped(_ bytes: some Collection<UInt8>) -> String {
        var text = ""
        for byte in bytes.prefix(80) {
            if byte >= 0x20 && byte < 0x7F { text.append(Character(Unicode.Scalar(byte))) } else {
                text += "\\x" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
            }
        }
        return bytes.count > 80 ? text + "…" : text
    }

    static func streamError(_ error: any Error, step: String) -> StreamError {
        (error as? StreamError) ?? StreamError(.system, step: step, "\(error)")
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
