import DNSCore
import MailAuthCore
import SPF

/// SPF macro-string parser and expander (RFC 7208 §7). The input is split at its first NUL: the
/// part before is the explanation text (explain-string, the widest macro grammar), the part after
/// supplies the sender and HELO values, so hostile values are expanded too.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSPFMacro(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: count)
    let split = bytes.firstIndex(of: 0) ?? count
    let text = String(decoding: bytes[..<split], as: UTF8.self)
    guard let macro = try? MacroString.parseExplanation(text) else { return 0 }
    var sender = "strong-bad@email.example.com"
    var helo = "mx.example.org"
    if split < count {
        let rest = String(decoding: bytes[(split + 1)...], as: UTF8.self)
        sender = rest
        helo = String(rest.reversed())
    }
    let at = sender.lastIndex(of: "@")
    let local = at.map { String(sender[..<$0]) } ?? "postmaster"
    let domain = at.map { String(sender[sender.index(after: $0)...]) } ?? sender
    for ip: IPAddress in [.v4(IPv4Address(0xC000_0203)), .v6(IPv6Address(octets: Array(0..<16))!)] {
        let values = MacroValues(
            sender: sender, localPart: local, senderDomain: domain, domain: domain, ip: ip, helo: helo,
            validatedName: helo, receiver: "mx.example.net", timestamp: Int(count))
        _ = macro.expand(values)
    }
    _ = macro.hasMacros
    _ = macro.literalValue
    return 0
}
