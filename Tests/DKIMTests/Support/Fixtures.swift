import DNSCore
import Foundation

@testable import DKIM

/// Test data under `Tests/Fixtures/dkim`, found from this file's path.
enum Fixtures {
    static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/dkim")

    static func url(_ path: String) -> URL { root.appendingPathComponent(path) }

    static func bytes(_ path: String) throws -> [UInt8] { Array(try Data(contentsOf: url(path))) }

    static func text(_ path: String) throws -> String { String(decoding: try bytes(path), as: UTF8.self) }

    static func message(_ path: String) throws -> MailMessage { try MailMessage(parsing: try bytes(path)) }

    static func json(_ path: String) throws -> Any { try JSONSerialization.jsonObject(with: Data(try bytes(path))) }

    /// A resolver that serves `records` (owner name → TXT text), split into 255-byte strings.
    static func resolver(_ records: [String: String], failures: [String: DNSError.Kind] = [:]) throws -> ZoneResolver {
        let rrs = try records.map { name, text in
            ResourceRecord(name: try DomainName(name), data: .txt(TXTData(text: text)))
        }
        let failing = try Dictionary(uniqueKeysWithValues: failures.map { (try DomainName($0.key), $0.value) })
        return ZoneResolver(records: rrs, failures: failing)
    }

    /// The RFC 8463 Appendix A keys as records at football.example.com.
    static func rfc8463Resolver() throws -> ZoneResolver {
        var records: [String: String] = [:]
        for line in try text("rfc8463-appendix-a/dns-txt-records.txt").split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            records[String(parts[0])] = String(parts[1])
        }
        return try resolver(records)
    }

    static let rfc8463Time = Date(timeIntervalSince1970: 1_528_637_909)

    static func rfc8463Keys() throws -> (ed25519: DKIMPrivateKey, rsa: DKIMPrivateKey) {
        (try DKIMPrivateKey(ed25519Seed: try text("rfc8463-appendix-a/ed25519-private-seed.b64")),
         try DKIMPrivateKey(pem: try text("rfc8463-appendix-a/rsa-private.pem")))
    }
}

extension String {
    var bytes: [UInt8] { Array(utf8) }
}
