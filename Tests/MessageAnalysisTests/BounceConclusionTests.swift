import Foundation
import MessageAnalysis
import Testing
import TestSupport

/// A 5.7.26 bounce carrying the original's header ends with which check failed, from that header.
@Suite struct BounceConclusionTests {
    @Test func aDMARCBounceNamesTheUnalignedSignature() async throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: KnotServer.fixtures("bounces/handmade/gmail-5.7.26.eml")))
        let report = try await BounceAnalyzer(headers: HeaderAnalyzer(resolver: nil)).analyze(Array(bytes))
        #expect(report.format == .deliveryStatus)
        let recipient = try #require(report.recipients.first)
        #expect(recipient.recipient == "friend@gmail.com")
        #expect(recipient.status?.description == "5.7.26")
        #expect(recipient.smtpCommand == "DATA")
        #expect(recipient.classification.kind == .soft)
        #expect(recipient.classification.permanence == .hard)
        #expect(recipient.classification.subject == "Security or policy status")
        #expect(recipient.classification.explanation.provider?.rawValue == "gmail")
        #expect(recipient.classification.explanation.command != nil)
        #expect(report.originalSource == "text/rfc822-headers")
        #expect(report.original?.summary.from == ["You <news@you.example>"])
        #expect(report.conclusions.last?.contains("your DKIM signature is for d=esp.example, not aligned with From: you.example") == true)
        #expect(report.findings.first?.id == MessageFindingID.authenticationCause)
        #expect(report.original?.findings.contains { $0.id == MessageFindingID.noTrustBoundary } == false)
    }

    @Test func gmailsPlainTextBounceIsReadFromItsProse() async throws {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: KnotServer.fixtures("bounces/sisimai/lhost-gmail-01.eml")))
        let report = try await BounceAnalyzer(headers: HeaderAnalyzer(resolver: nil)).analyze(Array(bytes))
        #expect(report.format == .plainText)
        #expect(report.recipients.map(\.recipient) == ["userunknown@example.jp"])
        #expect(report.recipients.first?.replyCode == 550)
        #expect(report.originalSource == "quoted")
    }
}

/// Gmail's variant: the RFC 3464 fields written in a text/plain part, not a delivery-status one.
@Suite struct DeliveryStatusInTextTests {
    @Test func fieldsInATextPartAreRead() throws {
        let text = """
            From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>
            To: sender@example.com
            Subject: Delivery Status Notification (Failure)
            Content-Type: multipart/report; boundary="g1"; report-type=delivery-status

            --g1
            Content-Type: text/plain; charset="UTF-8"

            ** Address not found **

            --g1
            Content-Type: text/plain; charset="UTF-8"

            Reporting-MTA: dns; googlemail.com
            Received-From-MTA: dns; sender@example.com
            Arrival-Date: Wed, 17 Apr 2024 02:10:00 -0700 (PDT)

            Final-Recipient: rfc822; nobody@gmail.com
            Action: failed
            Status: 5.1.1
            Remote-MTA: dns; gmail-smtp-in.l.google.com. (2607:f8b0:4004:c1b::1a, the server for the domain gmail.com.)
            Diagnostic-Code: smtp; 550-5.1.1 The email account that you tried to reach does not exist. - gsmtp
            Last-Attempt-Date: Wed, 17 Apr 2024 02:10:01 -0700 (PDT)

            --g1--
            """
        let report = try BounceAnalyzer.parse(Array(text.utf8))
        #expect(report.format == .deliveryStatusInText)
        #expect(report.reportingMTA == "googlemail.com")
        let recipient = try #require(report.recipients.first)
        #expect(recipient.recipient == "nobody@gmail.com")
        #expect(recipient.status?.description == "5.1.1")
        #expect(recipient.replyCode == 550)
        #expect(recipient.classification.kind == .hard)
        #expect(recipient.classification.explanation.provider?.rawValue == "gmail")
    }
}
