import Foundation
import Testing

@testable import DNSAuditCLI

/// The bulk input's pieces on their own: the chunked line reader (line ends split across chunks,
/// a BOM, an overlong line, bytes that are not UTF-8) and the window of recent names.
@Suite struct DomainListTests {
    /// The lines `bytes` reads as, through a file.
    static func lines(_ bytes: [UInt8]) throws -> [String] {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("dnsaudit-list-\(UUID().uuidString.prefix(8))").path
        #expect(FileManager.default.createFile(atPath: path, contents: Data(bytes)))
        defer { try? FileManager.default.removeItem(atPath: path) }
        let descriptor = open(path, O_RDONLY)
        #expect(descriptor >= 0)
        defer { close(descriptor) }
        return DomainList(source: "test", descriptor: descriptor).map { line in
            switch line.content {
            case .text(let text): "\(line.number):\(text)"
            case .unreadable(let problem): "\(line.number)!\(problem)"
            }
        }
    }

    @Test func lineEndsOfEveryKindAndABOM() throws {
        let text = Array("\u{FEFF}a.example\r\nb.example\rc.example\nd.example".utf8)
        #expect(try Self.lines(text) == ["1:a.example", "2:b.example", "3:c.example", "4:d.example"])
    }

    /// A CRLF whose CR ends one 64 KiB chunk and whose LF starts the next is one line end.
    @Test func aCRLFSplitAcrossChunksIsOneLineEnd() throws {
        let filler = String(repeating: "x", count: DomainList.chunkSize - 1)
        let text = Array((filler + "\r\nnext.example\n").utf8)
        let lines = try Self.lines(text)
        #expect(lines.count == 2)
        #expect(lines.last == "2:next.example")
    }

    @Test func anOverlongLineIsReportedOnceAndTheRestIsRead() throws {
        let long = String(repeating: "a", count: DomainList.maximumLineLength + DomainList.chunkSize * 2)
        let lines = try Self.lines(Array("first.example\n\(long)\nlast.example\n".utf8))
        #expect(lines.count == 3, "\(lines.map { $0.prefix(40) })")
        #expect(lines[0] == "1:first.example")
        #expect(lines[1].hasPrefix("2!line longer than"))
        #expect(lines[2] == "3:last.example")
    }

    @Test func bytesThatAreNotUTF8SpoilOnlyTheirLine() throws {
        let lines = try Self.lines(Array("a.example\n".utf8) + [0xFF, 0xFE, 0x41, 0x0A] + Array("b.example".utf8))
        #expect(lines == ["1:a.example", "2!not UTF-8 text", "3:b.example"])
    }

    @Test func recentNamesForgetTheOldestBeyondTheWindow() {
        var recent = RecentNames()
        var allNew = true
        for value in 0..<RecentNames.capacity { allNew = recent.insert(value) && allNew }
        #expect(allNew)
        let repeatWithin = recent.insert(0)
        #expect(!repeatWithin, "within the window: a repeat")
        let newest = recent.insert(RecentNames.capacity)
        #expect(newest, "a new name pushes the oldest out")
        let oldestAgain = recent.insert(0)
        #expect(oldestAgain, "the oldest is forgotten")
        let recentRepeat = recent.insert(RecentNames.capacity - 1)
        #expect(!recentRepeat)
    }
}
