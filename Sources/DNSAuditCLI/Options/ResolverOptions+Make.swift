import ArgumentParser
import DNSCore

extension ResolverOptions {
    /// Builds the uncached resolver. (Filled in with LDNSResolver and zone files by the DNS work.)
    func makeBaseResolver() throws -> any DNSResolver {
        throw ValidationError("no resolver is available yet")
    }
}
