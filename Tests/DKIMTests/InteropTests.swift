import DNSCore
import DNSLDNS
import Foundation
import TestSupport
import Testing

@testable import DKIM

/// dkimpy, run as a subprocess, with keys served by a real Knot server on 127.0.0.1.
enum Dkimpy {
    static let python = "/usr/bin/python3"
    static let driver = Fixtures.url("interop/dkimpy_driver.py").path
    static let zones = Fixtures.url("zones").path

    /// Whether dkimpy, dnspython and knotd are installed (CI installs them: scripts/test).
    static let available: Bool = {
        guard KnotServer.knotd != nil, FileManager.default.isExecutableFile(atPath: python) else { return false }
        return ProcessRunner.succeeds(python, ["-c", "import dkim, dns.resolver, nacl"])
    }()

    static func run(_ arguments: [String], input: Data) async throws -> (status: Int32, output: Data, error: String) {
        let output = try await ProcessRunner.run(python, arguments, input: input)
        return (output.status, output.stdout, output.stderrText)
    }

    static func call(_ request: [String: Any]) async throws -> [String: Any] {
        let result = try await run([driver], input: try JSONSerialization.data(withJSONObject: request))
        guard result.status == 0, let json = try JSONSerialization.jsonObject(with: result.output) as? [String: Any] else {
            throw DriverError(message: "dkimpy driver exited \(result.status): \(result.error)")
        }
        return json
    }

    struct DriverError: Error, CustomStringConvertible {
        var message: String
        var description: String { message }
    }

    /// dkimpy's verdict for each DKIM-Signature of each message.
    static func verify(_ messages: [[UInt8]], port: UInt16) async throws -> [[Bool]] {
        let json = try await call(["mode": "verify", "port": Int(port), "messages": messages.map { Base64.encode($0) }])
        return json["results"] as! [[Bool]]
    }

    static func sign(
        _ messages: [[UInt8]], port: UInt16, selector: String, keyFile: String, algorithm: String,
        canonicalization: CanonicalizationPair
    ) async throws -> [[UInt8]] {
        let json = try await call([
            "mode": "sign", "port": Int(port), "messages": messages.map { Base64.encode($0) }, "selector": selector,
            "domain": "interop.test", "key": Fixtures.url("dkimpy/data/" + keyFile).path, "algorithm": algorithm,
            "canonicalize": canonicalization.description,
        ])
        return (json["messages"] as! [String]).map { Base64.decode($0)! }
    }
}

@Suite(.enabled(if: Dkimpy.available, "dkimpy (python3-dkim, python3-dnspython, python3-nacl) or knotd is not installed"))
struct InteropTests {
    /// Messages covering the cases receivers trip on.
    static func corpus() throws -> [(name: String, bytes: [UInt8])] {
        [
            ("folded headers, List-Unsubscribe, trailing blank lines", Array(Sample.message.utf8)),
            ("empty body", Array("From: a@interop.test\r\nTo: b@example.net\r\nSubject: empty\r\n\r\n".utf8)),
            ("no body at all", Array("From: a@interop.test\r\nSubject: header only\r\n".utf8)),
            ("only blank lines", Array("From: a@interop.test\r\nSubject: blank\r\n\r\n\r\n\r\n\r\n".utf8)),
            ("8-bit headers and body (windows-1258)", try Fixtures.bytes("dkimpy/data/rfc6376.w1258.msg")),
            ("8-bit UTF-8 body", Array("From: a@interop.test\r\nSubject: caf\u{E9}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nCaf\u{E9} cr\u{E8}me br\u{FB}l\u{E9}e \u{2014} \u{1F600}\r\n".utf8)),
            ("LF line endings", try Fixtures.bytes("dkimpy/data/test.message")),
            ("whitespace, tabs, no final newline", Array("From:  a@interop.test \r\nSubject:\tx \t\r\n\t y\r\n\r\n a  \t b \r\n\t\r\nlast line".utf8)),
            ("real mbox message with an old signature", try Fixtures.bytes("dkimpy/data/message.mbox")),
        ]
    }

    static let canonicalizations: [CanonicalizationPair] = [
        .relaxed, .simple, CanonicalizationPair(header: .relaxed, body: .simple),
        CanonicalizationPair(header: .simple, body: .relaxed),
    ]

    static func key(_ file: String) throws -> DKIMPrivateKey {
        try DKIMPrivateKey(contentsOfFile: Fixtures.url("dkimpy/data/" + file).path)
    }

