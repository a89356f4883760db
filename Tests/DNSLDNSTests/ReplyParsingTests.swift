import CLDNS
@testable import DNSLDNS
import DNSCore
import Foundation
import TestSupport
import Testing

/// `LDNSWire.parseReply` decodes record by record with `ldns_wire2rr`; these tests hold it to
/// what `ldns_wire2pkt` (the whole-packet decoder it replaced) makes of the same bytes: the same
/// messages refused with the same error, the same header, question, records, SOA numbers,
/// referral and DO bit. The inputs are the DNS-wire fuzzing corpus (replies captured from Knot,
/// hand-made edge cases) and seeded mutants of it: flipped bytes, cut messages, changed counts.
@Suite struct ReplyParsingTests {
    /// What both decoders must agree on.
    struct Reading: Equatable, CustomStringConvertible {
        var id: UInt16
        var isResponse: Bool
        var rcode: UInt16
        var truncated: Bool
        var authenticatedData: Bool
        var authoritative: Bool
        var question: DNSQuestion?
        var answers: [ResourceRecord]
        var authority: [ResourceRecord]
        var soaTTL: UInt32?
        var soaMinimum: UInt32?
        var referral: DomainName?
        /// Whether the authority section is converted without being asked (the DO bit).
        var convertsAuthorityUnasked: Bool

        var description: String {
            "id \(id) qr \(isResponse) rcode \(rcode) tc \(truncated) ad \(authenticatedData) aa \(authoritative) "
                + "q \(question.map { "\($0)" } ?? "-") an \(answers.count) ns \(authority.count) "
                + "soa \(soaTTL.map(String.init) ?? "-")/\(soaMinimum.map(String.init) ?? "-") referral \(referral?.description ?? "-") "
                + "unasked \(convertsAuthorityUnasked)"
        }
    }

    enum Outcome: Equatable {
        case read(Reading)
        case refused(String)
    }

    static func reading(_ bytes: [UInt8]) -> Outcome {
        bytes.withUnsafeBytes { raw in
            do throws(WireError) {
                let full = try LDNSWire.parseReply(raw, convertAuthority: true)
                let plain = try LDNSWire.parseReply(raw)
                return .read(
                    Reading(
                        id: full.id, isResponse: full.isResponse, rcode: full.rcode.rawValue, truncated: full.truncated,
                        authenticatedData: full.authenticatedData, authoritative: full.authoritative, question: full.question,
                        answers: full.answers, authority: full.authority, soaTTL: full.authoritySOA?.ttl,
                        soaMinimum: full.authoritySOA?.minimum, referral: full.referral,
                        convertsAuthorityUnasked: !plain.authority.isEmpty))
            } catch {
                return .refused(error.description)
            }
        }
    }

