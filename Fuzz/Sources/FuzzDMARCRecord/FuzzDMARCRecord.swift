import DMARC

/// DMARC record parser (RFC 9989 §4.7, RFC 7489 §6.4). The input is the TXT record text.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDMARCRecord(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: count), as: UTF8.self)
    _ = DMARCRecord.startsWithVersion(text)
    if let record = try? DMARCRecord.parse(text) {
        _ = String(describing: record)
    }
    return 0
}
