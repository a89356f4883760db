/// Which DKIM selectors an audit tries, besides those the caller names and those a mail provider
/// seen in the MX set or the SPF tree implies.
///
/// Selectors cannot be listed from DNS (RFC 6376 §3.6.2.1), so every set is a guess; the report
/// names the set it used, and a key it did not find is "unknown", never "missing". Probing is
/// most of an audit's questions (23 of about 41 with ``common``), so mass scans use ``minimal``.
public enum SelectorSet: Sendable, Hashable, CustomStringConvertible {
    /// Only the selectors no provider implies: ``minimalSelectors``. A provider's own selectors
    /// (Google's `google`, Microsoft's `selector1`/`selector2`, SendGrid's `s1`/`s2`, …) are
    /// still tried whenever its MX or SPF include shows the domain uses it.
    case minimal
    /// The 23 most common selectors in published keys: ``commonSelectors`` (the default).
    case common
    /// The selectors of a list the caller keeps (`name` says where it came from, a file's path).
    case list(name: String, selectors: [String])

    /// The selectors of ``minimal``: the defaults of self-hosted signers (cPanel and OpenDKIM
    /// set-ups use `default` or `mail`, rspamd `dkim`).
    public static let minimalSelectors = ["default", "dkim", "mail"]

    /// The selectors of ``common``.
    public static let commonSelectors = [
        "default", "dkim", "mail", "selector1", "selector2", "google", "k1", "k2", "s1", "s2", "mx", "smtp", "email",
        "key1", "dkim1", "sig1", "mandrill", "fm1", "protonmail", "zoho", "pm", "s1024", "s2048",
    ]

    /// The selectors this set tries.
    public var selectors: [String] {
        switch self {
        case .minimal: Self.minimalSelectors
        case .common: Self.commonSelectors
        case .list(_, let selectors): selectors
        }
    }

    /// `minimal`, `common`, or the list's name; as the report and `--selectors` write it.
    public var description: String {
        switch self {
        case .minimal: "minimal"
        case .common: "common"
        case .list(let name, _): name
        }
    }

    /// How the report's records label a selector this set contributed.
    var sourceLabel: String {
        switch self {
        case .minimal: "minimal selector set"
        case .common: "common selector"
        case .list(let name, _): "selector list \(name)"
        }
    }
}
