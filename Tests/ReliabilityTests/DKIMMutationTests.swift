import DKIM
import DNSCore
import Foundation
import TestSupport
import Testing

/// Issue 8 §3: sign a set of messages, apply random single-byte and header mutations, verify
/// against an in-memory zone holding the keys.
///
/// - A mutation that changes what the signature covers (the canonical form of the signed header
///   fields, chosen bottom-up per `h=`, the body, or the DKIM-Signature field) must not verify.
/// - A mutation that leaves that canonical form unchanged (a space made a tab under relaxed,
///   a byte in an unsigned header, a new unsigned field) must still verify: no `l=` is used.
///
/// The RNG is seeded, so a failure names the seed, message and mutation that reproduce it.
@Suite struct DKIMMutationTests {
    static let now = Date(timeIntervalSince1970: 1_700_000_000)
    /// `DKIM_MUTATION_SEED=<n>` runs another sequence (a failure prints the seed it used).
    static let seed: UInt64 = ProcessInfo.processInfo.environment["DKIM_MUTATION_SEED"].flatMap { UInt64($0) }
        ?? 0xD1_5EA5_E5EE_D008
    static let iterations = 1_600

    static let messages: [String] = [
        """
        Received: from mx.example.org by mail.example.com; Tue, 14 Nov 2023 22:13:20 +0000\r
        From: Alice <alice@example.com>\r
        To: Bob <bob@example.net>,\r
         Carol <carol@example.net>\r
        Subject: Quarterly\r
          report\r
        Date: Tue, 14 Nov 2023 22:13:20 +0000\r
        Message-ID: <1@example.com>\r
        X-Unsigned: not in h=\r
        \r
        Hello Bob,\r
        \r
        the numbers are in.\t Tabs  and  spaces. \r
        \r
        \r

        """,
        "From: a@example.com\r\nSubject: empty body\r\nX-Mailer: test 1.0\r\n\r\n",
        "From: a@example.com\r\nTo: b@example.net\r\nSubject: one line\r\nX-Trace: abc\r\n\r\nx",
        "From: \"Zoë\" <zoe@example.com>\r\nSubject: =?utf-8?q?caf=C3=A9?=\r\nContent-Type: text/plain; charset=utf-8\r\nX-Spam: 0\r\n\r\n"
            + String(repeating: "Lorem ipsum dolor sit amet, consectetur adipiscing elit.\r\n", count: 40),
    ]

    /// The headers each signature covers; X-* fields and Received stay unsigned on purpose.
    static let signedHeaders = ["from", "to", "subject", "date", "message-id", "content-type"]

    struct Signer {
        var selector: String
        var key: DKIMPrivateKey
    }

    static func keysAndZone() throws -> ([Signer], ZoneResolver) {
        let signers = [
            Signer(selector: "rsa", key: try DKIMPrivateKey.generate(.rsa, bits: 2048)),
            Signer(selector: "ed", key: try DKIMPrivateKey.generate(.ed25519)),
        ]
        var records: [ResourceRecord] = []
        for signer in signers {
            let p = Data(try signer.key.publicKeyData()).base64EncodedString()
            let text = "v=DKIM1; k=\(signer.key.algorithm.rawValue); p=\(p)"
            records.append(ResourceRecord(
                name: try DomainName("\(signer.selector)._domainkey.example.com"), data: .txt(TXTData(text: text))))
        }
        return (signers, ZoneResolver(records: records))
    }

    // MARK: What the signature covers, computed from the parsed message

    /// The canonical bytes a verifier hashes for `signature` over `message`, with b= made empty
    /// and its base64 (whitespace removed) kept beside it; `nil` when the message does not parse.
    static func coveredForm(_ bytes: [UInt8], canonicalization: CanonicalizationPair) -> [UInt8]? {
        guard let message = try? MailMessage(parsing: bytes) else { return nil }
        guard let signatureField = message.header.first(where: { $0.hasName("DKIM-Signature") }),
            let signature = try? DKIMSignature.parse(signatureField.valueText)
        else { return nil }
        var out: [UInt8] = []
        var used: [String: Int] = [:]
        for name in signature.signedHeaders {
            let lowered = name.lowercased()
            let instances = message.header.filter { $0.lowercasedName == lowered }
            let taken = used[lowered, default: 0]
            used[lowered] = taken + 1
            if taken < instances.count {
                out += canonicalization.header.canonicalize(instances[instances.count - 1 - taken])
            }
            out += [0]
        }
        // The DKIM-Signature field with b= emptied, and b= itself without whitespace.
        let canonicalSignature = canonicalization.header.canonicalize(signatureField)
        out += emptyingB(canonicalSignature) + [0]
        out += signature.signature + [0]
        out += BodyCanonicalizer.canonicalize(message.body, canonicalization.body)
        return out
    }

