import DNSAudit
import DNSCore
import MailAuthCore
import Testing
import Foundation
import TestSupport

/// The audit engine on in-memory zones (no server): selector discovery and the deadline.
@Suite struct AuditorTests {
    static func name(_ text: String) -> DomainName { try! DomainName(dnsName: text) }
    /// An RSA-2048 public key (openssl genrsa 2048).
    static let key = "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAkFgqwxeljObSFhFaY0itg1tQKCTODzH5VEKZKLAU7O2XjQIqDiygR9hbVLfCy9u1vpfhkP24uoID"
        + "MvVdxAb6PoiSTa5qhvLvmJOUdLN/U/pYopw/Nj+UnlA5N0kwh9wmAkNyi3AeBJ8BV/Ye2glncJ7iIPadHPnmDFgX10Kn7RuMH9O94Jr45zyqZvqZHlI7uddr"
        + "nV7RMXzy9QOjofPNryTJ2VHa1z0Qzy+/4bI9DaMnRKjcgI3LPkKkdRAlbUflm8QwVOvbWmdDxwfwDpyZ2glkQ0DvySn4E7LKAJTn8vV5fu8Umu/ImZ4GJMlQ"
        + "49STxqPpTyD9luo8uyXY75ffcwIDAQAB"

    func zone(_ extra: [ResourceRecord] = []) -> ZoneResolver {
        ZoneResolver(records: [
            ResourceRecord(name: Self.name("example.com"), data: .txt(TXTData(text: "v=spf1 include:sendgrid.net -all"))),
            ResourceRecord(name: Self.name("sendgrid.net"), data: .txt(TXTData(text: "v=spf1 ip4:198.51.100.0/24 -all"))),
            ResourceRecord(name: Self.name("_dmarc.example.com"), data: .txt(TXTData(text: "v=DMARC1; p=reject; rua=mailto:d@example.com"))),
        ] + extra)
    }

    @Test func findsAKeyAtASelectorInferredFromTheSPFProvider() async throws {
        // smtpapi is SendGrid's selector and not a common one: only the include of sendgrid.net leads there.
        let key = ResourceRecord(
            name: Self.name("smtpapi._domainkey.example.com"), data: .txt(TXTData(text: "v=DKIM1; k=rsa; p=\(Self.key)")))
        let report = await Auditor(resolver: zone([key])).audit(Self.name("example.com"))
        let dkim = try #require(report[.dkim])
        #expect(dkim.summary.contains("smtpapi"), "\(dkim.summary)")
        #expect(dkim.records.contains { $0.contains("(SendGrid)") }, "\(dkim.records)")
        #expect(!dkim.findings.contains { $0.id == "dkim.selector-unknown" })
        #expect(report.readiness.fromDNS.first { $0.id == "bulk.dkim" }?.state == .met)
    }

    @Test func aKeyAtAnUnknownSelectorIsUnknownNotMissing() async throws {
        let key = ResourceRecord(
            name: Self.name("x7f3._domainkey.example.com"), data: .txt(TXTData(text: "v=DKIM1; k=rsa; p=\(Self.key)")))
        let report = await Auditor(resolver: zone([key])).audit(Self.name("example.com"))
        let ids = Set(report[.dkim]?.findings.map(\.id) ?? [])
        #expect(ids.contains("dkim.selector-unknown"))
        #expect(!ids.contains("dkim.no-keys"))
        #expect(report.readiness.fromDNS.first { $0.id == "bulk.dkim" }?.state == .unknown)
        let found = await Auditor(resolver: zone([key]), options: .init(selectors: ["x7f3"])).audit(Self.name("example.com"))
        #expect(found[.dkim]?.summary.contains("x7f3") == true)
    }

    /// Advice points to the caller's settings in the caller's words: the Swift API's by default.
    @Test func adviceNamesTheSettingsAsTheCallerNamesThem() async throws {
        let key = ResourceRecord(
            name: Self.name("x7f3._domainkey.example.com"), data: .txt(TXTData(text: "v=DKIM1; k=rsa; p=\(Self.key)")))
        let unknown = await Auditor(resolver: zone([key])).audit(Self.name("example.com"))
        let fix = try #require(unknown[.dkim]?.findings.first { $0.id == "dkim.selector-unknown" }?.fix)
        #expect(fix.contains("`Auditor.Options.selectors`") && !fix.contains("--"), "\(fix)")
        let options = Auditor.Options(selectors: ["x7f3"], settingNames: Setting.Names { "<\($0)>" })
        let named = await Auditor(resolver: zone([key]), options: options).audit(Self.name("example.com"))
        #expect(named[.dkim]?.records.first?.hasSuffix("(<selector>)") == true, "\(named[.dkim]?.records ?? [])")
    }

