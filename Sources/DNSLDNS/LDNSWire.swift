internal import CLDNS
import DNSCore

#if canImport(Glibc)
import Glibc
#endif

/// A reply decoded by ldns and converted to Swift values. No ldns pointer outlives the call
/// that made it.
struct WireReply: Sendable {
    var id: UInt16
    var isResponse: Bool
    var rcode: ResponseCode
    var truncated: Bool
    var authenticatedData: Bool
    /// The AA flag (RFC 1035 §4.1.1).
    var authoritative: Bool = false
    var question: DNSQuestion?
    var answers: [ResourceRecord]
    /// TTL and MINIMUM of the authority section's SOA, all a resolver needs of that section
    /// (RFC 2308 §5 negative caching; an SOA also tells a negative answer from a bare referral).
    var authoritySOA: (ttl: UInt32, minimum: UInt32)?
    /// The authority section as records: converted only when asked for (the fuzz entry point).
    var authority: [ResourceRecord]
    /// A referral (RFC 1034 §4.3.1, RFC 2308 §2.1): no AA bit, an empty answer section, no SOA
    /// and NS records in the authority section. Holds the zone cut the server points at.
    var referral: DomainName?
}

/// Why bytes could not be read as a DNS message.
struct WireError: Error, Sendable, CustomStringConvertible {
    var description: String
}

/// Query construction (a fixed layout, written here) and reply parsing through ldns
/// (`ldns_wire2rr`, record by record). The network I/O is ours (``QueryExchange``); ldns' own resolver blocks,
/// mutates itself on every send and marks a server dead after one timeout.
enum LDNSWire {
    /// The wire form of a query for `question` with the given ID.
    ///
    /// - Parameters:
    ///   - ednsUDPSize: advertised EDNS0 UDP payload size (RFC 6891); 0 sends no OPT record.
    ///   - dnssecOK: sets the DO bit (RFC 3225) and AD (RFC 6840 §5.7), asking a validating
    ///     resolver to say whether it validated.
    ///   - checkingDisabled: sets CD (RFC 4035 §3.2.2): a validating resolver passes on what it
    ///     has, bogus data included, so our own validator can say why it is bogus.
    static func makeQuery(
        _ question: DNSQuestion, id: UInt16, ednsUDPSize: UInt16, dnssecOK: Bool, checkingDisabled: Bool = false
    ) -> [UInt8] {
        // Written here rather than through ldns_pkt_query_new and ldns_pkt2buffer_wire: a query
        // is a fixed header, one uncompressed name and at most an OPT record, and building ldns'
        // packet object for it was about 5% of a bulk check_host's CPU (68.5 -> 65 us a domain).
        // ldns reads these queries back field by field in QueryWireTests.
        var wire: [UInt8] = []
        wire.reserveCapacity(12 + 256 + 4 + 11)
        wire.append(UInt8(id >> 8))
        wire.append(UInt8(id & 0xFF))
        // QR 0, opcode QUERY, RD 1 (RFC 1035 §4.1.1); AD with DO (RFC 6840 §5.7); CD when asked
        // (RFC 4035 §3.2.2).
        wire.append(0x01)
        wire.append((dnssecOK ? 0x20 : 0) | (checkingDisabled ? 0x10 : 0))
        wire += [0, 1, 0, 0, 0, 0, 0, ednsUDPSize > 0 ? 1 : 0]
        appendName(question.name, to: &wire)
        wire.append(UInt8(question.type.rawValue >> 8))
        wire.append(UInt8(question.type.rawValue & 0xFF))
        wire += [0, 1]  // class IN
        if ednsUDPSize > 0 {
            // OPT (RFC 6891 §6.1.2): the root as owner, the payload size in CLASS, extended
            // RCODE 0 and version 0, then the flags with DO (RFC 3225), no options.
            wire += [0, 0, 41, UInt8(ednsUDPSize >> 8), UInt8(ednsUDPSize & 0xFF), 0, 0, dnssecOK ? 0x80 : 0, 0, 0, 0]
        }
        return wire
    }

    /// ldns' text for `status`; ldns has none for codes it does not know (NULL).
    static func errorText(_ status: ldns_status) -> String {
        guard let text = ldns_get_errorstr_by_id(status) else { return "ldns status \(status.rawValue)" }
        return String(cString: text)
    }

