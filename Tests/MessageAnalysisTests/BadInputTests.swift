import Foundation
import MessageAnalysis
import Testing
import TestSupport

/// Hostile and broken input: a clear error or a partial report that says what could not be read,
/// never a crash or a hang. Each runs without DNS.
@Suite struct MessageBadInputTests {
    let headers = HeaderAnalyzer(resolver: nil)
    var bounces: BounceAnalyzer { BounceAnalyzer(headers: headers) }

    @Test func binaryJunkIsANamedError() async throws {
        var generator = SeededRandom(seed: 16)
        let junk = (0..<100_000).map { _ in UInt8.random(in: 0...255, using: &generator) }
        let error = await #expect(throws: MessageReadError.self) { try await headers.analyze(junk) }
        #expect(error?.code == .noHeader)
        #expect(error?.message.contains("not an email message") == true)
        await #expect(throws: MessageReadError.self) { try await bounces.analyze(junk) }
        let empty = await #expect(throws: MessageReadError.self) { try await headers.analyze([UInt8]()) }
        #expect(empty?.code == .empty)
    }

    @Test func aFiftyMegabyteMessageIsReadWholeAndQuickly() async throws {
        var message = Array("From: a@example.com\r\nTo: b@example.org\r\nSubject: big\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n".utf8)
        let line = Array(String(repeating: "x", count: 998).utf8) + [0x0D, 0x0A]
        while message.count < 50 << 20 { message += line }
        message += Array("\r\n--b--\r\n".utf8)
        let start = ContinuousClock.now
        let analysis = try await headers.analyze(message)
        let report = try await bounces.analyze(message)
        #expect(ContinuousClock.now - start < .seconds(120))
        #expect(analysis.summary.subject == "big")
        #expect(report.recipients.isEmpty)
        #expect(report.findings.contains { $0.id == MessageFindingID.noRecipients })
    }

    @Test func tenThousandReceivedFields() async throws {
        var text = ""
        for hop in 0..<10_000 {
            text += "Received: from h\(hop).example (h\(hop).example [192.0.2.\(hop % 250 + 1)]) by h\(hop + 1).example with ESMTP id \(hop); Tue, 16 Apr 2024 08:\(String(format: "%02d", (hop / 60) % 60)):\(String(format: "%02d", hop % 60)) +0000\r\n"
        }
        text += "From: a@example.com\r\n\r\nbody\r\n"
        let start = ContinuousClock.now
        let analysis = try await headers.analyze(Array(text.utf8))
        #expect(ContinuousClock.now - start < .seconds(60))
        #expect(analysis.received.hops.count == 10_000)
    }

    @Test func aOneMegabyteHeaderLineIsCutAndSaidSo() async throws {
        let long = String(repeating: "a", count: 1 << 20)
        let text = "From: a@example.com\r\nSubject: \(long)\r\nAuthentication-Results: mx.example; spf=pass smtp.mailfrom=\(long)\r\nReceived: from \(long); Tue, 16 Apr 2024 08:30:11 +0000\r\n\r\nbody"
        let analysis = try await headers.analyze(Array(text.utf8))
        #expect(analysis.problems.contains { $0.message.contains("Subject field is longer than") })
        #expect(analysis.summary.subject?.utf8.count ?? 0 <= MessageText.maximumFieldBytes)
        #expect(analysis.received.hops.count == 1)
    }

    @Test func brokenMIMEBoundariesGiveAPartialReport() async throws {
        let text = """
            From: MAILER-DAEMON@mx.example.net
            To: sender@example.com
            Subject: Undelivered Mail Returned to Sender
            Content-Type: multipart/report; report-type=delivery-status; boundary="never-used"

            --wrong-boundary
            Content-Type: message/delivery-status

            Reporting-MTA: dns; mx.example.net

            Final-Recipient: rfc822; gone@example.org
            Action: failed
            Status: 5.1.1
            Diagnostic-Code: smtp; 550 5.1.1 <gone@example.org>: Recipient address rejected: User unknown
            """
        let report = try await bounces.analyze(Array(text.utf8))
        #expect(report.problems.contains { $0.message.contains("never occurs") })
        #expect(report.format == .deliveryStatusInText)
        #expect(report.recipients.first?.recipient == "gone@example.org")
        #expect(report.recipients.first?.classification.kind == .hard)
    }

