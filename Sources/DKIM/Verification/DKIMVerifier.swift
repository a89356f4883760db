import DNSCore
import Foundation
import MailAuthCore

/// Verifies every DKIM-Signature field of a message on its own (RFC 6376 §6).
///
/// ```swift
/// let verifier = DKIMVerifier(resolver: resolver)
/// for result in await verifier.verify(message, now: Date()) { print(result.status, result.reason) }
/// ```
///
/// Outcomes are values: a broken signature, a missing key or a DNS failure is a ``DKIMResult``,
/// never a thrown error.
///
/// The key record is still fetched for every signature, but each distinct record text is parsed
/// and its key decoded once, then kept (at most 512 records, shared by copies of
/// the verifier and safe across tasks): a stream of mail from one signer decodes its key once. A
/// rotated key is a different record text, so it is parsed afresh.
public struct DKIMVerifier: Sendable {
    /// At most this many signatures are evaluated per message; the rest are `neutral`
    /// (RFC 6376 §6.1 lets verifiers limit the work one message can cause).
    public static let maximumSignatures = 8
    /// Smallest RSA key accepted (RFC 8301 §3.2): smaller keys are a permerror.
    public static let minimumRSABits = 1024
    /// Longest RSA key accepted (RFC 8301 §3.2 requires 4096; larger are refused as a DoS guard).
    public static let maximumRSABits = 8192

    public var resolver: any DNSResolver
    /// Overall time allowed for all key lookups of one message.
    public var timeout: Duration
    /// Key records already parsed, with their decoded keys, shared by copies of this verifier.
    private let keys = KeyCache()

    public init(resolver: any DNSResolver, timeout: Duration = .seconds(10)) {
        self.resolver = resolver
        self.timeout = timeout
    }

    /// Evaluates each DKIM-Signature field of `message`, first to last.
    ///
    /// - Parameter now: the time `x=` is checked against (injected so results are reproducible).
    /// - Returns: one result per DKIM-Signature field; empty when the message has none.
    public func verify(_ message: MailMessage, now: Date) async -> [DKIMResult] {
        let resolver = DeadlineResolver(self.resolver, timeout: timeout)
        var results: [DKIMResult] = []
        var bodyHashes: [(key: BodyHashKey, hash: [UInt8], length: Int)] = []
        var evaluated = 0
        let fromCount = message.count(ofFieldsNamed: "from")  // the same for every signature
        for (index, field) in message.header.enumerated() where field.lowercasedName == "dkim-signature" {
            guard evaluated < Self.maximumSignatures else {
                results.append(DKIMResult(
                    status: .neutral,
                    reason: "not evaluated: more than \(Self.maximumSignatures) signatures in one message",
                    fieldIndex: index))
                continue
            }
            evaluated += 1
            results.append(await verifyOne(field, at: index, in: message, fromCount: fromCount, now: now,
                                           resolver: resolver, bodyHashes: &bodyHashes))
        }
        return results
    }

    private struct BodyHashKey: Hashable {
        var canonicalization: Canonicalization
        var limit: Int?
    }

