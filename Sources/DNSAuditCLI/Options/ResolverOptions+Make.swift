import ArgumentParser
import DNSCore
import DNSLDNS
import Foundation

extension ResolverOptions {
    /// The parsed `--nameserver` values (a usage error names the bad one). A host name
    /// (`ns1.example.net`, `localhost:5353`) is looked up once, as dig and drill do, through the
    /// system's resolver (getaddrinfo: /etc/hosts, then DNS), and each address it has is asked.
    func parsedNameservers() throws -> [Nameserver] {
        try nameservers.flatMap { text -> [Nameserver] in
            if let server = Nameserver(text) { return [server] }
            let parts = text.split(separator: ":", omittingEmptySubsequences: false)
            let port = parts.count == 2 ? UInt16(parts[1]) : 53
            // Digits and dots only (300.1.1.1) is a mistyped address, not a host name.
            let looksNumeric = parts[0].allSatisfy { $0.isNumber || $0 == "." }
            guard parts.count <= 2, !looksNumeric, let port, port > 0, let host = try? DomainName(String(parts[0])) else {
                throw ValidationError(
                    "--nameserver \(text.debugDescription) is not an IP address, IP:PORT ([IPv6]:PORT) or a host name[:PORT]")
            }
            let addresses = try HostLookup.addresses(of: host.description)
            return addresses.map { Nameserver($0, port: port) }
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

/// A host name's addresses from the system resolver (`getaddrinfo`), for `--nameserver HOST`.
enum HostLookup {
    static func addresses(of host: String) throws -> [IPAddress] {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_DGRAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>? = nil
        let status = getaddrinfo(host, nil, &hints, &list)
        defer { if let list { freeaddrinfo(list) } }
        guard status == 0 else {
            throw ValidationError("--nameserver \(host): the host name does not resolve (\(String(cString: gai_strerror(status))))")
        }
        var addresses: [IPAddress] = []
        var cursor = list
        while let entry = cursor?.pointee {
            var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
            if let address = entry.ai_addr {
                let text: String?
                switch entry.ai_family {
                case AF_INET:
                    text = address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                        var raw = pointer.pointee.sin_addr
                        return inet_ntop(AF_INET, &raw, &buffer, socklen_t(buffer.count)).map { String(cString: $0) }
                    }
                case AF_INET6:
                    text = address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                        var raw = pointer.pointee.sin6_addr
                        return inet_ntop(AF_INET6, &raw, &buffer, socklen_t(buffer.count)).map { String(cString: $0) }
                    }
                default: text = nil
                }
                if let text, let parsed = IPAddress(text), !addresses.contains(parsed) { addresses.append(parsed) }
            }
            cursor = entry.ai_next
        }
        guard !addresses.isEmpty else { throw ValidationError("--nameserver \(host): the host name has no address") }
        return addresses
    }
}
