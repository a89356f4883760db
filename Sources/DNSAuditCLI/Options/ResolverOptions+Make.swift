import ArgumentParser
import DNSCore
import DNSLDNS
import Foundation

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

    /// `--zone` values with each directory expanded to the `*.zone` files in it.
    func zoneFiles() throws -> [String] {
        var files: [String] = []
        for path in zone {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw ValidationError("--zone \(path): no such file or directory")
            }
            if isDirectory.boolValue {
                let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
                let zones = names.filter { $0.hasSuffix(".zone") }.sorted().map { path + "/" + $0 }
                if zones.isEmpty { throw ValidationError("--zone \(path): the directory has no *.zone files") }
                files += zones
            } else {
                files.append(path)
            }
        }
        return files
    }

    /// Builds the uncached resolver: ldns on the network; with `--zone`, the zone files laid over
    /// it (names inside the files answered from them), or over nothing with `--offline`.
    func makeBaseResolver() throws -> any DNSResolver {
        if !zone.isEmpty {
            let zones: ZoneResolver
            do {
                zones = try ZoneResolver(zoneFiles: try zoneFiles())
            } catch let error as ValidationError {
                throw error
            } catch {
                throw ValidationError("--zone: \(error)")
            }
            return OverlayResolver(zones: zones, outside: offline ? nil : try makeNetworkResolver())
        }
        return try makeNetworkResolver()
    }

    /// The DNSSEC validator of the audit: with `--trust-anchor FILE`, or with `--dnssec` from
    /// dns-root-data's root key. `nil` with neither: the audit then reports the AD flag. With
    /// `--dnssec` and no root key installed, it says so on standard error and reports the AD
    /// flag, as `--dnssec` did before dnsaudit validated.
    func makeDNSSECValidator(base: any DNSResolver, trustAnchor: String?) throws -> DNSSECValidator? {
        guard dnssec || trustAnchor != nil else { return nil }
        let path = trustAnchor ?? DNSSECTrustAnchors.systemPath
        guard trustAnchor != nil || FileManager.default.fileExists(atPath: path) else {
            FileHandle.standardError.write(Data(
                ("dnsaudit: --dnssec: no trust anchor at \(path) (apt-get install dns-root-data, or --trust-anchor FILE); "
                    + "DNSSEC is reported from the resolver's AD flag only\n").utf8))
            return nil
        }
        let anchors: DNSSECTrustAnchors
        do {
            anchors = try DNSSECTrustAnchors(contentsOf: path)
        } catch {
            throw ValidationError("--trust-anchor \(error)")
        }
        guard let source = base as? any DNSSECMessageSource else { return nil }
        return DNSSECValidator(source: source, trustAnchors: anchors)
    }

    /// ldns asking `--nameserver`, or the servers of /etc/resolv.conf.
    private func makeNetworkResolver() throws -> LDNSResolver {
        let servers = try nameservers.isEmpty ? Nameserver.fromResolvConf() : parsedNameservers()
        return LDNSResolver(
            LDNSResolver.Configuration(
                nameservers: servers, timeout: questionTimeout, attempts: attempts, dnssecOK: dnssec))
    }
}
