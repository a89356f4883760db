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

    /// Looks up the PTR names of each of `ips` and follows them forward until one confirms it;
    /// results in order. The lookups go out in batches:
    /// every PTR at once, then the first name of each address, then the second name of those not
    /// yet confirmed, and so on, so exactly the questions of checking one by one are asked.
    static func check(_ ips: [IPAddress], resolver: any DNSResolver) async -> [ForwardConfirmedReverseDNS] {
        let addresses = ips.map(\.unmapped)
        let reverseNames = addresses.map(\.reverseName)
        let pointers = await resolver.queryAll(reverseNames.map { DNSQuestion($0, .ptr) })
        var results: [ForwardConfirmedReverseDNS?] = Array(repeating: nil, count: addresses.count)
        var names: [[DomainName]] = Array(repeating: [], count: addresses.count)
        var evidence: [[String]] = Array(repeating: [], count: addresses.count)
        var failures: [DNSError?] = Array(repeating: nil, count: addresses.count)
        for (index, pointer) in pointers.enumerated() {
            let (address, reverse) = (addresses[index], reverseNames[index])
            switch pointer {
            case .failure(let error):
                results[index] = ForwardConfirmedReverseDNS(
                    address: address, outcome: .failed(error), names: [], evidence: ["\(reverse.fullyQualified) PTR: \(error)"])
            case .success(let response):
                names[index] = Array(response.names.prefix(maximumNames))
                guard response.outcome == .answer, !names[index].isEmpty else {
                    results[index] = ForwardConfirmedReverseDNS(
                        address: address, outcome: .noPTR(response.outcome), names: [],
                        evidence: ["\(reverse.fullyQualified) PTR: \(response.outcome.rawValue)"])
                    continue
                }
                evidence[index] = names[index].map { "\(reverse.fullyQualified) PTR \($0.fullyQualified)" }
            }
        }
        for round in 0..<maximumNames {
            let open = addresses.indices.filter { results[$0] == nil && round < names[$0].count }
            guard !open.isEmpty else { break }
            let forwardTypes = open.map { addresses[$0].isV4 ? RecordType.a : .aaaa }
            let answers = await resolver.queryAll(zip(open, forwardTypes).map { DNSQuestion(names[$0][round], $1) })
            for ((index, forwardType), answer) in zip(zip(open, forwardTypes), answers) {
                let name = names[index][round]
                switch answer {
                case .success(let forward):
                    let found = forward.addresses
                    evidence[index].append(
                        "\(name.fullyQualified) \(forwardType): "
                            + (found.isEmpty ? forward.outcome.rawValue : found.map(\.description).joined(separator: " ")))
                    if found.contains(addresses[index]) {
                        results[index] = ForwardConfirmedReverseDNS(
                            address: addresses[index], outcome: .confirmed(name), names: names[index], evidence: evidence[index])
                    }
                case .failure(let error):
                    failures[index] = error
                    evidence[index].append("\(name.fullyQualified): \(error)")
                }
            }
        }
        return addresses.indices.map { index in
            results[index] ?? ForwardConfirmedReverseDNS(
                address: addresses[index], outcome: failures[index].map { .failed($0) } ?? .notConfirmed,
                names: names[index], evidence: evidence[index])
        }
    }
}
