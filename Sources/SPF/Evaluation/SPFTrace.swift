import DNSCore

/// One DNS question asked during an evaluation and what came back.
public struct SPFLookup: Sendable, Hashable, Codable {
    /// `example.com. TXT`
    public var question: String
    /// `answer`, `nodata`, `nxdomain`, or `error`.
    public var outcome: String
    /// The answers in presentation form (addresses, names, TXT text).
    public var answers: [String]
    /// For `error`, the DNS failure.
    public var error: String?
    /// Whether this lookup counted as a void lookup (RFC 7208 §4.6.4).
    public var countedAsVoid: Bool

    public init(question: String, outcome: String, answers: [String] = [], error: String? = nil, countedAsVoid: Bool = false) {
        self.question = question
        self.outcome = outcome
        self.answers = answers
        self.error = error
        self.countedAsVoid = countedAsVoid
    }
}

/// How one term fared.
public enum SPFTermOutcome: String, Sendable, Hashable, Codable {
    /// The mechanism matched: its qualifier is the result.
    case match
    /// The mechanism did not match; evaluation went on.
    case noMatch = "no-match"
    /// The term stopped the evaluation with `permerror` or `temperror`.
    case error
    /// A modifier that was applied (`redirect`) or noted (`exp`).
    case applied
}

/// The evaluation of one term, with the queries it made and, for `include` and `redirect`, the
/// evaluation of the target's record.
public struct SPFTermTrace: Sendable, Hashable, Codable {
    /// The term as written (`include:_spf.example.com`).
    public var term: String
    /// The domain the term acted on, after macro expansion.
    public var target: String?
    public var outcome: SPFTermOutcome
    /// Why it matched, did not match or failed, for a person.
    public var detail: String?
    /// DNS questions asked for this term, in order.
    public var lookups: [SPFLookup]
    /// For `include` and `redirect`: the target's record evaluation (zero or one element).
    public var nested: [SPFTrace]

    public init(
        term: String, target: String? = nil, outcome: SPFTermOutcome, detail: String? = nil, lookups: [SPFLookup] = [],
        nested: [SPFTrace] = []
    ) {
        self.term = term
        self.target = target
        self.outcome = outcome
        self.detail = detail
        self.lookups = lookups
        self.nested = nested
    }
}

/// The evaluation of one domain's record: the tree a person reads to see why (issue: "explained
/// lookup tree").
public struct SPFTrace: Sendable, Hashable, Codable {
    /// The domain whose record was evaluated.
    public var domain: String
    /// The selected record, when one was found.
    public var record: String?
    /// The record lookup (TXT).
    public var lookups: [SPFLookup]
    /// The terms evaluated, in order (evaluation stops at the first match).
    public var terms: [SPFTermTrace]
    /// The result this record gave.
    public var result: SPFResult
    /// Why the result is an error, or what decided it.
    public var detail: String?

    public init(
        domain: String, record: String? = nil, lookups: [SPFLookup] = [], terms: [SPFTermTrace] = [],
        result: SPFResult, detail: String? = nil
    ) {
        self.domain = domain
        self.record = record
        self.lookups = lookups
        self.terms = terms
        self.result = result
        self.detail = detail
    }

    /// An indented text rendering, one line per record, term and query.
    public func rendered(indent: Int = 0) -> String {
        var lines: [String] = []
        render(into: &lines, indent: indent)
        return lines.joined(separator: "\n")
    }

    func render(into lines: inout [String], indent: Int) {
        let pad = String(repeating: "  ", count: indent)
        var head = "\(pad)\(domain) → \(result)"
        if let detail { head += " (\(detail))" }
        lines.append(head)
        for lookup in lookups { lines.append("\(pad)  ? \(lookup.line)") }
        if let record { lines.append("\(pad)  \"\(record)\"") }
        for term in terms {
            var line = "\(pad)  \(term.term): \(term.outcome.rawValue)"
            if let target = term.target { line += " [\(target)]" }
            if let detail = term.detail { line += " — \(detail)" }
            lines.append(line)
            for lookup in term.lookups { lines.append("\(pad)    ? \(lookup.line)") }
            for nested in term.nested { nested.render(into: &lines, indent: indent + 2) }
        }
    }
}

extension SPFLookup {
    var line: String {
        var text = "\(question) → \(outcome)"
        if let error { text += ": \(error)" }
        if !answers.isEmpty {
            let shown = answers.prefix(12).joined(separator: ", ")
            text += " [\(shown)\(answers.count > 12 ? ", …" : "")]"
        }
        if countedAsVoid { text += " (void)" }
        return text
    }
}

/// The outcome of check_host() with the evidence behind it (RFC 7208 §4).
public struct SPFEvaluation: Sendable, Hashable, Codable {
    public var result: SPFResult
    /// The domain checked.
    public var domain: String
    /// The client address.
    public var ip: String
    /// The directive that decided the result (`-all`), if one matched.
    public var matchedTerm: String?
    /// The domain whose record holds ``matchedTerm``.
    public var matchedIn: String?
    /// For `fail`, the expanded `exp=` text (RFC 7208 §6.2); `nil` when there is none.
    public var explanation: String?
    /// DNS-querying terms evaluated (limit ``SPFLimits/maximumDNSMechanisms``).
    public var dnsLookups: Int
    /// Void lookups seen (limit ``SPFLimits/maximumVoidLookups``).
    public var voidLookups: Int
    /// For `permerror` and `temperror`, what went wrong.
    public var problem: String?
    /// The evaluation tree.
    public var trace: SPFTrace

    public init(
        result: SPFResult, domain: String, ip: String, matchedTerm: String? = nil, matchedIn: String? = nil,
        explanation: String? = nil, dnsLookups: Int = 0, voidLookups: Int = 0, problem: String? = nil, trace: SPFTrace
    ) {
        self.result = result
        self.domain = domain
        self.ip = ip
        self.matchedTerm = matchedTerm
        self.matchedIn = matchedIn
        self.explanation = explanation
        self.dnsLookups = dnsLookups
        self.voidLookups = voidLookups
        self.problem = problem
        self.trace = trace
    }
}
