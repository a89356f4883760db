import DKIM
import DNSAudit
import DNSCore
import DNSLDNS
import Foundation
import TestSupport
import Testing

/// The library API, offline: the same zone data as the integration tests, through `ZoneResolver`.
@Suite struct PreSendValidatorTests {
    static func request(
        _ message: [UInt8]? = nil, mailFrom: String = "bounces@sender.test", ips: [String] = ["192.0.2.25"],
        helo: String? = "mail.sender.test", keys: [(String, String, String)] = [("sender.test", "rsa", "rsa.key")]
    ) throws -> PreSendRequest {
        PreSendRequest(
            message: try message ?? Fixtures.newsletter(), mailFrom: mailFrom, egressIPs: ips.compactMap { IPAddress($0) },
            helo: helo,
            signing: try keys.map { DKIMSigningConfiguration(domain: $0.0, selector: $0.1, key: try Fixtures.privateKey($0.2)) },
            now: Fixtures.now)
    }

    static func validate(_ request: PreSendRequest, resolver: (any DNSResolver)? = nil) async throws -> PreSendReport {
        try await PreSendValidator(resolver: resolver ?? Fixtures.zoneResolver()).validate(request)
    }

    static func message(_ header: String, body: String = "Hello.\r\n") -> [UInt8] {
        Array((header.replacingOccurrences(of: "\n", with: "\r\n") + "\r\n" + body).utf8)
    }

    static let goodHeader = """
        From: News <news@sender.test>
        To: reader@example.net
        Subject: Hi
        Date: Tue, 14 Nov 2023 22:13:20 +0000
        Message-ID: <1@sender.test>

        """

    @Test func aPassingReportCarriesTheSignedMessage() async throws {
        let report = try await Self.validate(try Self.request())
        #expect(report.verdict == .pass, "\(report.unpassed)")
        let signed = try #require(report.message)
        #expect(String(decoding: signed, as: UTF8.self).hasPrefix("DKIM-Signature: "))
        // The message verifies with the published key, as a receiver would check it.
        let results = await DKIMVerifier(resolver: try Fixtures.zoneResolver()).verify(try MailMessage(parsing: signed), now: Fixtures.now)
        #expect(results.map(\.status) == [.pass])
        // JSON round trip; the message is not part of it.
        let json = try JSONEncoder().encode(report)
        let decoded = try JSONDecoder().decode(PreSendReport.self, from: json)
        #expect(decoded.checks == report.checks && decoded.verdict == .pass && decoded.message == nil)
        #expect(!String(decoding: json, as: UTF8.self).contains("DKIM-Signature"))
    }

    @Test func aFailingReportCarriesNoMessage() async throws {
        let report = try await Self.validate(try Self.request(ips: ["198.51.100.7"]))
        #expect(report.verdict == .fail)
        #expect(report.message == nil)
        #expect(report.failures.map(\.id).contains(PreSendCheckID.spf))
    }

    @Test(arguments: [
        ("no From", "To: a@example.net\nDate: Tue, 14 Nov 2023 22:13:20 +0000\nMessage-ID: <1@sender.test>\n", PreSendCheckID.from),
        ("two From fields", "From: a@sender.test\nFrom: b@sender.test\nDate: Tue, 14 Nov 2023 22:13:20 +0000\nMessage-ID: <1@sender.test>\n", PreSendCheckID.from),
        ("two addresses in From", "From: a@sender.test, \"Doe, J\" <b@sender.test>\nDate: Tue, 14 Nov 2023 22:13:20 +0000\nMessage-ID: <1@sender.test>\n", PreSendCheckID.from),
        ("a group in From", "From: team: a@sender.test;\nDate: Tue, 14 Nov 2023 22:13:20 +0000\nMessage-ID: <1@sender.test>\n", PreSendCheckID.from),
        ("an address literal", "From: a@[192.0.2.1]\nDate: Tue, 14 Nov 2023 22:13:20 +0000\nMessage-ID: <1@sender.test>\n", PreSendCheckID.from),
        ("no Date", "From: a@sender.test\nMessage-ID: <1@sender.test>\n", PreSendCheckID.date),
        ("no Message-ID", "From: a@sender.test\nDate: Tue, 14 Nov 2023 22:13:20 +0000\n", PreSendCheckID.messageID),
        ("a Message-ID without brackets", "From: a@sender.test\nDate: Tue, 14 Nov 2023 22:13:20 +0000\nMessage-ID: 1@sender.test\n", PreSendCheckID.messageID),
        ("a free-mail From", "From: Me <me@yahoo.co.uk>\nDate: Tue, 14 Nov 2023 22:13:20 +0000\nMessage-ID: <1@sender.test>\n", PreSendCheckID.freeMail),
    ])
    func messageLintFailures(name: String, header: String, failing: String) async throws {
        let report = try await Self.validate(try Self.request(Self.message(header)))
        #expect(report.verdict == .fail, "\(name)")
        #expect(report.failures.map(\.id).contains(failing), "\(name): \(report.failures.map(\.id))")
        #expect(report.failures.allSatisfy { $0.fix != nil }, "\(name): every failure says what to do")
        #expect(report.message == nil)
    }

