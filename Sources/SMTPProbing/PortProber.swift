import DNSCore
import Foundation
import MailAuthCore
import SMTP
import TLS

/// The probe of one port: one or two connections for the dialogue, one more for the injection
/// check. Used by one task, then discarded.
final class PortProber {
    let configuration: SMTPProbe.Configuration
    let host: String
    let port: UInt16
    let address: IPAddress
    let targetPort: UInt16
    let credentials: SMTPCredentials?
    private var result: SMTPPortProbe
    private var timeout: Duration { configuration.stepTimeout }

    init(
        configuration: SMTPProbe.Configuration, host: String, port: UInt16, address: IPAddress, targetPort: UInt16,
        credentials: SMTPCredentials?
    ) {
        self.configuration = configuration
        self.host = host
        self.port = port
        self.address = address
        self.targetPort = targetPort
        self.credentials = credentials
        result = SMTPPortProbe(port: port, tried: configuration.expect ?? TLSStart.convention(forPort: port))
    }

    private var target: String { "\(address.description.contains(":") ? "[\(address)]" : address.description):\(targetPort)" }

    private var tlsConfiguration: TLSClientConfiguration {
        TLSClientConfiguration(serverName: host, caFile: configuration.caFile)
    }

    func run() async -> SMTPPortProbe {
        result.connectedTo = target
        switch result.tried {
        case .implicit: await runImplicitFirst()
        case .starttls: await runPlainFirst()
        }
        result.findings.sort { $0.severity > $1.severity }
        return result
    }

    // MARK: - The two ways in

    /// TLS at once; when the port answers in plain text instead, the plain dialogue and a finding.
    private func runImplicitFirst() async {
        guard let (stream, conversation, connected) = await connect(recordTiming: true) else { return }
        defer { stream.close() }
        conversation.note("TLS handshake (implicit TLS)")
        do {
            let session = try await stream.startTLS(tlsConfiguration, deadline: .now + timeout)
            result.speaks = .implicitTLS
            await dialogueInsideImplicitTLS(conversation, session: session, connected: connected)
        } catch {
            let error = SMTPConversation.streamError(error, step: "tls-handshake")
            conversation.note("TLS handshake failed: \(error.message)")
            result.transcript += conversation.transcript
            // What does the port speak? A fresh plain connection reads its greeting.
            guard let (plain, plainConversation, plainConnected) = await connect(recordTiming: false) else {
                result.findings.append(SMTPProbeFindings.handshakeFailed(port, error))
                return
            }
            defer { plain.close() }
            plainConversation.note("reconnected in plain text to see what the port speaks")
            switch await readGreeting(plainConversation, connected: plainConnected) {
            case .some(let greeting):
                result.findings.append(
                    SMTPProbeFindings.implicitToStartTLSPort(port, expected: configuration.expect == .implicit))
                await dialogueInPlaintext(plainConversation, stream: plain, greeting: greeting)
            case .none:
                result.transcript += plainConversation.transcript
                if !result.findings.contains(where: { $0.severity == .error }) {
                    result.findings.append(SMTPProbeFindings.handshakeFailed(port, error))
                }
            }
        }
    }

    /// Plain text first; when the port stays silent, implicit TLS on a new connection.
    private func runPlainFirst() async {
        guard let (stream, conversation, connected) = await connect(recordTiming: true) else { return }
        defer { stream.close() }
        do {
            let greeting = try await conversation.readReply()
            recordGreeting(greeting.reply, connected: connected)
            await dialogueInPlaintext(conversation, stream: stream, greeting: greeting.reply)
        } catch {
            if case .stream(let streamError) = error, streamError.kind == .timeout, !conversation.hasBufferedBytes {
                conversation.note("no greeting within \(timeout); trying implicit TLS on a new connection")
                result.transcript += conversation.transcript
                stream.close()
                await trySilentPortAsImplicitTLS()
            } else {
                result.transcript += conversation.transcript
                result.findings.append(finding(for: error, step: "the greeting", partial: conversation.hasBufferedBytes))
            }
        }
    }

    private func trySilentPortAsImplicitTLS() async {
        guard let (stream, conversation, connected) = await connect(recordTiming: false) else { return }
        defer { stream.close() }
        conversation.note("TLS handshake (implicit TLS)")
        do {
            let session = try await stream.startTLS(tlsConfiguration, deadline: .now + timeout)
            result.speaks = .implicitTLS
            result.findings.append(
                SMTPProbeFindings.plaintextToImplicitPort(port, expected: configuration.expect == .starttls))
            await dialogueInsideImplicitTLS(conversation, session: session, connected: connected)
        } catch {
            let error = SMTPConversation.streamError(error, step: "tls-handshake")
            conversation.note("TLS handshake failed: \(error.message)")
            result.transcript += conversation.transcript
            result.findings.append(SMTPProbeFindings.greetingTimeout(port, partial: false))
            result.failure = "no greeting in plain text, and no TLS: \(error.message)"
        }
    }

