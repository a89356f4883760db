import DNSCore
import DNSLDNS
import Foundation
import MessageAnalysis
import Testing
import TestSupport

/// dkimpy (python3-dkim) run as a subprocess: signs and ARC-seals test messages, and verifies
/// ARC chains as an independent implementation. Keys are served by Knot on 127.0.0.1.
enum DkimpyDriver {
    static let python = "/usr/bin/python3"
    static let driver = KnotServer.fixtures("tools/arc-driver.py")
    static let zones = KnotServer.fixtures("headers/zones")
    static let key = KnotServer.fixtures("dkim/dkimpy/data/2048_testkey.key")

    /// Whether knotd, dkimpy, authres and dnspython are installed (scripts/install-deps --test).
    static let available: Bool = {
        guard KnotServer.knotd != nil, FileManager.default.isExecutableFile(atPath: python) else { return false }
        return ProcessRunner.succeeds(python, ["-c", "import dkim, authres, dns.resolver"])
    }()

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func call(_ request: [String: Any]) async throws -> [String: Any] {
        let output = try await ProcessRunner.run(python, [driver], input: try JSONSerialization.data(withJSONObject: request))
        guard output.status == 0, let json = try JSONSerialization.jsonObject(with: output.stdout) as? [String: Any] else {
            throw Failure(description: "arc-driver.py exited \(output.status): \(output.stderrText)")
        }
        return json
    }

    static func message(_ json: [String: Any]) throws -> [UInt8] {
        guard let text = json["message"] as? String, let data = Data(base64Encoded: text) else {
            throw Failure(description: "no message in \(json)")
        }
        return Array(data)
    }

    static func dkimSign(_ message: [UInt8], selector: String = "s1", domain: String = "shop.test") async throws -> [UInt8] {
        try self.message(await call([
            "mode": "dkimsign", "message": Data(message).base64EncodedString(), "selector": selector, "domain": domain,
            "key": key,
        ]))
    }

    static func arcSign(_ message: [UInt8], domain: String, serverID: String, port: UInt16) async throws -> [UInt8] {
        try self.message(await call([
            "mode": "arcsign", "message": Data(message).base64EncodedString(), "selector": "arc", "domain": domain,
            "key": key, "srvid": serverID, "port": Int(port),
        ]))
    }

    static func arcVerify(_ message: [UInt8], port: UInt16) async throws -> String {
        let json = try await call(["mode": "arcverify", "message": Data(message).base64EncodedString(), "port": Int(port)])
        return json["cv"] as? String ?? "?"
    }
}

/// A message as the sender wrote it, and as the receiver stamped it.
enum TestMessage {
    static let original = Array("""
        From: Shop <news@shop.test>\r
        To: bob@receiver.test\r
        Subject: Your receipt\r
        Date: Tue, 16 Apr 2024 15:30:59 +0000\r
        Message-ID: <receipt-1@shop.test>\r
        \r
        Thanks for your order.\r

        """.utf8)

    /// `signed` as mx.receiver.test received it from `ip`, with the verdicts it recorded.
    static func received(_ signed: [UInt8], ip: String = "192.0.2.10", helo: String = "out.shop.test", results: String) -> [UInt8] {
        Array("""
            Authentication-Results: mx.receiver.test; \(results)\r
            Received: from \(helo) (\(helo) [\(ip)]) by mx.receiver.test with ESMTPS id 4VK1; Tue, 16 Apr 2024 15:31:00 +0000\r
            Return-Path: <bounce@shop.test>\r

            """.utf8) + signed
    }

    static func replacing(_ bytes: [UInt8], _ old: String, _ new: String) -> [UInt8] {
        Array(String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: old, with: new).utf8)
    }
}

@Suite(.enabled(if: DkimpyDriver.available, "knotd, python3-dkim, python3-authres or python3-dnspython is not installed"))
struct ReevaluationTests {
    static let allPass = "spf=pass smtp.mailfrom=bounce@shop.test; dkim=pass header.d=shop.test header.s=s1; dmarc=pass header.from=shop.test"

