import MailAuthCore

/// A finding about a DKIM key or key record, for the audit and the CLI to report.
///
/// Small values with stable ids; the audit engine maps them to its `Finding` type.
public struct DKIMKeyLint: Sendable, Hashable, Codable, CustomStringConvertible {
    /// How much it matters (`error`: receivers will reject signatures made with this key;
    /// `warning`: works today, but should be fixed; `info`: worth knowing).
    public typealias Level = Severity

    /// Stable identifier, `dkim.key.…`.
    public var id: String
    public var level: Level
    public var message: String
    /// The RFC section behind it.
    public var rfc: String?

    public init(id: String, level: Level, message: String, rfc: String? = nil) {
        self.id = id
        self.level = level
        self.message = message
        self.rfc = rfc
    }

    public var description: String { "\(level.rawValue): \(message)" }

    static func rsaUnder2048(bits: Int) -> DKIMKeyLint {
        DKIMKeyLint(id: "dkim.key.rsa-under-2048", level: .warning,
                    message: "RSA key of \(bits) bits: use at least 2048", rfc: "RFC 8301 §3.2")
    }

    /// Lints for a published record (and its decoded key, when it decodes).
    public static func lint(_ record: DKIMKeyRecord) -> [DKIMKeyLint] {
        var lints: [DKIMKeyLint] = []
        if record.isRevoked {
            return [DKIMKeyLint(id: "dkim.key.revoked", level: .error, message: "the key is revoked (empty p=)",
                                rfc: "RFC 6376 §3.6.1")]
        }
        if record.keyAlgorithm == nil {
            lints.append(DKIMKeyLint(id: "dkim.key.unknown-type", level: .error,
                                     message: "unknown key type k=\(record.keyType)", rfc: "RFC 6376 §3.6.1"))
        }
        if !record.allowsEmail {
            lints.append(DKIMKeyLint(id: "dkim.key.not-for-email", level: .error,
                                     message: "s=\(record.serviceTypes.joined(separator: ":")) excludes email",
                                     rfc: "RFC 6376 §3.6.1"))
        }
        if !record.allowsSHA256 {
            lints.append(DKIMKeyLint(id: "dkim.key.no-sha256", level: .error,
                                     message: "h= does not allow sha256, the only hash RFC 8301 permits",
                                     rfc: "RFC 8301 §3.1"))
        }
        if record.isTesting {
            lints.append(DKIMKeyLint(id: "dkim.key.testing", level: .info,
                                     message: "t=y: the domain is testing DKIM; receivers may ignore the results",
                                     rfc: "RFC 6376 §3.6.1"))
        }
        if let key = try? record.publicKey() {
            if key.algorithm == .ed25519 {
                // nothing to check about the size
            } else if key.bits < DKIMVerifier.minimumRSABits {
                lints.append(DKIMKeyLint(id: "dkim.key.rsa-under-1024", level: .error,
                                         message: "RSA key of \(key.bits) bits: verifiers reject keys under 1024 bits",
                                         rfc: "RFC 8301 §3.2"))
            } else if key.bits < DKIMPrivateKey.recommendedRSABits {
                lints.append(rsaUnder2048(bits: key.bits))
            }
        } else if record.keyAlgorithm != nil {
            lints.append(DKIMKeyLint(id: "dkim.key.undecodable", level: .error,
                                     message: "p= does not decode as a \(record.keyType) public key", rfc: "RFC 6376 §3.6.1"))
        }
        if record.keyAlgorithm == .ed25519 {
            lints.append(DKIMKeyLint(id: "dkim.key.ed25519-only", level: .info,
                                     message: "Ed25519 is not verified by every receiver (Gmail does not): sign with RSA too",
                                     rfc: "RFC 8463 §1"))
        }
        return lints
    }
}
