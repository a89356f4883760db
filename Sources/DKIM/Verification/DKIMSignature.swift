import DNSCore
import MailAuthCore

/// The tags of one DKIM-Signature header field (RFC 6376 §3.5).
public struct DKIMSignature: Sendable, Hashable {
    /// `a=`, as written.
    public var algorithmName: String
    /// `a=`, when known.
    public var algorithm: DKIMSignatureAlgorithm?
    /// `b=`: the signature bytes.
    public var signature: [UInt8]
    /// `bh=`: the body hash.
    public var bodyHash: [UInt8]
    /// `c=` (default `simple/simple`).
    public var canonicalization: CanonicalizationPair
    /// `d=`: the signing domain (SDID).
    public var domain: String
    /// `h=`: the signed header field names in order, as written.
    public var signedHeaders: [String]
    /// `i=`: the agent or user identifier (AUID); default `@` + `d=`.
    public var identity: String
    /// `l=`: how many canonical body bytes were signed, when limited.
    public var bodyLength: Int?
    /// `q=`: query methods (default `dns/txt`).
    public var queryMethods: [String]
    /// `s=`: the selector.
    public var selector: String
    /// `t=`: signing time, seconds since the epoch.
    public var timestamp: Int?
    /// `x=`: expiry time, seconds since the epoch.
    public var expiration: Int?

    /// The domain part of ``identity``.
    public var identityDomain: String {
        guard let at = identity.lastIndex(of: "@") else { return identity }
        return String(identity[identity.index(after: at)...])
    }

    /// Tags every signature must have (RFC 6376 §3.5).
    public static let requiredTags = ["v", "a", "b", "bh", "d", "h", "s"]
    /// Longest `l=`, `t=` or `x=` value accepted (RFC 6376 §3.5: 76 digits; more cannot be a time).
    static let maximumDigits = 18

    /// Parses and checks a DKIM-Signature value.
    ///
    /// - Throws: ``DKIMSignature/Problem`` naming the first rule broken: a tag-list syntax error, a
    ///   duplicated or missing required tag, `v=` other than 1, an unknown `c=` or `q=`, `i=` not
    ///   within `d=`, `h=` without From, or a malformed number or base64 value.
    public static func parse(_ value: String) throws(Problem) -> DKIMSignature {
        let list: TagList
        do { list = try TagList.parse(value, allowEmptySpecs: false) } catch { throw Problem("syntax: \(error)") }
        if let duplicate = list.duplicates.first { throw Problem("tag \(duplicate.name)= appears twice") }
        /// A required tag's value: present, or the named problem.
        func required(_ name: String) throws(Problem) -> String {
            guard let tag = list[name] else { throw Problem("required tag \(name)= is missing") }
            return tag.value
        }
        for name in requiredTags { _ = try required(name) }
        guard list["v"]?.value == "1" else { throw Problem("v= must be 1") }
        let algorithmName = try required("a").lowercased()
        guard let signature = Base64.decode(try required("b")), !signature.isEmpty else {
            throw Problem("b= is empty or not base64")
        }
        guard let bodyHash = Base64.decode(try required("bh")), !bodyHash.isEmpty else {
            throw Problem("bh= is empty or not base64")
        }
        var canonicalization = CanonicalizationPair.simple
        if let c = list["c"] {
            guard let pair = CanonicalizationPair(c.value.lowercased()) else {
                throw Problem("unknown canonicalization c=\(c.value)")
            }
            canonicalization = pair
        }
        let domain = try required("d")
        guard !domain.isEmpty, (try? DomainName(domain)) != nil else { throw Problem("d= is not a domain name") }
        let selector = try required("s")
        guard !selector.isEmpty else { throw Problem("s= is empty") }
        let signedHeaders = try required("h").split(separator: ":").map { String($0.filter { !$0.isWhitespace }) }
        guard !signedHeaders.contains(where: \.isEmpty), !signedHeaders.isEmpty else { throw Problem("h= is malformed") }
        guard signedHeaders.contains(where: { $0.lowercased() == "from" }) else {
            throw Problem("h= does not include From (RFC 6376 §5.4)")
        }
        var identity = "@" + domain
        if let i = list["i"] {
            guard let at = i.value.lastIndex(of: "@") else { throw Problem("i= has no @") }
            let iDomain = i.value[i.value.index(after: at)...].lowercased()
            let dDomain = domain.lowercased()
            guard iDomain == dDomain || iDomain.hasSuffix("." + dDomain) else {
                throw Problem("i= domain \(iDomain) is not d= \(dDomain) or a subdomain of it (RFC 6376 §3.5)")
            }
            identity = i.value
        }
        var queryMethods = ["dns/txt"]
        if let q = list["q"] {
            queryMethods = q.value.split(separator: ":").map { String($0.filter { !$0.isWhitespace }) }
            guard queryMethods.contains(where: { $0.lowercased() == "dns/txt" })
            else { throw Problem("q= does not offer dns/txt") }
        }
        let bodyLength = try number(list["l"], "l")
        let timestamp = try number(list["t"], "t")
        let expiration = try number(list["x"], "x")
        if let timestamp, let expiration, expiration < timestamp {
            throw Problem("x= is before t= (RFC 6376 §3.5)")
        }
        return DKIMSignature(
            algorithmName: algorithmName, algorithm: DKIMSignatureAlgorithm(rawValue: algorithmName),
            signature: signature, bodyHash: bodyHash, canonicalization: canonicalization, domain: domain,
            signedHeaders: signedHeaders, identity: identity, bodyLength: bodyLength, queryMethods: queryMethods,
            selector: selector, timestamp: timestamp, expiration: expiration)
    }

