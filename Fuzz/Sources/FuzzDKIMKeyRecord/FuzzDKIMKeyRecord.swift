import DKIM

/// DKIM key record parser (RFC 6376 §3.6.1), its lint, and the public-key decoder (OpenSSL DER
/// parsing of `p=`), which reads bytes straight from a TXT record.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDKIMKeyRecord(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: count), as: UTF8.self)
    guard let record = try? DKIMKeyRecord.parse(text) else { return 0 }
    _ = DKIMKeyLint.findings(for: record)
    for algorithm in DKIMKeyAlgorithm.allCases {
        if let key = try? DKIMPublicKey(algorithm: algorithm, data: record.publicKeyData) { _ = key.bits }
    }
    return 0
}
