import Foundation
import MessageAnalysis
import Testing
import TestSupport

/// Headers written by hand from real patterns (Tests/Fixtures/headers), read without DNS.
@Suite struct HeaderPatternTests {
    static func analyze(_ name: String, authservID: String? = nil) async throws -> HeaderAnalysis {
        let bytes = try Data(contentsOf: URL(fileURLWithPath: KnotServer.fixtures("headers/\(name)")))
        return try await HeaderAnalyzer(resolver: nil, authservID: authservID).analyze(Array(bytes))
    }

    @Test func gmailSpamFolderMessageShowsTheMisalignmentTheSkewAndTheSendGridHops() async throws {
        let analysis = try await Self.analyze("gmail-spam.eml")
        let hops = analysis.received.hops
        #expect(hops.count == 4)
        // SendGrid: no ";" before the date, fractional seconds.
        #expect(hops[0].field.deviations.contains(.missingSemicolon))
        #expect(hops[0].field.deviations.contains(.fractionalSeconds))
        #expect(hops[0].field.by == "geopod-ismtpd-1")
        #expect(hops[1].field.date != nil)
        // mx.google.com's date is 1.1 s before the filter's: clock skew, labelled.
        #expect(hops[2].delay == .clockSkew)
        #expect((hops[2].delaySeconds ?? 0) < 0)
        let boundary = try #require(analysis.trustBoundary)
        #expect(boundary.source == .topAuthenticationResults)
        #expect(boundary.ip == "192.0.2.10")
        #expect(boundary.helo == "o1.mail.esp.example")
        #expect(boundary.mailFrom == "bounces+123@esp.example")
        #expect(analysis.receiverVerdicts.map(\.method) == ["dkim", "spf", "dmarc"])
        #expect(analysis.receiverVerdicts.first { $0.method == "dmarc" }?.result == "fail")
        let ids = Set(analysis.findings.map(\.id))
        #expect(ids.isSuperset(of: [MessageFindingID.fromNotAligned, MessageFindingID.receiverFailed,
                                    MessageFindingID.noMessageID, MessageFindingID.listUnsubscribeNoPost]))
        let aligned = try #require(analysis.findings.first { $0.id == MessageFindingID.fromNotAligned })
        #expect(aligned.detail.contains("d=esp.example, not aligned with From: shop.example"))
        #expect(analysis.reevaluation.status == .notChecked)
        #expect(analysis.arc?.status == .notChecked)
        #expect(analysis.arc?.instances.first?.authenticationResults?.authservID == "mx.google.com")
    }

    @Test func outlookHeadersReadWithoutAnAuthservIDAndFallBackToReceivedSPF() async throws {
        let analysis = try await Self.analyze("outlook.eml")
        let ar = try #require(analysis.authenticationResults.first)
        #expect(ar.results.authservID == nil)
        #expect(ar.results.results.map(\.method) == ["spf", "dkim", "dmarc", "compauth"])
        #expect(ar.results.results[2].result == "bestguesspass")
        #expect(ar.results.results[2].properties.contains { $0.type.isEmpty && $0.name == "action" && $0.value == "none" })
        #expect(ar.results.results[3].reason == "109")
        #expect(analysis.receiverVerdicts.first { $0.method == "dkim" }?.identity == "shop.example")
        // Exchange's "id 15.20.7452.49" is an id, not the client's address.
        let first = try #require(analysis.received.hops.first)
        #expect(first.field.fromIP == "198.51.100.25")
        #expect(first.field.id == "15.20.7452.22")
        #expect(first.field.deviations.contains(.versionLikeID))
        #expect(analysis.received.hops[1].field.fromIP == "2603:10b6:408:fe:cafe::5e")
        let boundary = try #require(analysis.trustBoundary)
        #expect(boundary.source == .receivedSPF)
        #expect(boundary.ip == "198.51.100.25")
        #expect(boundary.helo == "out.shop.example")
        #expect(!analysis.findings.contains { $0.severity == .error })
    }

    @Test func microsoftCIPIsTheLastFallback() async throws {
        var text = try String(contentsOfFile: KnotServer.fixtures("headers/outlook.eml"), encoding: .utf8)
        text = text.replacingOccurrences(of: "Received-SPF:", with: "X-Old-Received-SPF:")
        let analysis = try await HeaderAnalyzer(resolver: nil).analyze(Array(text.utf8))
        #expect(analysis.trustBoundary?.source == .forefrontCIP)
        #expect(analysis.trustBoundary?.ip == "198.51.100.25")
        #expect(analysis.trustBoundary?.helo == "out.shop.example")
    }

    @Test func yahooResultsWithACommentGluedToTheResult() async throws {
        let analysis = try await Self.analyze("yahoo.eml")
        let dmarc = try #require(analysis.receiverVerdicts.first { $0.method == "dmarc" })
        #expect(dmarc.result == "pass")
        #expect(dmarc.note == "p=REJECT")
        #expect(analysis.trustBoundary?.ip == "198.51.100.25")
        #expect(analysis.trustBoundary?.helo == "out.shop.example")
    }

    @Test func authservIDOptionPicksTheReceiversFieldsAndHop() async throws {
        let analysis = try await Self.analyze("mailing-list.eml", authservID: "mx.google.com")
        #expect(analysis.trustBoundary?.source == .authservID)
        #expect(analysis.trustBoundary?.ip == "203.0.113.7")
        #expect(analysis.authenticationResults.filter(\.trusted).count == 1)
        let arc = try #require(analysis.arc)
        #expect(arc.instances.map(\.instance) == [1, 2])
        #expect(arc.instances[0].authenticationResults?.results.first { $0.method == "dmarc" }?.property("header", "from") == "shop.example")
        // The list rewrote From: it is aligned with the list's own signature.
        #expect(!analysis.findings.contains { $0.id == MessageFindingID.fromNotAligned })
        #expect(analysis.findings.contains { $0.id == MessageFindingID.listUnsubscribeUnsigned })
    }

    @Test func brokenFieldsAreReportedAndSkewLabelled() async throws {
        let analysis = try await Self.analyze("skewed-and-broken.eml")
        #expect(analysis.problems.contains { $0.line == 10 && $0.message.contains("no \"name:\"") })
        #expect(analysis.received.hops.count == 4)
        #expect(analysis.received.hops[1].field.deviations.contains(.missingDate))
        #expect(analysis.received.hops[2].field.helo == "relay1.example.net")
        #expect(analysis.received.hops[2].field.deviations.contains(.fractionalSeconds))
        #expect(analysis.received.hops[3].delay == .clockSkew)
        let ids = Set(analysis.findings.map(\.id))
        #expect(ids.isSuperset(of: [MessageFindingID.multipleFrom, MessageFindingID.noDate, MessageFindingID.noMessageID,
                                    MessageFindingID.clockSkew, MessageFindingID.unreadable]))
    }
}

