import Foundation

/// The key algorithms DKIM defines: `k=rsa` (RFC 6376 §3.6.1) and `k=ed25519` (RFC 8463 §4).
public enum DKIMKeyAlgorithm: String, Sendable, Hashable, Codable, CaseIterable {
    case rsa
    case ed25519

    /// The signing algorithm (`a=`) that uses this key type with SHA-256.
    public var signatureAlgorithm: DKIMSignatureAlgorithm {
        switch self {
        case .rsa: .rsaSHA256
        case .ed25519: .ed25519SHA256
        }
    }
}

/// A signature algorithm (`a=`, RFC 6376 §3.5; RFC 8463 §3).
public enum DKIMSignatureAlgorithm: String, Sendable, Hashable, Codable, CaseIterable {
    /// RSASSA-PKCS1-v1_5 with SHA-256 (RFC 6376 §3.3.1).
    case rsaSHA256 = "rsa-sha256"
    /// Ed25519 over the SHA-256 digest of the header-hash input (RFC 8463 §3).
    case ed25519SHA256 = "ed25519-sha256"
    /// RSA with SHA-1: recognised only to fail it; RFC 8301 §3.1 forbids signing and verifying.
    case rsaSHA1 = "rsa-sha1"

    /// The key type the algorithm needs.
    public var keyAlgorithm: DKIMKeyAlgorithm {
        switch self {
        case .rsaSHA256, .rsaSHA1: .rsa
        case .ed25519SHA256: .ed25519
        }
    }
}

/// Why a key could not be loaded or used. Thrown only for I/O and input errors the caller handles
/// (an unreadable or malformed key file); verification outcomes are ``DKIMResult`` values.
public struct DKIMKeyError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A private key for signing: RSA (1024 to 4096 bits) or Ed25519.
///
/// Loads PEM (PKCS#1 `BEGIN RSA PRIVATE KEY` or PKCS#8 `BEGIN PRIVATE KEY`, as `openssl genpkey`
/// writes both RSA and Ed25519) or a raw base64 Ed25519 seed (RFC 8463 Appendix A.1 style).
public struct DKIMPrivateKey: Sendable {
    let key: EVPKey

    /// Smallest RSA key DKIM accepts (RFC 8301 §3.2).
    public static let minimumRSABits = 1024
    /// Largest RSA key a signer should produce (RFC 8301 §3.2: verifiers must handle up to 4096).
    public static let maximumRSABits = 4096
    /// RSA keys below this size get a warning (RFC 8301 §3.2: signers SHOULD use at least 2048).
    public static let recommendedRSABits = 2048

    init(key: EVPKey) { self.key = key }

    /// Loads a PEM private key, or, when the text is not PEM, a base64 32-byte Ed25519 seed.
    public init(pem text: String) throws(DKIMKeyError) {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.hasPrefix("-----BEGIN") else {
            do { try self.init(ed25519Seed: trimmed) } catch {
                throw DKIMKeyError("not a private key: neither PEM (-----BEGIN …) nor a base64 32-byte Ed25519 seed")
            }
            return
        }
        // A public key or a certificate where the private key belongs: say so, not "unsupported".
        for kind in ["PUBLIC KEY", "RSA PUBLIC KEY", "CERTIFICATE", "CERTIFICATE REQUEST"]
        where trimmed.hasPrefix("-----BEGIN \(kind)-----") {
            throw DKIMKeyError("this is a PEM \(kind.lowercased()), not a private key")
        }
        let loaded: EVPKey
        do {
            loaded = try EVPKey.privateKey(pem: Array(trimmed.utf8) + [0x0A])
        } catch {
            throw DKIMKeyError("not a readable PEM private key: \(error)")
        }
        guard loaded.type != nil else { throw DKIMKeyError("the key is neither RSA nor Ed25519") }
        self.init(key: loaded)
    }

