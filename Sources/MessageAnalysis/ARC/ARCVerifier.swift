import DKIM
import DNSCore
import Foundation
import MailAuthCore

/// The outcome of validating a message's ARC chain (RFC 8617 §5.2).
public struct ARCVerification: Sendable, Hashable, Codable {
    /// The chain validation status (RFC 8617 §4.4).
    public enum ChainStatus: String, Sendable, Hashable, Codable {
        /// No ARC sets.
        case none
        /// Every seal and the newest message signature verified.
        case pass
        /// Something is broken; ``reason`` says what.
        case fail
        /// Not verified (DNS not allowed, or a key lookup failed temporarily).
        case notChecked = "not-checked"
    }

    /// One ARC set, as read and verified.
    public struct Instance: Sendable, Hashable, Codable {
        /// `i=`.
        public var instance: Int
        /// The sealer's domain and selector (`ARC-Seal` `d=`, `s=`).
        public var sealDomain: String?
        public var sealSelector: String?
        /// `cv=` of the seal: what the sealer found the chain to be.
        public var claimedChainStatus: String?
        /// The ARC-Authentication-Results of this set: what this intermediary saw.
        public var authenticationResults: AuthenticationResults?
        /// Whether the seal verified now (`nil` when not checked).
        public var sealVerified: Bool?
        /// Whether the ARC-Message-Signature verified now (`nil` when not checked).
        public var messageSignatureVerified: Bool?
        /// Why a check failed.
        public var problem: String?
    }

    public var status: ChainStatus
    /// Why the chain is `fail` or `not-checked`.
    public var reason: String?
    /// The sets, oldest (`i=1`) first.
    public var instances: [Instance]
    /// The oldest instance whose message signature still verifies (RFC 8617 §5.2 step 6); the
    /// intermediaries after it changed the message.
    public var oldestPassingInstance: Int?
}

/// Validates ARC chains (RFC 8617 §5.2) with the DKIM crypto.
///
/// RFC 8617 is Experimental and moving to Historic, but Gmail and Microsoft still add ARC sets;
/// they show which intermediary (a forwarder, a mailing list) changed a message, and what that
/// intermediary saw before the change.
public struct ARCVerifier: Sendable {
    /// ARC sets read at most (RFC 8617 §5.1.1.5 caps the chain at 50).
    public static let maximumInstances = 50

    public var resolver: (any DNSResolver)?
    public var timeout: Duration

    /// - Parameter resolver: answers the key lookups; `nil` parses the chain without verifying.
    public init(resolver: (any DNSResolver)?, timeout: Duration = .seconds(10)) {
        self.resolver = resolver
        self.timeout = timeout
    }

