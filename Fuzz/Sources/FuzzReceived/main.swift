import MessageAnalysis

/// The Received parser (RFC 5321 §4.4, with SendGrid's, Exchange's and others' deviations), the
/// date reader, the chain's delays, and the tolerant header reader that feeds them.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzReceived(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: count)
    let text = String(decoding: bytes, as: UTF8.self)
    let field = ReceivedField(parsing: text)
    if let date = field.date { precondition(date.timeIntervalSince1970.isFinite, "a date that is not finite") }
    _ = MailDate.parse(text)
    // As a header block: every line a Received field.
    if let message = try? MessageText(parsing: bytes) {
        let chain = ReceivedChain(message: message)
        precondition(chain.hops.count == message.values("Received").count, "a Received field was lost")
        for hop in chain.hops where hop.delay == .clockSkew { precondition((hop.delaySeconds ?? 0) < 0) }
    }
    return 0
}