    /// The reference: `ldns_wire2pkt`, its record lists converted with the same record conversion.
    static func referenceReading(_ bytes: [UInt8]) -> Outcome {
        guard bytes.count >= 12 else { return .refused("reply of \(bytes.count) bytes is shorter than a DNS header") }
        var packet: UnsafeMutablePointer<ldns_pkt>? = nil
        let status = bytes.withUnsafeBufferPointer { ldns_wire2pkt(&packet, $0.baseAddress, $0.count) }
        guard status == LDNS_STATUS_OK, let packet else {
            return .refused("ldns could not parse the reply: \(LDNSWire.errorText(status))")
        }
        defer { ldns_pkt_free(packet) }
        func list(_ list: UnsafeMutablePointer<ldns_rr_list>?) -> [UnsafeMutablePointer<ldns_rr>] {
            guard let list else { return [] }
            return (0..<ldns_rr_list_rr_count(list)).compactMap { ldns_rr_list_rr(list, $0) }
        }
        let authority = list(ldns_pkt_authority(packet))
        var soa: (ttl: UInt32, minimum: UInt32)? = nil
        for rr in authority where ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA && ldns_rr_rd_count(rr) == 7 {
            guard let minimum = ldns_rr_rdf(rr, 6), ldns_rdf_size(minimum) == 4 else { continue }
            soa = (ldns_rr_ttl(rr), ldns_rdf2native_int32(minimum))
            break
        }
        var referral: DomainName? = nil
        if soa == nil, !ldns_pkt_aa(packet), ldns_pkt_ancount(packet) == 0,
            let ns = authority.first(where: { ldns_rr_get_type($0) == LDNS_RR_TYPE_NS }), let owner = ldns_rr_owner(ns)
        {
            referral = LDNSWire.domainName(owner)
        }
        let converted = authority.compactMap { LDNSWire.record($0) }
        return .read(
            Reading(
                id: ldns_pkt_id(packet), isResponse: ldns_pkt_qr(packet), rcode: UInt16(ldns_pkt_get_rcode(packet).rawValue),
                truncated: ldns_pkt_tc(packet), authenticatedData: ldns_pkt_ad(packet), authoritative: ldns_pkt_aa(packet),
                question: list(ldns_pkt_question(packet)).lazy.compactMap { LDNSWire.record($0, question: true) }.first
                    .map { DNSQuestion($0.name, $0.type) },
                answers: list(ldns_pkt_answer(packet)).compactMap { LDNSWire.record($0) }, authority: converted,
                soaTTL: soa?.ttl, soaMinimum: soa?.minimum, referral: referral,
                convertsAuthorityUnasked: ldns_pkt_edns_do(packet) && !converted.isEmpty))
    }

    static let corpus: [[UInt8]] = {
        let directory = URL(fileURLWithPath: KnotServer.fixtures("../../Fuzz/Corpus/FuzzDNSWire"))
        let files = (try? FileManager.default.contentsOfDirectory(at: directory, includingPropertiesForKeys: nil)) ?? []
        return files.sorted { $0.path < $1.path }.compactMap { try? Array(Data(contentsOf: $0)) }
    }()

    static func mutants(of message: [UInt8], count: Int, using random: inout SeededRandom) -> [[UInt8]] {
        guard !message.isEmpty else { return [] }
        return (0..<count).map { round in
            var bytes = message
            switch round % 4 {
            case 0:  // flip one to three bytes
                for _ in 0..<Int.random(in: 1...3, using: &random) {
                    bytes[Int.random(in: 0..<bytes.count, using: &random)] = UInt8.random(in: 0...255, using: &random)
                }
            case 1:  // cut the message short
                bytes = Array(bytes.prefix(Int.random(in: 0..<bytes.count, using: &random)))
            case 2:  // change a section count
                if bytes.count >= 12 {
                    let at = 4 + 2 * Int.random(in: 0..<4, using: &random)
                    bytes[at] = 0
                    bytes[at + 1] = UInt8.random(in: 0...4, using: &random)
                }
            default:  // a byte inside the records only (names, compression pointers, lengths)
                if bytes.count > 12 { bytes[Int.random(in: 12..<bytes.count, using: &random)] ^= 0xFF }
            }
            return bytes
        }
    }

    @Test func theCorpusIsThere() {
        #expect(Self.corpus.count >= 100, "\(Self.corpus.count) messages")
    }

    @Test func everyCorpusMessageAndMutantReadsAsLDNSWire2pktReadsIt() {
        var random = SeededRandom(seed: 0x5EED_0F_D15A)  // the same mutants on every run
        var read = 0
        var refused = 0
        for message in Self.corpus {
            for bytes in [message] + Self.mutants(of: message, count: 60, using: &random) {
                let ours = Self.reading(bytes)
                let reference = Self.referenceReading(bytes)
                #expect(ours == reference, "\(bytes)")
                if case .read = reference { read += 1 } else { refused += 1 }
            }
        }
        // Both kinds are exercised: the comparison is not over refusals only, nor acceptances only.
        #expect(read > 1_000 && refused > 1_000, "\(read) read, \(refused) refused")
    }
}