    @Test func messagesDnsauditSignsVerifyWithDkimpy() async throws {
        try await KnotServer.with(zoneDirectory: Dkimpy.zones) { server in
            let rsa = try Self.key("2048_testkey.key"), ed = try Self.key("ed25519test.key")
            var signed: [(String, [UInt8], Int)] = []
            for (name, bytes) in try Self.corpus() {
                let message = try MailMessage(parsing: bytes)
                for c in Self.canonicalizations {
                    let signer = DKIMSigner([
                        DKIMSigningConfiguration(domain: "interop.test", selector: "rsa2048", key: rsa, canonicalization: c),
                        DKIMSigningConfiguration(domain: "interop.test", selector: "ed", key: ed, canonicalization: c),
                    ])
                    signed.append(("\(name) \(c)", try signer.sign(message, now: Date()).message.bytes, 2))
                }
                // Other keys and optional tags, relaxed only.
                let extra = DKIMSigner([
                    DKIMSigningConfiguration(domain: "interop.test", selector: "rsa1024", key: try Self.key("1024_testkey.key")),
                    DKIMSigningConfiguration(domain: "interop.test", selector: "rsa2048pkcs8",
                                             key: try Self.key("2048_testkey_PKCS8.key"), identity: "sender@mail.interop.test",
                                             expiresAfter: .seconds(86_400), bodyLength: true, includeQueryMethod: true),
                ])
                signed.append(("\(name) 1024/pkcs8+tags", try extra.sign(message, now: Date()).message.bytes, 2))
            }
            let verdicts = try await Dkimpy.verify(signed.map(\.1), port: server.port)
            #expect(verdicts.count == signed.count)
            for ((name, _, ours), verdict) in zip(signed, verdicts) {
                #expect(Array(verdict.prefix(ours)) == Array(repeating: true, count: ours), "\(name)")
            }
            // And our verifier agrees, through ldns and the same server.
            let verifier = DKIMVerifier(resolver: server.resolver())
            for (name, bytes, ours) in signed {
                let results = await verifier.verify(try MailMessage(parsing: bytes), now: Date())
                #expect(results.prefix(ours).allSatisfy { $0.status == .pass }, "\(name): \(results.map(\.reason))")
            }
        }
    }

    @Test func messagesDkimpySignsVerifyWithDnsaudit() async throws {
        try await KnotServer.with(zoneDirectory: Dkimpy.zones) { server in
            let corpus = try Self.corpus().map { ($0.name, try MailMessage(parsing: $0.bytes).bytes) }
            let verifier = DKIMVerifier(resolver: server.resolver())
            let keys = [("rsa2048", "2048_testkey.key", "rsa-sha256"), ("ed", "ed25519test.key", "ed25519-sha256"),
                        ("rsa2048pkcs8", "2048_testkey_PKCS8.key", "rsa-sha256"), ("rsa1024", "1024_testkey.key", "rsa-sha256")]
            for (selector, file, algorithm) in keys {
                for c in Self.canonicalizations {
                    let signed = try await Dkimpy.sign(corpus.map(\.1), port: server.port, selector: selector, keyFile: file,
                                                 algorithm: algorithm, canonicalization: c)
                    for ((name, _), bytes) in zip(corpus, signed) {
                        let results = await verifier.verify(try MailMessage(parsing: bytes), now: Date())
                        #expect(results.first?.status == .pass, "\(selector) \(c) \(name): \(results.map(\.reason))")
                        #expect(results.first?.algorithm == algorithm)
                    }
                    // Tampering after dkimpy signed is caught.
                    let tampered = signed[0].replacingFirst("numbers", with: "numbebs")
                    let results = await verifier.verify(try MailMessage(parsing: tampered), now: Date())
                    #expect(results.first?.status == .fail)
                }
            }
        }
    }

    @Test func aRevokedKeyServedByKnotIsAPermerrorAndAMissingOneNoKey() async throws {
        try await KnotServer.with(zoneDirectory: Dkimpy.zones) { server in
            let message = try MailMessage(parsing: Array(Sample.message.utf8))
            let signer = DKIMSigner([
                DKIMSigningConfiguration(domain: "interop.test", selector: "revoked", key: try Self.key("2048_testkey.key")),
                DKIMSigningConfiguration(domain: "interop.test", selector: "missing", key: try Self.key("ed25519test.key")),
            ])
            let signed = try signer.sign(message, now: Date()).message
            let results = await DKIMVerifier(resolver: server.resolver()).verify(signed, now: Date())
            #expect(results.map(\.status) == [.permerror, .permerror])
            #expect(results[0].reason.contains("revoked"))
            #expect(results[1].reason.hasPrefix("no key"))
        }
    }
}