/// The Received parser on the deviations the issue lists, one field at a time.
@Suite struct ReceivedFieldTests {
    @Test func sendGridWithoutSemicolon() throws {
        let field = ReceivedField(parsing: "from shop.example (unknown) by geopod-ismtpd-1 (SG) with HTTP id 3f9a Tue, 16 Apr 2024 15:30:10.517 +0000 (UTC)")
        #expect(field.deviations.contains(.missingSemicolon))
        #expect(field.id == "3f9a")
        let date = try #require(field.date)
        #expect(abs(date.timeIntervalSince1970 - 1_713_281_410.517) < 0.001)
    }

    @Test func commentsAfterTheDateAndObsoleteZones() throws {
        let field = ReceivedField(parsing: "from a (a [192.0.2.1]) by b with SMTP id x; Tue, 16 Apr 2024 08:30:11 PDT (envelope-from <x@y>)")
        #expect(field.deviations.contains(.commentAfterDate))
        #expect(field.date?.timeIntervalSince1970 == 1_713_281_411)
        #expect(field.fromIP == "192.0.2.1")
    }

    @Test func exchangeVersionIsNotAnAddress() {
        let field = ReceivedField(parsing: "from mail.example (10.1.2.3) by ex.example (10.1.2.4) with Microsoft SMTP Server id 15.20.7452.49; Tue, 16 Apr 2024 15:31:00 +0000")
        #expect(field.fromIP == "10.1.2.3")
        #expect(field.id == "15.20.7452.49")
        #expect(field.deviations.contains(.versionLikeID))
    }

    @Test func garbageGivesAFieldWithNothingInIt() {
        let field = ReceivedField(parsing: "\u{0}\u{1}((((;;;;))) by by by ; ")
        #expect(field.date == nil)
        #expect(field.deviations.contains(.missingDate) || field.deviations.contains(.unreadableDate))
    }
}

/// Authentication-Results forms authres refuses, read leniently.
@Suite struct LenientAuthenticationResultsTests {
    @Test func oldYahooFromAfterTheAuthservID() {
        let ar = AuthenticationResults(parsing: "mta508.mail.kks.y.example.co.jp  from=y.example.co.jp; domainkeys=pass (ok); dkim=pass (ok)")
        #expect(ar.authservID == "mta508.mail.kks.y.example.co.jp")
        #expect(ar.results.map(\.method) == ["domainkeys", "dkim"])
        #expect(ar.results[1].comment == "ok")
        #expect(ar.problems.count == 1)
    }

    @Test func microsoftWithoutAnAuthservIDAndAnEmptyComment() {
        let ar = AuthenticationResults(parsing: "spf=none (sender IP is ) smtp.mailfrom=<>; ")
        #expect(ar.authservID == nil)
        #expect(ar.results.first?.result == "none")
        #expect(ar.results.first?.property("smtp", "mailfrom") == "<>")
    }

    @Test func arcInstanceAndNoResult() {
        let arc = AuthenticationResults(parsing: "i=3; lists.example.org; none", arc: true)
        #expect(arc.instance == 3)
        #expect(arc.authservID == "lists.example.org")
        #expect(arc.results.isEmpty)
        #expect(arc.problems.isEmpty)
        let bad = AuthenticationResults(parsing: "mx.example; spf=pass", arc: true)
        #expect(bad.instance == nil)
        #expect(!bad.problems.isEmpty)
    }
}
