internal import CLDNS
import DNSCore

#if canImport(Glibc)
import Glibc
#endif

/// ldns' table of RR types and its presentation format of their data, for showing records as
/// `drill` does: every type ldns knows by name (CAA, TLSA, SRV, DS, DNSKEY, RRSIG, NSEC, NSEC3,
/// SVCB, HTTPS, …), not only the ones the audit reads.
///
/// No C pointer leaves this file: each call copies ldns' result and frees it in the same scope.
public enum LDNSRecordText {
    /// The type `text` names: an ldns mnemonic, case-insensitive, or RFC 3597's `TYPEnnn`.
    public static func type(named text: String) -> RecordType? {
        if let known = RecordType(text) { return known }
        let code = text.uppercased().withCString { ldns_get_rr_type_by_name($0) }
        return code.rawValue == 0 ? nil : RecordType(rawValue: UInt16(truncatingIfNeeded: code.rawValue))
    }

    /// ldns' mnemonic of `type` (`CAA`), or `TYPEnnn` for one it does not know.
    public static func name(of type: RecordType) -> String {
        guard let text = ldns_rr_type2str(ldns_rr_type(rawValue: UInt32(type.rawValue))) else { return type.description }
        defer { free(text) }
        return String(cString: text)
    }

    /// The data of `record` in presentation format (RFC 1035 §5.1, and each type's RFC) as ldns
    /// writes it: `0 issue "ca.example"` for CAA, `3 1 1 ab12…` for TLSA. The types the audit reads
    /// keep their own form; a record ldns cannot read back is shown in RFC 3597's `\# n hex` form.
    public static func rdata(_ record: ResourceRecord) -> String {
        guard case .other(let type, let bytes) = record.data, type != .spf, bytes.count <= Int(UInt16.max) else {
            return record.data.presentation
        }
        // The record on the wire (owner, type, class IN, TTL, RDLENGTH, RDATA), read by ldns.
        var wire = LDNSWire.wireName(record.name)
        wire += [UInt8(type.rawValue >> 8), UInt8(type.rawValue & 0xFF), 0, 1, 0, 0, 0, 0]
        wire += [UInt8(bytes.count >> 8), UInt8(bytes.count & 0xFF)] + bytes
        var rr: UnsafeMutablePointer<ldns_rr>? = nil
        var position = 0
        let status = wire.withUnsafeBufferPointer { ldns_wire2rr(&rr, $0.baseAddress, $0.count, &position, LDNS_SECTION_ANSWER) }
        guard status == LDNS_STATUS_OK, let typed = rr else { return record.data.presentation }
        defer { ldns_rr_free(typed) }
        var fields: [String] = []
        for index in 0..<ldns_rr_rd_count(typed) {
            guard let rdf = ldns_rr_rdf(typed, index), let text = ldns_rdf2str(rdf) else { return record.data.presentation }
            fields.append(String(cString: text))
            free(text)
        }
        return fields.joined(separator: " ")
    }
}
