import MessageAnalysis

/// Authentication-Results (RFC 8601) and ARC-Authentication-Results (RFC 8617 §4.1.1), read
/// leniently (Microsoft's fields without authserv-id).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzAuthenticationResults(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: count), as: UTF8.self)
    for arc in [false, true] {
        let results = AuthenticationResults(parsing: text, arc: arc)
        precondition(results.results.count <= AuthenticationResults.maximumResults, "more results than the limit")
        for result in results.results {
            precondition(result.method == result.method.lowercased(), "method not lower case")
            _ = result.property("header", "d")
        }
    }
    return 0
}
