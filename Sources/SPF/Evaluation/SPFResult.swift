/// The result of check_host() (RFC 7208 §2.6).
public enum SPFResult: String, Sendable, Hashable, Codable, CaseIterable, CustomStringConvertible {
    /// The client is authorized (§2.6.3).
    case pass
    /// The client is explicitly not authorized (§2.6.4).
    case fail
    /// Probably not authorized; a weak statement (§2.6.5).
    case softfail
    /// The domain owner makes no assertion (§2.6.2); also the default when nothing matches (§4.7).
    case neutral
    /// No SPF record, or no valid domain to check (§2.6.1).
    case none
    /// A transient DNS error; a later retry might succeed (§2.6.6).
    case temperror
    /// The published records could not be interpreted (§2.6.7).
    case permerror

    public var description: String { rawValue }
}
