import ArgumentParser
import DNSCore
import DNSLDNS

extension ResolverOptions {
    /// The parsed `--nameserver` values (a usage error names the bad one).
    func parsedNameservers() throws -> [Nameserver] {
        try nameservers.map { text in
            guard let server = Nameserver(text) else {
                throw ValidationError("--nameserver \(text.debugDescription) is not an IP address or IP:PORT ([IPv6]:PORT)")
            }
            return server
        }
    }

    /// Builds the uncached resolver: zone files when `--zone` is given, else ldns on the network.
    func makeBaseResolver() throws -> any DNSResolver {
        if !zone.isEmpty {
            do {
                return try ZoneResolver(zoneFiles: zone)
            } catch {
                throw ValidationError("--zone: \(error)")
            }
        }
        let servers = try nameservers.isEmpty ? Nameserver.fromResolvConf() : parsedNameservers()
        return LDNSResolver(
            LDNSResolver.Configuration(
                nameservers: servers, timeout: .milliseconds(Int(timeout * 1000)), attempts: attempts, dnssecOK: dnssec))
    }
}
