import MailAuthCore

/// The lints of a published DKIM key record, as ``MailAuthCore/Finding`` values with stable ids
/// (listed in ``ids``). The audit engine reweighs some of them for a domain owner.
///
/// A lint's ``MailAuthCore/Finding/title`` is the one line `dnsaudit dkim testkey` prints; its
/// severity says what verifiers do with the key: `error`, they reject signatures made with it;
/// `warning`, it works today but should be fixed; `info`, worth knowing.
public enum DKIMKeyLint {
    /// Every id these lints use.
    public static let ids: [String] = [
        "dkim.key.revoked", "dkim.key.unknown-type", "dkim.key.not-for-email", "dkim.key.no-sha256", "dkim.key.testing",
        "dkim.key.rsa-under-1024", "dkim.key.rsa-under-2048", "dkim.key.undecodable", "dkim.key.ed25519-only",
        "dkim.key.multiple-records",
    ]

    static func finding(_ id: String, _ severity: Severity, _ title: String, detail: String, rfc: String) -> Finding {
        Finding(id: id, severity: severity, title: title, detail: detail, rfc: rfc)
    }

    static func rsaUnder2048(bits: Int) -> Finding {
        finding("dkim.key.rsa-under-2048", .warning, "RSA key of \(bits) bits: use at least 2048",
             detail: "Verifiers accept it, but keys under 2048 bits are within reach of a determined attacker.",
             rfc: "RFC 8301 §3.2")
    }

    static func multipleRecords(_ count: Int) -> Finding {
        finding("dkim.key.multiple-records", .error, "\(count) TXT records at the name; receivers may pick any",
             detail: "Verifiers may use any of them, so signatures verify only some of the time.", rfc: "RFC 6376 §3.6.2.2")
    }

    /// The findings of a published record (and of its decoded key, when it decodes).
    public static func findings(for record: DKIMKeyRecord) -> [Finding] {
        if record.isRevoked {
            return [finding("dkim.key.revoked", .error, "the key is revoked (empty p=)",
                         detail: "An empty p= withdraws the key: every signature made with it fails.", rfc: "RFC 6376 §3.6.1")]
        }
        var findings: [Finding] = []
        if record.keyAlgorithm == nil {
            findings.append(finding("dkim.key.unknown-type", .error, "unknown key type k=\(record.keyType)",
                                 detail: "Verifiers know rsa and ed25519 keys only.", rfc: "RFC 6376 §3.6.1"))
        }
        if !record.allowsEmail {
            findings.append(finding("dkim.key.not-for-email", .error,
                                 "s=\(record.serviceTypes.joined(separator: ":")) excludes email",
                                 detail: "Verifiers do not use a key for mail unless s= lists email or *.",
                                 rfc: "RFC 6376 §3.6.1"))
        }
        if !record.allowsSHA256 {
            findings.append(finding("dkim.key.no-sha256", .error, "h= does not allow sha256, the only hash RFC 8301 permits",
                                 detail: "Verifiers reject sha1 signatures, so a key limited to sha1 verifies nothing.",
                                 rfc: "RFC 8301 §3.1"))
        }
        if record.isTesting {
            findings.append(finding("dkim.key.testing", .info, "t=y: the domain is testing DKIM; receivers may ignore the results",
                                 detail: "Receivers may treat mail signed with a t=y key as unsigned.", rfc: "RFC 6376 §3.6.1"))
        }
        if let key = try? record.publicKey() {
            if key.algorithm == .ed25519 {
                // nothing to check about the size
            } else if key.bits < DKIMVerifier.minimumRSABits {
                findings.append(finding("dkim.key.rsa-under-1024", .error,
                                     "RSA key of \(key.bits) bits: verifiers reject keys under 1024 bits",
                                     detail: "Every signature made with this key fails.", rfc: "RFC 8301 §3.2"))
            } else if key.bits < DKIMPrivateKey.recommendedRSABits {
                findings.append(rsaUnder2048(bits: key.bits))
            }
        } else if record.keyAlgorithm != nil {
            findings.append(finding("dkim.key.undecodable", .error, "p= does not decode as a \(record.keyType) public key",
                                 detail: "Verifiers cannot build a key from p=, so every signature fails.",
                                 rfc: "RFC 6376 §3.6.1"))
        }
        if record.keyAlgorithm == .ed25519 {
            findings.append(finding("dkim.key.ed25519-only", .info,
                                 "Ed25519 is not verified by every receiver (Gmail does not): sign with RSA too",
                                 detail: "Receivers that do not implement RFC 8463 treat an ed25519-sha256 signature as absent.",
                                 rfc: "RFC 8463 §1"))
        }
        return findings
    }
}
