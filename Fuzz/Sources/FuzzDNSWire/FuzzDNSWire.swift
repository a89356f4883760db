@_spi(Fuzzing) import DNSLDNS
import DNSCore

/// A DNS answer from wire bytes: `ldns_wire2pkt` and our conversion of the question, answer and
/// authority sections to Swift values (what LDNSResolver does with every UDP or TCP reply).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDNSWire(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: count))
    guard let reply = DNSLDNSFuzzing.parseReply(bytes) else { return 0 }
    for record in reply.answers + reply.authority {
        _ = record.name.fullyQualified
        if case .txt(let txt) = record.data { _ = txt.joined }
    }
    _ = reply.question?.description
    return 0
}