    /// Loads an Ed25519 private key from its base64 32-byte seed (RFC 8032 §5.1.5).
    public init(ed25519Seed base64: String) throws(DKIMKeyError) {
        guard let seed = Base64.decode(base64), seed.count == 32 else {
            throw DKIMKeyError("an Ed25519 seed must be 32 bytes of base64")
        }
        let loaded: EVPKey
        do { loaded = try EVPKey.ed25519PrivateKey(seed: seed) } catch { throw DKIMKeyError("\(error)") }
        self.init(key: loaded)
    }

    /// Reads a key file (PEM or base64 seed).
    ///
    /// Only a regular file of at most ``maximumKeyFileSize`` bytes is read (a device such as
    /// `/dev/zero` would never end); errors name the file and the system's reason. The key's text
    /// never appears in an error.
    public init(contentsOfFile path: String) throws(DKIMKeyError) {
        try self.init(pem: String(decoding: try Self.readKeyFile(path), as: UTF8.self))
    }

    /// Largest key file read: a 4096-bit RSA PEM is about 3.3 KB.
    public static let maximumKeyFileSize = 64 * 1024

    static func readKeyFile(_ path: String) throws(DKIMKeyError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)
        guard fd >= 0 else { throw DKIMKeyError("cannot read key file \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw DKIMKeyError("cannot read key file \(path): \(String(cString: strerror(errno)))")
        }
        guard info.st_mode & S_IFMT == S_IFREG else {
            let what = info.st_mode & S_IFMT == S_IFDIR ? "a directory" : "not a regular file"
            throw DKIMKeyError("cannot read key file \(path): it is \(what)")
        }
        guard Int(info.st_size) <= maximumKeyFileSize else {
            throw DKIMKeyError("key file \(path) is \(info.st_size) bytes: too large to be a DKIM private key")
        }
        var bytes = [UInt8](repeating: 0, count: Int(info.st_size))
        var filled = 0
        while filled < bytes.count {
            let count = bytes.withUnsafeMutableBytes { read(fd, $0.baseAddress! + filled, $0.count - filled) }
            if count < 0, errno == EINTR { continue }
            guard count >= 0 else { throw DKIMKeyError("cannot read key file \(path): \(String(cString: strerror(errno)))") }
            if count == 0 { break }
            filled += count
        }
        return Array(bytes[..<filled])
    }

    /// A warning when the key file at `path` can be read by its group or by others (issue 8: a
    /// private key belongs to its owner alone), or `nil`.
    public static func permissionWarning(path: String) -> String? {
        var info = stat()
        guard stat(path, &info) == 0, info.st_mode & S_IFMT == S_IFREG else { return nil }
        let mode = info.st_mode & 0o777
        guard mode & 0o044 != 0 else { return nil }
        let who = [mode & 0o040 != 0 ? "its group" : nil, mode & 0o004 != 0 ? "others" : nil].compactMap { $0 }
        return "key file \(path) is readable by \(who.joined(separator: " and ")) (mode 0\(String(mode, radix: 8))); "
            + "run: chmod 600 \(path)"
    }

    /// Generates a key: RSA of `bits` (default 2048; 1024 to 4096) or Ed25519.
    public static func generate(_ algorithm: DKIMKeyAlgorithm, bits: Int = 2048) throws(DKIMKeyError) -> DKIMPrivateKey {
        if algorithm == .rsa, !(minimumRSABits...maximumRSABits).contains(bits) {
            throw DKIMKeyError("RSA keys must be \(minimumRSABits) to \(maximumRSABits) bits, not \(bits)")
        }
        do {
            return DKIMPrivateKey(key: try EVPKey.generate(algorithm == .rsa ? .rsa : .ed25519, bits: bits))
        } catch {
            throw DKIMKeyError("\(error)")
        }
    }

    public var algorithm: DKIMKeyAlgorithm { key.dkimAlgorithm }

    /// RSA modulus size in bits (256 for Ed25519).
    public var bits: Int { key.dkimBits }

    /// The private key as PKCS#8 PEM.
    public func pemRepresentation() throws(DKIMKeyError) -> String {
        do { return try key.pkcs8PEM() } catch { throw DKIMKeyError("\(error)") }
    }

