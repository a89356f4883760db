import DKIM

/// RFC 5322 message parser as DKIM reads it, then what the signer and verifier do with a parsed
/// message: header and body canonicalization (both algorithms), From validation, re-serialization.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMailMessage(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: count)
    guard let message = try? MailMessage(parsing: bytes) else { return 0 }
    _ = try? message.validateFromField()
    for field in message.header {
        _ = Canonicalization.relaxed.canonicalize(field)
        _ = Canonicalization.simple.canonicalize(field)
        _ = field.valueText
    }
    _ = message.fields(named: "dkim-signature")
    for algorithm in Canonicalization.allCases {
        _ = BodyCanonicalizer.canonicalize(message.body, algorithm)
        let hasher = BodyHasher(algorithm, limit: count / 2)
        hasher.update(message.body)
        _ = hasher.finish()
    }
    // Round trip: the bytes of a parsed message parse again to the same message.
    let again = try? MailMessage(parsing: message.bytes)
    precondition(again?.header.count == message.header.count, "re-parsing changed the header")
    precondition(again?.body == message.body, "re-parsing changed the body")
    return 0
}