    /// The field's bytes with the value of its b= tag removed.
    static func emptyingB(_ field: [UInt8]) -> [UInt8] {
        // Only the value goes: the whitespace around the tag is signed (RFC 6376 §3.7).
        let text = String(decoding: field, as: UTF8.self)
        guard let tag = text.range(of: #"(^|;)\s*b\s*="#, options: .regularExpression) else { return field }
        let valueEnd = text[tag.upperBound...].firstIndex(of: ";") ?? text.endIndex
        return Array(text.replacingCharacters(in: tag.upperBound..<valueEnd, with: "").utf8)
    }

    // MARK: Mutations

    enum Mutation: CustomStringConvertible {
        case replaceByte(offset: Int, value: UInt8)
        case insertByte(offset: Int, value: UInt8)
        case deleteByte(offset: Int)
        case removeField(String)
        case appendField(String)
        case prependField(String)

        var description: String {
            switch self {
            case .replaceByte(let offset, let value): "replace byte \(offset) with 0x\(String(value, radix: 16))"
            case .insertByte(let offset, let value): "insert 0x\(String(value, radix: 16)) at \(offset)"
            case .deleteByte(let offset): "delete byte \(offset)"
            case .removeField(let name): "remove the last \(name) field"
            case .appendField(let line): "add \(line.debugDescription) below the header"
            case .prependField(let line): "add \(line.debugDescription) on top"
            }
        }
    }

    /// Byte ranges of the header (fields) and body in the signed message's bytes.
    static func layout(_ bytes: [UInt8]) -> (header: Range<Int>, body: Range<Int>) {
        let separator: [UInt8] = [13, 10, 13, 10]
        var end = bytes.count
        for index in 0..<(bytes.count - 3) where Array(bytes[index..<(index + 4)]) == separator {
            end = index + 2
            break
        }
        return (0..<end, min(end + 2, bytes.count)..<bytes.count)
    }

    static func apply(_ mutation: Mutation, to bytes: [UInt8]) -> [UInt8] {
        var out = bytes
        switch mutation {
        case .replaceByte(let offset, let value): out[offset] = value
        case .insertByte(let offset, let value): out.insert(value, at: offset)
        case .deleteByte(let offset): out.remove(at: offset)
        case .removeField(let name):
            guard let message = try? MailMessage(parsing: bytes) else { return out }
            var fields = message.header
            if let index = fields.lastIndex(where: { $0.hasName(name) }) { fields.remove(at: index) }
            out = fields.flatMap(\.raw) + [13, 10] + message.body
        case .appendField(let line):
            let header = layout(bytes).header
            out.insert(contentsOf: Array((line + "\r\n").utf8), at: header.upperBound)
        case .prependField(let line):
            out.insert(contentsOf: Array((line + "\r\n").utf8), at: 0)
        }
        return out
    }

    /// A random mutation: mostly single bytes anywhere (header or body), sometimes whole fields.
    static func randomMutation(_ bytes: [UInt8], using rng: inout SeededRandom) -> Mutation {
        let interesting: [UInt8] = [0x20, 0x09, 0x0D, 0x0A, 0x3A, 0x3B, 0x3D, 0x41, 0x61, 0x7A, 0x00, 0xFF, 0xC3]
        func byte() -> UInt8 {
            rng.next(upperBound: 3) == 0 ? interesting[rng.next(upperBound: interesting.count)] : UInt8(rng.next(upperBound: 256))
        }
        let names = ["From", "To", "Subject", "Date", "Message-ID", "Content-Type", "X-Unsigned", "X-Mailer", "Received"]
        switch rng.next(upperBound: 20) {
        case 0: return .removeField(names[rng.next(upperBound: names.count)])
        case 1: return .appendField("\(names[rng.next(upperBound: names.count)]): injected")
        case 2: return .prependField("\(names[rng.next(upperBound: names.count)]): injected")
        case 3: return .insertByte(offset: rng.next(upperBound: bytes.count + 1), value: byte())
        case 4: return .deleteByte(offset: rng.next(upperBound: bytes.count))
        default:
            var offset = rng.next(upperBound: bytes.count)
            var value = byte()
            if value == bytes[offset] { value &+= 1 }
            // Half the byte changes land in the body, where most of the bytes are not.
            let body = layout(bytes).body
            if rng.next(upperBound: 2) == 0, !body.isEmpty { offset = body.lowerBound + rng.next(upperBound: body.count) }
            if value == bytes[offset] { value &+= 1 }
            return .replaceByte(offset: offset, value: value)
        }
    }

    @Test func mutationsOfSignedPartsNeverVerifyAndOfUnsignedPartsStillDo() async throws {
        let (signers, zone) = try Self.keysAndZone()
        let verifier = DKIMVerifier(resolver: zone)
        var rng = SeededRandom(seed: Self.seed)
        var signedMutations = 0
        var unsignedMutations = 0
        var unparsable = 0
        var refusedFrom = 0
        var index = 0
        // Sign every message with each key under each canonicalization.
        var samples: [(bytes: [UInt8], canonicalization: CanonicalizationPair, name: String, covered: [UInt8]?)] = []
        for (number, text) in Self.messages.enumerated() {
            for signer in signers {
                for canonicalization in [CanonicalizationPair.relaxed, .simple] {
                    let configuration = DKIMSigningConfiguration(
                        domain: "example.com", selector: signer.selector, key: signer.key,
                        canonicalization: canonicalization, headers: Self.signedHeaders)
                    let message = try MailMessage(parsing: Array(text.utf8))
                    let signed = try DKIMSigner([configuration]).sign(message, now: Self.now).message.bytes
                    let results = await verifier.verify(try MailMessage(parsing: signed), now: Self.now)
                    #expect(results.map(\.status) == [.pass], "sample \(number) \(signer.selector) \(canonicalization)")
                    samples.append((
                        signed, canonicalization, "message \(number), \(signer.selector), \(canonicalization)",
                        Self.coveredForm(signed, canonicalization: canonicalization)))
                }
            }
        }
        // At least `iterations`, and on until 1,000 mutations changed signed bytes; the hard cap
        // turns a mutator that stopped reaching signed bytes into a failure, not a hang.
        while index < Self.iterations || signedMutations < 1_000 {
            guard index < Self.iterations * 20 else {
                Issue.record("only \(signedMutations) mutations changed signed bytes in \(index) iterations")
                break
            }
            let sample = samples[index % samples.count]
            index += 1
            if index % 5 == 0 { await Task.yield() }  // share the 2-thread pool with other suites
            let mutation = Self.randomMutation(sample.bytes, using: &rng)
            let mutated = Self.apply(mutation, to: sample.bytes)
            guard mutated != sample.bytes else { continue }
            let context = "seed \(Self.seed), iteration \(index), \(sample.name): \(mutation)"
            guard let message = try? MailMessage(parsing: mutated) else {
                unparsable += 1  // not a message any more: nothing to verify, nothing verified
                continue
            }
            let results = await verifier.verify(message, now: Self.now)
            let passed = results.contains { $0.status == .pass }
            let original = sample.covered
            let covered = Self.coveredForm(mutated, canonicalization: sample.canonicalization)
            if message.fields(named: "From").count != 1 {
                // A second From (or none) is refused outright, signed or not: the classic
                // prepend-a-From attack (RFC 6376 §8.15) must not verify.
                refusedFrom += 1
                #expect(!passed, "a message with \(message.fields(named: "From").count) From fields verified: \(context)")
            } else if covered == nil || covered != original {
                signedMutations += 1
                #expect(!passed, "a mutation of a signed part verified: \(context)")
            } else {
                unsignedMutations += 1
                #expect(passed, "a mutation outside the signed parts broke the signature: \(context) \(results.map(\.reason))")
            }
        }
        #expect(signedMutations >= 1_000)
        #expect(unsignedMutations >= 50, "only \(unsignedMutations) mutations left the signed parts alone")
        print("DKIM mutations: \(signedMutations) of signed parts (none verified), \(unsignedMutations) outside them (all verified), \(unparsable) unparsable, \(refusedFrom) refused for their From count")
    }

    @Test func unsignedHeadersCanChangeWhenLIsNotUsed() async throws {
        let (signers, zone) = try Self.keysAndZone()
        let verifier = DKIMVerifier(resolver: zone)
        let configuration = DKIMSigningConfiguration(
            domain: "example.com", selector: signers[0].selector, key: signers[0].key, headers: Self.signedHeaders)
        let signed = try DKIMSigner([configuration]).sign(try MailMessage(parsing: Array(Self.messages[0].utf8)), now: Self.now)
            .message.bytes
        #expect(!String(decoding: signed, as: UTF8.self).contains("; l="))
        var text = String(decoding: signed, as: UTF8.self)
        text = text.replacingOccurrences(of: "X-Unsigned: not in h=", with: "X-Unsigned: changed after signing")
        text = "X-Added: on top\r\n" + text.replacingOccurrences(of: "Received: from mx.example.org", with: "Received: from evil.example")
        let results = await verifier.verify(try MailMessage(parsing: Array(text.utf8)), now: Self.now)
        #expect(results.map(\.status) == [.pass], "\(results.map(\.reason))")
    }
}