    private static func number(_ tag: Tag?, _ name: String) throws(Problem) -> Int? {
        guard let tag else { return nil }
        guard !tag.value.isEmpty, tag.value.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw Problem("\(name)= is not a decimal number")
        }
        guard tag.value.utf8.count <= maximumDigits, let value = Int(tag.value) else {
            throw Problem("\(name)= is too large")
        }
        return value
    }

    /// A broken rule in a DKIM-Signature field (a permerror, RFC 6376 §6.1.1).
    public struct Problem: Error, Sendable, Hashable, CustomStringConvertible {
        public var message: String
        public init(_ message: String) { self.message = message }
        public var description: String { message }
    }
}

/// The bytes hashed for a signature (RFC 6376 §3.7): the signed header fields, canonicalized, in
/// `h=` order, then the DKIM-Signature field itself with its `b=` value emptied and no final CRLF.
enum HeaderHashInput {
    /// Picks fields for `h=`: each name takes the last unused instance, going up from the bottom
    /// (RFC 6376 §5.4.2); a name with no instance left contributes nothing.
    static func build(
        header: [HeaderField], signedHeaders: [String], signatureField: HeaderField,
        canonicalization: Canonicalization
    ) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(header.reduce(0) { $0 + $1.raw.count } + signatureField.raw.count)
        let names = signedHeaders.map { HeaderField.asciiLowercased($0) }
        for (position, name) in names.enumerated() {
            // This is the (k+1)th time h= names `name`: take the (k+1)th instance from the bottom.
            var skip = 0
            for earlier in names[..<position] where earlier == name { skip += 1 }
            var index = header.count - 1
            while index >= 0 {
                if header[index].lowercasedName == name {
                    if skip == 0 { break }
                    skip -= 1
                }
                index -= 1
            }
            guard index >= 0 else { continue }  // no instance left: contributes nothing
            out += canonicalization.canonicalize(header[index])
        }
        let emptied = removingSignatureValue(signatureField.raw, valueStart: signatureField.valueStart)
        out += canonicalization.canonicalize(
            raw: emptied, valueStart: signatureField.valueStart, nameEnd: signatureField.name.utf8.count)
        return out
    }

    /// The field with the value of its `b=` tag deleted (everything after `b=` up to the next `;`
    /// or the end), folding inside that value included (RFC 6376 §3.7).
    static func removingSignatureValue(_ raw: [UInt8], valueStart: Int) -> [UInt8] {
        var index = valueStart
        while index < raw.count {
            // At the start of a tag-spec: skip FWS, read the name.
            var cursor = index
            while cursor < raw.count, isFWS(raw[cursor]) { cursor += 1 }
            let nameStart = cursor
            while cursor < raw.count, raw[cursor] != UInt8(ascii: "="), raw[cursor] != UInt8(ascii: ";"),
                  !isFWS(raw[cursor]) { cursor += 1 }
            let isB = cursor - nameStart == 1 && raw[nameStart] == UInt8(ascii: "b")
            while cursor < raw.count, isFWS(raw[cursor]) { cursor += 1 }
            var end = cursor
            while end < raw.count, raw[end] != UInt8(ascii: ";") { end += 1 }
            if isB, cursor < raw.count, raw[cursor] == UInt8(ascii: "=") {
                return Array(raw[..<(cursor + 1)]) + Array(raw[end...])
            }
            index = end + 1
        }
        return raw
    }

    @inline(__always) static func isFWS(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A
    }
}
