import DNSCore
import MailAuthCore

/// The outcome of checking a published key against a private key (`dnsaudit dkim testkey`, as
/// opendkim-testkey does).
public struct DKIMKeyCheckResult: Sendable {
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

/// Checks the key a domain publishes at a selector (RFC 6376 §3.6.2.1), and that it is the public
/// half of a private key, as opendkim-testkey does.
public struct DKIMKeyChecker: Sendable {
    public var resolver: any DNSResolver
    /// The deadline of the lookup.
    public var timeout: Duration

    public init(resolver: any DNSResolver, timeout: Duration = .seconds(10)) {
        self.resolver = resolver
        self.timeout = timeout
    }

    /// Fetches `selector._domainkey.domain` and checks it, and that it matches `privateKey` when given.
    public func check(domain: String, selector: String, privateKey: DKIMPrivateKey? = nil) async -> DKIMKeyCheckResult {
        let nameText = "\(selector)._domainkey.\(domain)"
        var result = DKIMKeyCheckResult(status: .invalid, message: "", recordName: nameText, lints: [])
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
