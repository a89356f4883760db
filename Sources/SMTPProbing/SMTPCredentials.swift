import Foundation

/// The user and secret of the opt-in AUTH test.
///
/// The secret (a password, an App Password or an OAuth 2.0 token) is kept only here: this type is
/// not `Codable`, its `description` hides the secret, and the probe records every line that
/// carries it as `[redacted]`.
public struct SMTPCredentials: Sendable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The login name, usually the mail address.
    public var user: String
    private let secret: String
    /// The mechanism to use; `nil` picks PLAIN, else LOGIN, among those the server offers.
    public var mechanism: SASLMechanism?

    public init(user: String, secret: String, mechanism: SASLMechanism? = nil) {
        self.user = user
        self.secret = secret
        self.mechanism = mechanism
    }

    public var description: String { "\(user) [secret redacted]" }
    public var debugDescription: String { description }

    /// The texts a server might echo back that would reveal the secret: the secret itself and the
    /// base64 forms the mechanisms send.
    var redactions: [String] {
        [secret, Self.base64(secret), plainMessage, xoauth2Message].filter { $0.count >= 1 }
    }

    /// RFC 4616 §2: `[authzid] NUL authcid NUL passwd`, base64.
    var plainMessage: String { Self.base64("\u{0}\(user)\u{0}\(secret)") }

    /// The XOAUTH2 initial response: `user=U ^A auth=Bearer TOKEN ^A ^A`, base64.
    var xoauth2Message: String { Self.base64("user=\(user)\u{1}auth=Bearer \(secret)\u{1}\u{1}") }

    var userBase64: String { Self.base64(user) }
    var secretBase64: String { Self.base64(secret) }

    private static func base64(_ text: String) -> String { Data(text.utf8).base64EncodedString() }
}
