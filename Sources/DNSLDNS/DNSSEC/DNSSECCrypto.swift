internal import CLDNS
import DNSCore

#if canImport(Glibc)
import Glibc
#endif

/// The ldns primitives the validator uses: signature checks (`ldns_verify_rrsig_keylist_time`),
/// DS digests (`ldns_key_rr2ds`), key tags (`ldns_calc_keytag`) and denial proofs
/// (`ldns_dnssec_verify_denial`, `ldns_dnssec_verify_denial_nsec3_match`). Each call builds
/// ldns records from Swift values and frees them before it returns: no ldns pointer leaves.
enum DNSSECCrypto {
    /// How one signature check ended.
    enum Verification: Equatable {
        case valid
        /// The signature verifies but its validity period has ended (RFC 4035 §5.3.1).
        case expired
        /// The signature verifies but its inception is in the future.
        case notYetValid
        /// ldns does not implement the algorithm.
        case unsupportedAlgorithm
        case invalid(String)
    }

    /// Checks `signature` over `rrset` with each of `keys`, at `time` (seconds since 1970).
    static func verify(rrset: [ResourceRecord], signature: ResourceRecord, keys: [ResourceRecord], time: Int) -> Verification {
        guard let set = RRList(rrset), let keyList = RRList(keys), let sig = makeRR(signature) else {
            return .invalid("the records could not be read by ldns")
        }
        defer { ldns_rr_free(sig) }
        let status = withExtendedLifetime((set, keyList)) {
            ldns_verify_rrsig_keylist_time(set.list, sig, keyList.list, time_t(time), nil)
        }
        switch status {
        case LDNS_STATUS_OK: return .valid
        case LDNS_STATUS_CRYPTO_SIG_EXPIRED: return .expired
        case LDNS_STATUS_CRYPTO_SIG_NOT_INCEPTED: return .notYetValid
        case LDNS_STATUS_CRYPTO_ALGO_NOT_IMPL, LDNS_STATUS_CRYPTO_UNKNOWN_ALGO: return .unsupportedAlgorithm
        default: return .invalid(LDNSWire.errorText(status))
        }
    }

    /// The key tag of a DNSKEY (RFC 4034 Appendix B), as ldns computes it.
    static func keyTag(_ key: ResourceRecord) -> UInt16? {
        guard let rr = makeRR(key) else { return nil }
        defer { ldns_rr_free(rr) }
        return ldns_calc_keytag(rr)
    }

    /// Whether `ds` is the digest of `key` (RFC 4034 §5.1.4): ldns makes the DS of the key with
    /// the DS record's digest type, and the two RDATAs are compared.
    static func ds(_ ds: ResourceRecord, matches key: ResourceRecord) -> Bool {
        guard let fields = DSFields(ds), case .other(.ds, let expected) = ds.data, key.name == ds.name,
            let rr = makeRR(key)
        else { return false }
        defer { ldns_rr_free(rr) }
        guard let made = ldns_key_rr2ds(rr, ldns_hash(rawValue: UInt32(fields.digestType))) else { return false }
        defer { ldns_rr_free(made) }
        guard let converted = LDNSWire.record(made), case .other(.ds, let bytes) = converted.data else { return false }
        return bytes == expected
    }

    /// Whether ldns implements DNSKEY/RRSIG `algorithm`.
    static func supports(algorithm: UInt8) -> Bool { ldns_key_algo_supported(Int32(algorithm)) != 0 }

    /// Whether ldns implements DS digest type `digestType` (SHA-1, SHA-256, SHA-384).
    static func supports(digestType: UInt8) -> Bool { [1, 2, 4].contains(digestType) }

    /// Whether the NSEC records prove that `question` has no answer, name and wildcard included
    /// (RFC 4035 §5.4), with `ldns_dnssec_verify_denial`.
    static func nsecDenies(_ question: DNSQuestion, nsecs: [ResourceRecord], signatures: [ResourceRecord]) -> Bool {
        guard let query = makeQuestionRR(question), let list = RRList(nsecs), let sigs = RRList(signatures) else { return false }
        defer { ldns_rr_free(query) }
        return withExtendedLifetime((list, sigs)) { ldns_dnssec_verify_denial(query, list.list, sigs.list) == LDNS_STATUS_OK }
    }

