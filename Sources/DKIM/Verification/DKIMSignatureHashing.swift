/// The DKIM signature crypto as building blocks, for protocols that reuse it with fields of their
/// own: ARC's `ARC-Message-Signature` is verified exactly as a DKIM-Signature (RFC 8617 §4.1.2),
/// and its `ARC-Seal` signs a header hash built the same way (RFC 8617 §4.1.3, §5.1.1).
public enum DKIMSignatureHashing {
    /// The bytes hashed for a signature field (RFC 6376 §3.7): the fields named in `signedHeaders`
    /// picked from the bottom up (§5.4.2) and canonicalized, then `signatureField` with its `b=`
    /// value emptied and no final CRLF.
    public static func headerHashInput(
        header: [HeaderField], signedHeaders: [String], signatureField: HeaderField, canonicalization: Canonicalization
    ) -> [UInt8] {
        HeaderHashInput.build(
            header: header, signedHeaders: signedHeaders, signatureField: signatureField,
            canonicalization: canonicalization)
    }

    /// One field canonicalized with its `b=` value emptied and no final CRLF: how a signature
    /// field hashes itself (RFC 6376 §3.7; RFC 8617 §5.1.1 for the ARC-Seal being checked).
    public static func withoutSignatureValue(_ field: HeaderField, canonicalization: Canonicalization) -> [UInt8] {
        let value = HeaderHashInput.signatureValue(field.raw, valueStart: field.valueStart)
        return [UInt8](unsafeUninitializedCapacity: field.raw.count + 1) { buffer, count in
            count = canonicalization.write(
                raw: field.raw, valueStart: field.valueStart, nameEnd: field.name.utf8.count, omitting: value, into: buffer, at: 0)
        }
    }

    /// Whether `signature` is `key`'s signature of `headerHashInput` under `algorithm`
    /// (rsa-sha256 hashes the input; ed25519-sha256 signs its SHA-256 digest, RFC 8463 §3).
    public static func verify(
        _ signature: [UInt8], over headerHashInput: [UInt8], key: DKIMPublicKey, algorithm: DKIMSignatureAlgorithm
    ) -> Bool {
        guard algorithm.keyAlgorithm == key.algorithm else { return false }
        let signed = algorithm == .ed25519SHA256 ? SHA256Stream.hash(headerHashInput) : headerHashInput
        return key.verify(signature, over: signed)
    }

    /// Decodes base64 as DKIM writes it (whitespace anywhere is ignored, RFC 6376 §2.4); `nil`
    /// when it is not base64.
    public static func decodeBase64(_ text: some StringProtocol) -> [UInt8]? { Base64.decode(text) }
}
