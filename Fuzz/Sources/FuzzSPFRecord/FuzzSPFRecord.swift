import DNSCore
import MailAuthCore
import SPF

/// SPF record parser (RFC 7208 §4.6), its lint, and the macro expander on every domain-spec the
/// record holds. The input is the TXT record's bytes as they come off the wire.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSPFRecord(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: count))
    guard let record = try? SPFRecord.parse(bytes: bytes) else { return 0 }
    let domain = try! DomainName("example.com")
    _ = SPFLint.findings(for: record, domain: domain)
    _ = SPFLint.findings(forText: TXTData(strings: [bytes]), domain: domain)
    let values = [
        MacroValues(
            sender: "strong-bad@email.example.com", localPart: "strong-bad", senderDomain: "email.example.com",
            domain: "email.example.com", ip: .v4(IPv4Address(0xC000_0203)), helo: "mx.example.org"),
        MacroValues(
            sender: "a.b-c+d=e@x..y.", localPart: "a.b-c+d=e", senderDomain: "x..y.", domain: String(repeating: "l.", count: 200),
            ip: .v6(IPv6Address(octets: Array(repeating: 0xAB, count: 16))!), helo: ""),
    ]
    for term in record.terms {
        let spec: MacroString?
        switch term {
        case .directive(let directive): spec = directive.mechanism.domainSpec
        case .modifier(let modifier): spec = modifier.value
        }
        guard let spec else { continue }
        for value in values { _ = spec.expand(value) }
    }
    return 0
}