    @Test(arguments: [
        "From: \"Doe, Jane\" <jane@sender.test>", "From: jane@sender.test", "From: Jane (work) <jane@sender.test>",
        "From: =?utf-8?q?J=C3=A4ne?= <jane@sender.test>", "From: \"a@b\" <jane@sender.test>", "From:\n <jane@sender.test>",
    ])
    func fromFieldsWithOneMailboxPass(from: String) async throws {
        let header = from + "\nDate: Tue, 14 Nov 2023 22:13:20 +0000\nMessage-ID: <1@sender.test>\n"
        let report = try await Self.validate(try Self.request(Self.message(header)))
        #expect(report.checks.first { $0.id == PreSendCheckID.from }?.status == .pass, "\(report.unpassed)")
        #expect(report.fromDomain == "sender.test")
        #expect(report.verdict == .pass)
    }

    @Test func anUnparseableDateIsAWarningOnly() async throws {
        let header = "From: a@sender.test\nDate: yesterday\nMessage-ID: <1@sender.test>\n"
        let report = try await Self.validate(try Self.request(Self.message(header)))
        #expect(report.checks.first { $0.id == PreSendCheckID.date }?.status == .warning)
        #expect(report.verdict == .pass)
    }

    @Test(arguments: [
        ("List-Unsubscribe: <mailto:u@sender.test>\nList-Unsubscribe-Post: List-Unsubscribe=One-Click\n", "no https URI"),
        ("List-Unsubscribe: <https://sender.test/u/1>\n", "List-Unsubscribe-Post is missing"),
        ("List-Unsubscribe: <https://sender.test/u/1>\nList-Unsubscribe-Post: List-Unsubscribe=Yes\n", "not \"List-Unsubscribe=One-Click\""),
        ("List-Unsubscribe-Post: List-Unsubscribe=One-Click\n", "without List-Unsubscribe"),
    ])
    func oneClickUnsubscribeProblems(fields: String, problem: String) async throws {
        let report = try await Self.validate(try Self.request(Self.message(Self.goodHeader + fields)))
        let check = try #require(report.checks.first { $0.id == PreSendCheckID.listUnsubscribe })
        #expect(check.status == .fail)
        #expect(check.summary.contains(problem) || (check.detail ?? "").contains(problem), "\(check.summary)")
        #expect(report.verdict == .fail)
    }

    @Test func noListUnsubscribeIsSkipped() async throws {
        let report = try await Self.validate(try Self.request(Self.message(Self.goodHeader)))
        #expect(report.checks.first { $0.id == PreSendCheckID.listUnsubscribe }?.status == .skipped)
        #expect(report.verdict == .pass)
    }

    @Test func ed25519OnlyIsAWarningWhenSPFAlignsAndAFailureWhenDMARCRestsOnIt() async throws {
        let withSPF = try await Self.validate(try Self.request(keys: [("sender.test", "ed", "ed25519.key")]))
        #expect(withSPF.checks.first { $0.id == PreSendCheckID.ed25519Only }?.status == .warning)
        #expect(withSPF.verdict == .pass)
        // MAIL FROM at other.test: DMARC for sender.test passes only through the Ed25519 signature.
        let withoutSPF = try await Self.validate(
            try Self.request(mailFrom: "bounces@other.test", keys: [("sender.test", "ed", "ed25519.key")]))
        #expect(withoutSPF.checks.first { $0.id == PreSendCheckID.dmarc }?.status == .pass)
        #expect(withoutSPF.failures.map(\.id) == [PreSendCheckID.ed25519Only])
    }

    @Test func ed25519OnlyStaysAWarningWhenTheMessageAlreadyCarriesAnAlignedRSASignature() async throws {
        // Signed with RSA first (say, by the mail library), then the gate adds only Ed25519, and SPF
        // does not align: DMARC still passes at Gmail through the existing RSA signature.
        let rsa = DKIMSigningConfiguration(domain: "sender.test", selector: "rsa", key: try Fixtures.privateKey("rsa.key"))
        let preSigned = try DKIMSigner([rsa]).sign(try MailMessage(parsing: try Fixtures.newsletter()), now: Fixtures.now).message
        let report = try await Self.validate(
            try Self.request(preSigned.bytes, mailFrom: "bounces@other.test", keys: [("sender.test", "ed", "ed25519.key")]))
        #expect(report.checks.first { $0.id == PreSendCheckID.dmarc }?.status == .pass)
        #expect(report.checks.first { $0.id == PreSendCheckID.ed25519Only }?.status == .warning)
        #expect(!report.failures.map(\.id).contains(PreSendCheckID.ed25519Only))
    }

