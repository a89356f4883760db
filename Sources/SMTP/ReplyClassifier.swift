/// Explains an SMTP reply, a transcript or a client library's error against ``ReplyTable``.
///
/// ```swift
/// let explanation = ReplyClassifier().explain("534-5.7.9 Application-specific password required. … - gsmtp")
/// explanation.id    // "gmail.app-password-required"
/// explanation.fix   // "Create an App Password …"
/// ```
///
/// Never throws and never traps: input that holds no reply gets an `unknown` explanation that says
/// so. Work is bounded by ``maxInputBytes``.
public struct ReplyClassifier: Sendable {
    /// Bytes of input read; the rest is ignored (and ``ReplyExplanation/truncated`` set).
    public static let maxInputBytes = 256 * 1024

    /// Words in the input that name a provider (case-insensitive), per the providers' own replies.
    public static let markers: [(MailProvider, [String])] = [
        (.gmail, ["gsmtp", "google.com", "smtp.gmail.com", "gmail-smtp"]),
        (.microsoft, ["outlook.com", "office365.com", "exchangelabs.com", "hotmail.com", "microsoft.com"]),
        (.yahoo, ["yahoo", "[tss0", "[ts0", "(#auth0", "aol.com"]),
    ]

    public var rules: [ReplyRule]
    public var clientErrors: [ClientErrorRule]

    public init(rules: [ReplyRule] = ReplyTable.rules, clientErrors: [ClientErrorRule] = ReplyTable.clientErrors) {
        self.rules = rules
        self.clientErrors = clientErrors
    }

    /// The explanation of `input`: the reply that failed (the last 4xx/5xx reply of a transcript),
    /// else a client library's error, else `unknown`.
    public func explain(_ input: String) -> ReplyExplanation {
        let utf8 = input.utf8
        let truncated = utf8.count > Self.maxInputBytes
        let text = truncated ? String(decoding: utf8.prefix(Self.maxInputBytes), as: UTF8.self) : input
        let lowered = text.lowercased()
        let provider = Self.provider(in: lowered)

        let replies = ReplyParser.replies(in: text)
        if let reply = replies.last(where: \.isFailure) ?? replies.last {
            var explanation = explain(reply, provider: provider)
            explanation.truncated = truncated
            return explanation
        }
        if let rule = clientErrors.first(where: { $0.keywords.contains(where: lowered.contains) }) {
            return ReplyExplanation(
                id: rule.id, match: .client, provider: provider, meaning: rule.meaning, cause: rule.cause, fix: rule.fix,
                permanence: .hard, source: rule.source, truncated: truncated)
        }
        return ReplyExplanation(
            id: "unknown", match: .unknown, provider: provider,
            meaning: "No SMTP reply (a line starting with a code such as 550 or 535) and no known client error was found in the input.",
            cause: "Unknown.",
            fix: "Paste the server's full reply, e.g. \"535-5.7.8 Username and Password not accepted …\", the whole exception, or the SMTP transcript.",
            permanence: nil, source: ReplySource("RFC 5321 §4.2"), truncated: truncated)
    }

    /// The explanation of one parsed reply. `provider` is the provider named elsewhere in the
    /// input (a transcript's banner); the reply's own text is searched too.
    public func explain(_ reply: SMTPReply, provider: MailProvider? = nil) -> ReplyExplanation {
        let text = reply.text.lowercased()
        let provider = Self.provider(in: text) ?? provider
        let registry = StatusCodeRegistry.reading(of: reply)
        let permanence: Permanence? = reply.code >= 500 ? .hard : reply.code >= 400 ? .soft : nil

        var best: (rule: ReplyRule, score: Int)?
        for rule in rules {
            guard let score = score(rule, reply: reply, text: text, provider: provider) else { continue }
            if score > best?.score ?? -1 { best = (rule, score) }
        }
        if let rule = best?.rule {
            return ReplyExplanation(
                id: rule.id, match: rule.provider == nil ? .generic : .provider, reply: reply,
                provider: rule.provider ?? provider, meaning: rule.meaning, cause: rule.cause, fix: rule.fix,
                command: rule.command, permanence: permanence, source: rule.source, registry: registry)
        }
        if let code = reply.enhancedCode, let detail = StatusCodeRegistry.detail(of: code) {
            return ReplyExplanation(
                id: "rfc.x.\(code.subject).\(code.detail)", match: .registry, reply: reply, provider: provider,
                meaning: "\(registry?.statusClass ?? ""): \(detail.meaning).",
                cause: "The server gave only the generic meaning of the code; its text says more: \"\(reply.text)\".",
                fix: Self.genericFix(permanence), permanence: permanence, source: ReplySource(detail.source), registry: registry)
        }
        let reading = [registry?.statusClass, registry?.subject].compactMap { $0 }.joined(separator: ", ")
        return ReplyExplanation(
            id: "unknown", match: .unknown, reply: reply, provider: provider,
            meaning: reading.isEmpty ? "An SMTP reply this table does not know." : "Unknown reply; its code reads: \(reading).",
            cause: "Not in dnsaudit's table; the server's text is the best clue: \"\(reply.text)\".",
            fix: Self.genericFix(permanence), permanence: permanence,
            source: ReplySource(reply.enhancedCode == nil ? "RFC 5321 §4.2.1" : "RFC 3463 §2"), registry: registry)
    }

    /// `nil` when `rule` does not match; else how specific the match is.
    func score(_ rule: ReplyRule, reply: SMTPReply, text: String, provider: MailProvider?) -> Int? {
        var score = 0
        if !rule.statusCodes.isEmpty {
            guard let code = reply.enhancedCode, rule.statusCodes.contains(where: { $0.matches(code) }) else { return nil }
            score += 1
        }
        if !rule.replyCodes.isEmpty {
            guard rule.replyCodes.contains(reply.code) else { return nil }
            score += 2
        }
        if !rule.keywords.isEmpty {
            guard rule.keywords.contains(where: text.contains) else { return nil }
            score += 4
        }
        if let wanted = rule.provider {
            if wanted == provider {
                score += 8
            } else if !rule.standsAlone || (provider != nil) {
                return nil
            }
        }
        return score
    }

    /// The provider a reply text or banner names (``markers``), if any.
    public static func provider(named text: String) -> MailProvider? { provider(in: text.lowercased()) }

    static func provider(in lowered: String) -> MailProvider? {
        var first: (MailProvider, String.Index)?
        for (provider, words) in markers {
            for word in words {
                if let range = lowered.firstRange(of: word), range.lowerBound < first?.1 ?? lowered.endIndex {
                    first = (provider, range.lowerBound)
                }
            }
        }
        return first?.0
    }

    static func genericFix(_ permanence: Permanence?) -> String {
        switch permanence {
        case .soft: "A temporary failure: retry later; if it persists, read the server's text and contact its postmaster."
        case .hard: "A permanent failure: retrying the same way fails again; fix what the server's text names first."
        case nil: "Not a failure."
        }
    }
}
