import DNSAudit
import DNSCore
import DNSLDNS
import Foundation
import TestSupport
import Testing

@testable import DNSAuditCLI

/// `--format jsonl` writes reports with CompactJSONEncoder; its bytes must be Foundation's.
@Suite struct CompactJSONEncoderTests {
    static func foundation(_ value: some Encodable) throws -> String {
        String(decoding: try JSONEncoder.dnsaudit(pretty: false).encode(value), as: UTF8.self)
    }

    static func compact(_ value: some Encodable) throws -> String {
        String(decoding: try CompactJSONEncoder().encode(value), as: UTF8.self)
    }

    /// Every scenario domain of the end-to-end tests and the hostile zone (control bytes, long
    /// names, 64 KB TXT), audited offline: same bytes from both encoders.
    @Test func auditReportsMatchFoundationByteForByte() async throws {
        let directories = [KnotServer.fixtures("audit/zones"), KnotServer.fixtures("hostile")]
        var files: [String] = []
        for directory in directories {
            files += try FileManager.default.contentsOfDirectory(atPath: directory)
                .filter { $0.hasSuffix(".zone") }.sorted().map { directory + "/" + $0 }
        }
        let zone = try ZoneResolver(zoneFiles: files)
        let auditor = Auditor(resolver: zone, options: .init(deadline: .seconds(10)))
        let domains = Set(zone.records.filter { $0.type == .soa }.map(\.name))
        try #require(domains.count > 30)
        for domain in domains.sorted() {
            let report = await auditor.audit(domain)
            #expect(try Self.compact(report) == (try Self.foundation(report)), "\(domain)")
        }
    }

    struct Sample: Codable {
        struct Inner: Codable {
            var flag: Bool
            var list: [Int]
        }
        enum Kind: String, Codable { case one, two }
        var text: String
        var optional: String?
        var missing: Int?
        var numbers: [Int64]
        var unsigned: UInt16
        var inner: Inner
        var empty: [String]
        var emptyObject: [String: Int]
        var kinds: [Kind]
        var nested: [[String: [Int]]]
        var zebra = 1
        var Zebra = 2
        var aardvark = 3
    }

    /// Every escape JSONEncoder writes, keys whose order depends on case, nesting and nil.
    @Test func escapesNestingAndKeyOrderMatchFoundation() throws {
        let controls = String((0..<32).map { Character(Unicode.Scalar(UInt8($0))) })
        let sample = Sample(
            text: "quote \" backslash \\ slash / é 😀 \u{7F}" + controls, optional: "x", missing: nil,
            numbers: [-9_223_372_036_854_775_808, 0, 42], unsigned: 65_535, inner: .init(flag: false, list: []),
            empty: [], emptyObject: [:], kinds: [.one, .two], nested: [["b": [1], "a": [], "B": [2]]])
        #expect(try Self.compact(sample) == (try Self.foundation(sample)))
    }

    @Test func floatingPointIsLeftToFoundation() {
        #expect(throws: CompactJSONEncoder.Unsupported.self) { try CompactJSONEncoder().encode([1.5]) }
    }
}