    @Test func theDMARCAreaShowsEachNameTheWalkAskedAndWhatItGave() async throws {
        // mail.example.com exists (an A record) but has no _dmarc record of its own.
        let host = ResourceRecord(name: Self.name("mail.example.com"), data: .a(try #require(IPv4Address("192.0.2.1"))))
        let report = await Auditor(resolver: zone([host])).audit(Self.name("mail.example.com"))
        let records = try #require(report[.dmarc]).records
        #expect(records == [
            "RFC 9989 walk: _dmarc.mail.example.com: NXDOMAIN",
            "RFC 9989 walk: _dmarc.example.com: v=DMARC1; p=reject; rua=mailto:d@example.com",
            "RFC 9989 walk: _dmarc.com: NXDOMAIN",
        ])
    }

    @Test func anAuditThatCannotFinishIsIncompleteWithinItsDeadline() async throws {
        struct Hanging: DNSResolver {
            var resolverDescription: String { "hanging" }
            func query(_ question: DNSQuestion) async throws(DNSError) -> DNSResponse {
                try? await Task.sleep(for: .seconds(3600))
                throw DNSError(.timeout, question: question)
            }
        }
        let started = ContinuousClock.now
        let report = await Auditor(resolver: Hanging(), options: .init(deadline: .milliseconds(300))).audit(Self.name("example.com"))
        #expect(ContinuousClock.now - started < .seconds(30), "bounded by the deadline, not the hanging resolver")
        #expect(report.status == .incomplete)
        #expect(report.isIncomplete)
        #expect(!report.findings.contains { ["spf.no-record", "dmarc.no-record", "dkim.no-keys", "mx.none"].contains($0.id) })
    }

    /// Every area opens with one question; those go down as one batch, and a failed one is
    /// handed to its area instead of being asked again (a dead server is not waited for twice).
    @Test func theOpeningQuestionsGoDownAsOneBatchAndAFailureIsNotAskedAgain() async throws {
        let names = ["example.com", "_dmarc.example.com", "_domainkey.example.com", "_mta-sts.example.com",
                     "_smtp._tls.example.com", "default._bimi.example.com"]
        let recorder = RecordingResolver(ZoneResolver(records: [], failures: Dictionary(uniqueKeysWithValues: names.map { (Self.name($0), .serverFailure) })))
        let report = await Auditor(resolver: recorder).audit(Self.name("example.com"))
        #expect(report.status == .incomplete)
        let opening = Set([DNSQuestion(Self.name("example.com"), .txt), DNSQuestion(Self.name("example.com"), .mx),
                           DNSQuestion(Self.name("example.com"), .soa)]
                          + names.dropFirst().map { DNSQuestion(Self.name($0), .txt) })
        #expect(recorder.batches.first.map(Set.init) == opening)
        // Asked by one area each (the SPF and DMARC evaluations may ask theirs again, as before).
        let single = [DNSQuestion(Self.name("example.com"), .mx), DNSQuestion(Self.name("example.com"), .soa)]
            + names.dropFirst(2).map { DNSQuestion(Self.name($0), .txt) }
        for question in single {
            #expect(recorder.count(of: question) == 1, "\(question)")
        }
    }