    /// Validates `message`'s chain.
    public func verify(_ message: MailMessage) async -> ARCVerification {
        var seals: [Int: [HeaderField]] = [:]
        var signatures: [Int: [HeaderField]] = [:]
        var results: [Int: [HeaderField]] = [:]
        var problems: [String] = []
        for field in message.header {
            let name = field.lowercasedName
            guard name == "arc-seal" || name == "arc-message-signature" || name == "arc-authentication-results" else { continue }
            guard let instance = Self.instance(of: field) else {
                problems.append("\(field.name) without a valid i= tag")
                continue
            }
            switch name {
            case "arc-seal": seals[instance, default: []].append(field)
            case "arc-message-signature": signatures[instance, default: []].append(field)
            default: results[instance, default: []].append(field)
            }
        }
        let allInstances = Set(seals.keys).union(signatures.keys).union(results.keys).sorted()
        if allInstances.isEmpty, problems.isEmpty {
            return ARCVerification(status: .none, reason: nil, instances: [], oldestPassingInstance: nil)
        }
        var instances: [ARCVerification.Instance] = []
        for number in allInstances.prefix(Self.maximumInstances) {
            var item = ARCVerification.Instance(instance: number)
            if let seal = seals[number]?.first, let tags = try? TagList.parse(seal.valueText) {
                item.sealDomain = tags["d"]?.value
                item.sealSelector = tags["s"]?.value
                item.claimedChainStatus = tags["cv"]?.value.lowercased()
            }
            if let aar = results[number]?.first {
                item.authenticationResults = AuthenticationResults(parsing: aar.valueText, arc: true)
            }
            instances.append(item)
        }
        func fail(_ reason: String) -> ARCVerification {
            ARCVerification(status: .fail, reason: reason, instances: instances, oldestPassingInstance: nil)
        }
        // RFC 8617 §5.2 steps 1–3: structure.
        if let problem = problems.first { return fail(problem) }
        let count = allInstances.count
        guard count <= Self.maximumInstances else { return fail("more than \(Self.maximumInstances) ARC sets") }
        guard allInstances == Array(1...count) else {
            return fail("the ARC instances are not 1…\(count) without gaps: \(allInstances.map(String.init).joined(separator: ", "))")
        }
        for number in allInstances {
            for (name, table) in [("ARC-Seal", seals), ("ARC-Message-Signature", signatures), ("ARC-Authentication-Results", results)] {
                let found = table[number]?.count ?? 0
                if found != 1 { return fail("instance \(number) has \(found) \(name) fields; exactly one is required (RFC 8617 §4.2.1)") }
            }
        }
        for item in instances {
            let expected = item.instance == 1 ? "none" : "pass"
            if item.claimedChainStatus == "fail" {
                return fail("the sealer of instance \(item.instance) recorded cv=fail: the chain was already broken there")
            }
            if item.claimedChainStatus != expected {
                return fail("instance \(item.instance) has cv=\(item.claimedChainStatus ?? "(none)"); RFC 8617 §5.1.1 requires cv=\(expected)")
            }
        }
        guard let resolver else {
            return ARCVerification(
                status: .notChecked, reason: "DNS was not allowed (--no-dns): the seals were read, not verified",
                instances: instances, oldestPassingInstance: nil)
        }
        let keys = KeyFetcher(resolver: DeadlineResolver(resolver, timeout: timeout))
        // Step 5: the newest AMS; step 6: older ones, to find the oldest that still passes.
        var oldestPassing: Int?
        var temporary: String?
        for index in instances.indices.reversed() {
            let number = instances[index].instance
            guard let field = signatures[number]?.first else { continue }
            let outcome = await verifyMessageSignature(field, message: message, keys: keys)
            instances[index].messageSignatureVerified = outcome.verified
            if !outcome.verified { instances[index].problem = outcome.problem }
            if outcome.temporary { temporary = outcome.problem }
            if outcome.verified { oldestPassing = number } else { break }
        }
        if let temporary {
            return ARCVerification(status: .notChecked, reason: temporary, instances: instances, oldestPassingInstance: nil)
        }
        guard let newest = instances.last, newest.messageSignatureVerified == true else {
            return ARCVerification(
                status: .fail,
                reason: "the newest ARC-Message-Signature (i=\(count)) did not verify: \(instances.last?.problem ?? "unknown")",
                instances: instances, oldestPassingInstance: nil)
        }
        // Step 7: every seal, newest first.
        for index in instances.indices.reversed() {
            let number = instances[index].instance
            let outcome = await verifySeal(number, seals: seals, signatures: signatures, results: results, keys: keys)
            instances[index].sealVerified = outcome.verified
            if !outcome.verified {
                instances[index].problem = outcome.problem
                if outcome.temporary {
                    return ARCVerification(status: .notChecked, reason: outcome.problem, instances: instances, oldestPassingInstance: oldestPassing)
                }
                return ARCVerification(
                    status: .fail, reason: "the ARC-Seal of instance \(number) did not verify: \(outcome.problem ?? "")",
                    instances: instances, oldestPassingInstance: oldestPassing)
            }
        }
        return ARCVerification(status: .pass, reason: nil, instances: instances, oldestPassingInstance: oldestPassing)
    }

    struct Outcome {
        var verified: Bool
        var problem: String?
        var temporary = false
    }

    /// `i=` of an ARC field: the first tag of an ARC-Authentication-Results field, a tag of the others.
    static func instance(of field: HeaderField) -> Int? {
        let text = field.valueText
        if field.lowercasedName == "arc-authentication-results" {
            let first = text.split(separator: ";", maxSplits: 1).first.map(String.init) ?? ""
            let parts = first.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, parts[0].trimmingCharacters(in: .whitespacesAndNewlines).lowercased() == "i" else { return nil }
            return Int(parts[1].trimmingCharacters(in: .whitespacesAndNewlines)).flatMap { (1...1024).contains($0) ? $0 : nil }
        }
        guard let tags = try? TagList.parse(text), let value = tags["i"]?.value, let number = Int(value),
              (1...1024).contains(number)
        else { return nil }
        return number
    }

    /// RFC 8617 §5.2 step 5: the AMS verifies as a DKIM signature without `v=` (§4.1.2).
    private func verifyMessageSignature(_ field: HeaderField, message: MailMessage, keys: KeyFetcher) async -> Outcome {
        guard let tags = try? TagList.parse(field.valueText) else { return Outcome(verified: false, problem: "ARC-Message-Signature is not a tag list") }
        guard let algorithmName = tags["a"]?.value.lowercased(), let algorithm = DKIMSignatureAlgorithm(rawValue: algorithmName),
              algorithm != .rsaSHA1
        else { return Outcome(verified: false, problem: "unknown or forbidden algorithm a=\(tags["a"]?.value ?? "")") }
        guard let domain = tags["d"]?.value, let selector = tags["s"]?.value,
              let signature = tags["b"].flatMap({ DKIMSignatureHashing.decodeBase64($0.value) }), !signature.isEmpty,
              let bodyHash = tags["bh"].flatMap({ DKIMSignatureHashing.decodeBase64($0.value) }),
              let signed = tags["h"]?.value
        else { return Outcome(verified: false, problem: "ARC-Message-Signature lacks d=, s=, b=, bh= or h=") }
        let canonicalization = tags["c"].flatMap { CanonicalizationPair($0.value.lowercased()) } ?? .simple
        let hasher = BodyHasher(canonicalization.body, limit: nil)
        hasher.update(message.body)
        guard hasher.finish() == bodyHash else {
            return Outcome(verified: false, problem: "body hash mismatch: the body changed after instance's signature (or only headers were given)")
        }
        let key: DKIMPublicKey
        switch await keys.key(domain: domain, selector: selector, algorithm: algorithm) {
        case .success(let found): key = found
        case .failure(let problem): return Outcome(verified: false, problem: problem.message, temporary: problem.temporary)
        }
        let names = signed.split(separator: ":").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        // The AMS itself must not be among the fields picked for h=: only fields above it count as
        // in DKIM, and ARC fields are never signed (RFC 8617 §4.1.2).
        let input = DKIMSignatureHashing.headerHashInput(
            header: message.header, signedHeaders: names, signatureField: field, canonicalization: canonicalization.header)
        guard DKIMSignatureHashing.verify(signature, over: input, key: key, algorithm: algorithm) else {
            return Outcome(verified: false, problem: "signature did not verify (a signed header field changed)")
        }
        return Outcome(verified: true)
    }

