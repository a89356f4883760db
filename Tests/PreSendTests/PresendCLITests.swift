import Foundation
import TestSupport
import Testing

/// `dnsaudit presend` end to end: the built binary against a real Knot server on 127.0.0.1 serving
/// `Tests/Fixtures/presend/zones` (plus `broken.test`, which answers SERVFAIL).
///
/// Each case asserts the verdict, the failing checks, the exit status, and that nothing reaches
/// stdout unless the verdict is pass.
@Suite(.enabled(if: KnotServer.knotd != nil, "knotd is not installed (apt-get install -y knot)"))
struct PresendCLITests {
    /// What one run gave: status, stdout bytes, and the JSON report from stderr.
    struct Run {
        var result: CLIRunner.Result
        var report: [String: Any]

        var verdict: String? { report["verdict"] as? String }
        var checks: [[String: Any]] { report["checks"] as? [[String: Any]] ?? [] }
        func ids(_ status: String) -> [String] { checks.filter { $0["status"] as? String == status }.compactMap { $0["id"] as? String } }
        func check(_ id: String) -> [String: Any]? { checks.first { $0["id"] as? String == id } }
    }

    static let signing = ["--domain", "sender.test", "--selector", "rsa", "--key", try! Fixtures.key("rsa.key")]
    static let mta = ["--mail-from", "bounces@sender.test", "--ip", "192.0.2.25", "--ip", "2001:db8:25::25",
                      "--helo", "mail.sender.test"]

    static func presend(_ arguments: [String], message: [UInt8]? = nil, server: KnotServer) async throws -> Run {
        let result = try await CLIRunner.run(
            ["presend", "--nameserver", "127.0.0.1:\(server.port)", "--report", "json", "--time", "\(Fixtures.time)"]
                + arguments,
            stdin: try message ?? Fixtures.newsletter())
        let json = try JSONSerialization.jsonObject(with: Data(result.stderr.utf8)) as? [String: Any]
        return Run(result: result, report: json ?? [:])
    }

    static func withServer<T>(_ body: (KnotServer) async throws -> T) async throws -> T {
        try await KnotServer.with(zoneDirectory: Fixtures.zones, brokenZones: ["broken.test"], body)
    }

    /// The common shape of a failure: exit 1, verdict fail, exactly `failing` failed, stdout empty.
    static func expectFailure(_ run: Run, failing: [String], sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(run.result.status == 1, "\(run.result.stderr)", sourceLocation: sourceLocation)
        #expect(run.verdict == "fail", sourceLocation: sourceLocation)
        #expect(Set(run.ids("fail")) == Set(failing), "\(run.ids("fail"))", sourceLocation: sourceLocation)
        #expect(run.result.stdoutBytes.isEmpty, sourceLocation: sourceLocation)
    }

