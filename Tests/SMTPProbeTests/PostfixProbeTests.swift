import DNSCore
import Foundation
import SMTP
import SMTPProbing
import TLS
import TestSupport
import Testing

/// The probe against a real Postfix with Dovecot SASL on loopback, one test CA per test, and what
/// `openssl s_client -starttls smtp` and `swaks` report about the same server.
@Suite(.serialized) struct PostfixProbeTests {
    static let host = "mail.probe.test"
    static let user = "alice@probe.test"
    static let password = "correct-horse-battery"

    static func withPostfix<T>(
        _ certificate: TestCA.Certificate = .valid, _ body: (PostfixServer, TestCA) async throws -> T
    ) async throws -> T {
        let ca = try await TestCA.create(hostName: host)
        defer { ca.remove() }
        let server = try await PostfixServer.start(
            hostName: host, certificate: ca.certificateFile(certificate), key: ca.keyFile(certificate),
            users: [user: password])
        defer { server.stop() }
        return try await body(server, ca)
    }

    static func probe(
        _ server: PostfixServer, ca: TestCA, ports: [(UInt16, PostfixServer.Role)], expect: TLSStart? = nil,
        credentials: SMTPCredentials? = nil
    ) async -> SMTPHostProbe {
        let overrides = ports.map {
            ConnectOverride(host: host, port: $0.0, address: .v4(IPv4Address(0x7F00_0001)), targetPort: server.port($0.1))
        }
        let configuration = SMTPProbe.Configuration(
            ports: ports.map(\.0), expect: expect, caFile: ca.caFile, stepTimeout: .seconds(5),
            connectOverrides: overrides, credentials: credentials, injectionWait: .milliseconds(800))
        return await SMTPProbe(configuration: configuration, resolver: nil).probe(host: host).hosts[0]
    }

    /// Postfix's per-session summary lines (`disconnect from … ehlo=2 starttls=1 auth=1 quit=1
    /// commands=5`), without the fixture's readiness probes (`commands=0/0`).
    static func sessions(_ server: PostfixServer) -> [Substring] {
        server.maillog.split(separator: "\n").filter { $0.contains("disconnect from") && !$0.contains("commands=0/0") }
    }

    static let standardPorts: [(UInt16, PostfixServer.Role)] = [(25, .relay), (465, .submissions), (587, .submission)]

    @Test func eachPortIsReadAsPostfixIsConfigured() async throws {
        try await Self.withPostfix { server, ca in
            let credentials = SMTPCredentials(user: Self.user, secret: Self.password)
            let result = await Self.probe(server, ca: ca, ports: Self.standardPorts, credentials: credentials)
            let relay = try #require(result.ports.first { $0.port == 25 })
            let submissions = try #require(result.ports.first { $0.port == 465 })
            let submission = try #require(result.ports.first { $0.port == 587 })

            #expect(relay.speaks == .starttls)
            #expect(relay.banner?.text == "\(Self.host) ESMTP Postfix")
            #expect(relay.ehloBeforeTLS?.authMechanisms == [] && relay.ehloAfterTLS?.authMechanisms == [])
            #expect(relay.ehloBeforeTLS?.size == 10_240_000)
            #expect(relay.starttlsInjection == .notVulnerable)

            #expect(submission.speaks == .starttls)
            #expect(submission.ehloBeforeTLS?.authMechanisms == [])
            #expect(submission.ehloAfterTLS?.authMechanisms == ["PLAIN", "LOGIN"])
            #expect(submission.findings.contains { $0.id == "smtp.auth-only-after-starttls" })

            #expect(submissions.speaks == .implicitTLS)
            #expect(submissions.ehloAfterTLS?.authMechanisms == ["PLAIN", "LOGIN"])
            for port in result.ports {
                #expect(port.tls?.verification.verified == true, "\(port.port): \(String(describing: port.tls?.verification))")
                #expect(port.tls?.chain.first?.subjectAlternativeNames == ["DNS:\(Self.host)"])
            }

            // One AUTH attempt, on the first port that offers AUTH inside verified TLS (465).
            #expect(result.ports.compactMap(\.auth).count == 1)
            #expect(submissions.auth?.succeeded == true)
            #expect(submissions.auth?.reply?.code == 235)
            #expect(submissions.findings.contains { $0.id == "smtp.auth-accepted" })
            // Postfix's per-session command counts: exactly one AUTH, and no MAIL, in any session.
            let disconnects = Self.sessions(server)
            #expect(disconnects.filter { $0.contains(" auth=") }.count == 1, "\(disconnects)")
            #expect(disconnects.contains { $0.contains(" auth=1 ") })
            #expect(!disconnects.contains { $0.contains(" mail=") }, "no message was started")
            #expect(disconnects.allSatisfy { $0.contains(" quit=1") }, "QUIT at the end of every session: \(disconnects)")
        }
    }

    @Test func aWrongPasswordIsRejectedAndExplained() async throws {
        try await Self.withPostfix { server, ca in
            let credentials = SMTPCredentials(user: Self.user, secret: "wrong", mechanism: .login)
            let port = await Self.probe(server, ca: ca, ports: [(587, .submission)], credentials: credentials).ports[0]
            let attempt = try #require(port.auth)
            #expect(attempt.mechanism == .login)
            #expect(!attempt.succeeded)
            #expect(attempt.reply?.code == 535 && attempt.reply?.enhancedCode?.description == "5.7.8")
            #expect(attempt.explanation != nil && attempt.explanation?.match != .unknown)
            #expect(port.findings.first?.id == "smtp.auth-rejected")
            #expect(server.maillog.contains("SASL LOGIN authentication failed"))
            #expect(server.maillog.contains(" auth=0/1 "))
        }
    }

