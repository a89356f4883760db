import DNSCore
import MailAuthCore
import Foundation

/// What to sign with, and how: one DKIM-Signature field.
public struct DKIMSigningConfiguration: Sendable {
    /// `d=`: the signing domain.
    public var domain: String
    /// `s=`: the selector; the key is published at `selector._domainkey.domain`.
    public var selector: String
    /// The private key; `a=` follows from it (rsa-sha256 or ed25519-sha256).
    public var key: DKIMPrivateKey
    /// `c=`: default `relaxed/relaxed`, which survives the whitespace changes relays make.
    public var canonicalization: CanonicalizationPair
    /// `h=`: the fields to sign, in order, repeated to over-sign. `nil` signs
    /// ``DKIMSigner/defaultSignedHeaders`` that are present, each over-signed once.
    public var headers: [String]?
    /// `i=`: the identity (AUID); must be `d=` or a subdomain of it. Omitted when `nil`.
    public var identity: String?
    /// `t=`: whether to record the signing time (default on).
    public var includeTimestamp: Bool
    /// `x=`: the signature expires this long after signing. Omitted when `nil`.
    public var expiresAfter: Duration?
    /// `l=`: sign only the body as it is now, recording its length. Off by default: with `l=`,
    /// anyone can append text (a different call to action, a malicious link) and the signature
    /// still passes (RFC 6376 §8.2).
    public var bodyLength: Bool
    /// `q=dns/txt`: the default, so normally omitted (RFC 6376 §3.5).
    public var includeQueryMethod: Bool
    /// What separates `h=` names: `:` by default; RFC 8463 Appendix A writes `" : "`.
    public var headerSeparator: String

    public init(
        domain: String, selector: String, key: DKIMPrivateKey, canonicalization: CanonicalizationPair = .relaxed,
        headers: [String]? = nil, identity: String? = nil, includeTimestamp: Bool = true,
        expiresAfter: Duration? = nil, bodyLength: Bool = false, includeQueryMethod: Bool = false,
        headerSeparator: String = ":"
    ) {
        self.domain = domain
        self.selector = selector
        self.key = key
        self.canonicalization = canonicalization
        self.headers = headers
        self.identity = identity
        self.includeTimestamp = includeTimestamp
        self.expiresAfter = expiresAfter
        self.bodyLength = bodyLength
        self.includeQueryMethod = includeQueryMethod
        self.headerSeparator = headerSeparator
    }

    /// `a=` for this key.
    public var algorithm: DKIMSignatureAlgorithm { key.algorithm.signatureAlgorithm }
}

/// Why a message could not be signed. Nothing is written when this is thrown.
public struct DKIMSigningError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The signed message and what the signer noticed.
public struct DKIMSigningOutput: Sendable {
    /// The message with the new DKIM-Signature fields prepended; nothing else changed.
    public var message: MailMessage
    /// The new fields, in the order they were prepended (first configuration first).
    public var signatureFields: [HeaderField]
    public var warnings: [Finding]
}

/// Signs messages with one or more keys in one pass (RFC 6376 §5; RFC 8463).
///
/// Several configurations give several independent signatures over the same message, e.g. RSA
/// and Ed25519 together (receivers that do not know Ed25519, such as Gmail, use the RSA one). A
/// message is signed whole or not at all.
public struct DKIMSigner: Sendable {
    /// Fields signed by default when present: RFC 6376 §5.4.1's list, plus Message-ID and the MIME
    /// fields, plus List-Unsubscribe-Post (RFC 8058 §4 requires it and List-Unsubscribe signed).
    public static let defaultSignedHeaders = [
        "From", "Reply-To", "Subject", "Date", "To", "Cc", "Message-ID",
        "Resent-Date", "Resent-From", "Resent-To", "Resent-Cc", "In-Reply-To", "References",
        "List-Id", "List-Help", "List-Unsubscribe", "List-Unsubscribe-Post", "List-Subscribe", "List-Post",
        "List-Owner", "List-Archive", "MIME-Version", "Content-Type", "Content-Transfer-Encoding",
    ]
    /// Longest line the signer writes in a DKIM-Signature field.
    static let lineWidth = 78

    public var configurations: [DKIMSigningConfiguration]

    public init(_ configurations: [DKIMSigningConfiguration]) { self.configurations = configurations }