    /// The public key as DKIM publishes it in `p=`: DER SubjectPublicKeyInfo for RSA (RFC 6376
    /// §3.6.1), the raw 32 bytes for Ed25519 (RFC 8463 §4).
    public func publicKeyData() throws(DKIMKeyError) -> [UInt8] {
        do {
            return algorithm == .rsa ? try key.subjectPublicKeyInfo() : try key.rawPublicKey()
        } catch {
            throw DKIMKeyError("\(error)")
        }
    }

    /// The public key as the verifier will load it.
    public var publicKey: DKIMPublicKey { DKIMPublicKey(key: key) }

    func sign(_ bytes: [UInt8]) throws(DKIMKeyError) -> [UInt8] {
        do { return try key.sign(bytes) } catch { throw DKIMKeyError("\(error)") }
    }
}

/// A public key from a DKIM key record.
public struct DKIMPublicKey: Sendable {
    let key: EVPKey

    init(key: EVPKey) { self.key = key }

    /// Decodes `p=` data for `algorithm`: RSA as SubjectPublicKeyInfo or raw PKCS#1
    /// `RSAPublicKey`; Ed25519 as the raw 32 bytes (RFC 8463 §4).
    public init(algorithm: DKIMKeyAlgorithm, data: [UInt8]) throws(DKIMKeyError) {
        switch algorithm {
        case .rsa:
            do { self.key = try EVPKey.rsaPublicKey(der: data) } catch {
                throw DKIMKeyError("p= is not an RSA public key (SubjectPublicKeyInfo or PKCS#1)")
            }
        case .ed25519:
            guard data.count == 32 else {
                throw DKIMKeyError("an Ed25519 p= must be 32 bytes, not \(data.count)")
            }
            do { self.key = try EVPKey.ed25519PublicKey(raw: data) } catch { throw DKIMKeyError("\(error)") }
        }
    }

    public var algorithm: DKIMKeyAlgorithm { key.dkimAlgorithm }

    /// RSA modulus size in bits (256 for Ed25519).
    public var bits: Int { key.dkimBits }

    /// Whether this is the public half of `privateKey`.
    public func matches(_ privateKey: DKIMPrivateKey) -> Bool { key.hasSamePublicKey(as: privateKey.key) }

    func verify(_ signature: [UInt8], over bytes: [UInt8]) -> Bool { key.verify(signature, over: bytes) }
}

/// Base64 as DKIM writes it: whitespace (FWS) may appear anywhere and is ignored (RFC 6376 §2.4).
///
/// Canonical base64 (RFC 4648 §4: the standard alphabet, `=` padding to a multiple of four, zero
/// bits after the last byte), which is what signers write, is decoded here without Foundation;
/// anything else is handed to Foundation's decoder, so what is accepted is unchanged.
enum Base64 {
    static func decode(_ text: some StringProtocol) -> [UInt8]? {
        let compact = text.utf8.withContiguousStorageIfAvailable(removingFWS)
            ?? Array(text.utf8).withUnsafeBufferPointer(removingFWS)
        if compact.isEmpty { return [] }
        if let decoded = decodeCanonical(compact) { return decoded }
        guard let data = Data(base64Encoded: Data(compact)) else { return nil }
        return Array(data)
    }

