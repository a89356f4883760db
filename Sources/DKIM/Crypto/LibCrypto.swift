internal import CLibCrypto

// The only file that touches OpenSSL's libcrypto. No C pointer leaves it: keys are held by
// `EVPKey` (an owning class that frees in `deinit`, as swift-crypto's `RSA_boring.swift`
// `Backing` does), digests by `SHA256Stream`, and everything else is converted to Swift values
// and freed in the same scope with `defer`.

/// A libcrypto failure, with OpenSSL's own error text.
struct LibCryptoError: Error, Sendable, CustomStringConvertible {
    var operation: String
    var detail: String

    init(_ operation: String) {
        self.operation = operation
        var messages: [String] = []
        while case let code = ERR_get_error(), code != 0 {
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            messages.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        self.detail = messages.joined(separator: "; ")
    }

    var description: String { detail.isEmpty ? "\(operation) failed" : "\(operation) failed: \(detail)" }
}

/// SHA-256, fetched from the default provider once (an implicit fetch on every use costs more
/// than hashing a header, OpenSSL 3 "crypto" manual page, "Performance").
private struct FetchedDigest: @unchecked Sendable {
    let pointer: OpaquePointer
}

private let sha256Digest: FetchedDigest = {
    guard let digest = EVP_MD_fetch(nil, "SHA256", nil) else {
        fatalError("libcrypto has no SHA-256: \(LibCryptoError("EVP_MD_fetch"))")
    }
    return FetchedDigest(pointer: digest)
}()

/// The two key types DKIM uses.
enum EVPKeyType: Sendable {
    case rsa
    case ed25519
}

/// An owned `EVP_PKEY`. libcrypto keys are immutable once built, so signing and verifying from
/// several threads at once is safe (OpenSSL 3 "threads" manual page).
final class EVPKey: @unchecked Sendable {
    let pointer: OpaquePointer
    /// For an Ed25519 private key: a signing context set up once and copied for each signature
    /// (setting one up costs about as much as 7% of the signature). Only ever read after init.
    private let ed25519SignTemplate: OpaquePointer?
    /// For a public key loaded to verify with: a verification context set up once (digest,
    /// padding, and, for a key decoded by the legacy RSA decoder, its export to the provider) and
    /// copied for each signature, so verifying the next message with the same key does none of
    /// that again. Only ever read after init.
    private let verifyTemplate: OpaquePointer?

    /// Takes `pointer`; `forVerifying` sets up the context every ``verify(_:over:)`` copies.
    init(takingOwnershipOf pointer: OpaquePointer, forVerifying: Bool = false) {
        self.pointer = pointer
        var signTemplate: OpaquePointer?
        var verifyTemplate: OpaquePointer?
        let baseID = EVP_PKEY_get_base_id(pointer)
        if forVerifying {
            if let context = EVP_MD_CTX_new() {
                if Self.startVerifying(context, key: pointer, rsa: baseID == EVP_PKEY_RSA) {
                    verifyTemplate = context
                } else {
                    EVP_MD_CTX_free(context)
                }
            }
        } else {
            var length = 0
            if baseID == EVP_PKEY_ED25519,
               EVP_PKEY_get_raw_private_key(pointer, nil, &length) == 1,
               let context = EVP_MD_CTX_new() {
                if EVP_DigestSignInit(context, nil, nil, nil, pointer) == 1 {
                    signTemplate = context
                } else {
                    EVP_MD_CTX_free(context)
                }
            }
        }
        ERR_clear_error()
        self.ed25519SignTemplate = signTemplate
        self.verifyTemplate = verifyTemplate
    }

    deinit {
        if let ed25519SignTemplate { EVP_MD_CTX_free(ed25519SignTemplate) }
        if let verifyTemplate { EVP_MD_CTX_free(verifyTemplate) }
        EVP_PKEY_free(pointer)
    }

    /// Sets `context` up to verify with `key`: RSASSA-PKCS1-v1_5 with SHA-256 for RSA, PureEdDSA
    /// for Ed25519.
    private static func startVerifying(_ context: OpaquePointer, key: OpaquePointer, rsa: Bool) -> Bool {
        var keyContext: OpaquePointer?
        guard EVP_DigestVerifyInit(context, &keyContext, rsa ? sha256Digest.pointer : nil, nil, key) == 1 else {
            return false
        }
        if rsa, let keyContext, dnsaudit_set_pkcs1_padding(keyContext) <= 0 { return false }
        return true
    }

    var type: EVPKeyType? {
        switch EVP_PKEY_get_base_id(pointer) {
        case EVP_PKEY_RSA: .rsa
        case EVP_PKEY_ED25519: .ed25519
        default: nil
        }
    }

    /// Modulus size for RSA, 253 for Ed25519.
    var bits: Int { Int(EVP_PKEY_get_bits(pointer)) }

    // MARK: Loading

