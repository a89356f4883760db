import DNSCore
import Foundation
import SMTP
import SMTPProbing
import TLS
import TestSupport
import Testing

/// The probe against the provider simulator: real Gmail and Microsoft 365 replies, and servers
/// that misbehave. Library level; the CLI's own tests are in SMTPProbeCLITests.
@Suite(.serialized) struct SimulatorProbeTests {
    static let host = "smtp.gmail.test"

    /// Starts a CA and the simulator, runs `body`, stops both.
    static func withSimulator<T>(
        _ behaviours: [SMTPSimulator.Behaviour], _ body: (SMTPSimulator, TestCA) async throws -> T
    ) async throws -> T {
        let ca = try await TestCA.create(hostName: host)
        defer { ca.remove() }
        let simulator = try await SMTPSimulator.start(
            behaviours, certificate: ca.certificateFile(.valid), key: ca.keyFile(.valid))
        defer { simulator.stop() }
        return try await body(simulator, ca)
    }

    static func probe(
        _ mapping: [UInt16: UInt16], ca: TestCA, expect: TLSStart? = nil, credentials: SMTPCredentials? = nil,
        step: Duration = .seconds(3)
    ) async -> SMTPHostProbe {
        let overrides = mapping.map {
            ConnectOverride(host: host, port: $0.key, address: .v4(IPv4Address(0x7F00_0001)), targetPort: $0.value)
        }
        let configuration = SMTPProbe.Configuration(
            ports: mapping.keys.sorted(), expect: expect, caFile: ca.caFile, stepTimeout: step,
            connectOverrides: overrides, credentials: credentials, injectionWait: .milliseconds(800))
        let report = await SMTPProbe(configuration: configuration, resolver: nil).probe(host: host)
        return report.hosts[0]
    }

    @Test func gmailOnBothSubmissionPortsIsReadAsGmailSpeaksIt() async throws {
        try await Self.withSimulator([.gmail, .gmailImplicit]) { simulator, ca in
            let host = await Self.probe([587: simulator.port(.gmail), 465: simulator.port(.gmailImplicit)], ca: ca)
            let submissions = try #require(host.ports.first { $0.port == 465 })
            let submission = try #require(host.ports.first { $0.port == 587 })

            #expect(submission.speaks == .starttls)
            #expect(submission.banner?.code == 220)
            #expect(submission.banner?.text.contains("gsmtp") == true)
            let before = try #require(submission.ehloBeforeTLS)
            let after = try #require(submission.ehloAfterTLS)
            #expect(before.startTLS && !after.startTLS)
            #expect(before.authMechanisms.isEmpty)
            #expect(after.authMechanisms == ["LOGIN", "PLAIN", "XOAUTH2", "PLAIN-CLIENTTOKEN", "OAUTHBEARER", "XOAUTH"])
            #expect(after.size == 35_882_577 && after.pipelining && after.eightBitMIME && after.smtpUTF8 && !after.requireTLS)
            #expect(submission.findings.map(\.id) == ["smtp.auth-only-after-starttls"])
            #expect(submission.starttlsInjection == .notVulnerable)

            #expect(submissions.speaks == .implicitTLS)
            #expect(submissions.ehloBeforeTLS == nil)
            #expect(submissions.ehloAfterTLS?.authMechanisms.contains("PLAIN") == true)
            for port in [submission, submissions] {
                let tls = try #require(port.tls)
                #expect(tls.verification.verified, "\(tls.verification)")
                #expect(tls.chain.first?.subjectAlternativeNames == ["DNS:\(Self.host)"])
                #expect(tls.chain.first?.issuer.contains("dnsaudit test CA") == true)
                #expect(tls.version.hasPrefix("TLSv1."))
                #expect(port.transcript.last?.text.hasPrefix("221") == true, "QUIT at the end")
            }
        }
    }

