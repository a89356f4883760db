/// A reply as a DNSSEC validator needs it: every record of the answer and authority sections,
/// signatures (RRSIG) and denial records (NSEC, NSEC3) included, asked with the DO and CD bits
/// (RFC 4035 §3.2.1, §3.2.2).
///
/// ``DNSResponse`` keeps only the asked type's records; this keeps the whole sections, so the
/// validator can check each RRset against its signatures and each negative answer against its
/// proof.
public struct DNSSECMessage: Sendable, Hashable {
    /// The question asked (no CNAME is followed: the validator follows them itself).
    public var question: DNSQuestion
    /// The response code: NOERROR or NXDOMAIN (any other is thrown as a ``DNSError``).
    public var rcode: ResponseCode
    /// The answer section, RRSIGs included, in the order received.
    public var answer: [ResourceRecord]
    /// The authority section: SOA, NSEC, NSEC3, NS, DS and their RRSIGs.
    public var authority: [ResourceRecord]
    /// Whether the reply is a referral (RFC 1034 §4.3.1): no answer, NS records of a zone cut in
    /// the authority section, no SOA.
    public var isReferral: Bool
    /// The server or zone data that answered.
    public var server: String

    public init(
        question: DNSQuestion, rcode: ResponseCode, answer: [ResourceRecord], authority: [ResourceRecord],
        isReferral: Bool = false, server: String
    ) {
        self.question = question
        self.rcode = rcode
        self.answer = answer
        self.authority = authority
        self.isReferral = isReferral
        self.server = server
    }
}

/// Something that answers questions with whole DNSSEC messages: ldns on the network (DO and CD
/// set), zone data that holds its signatures, or zone data laid over the network.
public protocol DNSSECMessageSource: Sendable {
    /// Asks one question with DO and CD set and returns the answer and authority sections.
    ///
    /// - Throws: ``DNSError`` when no usable reply arrived (SERVFAIL, REFUSED, timeout).
    func dnssecMessage(_ question: DNSQuestion) async throws(DNSError) -> DNSSECMessage
}

/// A source whose waits all end when an evaluation's deadline fires.
package protocol DeadlineAwareDNSSECSource: DNSSECMessageSource {
    func dnssecMessage(_ question: DNSQuestion, within deadline: DeadlineSignal) async throws(DNSError) -> DNSSECMessage
}

extension DNSSECMessageSource {
    /// Asks `question`, ending the wait when `deadline` fires (sources that cannot stop a wait
    /// are checked before and after it).
    package func dnssecMessage(_ question: DNSQuestion, boundedBy deadline: DeadlineSignal?) async throws(DNSError) -> DNSSECMessage {
        guard let deadline else { return try await dnssecMessage(question) }
        if deadline.hasFired { throw DeadlineSignal.expired(question) }
        if let aware = self as? any DeadlineAwareDNSSECSource { return try await aware.dnssecMessage(question, within: deadline) }
        let message = try await dnssecMessage(question)
        if deadline.hasFired { throw DeadlineSignal.expired(question) }
        return message
    }
}
