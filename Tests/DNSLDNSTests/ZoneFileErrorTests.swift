import DNSCore
import Foundation
import Testing

@testable import DNSLDNS

/// A zone file ldns cannot read gets an error that names the file, the line and the fix.
@Suite struct ZoneFileErrorTests {
    static func error(reading body: String) throws -> ZoneFileError? {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("bad-\(UUID()).test.zone").path
        try ("$ORIGIN bad.test.\n$TTL 300\n@ SOA ns h 1 3600 600 86400 300\n" + body).write(
            toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            _ = try ZoneResolver(zoneFiles: [path])
            return nil
        } catch {
            return error
        }
    }

    @Test(arguments: [
        ("@ TXT \"" + String(repeating: "a", count: 300) + "\"\n", ["TXT string of 300 bytes", "several quoted strings"]),
        ("www 300 IN BOGUS 1.2.3.4\n", ["\"BOGUS\" is not a record type"]),
        ("@ A 300.1.1.1\n", ["IPv4 address", "\"300.1.1.1\""]),
        ("@ AAAA 2001:db8::zz\n", ["IPv6 address"]),
        ("@ MX ten mail\n", ["preference", "\"ten\""]),
    ])
    func namesTheLineAndTheFix(line: String, words: [String]) throws {
        let error = try #require(try Self.error(reading: "ns A 127.0.0.1\n" + line))
        #expect(error.line == 5, "\(error)")
        #expect(error.description.contains(".test.zone:5: "), "\(error)")
        for word in words { #expect(error.message.contains(word), "\(error.message)") }
    }

    @Test func countsEscapesAsOneByteAndQuotedStringsAsOneToken() {
        let fields = ZoneFileHint.fields(of: #"@ TXT "a\"b" "\059x" ; comment "not a token""#)
        #expect(fields.tokens == ["@", "TXT", #""a\"b""#, #""\059x""#])
        #expect(fields.quoted == [3, 2])
        #expect(!fields.unbalanced)
        #expect(ZoneFileHint.fields(of: #"@ TXT "open"#).unbalanced)
    }

    @Test func aLongStringSplitInTwoIsRead() throws {
        let half = String(repeating: "b", count: 200)
        #expect(try Self.error(reading: "@ TXT \"\(half)\" \"\(half)\"\n") == nil)
    }
}
