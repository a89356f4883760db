import DNSCore
import DNSLDNS
import Foundation
import TestSupport
import Testing

/// The resolver description of zone files appears in every report's header line.
@Suite struct ZoneFileDescriptionTests {
    static let directory = KnotServer.fixtures("audit/zones")

    static func files(_ count: Int) throws -> [String] {
        let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter { $0.hasSuffix(".zone") }.sorted()
        return names.prefix(count).map { directory + "/" + $0 }
    }

    @Test func aFewFilesAreAllNamed() throws {
        let resolver = try ZoneResolver(zoneFiles: try Self.files(2))
        let names = try Self.files(2).map { String($0.split(separator: "/").last!) }
        #expect(resolver.resolverDescription == "zone " + names.joined(separator: ", "))
    }

    @Test func manyFilesAreCountedNotListed() throws {
        let files = try Self.files(12)
        try #require(files.count == 12)
        let resolver = try ZoneResolver(zoneFiles: files)
        let first = files.prefix(3).map { String($0.split(separator: "/").last!) }
        #expect(resolver.resolverDescription == "zone " + first.joined(separator: ", ") + ", 9 more files")
    }
}