    /// A private key from PEM: PKCS#1 (`BEGIN RSA PRIVATE KEY`) or PKCS#8 (`BEGIN PRIVATE KEY`).
    static func privateKey(pem: [UInt8]) throws(LibCryptoError) -> EVPKey {
        ERR_clear_error()
        let key: OpaquePointer? = pem.withUnsafeBytes { raw in
            guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_PrivateKey(bio, nil, nil, nil)
        }
        guard let key else { throw LibCryptoError("reading a PEM private key") }
        return EVPKey(takingOwnershipOf: key)
    }

    /// An Ed25519 private key from its 32-byte seed (RFC 8032 §5.1.5).
    static func ed25519PrivateKey(seed: [UInt8]) throws(LibCryptoError) -> EVPKey {
        ERR_clear_error()
        let key = seed.withUnsafeBufferPointer {
            EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, nil, $0.baseAddress, $0.count)
        }
        guard let key else { throw LibCryptoError("loading an Ed25519 seed") }
        return EVPKey(takingOwnershipOf: key)
    }

    /// An Ed25519 public key from its 32 raw bytes (RFC 8463 §4).
    static func ed25519PublicKey(raw: [UInt8]) throws(LibCryptoError) -> EVPKey {
        ERR_clear_error()
        let key = raw.withUnsafeBufferPointer {
            EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nil, $0.baseAddress, $0.count)
        }
        guard let key else { throw LibCryptoError("loading an Ed25519 public key") }
        return EVPKey(takingOwnershipOf: key, forVerifying: true)
    }

    /// An RSA public key from DER: SubjectPublicKeyInfo (RFC 5280 §4.1, what RFC 6376 §3.6.1
    /// specifies) or a bare PKCS#1 `RSAPublicKey` (RFC 8017 §A.1.1, which some publishers use).
    static func rsaPublicKey(der: [UInt8]) throws(LibCryptoError) -> EVPKey {
        ERR_clear_error()
        let key: OpaquePointer? = der.withUnsafeBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return nil }
            if let spki = dnsaudit_rsa_public_key(base, buffer.count, 0) { return spki }
            ERR_clear_error()
            return dnsaudit_rsa_public_key(base, buffer.count, 1)
        }
        guard let key else { throw LibCryptoError("decoding an RSA public key") }
        let wrapped = EVPKey(takingOwnershipOf: key, forVerifying: true)
        guard wrapped.type == .rsa else { throw LibCryptoError("decoding an RSA public key (not RSA)") }
        return wrapped
    }

    // MARK: Generating

    static func generate(_ type: EVPKeyType, bits: Int = 2048) throws(LibCryptoError) -> EVPKey {
        ERR_clear_error()
        guard let context = EVP_PKEY_CTX_new_id(type == .rsa ? EVP_PKEY_RSA : EVP_PKEY_ED25519, nil) else {
            throw LibCryptoError("creating a key generation context")
        }
        defer { EVP_PKEY_CTX_free(context) }
        guard EVP_PKEY_keygen_init(context) == 1 else { throw LibCryptoError("starting key generation") }
        if type == .rsa, dnsaudit_set_rsa_keygen_bits(context, Int32(bits)) <= 0 {
            throw LibCryptoError("setting the RSA key size")
        }
        var key: OpaquePointer?
        guard EVP_PKEY_generate(context, &key) == 1, let key else { throw LibCryptoError("generating a key") }
        return EVPKey(takingOwnershipOf: key)
    }

    // MARK: Exporting

    /// The private key as PKCS#8 PEM (`BEGIN PRIVATE KEY`), as `openssl genpkey` writes it.
    func pkcs8PEM() throws(LibCryptoError) -> String {
        guard let bio = BIO_new(BIO_s_mem()) else { throw LibCryptoError("creating a memory BIO") }
        defer { BIO_free(bio) }
        guard PEM_write_bio_PrivateKey(bio, pointer, nil, nil, 0, nil, nil) == 1 else {
            throw LibCryptoError("writing the private key")
        }
        var data: UnsafeMutablePointer<CChar>?
        let length = dnsaudit_BIO_get_mem_data(bio, &data)
        guard let data, length > 0 else { throw LibCryptoError("reading the PEM text") }
        return String(decoding: UnsafeRawBufferPointer(start: data, count: length), as: UTF8.self)
    }

    /// The public half as DER SubjectPublicKeyInfo (RSA, for `p=`).
    func subjectPublicKeyInfo() throws(LibCryptoError) -> [UInt8] {
        var out: UnsafeMutablePointer<UInt8>?
        let length = i2d_PUBKEY(pointer, &out)
        guard length > 0, let out else { throw LibCryptoError("encoding the public key") }
        defer { CRYPTO_free(out, #fileID, #line) }
        return Array(UnsafeBufferPointer(start: out, count: Int(length)))
    }

    /// The raw 32-byte Ed25519 public key (for `p=`, RFC 8463 §4).
    func rawPublicKey() throws(LibCryptoError) -> [UInt8] {
        var length = 0
        guard EVP_PKEY_get_raw_public_key(pointer, nil, &length) == 1 else {
            throw LibCryptoError("reading the raw public key")
        }
        var bytes = [UInt8](repeating: 0, count: length)
        guard EVP_PKEY_get_raw_public_key(pointer, &bytes, &length) == 1 else {
            throw LibCryptoError("reading the raw public key")
        }
        return Array(bytes.prefix(length))
    }

    /// Whether `other` holds the same public key (EVP_PKEY_eq compares the public components).
    func hasSamePublicKey(as other: EVPKey) -> Bool { EVP_PKEY_eq(pointer, other.pointer) == 1 }

    // MARK: Signing

    /// RSA: RSASSA-PKCS1-v1_5 with SHA-256 over `message` (RFC 8017 §8.2; RFC 6376 §3.3.1).
    /// Ed25519: PureEdDSA over `message` (RFC 8032 §5.1.6), which DKIM feeds a SHA-256 digest
    /// (RFC 8463 §3).
    func sign(_ message: [UInt8]) throws(LibCryptoError) -> [UInt8] {
        ERR_clear_error()
        guard let context = EVP_MD_CTX_new() else { throw LibCryptoError("creating a digest context") }
        defer { EVP_MD_CTX_free(context) }
        if let ed25519SignTemplate {
            guard EVP_MD_CTX_copy_ex(context, ed25519SignTemplate) == 1 else {
                throw LibCryptoError("starting a signature")
            }
        } else {
            var keyContext: OpaquePointer?
            let digest = type == .rsa ? sha256Digest.pointer : nil
            guard EVP_DigestSignInit(context, &keyContext, digest, nil, pointer) == 1 else {
                throw LibCryptoError("starting a signature")
            }
            if type == .rsa, let keyContext, dnsaudit_set_pkcs1_padding(keyContext) <= 0 {
                throw LibCryptoError("choosing PKCS#1 v1.5 padding")
            }
        }
        // The context is used once: let the final step finish it rather than work on a copy.
        EVP_MD_CTX_set_flags(context, EVP_MD_CTX_FLAG_FINALISE)
        var length = Int(EVP_PKEY_get_size(pointer))
        var signature = [UInt8](repeating: 0, count: length)
        let status = message.withUnsafeBufferPointer { input in
            signature.withUnsafeMutableBufferPointer { output in
                EVP_DigestSign(context, output.baseAddress, &length, input.baseAddress, input.count)
            }
        }
        guard status == 1 else { throw LibCryptoError("signing") }
        if length < signature.count { signature.removeLast(signature.count - length) }
        return signature
    }

    /// Checks a signature made by ``sign(_:)``; false for any mismatch or malformed signature.
    func verify(_ signature: [UInt8], over message: [UInt8]) -> Bool {
        defer { ERR_clear_error() }
        guard let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        if let verifyTemplate {
            guard EVP_MD_CTX_copy_ex(context, verifyTemplate) == 1 else { return false }
        } else {
            guard Self.startVerifying(context, key: pointer, rsa: type == .rsa) else { return false }
        }
        // The context is used once: let the final step finish it rather than work on a copy.
        EVP_MD_CTX_set_flags(context, EVP_MD_CTX_FLAG_FINALISE)
        let status = message.withUnsafeBufferPointer { input in
            signature.withUnsafeBufferPointer { sig in
                EVP_DigestVerify(context, sig.baseAddress, sig.count, input.baseAddress, input.count)
            }
        }
        return status == 1
    }
}

/// Incremental SHA-256 (FIPS 180-4) over an `EVP_MD_CTX`, for hashing a body as it streams.
final class SHA256Stream {
    private let context: OpaquePointer

    init() {
        guard let context = EVP_MD_CTX_new(), EVP_DigestInit_ex(context, sha256Digest.pointer, nil) == 1 else {
            fatalError("libcrypto could not start SHA-256: \(LibCryptoError("EVP_DigestInit_ex"))")
        }
        self.context = context
    }

    deinit { EVP_MD_CTX_free(context) }

    func update(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        EVP_DigestUpdate(context, bytes.baseAddress, bytes.count)
    }

    func update(_ bytes: [UInt8]) { bytes.withUnsafeBytes { update($0) } }

    /// The 32-byte digest; the stream must not be used afterwards.
    func finalize() -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        EVP_DigestFinal_ex(context, &digest, &length)
        return digest
    }

    /// The digest of `bytes`, in one call (no stream object).
    static func hash(_ bytes: [UInt8]) -> [UInt8] {
        var digest = [UInt8](repeating: 0, count: 32)
        let hashed = bytes.withUnsafeBytes { input in
            digest.withUnsafeMutableBufferPointer { output in
                EVP_Digest(input.baseAddress, input.count, output.baseAddress, nil, sha256Digest.pointer, nil)
            }
        }
        guard hashed == 1 else {
            fatalError("libcrypto could not compute SHA-256: \(LibCryptoError("EVP_Digest"))")
        }
        return digest
    }
}

/// The OpenSSL libcrypto that signs and verifies, as it names itself ("OpenSSL 3.0.19 …").
public enum CryptoLibrary {
    public static var version: String {
        guard let text = OpenSSL_version(Int32(OPENSSL_VERSION)) else { return "OpenSSL (unknown version)" }
        return String(cString: text)
    }
}