    private func verifyOne(
        _ field: HeaderField, at index: Int, in message: MailMessage, fromCount: Int, now: Date, resolver: DeadlineResolver,
        bodyHashes: inout [(key: BodyHashKey, hash: [UInt8], length: Int)]
    ) async -> DKIMResult {
        var result = DKIMResult(status: .permerror, reason: "", fieldIndex: index)

        let signature: DKIMSignature
        do { signature = try DKIMSignature.parse(field.valueText) } catch {
            // Report what can be read even from a broken field.
            if let list = try? TagList.parse(field.valueText) {
                result.domain = list["d"]?.value
                result.selector = list["s"]?.value
                result.algorithm = list["a"]?.value
            }
            return result.finished(.permerror, "malformed signature: \(error.message)")
        }
        result.signature = signature
        result.domain = signature.domain
        result.selector = signature.selector
        result.algorithm = signature.algorithmName
        result.identity = signature.identity

        guard let algorithm = signature.algorithm else {
            return result.finished(.permerror, "unknown algorithm a=\(signature.algorithmName)")
        }
        if algorithm == .rsaSHA1 {
            return result.finished(.fail, "rsa-sha1 is not accepted (RFC 8301 §3.1)")
        }
        if let expiration = signature.expiration, Double(expiration) < now.timeIntervalSince1970 {
            return result.finished(.permerror, "signature expired (x=\(expiration))")
        }
        guard fromCount == 1 else {
            return result.finished(.permerror, "the message has \(fromCount) From fields; exactly one is required (RFC 5322 §3.6)")
        }

        // The key (RFC 6376 §3.6.2).
        let name: DomainName
        do { name = try keys.name(selector: signature.selector, domain: signature.domain) } catch {
            return result.finished(.permerror, "s= and d= do not form a valid key name: \(error)")
        }
        let response: DNSResponse
        do { response = try await resolver.query(name, .txt) } catch {
            return result.finished(.temperror, "key lookup for \(name) failed: \(error)")
        }
        guard response.outcome == .answer, let txt = response.txt.first else {
            let what = response.outcome == .nxdomain ? "NXDOMAIN" : "no TXT record"
            return result.finished(.permerror, "no key for \(name) (\(what))")
        }
        let parsed: KeyCache.Entry
        do { parsed = try keys.entry(for: txt.joined) } catch {
            return result.finished(.permerror, "key record at \(name) is malformed: \(error)")
        }
        let record = parsed.record
        result.keyRecord = record
        result.testing = record.isTesting
        guard !record.isRevoked else { return result.finished(.permerror, "key revoked (empty p=)") }
        guard record.allowsEmail else {
            return result.finished(.permerror, "key is not for email (s=\(record.serviceTypes.joined(separator: ":")))")
        }
        guard record.allowsSHA256 else {
            return result.finished(.permerror, "key does not allow sha256 (h=\((record.hashAlgorithms ?? []).joined(separator: ":")))")
        }
        guard let keyAlgorithm = record.keyAlgorithm else {
            return result.finished(.permerror, "unknown key type k=\(record.keyType)")
        }
        guard keyAlgorithm == algorithm.keyAlgorithm else {
            return result.finished(.permerror, "key type k=\(record.keyType) does not match a=\(signature.algorithmName)")
        }
        if record.isStrict, signature.identityDomain.lowercased() != signature.domain.lowercased() {
            return result.finished(.permerror, "key has t=s but i= domain \(signature.identityDomain) is not d=")
        }
        let key: DKIMPublicKey
        do { key = try parsed.key(keyAlgorithm) } catch {
            return result.finished(.permerror, "key record at \(name): \(error)")
        }
        result.keyBits = key.bits
        if keyAlgorithm == .rsa {
            if key.bits < Self.minimumRSABits {
                return result.finished(.permerror, "RSA key of \(key.bits) bits is under \(Self.minimumRSABits) (RFC 8301 §3.2)")
            }
            if key.bits > Self.maximumRSABits {
                return result.finished(.permerror, "RSA key of \(key.bits) bits is over \(Self.maximumRSABits)")
            }
        }

        // The body (RFC 6376 §3.7).
        let hashKey = BodyHashKey(canonicalization: signature.canonicalization.body, limit: signature.bodyLength)
        let body: (hash: [UInt8], length: Int)
        if let cached = bodyHashes.first(where: { $0.key == hashKey }) {
            body = (cached.hash, cached.length)
        } else {
            let hasher = BodyHasher(signature.canonicalization.body, limit: signature.bodyLength)
            hasher.update(message.body)
            body = (hasher.finish(), hasher.canonicalLength)
            bodyHashes.append((hashKey, body.hash, body.length))
        }
        if let limit = signature.bodyLength {
            result.bodyLength = DKIMResult.BodyLength(signed: limit, canonical: body.length)
            if limit > body.length {
                return result.finished(.permerror, "l=\(limit) is longer than the canonical body (\(body.length) bytes)")
            }
        }
        guard body.hash == signature.bodyHash else { return result.finished(.fail, "body hash mismatch") }

        // The header and the signature.
        let input = HeaderHashInput.build(
            header: message.header, signedHeaders: signature.signedHeaders, signatureField: field,
            canonicalization: signature.canonicalization.header)
        let signedBytes = algorithm == .ed25519SHA256 ? SHA256Stream.hash(input) : input
        guard key.verify(signature.signature, over: signedBytes) else {
            return result.finished(.fail, "signature did not verify")
        }
        var reason = "signature verified"
        if let length = result.bodyLength, length.unsigned > 0 {
            reason += "; \(length.unsigned) body bytes after l=\(length.signed) are not covered by the signature"
        }
        if record.isTesting { reason += " (key in testing mode, t=y)" }
        return result.finished(.pass, reason)
    }
}