    @Test func theWrongTLSSettingIsNamedBothWays() async throws {
        try await Self.withSimulator([.gmail, .gmailImplicit]) { simulator, ca in
            // SMTP_SSL to 587: the port answers in plain text.
            let implicitTo587 = await Self.probe([587: simulator.port(.gmail)], ca: ca, expect: .implicit).ports[0]
            #expect(implicitTo587.speaks == .starttls)
            let wrong = try #require(implicitTo587.findings.first)
            #expect(wrong.id == "smtp.implicit-tls-to-starttls-port")
            #expect(wrong.severity == .error)
            #expect(wrong.detail.contains("WRONG_VERSION_NUMBER"))
            #expect(implicitTo587.ehloAfterTLS != nil, "the probe still goes on with STARTTLS")

            // Plain SMTP to 465: no greeting, the port wants TLS.
            let plainTo465 = await Self.probe([465: simulator.port(.gmailImplicit)], ca: ca, expect: .starttls,
                                              step: .seconds(1)).ports[0]
            #expect(plainTo465.speaks == .implicitTLS)
            #expect(plainTo465.findings.first?.id == "smtp.plaintext-to-implicit-tls-port")
            #expect(plainTo465.findings.first?.severity == .error)
            #expect(plainTo465.findings.first?.detail.contains("SMTPServerDisconnected") == true)
            #expect(plainTo465.tls?.verification.verified == true)

            // Without --expect, a port that differs from its convention is a warning about the server.
            let serverOdd = await Self.probe([465: simulator.port(.gmail)], ca: ca).ports[0]
            #expect(serverOdd.findings.first { $0.id == "smtp.implicit-tls-to-starttls-port" }?.severity == .warning)
        }
    }

    @Test func gmailsAppPasswordReplyIsExplained() async throws {
        try await Self.withSimulator([.gmail, .microsoft]) { simulator, ca in
            let credentials = SMTPCredentials(user: "someone@gmail.test", secret: "not-an-app-password")
            let gmail = await Self.probe([587: simulator.port(.gmail)], ca: ca, credentials: credentials).ports[0]
            let attempt = try #require(gmail.auth)
            #expect(attempt.mechanism == .plain)
            #expect(attempt.reply?.code == 534 && attempt.reply?.enhancedCode?.description == "5.7.9")
            #expect(attempt.explanation?.id == "gmail.app-password-required")
            #expect(gmail.findings.first?.id == "smtp.auth-rejected")
            #expect(gmail.findings.first?.fix?.contains("App Password") == true)

            let microsoft = await Self.probe([587: simulator.port(.microsoft)], ca: ca, credentials: credentials).ports[0]
            let msAttempt = try #require(microsoft.auth)
            #expect(msAttempt.mechanism == .login, "Microsoft offers LOGIN and XOAUTH2, not PLAIN")
            #expect(msAttempt.reply?.enhancedCode?.description == "5.7.139")
            #expect(msAttempt.explanation?.provider == .microsoft)
            #expect(msAttempt.explanation?.match == .provider)
        }
    }

    @Test func anXOAUTH2TokenIsSentOnceAndItsRejectionExplained() async throws {
        try await Self.withSimulator([.gmail]) { simulator, ca in
            let token = "ya29.a0AfB_fake-token-value"
            let credentials = SMTPCredentials(user: "someone@gmail.test", secret: token, mechanism: .xoauth2)
            let port = await Self.probe([587: simulator.port(.gmail)], ca: ca, credentials: credentials).ports[0]
            let attempt = try #require(port.auth)
            #expect(attempt.mechanism == .xoauth2)
            #expect(attempt.reply?.code == 535 && attempt.reply?.enhancedCode?.description == "5.7.8")
            #expect(attempt.explanation?.provider == .gmail)
            let transcript = port.transcript.map(\.text).joined(separator: "\n")
            #expect(transcript.contains("AUTH XOAUTH2 [redacted]"))
            #expect(!transcript.contains(token))
            #expect(!transcript.contains(Data(token.utf8).base64EncodedString()))
        }
    }