    @Test func anUnclosedMultipartIsReadToTheEnd() async throws {
        let text = """
            From: MAILER-DAEMON@mx.example.net
            Content-Type: multipart/report; report-type=delivery-status; boundary="b1"

            --b1
            Content-Type: message/delivery-status

            Final-Recipient: rfc822; full@example.org
            Action: delayed
            Status: 4.2.2
            """
        let report = try await bounces.analyze(Array(text.utf8))
        #expect(report.problems.contains { $0.message.contains("closing boundary") })
        #expect(report.recipients.first?.action == .delayed)
        #expect(report.recipients.first?.classification.kind == .soft)
        #expect(report.recipients.first?.classification.permanence == .soft)
    }

    @Test func base64ErrorsAreCountedNotFatal() async throws {
        let text = """
            From: MAILER-DAEMON@mx.example.net
            Content-Type: multipart/report; report-type=delivery-status; boundary="b1"

            --b1
            Content-Type: text/plain
            Content-Transfer-Encoding: base64

            VGhpcyBpcyBub3QgdmFsaWQ@@@!!!base64$$$
            --b1
            Content-Type: message/delivery-status
            Content-Transfer-Encoding: base64

            \(Data("Final-Recipient: rfc822; a@example.org\nAction: failed\nStatus: 5.7.26\n".utf8).base64EncodedString())
            --b1--
            """
        let report = try await bounces.analyze(Array(text.utf8))
        #expect(report.problems.contains { $0.message.contains("not base64") })
        #expect(report.recipients.first?.status?.description == "5.7.26")
    }

    @Test func deeplyNestedMultipartsStopAtTheLimit() async throws {
        var text = "From: a@example.com\r\nContent-Type: multipart/mixed; boundary=\"b0\"\r\n\r\n"
        for depth in 0..<40 {
            text += "--b\(depth)\r\nContent-Type: multipart/mixed; boundary=\"b\(depth + 1)\"\r\n\r\n"
        }
        let report = try await bounces.analyze(Array(text.utf8))
        #expect(report.problems.contains { $0.message.contains("nested deeper") })
    }
}

/// The CLI on unreadable input: exit 64 and a message naming the problem.
@Suite struct MessageCLIBadInputTests {
    @Test func notAMessageIsAUsageError() async throws {
        let result = try await CLIRunner.run(["headers", "analyze", "--no-dns", "-"], stdin: [0xFF, 0x00, 0x13, 0x37])
        #expect(result.status == 64)
        #expect(result.stderr.contains("not an email message"))
        let missing = try await CLIRunner.run(["bounce", "analyze", "--no-dns", "/nonexistent/bounce.eml"])
        #expect(missing.status == 64)
        #expect(missing.stderr.contains("cannot open"))
    }
}

/// Bounces built to make the readers' work grow faster than the input: many recipients.
@Suite struct BounceWorkBoundTests {
    @Test func aHundredThousandRecipientLinesAreCappedAndQuick() throws {
        var prose = "From: MAILER-DAEMON@example.net\r\nSubject: failure\r\n\r\nThis is a permanent error.\r\n"
        for index in 0..<100_000 { prose += "<user\(index)@example.org>:\r\nno reply here\r\n" }
        let start = ContinuousClock.now
        let report = try BounceAnalyzer.parse(Array(prose.utf8))
        #expect(ContinuousClock.now - start < .seconds(60))
        #expect(report.recipients.count <= 500)
        #expect(!report.recipients.isEmpty)
    }

    @Test func aHundredThousandDSNBlocksAreCapped() throws {
        var text = "From: MAILER-DAEMON@example.net\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.net\r\n\r\n"
        for index in 0..<100_000 { text += "Final-Recipient: rfc822; u\(index)@example.org\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n" }
        text += "--b--\r\n"
        let start = ContinuousClock.now
        let report = try BounceAnalyzer.parse(Array(text.utf8))
        #expect(ContinuousClock.now - start < .seconds(60))
        #expect(report.recipients.count == 500)
    }
}

/// Line ends as files come: CRLF (Windows), LF (Unix), CR alone (old Mac OS).
@Suite struct LineEndingTests {
    @Test(arguments: ["\r\n", "\n", "\r"])
    func aBounceReadsTheSameWithAnyLineEnd(_ end: String) throws {
        let path = KnotServer.fixtures("bounces/sisimai/lhost-postfix-04.eml")
        let text = try String(contentsOfFile: path, encoding: .utf8).replacingOccurrences(of: "\r\n", with: "\n")
            .replacingOccurrences(of: "\n", with: end)
        let report = try BounceAnalyzer.parse(Array(text.utf8))
        #expect(report.format == .deliveryStatus)
        #expect(report.recipients.first?.status?.description == "5.1.1")
        #expect(report.originalSource == "message/rfc822")
    }
}
