import Foundation
import MessageAnalysis
import Testing
import TestSupport

/// Bounces made by a real Postfix on 127.0.0.1 (TestSupport/PostfixBounceFixture): a local user
/// that does not exist, and a scripted server refusing with Gmail's 5.7.26 and 4.7.28.
@Suite(.enabled(if: PostfixBounceFixture.available, "postfix is not installed or the tests do not run as root"))
struct PostfixBounceTests {
    static let message = """
        From: App <app@sender.test>\r
        To: someone\r
        Subject: Order 1234\r
        Date: Wed, 17 Apr 2024 10:00:00 +0000\r
        Message-ID: <order-1234@sender.test>\r
        \r
        Your order.\r

        """

    @Test func postfixBouncesAreReadRecipientByRecipient() async throws {
        try await PostfixBounceFixture.with { postfix in
            try await postfix.submit(
                Self.message, from: "app@sender.test",
                to: ["nobody-here@local.sender.test", "dmarc-fail@receiver.test", "rate-limited@receiver.test"])
            let bounces = try await postfix.waitForMessages(3)
            try #require(bounces.count == 3, "Postfix sent \(bounces.count) bounces; its log is in \(postfix.directory)/postfix.log")
            var byRecipient: [String: BouncedRecipient] = [:]
            for bounce in bounces {
                let report = try await BounceAnalyzer(headers: HeaderAnalyzer(resolver: nil)).analyze(bounce)
                #expect(report.format == .deliveryStatus)
                #expect(report.reportingMTA == "mta.sender.test")
                #expect(report.originalSource == "message/rfc822")
                #expect(report.original?.summary.messageID == "<order-1234@sender.test>")
                for recipient in report.recipients { byRecipient[recipient.recipient] = recipient }
            }
            let unknown = try #require(byRecipient["nobody-here@local.sender.test"])
            #expect(unknown.action == .failed)
            #expect(unknown.status?.description == "5.1.1")
            #expect(unknown.classification.kind == .hard)

            let dmarc = try #require(byRecipient["dmarc-fail@receiver.test"])
            #expect(dmarc.action == .failed)
            #expect(dmarc.status?.description == "5.7.26")
            #expect(dmarc.replyCode == 550)
            #expect(dmarc.smtpCommand == "RCPT")
            #expect(dmarc.classification.kind == .soft)
            #expect(dmarc.classification.permanence == .hard)
            #expect(dmarc.classification.explanation.provider?.rawValue == "gmail")
            #expect(dmarc.classification.explanation.command != nil)

            // A 4xx deferral returned at once (maximal_queue_lifetime = 0): failed, but transient.
            let rate = try #require(byRecipient["rate-limited@receiver.test"])
            #expect(rate.action == .failed)
            #expect(rate.status?.description == "4.7.28")
            #expect(rate.replyCode == 421)
            #expect(rate.classification.kind == .soft)
            #expect(rate.classification.permanence == .soft)
            #expect(rate.classification.explanation.id.hasPrefix("gmail."))
        }
    }
}