    /// What an NSEC3 proof (RFC 5155 §8) showed.
    struct NSEC3Proof {
        /// The record ldns matched: the one whose hash is the name's, or for a DS question the
        /// opt-out record covering the next closer name.
        var match: ResourceRecord?
        /// Whether `match` is the name's own NSEC3 (not one covering it).
        var exact: Bool
    }

    /// The NSEC3 proof that `question` has no answer, or `nil` when the records do not prove it,
    /// with `ldns_dnssec_verify_denial_nsec3_match`.
    static func nsec3Denies(
        _ question: DNSQuestion, nsec3s: [ResourceRecord], signatures: [ResourceRecord], nxdomain: Bool
    ) -> NSEC3Proof? {
        guard !nsec3s.isEmpty, let query = makeQuestionRR(question), let list = RRList(nsec3s), let sigs = RRList(signatures)
        else { return nil }
        defer { ldns_rr_free(query) }
        return withExtendedLifetime((list, sigs)) { () -> NSEC3Proof? in
            var match: UnsafeMutablePointer<ldns_rr>? = nil
            let status = ldns_dnssec_verify_denial_nsec3_match(
                query, list.list, sigs.list, nxdomain ? LDNS_RCODE_NXDOMAIN : LDNS_RCODE_NOERROR,
                ldns_rr_type(rawValue: UInt32(question.type.rawValue)), !nxdomain, &match)
            guard status == LDNS_STATUS_OK else { return nil }
            guard let match else { return NSEC3Proof(match: nil, exact: false) }
            var exact = false
            if let owner = ldns_rr_owner(match), let zone = ldns_dname_left_chop(owner) {
                defer { ldns_rdf_deep_free(zone) }
                if let name = ldns_rr_owner(query), let hashed = ldns_nsec3_hash_name_frm_nsec3(match, name) {
                    defer { ldns_rdf_deep_free(hashed) }
                    if ldns_dname_cat(hashed, zone) == LDNS_STATUS_OK { exact = ldns_dname_compare(hashed, owner) == 0 }
                }
            }
            return NSEC3Proof(match: LDNSWire.record(match), exact: exact)
        }
    }

    /// The NSEC3 records whose hashed owner is, or covers, the hash of one of `names`.
    ///
    /// Each name is hashed once, with the first record's parameters (RFC 5155 §7.1: one chain
    /// has one set), and compared with every record: the cost is names × iterations, not
    /// names × records × iterations.
    static func relevantNSEC3(_ nsec3s: [ResourceRecord], names: [DomainName]) -> [ResourceRecord] {
        withHashes(of: names, using: nsec3s) { records, hashes in
            records.filter { record in
                guard let owner = ldns_rr_owner(record.rr) else { return false }
                return hashes.contains { ldns_dname_compare($0, owner) == 0 || ldns_nsec_covers_name(record.rr, $0) }
            }.map(\.record)
        } ?? []
    }

    /// Whether one of the NSEC3 records covers the hash of `name` (hash strictly between owner
    /// and next: the name does not exist, RFC 5155 §8.3).
    static func nsec3Covers(_ nsec3s: [ResourceRecord], name: DomainName) -> Bool {
        withHashes(of: [name], using: nsec3s) { records, hashes in
            records.contains { record in
                guard let owner = ldns_rr_owner(record.rr), let hashed = hashes.first else { return false }
                return ldns_dname_compare(hashed, owner) != 0 && ldns_nsec_covers_name(record.rr, hashed)
            }
        } ?? false
    }