    /// Forward-confirmed reverse DNS of the MX addresses, checked in batches: each PTR name is
    /// followed until one leads back, and no name after it is asked.
    @Test func eachMXAddressIsConfirmedByTheFirstPTRNameLeadingBack() async throws {
        func ptr(_ octet: Int, _ targets: [String]) -> [ResourceRecord] {
            targets.map { ResourceRecord(name: Self.name("\(octet).2.0.192.in-addr.arpa"), data: .ptr(Self.name($0))) }
        }
        func a(_ host: String, _ address: String) -> ResourceRecord {
            ResourceRecord(name: Self.name(host), data: .a(IPv4Address(address)!))
        }
        let records = [
            ResourceRecord(name: Self.name("example.com"), data: .mx(preference: 10, exchange: Self.name("mx1.example.com"))),
            ResourceRecord(name: Self.name("example.com"), data: .mx(preference: 20, exchange: Self.name("mx2.example.com"))),
            ResourceRecord(name: Self.name("example.com"), data: .mx(preference: 30, exchange: Self.name("mx3.example.com"))),
            a("mx1.example.com", "192.0.2.1"), a("mx2.example.com", "192.0.2.2"), a("mx3.example.com", "192.0.2.3"),
            a("elsewhere.example.net", "198.51.100.9"), a("after.example.net", "192.0.2.1"),
        ] + ptr(1, ["elsewhere.example.net", "mx1.example.com", "after.example.net"]) + ptr(2, ["mx2.example.com"])
            + ptr(3, ["elsewhere.example.net", "nowhere.example.net"])
        let recorder = RecordingResolver(ZoneResolver(records: records))
        let report = await Auditor(resolver: recorder).audit(Self.name("example.com"))
        let mx = try #require(report[.mx])
        #expect(mx.records.contains("192.0.2.1 PTR mx1.example.com"), "\(mx.records)")
        #expect(mx.records.contains("192.0.2.2 PTR mx2.example.com"), "\(mx.records)")
        let mismatch = try #require(mx.findings.first { $0.id == "mx.fcrdns-mismatch" })
        #expect(mismatch.detail.contains("192.0.2.3 → elsewhere.example.net, nowhere.example.net"), "\(mismatch.detail)")
        #expect(!mismatch.detail.contains("192.0.2.1"))
        #expect(recorder.count(of: DNSQuestion(Self.name("after.example.net"), .a)) == 0)
        #expect(recorder.count(of: DNSQuestion(Self.name("nowhere.example.net"), .a)) == 1)
    }
}

/// ``AuditReport/verdict(failingAt:)``: what the CLI's exit status is made of.
@Suite struct AuditVerdictTests {
    static func finding(_ id: String, _ severity: Severity) -> Finding {
        Finding(id: id, severity: severity, title: id, detail: "")
    }

    /// A real report of an empty zone, its areas replaced.
    static func report(_ areas: [AreaReport]) async -> AuditReport {
        var report = await Auditor(resolver: ZoneResolver(records: [])).audit(AuditorTests.name("example.com"))
        report.areas = areas
        return report
    }

    @Test func findingsAtOrAboveTheThresholdFail() async {
        let report = await Self.report([AreaReport(area: .spf, summary: "", findings: [Self.finding("spf.no-all", .warning)])])
        #expect(report.verdict(failingAt: .error) == .pass)
        #expect(report.verdict(failingAt: .warning) == .fail)
        #expect(report.verdict(failingAt: .info) == .fail)
    }

    @Test func anAreaThatCouldNotBeCheckedMakesItIncompleteEvenWithErrors() async {
        let report = await Self.report([
            AreaReport(area: .spf, summary: "", findings: [Self.finding("spf.all-pass", .error)]),
            AreaReport(area: .mx, status: .incomplete, summary: "", findings: [Self.finding("mx.incomplete", .warning)]),
        ])
        #expect(report.verdict(failingAt: .error) == .incomplete)
    }

    @Test func theCouldNotBeCheckedFindingItselfNeverFails() async {
        // DKIM found a key, so the area finished, but one selector's lookup failed.
        let report = await Self.report([AreaReport(area: .dkim, summary: "", findings: [Self.finding("dkim.incomplete", .warning)])])
        #expect(report.verdict(failingAt: .warning) == .pass)
        #expect(report.verdict(failingAt: .info) == .pass)
    }
}

/// docs/findings.md is the reference for the stable ids: it must list exactly the catalog's.
@Suite struct FindingsDocumentationTests {
    @Test func theFindingsTableListsExactlyTheCatalogIds() throws {
        let path = KnotServer.fixtures("../../docs/findings.md")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        // Table rows start with the id in backticks: | `spf.lookup-limit` | error | …
        let documented = Set(text.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("| `"), let end = line.dropFirst(3).firstIndex(of: "`") else { return nil }
            return String(line[line.index(line.startIndex, offsetBy: 3)..<end])
        })
        let catalog = Set(FindingCatalog.all)
        #expect(documented.subtracting(catalog).isEmpty, "documented but not in the catalog: \(documented.subtracting(catalog).sorted())")
        #expect(catalog.subtracting(documented).isEmpty, "in the catalog but not documented: \(catalog.subtracting(documented).sorted())")
    }
}
