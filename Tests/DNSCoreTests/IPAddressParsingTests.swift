import DNSCore
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// ``IPv4Address``'s parser against glibc's `inet_pton(AF_INET)`, which takes exactly the
/// dotted-decimal form of RFC 7208 §4.6.1's ip4-network: four parts, no leading zeros, each at
/// most 255.
@Suite struct IPAddressParsingTests {
    static func system(_ text: String) -> UInt32? {
        var address = in_addr()
        guard inet_pton(AF_INET, text, &address) == 1 else { return nil }
        return UInt32(bigEndian: address.s_addr)
    }

    @Test(arguments: [
        "192.0.2.1", "0.0.0.0", "255.255.255.255", "10.0.0.255", "1.2.3", "1.2.3.4.5", "01.2.3.4", "1.2.3.04", "1.2.3.256",
        "1.2.3.0", "1..3.4", ".1.2.3", "1.2.3.", "1.2.3.4 ", " 1.2.3.4", "1.2.3.-4", "1.2.3.+4", "1.2.3.4/24", "0x1.2.3.4",
        "１.2.3.4", "1.2.3.٤", "", "....", "999.1.1.1", "1.2.3.1000", "00.0.0.0", "0.0.0.00",
    ])
    func agreesWithInetPton(_ text: String) {
        #expect(IPv4Address(text)?.value == Self.system(text), "\(text.debugDescription)")
    }

    @Test func agreesWithInetPtonOnRandomDottedStrings() {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("0123456789.".utf8) + [UInt8(ascii: "a"), 0x20]
        for _ in 0..<20_000 {
            let length = Int.random(in: 0...16, using: &generator)
            let text = String(decoding: (0..<length).map { _ in alphabet.randomElement(using: &generator) ?? 0x30 }, as: UTF8.self)
            #expect(IPv4Address(text)?.value == Self.system(text), "\(text.debugDescription)")
        }
    }
}
