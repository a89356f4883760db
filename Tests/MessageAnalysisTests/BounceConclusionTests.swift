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
