import Foundation
import TestSupport
import Testing

/// `dnsaudit smtp explain`, run as a binary.
@Suite struct ExplainCLITests {
    static let appPassword = """
        smtplib.SMTPAuthenticationError: (534, b'5.7.9 Application-specific password required. For more information, go to\\n5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor 5b1f17b1804b1-43a8c2f2e4bsm1234567f8f.13 - gsmtp')
        """

    @Test func explainsAReplyGivenAsAnArgumentInText() async throws {
        let result = try await CLIRunner.run([
            "smtp", "explain",
            "550-5.7.26 Unauthenticated email from example.com is not accepted due to domain's DMARC policy.\n550 5.7.26 - gsmtp",
        ])
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("Reply:    550 5.7.26 Unauthenticated email"))
        #expect(result.stdout.contains("Provider: Gmail"))
        #expect(result.stdout.contains("Check:    dnsaudit DOMAIN"))
        #expect(result.stdout.contains("Match:    gmail.unauthenticated-dmarc (provider)"))
        #expect(result.stdout.contains("Multiple authentication checks failed (RFC 7372)"))
    }

    @Test func readsAPythonTracebackFromStdinAsJSON() async throws {
        let result = try await CLIRunner.run(["smtp", "explain", "-", "--format", "json"], stdin: Array(Self.appPassword.utf8))
        #expect(result.status == 0, "\(result.stderr)")
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["id"] as? String == "gmail.app-password-required")
        #expect(object["match"] as? String == "provider")
        #expect(object["provider"] as? String == "gmail")
        #expect(object["permanence"] as? String == "hard")
        let reply = try #require(object["reply"] as? [String: Any])
        #expect(reply["code"] as? Int == 534)
        #expect(reply["enhancedCode"] as? String == "5.7.9")
        #expect((object["fix"] as? String)?.contains("App Password") == true)
        #expect((object["source"] as? [String: Any])?["citation"] is String)
        #expect(object["truncated"] as? Bool == false)
    }

    @Test func anUnknownReplyExitsZeroAndSaysUnknown() async throws {
        let result = try await CLIRunner.run(["smtp", "explain", "--format", "json", "551 5.9.9 strange"])
        #expect(result.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        #expect(object["match"] as? String == "unknown")
        #expect((object["registry"] as? [String: Any])?["statusClass"] as? String == "Permanent failure")
    }

    @Test func readsAMegabyteOfStdinWithoutTrouble() async throws {
        let huge = Array(String(repeating: "garbage 550-5.7.1 ", count: 60_000).utf8)
        let result = try await CLIRunner.run(["smtp", "explain", "-"], stdin: huge, timeout: 60)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.contains("only its start was read"))
    }

    @Test(arguments: [(["smtp", "explain"], ""), (["smtp", "explain", "-"], " \n\t ")])
    func emptyInputIsAUsageError(arguments: [String], stdin: String) async throws {
        let result = try await CLIRunner.run(arguments, stdin: Array(stdin.utf8))
        #expect(result.status == 64)
        #expect(result.stdout.isEmpty)
        #expect(!result.stderr.isEmpty)
    }
}
