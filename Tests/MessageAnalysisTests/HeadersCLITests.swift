import Foundation
import MessageAnalysis
import Testing
import TestSupport

/// `dnsaudit headers analyze` and `dnsaudit bounce analyze`, the built binary end to end.
@Suite struct HeadersCLITests {
    static func json(_ text: String) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
    }

    @Test func headersAnalyzeGivesTheGmailVerdictsAndExitsOneOnAnError() async throws {
        let result = try await CLIRunner.run(["headers", "analyze", "--no-dns", KnotServer.fixtures("headers/gmail-spam.eml")])
        #expect(result.status == 1)
        #expect(result.stdout.contains("dmarc=fail (shop.example)"))
        #expect(result.stdout.contains("clock skew"))
        #expect(result.stdout.contains("headers.from-not-aligned"))
        #expect(result.stdout.contains("As evaluated now: not checked"))
        let json = try Self.json(try await CLIRunner.run(
            ["headers", "analyze", "--no-dns", "--format", "json", KnotServer.fixtures("headers/gmail-spam.eml")]).stdout)
        #expect(json["schemaVersion"] as? Int == 1)
        #expect((json["received"] as? [String: Any])?["hops"] is [Any])
        #expect((json["trustBoundary"] as? [String: Any])?["ip"] as? String == "192.0.2.10")
    }

    @Test func headersFromStandardInputWithAnAuthservID() async throws {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: KnotServer.fixtures("headers/mailing-list.eml"))))
        let result = try await CLIRunner.run(["headers", "analyze", "--no-dns", "--authserv-id", "mx.google.com", "-"], stdin: bytes)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Trust boundary (authserv-id): mx.google.com, hop 2"))
    }

    @Test func bounceAnalyzeReadsAGmail5726BounceAndItsOriginal() async throws {
        let file = KnotServer.fixtures("bounces/sisimai/rhost-google-03.eml")
        let result = try await CLIRunner.run(["bounce", "analyze", "--no-dns", file])
        #expect(result.status == 0, "a soft bounce alone exits 0: \(result.stderr)")
        #expect(result.stdout.contains("SOFT bounce"))
        #expect(result.stdout.contains("5.7.26"))
        #expect(result.stdout.contains("prove it"))
        let json = try Self.json(try await CLIRunner.run(["bounce", "analyze", "--no-dns", "--format", "json", file]).stdout)
        #expect(json["schemaVersion"] as? Int == 1)
        let recipient = try #require((json["recipients"] as? [[String: Any]])?.first)
        #expect(recipient["status"] as? String == "5.7.26")
        #expect(recipient["action"] as? String == "failed")
        #expect((recipient["classification"] as? [String: Any])?["kind"] as? String == "soft")
        #expect(json["originalSource"] as? String == "message/rfc822")
    }

    @Test func aHardBounceExitsOne() async throws {
        let result = try await CLIRunner.run(["bounce", "analyze", "--no-dns", KnotServer.fixtures("bounces/sisimai/lhost-postfix-04.eml")])
        #expect(result.status == 1)
        #expect(result.stdout.contains("HARD bounce"))
    }

    /// The resolver options every command takes work here too: keys and policies from zone files.
    @Test(.enabled(if: DkimpyDriver.available, "python3-dkim is not installed"))
    func reevaluatesFromZoneFilesOffline() async throws {
        let signed = try await DkimpyDriver.dkimSign(TestMessage.original)
        let message = TestMessage.received(signed, results: ReevaluationTests.allPass)
        let result = try await CLIRunner.run(
            ["headers", "analyze", "--zone", DkimpyDriver.zones, "--offline", "--format", "json", "-"], stdin: message)
        #expect(result.status == 0, "\(result.stdout)\(result.stderr)")
        let json = try Self.json(result.stdout)
        let now = try #require(json["reevaluation"] as? [String: Any])
        #expect(now["status"] as? String == "evaluated")
        #expect((now["dmarc"] as? [String: Any])?["result"] as? String == "pass")
        #expect((now["dkim"] as? [[String: Any]])?.first?["result"] as? String == "pass")
    }

    /// Every top-level JSON key of both reports is documented in docs/report-format.md.
    @Test func everyJSONKeyIsDocumented() async throws {
        let docs = try String(contentsOfFile: KnotServer.fixtures("../../docs/report-format.md"), encoding: .utf8)
        let headers = try Self.json(try await CLIRunner.run(
            ["headers", "analyze", "--no-dns", "--format", "json", KnotServer.fixtures("headers/gmail-spam.eml")]).stdout)
        let bounce = try Self.json(try await CLIRunner.run(
            ["bounce", "analyze", "--no-dns", "--format", "json", KnotServer.fixtures("bounces/sisimai/rhost-google-03.eml")]).stdout)
        guard let start = docs.range(of: "## `dnsaudit headers analyze`") else {
            Issue.record("docs/report-format.md has no `dnsaudit headers analyze` section")
            return
        }
        let section = docs[start.lowerBound...]
        for key in Set(headers.keys).union(bounce.keys) {
            #expect(section.contains("`\(key)`"), "\(key) is not documented in docs/report-format.md")
        }
        let recipient = try #require((bounce["recipients"] as? [[String: Any]])?.first)
        for key in recipient.keys { #expect(section.contains("`\(key)`"), "recipients[].\(key) is not documented") }
    }
}

/// docs/findings.md lists exactly the finding ids of `headers` and `bounce`.
@Suite struct MessageFindingsDocumentationTests {
    @Test func theHeadersAndBouncesTableListsExactlyTheIds() throws {
        let text = try String(contentsOfFile: KnotServer.fixtures("../../docs/findings.md"), encoding: .utf8)
        // Rows: | headers | `headers.no-message-id` | warning | …  (the command first, so the audit's
        // table test, which reads rows that start with an id, does not see them).
        let documented = Set(text.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("| headers | `") || line.hasPrefix("| bounce | `") else { return nil }
            let fields = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            return fields[safe: 1]?.trimmingCharacters(in: CharacterSet(charactersIn: "`"))
        })
        #expect(documented == Set(MessageFindingID.all), "\(documented.symmetricDifference(MessageFindingID.all))")
    }
}
