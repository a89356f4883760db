import DNSCore

extension LDNSResolver: DNSSECMessageSource, DeadlineAwareDNSSECSource {
    /// Asks with DO (RFC 3225) and CD (RFC 4035 §3.2.2) set, whatever ``Configuration/dnssecOK``
    /// says, and returns the whole answer and authority sections. Same tries, failover and TCP
    /// fallback as ``query(_:)``. A referral (a server that does not serve the name) moves on to
    /// the next server, as ``query(_:)`` does, so authoritative servers of different zones given
    /// together (a fake root, a TLD, a child) answer each question from the one that serves it;
    /// when every server refers, the first referral is returned (its NS, DS and NSEC records are
    /// what a validator reads). CNAMEs are not followed.
    public func dnssecMessage(_ question: DNSQuestion) async throws(DNSError) -> DNSSECMessage {
        try await signedMessage(question, deadline: nil)
    }

    package func dnssecMessage(_ question: DNSQuestion, within deadline: DeadlineSignal) async throws(DNSError) -> DNSSECMessage {
        try await signedMessage(question, deadline: deadline)
    }

    private func signedMessage(_ question: DNSQuestion, deadline: DeadlineSignal?) async throws(DNSError) -> DNSSECMessage {
        guard !configuration.nameservers.isEmpty else {
            throw DNSError(.noNameserver, question: question, detail: "no nameserver configured, and none in /etc/resolv.conf")
        }
        // DO needs an OPT record: at least the Flag Day payload size.
        let wire = LDNSWire.makeQuery(
            question, id: 0, ednsUDPSize: max(configuration.ednsUDPSize, 1232), dnssecOK: true, checkingDisabled: true)
        var failure: DNSError?
        var referral: DNSSECMessage?
        for _ in 0..<configuration.attempts {
            for server in configuration.nameservers {
                if Task.isCancelled { throw DNSError(.cancelled, question: question, server: server.description) }
                do {
                    let reply = try await signedExchange(wire, question, server: server, deadline: deadline)
                    let name = serverNames[server] ?? server.description
                    switch reply.rcode {
                    case .noError, .nameError:
                        let message = DNSSECMessage(
                            question: question, rcode: reply.rcode, answer: reply.answers, authority: reply.authority,
                            isReferral: reply.referral != nil, server: name)
                        guard message.isReferral else { return message }
                        if referral == nil { referral = message }
                    case .serverFailure:
                        failure = DNSError(.serverFailure, question: question, server: name, rcode: reply.rcode)
                    case .refused:
                        failure = DNSError(.refused, question: question, server: name, rcode: reply.rcode)
                    default:
                        failure = DNSError(.otherResponseCode, question: question, server: name, rcode: reply.rcode)
                    }
                } catch {
                    if error.kind == .cancelled || error.kind == .deadlineExceeded { throw error }
                    failure = error
                }
            }
        }
        if let referral { return referral }
        throw failure ?? DNSError(.timeout, question: question)
    }

    /// One server's reply over UDP, or over TCP when the UDP reply is truncated.
    private func signedExchange(
        _ wire: [UInt8], _ question: DNSQuestion, server: Nameserver, deadline: DeadlineSignal?
    ) async throws(DNSError) -> WireReply {
        do {
            try await semaphore.acquire(deadline: deadline)
        } catch {
            throw Self.error(waiting: error, original: question, server: server)
        }
        defer { semaphore.release() }
        let first: DNSTransport = configuration.tcpOnly ? .tcp : .udp
        let reply = try await exchange(wire, question, server: server, transport: first, original: question, deadline: deadline)
        guard reply.truncated, first == .udp else { return reply }
        return try await exchange(wire, question, server: server, transport: .tcp, original: question, deadline: deadline)
    }
}
