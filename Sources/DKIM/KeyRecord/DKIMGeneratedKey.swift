import DNSCore
import Foundation

/// A new key pair and what to publish for it (`dnsaudit dkim keygen`).
public struct DKIMGeneratedKey: Sendable {
    public var privateKey: DKIMPrivateKey
    /// The private key as PKCS#8 PEM.
    public var privateKeyPEM: String
    /// The record to publish.
    public var record: DKIMKeyRecord
    /// Where to publish it: `selector._domainkey.domain.` (RFC 6376 §3.6.2.1).
    public var recordName: String

    /// The record text split into character-strings of at most 255 bytes (RFC 1035 §3.3.14).
    public var txtStrings: [String] { TXTData(text: record.text).strings.map { String(decoding: $0, as: UTF8.self) } }

    /// One zone-file line, ready to paste: `name IN TXT ( "…" "…" )`.
    public var zoneFileLine: String {
        let strings = txtStrings.map { "\"\($0)\"" }
        if strings.count == 1 { return "\(recordName) IN TXT \(strings[0])" }
        return "\(recordName) IN TXT ( " + strings.joined(separator: "\n    ") + " )"
    }

    /// Generates a key for `selector._domainkey.domain`.
    ///
    /// - Parameters:
    ///   - bits: RSA size, 1024 to 4096 (default 2048); ignored for Ed25519.
    ///   - testing: publish `t=y`.
    public static func generate(
        domain: String, selector: String, algorithm: DKIMKeyAlgorithm = .rsa, bits: Int = 2048, testing: Bool = false
    ) throws(DKIMKeyError) -> DKIMGeneratedKey {
        let name: DomainName
        do { name = try DomainName("\(selector)._domainkey.\(domain)") } catch {
            throw DKIMKeyError("\(selector)._domainkey.\(domain) is not a valid name: \(error)")
        }
        let key = try DKIMPrivateKey.generate(algorithm, bits: bits)
        let record = DKIMKeyRecord(
            keyType: algorithm.rawValue, publicKeyData: try key.publicKeyData(), flags: testing ? ["y"] : [])
        return DKIMGeneratedKey(
            privateKey: key, privateKeyPEM: try key.pemRepresentation(), record: record, recordName: name.fullyQualified)
    }

    /// Writes the private key to `path` with mode 0600, refusing to replace an existing file.
    public func writePrivateKey(to path: String) throws(DKIMKeyError) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else {
            throw DKIMKeyError("cannot create \(path): \(String(cString: strerror(errno)))")
        }
        defer { close(descriptor) }
        fchmod(descriptor, 0o600)  // whatever the umask
        let bytes = Array(privateKeyPEM.utf8)
        let written = bytes.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw DKIMKeyError("cannot write \(path): \(String(cString: strerror(errno)))") }
    }
}
