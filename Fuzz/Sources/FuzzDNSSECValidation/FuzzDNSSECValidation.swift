@_spi(Fuzzing) import DNSLDNS
import DNSCore
import Dispatch

/// DNSSEC validation of whatever a hostile server sends: the bytes are a DNS reply, given as the
/// answer to every question the validator asks (a server that lies about every zone), and also
/// laid out as zone data. The reply's own DNSKEY and DS records are the trust anchors, so the
/// signature checks, DS digests and NSEC/NSEC3 proofs of ldns all run on fuzzed records.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzDNSSECValidation(_ data: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = Array(UnsafeBufferPointer(start: data, count: count))
    guard let reply = DNSLDNSFuzzing.parseReply(bytes) else { return 0 }
    let records = reply.answers + reply.authority
    let question = reply.question ?? DNSQuestion(records.first?.name ?? .root, .a)
    let anchors = DNSSECTrustAnchors(records.filter { $0.type == .dnskey || $0.type == .ds })
    let message = DNSSECMessage(
        question: question, rcode: .noError, answer: reply.answers, authority: reply.authority, server: "fuzz")
    let sources: [any DNSSECMessageSource] = [LyingServer(message: message), ZoneResolver(records: records)]
    let done = DispatchSemaphore(value: 0)
    Task.detached {
        for source in sources {
            let validator = DNSSECValidator(source: source, trustAnchors: anchors, now: { 1_767_225_600 })
            let result = await validator.validate(question, timeout: .seconds(2))
            _ = result.trust.rendered()
            _ = result.reason.description
        }
        done.signal()
    }
    done.wait()
    return 0
}

/// Answers every question with the same message, renamed to the question.
struct LyingServer: DNSSECMessageSource {
    let message: DNSSECMessage

    func dnssecMessage(_ question: DNSQuestion) async throws(DNSError) -> DNSSECMessage {
        var answer = message
        answer.question = question
        return answer
    }
}
