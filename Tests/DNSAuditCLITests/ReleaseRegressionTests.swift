import DNSCore
import Foundation
import TestSupport
import Testing

/// The DNS shapes that crashed the release binary or were misread, each audited by the binary
/// (`.ci/run` points `DNSAUDIT_BIN` at the release build) against Knot on loopback serving
/// Tests/Fixtures/regressions/zones. `b.test` plays the provider that the other zones' CNAMEs
/// point into; `test.` and `in-addr.arpa.` are served too, so no question is refused by accident.
@Suite("Release regressions: provider CNAMEs, truncation, referrals", .serialized)
struct ReleaseRegressionTests {
    static let zones = KnotServer.fixtures("regressions/zones")

    static func audit(_ domain: String, _ server: KnotServer) async throws -> (CLIRunner.Result, [String: Any]) {
        try await audit(domain, port: server.port)
    }

    static func audit(_ domain: String, port: UInt16) async throws -> (CLIRunner.Result, [String: Any]) {
        let result = try await CLIRunner.run(
            [domain, "--nameserver", "127.0.0.1:\(port)", "--format", "json", "--timeout", "2", "--no-probe"])
        let report = (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8))) as? [String: Any] ?? [:]
        return (result, report)
    }

    static func findings(_ report: [String: Any]) -> [[String: Any]] {
        (report["areas"] as? [[String: Any]] ?? []).flatMap { $0["findings"] as? [[String: Any]] ?? [] }
    }

    static func ids(_ report: [String: Any]) -> Set<String> {
        Set(findings(report).compactMap { $0["id"] as? String })
    }

    static func incompleteIDs(_ report: [String: Any]) -> [String] {
        ids(report).filter { $0.hasSuffix(".incomplete") || $0.hasSuffix(".dns-failure") }.sorted()
    }

    /// Issue 13's reproduction: `MX 10 mail.a.test.` with `mail CNAME mx1.b.test.`.
    @Test func anMXHostThatIsACNAMEIntoAnotherZoneGivesAFullReport() async throws {
        try await KnotServer.with(zoneDirectory: Self.zones) { server in
            let (result, report) = try await Self.audit("a.test", server)
            #expect(result.status == 1, "exit \(result.status): \(result.stderr.suffix(600))")
            #expect(Self.incompleteIDs(report).isEmpty, "\(Self.incompleteIDs(report))")
            let ids = Self.ids(report)
            #expect(ids.contains("mx.target-cname"))
            #expect(ids.contains("dkim.no-keys"), "a.test publishes no key, an error: hence exit 1")
            #expect(!ids.contains("mx.target-no-address"), "the CNAME's target has an address")
        }
    }

    @Test func aSelectorAndADMARCRecordCNAMEdToAProviderAreFound() async throws {
        try await KnotServer.with(zoneDirectory: Self.zones) { server in
            let (result, report) = try await Self.audit("c.test", server)
            #expect(result.status == 0, "exit \(result.status): \(Self.ids(report).sorted()) \(result.stderr.suffix(600))")
            #expect(Self.incompleteIDs(report).isEmpty, "\(Self.incompleteIDs(report))")
            let ids = Self.ids(report)
            for wrong in ["dkim.no-keys", "dkim.selector-unknown", "dmarc.no-record", "spf.include-no-record", "mx.target-no-address"] {
                #expect(!ids.contains(wrong), "\(wrong) reported for c.test")
            }
            let dkim = (report["areas"] as? [[String: Any]] ?? []).first { $0["area"] as? String == "dkim" }
            #expect("\(dkim ?? [:])".contains("s1"), "the CNAME'd selector s1 is listed: \(dkim ?? [:])")
            let dmarc = (report["areas"] as? [[String: Any]] ?? []).first { $0["area"] as? String == "dmarc" }
            #expect("\(dmarc ?? [:])".contains("p=reject"), "\(dmarc ?? [:])")
        }
    }

    @Test func anApexTXTSetThatOnlyFitsOverTCPIsReadInsideTheOpeningBatch() async throws {
        try await KnotServer.with(zoneDirectory: Self.zones) { server in
            // The batch's UDP reply is truncated each time; run it a few times, as the crash
            // depended on which reply arrived first.
            for _ in 0..<3 {
                let (result, report) = try await Self.audit("big.test", server)
                #expect(result.status == 0, "exit \(result.status): \(Self.ids(report).sorted()) \(result.stderr.suffix(600))")
                #expect(Self.incompleteIDs(report).isEmpty, "\(Self.incompleteIDs(report))")
                #expect(!Self.ids(report).contains("spf.no-record"))
            }
        }
    }

    /// The same shapes through Unbound recursing from the (fake) root to Knot, as deployed: the
    /// truncated apex TXT set crashed the release binary there too.
    @Test func theProviderAndTruncationShapesThroughARecursiveResolver() async throws {
        try await KnotServer.with(zoneDirectory: Self.zones) { server in
            try await UnboundServer.with(recursingTo: server, probe: try DomainName("b.test")) { unbound in
                for (domain, exit) in [("a.test", Int32(1)), ("c.test", 0), ("big.test", 0)] {
                    let (result, report) = try await Self.audit(domain, port: unbound.port)
                    #expect(result.status == exit, "\(domain): exit \(result.status) \(Self.ids(report).sorted())")
                    #expect(Self.incompleteIDs(report).isEmpty, "\(domain): \(Self.incompleteIDs(report))")
                }
            }
        }
    }

    /// A referral is not an answer: the DMARC part is incomplete, never "no DMARC record".
    @Test func aLameDelegationIsIncompleteNotMissing() async throws {
        try await KnotServer.with(zoneDirectory: Self.zones) { server in
            let (result, report) = try await Self.audit("ref.test", server)
            #expect(result.status == 2, "exit \(result.status): \(Self.ids(report).sorted())")
            let ids = Self.ids(report)
            #expect(ids.contains("dmarc.dns-failure"), "\(ids.sorted())")
            #expect(!ids.contains("dmarc.no-record"))
            #expect(result.stdout.contains("referral"), "the report names the referral")
        }
    }
}
