import Foundation
import MessageAnalysis
import Testing
import TestSupport

/// Every Authentication-Results and ARC-Authentication-Results field in the fixtures (the
/// hand-written headers and the sisimai bounces, originals included) parsed by our parser and by
/// python3-authres 1.2 (apt, Scott Kitterman's RFC 8601 implementation): where authres accepts
/// the field, both must read the same authserv-id, methods, results, reasons and properties.
/// authres is strict; fields it refuses (Microsoft's without authserv-id, Yahoo's trailing `;`)
/// must still be read by ours.
@Suite struct AuthResAgreementTests {
    struct Field: Codable {
        var arc: Bool
        var value: String
        var file: String
    }

    struct Parsed: Decodable {
        struct Result: Decodable {
            var method: String
            var result: String
            var reason: String?
            var properties: [[String]]
        }
        var ok: Bool
        var error: String?
        var authservID: String?
        var instance: Int?
        var results: [Result]?
    }

    /// The fields, unfolded, read from the fixture files line by line (independent of our parser).
    static func fields() throws -> [Field] {
        var fields: [Field] = []
        for directory in ["headers", "bounces/sisimai"] {
            let path = KnotServer.fixtures(directory)
            for name in try FileManager.default.contentsOfDirectory(atPath: path).sorted() where name.hasSuffix(".eml") {
                let data = try Data(contentsOf: URL(fileURLWithPath: path + "/" + name))
                let lines = String(decoding: data, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n")
                    .split(separator: "\n", omittingEmptySubsequences: false)
                var index = 0
                while index < lines.count {
                    let line = lines[index]
                    let lowered = line.lowercased()
                    let arc = lowered.hasPrefix("arc-authentication-results:")
                    guard arc || lowered.hasPrefix("authentication-results:"), let colon = line.firstIndex(of: ":") else {
                        index += 1
                        continue
                    }
                    var value = String(line[line.index(after: colon)...])
                    index += 1
                    while index < lines.count, let first = lines[index].first, first == " " || first == "\t" {
                        value += lines[index]
                        index += 1
                    }
                    fields.append(Field(arc: arc, value: value, file: "\(directory)/\(name)"))
                }
            }
        }
        return fields
    }

    @Test func ourParserAgreesWithAuthresOnEveryFieldAuthresAccepts() async throws {
        let fields = try Self.fields()
        #expect(fields.count >= 10)
        let output = try await ProcessRunner.run(
            "/usr/bin/python3", [KnotServer.fixtures("tools/authres-parse.py")], input: try JSONEncoder().encode(fields))
        try #require(output.status == 0, "authres-parse.py failed (is python3-authres installed? scripts/install-deps --test): \(output.stderrText)")
        let parsed = try JSONDecoder().decode([Parsed].self, from: output.stdout)
        try #require(parsed.count == fields.count)
        var agreed = 0
        var refused: [String] = []
        for (field, theirs) in zip(fields, parsed) {
            let ours = AuthenticationResults(parsing: field.value, arc: field.arc)
            let label = "\(field.file): \(field.value.prefix(80))"
            guard theirs.ok, let results = theirs.results else {
                refused.append("\(label) — \(theirs.error ?? "")")
                #expect(!ours.results.isEmpty, "authres refused it and so did we: \(label)")
                continue
            }
            agreed += 1
            #expect(ours.authservID?.lowercased() == theirs.authservID?.lowercased(), "\(label)")
            if field.arc { #expect(ours.instance == theirs.instance, "\(label)") }
            #expect(ours.results.count == results.count, "\(label): \(ours.results.map(\.method)) vs \(results.map(\.method))")
            for (mine, other) in zip(ours.results, results) {
                #expect(mine.method == other.method.lowercased(), "\(label)")
                #expect(mine.result == other.result.lowercased(), "\(label): \(mine.method)")
                #expect(mine.reason == other.reason, "\(label): \(mine.method) reason")
                let myProperties = mine.properties.map { [$0.type.lowercased(), $0.name.lowercased(), $0.value] }
                let theirProperties = other.properties.map { [$0[0].lowercased(), $0[1].lowercased(), $0[2]] }
                #expect(myProperties == theirProperties, "\(label): \(mine.method) properties")
            }
        }
        #expect(agreed >= 8, "authres accepted only \(agreed) fields; refused: \(refused)")
        // The refusals are the lenient cases, and each is one we read (checked above).
        #expect(refused.count <= fields.count / 2, "\(refused)")
    }
}