    /// Runs `body` with the NSEC3 records as ldns records and the hashed owner names of `names`
    /// in their zone (`<hash>.<zone>`), all freed after; `nil` when there is no NSEC3.
    private static func withHashes<T>(
        of names: [DomainName], using nsec3s: [ResourceRecord],
        _ body: ([(record: ResourceRecord, rr: UnsafeMutablePointer<ldns_rr>)], [UnsafeMutablePointer<ldns_rdf>]) -> T
    ) -> T? {
        var records: [(record: ResourceRecord, rr: UnsafeMutablePointer<ldns_rr>)] = []
        var hashes: [UnsafeMutablePointer<ldns_rdf>] = []
        defer {
            for entry in records { ldns_rr_free(entry.rr) }
            for hash in hashes { ldns_rdf_deep_free(hash) }
        }
        for record in nsec3s where record.type == .nsec3 {
            if let rr = makeRR(record) { records.append((record, rr)) }
        }
        guard let first = records.first?.rr, let owner = ldns_rr_owner(first), let zone = ldns_dname_left_chop(owner) else {
            return nil
        }
        defer { ldns_rdf_deep_free(zone) }
        for name in names {
            guard let plain = makeQuestionRR(DNSQuestion(name, .a)) else { continue }
            defer { ldns_rr_free(plain) }
            guard let hashed = ldns_nsec3_hash_name_frm_nsec3(first, ldns_rr_owner(plain)) else { continue }
            guard ldns_dname_cat(hashed, zone) == LDNS_STATUS_OK else {
                ldns_rdf_deep_free(hashed)
                continue
            }
            hashes.append(hashed)
        }
        return body(records, hashes)
    }

    // MARK: Swift values to ldns records

    /// An ldns RR list that owns its records.
    final class RRList {
        let list: UnsafeMutablePointer<ldns_rr_list>

        init?(_ records: [ResourceRecord]) {
            guard let list = ldns_rr_list_new() else { return nil }
            self.list = list
            for record in records {
                guard let rr = makeRR(record) else {
                    ldns_rr_list_deep_free(list)
                    return nil
                }
                _ = ldns_rr_list_push_rr(list, rr)
            }
        }

        deinit { ldns_rr_list_deep_free(list) }
    }

    /// The record in wire form (owner, type, class IN, TTL, RDATA), read back by ldns.
    static func makeRR(_ record: ResourceRecord) -> UnsafeMutablePointer<ldns_rr>? {
        let rdata = self.rdata(record.data)
        guard rdata.count <= 0xFFFF else { return nil }
        var wire = LDNSWire.wireName(record.name)
        let type = record.type.rawValue
        wire += [UInt8(type >> 8), UInt8(type & 0xFF), 0, 1]
        wire += [UInt8(record.ttl >> 24), UInt8(record.ttl >> 16 & 0xFF), UInt8(record.ttl >> 8 & 0xFF), UInt8(record.ttl & 0xFF)]
        wire += [UInt8(rdata.count >> 8), UInt8(rdata.count & 0xFF)] + rdata
        return read(wire, section: LDNS_SECTION_ANSWER)
    }

    /// A question-section record (owner and type) for the denial functions.
    static func makeQuestionRR(_ question: DNSQuestion) -> UnsafeMutablePointer<ldns_rr>? {
        let type = question.type.rawValue
        return read(LDNSWire.wireName(question.name) + [UInt8(type >> 8), UInt8(type & 0xFF), 0, 1], section: LDNS_SECTION_QUESTION)
    }

    private static func read(_ wire: [UInt8], section: ldns_pkt_section) -> UnsafeMutablePointer<ldns_rr>? {
        var rr: UnsafeMutablePointer<ldns_rr>? = nil
        var position = 0
        let status = wire.withUnsafeBufferPointer { buffer in
            ldns_wire2rr(&rr, buffer.baseAddress, buffer.count, &position, section)
        }
        guard status == LDNS_STATUS_OK else {
            if let rr { ldns_rr_free(rr) }
            return nil
        }
        return rr
    }

    /// The RDATA in wire form (names uncompressed).
    static func rdata(_ data: RecordData) -> [UInt8] {
        switch data {
        case .a(let address): return address.octets
        case .aaaa(let address): return address.octets
        case .cname(let name), .dname(let name), .ptr(let name), .ns(let name): return LDNSWire.wireName(name)
        case .mx(let preference, let exchange):
            return [UInt8(preference >> 8), UInt8(preference & 0xFF)] + LDNSWire.wireName(exchange)
        case .txt(let txt): return txt.strings.flatMap { [UInt8(min($0.count, 255))] + $0.prefix(255) }
        case .soa(let soa):
            var bytes = LDNSWire.wireName(soa.primary) + LDNSWire.wireName(soa.mailbox)
            for value in [soa.serial, soa.refresh, soa.retry, soa.expire, soa.minimum] {
                bytes += [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
            }
            return bytes
        case .other(_, let bytes): return bytes
        }
    }
}