extension DKIMResult {
    /// This result with `status` and `reason` set.
    func finished(_ status: Status, _ reason: String) -> DKIMResult {
        var finished = self
        finished.status = status
        finished.reason = reason
        return finished
    }
}

/// Key records parsed once per record text, not once per message: parsing the record, decoding
/// the key and setting libcrypto up to verify with it cost more than verifying an Ed25519
/// signature. Bounded, and safe to share between concurrent verifications.
final class KeyCache: Sendable {
    /// A parsed record and, when it names a known key type and is not revoked, its decoded key
    /// (or why that failed).
    struct Entry: Sendable {
        let record: DKIMKeyRecord
        let decoded: Result<DKIMPublicKey, DKIMKeyError>?

        init(_ record: DKIMKeyRecord) {
            self.record = record
            if !record.isRevoked, let algorithm = record.keyAlgorithm {
                decoded = Result { () throws(DKIMKeyError) in
                    try DKIMPublicKey(algorithm: algorithm, data: record.publicKeyData)
                }
            } else {
                decoded = nil
            }
        }

        /// The record's key, decoded as `algorithm` (the record's own type).
        func key(_ algorithm: DKIMKeyAlgorithm) throws(DKIMKeyError) -> DKIMPublicKey {
            if let decoded { return try decoded.get() }
            return try DKIMPublicKey(algorithm: algorithm, data: record.publicKeyData)
        }
    }

    /// At most this many records are kept; when full, one is dropped for each one added.
    static let capacity = 512
    /// Longer record texts are parsed every time (an 8192-bit RSA key's record is about 1.4 KB).
    static let maximumTextLength = 4096

    private let entries = LockedState([String: Entry]())
    /// Key names (`selector._domainkey.domain`, RFC 6376 §3.6.2.1) already built.
    private let names = LockedState([NameKey: DomainName]())

    private struct NameKey: Hashable {
        var selector: String
        var domain: String
    }

    /// The name the key for `selector` and `domain` is published at.
    func name(selector: String, domain: String) throws(DomainNameError) -> DomainName {
        let key = NameKey(selector: selector, domain: domain)
        if let cached = names.withLock({ $0[key] }) { return cached }
        let name = try DomainName("\(selector)._domainkey.\(domain)")
        names.withLock { names in
            if names.count >= Self.capacity, names[key] == nil { names.remove(at: names.startIndex) }
            names[key] = name
        }
        return name
    }

    /// The entry for the record `text`, parsing it unless it has been parsed before.
    func entry(for text: String) throws(SyntaxError) -> Entry {
        if let cached = entries.withLock({ $0[text] }) { return cached }
        let entry = Entry(try DKIMKeyRecord.parse(text))
        guard text.utf8.count <= Self.maximumTextLength else { return entry }
        entries.withLock { entries in
            if entries.count >= Self.capacity, entries[text] == nil { entries.remove(at: entries.startIndex) }
            entries[text] = entry
        }
        return entry
    }
}
