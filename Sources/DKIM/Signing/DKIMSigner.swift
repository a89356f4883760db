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

    public var configurations: [DKIMSigningConfiguration] {
        didSet { prepared = configurations.map(PreparedConfiguration.make) }
    }
    /// What each configuration gives every message alike: checked once, not per message.
    private var prepared: [Result<PreparedConfiguration, DKIMSigningError>]

    public init(_ configurations: [DKIMSigningConfiguration]) {
        self.configurations = configurations
        self.prepared = configurations.map(PreparedConfiguration.make)
    }

    /// Signs `message` with every configuration.
    ///
    /// - Parameter now: the signing time for `t=` and `x=` (injected so output is reproducible).
    /// - Throws: ``DKIMSigningError`` (and nothing is signed) when the message does not have
    ///   exactly one From, a configuration is invalid, or a key cannot sign.
    public func sign(_ message: MailMessage, now: Date) throws(DKIMSigningError) -> DKIMSigningOutput {
        guard !prepared.isEmpty else { throw DKIMSigningError("no signing configuration given") }
        do { try message.validateFromField() } catch { throw DKIMSigningError("cannot sign: \(error.message)") }
        var fields: [HeaderField] = []
        fields.reserveCapacity(prepared.count)
        var warnings: [Finding] = []
        // One body hash per body canonicalization (at most two).
        var bodyHashes: (simple: (hash: [UInt8], length: Int)?, relaxed: (hash: [UInt8], length: Int)?)
        for configuration in prepared {
            let configuration = try configuration.get()
            let canonicalization = configuration.canonicalization.body
            let body: (hash: [UInt8], length: Int)
            switch (canonicalization, bodyHashes.simple, bodyHashes.relaxed) {
            case (.simple, let cached?, _), (.relaxed, _, let cached?):
                body = cached
            case (.simple, nil, _):
                body = BodyHasher.hash(message.body, .simple)
                bodyHashes.simple = body
            case (.relaxed, _, nil):
                body = BodyHasher.hash(message.body, .relaxed)
                bodyHashes.relaxed = body
            }
            fields.append(try configuration.signature(for: message, bodyHash: body.hash, bodyLength: body.length, now: now))
            warnings += configuration.warnings
        }
        return DKIMSigningOutput(message: message.prepending(fields), signatureFields: fields, warnings: warnings)
    }

    /// The `h=` list for `message`: the configured list, or each default field present, over-signed.
    public static func signedHeaderNames(for message: MailMessage, configured: [String]?) -> [String] {
        if let configured { return configured }
        let defaults = defaultSignedHeadersLowercased
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: defaults.count) { counts in
            counts.initialize(repeating: 0)
            for field in message.header {
                if let position = defaultSignedHeaderPositions[field.lowercasedName] { counts[position] += 1 }
            }
            var names: [String] = []
            names.reserveCapacity(counts.reduce(0) { $1 > 0 ? $0 + $1 + 1 : $0 })
            for (position, name) in defaults.enumerated() where counts[position] > 0 {
                names += repeatElement(name, count: counts[position] + 1)
            }
            return names
        }
    }

    static let defaultSignedHeadersLowercased = defaultSignedHeaders.map { HeaderField.asciiLowercased($0) }
    /// Where each of ``defaultSignedHeadersLowercased`` is in that list.
    static let defaultSignedHeaderPositions = Dictionary(
        uniqueKeysWithValues: defaultSignedHeadersLowercased.enumerated().map { ($1, $0) })

    /// A configuration checked, with the start of its field laid out: everything but `t=`, `x=`,
    /// `l=`, `h=` (when it follows the message), `bh=` and `b=`.
    struct PreparedConfiguration: Sendable {
        let key: DKIMPrivateKey
        let algorithm: DKIMSignatureAlgorithm
        let canonicalization: CanonicalizationPair
        let headers: [String]?
        let includeTimestamp: Bool
        let expiresAfter: Duration?
        let bodyLength: Bool
        let headerSeparator: [UInt8]
        let warnings: [Finding]
        /// The field up to `s=`, folded.
        let start: FieldWriter

        static func make(_ configuration: DKIMSigningConfiguration) -> Result<PreparedConfiguration, DKIMSigningError> {
            Result { () throws(DKIMSigningError) in try PreparedConfiguration(configuration) }
        }

        /// Checks `configuration`: the errors are the ones ``DKIMSigner/sign(_:now:)`` throws,
        /// in the same order.
        init(_ configuration: DKIMSigningConfiguration) throws(DKIMSigningError) {
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
            // The default list always holds From (the message has exactly one) and valid names.
            if let headers = configuration.headers {
                guard headers.contains(where: { HeaderField.asciiLowercased($0) == "from" }) else {
                    throw DKIMSigningError("the signed header list must include From (RFC 6376 §5.4)")
                }
                for name in headers
                where name.isEmpty || name.utf8.contains(where: { $0 <= 0x20 || $0 >= 0x7F || $0 == 0x3A || $0 == 0x3B }) {
                    throw DKIMSigningError("\(name.debugDescription) is not a header field name")
                }
            }
            var start = FieldWriter(name: "DKIM-Signature")
            start.add("v=1")
            start.add("a=\(configuration.algorithm.rawValue)")
            start.add("c=\(configuration.canonicalization)")
            start.add("d=\(configuration.domain)")
            if let identity = configuration.identity {
                guard let at = identity.lastIndex(of: "@"),
                      let iDomain = try? DomainName(identity[identity.index(after: at)...]),
                      iDomain == domain || iDomain.isSubdomain(of: domain) else {
                    throw DKIMSigningError("i=\(identity) must be in d=\(configuration.domain) or a subdomain of it")
                }
                start.add("i=\(identity)")
            }
            if configuration.includeQueryMethod { start.add("q=dns/txt") }
            start.add("s=\(configuration.selector)")
            if let lifetime = configuration.expiresAfter, !(lifetime > .zero) {
                throw DKIMSigningError("x= must be after the signing time")
            }
            self.key = key
            self.algorithm = configuration.algorithm
            self.canonicalization = configuration.canonicalization
            self.headers = configuration.headers
            self.includeTimestamp = configuration.includeTimestamp
            self.expiresAfter = configuration.expiresAfter
            self.bodyLength = configuration.bodyLength
            self.headerSeparator = Array(configuration.headerSeparator.utf8)
            self.warnings = warnings
            self.start = start
        }

        /// The DKIM-Signature field for `message` (RFC 6376 §5).
        func signature(for message: MailMessage, bodyHash: [UInt8], bodyLength: Int, now: Date) throws(DKIMSigningError) -> HeaderField {
            let headers = signedHeaderNames(for: message, configured: self.headers)
            var field = start
            var tag: [UInt8] = []
            tag.reserveCapacity(256)
            let time = Int(now.timeIntervalSince1970.rounded(.down))
            if includeTimestamp {
                tag += "t=".utf8
                Self.appendDecimal(time, to: &tag)
                field.add(tag)
            }
            if let lifetime = expiresAfter {
                tag.removeAll(keepingCapacity: true)
                tag += "x=".utf8
                Self.appendDecimal(time + Int(lifetime.components.seconds), to: &tag)
                field.add(tag)
            }
            if self.bodyLength {
                tag.removeAll(keepingCapacity: true)
                tag += "l=".utf8
                Self.appendDecimal(bodyLength, to: &tag)
                field.add(tag)
            }
            tag.removeAll(keepingCapacity: true)
            tag += "h=".utf8
            for (position, name) in headers.enumerated() {
                if position > 0 { tag += headerSeparator }
                tag += name.utf8
            }
            field.add(tag, breakingAfterColons: true)
            tag.removeAll(keepingCapacity: true)
            tag += "bh=".utf8
            tag += Base64.encodedBytes(bodyHash)
            field.add(tag)

            // Hash the field with b= empty, sign, and append the value.
            field.out += ";\r\n b=".utf8
            let valueStart = "DKIM-Signature:".utf8.count
            let input = HeaderHashInput.build(
                header: message.header, signedHeaders: headers,
                signatureField: HeaderField(
                    name: "DKIM-Signature", raw: field.out, valueStart: valueStart, lowercasedName: "dkim-signature"),
                canonicalization: canonicalization.header, signatureValue: field.out.count..<field.out.count)
            let signature: [UInt8]
            do {
                signature = try key.sign(algorithm == .ed25519SHA256 ? SHA256Stream.hash(input) : input)
            } catch {
                throw DKIMSigningError("signing failed: \(error.message)")
            }
            // b= value, folded: " b=" then 75 characters, then lines of CRLF SP + 77.
            let encoded = Base64.encodedBytes(signature)
            var raw = field.out
            field.out = []  // so raw is the only reference and grows in place
            raw.reserveCapacity(raw.count + encoded.count + encoded.count / 32 * 3)
            var start = 0
            var take = lineWidth - 3
            while start < encoded.count {
                let end = min(encoded.count, start + take)
                raw += encoded[start..<end]
                if end < encoded.count { raw += [0x0D, 0x0A, 0x20] }
                start = end
                take = lineWidth - 1
            }
            return HeaderField(name: "DKIM-Signature", raw: raw, valueStart: valueStart, lowercasedName: "dkim-signature")
        }

        /// `value` in decimal (signing times and lengths are never negative, but a sign is kept).
        static func appendDecimal(_ value: Int, to out: inout [UInt8]) {
            if value < 0 { out.append(UInt8(ascii: "-")) }
            var magnitude = value.magnitude
            var divisor: UInt = 1
            while divisor <= magnitude / 10 { divisor *= 10 }
            repeat {
                out.append(UInt8(ascii: "0") + UInt8(magnitude / divisor))
                magnitude %= divisor
                divisor /= 10
            } while divisor > 0
        }
    }

    /// Lays a field out one tag at a time: `Name: tag; tag; …` folded before a tag (or inside `h=`
    /// after a `:`) to stay within ``lineWidth`` where possible. Folding is CRLF SP, which relaxed
    /// canonicalization turns into one space, as the `; ` it replaces would be.
    struct FieldWriter: Sendable {
        /// The field so far: its name, the colon and the tags added, without a final `;`.
        var out: [UInt8]
        private var column: Int
        private var hasTags = false

        init(name: String) {
            out = Array(name.utf8)
            out.reserveCapacity(512)
            out.append(UInt8(ascii: ":"))
            column = out.count
        }

        mutating func add(_ tag: String) { add(Array(tag.utf8)) }

        /// Adds `tag` (`name=value`); `breakingAfterColons` lets a long one (`h=`) break after its
        /// colons.
        mutating func add(_ bytes: [UInt8], breakingAfterColons: Bool = false) {
            // Every tag is followed by ";", so a line may hold lineWidth - 1 characters of tags.
            let width = lineWidth - 1
            if hasTags {
                out.append(UInt8(ascii: ";"))
                column += 1
                if column + 1 + bytes.count > width {
                    out += [0x0D, 0x0A]
                    column = 0
                }
            }
            hasTags = true
            out.append(0x20)
            column += 1
            guard breakingAfterColons, column + bytes.count > width else {
                out += bytes
                column += bytes.count
                return
            }
            var pieceStart = 0
            while pieceStart < bytes.count {
                var pieceEnd = pieceStart
                while pieceEnd < bytes.count, bytes[pieceEnd] != UInt8(ascii: ":") { pieceEnd += 1 }
                if pieceEnd < bytes.count { pieceEnd += 1 }  // keep the colon
                let length = pieceEnd - pieceStart
                if pieceStart != 0, column + length > width {
                    out += [0x0D, 0x0A, 0x20]
                    column = 1
                }
                out += bytes[pieceStart..<pieceEnd]
                column += length
                pieceStart = pieceEnd
            }
        }
    }
}