    func analyze(_ message: [UInt8], _ knot: KnotServer) async throws -> HeaderAnalysis {
        try await HeaderAnalyzer(resolver: knot.resolver(), timeout: .seconds(10)).analyze(message)
    }

    @Test func everyCheckAsEvaluatedNowAgreesWithTheReceiver() async throws {
        try await KnotServer.with(zoneDirectory: DkimpyDriver.zones) { knot in
            let signed = try await DkimpyDriver.dkimSign(TestMessage.original)
            let analysis = try await analyze(TestMessage.received(signed, results: Self.allPass), knot)
            // The boundary: the hop received by receiver.test's MX host.
            #expect(analysis.trustBoundary?.source == .mxHost)
            #expect(analysis.trustBoundary?.ip == "192.0.2.10")
            let now = analysis.reevaluation
            #expect(now.status == .evaluated)
            #expect(now.spf.map { "\($0.identity)=\($0.result)" } == ["mailfrom=pass", "helo=pass"])
            #expect(now.dkim.map(\.result) == ["pass"])
            #expect(now.dmarc?.result == "pass")
            #expect(now.dmarc?.policy == "reject")
            #expect(now.differences.isEmpty)
            #expect(!analysis.findings.contains { $0.severity == .error })
        }
    }

    @Test func aBodyChangedInTransitIsExplained() async throws {
        try await KnotServer.with(zoneDirectory: DkimpyDriver.zones) { knot in
            let signed = try await DkimpyDriver.dkimSign(TestMessage.original)
            let modified = TestMessage.replacing(signed, "Thanks for your order.", "Thanks for your order.\r\n-- \r\nSent via the list")
            let analysis = try await analyze(TestMessage.received(modified, results: Self.allPass), knot)
            let dkim = try #require(analysis.reevaluation.dkim.first)
            #expect(dkim.result == "fail")
            #expect(dkim.reason.contains("body hash"))
            let difference = try #require(analysis.reevaluation.differences.first { $0.method == "dkim" })
            #expect(difference.receiver == "pass")
            #expect(difference.now == "fail")
            #expect(difference.explanation.contains("body changed"))
            #expect(analysis.findings.contains { $0.id == MessageFindingID.differsNow })
        }
    }

    @Test func aRotatedKeyIsExplained() async throws {
        try await KnotServer.with(zoneDirectory: DkimpyDriver.zones) { knot in
            // Signed with a selector that is no longer published.
            let signed = try await DkimpyDriver.dkimSign(TestMessage.original, selector: "s2023")
            let results = Self.allPass.replacingOccurrences(of: "header.s=s1", with: "header.s=s2023")
            let analysis = try await analyze(TestMessage.received(signed, results: results), knot)
            let difference = try #require(analysis.reevaluation.differences.first { $0.method == "dkim" })
            #expect(difference.now == "permerror")
            #expect(difference.explanation.contains("rotated"))
        }
    }

    @Test func aForwarderIPFailsSPFNowAndSaysWhy() async throws {
        try await KnotServer.with(zoneDirectory: DkimpyDriver.zones) { knot in
            let signed = try await DkimpyDriver.dkimSign(TestMessage.original)
            let message = TestMessage.received(signed, ip: "203.0.113.7", helo: "relay.forwarder.test", results: Self.allPass)
            let analysis = try await analyze(message, knot)
            let spf = try #require(analysis.reevaluation.spf.first { $0.identity == "mailfrom" })
            #expect(spf.result == "fail")
            let difference = try #require(analysis.reevaluation.differences.first { $0.method == "spf" })
            #expect(difference.explanation.contains("203.0.113.7"))
            // DKIM still aligns, so DMARC still passes.
            #expect(analysis.reevaluation.dmarc?.result == "pass")
        }
    }

    @Test func noDNSReportsNotChecked() async throws {
        let signed = TestMessage.original
        let analysis = try await HeaderAnalyzer(resolver: nil).analyze(TestMessage.received(signed, results: Self.allPass))
        #expect(analysis.reevaluation.status == .notChecked)
        #expect(analysis.reevaluation.reason?.contains("--no-dns") == true)
    }
}