    @Test func exactlyOneAuthAttemptAcrossPorts() async throws {
        try await Self.withSimulator([.gmail, .gmailImplicit]) { simulator, ca in
            let credentials = SMTPCredentials(user: "someone@gmail.test", secret: "pw")
            let host = await Self.probe(
                [587: simulator.port(.gmail), 465: simulator.port(.gmailImplicit)], ca: ca, credentials: credentials)
            #expect(host.ports.compactMap(\.auth).count == 1)
            #expect(simulator.log.components(separatedBy: "AUTH …").count - 1 == 1)
        }
    }

    @Test func aDelayedGreetingIsMeasured() async throws {
        try await Self.withSimulator([.delayedGreeting(tenths: 12)]) { simulator, ca in
            let port = await Self.probe([587: simulator.port(.delayedGreeting(tenths: 12))], ca: ca).ports[0]
            #expect(port.speaks == .starttls)
            // The server's 1.2 s starts when it accepts, a little before the client sees the
            // connection complete: allow that slack, no more.
            #expect((port.greetingMilliseconds ?? 0) >= 1_100)
            #expect((port.connectMilliseconds ?? .infinity) < (port.greetingMilliseconds ?? 0))
        }
    }

    /// On 587 the greeting shows the problem; on 465 the handshake fails first, then the plain
    /// reconnection shows it.
    @Test(arguments: [
        (SMTPSimulator.Behaviour.silent, "smtp.greeting-timeout"),
        (.garbage, "smtp.not-smtp"),
        (.longLine, "smtp.reply-too-long"),
    ], [UInt16(587), 465])
    func hostileServersEndWithinTheDeadline(case: (behaviour: SMTPSimulator.Behaviour, id: String), port: UInt16) async throws {
        try await Self.withSimulator([`case`.behaviour]) { simulator, ca in
            let step = Duration.seconds(1)
            let start = ContinuousClock.now
            let probed = await Self.probe([port: simulator.port(`case`.behaviour)], ca: ca, step: step).ports[0]
            let elapsed = ContinuousClock.now - start
            #expect(probed.findings.map(\.id).contains(`case`.id), "\(probed.findings.map(\.id))")
            #expect(probed.findings.filter { $0.severity == .error }.count == 1)
            #expect(probed.speaks == .unknown)
            #expect(probed.failure != nil)
            // A hang guard, not a timing: silence costs two steps (plain greeting, then a TLS
            // handshake); a probe that waited on without a deadline would never end.
            #expect(elapsed < step * 10, "took \(elapsed)")
        }
    }

    @Test func aTimeoutOnPort25WhileTheSubmissionPortsAnswerIsABlockedNetwork() async throws {
        try await Self.withSimulator([.blackhole, .gmail, .gmailImplicit]) { simulator, ca in
            let host = await Self.probe(
                [25: simulator.port(.blackhole), 587: simulator.port(.gmail), 465: simulator.port(.gmailImplicit)],
                ca: ca, step: .seconds(1))
            #expect(host.findings.map(\.id) == ["smtp.port25-blocked"])
            let relay = try #require(host.ports.first { $0.port == 25 })
            #expect(relay.connectMilliseconds == nil)
            #expect(relay.findings.isEmpty, "not reported as a broken server: \(relay.findings.map(\.id))")
        }
    }

    @Test func aServerThatCarriesPlaintextIntoTLSIsFound() async throws {
        try await Self.withSimulator([.injectable]) { simulator, ca in
            let port = await Self.probe([587: simulator.port(.injectable)], ca: ca).ports[0]
            #expect(port.starttlsInjection == .vulnerable)
            #expect(port.findings.first?.id == "smtp.starttls-injection")
        }
    }

    @Test func aClosedPortIsRefused() async throws {
        // Bind a port, then close it: nothing listens there.
        let ca = try await TestCA.create(hostName: Self.host)
        defer { ca.remove() }
        let simulator = try await SMTPSimulator.start([.gmail], certificate: ca.certificateFile(.valid), key: ca.keyFile(.valid))
        let closedPort = simulator.port(.gmail)
        simulator.stop()
        let port = await Self.probe([587: closedPort], ca: ca).ports[0]
        #expect(port.findings.map(\.id) == ["smtp.connect-refused"])
    }
}
