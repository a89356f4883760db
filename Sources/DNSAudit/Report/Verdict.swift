/// What a report means for whoever acts on it: go ahead, fix something first, or ask again.
///
/// Both reports give one: ``AuditReport/verdict(failingAt:)`` and ``PreSendReport/verdict``. They
/// rank an unknown differently, each for its question: an audit with a DNS failure is
/// `incomplete` even when something else failed, because its list of problems is not complete;
/// a message with a failing check is `fail` whatever the unanswered questions would have said,
/// because it must not be sent either way.
public enum Verdict: String, Codable, Sendable, Hashable {
    /// Nothing at or above the threshold (audit), or every check passed (pre-send).
    case pass
    /// Something must be fixed: a finding at or above the threshold, or a failed check.
    case fail
    /// DNS failures (SERVFAIL, timeout, …) kept a check from finishing; nothing is known to be
    /// missing. Retry, or fix the nameservers.
    case incomplete
}