    /// Signs `message` with every configuration.
    ///
    /// - Parameter now: the signing time for `t=` and `x=` (injected so output is reproducible).
    /// - Throws: ``DKIMSigningError`` (and nothing is signed) when the message does not have
    ///   exactly one From, a configuration is invalid, or a key cannot sign.
    public func sign(_ message: MailMessage, now: Date) throws(DKIMSigningError) -> DKIMSigningOutput {
        guard !configurations.isEmpty else { throw DKIMSigningError("no signing configuration given") }
        do { try message.validateFromField() } catch { throw DKIMSigningError("cannot sign: \(error.message)") }
        var fields: [HeaderField] = []
        var warnings: [Finding] = []
        var bodyHashes: [Canonicalization: (hash: [UInt8], length: Int)] = [:]
        for configuration in configurations {
            let body: (hash: [UInt8], length: Int)
            if let cached = bodyHashes[configuration.canonicalization.body] {
                body = cached
            } else {
                let hasher = BodyHasher(configuration.canonicalization.body, limit: nil)
                hasher.update(message.body)
                body = (hasher.finish(), hasher.canonicalLength)
                bodyHashes[configuration.canonicalization.body] = body
            }
            let (field, warning) = try Self.signature(
                for: message, configuration, bodyHash: body.hash, bodyLength: body.length, now: now)
            fields.append(field)
            warnings += warning
        }
        return DKIMSigningOutput(message: message.prepending(fields), signatureFields: fields, warnings: warnings)
    }

    /// The `h=` list for `message`: the configured list, or each default field present, over-signed.
    public static func signedHeaderNames(for message: MailMessage, configured: [String]?) -> [String] {
        if let configured { return configured }
        var names: [String] = []
        for name in defaultSignedHeadersLowercased {
            var count = 0
            for field in message.header where field.lowercasedName == name { count += 1 }
            if count > 0 { names += repeatElement(name, count: count + 1) }
        }
        return names
    }

    static let defaultSignedHeadersLowercased = defaultSignedHeaders.map { HeaderField.asciiLowercased($0) }

