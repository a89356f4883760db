import Foundation
import TestSupport
import Testing

/// `dnsaudit dmarc` end to end: the built binary, its output and exit status.
@Suite struct DMARCCommandTests {
    static let zoneFile = Fixtures.url("dmarc/zones/test.zone").path

    @Test func printsTheWalkTheOrganizationalDomainThePolicyAndTheFindings() async throws {
        let result = try await CLIRunner.run(["dmarc", "deep.mail.org.test", "--zone", Self.zoneFile, "--offline"])
        #expect(result.status == 0, "\(result.stderr)")
        for expected in [
            "_dmarc.deep.mail.org.test", "_dmarc.test", "Organizational Domain: org.test",
            "record: _dmarc.org.test (the Organizational Domain)", "policy: sp=quarantine", "dmarc.rua-unauthorized",
            "RFC 7489 (Public Suffix List: bundled)",
        ] {
            #expect(result.stdout.contains(expected), "missing \(expected.debugDescription)")
        }
    }

    @Test func writesJSON() async throws {
        let result = try await CLIRunner.run(["dmarc", "ghost.org.test", "--zone", Self.zoneFile, "--offline", "--format", "json"])
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let modern = try #require(object["rfc9989"] as? [String: Any])
        #expect(modern["policy"] as? String == "reject")
        #expect(modern["appliedTag"] as? String == "np")
        #expect((object["findings"] as? [[String: Any]])?.isEmpty == false)
    }

    @Test func exitsTwoWhenDNSFailuresMakeItIncomplete() async throws {
        guard KnotServer.knotd != nil else { return }
        try await KnotServer.with(zoneDirectory: KnotServer.fixtures("dmarc/zones"), brokenZones: ["broken.test"]) { server in
            let result = try await CLIRunner.run(["dmarc", "mail.broken.test", "--nameserver", "127.0.0.1:\(server.port)"])
            #expect(result.status == 2)
            #expect(result.stdout.contains("INCOMPLETE"))
        }
    }

    @Test(arguments: [["dmarc", "bad..name"], ["dmarc"], ["dmarc", "example.com", "--format", "xml"]])
    func usageErrorsExitSixtyFour(_ arguments: [String]) async throws {
        #expect(try await CLIRunner.run(arguments).status == 64)
    }
}