    @Test func everythingPassesAndTheSignedMessageVerifiesWithDkimpy() async throws {
        try await Self.withServer { server in
            let run = try await Self.presend(Self.mta + Self.signing, server: server)
            #expect(run.result.status == 0, "\(run.result.stderr)")
            #expect(run.verdict == "pass")
            #expect(run.ids("fail").isEmpty && run.ids("incomplete").isEmpty)
            for id in ["presend.message.from", "presend.message.date", "presend.message.message-id", "presend.from.free-mail",
                       "presend.dkim.sign", "presend.dkim.verify", "presend.spf", "presend.spf.helo", "presend.dmarc",
                       "presend.list-unsubscribe", "presend.dkim.ed25519-only", "presend.ptr"] {
                #expect(run.check(id)?["status"] as? String == "pass", "\(id): \(run.check(id) ?? [:])")
            }
            // One SPF, HELO, DMARC and PTR check per egress IP.
            #expect(run.checks.filter { $0["id"] as? String == "presend.spf" }.compactMap { $0["subject"] as? String }
                    == ["192.0.2.25", "2001:db8:25::25"])
            #expect(run.checks.filter { $0["id"] as? String == "presend.ptr" }.count == 2)
            // stdout: the message, signed; only a DKIM-Signature field was added.
            let signed = run.result.stdoutBytes
            #expect(run.result.stdout.hasPrefix("DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=sender.test; s=rsa;"))
            #expect(run.result.stdout.contains("t=\(Fixtures.time);"))
            #expect(run.result.stdout.contains("Subject: Our November news\r\n"))
            // Reproducible with --time.
            #expect(try await Self.presend(Self.mta + Self.signing, server: server).result.stdoutBytes == signed)
            // An independent verifier agrees, with the key from the same loopback DNS.
            try #require(Dkimpy.available, "dkimpy (python3-dkim) is not installed; scripts/install-deps --test installs it")
            #expect(try await Dkimpy.verify(signed, port: server.port) == [true])
        }
    }

    @Test(.enabled(if: Dkimpy.available, "dkimpy (python3-dkim, python3-dnspython) is not installed"))
    func rsaAndEd25519SignaturesBothVerifyWithDkimpy() async throws {
        try await Self.withServer { server in
            let run = try await Self.presend(
                Self.mta + Self.signing + ["--selector", "ed", "--key", try Fixtures.key("ed25519.key"), "--domain", "sender.test"],
                server: server)
            #expect(run.result.status == 0, "\(run.result.stderr)")
            #expect(run.checks.filter { $0["id"] as? String == "presend.dkim.verify" }.count == 2)
            #expect(try await Dkimpy.verify(run.result.stdoutBytes, port: server.port) == [true, true])
        }
    }

    @Test func spfFailsForTheEgressIP() async throws {
        try await Self.withServer { server in
            // 198.51.100.7 has forward-confirmed reverse DNS but is not in sender.test's SPF record.
            let run = try await Self.presend(
                ["--mail-from", "bounces@sender.test", "--ip", "198.51.100.7", "--helo", "relay.sender.test"] + Self.signing,
                server: server)
            Self.expectFailure(run, failing: ["presend.spf"])
            let spf = try #require(run.check("presend.spf"))
            #expect((spf["summary"] as? String)?.contains("SPF fail") == true)
            #expect((spf["fix"] as? String)?.contains("ip4:198.51.100.7") == true)
            // DKIM still aligns, so DMARC passes: SPF alone is what fails.
            #expect(run.check("presend.dmarc")?["status"] as? String == "pass")
        }
    }

    @Test func thePublishedKeyDoesNotMatchThePrivateKey() async throws {
        try await Self.withServer { server in
            let run = try await Self.presend(
                Self.mta + ["--domain", "sender.test", "--selector", "rotated", "--key", try Fixtures.key("rsa.key")], server: server)
            Self.expectFailure(run, failing: ["presend.dkim.verify"])
            let check = try #require(run.check("presend.dkim.verify"))
            #expect((check["summary"] as? String)?.contains("does not match the private key") == true)
            // The fix is the record to publish for this private key.
            #expect((check["fix"] as? String)?.contains("rotated._domainkey.sender.test. IN TXT") == true)
        }
    }

    @Test func thereIsNoDKIMRecordAtTheSelector() async throws {
        try await Self.withServer { server in
            let run = try await Self.presend(
                Self.mta + ["--domain", "sender.test", "--selector", "missing", "--key", try Fixtures.key("rsa.key")], server: server)
            Self.expectFailure(run, failing: ["presend.dkim.verify"])
            let check = try #require(run.check("presend.dkim.verify"))
            #expect((check["summary"] as? String)?.contains("No DKIM key is published at missing._domainkey.sender.test") == true)
            #expect((check["fix"] as? String)?.contains("--selector") == true)
        }
    }

    @Test func theFromDomainIsAlignedWithNeitherDNorMailFrom() async throws {
        try await Self.withServer { server in
            // SPF and DKIM both pass, for other.test; From is sender.test (p=reject).
            let run = try await Self.presend(
                ["--mail-from", "bounces@other.test", "--ip", "192.0.2.25", "--helo", "mail.sender.test",
                 "--domain", "other.test", "--selector", "rsa", "--key", try Fixtures.key("other.key")], server: server)
            Self.expectFailure(run, failing: ["presend.dmarc"])
            #expect(run.check("presend.spf")?["status"] as? String == "pass")
            #expect(run.check("presend.dkim.verify")?["status"] as? String == "pass")
            let dmarc = try #require(run.check("presend.dmarc"))
            #expect((dmarc["summary"] as? String)?.contains("neither SPF nor DKIM is aligned") == true)
            #expect((dmarc["fix"] as? String)?.contains("d=sender.test") == true)
        }
    }

    @Test func listUnsubscribePostIsNotSigned() async throws {
        try await Self.withServer { server in
            let run = try await Self.presend(
                Self.mta + Self.signing + ["--headers", "from:to:subject:date:message-id:list-unsubscribe"], server: server)
            Self.expectFailure(run, failing: ["presend.list-unsubscribe"])
            let check = try #require(run.check("presend.list-unsubscribe"))
            #expect((check["summary"] as? String)?.contains("does not sign List-Unsubscribe-Post") == true)
        }
    }

    @Test func listUnsubscribePostIsNotSignedInAnAlreadySignedMessage() async throws {
        try await Self.withServer { server in
            let signed = try await CLIRunner.run(
                ["dkim", "sign", "--domain", "sender.test", "--selector", "rsa", "--key", try Fixtures.key("rsa.key"),
                 "--headers", "from:to:subject:date:message-id:list-unsubscribe"],
                stdin: try Fixtures.newsletter())
            #expect(signed.status == 0)
            let run = try await Self.presend(Self.mta + ["--no-sign"], message: signed.stdoutBytes, server: server)
            Self.expectFailure(run, failing: ["presend.list-unsubscribe"])
            // Correctly signed, --no-sign passes and hands the message on unchanged.
            let good = try await CLIRunner.run(
                ["dkim", "sign", "--domain", "sender.test", "--selector", "rsa", "--key", try Fixtures.key("rsa.key")],
                stdin: try Fixtures.newsletter())
            let pass = try await Self.presend(Self.mta + ["--no-sign"], message: good.stdoutBytes, server: server)
            #expect(pass.result.status == 0, "\(pass.result.stderr)")
            #expect(pass.result.stdoutBytes == good.stdoutBytes)
        }
    }

    @Test func aDNSFailureGivesIncompleteAndExitTwo() async throws {
        try await Self.withServer { server in
            // broken.test answers SERVFAIL: SPF for the MAIL FROM is a temperror, not "no record".
            let run = try await Self.presend(
                ["--mail-from", "bounces@broken.test", "--ip", "192.0.2.25", "--helo", "mail.sender.test"] + Self.signing,
                server: server)
            #expect(run.result.status == 2, "\(run.result.stderr)")
            #expect(run.verdict == "incomplete")
            #expect(run.ids("fail").isEmpty)
            #expect(run.ids("incomplete") == ["presend.spf"])
            #expect(run.result.stdoutBytes.isEmpty)
            #expect((run.check("presend.spf")?["summary"] as? String)?.contains("temperror") == true)
        }
    }

    @Test func aFreeMailFromDomainFailsAndExplainsWhy() async throws {
        try await Self.withServer { server in
            let message = try Fixtures.newsletter().replacing("news@sender.test", with: "me@gmail.com")
            let run = try await Self.presend(Self.mta + Self.signing, message: message, server: server)
            // gmail.com is not served here, so DMARC cannot be evaluated; a failure still outranks that.
            #expect(run.result.status == 1)
            #expect(run.verdict == "fail")
            #expect(run.ids("fail").contains("presend.from.free-mail"))
            #expect(run.result.stdoutBytes.isEmpty)
            let check = try #require(run.check("presend.from.free-mail"))
            #expect((check["detail"] as? String)?.contains("p=reject") == true)
            #expect((check["fix"] as? String)?.contains("smtp.gmail.com") == true)
        }
    }

    @Test func aNullMailFromIsCheckedAsPostmasterAtTheHeloName() async throws {
        try await Self.withServer { server in
            let run = try await Self.presend(
                ["--mail-from", "<>", "--ip", "192.0.2.25", "--helo", "mail.sender.test"] + Self.signing, server: server)
            #expect(run.result.status == 0, "\(run.result.stderr)")
            #expect((run.check("presend.spf")?["summary"] as? String)?.contains("mail.sender.test authorizes 192.0.2.25") == true)
        }
    }

    @Test func anEgressIPWithoutForwardConfirmedReverseDNSFails() async throws {
        try await Self.withServer { server in
            let run = try await Self.presend(
                ["--mail-from", "bounces@sender.test", "--ip", "192.0.2.26"] + Self.signing, server: server)
            Self.expectFailure(run, failing: ["presend.ptr"])
            #expect(run.check("presend.spf.helo")?["status"] as? String == "skipped")
        }
    }

    @Test func textReportOnStderrAndUsageErrors() async throws {
        try await Self.withServer { server in
            let result = try await CLIRunner.run(
                ["presend", "--nameserver", "127.0.0.1:\(server.port)", "--mail-from", "bounces@sender.test",
                 "--ip", "198.51.100.7"] + Self.signing,
                stdin: try Fixtures.newsletter())
            #expect(result.status == 1)
            #expect(result.stdout.isEmpty)
            #expect(result.stderr.hasPrefix("dnsaudit presend: FAIL"))
            #expect(result.stderr.contains("FAIL presend.spf [198.51.100.7]"))
            #expect(result.stderr.contains("fix: Add 198.51.100.7"))
        }
        for arguments in [
            ["presend", "--mail-from", "a@sender.test"] + Self.signing,  // no --ip
            ["presend", "--mail-from", "a@sender.test", "--ip", "300.1.1.1"] + Self.signing,
            ["presend", "--mail-from", "a@sender.test", "--ip", "192.0.2.25"],  // neither keys nor --no-sign
            ["presend", "--mail-from", "", "--ip", "192.0.2.25", "--no-sign"],  // null sender without --helo
            ["presend", "--mail-from", "a@sender.test", "--ip", "192.0.2.25", "--domain", "sender.test",
             "--selector", "rsa", "--key", "/nonexistent"],
        ] {
            let result = try await CLIRunner.run(arguments + ["--zone", Fixtures.zones, "--offline"], stdin: try Fixtures.newsletter())
            #expect(result.status == 64, "\(arguments): \(result.stderr)")
            #expect(result.stdout.isEmpty)
        }
    }
}