    /// `text` without SP, TAB, CR and LF.
    private static func removingFWS(_ text: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: text.count) { buffer, initialized in
            var o = 0
            for byte in text where byte != 0x20 && byte != 0x09 && byte != 0x0D && byte != 0x0A {
                buffer[o] = byte
                o += 1
            }
            initialized = o
        }
    }

    /// The bytes of canonical base64, or `nil` for anything else (which may still be valid).
    static func decodeCanonical(_ text: [UInt8]) -> [UInt8]? {
        guard !text.isEmpty, text.count % 4 == 0 else { return nil }
        var padding = 0
        if text[text.count - 1] == UInt8(ascii: "=") { padding = text[text.count - 2] == UInt8(ascii: "=") ? 2 : 1 }
        let count = text.count / 4 * 3 - padding
        var failed = false
        let out = [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            text.withUnsafeBufferPointer { input in
                var o = 0
                var i = 0
                let n = input.count
                while i < n {
                    let a = decodingTable[Int(input[i])]
                    let b = decodingTable[Int(input[i + 1])]
                    let c = decodingTable[Int(input[i + 2])]
                    let d = decodingTable[Int(input[i + 3])]
                    if a | b | c | d < 64 {
                        buffer[o] = a << 2 | b >> 4
                        buffer[o + 1] = b << 4 | c >> 2
                        buffer[o + 2] = c << 6 | d
                        o += 3
                        i += 4
                        continue
                    }
                    // Only the last quantum may hold padding: "xx==" or "xxx=", unused bits zero.
                    guard i + 4 == n, a < 64, b < 64, padding > 0 else { failed = true; break }
                    if padding == 2 {
                        guard c == pad, d == pad, b & 0x0F == 0 else { failed = true; break }
                        buffer[o] = a << 2 | b >> 4
                        o += 1
                    } else {
                        guard c < 64, d == pad, c & 0x03 == 0 else { failed = true; break }
                        buffer[o] = a << 2 | b >> 4
                        buffer[o + 1] = b << 4 | c >> 2
                        o += 2
                    }
                    i += 4
                }
                initialized = failed ? 0 : o
            }
        }
        return failed ? nil : out
    }

    static func encode(_ bytes: [UInt8]) -> String { String(decoding: encodedBytes(bytes), as: UTF8.self) }

    /// Base64 of `bytes` as ASCII bytes, with `=` padding (RFC 4648 §4).
    static func encodedBytes(_ bytes: [UInt8]) -> [UInt8] {
        let count = (bytes.count + 2) / 3 * 4
        return [UInt8](unsafeUninitializedCapacity: count) { buffer, initialized in
            bytes.withUnsafeBufferPointer { input in
                var o = 0
                var i = 0
                let n = input.count
                while i + 3 <= n {
                    let value = UInt32(input[i]) << 16 | UInt32(input[i + 1]) << 8 | UInt32(input[i + 2])
                    buffer[o] = alphabet[Int(value >> 18)]
                    buffer[o + 1] = alphabet[Int(value >> 12 & 0x3F)]
                    buffer[o + 2] = alphabet[Int(value >> 6 & 0x3F)]
                    buffer[o + 3] = alphabet[Int(value & 0x3F)]
                    o += 4
                    i += 3
                }
                if i < n {
                    let second = i + 1 < n ? UInt32(input[i + 1]) : 0
                    let value = UInt32(input[i]) << 16 | second << 8
                    buffer[o] = alphabet[Int(value >> 18)]
                    buffer[o + 1] = alphabet[Int(value >> 12 & 0x3F)]
                    buffer[o + 2] = i + 1 < n ? alphabet[Int(value >> 6 & 0x3F)] : UInt8(ascii: "=")
                    buffer[o + 3] = UInt8(ascii: "=")
                    o += 4
                }
                initialized = o
            }
        }
    }

    private static let alphabet: [UInt8] = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    /// `=` in ``decodingTable``; every other byte outside the alphabet is 0xFF.
    private static let pad: UInt8 = 0xFE
    private static let decodingTable: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (value, byte) in alphabet.enumerated() { table[Int(byte)] = UInt8(value) }
        table[Int(UInt8(ascii: "="))] = pad
        return table
    }()
}

extension EVPKey {
    /// The DKIM k= algorithm of this key (anything but Ed25519 is RSA here).
    var dkimAlgorithm: DKIMKeyAlgorithm { type == .ed25519 ? .ed25519 : .rsa }

    /// Key size as DKIM reports it: the RSA modulus, or 256 for Ed25519.
    var dkimBits: Int { dkimAlgorithm == .ed25519 ? 256 : bits }
}
