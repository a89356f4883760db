@_spi(Fuzzing) import DNSLDNS
import DNSCore

/// Zone-file reading (RFC 1035 §5) through ldns' zone reader and our conversion of each record,
/// then an in-memory ZoneResolver over the records, as `--zone FILE` builds one.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzZoneFile(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: count))
    // ldns treats $INCLUDE as a directive; no file is opened for it, but keep the fuzzer from
    // wandering through the file system if that ever changes.
    if bytes.count >= 8, bytes.indices.dropLast(7).contains(where: { bytes[$0] == UInt8(ascii: "$") && (bytes[$0 + 1] | 0x20) == UInt8(ascii: "i") }) {
        return 0
    }
    guard let records = try? DNSLDNSFuzzing.readZone(bytes, origin: try! DomainName("example.test")) else { return 0 }
    let zone = ZoneResolver(records: records, description: "fuzz")
    for record in records.prefix(8) {
        _ = try? zone.answer(DNSQuestion(record.name, record.type))
        _ = try? zone.answer(DNSQuestion(record.name, .txt))
    }
    return 0
}
