import DKIM

/// DKIM-Signature header value parser (RFC 6376 §3.5). The input is the field's value.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDKIMSignature(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: count), as: UTF8.self)
    if let signature = try? DKIMSignature.parse(text) {
        _ = signature.identityDomain
        _ = String(describing: signature)
    }
    return 0
}