    // MARK: - Dialogues

    private func dialogueInsideImplicitTLS(_ conversation: SMTPConversation, session: TLSSession, connected: ContinuousClock.Instant) async {
        record(session, in: conversation)
        do {
            let greeting = try await conversation.readReply()
            recordGreeting(greeting.reply, connected: connected)
            guard greeting.code == 220 else {
                result.findings.append(SMTPProbeFindings.greetingRejected(port, greeting.reply))
                await quit(conversation)
                return
            }
            try await finishInsideTLS(conversation, session: session, before: nil)
        } catch {
            result.transcript += conversation.transcript
            result.findings.append(finding(for: error, step: "the dialogue inside TLS"))
        }
    }

    private func dialogueInPlaintext(_ conversation: SMTPConversation, stream: ByteStream, greeting: SMTPReply) async {
        var startTLSOffered = false
        do {
            guard greeting.code == 220 else {
                result.findings.append(SMTPProbeFindings.greetingRejected(port, greeting))
                await quit(conversation)
                return
            }
            guard let before = try await ehlo(conversation) else { return }
            result.ehloBeforeTLS = before
            guard before.startTLS else {
                result.speaks = .plaintext
                result.findings.append(SMTPProbeFindings.noStartTLS(port))
                judgeAuth(before: before, after: nil)
                if credentials != nil {
                    result.findings.append(SMTPProbeFindings.authNotAttempted(
                        port, "Port \(port) offers no TLS; dnsaudit sends no password in clear text."))
                }
                await quit(conversation)
                return
            }
            result.speaks = .starttls
            startTLSOffered = true
            try await conversation.send("STARTTLS")
            let reply = try await conversation.readReply()
            guard reply.code == 220 else {
                result.findings.append(SMTPProbeFindings.startTLSRefused(port, reply.reply))
                await quit(conversation)
                return
            }
            conversation.discardBuffer()
            conversation.note("TLS handshake (STARTTLS)")
            let session: TLSSession
            do {
                session = try await stream.startTLS(tlsConfiguration, deadline: .now + timeout)
            } catch {
                let error = SMTPConversation.streamError(error, step: "tls-handshake")
                conversation.note("TLS handshake failed: \(error.message)")
                result.transcript += conversation.transcript
                result.findings.append(SMTPProbeFindings.handshakeFailed(port, error))
                return
            }
            record(session, in: conversation)
            try await finishInsideTLS(conversation, session: session, before: before)
        } catch {
            result.transcript += conversation.transcript
            result.findings.append(finding(for: error, step: "the dialogue"))
        }
        if startTLSOffered, configuration.checkInjection {
            await checkInjection()
        }
    }

    /// The dialogue once TLS is up: EHLO, what AUTH looks like before and after, the AUTH test, QUIT.
    private func finishInsideTLS(
        _ conversation: SMTPConversation, session: TLSSession, before: EHLOCapabilities?
    ) async throws(ConversationFailure) {
        guard let after = try await ehlo(conversation) else { return }
        result.ehloAfterTLS = after
        judgeAuth(before: before, after: after)
        await authenticate(conversation, capabilities: after, session: session)
        await quit(conversation)
    }

    /// EHLO; `nil` (with a finding, after QUIT) when the server rejects it.
    private func ehlo(_ conversation: SMTPConversation) async throws(ConversationFailure) -> EHLOCapabilities? {
        try await conversation.send("EHLO \(configuration.ehloName)")
        let reply = try await conversation.readReply()
        guard reply.code == 250 else {
            result.findings.append(SMTPProbeFindings.ehloRejected(port, reply.reply))
            await quit(conversation)
            return nil
        }
        return EHLOCapabilities(code: reply.code, lines: reply.lines)
    }

    /// QUIT and its reply, best effort with a short wait; the transcript is kept.
    private func quit(_ conversation: SMTPConversation) async {
        do {
            try await conversation.send("QUIT")
            _ = try await conversation.readReply(timeout: min(timeout, .seconds(2)))
        } catch {
            conversation.note("no reply to QUIT (\(error.summary))")
        }
        result.transcript += conversation.transcript
    }

    // MARK: - AUTH

    private func judgeAuth(before: EHLOCapabilities?, after: EHLOCapabilities?) {
        let plainMechanisms = before?.authMechanisms ?? []
        if !plainMechanisms.isEmpty, port != 25 {
            result.findings.append(SMTPProbeFindings.authOfferedInPlaintext(port, plainMechanisms))
        }
        if let before, let after, before.authMechanisms.isEmpty, !after.authMechanisms.isEmpty {
            result.findings.append(SMTPProbeFindings.authOnlyAfterStartTLS(port))
        }
        if (after ?? before)?.authMechanisms.isEmpty == true, plainMechanisms.isEmpty {
            result.findings.append(SMTPProbeFindings.noAuth(port))
        }
    }

