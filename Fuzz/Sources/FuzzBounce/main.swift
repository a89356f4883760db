import MessageAnalysis

/// Bounces: the tolerant message and MIME reader (boundaries, base64, quoted-printable), RFC 3464
/// delivery-status fields, Gmail's fields in text, the plain-text fallbacks and the classifier.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzBounce(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: count)
    guard let report = try? BounceAnalyzer.parse(bytes) else { return 0 }
    for recipient in report.recipients {
        precondition(!recipient.classification.fix.isEmpty, "a recipient without a fix")
    }
    _ = try? report.jsonData()
    return 0
}
