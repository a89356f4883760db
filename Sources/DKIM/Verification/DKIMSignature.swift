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
        if let duplicate = firstDuplicate(list) { throw Problem("tag \(duplicate)= appears twice") }
        let known = KnownTags(list)
        /// A required tag's value: present, or the named problem.
        func required(_ name: String) throws(Problem) -> String {
            guard let tag = known[name] else { throw Problem("required tag \(name)= is missing") }
            return tag.value
        }
        for name in requiredTags { _ = try required(name) }
        guard known["v"]?.value == "1" else { throw Problem("v= must be 1") }
        let algorithmName = lowercased(try required("a"))
        guard let signature = Base64.decode(try required("b")), !signature.isEmpty else {
            throw Problem("b= is empty or not base64")
        }
        guard let bodyHash = Base64.decode(try required("bh")), !bodyHash.isEmpty else {
            throw Problem("bh= is empty or not base64")
        }
        var canonicalization = CanonicalizationPair.simple
        if let c = known["c"] {
            guard let pair = CanonicalizationPair(lowercased(c.value)) else {
                throw Problem("unknown canonicalization c=\(c.value)")
            }
            canonicalization = pair
        }
        let domain = try required("d")
        guard !domain.isEmpty, (try? DomainName(domain)) != nil else { throw Problem("d= is not a domain name") }
        let selector = try required("s")
        guard !selector.isEmpty else { throw Problem("s= is empty") }
        let signedHeaders = colonList(try required("h"))
        guard !signedHeaders.contains(where: \.isEmpty), !signedHeaders.isEmpty else { throw Problem("h= is malformed") }
        guard signedHeaders.contains(where: { lowercased($0) == "from" }) else {
            throw Problem("h= does not include From (RFC 6376 §5.4)")
        }
        var identity = "@" + domain
        if let i = known["i"] {
            guard let at = i.value.lastIndex(of: "@") else { throw Problem("i= has no @") }
            let iDomain = i.value[i.value.index(after: at)...].lowercased()
            let dDomain = domain.lowercased()
            guard iDomain == dDomain || iDomain.hasSuffix("." + dDomain) else {
                throw Problem("i= domain \(iDomain) is not d= \(dDomain) or a subdomain of it (RFC 6376 §3.5)")
            }
            identity = i.value
        }
        var queryMethods = defaultQueryMethods
        if let q = known["q"] {
            queryMethods = colonList(q.value)
            guard queryMethods.contains(where: { lowercased($0) == "dns/txt" })
            else { throw Problem("q= does not offer dns/txt") }
        }
        let bodyLength = try number(known["l"], "l")
        let timestamp = try number(known["t"], "t")
        let expiration = try number(known["x"], "x")
        if let timestamp, let expiration, expiration < timestamp {
            throw Problem("x= is before t= (RFC 6376 §3.5)")
        }
        return DKIMSignature(
            algorithmName: algorithmName, algorithm: DKIMSignatureAlgorithm(rawValue: algorithmName),
            signature: signature, bodyHash: bodyHash, canonicalization: canonicalization, domain: domain,
            signedHeaders: signedHeaders, identity: identity, bodyLength: bodyLength, queryMethods: queryMethods,
            selector: selector, timestamp: timestamp, expiration: expiration)
    }

    private static let defaultQueryMethods = ["dns/txt"]

    /// The tags this parser reads, found in one pass over the list (duplicates are already
    /// refused, so each is the only one of its name).
    private struct KnownTags {
        var v, a, b, bh, c, d, h, i, l, q, s, t, x: Tag?

        init(_ list: TagList) {
            for tag in list.tags {
                switch tag.name {
                case "v": v = v ?? tag
                case "a": a = a ?? tag
                case "b": b = b ?? tag
                case "bh": bh = bh ?? tag
                case "c": c = c ?? tag
                case "d": d = d ?? tag
                case "h": h = h ?? tag
                case "i": i = i ?? tag
                case "l": l = l ?? tag
                case "q": q = q ?? tag
                case "s": s = s ?? tag
                case "t": t = t ?? tag
                case "x": x = x ?? tag
                default: break
                }
            }
        }

        /// The tag named `name` (exact, case-sensitive, as ``TagList``'s subscript).
        subscript(name: String) -> Tag? {
            switch name {
            case "v": v
            case "a": a
            case "b": b
            case "bh": bh
            case "c": c
            case "d": d
            case "h": h
            case "i": i
            case "l": l
            case "q": q
            case "s": s
            case "t": t
            case "x": x
            default: nil
            }
        }
    }

    /// The first tag name that appears a second time, if any.
    private static func firstDuplicate(_ list: TagList) -> String? {
        let tags = list.tags
        for later in tags.indices {
            for earlier in 0..<later where tags[earlier].name == tags[later].name { return tags[later].name }
        }
        return nil
    }

    /// `text` in lower case. Tag values are ASCII (RFC 6376 §3.2, enforced by ``TagList``), so
    /// ASCII lower-casing, which copies nothing when there is nothing to change, gives the same
    /// result as `lowercased()`, which is kept for anything else.
    private static func lowercased(_ text: String) -> String {
        text.utf8.allSatisfy { $0 < 0x80 } ? HeaderField.asciiLowercased(text) : text.lowercased()
    }

    /// A colon-separated list (`h=`, `q=`): the non-empty pieces between colons, each with its
    /// whitespace removed (so a piece of whitespace alone becomes an empty name).
    static func colonList(_ value: String) -> [String] {
        let fast = value.utf8.withContiguousStorageIfAvailable { bytes -> [String]? in
            // ASCII only (always, for a tag value): whitespace is 0x09-0x0D and SP, CRLF included.
            guard bytes.allSatisfy({ $0 < 0x80 }) else { return nil }
            var pieces: [String] = []
            pieces.reserveCapacity(bytes.reduce(1) { $1 == UInt8(ascii: ":") ? $0 + 1 : $0 })
            var start = 0
            while start < bytes.count {
                var end = start
                var hasWhitespace = false
                while end < bytes.count, bytes[end] != UInt8(ascii: ":") {
                    if bytes[end] == 0x20 || (bytes[end] >= 0x09 && bytes[end] <= 0x0D) { hasWhitespace = true }
                    end += 1
                }
                if end > start {
                    let piece = UnsafeBufferPointer(rebasing: bytes[start..<end])
                    pieces.append(hasWhitespace ? withoutWhitespace(piece) : String(decoding: piece, as: UTF8.self))
                }
                start = end + 1
            }
            return pieces
        }
        if let fast, let pieces = fast { return pieces }
        return value.split(separator: ":").map { String($0.filter { !$0.isWhitespace }) }
    }

    /// `piece` (ASCII) without its whitespace, as a String, copied on the stack on the way.
    private static func withoutWhitespace(_ piece: UnsafeBufferPointer<UInt8>) -> String {
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: piece.count) { kept in
            var count = 0
            for byte in piece where !(byte == 0x20 || (byte >= 0x09 && byte <= 0x0D)) {
                kept[count] = byte
                count += 1
            }
            return String(decoding: UnsafeBufferPointer(rebasing: kept[0..<count]), as: UTF8.self)
        }
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
    ///
    /// `signatureValue` is where the `b=` value is in `signatureField`, when the caller knows
    /// (the signer, whose field ends in an empty `b=`); else it is found.
    static func build(
        header: [HeaderField], signedHeaders: [String], signatureField: HeaderField,
        canonicalization: Canonicalization, signatureValue knownValue: Range<Int>? = nil
    ) -> [UInt8] {
        // Room for every field and its CRLF, and for the signature field and the relaxed colon.
        var capacity = signatureField.raw.count + 1
        for field in header { capacity += field.raw.count + 2 }
        return [UInt8](unsafeUninitializedCapacity: capacity) { buffer, count in
            var o = 0
            // The (k+1)th time h= names a field, it takes the (k+1)th instance from the bottom: the
            // lowest one the k earlier mentions have not taken.
            withUnsafeTemporaryAllocation(of: Bool.self, capacity: header.count) { taken in
                taken.initialize(repeating: false)
                for signedName in signedHeaders {
                    let name = HeaderField.asciiLowercased(signedName)
                    var index = header.count - 1
                    while index >= 0, taken[index] || header[index].lowercasedName != name { index -= 1 }
                    guard index >= 0 else { continue }  // no instance left: contributes nothing
                    taken[index] = true
                    o = canonicalization.write(header[index], into: buffer, at: o)
                }
            }
            let raw = signatureField.raw
            count = canonicalization.write(
                raw: raw, valueStart: signatureField.valueStart, nameEnd: signatureField.name.utf8.count,
                omitting: knownValue ?? signatureValue(raw, valueStart: signatureField.valueStart), into: buffer, at: o)
        }
    }

    /// Where the value of the `b=` tag is in `raw` (everything after `b=` up to the next `;` or the
    /// end, folding inside that value included), which is left out when hashing (RFC 6376 §3.7);
    /// empty when there is none.
    static func signatureValue(_ raw: [UInt8], valueStart: Int) -> Range<Int> {
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
                return (cursor + 1)..<end
            }
            index = end + 1
        }
        return raw.count..<raw.count
    }

    @inline(__always) static func isFWS(_ byte: UInt8) -> Bool {
        byte == 0x20 || byte == 0x09 || byte == 0x0D || byte == 0x0A
    }
}
