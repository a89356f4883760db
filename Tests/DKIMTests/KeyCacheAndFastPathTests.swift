import DNSCore
import Foundation
import Testing
import TestSupport

@testable import DKIM

/// What the verifier's key cache and the body canonicalizer's fast path must not change: a key
/// rotated at the same selector is used at once (the cache is keyed by the record's text), and
/// the canonical body equals a byte-by-byte reading of RFC 6376 §3.4.3–3.4.4 whatever the chunks.
@Suite struct KeyCacheAndFastPathTests {
    /// A resolver whose answers the test swaps (a domain rotating its key).
    final class Rotating: DNSResolver, @unchecked Sendable {
        private let current: LockedState<ZoneResolver>
        init(_ zone: ZoneResolver) { current = LockedState(zone) }
        func serve(_ zone: ZoneResolver) { current.withLock { $0 = zone } }
        var resolverDescription: String { "rotating" }
        func query(_ question: DNSQuestion) async throws(DNSError) -> DNSResponse {
            try await current.withLock { $0 }.query(question)
        }
    }

    static func record(_ key: DKIMPrivateKey) throws -> String {
        DKIMKeyRecord(keyType: key.algorithm.rawValue, publicKeyData: try key.publicKeyData()).text
    }

    @Test func aKeyRotatedAtTheSameSelectorIsUsedAtOnce() async throws {
        let old = try DKIMPrivateKey.generate(.ed25519)
        let new = try DKIMPrivateKey.generate(.ed25519)
        let message = try MailMessage(parsing: Array(Sample.message.utf8))
        func signed(with key: DKIMPrivateKey) throws -> MailMessage {
            let signer = DKIMSigner([DKIMSigningConfiguration(domain: "example.com", selector: "s1", key: key)])
            return try MailMessage(parsing: try signer.sign(message, now: Sample.time).message.bytes)
        }
        let resolver = Rotating(try Fixtures.resolver(["s1._domainkey.example.com": try Self.record(old)]))
        let verifier = DKIMVerifier(resolver: resolver)
        let byOld = try signed(with: old)
        let byNew = try signed(with: new)
        #expect(await verifier.verify(byOld, now: Sample.time).map(\.status) == [.pass])
        #expect(await verifier.verify(byNew, now: Sample.time).map(\.status) == [.fail])
        resolver.serve(try Fixtures.resolver(["s1._domainkey.example.com": try Self.record(new)]))
        #expect(await verifier.verify(byNew, now: Sample.time).map(\.status) == [.pass], "the new key, not the cached old one")
        #expect(await verifier.verify(byOld, now: Sample.time).map(\.status) == [.fail])
    }

    /// RFC 6376 §3.4.3 (simple) and §3.4.4 (relaxed), read line by line, for bodies of CRLF lines.
    static func reference(_ body: [UInt8], _ algorithm: Canonicalization) -> [UInt8] {
        var lines: [[UInt8]] = []
        var line: [UInt8] = []
        var index = 0
        while index < body.count {
            if body[index] == 0x0D, index + 1 < body.count, body[index + 1] == 0x0A {
                lines.append(line)
                line = []
                index += 2
            } else {
                line.append(body[index])
                index += 1
            }
        }
        if !line.isEmpty { lines.append(line) }  // a last line with no CRLF gets one
        if algorithm == .relaxed {
            lines = lines.map { line in
                var out: [UInt8] = []
                var space = false
                for byte in line {
                    if byte == 0x20 || byte == 0x09 { space = true; continue }
                    if space { out.append(0x20) }
                    space = false
                    out.append(byte)
                }
                return out  // whitespace at the end of a line is dropped
            }
        }
        while let last = lines.last, last.isEmpty { lines.removeLast() }
        if lines.isEmpty { return algorithm == .simple ? [0x0D, 0x0A] : [] }
        return lines.flatMap { $0 + [0x0D, 0x0A] }
    }

    @Test func theFastPathAgreesWithALineByLineReadingOnRandomChunkedBodies() {
        var random = SeededRandom(seed: 0x6376)
        let alphabet: [[UInt8]] = [[0x61], [0x62], Array("long run of text ".utf8), [0x20], [0x09], [0x20, 0x20, 0x09], [0x0D, 0x0A], [0x0D, 0x0A, 0x0D, 0x0A]]
        for round in 0..<400 {
            var body: [UInt8] = []
            for _ in 0..<Int.random(in: 0..<120, using: &random) { body += alphabet[Int.random(in: 0..<alphabet.count, using: &random)] }
            for algorithm in Canonicalization.allCases {
                let expected = Self.reference(body, algorithm)
                #expect(BodyCanonicalizer.canonicalize(body, algorithm) == expected, "round \(round) \(algorithm): \(body)")
                var canonicalizer = BodyCanonicalizer(algorithm)
                var output: [UInt8] = []
                var start = 0
                while start < body.count {
                    let end = min(body.count, start + Int.random(in: 1...17, using: &random))
                    output += canonicalizer.update(body[start..<end])
                    start = end
                }
                output += canonicalizer.finish()
                #expect(output == expected, "round \(round) \(algorithm), chunked: \(body)")
            }
        }
    }
}
