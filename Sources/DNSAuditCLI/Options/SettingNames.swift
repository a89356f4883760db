import DNSAudit

extension Setting.Names {
    /// The option that sets each setting: what the audit's and the gate's advice name.
    static let options = Setting.Names { setting in
        switch setting {
        case .nameserver: "--nameserver"
        case .offline: "--offline"
        case .dnssec: "--dnssec"
        case .trustAnchor: "--trust-anchor"
        case .selector, .signingSelector: "--selector"
        case .signingDomain: "--domain"
        case .signingKey: "--key"
        case .noSigning: "--no-sign"
        case .signedHeaders: "--headers"
        case .helo: "--helo"
        case .egressIP: "--ip"
        }
    }
}
