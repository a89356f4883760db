import DNSCore

/// Forward-confirmed reverse DNS ("iprev", RFC 8601 §3): a PTR name of the address, looked up
/// forward (A or AAAA), leads back to the same address. The audit checks it for MX hosts, the
/// pre-send gate for each egress IP.
struct ForwardConfirmedReverseDNS: Sendable {
    /// At most this many PTR names are followed forward (RFC 7208 §4.6.4 uses the same limit for `ptr`).
    static let maximumNames = 10

    enum Outcome: Sendable {
        /// This PTR name resolves back to the address.
        case confirmed(DomainName)
        /// No PTR record (the reverse name answered NXDOMAIN or NODATA).
        case noPTR(DNSResponse.Outcome)
        /// PTR names exist, none resolves back to the address.
        case notConfirmed
        /// A lookup failed and nothing confirmed the address: unknown, not missing.
        case failed(DNSError)
    }

    var address: IPAddress
    var outcome: Outcome
    /// The PTR names found (at most ``maximumNames``).
    var names: [DomainName]
    /// Each lookup and what it answered, for a report's evidence.
    var evidence: [String]

    /// Looks up the PTR names of `ip` and follows them forward until one confirms it.
    static func check(_ ip: IPAddress, resolver: any DNSResolver) async -> ForwardConfirmedReverseDNS {
        let address = ip.unmapped
        let reverse = address.reverseName
        let forwardType: RecordType = address.isV4 ? .a : .aaaa
        let response: DNSResponse
        do { response = try await resolver.query(reverse, .ptr) } catch {
            return ForwardConfirmedReverseDNS(address: address, outcome: .failed(error), names: [], evidence: ["\(reverse.fullyQualified) PTR: \(error)"])
        }
        let names = Array(response.names.prefix(maximumNames))
        guard response.outcome == .answer, !names.isEmpty else {
            return ForwardConfirmedReverseDNS(
                address: address, outcome: .noPTR(response.outcome), names: [],
                evidence: ["\(reverse.fullyQualified) PTR: \(response.outcome.rawValue)"])
        }
        var evidence = names.map { "\(reverse.fullyQualified) PTR \($0.fullyQualified)" }
        var failure: DNSError?
        for name in names {
            do {
                let forward = try await resolver.query(name, forwardType)
                let addresses = forward.addresses
                evidence.append(
                    "\(name.fullyQualified) \(forwardType): "
                        + (addresses.isEmpty ? forward.outcome.rawValue : addresses.map(\.description).joined(separator: " ")))
                if addresses.contains(address) {
                    return ForwardConfirmedReverseDNS(address: address, outcome: .confirmed(name), names: names, evidence: evidence)
                }
            } catch {
                failure = error
                evidence.append("\(name.fullyQualified): \(error)")
            }
        }
        let outcome: Outcome = failure.map { .failed($0) } ?? .notConfirmed
        return ForwardConfirmedReverseDNS(address: address, outcome: outcome, names: names, evidence: evidence)
    }
}