    /// RFC 8617 §5.1.1: the seal of instance `number` signs, relaxed, every ARC set from 1 to
    /// `number` in the order AAR, AMS, AS, the last AS with `b=` empty.
    private func verifySeal(
        _ number: Int, seals: [Int: [HeaderField]], signatures: [Int: [HeaderField]], results: [Int: [HeaderField]],
        keys: KeyFetcher
    ) async -> Outcome {
        guard let seal = seals[number]?.first, let tags = try? TagList.parse(seal.valueText) else {
            return Outcome(verified: false, problem: "ARC-Seal is not a tag list")
        }
        guard let algorithmName = tags["a"]?.value.lowercased(), let algorithm = DKIMSignatureAlgorithm(rawValue: algorithmName),
              algorithm != .rsaSHA1
        else { return Outcome(verified: false, problem: "unknown or forbidden algorithm a=\(tags["a"]?.value ?? "")") }
        guard let domain = tags["d"]?.value, let selector = tags["s"]?.value,
              let signature = tags["b"].flatMap({ DKIMSignatureHashing.decodeBase64($0.value) }), !signature.isEmpty
        else { return Outcome(verified: false, problem: "ARC-Seal lacks d=, s= or b=") }
        if tags["h"] != nil { return Outcome(verified: false, problem: "ARC-Seal carries h=, which RFC 8617 §4.1.3 forbids") }
        var input: [UInt8] = []
        for instance in 1...number {
            guard let aar = results[instance]?.first, let ams = signatures[instance]?.first, let sealField = seals[instance]?.first
            else { return Outcome(verified: false, problem: "instance \(instance) is incomplete") }
            input += Canonicalization.relaxed.canonicalize(aar)
            input += Canonicalization.relaxed.canonicalize(ams)
            if instance == number {
                input += DKIMSignatureHashing.withoutSignatureValue(sealField, canonicalization: .relaxed)
            } else {
                input += Canonicalization.relaxed.canonicalize(sealField)
            }
        }
        let key: DKIMPublicKey
        switch await keys.key(domain: domain, selector: selector, algorithm: algorithm) {
        case .success(let found): key = found
        case .failure(let problem): return Outcome(verified: false, problem: problem.message, temporary: problem.temporary)
        }
        guard DKIMSignatureHashing.verify(signature, over: input, key: key, algorithm: algorithm) else {
            return Outcome(verified: false, problem: "seal signature did not verify (an ARC field changed)")
        }
        return Outcome(verified: true)
    }
}

/// A key lookup failure: its message and whether it is temporary (DNS) or permanent.
struct KeyProblem: Error {
    var message: String
    var temporary: Bool
}

/// DKIM key lookups for ARC (RFC 6376 §3.6.2, which RFC 8617 §4.1.2 reuses).
struct KeyFetcher: Sendable {
    var resolver: any DNSResolver

    func key(domain: String, selector: String, algorithm: DKIMSignatureAlgorithm) async -> Result<DKIMPublicKey, KeyProblem> {
        let name: DomainName
        do { name = try DomainName("\(selector)._domainkey.\(domain)") } catch {
            return .failure(KeyProblem(message: "s= and d= do not form a key name: \(error)", temporary: false))
        }
        let response: DNSResponse
        do { response = try await resolver.query(name, .txt) } catch {
            return .failure(KeyProblem(message: "key lookup for \(name) failed: \(error)", temporary: true))
        }
        guard response.outcome == .answer, let txt = response.txt.first else {
            return .failure(KeyProblem(message: "no key at \(name)", temporary: false))
        }
        guard let record = try? DKIMKeyRecord.parse(txt.joined), !record.isRevoked, let keyAlgorithm = record.keyAlgorithm,
              keyAlgorithm == algorithm.keyAlgorithm
        else { return .failure(KeyProblem(message: "the key at \(name) is malformed, revoked or of another type", temporary: false)) }
        do { return .success(try DKIMPublicKey(algorithm: keyAlgorithm, data: record.publicKeyData)) } catch {
            return .failure(KeyProblem(message: "the key at \(name): \(error)", temporary: false))
        }
    }
}
