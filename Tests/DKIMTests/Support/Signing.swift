import DNSCore
import Foundation

@testable import DKIM

/// A signed sample and the resolver that serves its keys.
enum Sample {
    static let time = Date(timeIntervalSince1970: 1_700_000_000)

    static let message = """
        From: Alice <alice@example.com>\r
        To: Bob <bob@example.net>,\r
         Carol <carol@example.net>\r
        Subject: Quarterly\r
          report\r
        Date: Tue, 14 Nov 2023 22:13:20 +0000\r
        Message-ID: <1@example.com>\r
        List-Unsubscribe: <https://example.com/u/1>\r
        List-Unsubscribe-Post: List-Unsubscribe=One-Click\r
        X-Unsigned: not in h=\r
        \r
        Hello Bob,\r
        \r
        the numbers are in.\r
        \r
        \r

        """

    static func rsaKey() throws -> DKIMPrivateKey {
        try DKIMPrivateKey(contentsOfFile: Fixtures.url("dkimpy/data/2048_testkey.key").path)
    }

    static func ed25519Key() throws -> DKIMPrivateKey {
        try DKIMPrivateKey(contentsOfFile: Fixtures.url("dkimpy/data/ed25519test.key").path)
    }

    static func records() throws -> [String: String] {
        [
            "rsa._domainkey.example.com": try DkimpyDataTests.key("2048_testkey_wo_markers.pub.txt"),
            "ed._domainkey.example.com": try DkimpyDataTests.key("ed25519test.dns"),
        ]
    }

    static func resolver() throws -> ZoneResolver { try Fixtures.resolver(try records()) }

    static func configurations(_ canonicalization: CanonicalizationPair = .relaxed) throws -> [DKIMSigningConfiguration] {
        [
            DKIMSigningConfiguration(domain: "example.com", selector: "rsa", key: try rsaKey(), canonicalization: canonicalization),
            DKIMSigningConfiguration(domain: "example.com", selector: "ed", key: try ed25519Key(), canonicalization: canonicalization),
        ]
    }

    /// The sample signed with RSA and Ed25519, as bytes.
    static func signed(_ canonicalization: CanonicalizationPair = .relaxed, text: String = message) throws -> [UInt8] {
        let signer = DKIMSigner(try configurations(canonicalization))
        return try signer.sign(try MailMessage(parsing: Array(text.utf8)), now: time).message.bytes
    }

    static func verify(_ bytes: [UInt8], resolver: (any DNSResolver)? = nil, now: Date = time) async throws -> [DKIMResult] {
        let message = try MailMessage(parsing: bytes)
        return await DKIMVerifier(resolver: try resolver ?? Sample.resolver()).verify(message, now: now)
    }
}

extension Array where Element == UInt8 {
    /// Replaces the first occurrence of `target` with `replacement`.
    func replacingFirst(_ target: String, with replacement: String) -> [UInt8] {
        let t = Array(target.utf8)
        guard let start = (0...(count - t.count)).first(where: { self[$0..<$0 + t.count].elementsEqual(t) }) else {
            return self
        }
        return Array(self[..<start]) + Array(replacement.utf8) + Array(self[(start + t.count)...])
    }

    var text: String { String(decoding: self, as: UTF8.self) }
}
