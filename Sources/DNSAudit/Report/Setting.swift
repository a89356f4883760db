/// A setting of the audit or the pre-send gate that text in a report points the reader to, as in
/// "retry with another nameserver" or "sign with a key at this selector".
///
/// The library does not know how its caller exposes its settings, so it words none of them
/// itself: a report names each through the ``Names`` it was given
/// (``Auditor/Options/settingNames``, ``PreSendValidator/settingNames``). The dnsaudit CLI names
/// each by its option (`--selector`); the default, ``Names/api``, by the Swift API.
public enum Setting: Sendable, Hashable, CaseIterable {
    /// The nameservers the resolver asks.
    case nameserver
    /// Answering only from zone files, asking nothing over the network (an ``OverlayResolver``
    /// with no outside resolver).
    case offline
    /// Asking with the DNSSEC OK bit, to read a validating resolver's AD flag (RFC 4035 §3.2.3).
    case dnssec
    /// The trust anchor dnsaudit validates DNSSEC from (``Auditor/Options/dnssecValidator``).
    case trustAnchor
    /// Extra DKIM selectors for the audit to try (``Auditor/Options/selectors``).
    case selector
    /// The `d=` domain of a signature the gate makes (`DKIMSigningConfiguration.domain`).
    case signingDomain
    /// The selector of a signature the gate makes (`DKIMSigningConfiguration.selector`).
    case signingSelector
    /// The private key of a signature the gate makes (`DKIMSigningConfiguration.key`).
    case signingKey
    /// Checking a message as it is, without signing it (an empty ``PreSendRequest/signing``).
    case noSigning
    /// The header fields a signature covers (`DKIMSigningConfiguration.headers`).
    case signedHeaders
    /// The name the sending MTA gives in HELO/EHLO (``PreSendRequest/helo``).
    case helo
    /// An IP address mail leaves from (``PreSendRequest/egressIPs``).
    case egressIP

    /// How report text names each ``Setting``.
    public struct Names: Sendable {
        private let name: @Sendable (Setting) -> String

        /// - Parameter name: the words for a setting, as they read in a sentence
        ///   ("retry with `name(.nameserver)`").
        public init(_ name: @escaping @Sendable (Setting) -> String) {
            self.name = name
        }

        /// The words for `setting`.
        public subscript(_ setting: Setting) -> String { name(setting) }

        /// The Swift API's names, for programs that link the library.
        public static let api = Names { setting in
            switch setting {
            case .nameserver: "another resolver"
            case .offline: "an `OverlayResolver` with no `outside` resolver"
            case .dnssec: "the DNSSEC OK bit"
            case .trustAnchor: "`DNSSECValidator.trustAnchors`"
            case .selector: "`Auditor.Options.selectors`"
            case .signingDomain: "`DKIMSigningConfiguration.domain`"
            case .signingSelector: "`DKIMSigningConfiguration.selector`"
            case .signingKey: "`DKIMSigningConfiguration.key`"
            case .noSigning: "an empty `PreSendRequest.signing`"
            case .signedHeaders: "`DKIMSigningConfiguration.headers`"
            case .helo: "`PreSendRequest.helo`"
            case .egressIP: "`PreSendRequest.egressIPs` address"
            }
        }
    }
}
