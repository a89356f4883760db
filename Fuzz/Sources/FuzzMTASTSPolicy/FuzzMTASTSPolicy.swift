import DNSAudit
import DNSCore

/// MTA-STS policy files (RFC 8461 §3.2), read from bytes an HTTPS server sends, and the MX
/// matching of §4.1 against names the policy itself names.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMTASTSPolicy(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let policy = MTASTSPolicy(parsing: Array(UnsafeBufferPointer(start: data, count: count)))
    var hosts: [DomainName] = []
    for pattern in policy.mx {
        let plain = pattern.hasPrefix("*.") ? "mx." + pattern.dropFirst(2) : pattern
        if let host = try? DomainName(plain) { hosts.append(host) }
    }
    _ = policy.uncovered(hosts)
    _ = MTASTSPolicy.idUnchanged(previousID: "1", previousPolicy: policy, currentID: "1", currentPolicy: policy)
    return 0
}
