import MailAuthCore

/// The shared `tag=value` list parser (RFC 6376 §3.2) under both of its grammars.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzTagList(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: data, count: count), as: UTF8.self)
    for allowEmpty in [true, false] {
        guard let list = try? TagList.parse(text, allowEmptySpecs: allowEmpty) else { continue }
        _ = list.duplicates
        _ = list.first(caseInsensitive: "V")
        _ = list["p"]
    }
    return 0
}