    /// Uncompressed wire labels of `name`, ending with the root label.
    static func wireName(_ name: DomainName) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(256)
        appendName(name, to: &bytes)
        return bytes
    }

    /// Appends the uncompressed wire labels of `name` and the root label to `bytes`.
    static func appendName(_ name: DomainName, to bytes: inout [UInt8]) {
        for label in name.labels {
            bytes.append(UInt8(truncatingIfNeeded: label.utf8.count))
            bytes.append(contentsOf: label.utf8)
        }
        bytes.append(0)
    }

    /// Decodes a reply and converts it: ldns decodes each record (`ldns_wire2rr`, which expands
    /// compression and lays out the fields), section by section as `ldns_wire2pkt` does, so the
    /// same messages are accepted and refused. The packet object (its record lists, EDNS copies)
    /// is not built, and each record is freed once converted. ReplyParsingTests compares this
    /// with `ldns_wire2pkt` on the fuzzing corpus and its mutants.
    static func parseReply(_ bytes: UnsafeRawBufferPointer, convertAuthority: Bool = false) throws(WireError) -> WireReply {
        guard bytes.count >= 12, let base = bytes.baseAddress else {
            throw WireError(description: "reply of \(bytes.count) bytes is shorter than a DNS header")
        }
        let wire = base.assumingMemoryBound(to: UInt8.self)
        func u16(_ at: Int) -> UInt16 { UInt16(wire[at]) << 8 | UInt16(wire[at + 1]) }
        let flags = u16(2)
        let authoritative = flags & 0x0400 != 0
        let answerCount = Int(u16(6))
        var position = 12
        /// The next record of `section`, owned by the caller; ldns' own error for a short one.
        func next(_ section: ldns_pkt_section, incomplete: ldns_status) throws(WireError) -> UnsafeMutablePointer<ldns_rr> {
            var rr: UnsafeMutablePointer<ldns_rr>? = nil
            var status = ldns_wire2rr(&rr, wire, bytes.count, &position, section)
            if status == LDNS_STATUS_PACKET_OVERFLOW { status = incomplete }
            guard status == LDNS_STATUS_OK, let rr else {
                throw WireError(description: "ldns could not parse the reply: \(errorText(status))")
            }
            return rr
        }
        var question: DNSQuestion? = nil
        // The first question's RR stays until the answers are read: an answer owned by the very
        // same name (byte for byte, as most are) shares the question's name instead of decoding it.
        var questionRR: UnsafeMutablePointer<ldns_rr>? = nil
        defer { if let questionRR { ldns_rr_free(questionRR) } }
        for _ in 0..<Int(u16(4)) {
            let rr = try next(LDNS_SECTION_QUESTION, incomplete: LDNS_STATUS_WIRE_INCOMPLETE_QUESTION)
            if question == nil, let record = record(rr, question: true) {
                question = DNSQuestion(record.name, record.type)
                questionRR = rr
                continue
            }
            ldns_rr_free(rr)
        }
        var knownOwner: (rdf: UnsafeMutablePointer<ldns_rdf>, name: DomainName)? = nil
        if let questionRR, let owner = ldns_rr_owner(questionRR), let question { knownOwner = (owner, question.name) }
        var answers: [ResourceRecord] = []
        answers.reserveCapacity(answerCount)
        for _ in 0..<answerCount {
            let rr = try next(LDNS_SECTION_ANSWER, incomplete: LDNS_STATUS_WIRE_INCOMPLETE_ANSWER)
            if let record = record(rr, knownOwner: knownOwner) { answers.append(record) }
            ldns_rr_free(rr)
        }
        // The authority section is converted once the additional section has said whether the
        // reply echoes DO; until then its records are kept.
        var authority: [UnsafeMutablePointer<ldns_rr>] = []
        defer { for rr in authority { ldns_rr_free(rr) } }
        for _ in 0..<Int(u16(8)) {
            authority.append(try next(LDNS_SECTION_AUTHORITY, incomplete: LDNS_STATUS_WIRE_INCOMPLETE_AUTHORITY))
        }
        var dnssecOK = false
        for _ in 0..<Int(u16(10)) {
            let rr = try next(LDNS_SECTION_ADDITIONAL, incomplete: LDNS_STATUS_WIRE_INCOMPLETE_ADDITIONAL)
            // The last OPT record's flags, as ldns_wire2pkt keeps them (RFC 6891 §6.1.3: DO is
            // the top bit of the TTL's low half).
            if ldns_rr_get_type(rr) == LDNS_RR_TYPE_OPT { dnssecOK = ldns_rr_ttl(rr) & 0x8000 != 0 }
            ldns_rr_free(rr)
        }
        let soa = soaNumbers(authority)
        return WireReply(
            id: u16(0),
            isResponse: flags & 0x8000 != 0,
            rcode: ResponseCode(rawValue: flags & 0x000F),
            truncated: flags & 0x0200 != 0,
            authenticatedData: flags & 0x0020 != 0,
            authoritative: authoritative,
            question: question,
            answers: answers,
            authoritySOA: soa,
            // A reply to a DO query (the DO bit echoed, RFC 3225 §3) carries the NSEC/NSEC3
            // proofs a validator reads there.
            authority: convertAuthority || dnssecOK ? authority.compactMap { record($0) } : [],
            referral: soa == nil && !authoritative && answerCount == 0 ? delegation(authority) : nil
        )
    }

    /// The zone cut a referral's authority section points at: the owner of its first NS record.
    static func delegation(_ records: [UnsafeMutablePointer<ldns_rr>]) -> DomainName? {
        for rr in records {
            guard ldns_rr_get_type(rr) == LDNS_RR_TYPE_NS, let owner = ldns_rr_owner(rr) else { continue }
            return domainName(owner)
        }
        return nil
    }

    /// TTL and MINIMUM of the first well-formed SOA in `list`, read without converting names.
    static func soaNumbers(_ records: [UnsafeMutablePointer<ldns_rr>]) -> (ttl: UInt32, minimum: UInt32)? {
        for rr in records {
            guard ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA, ldns_rr_rd_count(rr) == 7,
                let minimum = ldns_rr_rdf(rr, 6), ldns_rdf_size(minimum) == 4
            else { continue }
            return (ldns_rr_ttl(rr), ldns_rdf2native_int32(minimum))
        }
        return nil
    }


    /// Converts one borrowed ldns RR to a ``ResourceRecord``.
    /// `knownOwner` is a name already decoded, with its rdf: an owner with the same bytes takes it.
    static func record(
        _ rr: UnsafeMutablePointer<ldns_rr>, question: Bool = false,
        knownOwner: (rdf: UnsafeMutablePointer<ldns_rdf>, name: DomainName)? = nil
    ) -> ResourceRecord? {
        guard let owner = ldns_rr_owner(rr) else { return nil }
        let name: DomainName
        if let knownOwner, contents(of: owner).elementsEqual(contents(of: knownOwner.rdf)) {
            name = knownOwner.name
        } else {
            guard let decoded = domainName(owner) else { return nil }
            name = decoded
        }
        let type = RecordType(rawValue: UInt16(truncatingIfNeeded: ldns_rr_get_type(rr).rawValue))
        let ttl = ldns_rr_ttl(rr)
        if question { return ResourceRecord(name: name, ttl: 0, data: .other(type, [])) }
        let fields = Fields(rr)
        guard fields.isComplete, let data = recordData(type, fields) else { return nil }
        return ResourceRecord(name: name, ttl: ttl, data: data)
    }

    /// The rdata fields of a borrowed RR, read in place (the RR outlives every use).
    struct Fields {
        let rr: UnsafeMutablePointer<ldns_rr>
        let count: Int

        init(_ rr: UnsafeMutablePointer<ldns_rr>) {
            self.rr = rr
            self.count = ldns_rr_rd_count(rr)
        }

        /// Whether ldns holds every field it counts.
        var isComplete: Bool { (0..<count).allSatisfy { ldns_rr_rdf(rr, $0) != nil } }

        /// The bytes of field `index` (empty for a missing or empty field).
        subscript(index: Int) -> UnsafeBufferPointer<UInt8> {
            guard index < count, let rdf = ldns_rr_rdf(rr, index) else { return UnsafeBufferPointer(start: nil, count: 0) }
            return LDNSWire.contents(of: rdf)
        }

        /// All fields' bytes, one after another.
        var joined: [UInt8] {
            var bytes: [UInt8] = []
            for index in 0..<count { bytes.append(contentsOf: self[index]) }
            return bytes
        }
    }

    static func domainName(_ rdf: UnsafeMutablePointer<ldns_rdf>) -> DomainName? {
        domainName(wire: contents(of: rdf))
    }

    /// The bytes of a borrowed rdf, in place.
    static func contents(of rdf: UnsafeMutablePointer<ldns_rdf>) -> UnsafeBufferPointer<UInt8> {
        guard let data = ldns_rdf_data(rdf) else { return UnsafeBufferPointer(start: nil, count: 0) }
        return UnsafeBufferPointer(start: data, count: ldns_rdf_size(rdf))
    }

    /// Reads uncompressed wire labels (ldns has already expanded compression).
    static func domainName(wire: some Collection<UInt8>) -> DomainName? {
        var labels: [String] = []
        labels.reserveCapacity(4)
        var index = wire.startIndex
        while index != wire.endIndex {
            let length = Int(wire[index])
            if length == 0 { break }
            let start = wire.index(after: index)
            guard length <= 63, wire.distance(from: start, to: wire.endIndex) >= length else { return nil }
            let end = wire.index(start, offsetBy: length)
            labels.append(labelText(wire[start..<end]))
            index = end
        }
        return try? DomainName(labels: labels)
    }

    /// Label bytes as text: as they are when they are valid UTF-8 (so a name round-trips to the
    /// same wire bytes), else with each byte outside printable ASCII written `\DDD` (RFC 1035 §5.1).
    static func labelText<Bytes: Collection<UInt8>>(_ bytes: Bytes) -> String {
        // ASCII is valid UTF-8: decoded without the validating initializer, which is not
        // specialised and looks its generic metadata up at each call.
        if bytes.allSatisfy({ $0 < 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        var text = ""
        for byte in bytes {
            if byte > 0x20 && byte < 0x7F && byte != UInt8(ascii: ".") && byte != UInt8(ascii: "\\") {
                text.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let digits = String(byte)
                text += "\\" + String(repeating: "0", count: 3 - digits.count) + digits
            }
        }
        return text
    }

    static func uint16(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt16? {
        bytes.count == 2 ? UInt16(bytes[0]) << 8 | UInt16(bytes[1]) : nil
    }

    static func uint32(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32? {
        bytes.count == 4 ? bytes.reduce(0) { $0 << 8 | UInt32($1) } : nil
    }

    static func recordData(_ type: RecordType, _ fields: Fields) -> RecordData? {
        switch type {
        case .a:
            guard fields.count == 1, let value = uint32(fields[0]) else { return nil }
            return .a(IPv4Address(value))
        case .aaaa:
            guard fields.count == 1, let address = IPv6Address(octets: fields[0]) else { return nil }
            return .aaaa(address)
        case .cname, .dname, .ptr, .ns:
            guard fields.count == 1, let name = domainName(wire: fields[0]) else { return nil }
            switch type {
            case .cname: return .cname(name)
            case .dname: return .dname(name)
            case .ptr: return .ptr(name)
            default: return .ns(name)
            }
        case .mx:
            guard fields.count == 2, let preference = uint16(fields[0]), let exchange = domainName(wire: fields[1])
            else { return nil }
            return .mx(preference: preference, exchange: exchange)
        case .txt, .spf:
            // One rdf per character-string, each with its length byte first.
            var strings: [[UInt8]] = []
            strings.reserveCapacity(fields.count)
            for index in 0..<fields.count {
                let field = fields[index]
                guard let length = field.first, Int(length) == field.count - 1 else { return nil }
                strings.append(Array(field.dropFirst()))
            }
            return type == .txt ? .txt(TXTData(strings: strings)) : .other(.spf, fields.joined)
        case .soa:
            guard fields.count == 7, let primary = domainName(wire: fields[0]), let mailbox = domainName(wire: fields[1]),
                let serial = uint32(fields[2]), let refresh = uint32(fields[3]), let retry = uint32(fields[4]),
                let expire = uint32(fields[5]), let minimum = uint32(fields[6])
            else { return nil }
            return .soa(
                SOAData(
                    primary: primary, mailbox: mailbox, serial: serial, refresh: refresh, retry: retry, expire: expire,
                    minimum: minimum))
        default:
            return .other(type, fields.joined)
        }
    }
}