    static func signature(
        for message: MailMessage, _ configuration: DKIMSigningConfiguration, bodyHash: [UInt8], bodyLength: Int,
        now: Date
    ) throws(DKIMSigningError) -> (HeaderField, [Finding]) {
        let key = configuration.key
        var warnings: [Finding] = []
        if key.algorithm == .rsa {
            guard (DKIMPrivateKey.minimumRSABits...DKIMPrivateKey.maximumRSABits).contains(key.bits) else {
                throw DKIMSigningError(
                    "RSA key of \(key.bits) bits: DKIM needs \(DKIMPrivateKey.minimumRSABits) to \(DKIMPrivateKey.maximumRSABits) (RFC 8301 §3.2)")
            }
            if key.bits < DKIMPrivateKey.recommendedRSABits {
                warnings.append(DKIMKeyLint.rsaUnder2048(bits: key.bits))
            }
        }
        guard let domain = try? DomainName(configuration.domain) else {
            throw DKIMSigningError("d=\(configuration.domain) is not a domain name")
        }
        guard (try? DomainName("\(configuration.selector)._domainkey.\(configuration.domain)")) != nil,
              !configuration.selector.isEmpty else {
            throw DKIMSigningError("s=\(configuration.selector) is not a valid selector")
        }
        let headers = signedHeaderNames(for: message, configured: configuration.headers)
        guard headers.contains(where: { HeaderField.asciiLowercased($0) == "from" }) else {
            throw DKIMSigningError("the signed header list must include From (RFC 6376 §5.4)")
        }
        for name in headers where name.isEmpty || name.utf8.contains(where: { $0 <= 0x20 || $0 >= 0x7F || $0 == 0x3A || $0 == 0x3B }) {
            throw DKIMSigningError("\(name.debugDescription) is not a header field name")
        }

        var tags: [String] = ["v=1", "a=\(configuration.algorithm.rawValue)", "c=\(configuration.canonicalization)",
                              "d=\(configuration.domain)"]
        if let identity = configuration.identity {
            guard let at = identity.lastIndex(of: "@"),
                  let iDomain = try? DomainName(identity[identity.index(after: at)...]),
                  iDomain == domain || iDomain.isSubdomain(of: domain) else {
                throw DKIMSigningError("i=\(identity) must be in d=\(configuration.domain) or a subdomain of it")
            }
            tags.append("i=\(identity)")
        }
        if configuration.includeQueryMethod { tags.append("q=dns/txt") }
        tags.append("s=\(configuration.selector)")
        let time = Int(now.timeIntervalSince1970.rounded(.down))
        if configuration.includeTimestamp { tags.append("t=\(time)") }
        if let lifetime = configuration.expiresAfter {
            guard lifetime > .zero else { throw DKIMSigningError("x= must be after the signing time") }
            tags.append("x=\(time + Int(lifetime.components.seconds))")
        }
        if configuration.bodyLength { tags.append("l=\(bodyLength)") }
        tags.append("h=" + headers.joined(separator: configuration.headerSeparator))
        tags.append("bh=\(Base64.encode(bodyHash))")

        // Lay the field out, then hash it with b= empty, sign, and append the value.
        let unsigned = fold(name: "DKIM-Signature", tags: tags) + Array(";\r\n b=".utf8)
        let valueStart = "DKIM-Signature:".utf8.count
        let unsignedField = HeaderField(name: "DKIM-Signature", raw: unsigned, valueStart: valueStart)
        let input = HeaderHashInput.build(
            header: message.header, signedHeaders: headers, signatureField: unsignedField,
            canonicalization: configuration.canonicalization.header)
        let signature: [UInt8]
        do {
            signature = try key.sign(configuration.algorithm == .ed25519SHA256 ? SHA256Stream.hash(input) : input)
        } catch {
            throw DKIMSigningError("signing failed: \(error.message)")
        }
        // b= value, folded: " b=" then 75 characters, then lines of CRLF SP + 77.
        let encoded = Array(Base64.encode(signature).utf8)
        var raw = unsigned
        raw.reserveCapacity(unsigned.count + encoded.count + encoded.count / 32 * 3)
        var start = 0
        var take = lineWidth - 3
        while start < encoded.count {
            let end = min(encoded.count, start + take)
            raw += encoded[start..<end]
            if end < encoded.count { raw += [0x0D, 0x0A, 0x20] }
            start = end
            take = lineWidth - 1
        }
        return (HeaderField(name: "DKIM-Signature", raw: raw, valueStart: valueStart), warnings)
    }

    /// `Name: tag; tag; …` folded before a tag (or inside `h=` after a `:`) to stay within
    /// ``lineWidth`` where possible. Folding is CRLF SP, which relaxed canonicalization turns
    /// into one space, as the `; ` it replaces would be.
    static func fold(name: String, tags: [String]) -> [UInt8] {
        // Every tag is followed by ";", so a line may hold lineWidth - 1 characters of tags.
        let width = lineWidth - 1
        var out: [UInt8] = []
        out.reserveCapacity(tags.reduce(name.utf8.count + 8) { $0 + $1.utf8.count + 4 })
        out += name.utf8
        out.append(UInt8(ascii: ":"))
        var column = out.count
        for (position, tag) in tags.enumerated() {
            let bytes = tag.utf8
            if position > 0 {
                out.append(UInt8(ascii: ";"))
                column += 1
                if column + 1 + bytes.count > width {
                    out += [0x0D, 0x0A]
                    column = 0
                }
            }
            out.append(0x20)
            column += 1
            guard tag.hasPrefix("h="), column + bytes.count > width else {
                out += bytes
                column += bytes.count
                continue
            }
            // A long h= breaks after its colons.
            var pieceStart = bytes.startIndex
            while pieceStart != bytes.endIndex {
                var pieceEnd = pieceStart
                while pieceEnd != bytes.endIndex, bytes[pieceEnd] != UInt8(ascii: ":") { bytes.formIndex(after: &pieceEnd) }
                if pieceEnd != bytes.endIndex { bytes.formIndex(after: &pieceEnd) }  // keep the colon
                let length = bytes.distance(from: pieceStart, to: pieceEnd)
                if pieceStart != bytes.startIndex, column + length > width {
                    out += [0x0D, 0x0A, 0x20]
                    column = 1
                }
                out += bytes[pieceStart..<pieceEnd]
                column += length
                pieceStart = pieceEnd
            }
        }
        return out
    }
}
