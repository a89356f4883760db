import MailAuthCore
import Testing

@testable import SPF

/// Evaluations parse records through a shared cache; it must give what parsing gives.
@Suite struct SPFRecordCacheTests {
    @Test func givesTheParsersRecordsAndErrorsAndStaysBounded() throws {
        let good = Array("v=spf1 ip4:192.0.2.0/24 include:_spf.example.net -all".utf8)
        let bad = Array("v=spf1 ip4:192.0.2.0/33 -all".utf8)
        for _ in 0..<2 {
            #expect(try SPFRecordCache.parse(bytes: good) == (try SPFRecord.parse(bytes: good)))
            let cached = #expect(throws: SyntaxError.self) { try SPFRecordCache.parse(bytes: bad) }
            let direct = #expect(throws: SyntaxError.self) { try SPFRecord.parse(bytes: bad) }
            #expect(cached == direct)
        }
        // More distinct records than it holds: it starts over and stays correct.
        for index in 0..<(SPFRecordCache.capacity + 10) {
            let bytes = Array("v=spf1 ip4:10.0.\(index / 256).\(index % 256) -all".utf8)
            #expect(try SPFRecordCache.parse(bytes: bytes).text == String(decoding: bytes, as: UTF8.self))
            #expect(SPFRecordCache.count <= SPFRecordCache.capacity)
        }
        #expect(SPFRecordCache.count > 0)  // the records went through the cache
        #expect(try SPFRecordCache.parse(bytes: good) == (try SPFRecord.parse(bytes: good)))
    }
}
