import Foundation
import Testing

@testable import DKIM

/// `canonicalization-cases.json`: every case a strict RFC 6376 §3.4 reading agrees with runs.
///
/// Skipped as not normative (the collection marks them false/null): go-msgauth
/// simpleCanonicalizerBodyTests[6] and [9] (bare LF treated as a line break; RFC 6376 delimits
/// lines by CRLF only), and the header parts of mail-auth dkim_canonicalize[1] and [3] (header
/// blocks starting with whitespace or with a space inside a field name, which ``MailMessage``
/// rejects as malformed). Their body parts do run.
@Suite struct CanonicalizationCaseTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var id: String
        var kind: String
        var input: String
        var chunks: [String]?
        var expected: String
        var testDescription: String { "\(id) (\(kind))" }
    }

    /// Flattens the file into one case per (input, expected) pair that is normative.
    static func load(normative: Bool) -> [Case] {
        guard let json = try? Fixtures.json("canonicalization/canonicalization-cases.json") as? [String: Any],
              let cases = json["cases"] as? [[String: Any]] else { return [] }
        var out: [Case] = []
        for item in cases {
            let id = item["id"] as! String
            let kind = item["kind"] as! String
            let input = item["input"] as! String
            let chunks = item["input_chunks"] as? [String]
            if kind == "message_all" {
                let expected = item["expected"] as! [String: String]
                let agrees = item["rfc6376_reference_agrees"] as! [String: Any]
                for part in expected.keys.sorted() where ((agrees[part] as? Bool) == true) == normative {
                    out.append(Case(id: id, kind: "message_all." + part, input: input, chunks: nil,
                                    expected: expected[part]!))
                }
            } else if ((item["rfc6376_reference_agrees"] as? Bool) == true) == normative {
                out.append(Case(id: id, kind: kind, input: input, chunks: chunks, expected: item["expected"] as! String))
            }
        }
        return out
    }

    static func body(of input: [UInt8]) -> [UInt8] {
        for index in 0..<max(0, input.count - 3) where input[index..<index + 4].elementsEqual([13, 10, 13, 10]) {
            return Array(input[(index + 4)...])
        }
        return []
    }

    @Test func theFileHoldsTheExpectedNumberOfCases() {
        let normative = Self.load(normative: true)
        let skipped = Self.load(normative: false)
        #expect(normative.count >= 46)
        #expect(Set(skipped.map(\.id)) == [
            "go-msgauth:simpleCanonicalizerBodyTests[6]", "go-msgauth:simpleCanonicalizerBodyTests[9]",
            "mail-auth:dkim_canonicalize[1]", "mail-auth:dkim_canonicalize[3]",
        ])
    }

    @Test(arguments: load(normative: true))
    func normativeCase(_ testCase: Case) throws {
        let input = Array(testCase.input.utf8)
        switch testCase.kind {
        case "header_simple", "header_relaxed":
            let algorithm: Canonicalization = testCase.kind == "header_simple" ? .simple : .relaxed
            let message = try MailMessage(parsing: input + [13, 10])
            let output = message.header.flatMap { algorithm.canonicalize($0) }
            #expect(String(decoding: output, as: UTF8.self) == testCase.expected)
        case "body_simple", "body_relaxed":
            let algorithm: Canonicalization = testCase.kind == "body_simple" ? .simple : .relaxed
            var canonicalizer = BodyCanonicalizer(algorithm)
            var output: [UInt8] = []
            for chunk in testCase.chunks ?? [testCase.input] { output += canonicalizer.update(Array(chunk.utf8)) }
            output += canonicalizer.finish()
            #expect(String(decoding: output, as: UTF8.self) == testCase.expected)
            // Byte at a time gives the same answer as the whole body.
            var bytewise = BodyCanonicalizer(algorithm)
            var output2: [UInt8] = []
            for byte in input { output2 += bytewise.update(CollectionOfOne(byte)) }
            output2 += bytewise.finish()
            #expect(output2 == output)
        case "body_hash_sha256_simple", "body_hash_sha256_relaxed":
            let algorithm: Canonicalization = testCase.kind.hasSuffix("simple") ? .simple : .relaxed
            let hasher = BodyHasher(algorithm, limit: nil)
            hasher.update(input)
            #expect(Base64.encode(hasher.finish()) == testCase.expected)
        case let kind where kind.hasPrefix("message_all."):
            // The body is everything after the first empty line; it is normative even where the
            // header block above it is malformed, so it is cut out without parsing the header.
            let body = Self.body(of: input)
            let output: [UInt8]
            switch kind {
            case "message_all.header_relaxed":
                output = try MailMessage(parsing: input).header.flatMap { Canonicalization.relaxed.canonicalize($0) }
            case "message_all.header_simple":
                output = try MailMessage(parsing: input).header.flatMap { Canonicalization.simple.canonicalize($0) }
            case "message_all.body_relaxed": output = BodyCanonicalizer.canonicalize(body, .relaxed)
            default: output = BodyCanonicalizer.canonicalize(body, .simple)
            }
            if let parsed = try? MailMessage(parsing: input) { #expect(parsed.body == body, "the model cuts the same body") }
            #expect(String(decoding: output, as: UTF8.self) == testCase.expected)
        default:
            Issue.record("unknown case kind \(testCase.kind)")
        }
    }
}

@Suite struct BodyCanonicalizationTests {
    @Test func aBodyLengthLimitHashesOnlyThatManyCanonicalBytes() {
        let body = Array("Hello  world \r\nsecond line\r\n\r\n".utf8)
        let limited = BodyHasher(.relaxed, limit: 5)
        limited.update(body)
        #expect(limited.finish() == SHA256Stream.hash(Array("Hello".utf8)))
        #expect(limited.canonicalLength == "Hello world\r\nsecond line\r\n".utf8.count)
    }

    @Test func aLargeBodyStreamsInChunksToTheSameHashAsWhole() {
        var body: [UInt8] = []
        for line in 0..<20_000 { body += Array("line \(line) \t with  spaces \r\n".utf8) }
        body += Array("\r\n\r\n\r\n".utf8)
        for algorithm in Canonicalization.allCases {
            let whole = BodyHasher(algorithm, limit: nil)
            whole.update(body)
            let chunked = BodyHasher(algorithm, limit: nil)
            var start = 0
            var size = 1
            while start < body.count {
                let end = min(body.count, start + size)
                chunked.update(body[start..<end])
                start = end
                size = size * 3 % 8191 + 1
            }
            #expect(whole.finish() == chunked.finish())
        }
    }

    @Test func emptyBodies() {
        #expect(BodyCanonicalizer.canonicalize([], .simple) == [13, 10])
        #expect(BodyCanonicalizer.canonicalize([], .relaxed) == [])
        #expect(BodyCanonicalizer.canonicalize(Array("\r\n\r\n".utf8), .relaxed) == [])
        #expect(BodyCanonicalizer.canonicalize(Array(" \t\r\n".utf8), .relaxed) == [])
    }
}
