import Testing

@testable import DNSAudit

@Suite struct ProviderTableTests {
    /// The DKIM check's provider table is constant text: every MX and SPF name in it must parse,
    /// or a provider would silently lose the names its selectors are found by.
    @Test func everyProviderNameParses() {
        for (provider, parsed) in zip(DKIMKeyCheck.providers, DKIMKeyCheck.providerNames) {
            #expect(parsed.mx.count == provider.mx.count, "\(provider.name): \(provider.mx)")
            #expect(parsed.spf.count == provider.spf.count, "\(provider.name): \(provider.spf)")
        }
    }
}