/// ARC chains sealed by dkimpy's arc_sign, verified by our ARCVerifier and by dkimpy's arc_verify.
@Suite(.enabled(if: DkimpyDriver.available, "knotd, python3-dkim, python3-authres or python3-dnspython is not installed"))
struct ARCInteropTests {
    /// A message DKIM-signed by shop.test, sealed by forwarder.test (i=1) and by receiver.test (i=2).
    static func sealedTwice(port: UInt16) async throws -> [UInt8] {
        let signed = try await DkimpyDriver.dkimSign(TestMessage.original)
        let atForwarder = Array("Authentication-Results: forwarder.test; spf=pass smtp.mailfrom=bounce@shop.test; dkim=pass header.d=shop.test; dmarc=pass header.from=shop.test\r\n".utf8) + signed
        let first = try await DkimpyDriver.arcSign(atForwarder, domain: "forwarder.test", serverID: "forwarder.test", port: port)
        let atReceiver = Array("Authentication-Results: mx.receiver.test; arc=pass; dkim=pass header.d=shop.test\r\n".utf8) + first
        return try await DkimpyDriver.arcSign(atReceiver, domain: "receiver.test", serverID: "mx.receiver.test", port: port)
    }

    func verify(_ message: [UInt8], _ knot: KnotServer) async throws -> ARCVerification {
        let text = try MessageText(parsing: message)
        let analysis = await HeaderAnalyzer(resolver: knot.resolver(), timeout: .seconds(10)).analyze(text, bodyIncluded: true)
        return try #require(analysis.arc)
    }

    @Test func aChainSealedTwiceVerifiesBothWays() async throws {
        try await KnotServer.with(zoneDirectory: DkimpyDriver.zones) { knot in
            let sealed = try await Self.sealedTwice(port: knot.port)
            let ours = try await verify(sealed, knot)
            #expect(ours.status == .pass, "\(ours.reason ?? "")")
            #expect(ours.instances.map(\.instance) == [1, 2])
            #expect(ours.instances.map(\.claimedChainStatus) == ["none", "pass"])
            #expect(ours.instances.allSatisfy { $0.sealVerified == true })
            #expect(ours.oldestPassingInstance == 1)
            #expect(ours.instances[0].authenticationResults?.authservID == "forwarder.test")
            #expect(try await DkimpyDriver.arcVerify(sealed, port: knot.port) == "pass")
        }
    }

    @Test(arguments: [
        ("the body", "Thanks for your order.", "Thanks for your order!"),
        ("a signed header", "Subject: Your receipt", "Subject: Your receipt (edited)"),
        ("an ARC-Authentication-Results field", "forwarder.test; spf=pass", "forwarder.test; spf=fail"),
        ("a seal's cv=", "cv=pass", "cv=none"),
    ])
    func tamperingFailsBothWays(_ what: String, _ old: String, _ new: String) async throws {
        try await KnotServer.with(zoneDirectory: DkimpyDriver.zones) { knot in
            let sealed = try await Self.sealedTwice(port: knot.port)
            let tampered = TestMessage.replacing(sealed, old, new)
            #expect(tampered != sealed, "the tamper of \(what) did not apply")
            let ours = try await verify(tampered, knot)
            #expect(ours.status == .fail, "tampered \(what): ours said \(ours.status)")
            #expect(try await DkimpyDriver.arcVerify(tampered, port: knot.port) == "fail", "tampered \(what): dkimpy")
        }
    }

    @Test func noARCFieldsIsNoChain() async throws {
        try await KnotServer.with(zoneDirectory: DkimpyDriver.zones) { knot in
            let message = try MessageText(parsing: TestMessage.original)
            let analysis = await HeaderAnalyzer(resolver: knot.resolver()).analyze(message, bodyIncluded: true)
            #expect(analysis.arc == nil)
            #expect(try await DkimpyDriver.arcVerify(TestMessage.original, port: knot.port) == "none")
        }
    }
}