    @Test(arguments: [
        (TestCA.Certificate.expired, "smtp.certificate-expired", CertificateVerification.Code.certificateExpired),
        (.wrongName, "smtp.certificate-name-mismatch", CertificateVerification.Code.hostnameMismatch),
    ])
    func aBadCertificateIsNamedAndNoPasswordIsSent(certificate: TestCA.Certificate, id: String, code: Int) async throws {
        try await Self.withPostfix(certificate) { server, ca in
            let credentials = SMTPCredentials(user: Self.user, secret: Self.password)
            let port = await Self.probe(server, ca: ca, ports: [(587, .submission)], credentials: credentials).ports[0]
            let tls = try #require(port.tls)
            #expect(!tls.verification.verified)
            #expect(tls.verification.code == code)
            #expect(port.findings.contains { $0.id == id })
            #expect(port.findings.contains { $0.id == "smtp.auth-not-attempted" })
            #expect(port.auth == nil)
            let disconnects = Self.sessions(server)
            #expect(!disconnects.isEmpty)
            #expect(!disconnects.contains { $0.contains(" auth=") }, "no AUTH reached Postfix: \(disconnects)")
        }
    }

    @Test func implicitTLSOnThePortAClientTreatsAs587IsNamed() async throws {
        try await Self.withPostfix { server, ca in
            // A server that talks TLS on 587; the client (nodemailer secure: false) expects STARTTLS.
            let shortStep = SMTPProbe.Configuration(
                ports: [587], expect: .starttls, caFile: ca.caFile, stepTimeout: .seconds(1),
                connectOverrides: [ConnectOverride(host: Self.host, port: 587, address: .v4(IPv4Address(0x7F00_0001)),
                                                   targetPort: server.port(.submissions))])
            let port = await SMTPProbe(configuration: shortStep, resolver: nil).probe(host: Self.host).hosts[0].ports[0]
            #expect(port.speaks == .implicitTLS)
            #expect(port.findings.first?.id == "smtp.plaintext-to-implicit-tls-port")
            #expect(port.banner?.text.contains("Postfix") == true)
        }
    }

    // MARK: - The reference tools

    @Test func tlsVersionCipherAndSubjectMatchOpenSSLSClient() async throws {
        try await Self.withPostfix { server, ca in
            let result = await Self.probe(server, ca: ca, ports: [(587, .submission), (465, .submissions)])
            for (role, starttls) in [(PostfixServer.Role.submission, true), (.submissions, false)] {
                let ours = try #require(result.ports.first { $0.port == role.standardPort }?.tls)
                let output = try await ProcessRunner.run(
                    "/usr/bin/openssl",
                    ["s_client", "-connect", "127.0.0.1:\(server.port(role))"] + (starttls ? ["-starttls", "smtp"] : [])
                        + ["-servername", Self.host, "-CAfile", ca.caFile, "-verify_hostname", Self.host, "-brief"],
                    input: Data("QUIT\r\n".utf8), timeout: 20)
                let text = output.stderrText + output.stdoutText
                func field(_ name: String) -> String? {
                    text.split(separator: "\n").first { $0.hasPrefix(name + ": ") }.map { String($0.dropFirst(name.count + 2)) }
                }
                #expect(field("Protocol version") == ours.version, "\(text)")
                #expect(field("Ciphersuite") == ours.cipher)
                #expect(field("Peer certificate")?.replacingOccurrences(of: " = ", with: "=") == ours.chain.first?.subject)
                #expect(field("Verification") == "OK" && ours.verification.verified)
                // "Server Temp Key: X25519, 253 bits"
                #expect(field("Server Temp Key")?.lowercased().hasPrefix(ours.group?.lowercased() ?? "-") == true)
            }
        }
    }

    @Test func tlsVersionCipherAndSubjectMatchSwaks() async throws {
        try await Self.withPostfix { server, ca in
            let result = await Self.probe(server, ca: ca, ports: [(587, .submission), (465, .submissions)])
            for (role, flag) in [(PostfixServer.Role.submission, "--tls"), (.submissions, "--tls-on-connect")] {
                let ours = try #require(result.ports.first { $0.port == role.standardPort }?.tls)
                let output = try await ProcessRunner.run(
                    "/usr/bin/swaks",
                    ["--server", "127.0.0.1", "--port", String(server.port(role)), flag, "--quit-after", "TLS",
                     "--tls-sni", Self.host], timeout: 20)
                let text = output.stdoutText + output.stderrText
                // === TLS started with cipher TLSv1.3:TLS_AES_256_GCM_SHA384:256
                let started = try #require(text.split(separator: "\n").first { $0.contains("TLS started with cipher ") }, "\(text)")
                let parts = started.split(separator: " ").last?.split(separator: ":").map(String.init) ?? []
                #expect(parts.count == 3 && parts[0] == ours.version && parts[1] == ours.cipher)
                // === TLS peer DN="/CN=mail.probe.test/O=dnsaudit test"
                let peer = try #require(text.split(separator: "\n").first { $0.contains("TLS peer DN=") })
                let dn = peer.split(separator: "\"", omittingEmptySubsequences: false).dropFirst().first ?? ""
                #expect(dn.split(separator: "/").joined(separator: ", ") == ours.chain.first?.subject)
            }
        }
    }
}