    /// The opt-in AUTH test: one attempt, only over verified TLS, secrets redacted.
    private func authenticate(_ conversation: SMTPConversation, capabilities: EHLOCapabilities, session: TLSSession) async {
        guard let credentials else { return }
        guard session.verification.verified else {
            result.findings.append(SMTPProbeFindings.authNotAttempted(
                port, "TLS did not verify (\(session.verification.reason)); dnsaudit sends no password over it."))
            return
        }
        let offered = capabilities.authMechanisms
        let mechanism: SASLMechanism
        if let chosen = credentials.mechanism {
            guard offered.contains(chosen.rawValue) else {
                result.findings.append(SMTPProbeFindings.authNotAttempted(
                    port, "The server does not offer \(chosen.rawValue) (it offers: \(offered.isEmpty ? "none" : offered.joined(separator: " ")))."))
                return
            }
            mechanism = chosen
        } else if offered.contains("PLAIN") {
            mechanism = .plain
        } else if offered.contains("LOGIN") {
            mechanism = .login
        } else {
            // Not here (port 25 offers no AUTH); a port that does may follow.
            if !offered.isEmpty {
                result.findings.append(SMTPProbeFindings.authNotAttempted(
                    port, "The server offers neither PLAIN nor LOGIN (it offers: \(offered.joined(separator: " ")))."))
            }
            return
        }
        conversation.secrets = credentials.redactions
        do {
            let reply: RawReply
            switch mechanism {
            case .plain:
                try await conversation.send("AUTH PLAIN \(credentials.plainMessage)", shown: "AUTH PLAIN [redacted]")
                reply = try await conversation.readReply()
            case .xoauth2:
                try await conversation.send("AUTH XOAUTH2 \(credentials.xoauth2Message)", shown: "AUTH XOAUTH2 [redacted]")
                var answer = try await conversation.readReply()
                if answer.code == 334 {  // the error details, base64 JSON; an empty line gets the final reply
                    try await conversation.send("")
                    answer = try await conversation.readReply()
                }
                reply = answer
            case .login:
                try await conversation.send("AUTH LOGIN")
                var answer = try await conversation.readReply()
                if answer.code == 334 {
                    try await conversation.send(credentials.userBase64, shown: "[user \(credentials.user), base64]")
                    answer = try await conversation.readReply()
                    if answer.code == 334 {
                        try await conversation.send(credentials.secretBase64, shown: "[password redacted]")
                        answer = try await conversation.readReply()
                    }
                }
                reply = answer
            }
            let smtpReply = reply.reply
            let succeeded = reply.code == 235
            let provider = result.banner.flatMap { ReplyClassifier.provider(named: $0.text) }
            let attempt = AuthAttempt(
                mechanism: mechanism, user: credentials.user, reply: smtpReply, succeeded: succeeded, failure: nil,
                explanation: succeeded ? nil : ReplyClassifier().explain(smtpReply, provider: provider))
            result.auth = attempt
            result.findings.append(
                succeeded
                    ? SMTPProbeFindings.authAccepted(port, attempt)
                    : SMTPProbeFindings.authRejected(port, attempt, reply: smtpReply))
        } catch {
            result.auth = AuthAttempt(
                mechanism: mechanism, user: credentials.user, reply: nil, succeeded: false, failure: error.summary,
                explanation: nil)
            result.findings.append(finding(for: error, step: "AUTH"))
        }
    }

    // MARK: - STARTTLS command injection (RFC 3207 §4.2, CVE-2011-0411)

    /// Sends `STARTTLS` and `NOOP` in one write, then looks for a NOOP reply inside TLS before
    /// sending anything there. Its own connection, so the main dialogue stays clean.
    private func checkInjection() async {
        guard let (stream, conversation, _) = await connect(recordTiming: false) else {
            result.starttlsInjection = .inconclusive
            return
        }
        defer { stream.close() }
        conversation.note("STARTTLS command-injection check (a NOOP in the STARTTLS packet)")
        do {
            _ = try await conversation.readReply()
            try await conversation.send("EHLO \(configuration.ehloName)")
            _ = try await conversation.readReply()
            try await conversation.sendRaw(Array("STARTTLS\r\nNOOP\r\n".utf8), shown: ["STARTTLS", "NOOP"])
            let reply = try await conversation.readReply()
            guard reply.code == 220 else {
                result.starttlsInjection = .inconclusive
                result.transcript += conversation.transcript
                return
            }
            if conversation.hasBufferedBytes {
                result.starttlsInjection = .answeredInPlaintext
                result.findings.append(SMTPProbeFindings.injectionPlaintextReply(port))
                result.transcript += conversation.transcript
                return
            }
            conversation.note("TLS handshake (STARTTLS); nothing is sent inside TLS until the server has had its chance to answer")
            _ = try await stream.startTLS(tlsConfiguration, deadline: .now + timeout)
            if try await conversation.peekForData(timeout: configuration.injectionWait) != nil {
                let answer = try? await conversation.readReply()
                conversation.note("answered inside TLS without a command: \(answer?.reply.line ?? "bytes")")
                result.starttlsInjection = .vulnerable
                result.findings.append(SMTPProbeFindings.injection(port))
            } else {
                conversation.note("no answer inside TLS within \(configuration.injectionWait): the NOOP was discarded")
                result.starttlsInjection = .notVulnerable
            }
            await quit(conversation)
        } catch {
            conversation.note("check stopped: \(SMTPConversation.streamError(error, step: "injection check").message)")
            result.starttlsInjection = .inconclusive
            result.transcript += conversation.transcript
        }
    }

