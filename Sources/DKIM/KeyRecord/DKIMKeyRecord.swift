import MailAuthCore

/// A DKIM public key record, the TXT record at `selector._domainkey.domain` (RFC 6376 §3.6.1).
///
/// Unknown tags are ignored (RFC 6376 §3.6.1: "Unrecognized tags MUST be ignored").
public struct DKIMKeyRecord: Sendable, Hashable {
    /// `v=`: must be `DKIM1` and come first when present.
    public var version: String?
    /// `k=`: the key type, as written (default `rsa`). ``keyAlgorithm`` is `nil` for an unknown type.
    public var keyType: String
    /// `h=`: acceptable hash algorithms; `nil` means all.
    public var hashAlgorithms: [String]?
    /// `p=`: the public key data, base64-decoded. Empty means the key was revoked.
    public var publicKeyData: [UInt8]
    /// `s=`: service types; `["*"]` when absent. DKIM applies when it lists `*` or `email`.
    public var serviceTypes: [String]
    /// `t=`: flags (`y` testing, `s` strict), unknown flags kept.
    public var flags: [String]
    /// `n=`: notes for people.
    public var notes: String?

    /// The known key algorithm of ``keyType``.
    public var keyAlgorithm: DKIMKeyAlgorithm? { DKIMKeyAlgorithm(rawValue: keyType.lowercased()) }
    /// A revoked key has an empty `p=` (RFC 6376 §3.6.1).
    public var isRevoked: Bool { publicKeyData.isEmpty }
    /// `t=y`: the domain is testing DKIM; verifiers must not treat the message differently
    /// from an unsigned one (RFC 6376 §3.6.1).
    public var isTesting: Bool { flags.contains("y") }
    /// `t=s`: the `i=` domain must equal `d=`, not be a subdomain of it (RFC 6376 §3.6.1).
    public var isStrict: Bool { flags.contains("s") }
    /// Whether `s=` allows use for email.
    public var allowsEmail: Bool { serviceTypes.contains("*") || serviceTypes.contains { $0.lowercased() == "email" } }
    /// Whether `h=` allows SHA-256.
    public var allowsSHA256: Bool { hashAlgorithms.map { $0.contains { $0.lowercased() == "sha256" } } ?? true }

    public init(
        version: String? = "DKIM1", keyType: String = "rsa", hashAlgorithms: [String]? = nil, publicKeyData: [UInt8],
        serviceTypes: [String] = ["*"], flags: [String] = [], notes: String? = nil
    ) {
        self.version = version
        self.keyType = keyType
        self.hashAlgorithms = hashAlgorithms
        self.publicKeyData = publicKeyData
        self.serviceTypes = serviceTypes
        self.flags = flags
        self.notes = notes
    }

    /// Parses a key record's text (the TXT strings joined, RFC 6376 §3.6.2.2).
    ///
    /// - Throws: ``SyntaxError`` for a malformed tag-list, a duplicated tag, `v=` other than
    ///   `DKIM1` or not first, a missing `p=`, or `p=` that is not base64.
    public static func parse(_ text: String) throws(SyntaxError) -> DKIMKeyRecord {
        let list = try TagList.parse(text, allowEmptySpecs: false)
        if let duplicate = list.duplicates.first {
            throw SyntaxError(offset: duplicate.nameOffset, term: duplicate.name,
                              message: "tag \(duplicate.name)= appears twice (RFC 6376 §3.2)", input: text)
        }
        var record = DKIMKeyRecord(version: nil, publicKeyData: [])
        if let v = list["v"] {
            guard list.tags.first?.name == "v" else {
                throw SyntaxError(offset: v.nameOffset, term: "v", message: "v= must be the first tag", input: text)
            }
            guard v.value == "DKIM1" else {
                throw SyntaxError(offset: v.valueOffset, term: v.value,
                                  message: "v= must be DKIM1 (RFC 6376 §3.6.1)", input: text)
            }
            record.version = v.value
        }
        guard let p = list["p"] else {
            throw SyntaxError(offset: text.utf8.count, term: nil, message: "the required p= tag is missing", input: text)
        }
        guard let key = Base64.decode(p.value) else {
            throw SyntaxError(offset: p.valueOffset, term: "p", message: "p= is not valid base64", input: text)
        }
        record.publicKeyData = key
        if let k = list["k"] { record.keyType = k.value }
        if let h = list["h"] { record.hashAlgorithms = colonList(h.value) }
        if let s = list["s"] { record.serviceTypes = colonList(s.value) }
        if let t = list["t"] { record.flags = colonList(t.value) }
        if let n = list["n"] { record.notes = n.value }
        return record
    }

    /// The key, decoded for use.
    ///
    /// - Throws: ``DKIMKeyError`` when revoked, of an unknown type, or not decodable.
    public func publicKey() throws(DKIMKeyError) -> DKIMPublicKey {
        guard !isRevoked else { throw DKIMKeyError("the key is revoked (empty p=)") }
        guard let algorithm = keyAlgorithm else { throw DKIMKeyError("unknown key type k=\(keyType)") }
        return try DKIMPublicKey(algorithm: algorithm, data: publicKeyData)
    }

    /// The record as text for a zone file: `v=DKIM1; k=…; [t=…;] p=…`.
    public var text: String {
        var tags = ["v=DKIM1"]
        if keyType != "rsa" || keyAlgorithm == .rsa { tags.append("k=\(keyType)") }
        if let hashAlgorithms { tags.append("h=\(hashAlgorithms.joined(separator: ":"))") }
        if serviceTypes != ["*"] { tags.append("s=\(serviceTypes.joined(separator: ":"))") }
        if !flags.isEmpty { tags.append("t=\(flags.joined(separator: ":"))") }
        tags.append("p=\(Base64.encode(publicKeyData))")
        return tags.joined(separator: "; ")
    }

    static func colonList(_ value: String) -> [String] {
        value.split(separator: ":").map { $0.filter { !$0.isWhitespace } }.filter { !$0.isEmpty }
    }
}

extension DKIMKeyRecord {
    /// Questions' time one key fetch is given: an answer can take a few questions (a retry, the
    /// provider's name behind a CNAME at the selector, TCP after a truncated UDP answer).
    public static let questionsPerLookup = 4
    /// The least time key fetching is given, however short the questions.
    public static let minimumLookupTimeout: Duration = .seconds(5)

    /// The deadline of fetching key records (``DKIMVerifier``, ``DKIMKeyChecker``) when each DNS
    /// question may take `perQuestion`: ``questionsPerLookup`` questions' time, at least
    /// ``minimumLookupTimeout``.
    public static func lookupTimeout(perQuestion: Duration) -> Duration {
        max(minimumLookupTimeout, perQuestion * questionsPerLookup)
    }
}