    @Test func noSigningAndNoSignatureFails() async throws {
        let report = try await Self.validate(try Self.request(keys: []))
        #expect(report.checks.first { $0.id == PreSendCheckID.sign }?.status == .skipped)
        #expect(report.failures.map(\.id).contains(PreSendCheckID.dkimVerify))
        // The fix names the signing settings as the Swift API does, not as the CLI's options.
        let fix = try #require(report.failures.first { $0.id == PreSendCheckID.dkimVerify }?.fix)
        #expect(fix.contains("`DKIMSigningConfiguration.domain`") && !fix.contains("--"), "\(fix)")
        let named = try await PreSendValidator(resolver: Fixtures.zoneResolver(), settingNames: Setting.Names { "<\($0)>" })
            .validate(try Self.request(keys: []))
        #expect(named.failures.first { $0.id == PreSendCheckID.dkimVerify }?.fix
            == "Sign it: give <signingDomain>, <signingSelector> and <signingKey> (drop <noSigning>).")
    }

    @Test func aDNSFailureIsIncompleteNeverMissing() async throws {
        let zone = try Fixtures.zoneResolver()
        let failing = ZoneResolver(
            records: zone.records, failures: [try DomainName("rsa._domainkey.sender.test"): .timeout,
                                              try DomainName("25.2.0.192.in-addr.arpa"): .serverFailure])
        let report = try await Self.validate(try Self.request(), resolver: failing)
        #expect(report.verdict == .incomplete)
        #expect(Set(report.checks(.incomplete).map(\.id)) == [PreSendCheckID.dkimVerify, PreSendCheckID.reverseDNS])
        #expect(report.failures.isEmpty)
        #expect(report.message == nil)
    }

    @Test func everyDNSQuestionRunsUnderTheDeadline() async throws {
        let silent = try SilentServer()
        // Without the deadline each question would wait 3 × 20 s. (The bound is loose because other
        // tests block the 2-thread cooperative pool with subprocesses; alone this takes ~0.8 s.)
        let resolver = LDNSResolver(.init(nameservers: [silent.nameserver], timeout: .seconds(20), attempts: 3))
        let start = ContinuousClock.now
        let report = try await PreSendValidator(resolver: resolver, timeout: .milliseconds(700)).validate(try Self.request())
        #expect(ContinuousClock.now - start < .seconds(20))
        #expect(report.verdict == .incomplete)
        #expect(report.message == nil)
    }

    @Test func requestsThatCannotBeCheckedThrow() throws {
        let message = try Fixtures.newsletter()
        #expect(throws: PreSendRequestError.self) { try PreSendRequest(message: message, mailFrom: "a@sender.test", egressIPs: []).validate() }
        #expect(throws: PreSendRequestError.self) { try PreSendRequest(message: message, mailFrom: "", egressIPs: [IPAddress("192.0.2.1")!]).validate() }
        #expect(throws: PreSendRequestError.self) { try PreSendRequest(message: message, mailFrom: "nobody", egressIPs: [IPAddress("192.0.2.1")!]).validate() }
        #expect(throws: PreSendRequestError.self) {
            try PreSendRequest(message: message, mailFrom: "a@sender.test", egressIPs: [IPAddress("192.0.2.1")!], helo: "localhost").validate()
        }
        try PreSendRequest(message: message, mailFrom: "<>", egressIPs: [IPAddress("192.0.2.1")!], helo: "mail.sender.test").validate()
    }

    @Test(arguments: [
        ("gmail.com", true), ("googlemail.com", true), ("yahoo.com", true), ("yahoo.co.jp", true), ("gmx.de", true),
        ("gmx.net", true), ("hotmail.co.uk", true), ("outlook.com", true), ("live.com", true), ("icloud.com", true),
        ("aol.com", true), ("proton.me", true), ("mail.yahoo.com", true), ("sender.test", false), ("example.com", false),
        ("gmail.example.com", false), ("mygmx.de", false),
    ])
    func freeMailDomains(domain: String, expected: Bool) throws {
        #expect(FreeMailDomains.default.contains(try DomainName(domain)) == expected, "\(domain)")
    }
}