    // MARK: - Helpers

    /// Connects; on failure records the finding and returns `nil`.
    private func connect(recordTiming: Bool) async -> (ByteStream, SMTPConversation, ContinuousClock.Instant)? {
        let start = ContinuousClock.now
        do {
            let stream = try await ByteStream.connect(to: address, port: targetPort, deadline: start + timeout)
            let connected = ContinuousClock.now
            if recordTiming { result.connectMilliseconds = Self.milliseconds(connected - start) }
            let conversation = SMTPConversation(stream: stream, stepTimeout: timeout)
            conversation.note("connected to \(target)" + (recordTiming ? " in \(Self.format(connected - start))" : ""))
            return (stream, conversation, connected)
        } catch {
            let error = SMTPConversation.streamError(error, step: "connect")
            result.transcript.append(TranscriptLine(.event, "connect \(target): \(error.message)"))
            if result.failure == nil { result.failure = error.description }
            switch error.kind {
            case .refused: result.findings.append(SMTPProbeFindings.connectRefused(port, error))
            case .timeout: result.findings.append(SMTPProbeFindings.connectTimeout(port, error))
            default: result.findings.append(SMTPProbeFindings.connectFailed(port, error))
            }
            return nil
        }
    }

    /// The greeting on a fresh connection, or `nil` with a finding.
    private func readGreeting(_ conversation: SMTPConversation, connected: ContinuousClock.Instant) async -> SMTPReply? {
        do {
            let greeting = try await conversation.readReply()
            recordGreeting(greeting.reply, connected: connected)
            return greeting.reply
        } catch {
            result.findings.append(finding(for: error, step: "the greeting", partial: conversation.hasBufferedBytes))
            return nil
        }
    }

    private func recordGreeting(_ reply: SMTPReply, connected: ContinuousClock.Instant) {
        result.banner = reply
        result.greetingMilliseconds = Self.milliseconds(ContinuousClock.now - connected)
    }

    private func record(_ session: TLSSession, in conversation: SMTPConversation) {
        conversation.note("TLS \(session.version) \(session.cipher)" + (session.group.map { " \($0)" } ?? ""))
        result.tls = session
        if session.version == "TLSv1" || session.version == "TLSv1.1" || session.version.hasPrefix("SSL") {
            result.findings.append(SMTPProbeFindings.oldTLS(port, session.version))
        }
        if let problem = SMTPProbeFindings.certificateProblem(port, session, host: host) {
            result.findings.append(problem)
        } else if let notAfter = session.chain.first?.notAfter, notAfter < Date().addingTimeInterval(14 * 86_400) {
            result.findings.append(SMTPProbeFindings.certificateExpiresSoon(port, notAfter))
        }
    }

    /// The finding for a failed step; `partial` says whether part of a line had arrived.
    private func finding(for failure: ConversationFailure, step: String, partial: Bool = false) -> Finding {
        if result.failure == nil { result.failure = failure.summary }
        switch failure {
        case .notSMTP: return SMTPProbeFindings.notSMTP(port, failure)
        case .lineTooLong, .replyTooLong: return SMTPProbeFindings.replyTooLong(port, failure)
        case .closed: return SMTPProbeFindings.connectionClosed(port, step: step, failure)
        case .stream(let error) where error.kind == .timeout:
            return step == "the greeting"
                ? SMTPProbeFindings.greetingTimeout(port, partial: partial)
                : SMTPProbeFindings.connectionClosed(port, step: step, failure)
        case .stream: return SMTPProbeFindings.connectionClosed(port, step: step, failure)
        }
    }

    static func milliseconds(_ duration: Duration) -> Double {
        let (seconds, attoseconds) = duration.components
        return ((Double(seconds) * 1000 + Double(attoseconds) / 1e15) * 10).rounded() / 10
    }

    static func format(_ duration: Duration) -> String {
        String(format: "%.1f ms", milliseconds(duration))
    }
}
