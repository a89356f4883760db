/// The outcome of evaluating one DKIM-Signature field, with the evidence behind it.
public struct DKIMResult: Sendable, Hashable {
    /// Result names of RFC 8601 §2.7.1.
    public enum Status: String, Sendable, Hashable, Codable, CaseIterable {
        /// The signature verified.
        case pass
        /// The signature was well formed but did not verify (body hash or signature mismatch,
        /// or a forbidden algorithm such as rsa-sha1).
        case fail
        /// The signature could not be processed (not evaluated, e.g. over the per-message limit).
        case neutral
        /// A temporary failure, such as a DNS timeout: try again later.
        case temperror
        /// A permanent error: a malformed signature or key, no key, a revoked or too-small key.
        case permerror
    }

    /// What `l=` left unsigned (RFC 6376 §3.5, §8.2).
    public struct BodyLength: Sendable, Hashable {
        /// `l=`: canonical body bytes covered by the signature.
        public var signed: Int
        /// The canonical body's full length.
        public var canonical: Int
        /// Bytes after the signed part: content anyone could have added.
        public var unsigned: Int { max(0, canonical - signed) }
    }

    public var status: Status
    /// Why, for a person (`body hash mismatch`, `no key for brisbane._domainkey.example.com`).
    public var reason: String
    /// Position of the DKIM-Signature field in the header (0 = first field).
    public var fieldIndex: Int
    /// `d=`, `s=`, `a=` and `i=` when they could be read.
    public var domain: String?
    public var selector: String?
    public var algorithm: String?
    public var identity: String?
    /// The parsed field, when it parsed.
    public var signature: DKIMSignature?
    /// The key record used, when one was found.
    public var keyRecord: DKIMKeyRecord?
    /// Key size in bits, when the key loaded.
    public var keyBits: Int?
    /// Set when the signature carries `l=`.
    public var bodyLength: BodyLength?
    /// `t=y` on the key: the domain says it is testing DKIM (RFC 6376 §3.6.1).
    public var testing: Bool

    public init(
        status: Status, reason: String, fieldIndex: Int, domain: String? = nil, selector: String? = nil,
        algorithm: String? = nil, identity: String? = nil, signature: DKIMSignature? = nil,
        keyRecord: DKIMKeyRecord? = nil, keyBits: Int? = nil, bodyLength: BodyLength? = nil, testing: Bool = false
    ) {
        self.status = status
        self.reason = reason
        self.fieldIndex = fieldIndex
        self.domain = domain
        self.selector = selector
        self.algorithm = algorithm
        self.identity = identity
        self.signature = signature
        self.keyRecord = keyRecord
        self.keyBits = keyBits
        self.bodyLength = bodyLength
        self.testing = testing
    }
}
