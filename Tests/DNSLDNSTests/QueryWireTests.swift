import CLDNS
@testable import DNSLDNS
import DNSCore
import Testing

/// The queries we write, read back field by field as RFC 1035 §4.1 lays them out, with the OPT
/// record of RFC 6891 §6.1.2, and by ldns.
@Suite struct QueryWireTests {
    static func u16(_ bytes: [UInt8], _ at: Int) -> Int { Int(bytes[at]) << 8 | Int(bytes[at + 1]) }

    /// What ldns reads of a query: the header bits and EDNS fields a server acts on, and the
    /// question.
    struct QueryFields {
        var id: UInt16
        var isResponse: Bool
        var recursionDesired: Bool
        var authenticatedData: Bool
        var checkingDisabled: Bool
        var question: DNSQuestion?
        var ednsUDPSize: UInt16
        var dnssecOK: Bool
    }

    /// Decodes a query with `ldns_wire2pkt`; `nil` when ldns refuses it.
    static func ldnsReading(_ wire: [UInt8]) -> QueryFields? {
        var packet: UnsafeMutablePointer<ldns_pkt>? = nil
        let status = wire.withUnsafeBufferPointer { ldns_wire2pkt(&packet, $0.baseAddress, $0.count) }
        guard status == LDNS_STATUS_OK, let packet else { return nil }
        defer { ldns_pkt_free(packet) }
        let question = ldns_pkt_question(packet).flatMap { ldns_rr_list_rr($0, 0) }.flatMap { LDNSWire.record($0, question: true) }
        return QueryFields(
            id: ldns_pkt_id(packet), isResponse: ldns_pkt_qr(packet), recursionDesired: ldns_pkt_rd(packet),
            authenticatedData: ldns_pkt_ad(packet), checkingDisabled: ldns_pkt_cd(packet),
            question: question.map { DNSQuestion($0.name, $0.type) },
            ednsUDPSize: ldns_pkt_edns(packet) ? ldns_pkt_edns_udp_size(packet) : 0, dnssecOK: ldns_pkt_edns_do(packet))
    }

    @Test(arguments: [
        (name: "example.com", type: RecordType.txt, edns: UInt16(1232), dnssecOK: false, checkingDisabled: false),
        (name: "_dmarc.example.com", type: .txt, edns: 0, dnssecOK: false, checkingDisabled: false),
        (name: "selector1._domainkey.example.co.uk", type: .txt, edns: 4096, dnssecOK: true, checkingDisabled: true),
        (name: "mx.example.com", type: .aaaa, edns: 1232, dnssecOK: true, checkingDisabled: false),
        (name: String(repeating: "a", count: 63) + "." + String(repeating: "b", count: 63) + "." + String(repeating: "c", count: 63) + "." + String(repeating: "d", count: 61),
         type: .mx, edns: 1232, dnssecOK: false, checkingDisabled: false),
    ])
    func aQueryIsLaidOutAsRFC1035AndRFC6891Say(
        _ input: (name: String, type: RecordType, edns: UInt16, dnssecOK: Bool, checkingDisabled: Bool)
    ) throws {
        let name = try DomainName(dnsName: input.name)
        let wire = LDNSWire.makeQuery(
            DNSQuestion(name, input.type), id: 0xBEEF, ednsUDPSize: input.edns, dnssecOK: input.dnssecOK,
            checkingDisabled: input.checkingDisabled)
        let qname = LDNSWire.wireName(name)
        let optLength = input.edns > 0 ? 11 : 0
        try #require(wire.count == 12 + qname.count + 4 + optLength, "\(wire)")
        #expect(Self.u16(wire, 0) == 0xBEEF)
        // QR 0, opcode QUERY, RD 1; AD with DO (RFC 6840 §5.7), CD when asked; RCODE 0.
        #expect(wire[2] == 0x01)
        #expect(wire[3] == (input.dnssecOK ? 0x20 : 0) | (input.checkingDisabled ? 0x10 : 0))
        #expect(Self.u16(wire, 4) == 1 && Self.u16(wire, 6) == 0 && Self.u16(wire, 8) == 0)
        #expect(Self.u16(wire, 10) == (input.edns > 0 ? 1 : 0))
        #expect(Array(wire[12..<(12 + qname.count)]) == qname, "the name is written whole, never compressed")
        var at = 12 + qname.count
        #expect(Self.u16(wire, at) == Int(input.type.rawValue))
        #expect(Self.u16(wire, at + 2) == 1, "class IN")
        at += 4
        guard input.edns > 0 else { return }
        #expect(wire[at] == 0, "OPT owner is the root")
        #expect(Self.u16(wire, at + 1) == 41)
        #expect(Self.u16(wire, at + 3) == Int(input.edns), "the UDP payload size rides in CLASS")
        #expect(wire[at + 5] == 0 && wire[at + 6] == 0, "extended RCODE and version 0")
        #expect(Self.u16(wire, at + 7) == (input.dnssecOK ? 0x8000 : 0), "the DO bit")
        #expect(Self.u16(wire, at + 9) == 0, "no options")
        // ldns reads the same message: its own header flags, question and EDNS fields.
        let read = try #require(Self.ldnsReading(wire))
        #expect(read.id == 0xBEEF && !read.isResponse && read.recursionDesired)
        #expect(read.question == DNSQuestion(name, input.type))
        #expect(read.authenticatedData == input.dnssecOK && read.checkingDisabled == input.checkingDisabled)
        #expect(read.ednsUDPSize == input.edns && read.dnssecOK == input.dnssecOK)
    }
}

/// The query IDs UDPChannel writes (RFC 5452 §9.2: unpredictable 16-bit IDs).
@Suite struct RandomIDTests {
    @Test func idsLookUniformlyDrawnAcrossManyRefills() {
        // 10,000 draws from 65,536 values leave about 9,270 distinct ones; IDs from an unfilled
        // or repeating buffer would leave far fewer.
        var pool = UDPChannel.RandomIDs()
        let ids = (0..<10_000).map { _ in pool.takeOne() }
        #expect(ids.count == 10_000)
        #expect(Set(ids).count > 9_000, "\(Set(ids).count) distinct")
        // Each byte of the ID takes all its values about equally often.
        var high = [Int](repeating: 0, count: 256)
        var low = [Int](repeating: 0, count: 256)
        for id in ids {
            high[Int(id >> 8)] += 1
            low[Int(id & 0xFF)] += 1
        }
        #expect(high.allSatisfy { $0 > 10 && $0 < 80 } && low.allSatisfy { $0 > 10 && $0 < 80 })
        // Draws after several refills are as spread.
        #expect(Set((0..<3_000).map { _ in pool.takeOne() }).count > 2_800)
    }
}
