import DNSCore
import Foundation
import SMTPProbing
import TLS
import TestSupport
import Testing

/// The TLS module's byte stream on its own (the SMTP probe and the MTA-STS fetch share it):
/// deadlines, refused connections, implicit TLS and the verdict on the certificate.
@Suite(.serialized) struct ByteStreamTests {
    static let loopback = IPAddress.v4(IPv4Address(0x7F00_0001))

    @Test func implicitTLSReportsTheNegotiationAndVerifiesTheName() async throws {
        let ca = try await TestCA.create(hostName: "smtp.gmail.test")
        defer { ca.remove() }
        let simulator = try await SMTPSimulator.start([.gmailImplicit, .silent], certificate: ca.certificateFile(.valid), key: ca.keyFile(.valid))
        defer { simulator.stop() }

        let stream = try await ByteStream.connect(to: Self.loopback, port: simulator.port(.gmailImplicit), deadline: .now + .seconds(5))
        defer { stream.close() }
        let session = try await stream.startTLS(
            TLSClientConfiguration(serverName: "smtp.gmail.test", caFile: ca.caFile), deadline: .now + .seconds(5))
        #expect(session.verification.verified)
        #expect(session.serverName == "smtp.gmail.test")
        #expect(session.chain.count == 1)
        #expect(session.chain.first.map { $0.notBefore ?? .distantFuture < Date() } == true)
        let greeting = try await stream.read(deadline: .now + .seconds(5))
        #expect(String(decoding: greeting, as: UTF8.self).hasPrefix("220 smtp.gmail.com"))
        try await stream.write(Array("QUIT\r\n".utf8), deadline: .now + .seconds(5))
        let bye = try await stream.read(deadline: .now + .seconds(5))
        #expect(String(decoding: bye, as: UTF8.self).hasPrefix("221"))

        // The same server under another name: the handshake completes, the verdict says mismatch.
        let other = try await ByteStream.connect(to: Self.loopback, port: simulator.port(.gmailImplicit), deadline: .now + .seconds(5))
        defer { other.close() }
        let mismatch = try await other.startTLS(
            TLSClientConfiguration(serverName: "imap.gmail.test", caFile: ca.caFile), deadline: .now + .seconds(5))
        #expect(!mismatch.verification.verified)
        #expect(mismatch.verification.code == CertificateVerification.Code.hostnameMismatch)

        // A read from a silent peer ends at its deadline with .timeout.
        let silent = try await ByteStream.connect(to: Self.loopback, port: simulator.port(.silent), deadline: .now + .seconds(5))
        defer { silent.close() }
        let error = await #expect(throws: StreamError.self) {
            _ = try await silent.read(deadline: .now + .milliseconds(300))
        }
        #expect(error?.kind == .timeout)
        let handshake = await #expect(throws: StreamError.self) {
            _ = try await silent.startTLS(TLSClientConfiguration(serverName: "x.test"), deadline: .now + .milliseconds(300))
        }
        #expect(handshake?.kind == .timeout)
    }

    @Test func aClosedPortIsRefusedAndAnUnreadableCAFileIsAConfigurationError() async throws {
        let ca = try await TestCA.create(hostName: "smtp.gmail.test")
        defer { ca.remove() }
        let simulator = try await SMTPSimulator.start([.gmailImplicit], certificate: ca.certificateFile(.valid), key: ca.keyFile(.valid))
        let port = simulator.port(.gmailImplicit)
        let stream = try await ByteStream.connect(to: Self.loopback, port: port, deadline: .now + .seconds(5))
        defer { stream.close() }
        let configuration = await #expect(throws: StreamError.self) {
            _ = try await stream.startTLS(
                TLSClientConfiguration(serverName: "smtp.gmail.test", caFile: "/nonexistent/ca.pem"), deadline: .now + .seconds(5))
        }
        #expect(configuration?.kind == .configuration)
        simulator.stop()

        let refused = await #expect(throws: StreamError.self) {
            _ = try await ByteStream.connect(to: Self.loopback, port: port, deadline: .now + .seconds(5))
        }
        #expect(refused?.kind == .refused)
    }

    @Test func plainTextToATLSClientIsAHandshakeError() async throws {
        let ca = try await TestCA.create(hostName: "smtp.gmail.test")
        defer { ca.remove() }
        let simulator = try await SMTPSimulator.start([.gmail], certificate: ca.certificateFile(.valid), key: ca.keyFile(.valid))
        defer { simulator.stop() }
        let stream = try await ByteStream.connect(to: Self.loopback, port: simulator.port(.gmail), deadline: .now + .seconds(5))
        defer { stream.close() }
        let error = await #expect(throws: StreamError.self) {
            _ = try await stream.startTLS(TLSClientConfiguration(serverName: "smtp.gmail.test"), deadline: .now + .seconds(5))
        }
        #expect(error?.kind == .handshake)
        #expect(error?.message.contains("wrong version number") == true, "\(String(describing: error))")
    }
}

@Suite struct EHLOCapabilitiesTests {
    @Test func readsTheKeywordsAScriptDependsOn() {
        let capabilities = EHLOCapabilities(code: 250, lines: [
            "mx.example.test Hello", "SIZE", "AUTH=LOGIN PLAIN", "auth plain cram-md5", "8bitmime", "REQUIRETLS",
            "STARTTLS", "X-UNKNOWN 1",
        ])
        #expect(capabilities.greeting == "mx.example.test Hello")
        #expect(capabilities.size == 0, "SIZE without a number offers no limit")
        #expect(capabilities.authMechanisms == ["LOGIN", "PLAIN", "CRAM-MD5"])
        #expect(capabilities.eightBitMIME && capabilities.requireTLS && capabilities.startTLS)
        #expect(!capabilities.pipelining && !capabilities.smtpUTF8)
        #expect(capabilities.extensions.count == 7)
    }
}
