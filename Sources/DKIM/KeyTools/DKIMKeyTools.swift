import DNSCore
import MailAuthCore
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

/// The outcome of checking a published key against a private key (`dnsaudit dkim testkey`, as
/// opendkim-testkey does).
public struct DKIMKeyTestResult: Sendable {
    public enum Status: String, Sendable, Hashable, Codable {
        /// The record is valid and, when a private key was given, holds its public half.
        case ok
        /// The record holds a different key.
        case mismatch
        /// NXDOMAIN or no TXT record at the name.
        case noKey
        /// The record does not parse or its key does not decode.
        case invalid
        /// The lookup failed (timeout, SERVFAIL): try again.
        case dnsFailure
    }

    public var status: Status
    public var message: String
    /// The name queried.
    public var recordName: String
    /// The published text (strings joined), when there was one.
    public var recordText: String?
    public var record: DKIMKeyRecord?
    /// Key size, when it decoded.
    public var keyBits: Int?
    /// Problems worth reporting even when the status is `ok`.
    public var lints: [Finding]
}

public enum DKIMKeyTester {
    /// Fetches `selector._domainkey.domain` and checks it, and that it matches `privateKey` when given.
    public static func test(
        domain: String, selector: String, privateKey: DKIMPrivateKey?, resolver: any DNSResolver,
        timeout: Duration = .seconds(10)
    ) async -> DKIMKeyTestResult {
        let nameText = "\(selector)._domainkey.\(domain)"
        var result = DKIMKeyTestResult(status: .invalid, message: "", recordName: nameText, lints: [])
        let name: DomainName
        do { name = try DomainName(nameText) } catch {
            result.message = "\(nameText) is not a valid name: \(error)"
            return result
        }
        result.recordName = name.fullyQualified
        let response: DNSResponse
        do { response = try await DeadlineResolver(resolver, timeout: timeout).query(name, .txt) } catch {
            result.status = .dnsFailure
            result.message = "lookup failed: \(error)"
            return result
        }
        guard response.outcome == .answer, let txt = response.txt.first else {
            result.status = .noKey
            result.message = "no key published at \(name.fullyQualified) (\(response.outcome == .nxdomain ? "NXDOMAIN" : "no TXT record"))"
            return result
        }
        result.recordText = txt.joined
        if response.txt.count > 1 {
            result.lints.append(DKIMKeyLint.multipleRecords(response.txt.count))
        }
        let record: DKIMKeyRecord
        do { record = try DKIMKeyRecord.parse(txt.joined) } catch {
            result.message = "the record does not parse: \(error)"
            return result
        }
        result.record = record
        result.lints += DKIMKeyLint.findings(for: record)
        let publicKey: DKIMPublicKey
        do { publicKey = try record.publicKey() } catch {
            result.message = "\(error)"
            return result
        }
        result.keyBits = publicKey.bits
        if let privateKey {
            guard publicKey.matches(privateKey) else {
                result.status = .mismatch
                result.message = "the published key does not match the private key"
                return result
            }
            result.message = "key OK: the published \(publicKey.algorithm.rawValue) key matches the private key"
        } else {
            result.message = "key OK: a valid \(publicKey.algorithm.rawValue) key is published"
        }
        if let error = result.lints.first(where: { $0.severity == .error }) {
            result.status = .invalid
            result.message = error.title
        } else {
            result.status = .ok
        }
        return result
    }
}
