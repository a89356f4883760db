import DNSCore
import Testing

/// `OverlayResolver` as an evaluator-level unit: in-memory zones on both sides (the CLI tests
/// run the same seam against Knot).
@Suite struct OverlayResolverTests {
    static func soa(_ apex: String) -> ResourceRecord {
        ResourceRecord(name: name(apex), ttl: 300, data: .soa(SOAData(
            primary: name("ns." + apex), mailbox: name("h." + apex), serial: 1, refresh: 1, retry: 1, expire: 1, minimum: 60)))
    }

    /// The user's zone, not yet published.
    let files = ZoneResolver(records: [
        soa("shop.test"),
        ResourceRecord(name: name("s1._domainkey.shop.test"), data: .cname(name("s1.dkim.provider.test"))),
        ResourceRecord(name: name("shop.test"), data: .txt(TXTData(text: "v=spf1 include:_spf.provider.test -all"))),
    ], description: "zone shop.test.zone")
    /// The live provider.
    let network = ZoneResolver(records: [
        soa("provider.test"),
        ResourceRecord(name: name("s1.dkim.provider.test"), data: .txt(TXTData(text: "v=DKIM1; p=abc"))),
        ResourceRecord(name: name("_spf.provider.test"), data: .txt(TXTData(text: "v=spf1 -all"))),
    ], description: "network")

    @Test func answersNamesInsideTheFilesFromThemAndTheRestFromOutside() async throws {
        let overlay = OverlayResolver(zones: files, outside: network)
        #expect(try await overlay.query(name("shop.test"), .txt).server == "zone shop.test.zone")
        #expect(try await overlay.query(name("missing.shop.test"), .txt).outcome == .nxdomain, "the files are authoritative")
        let provider = try await overlay.query(name("_spf.provider.test"), .txt)
        #expect(provider.outcome == .answer && provider.server == "network")
    }

    @Test func followsACNAMEOutOfTheFilesAndKeepsTheWholeChain() async throws {
        let overlay = OverlayResolver(zones: files, outside: network)
        let response = try await overlay.query(name("s1._domainkey.shop.test"), .txt)
        #expect(response.outcome == .answer)
        #expect(response.question == DNSQuestion(name("s1._domainkey.shop.test"), .txt))
        #expect(response.cnameChain == [name("s1.dkim.provider.test")])
        #expect(response.txt.first?.joined == "v=DKIM1; p=abc")
    }

    @Test func offlineFailsNamesOutsideTheFilesInsteadOfCallingThemMissing() async throws {
        let overlay = OverlayResolver(zones: files, outside: nil)
        let outside = DNSQuestion(name("_spf.provider.test"), .txt)
        let error = await #expect(throws: DNSError.self) { try await overlay.query(outside) }
        #expect(error?.kind == .outsideZoneData)
        #expect(error?.question == outside)
        // A CNAME out of the zones: the error names the target that was not asked, and the chain.
        let aliased = await #expect(throws: DNSError.self) {
            try await overlay.query(DNSQuestion(name("s1._domainkey.shop.test"), .txt))
        }
        #expect(aliased?.kind == .outsideZoneData)
        #expect(aliased?.question == DNSQuestion(name("s1.dkim.provider.test"), .txt))
        #expect(aliased?.detail.contains("s1._domainkey.shop.test") == true)
        let batch = await overlay.queryAll([DNSQuestion(name("shop.test"), .txt), DNSQuestion(name("x.provider.test"), .a)])
        #expect((try? batch[0].get())?.outcome == .answer)
        #expect(throws: DNSError.self) { try batch[1].get() }
    }

    @Test func aBatchSlotNoStepFilledIsANamedFailure() {
        let question = DNSQuestion(name("example.com"), .a)
        let results = BatchResults([question]).inOrder
        #expect(throws: DNSError.self) { try results[0].get() }
        if case .failure(let error) = results[0] { #expect(error.kind == .unanswered && error.question == question) }
    }
}
