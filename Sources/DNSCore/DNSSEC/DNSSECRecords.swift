/// The fields of DNSSEC records that a validator reads before it checks anything (RFC 4034):
/// signer names, key tags, type bitmaps. The cryptography is ldns' (DNSLDNS).
///
/// Each initializer reads the RDATA as received (RFC 3597 form, ``RecordData/other(_:_:)``) and
/// returns `nil` when it is too short or malformed.

/// An RRSIG's fields (RFC 4034 §3.1).
public struct RRSIGFields: Sendable, Hashable {
    /// The type of the RRset it signs.
    public var typeCovered: RecordType
    public var algorithm: UInt8
    /// Labels of the signed owner name, not counting a wildcard label (RFC 4034 §3.1.3).
    public var labels: UInt8
    public var originalTTL: UInt32
    /// Seconds since 1970 (RFC 4034 §3.1.5, serial number arithmetic of RFC 1982).
    public var expiration: UInt32
    public var inception: UInt32
    public var keyTag: UInt16
    /// The zone that made the signature.
    public var signer: DomainName

    public init?(_ record: ResourceRecord) {
        guard case .other(.rrsig, let bytes) = record.data, bytes.count >= 19 else { return nil }
        typeCovered = RecordType(rawValue: UInt16(bytes[0]) << 8 | UInt16(bytes[1]))
        algorithm = bytes[2]
        labels = bytes[3]
        originalTTL = bytes[4..<8].reduce(0) { $0 << 8 | UInt32($1) }
        expiration = bytes[8..<12].reduce(0) { $0 << 8 | UInt32($1) }
        inception = bytes[12..<16].reduce(0) { $0 << 8 | UInt32($1) }
        keyTag = UInt16(bytes[16]) << 8 | UInt16(bytes[17])
        guard let (signer, _) = WireName.read(bytes, at: 18) else { return nil }
        self.signer = signer
    }
}

/// A DNSKEY's fields (RFC 4034 §2.1).
public struct DNSKEYFields: Sendable, Hashable {
    public var flags: UInt16
    public var algorithm: UInt8

    /// Bit 7: a zone key, usable to verify RRSIGs (RFC 4034 §2.1.1).
    public var isZoneKey: Bool { flags & 0x0100 != 0 }
    /// Bit 15: the Secure Entry Point, usually the key the parent's DS points at (RFC 4034 §2.1.1).
    public var isSecureEntryPoint: Bool { flags & 0x0001 != 0 }
    /// Bit 8: revoked; the key must not validate anything, not even the RRset it is in
    /// (RFC 5011 §2.1, §7).
    public var isRevoked: Bool { flags & 0x0080 != 0 }

    public init?(_ record: ResourceRecord) {
        guard case .other(.dnskey, let bytes) = record.data, bytes.count >= 4 else { return nil }
        flags = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        algorithm = bytes[3]
    }
}

/// A DS record's fields (RFC 4034 §5.1).
public struct DSFields: Sendable, Hashable {
    public var keyTag: UInt16
    public var algorithm: UInt8
    public var digestType: UInt8

    public init?(_ record: ResourceRecord) {
        guard case .other(.ds, let bytes) = record.data, bytes.count >= 5 else { return nil }
        keyTag = UInt16(bytes[0]) << 8 | UInt16(bytes[1])
        algorithm = bytes[2]
        digestType = bytes[3]
    }
}

/// The types an NSEC or NSEC3 record says exist at its owner (RFC 4034 §4.1.2), and for NSEC3
/// its opt-out flag (RFC 5155 §3.1.2.1).
public struct DenialFields: Sendable, Hashable {
    /// The next owner name (NSEC) or `nil` (NSEC3, whose next owner is a hash).
    public var nextName: DomainName?
    public var types: Set<RecordType>
    /// NSEC3 only: the span may hold unsigned delegations (RFC 5155 §6).
    public var optOut: Bool
    /// NSEC3 only: extra SHA-1 rounds of every hash (RFC 5155 §3.1.3); `nil` for NSEC.
    public var iterations: UInt16?

    public init?(_ record: ResourceRecord) {
        switch record.data {
        case .other(.nsec, let bytes):
            guard let (next, end) = WireName.read(bytes, at: 0), let types = Self.types(bytes, from: end) else { return nil }
            nextName = next
            self.types = types
            optOut = false
            iterations = nil
        case .other(.nsec3, let bytes):
            // hash algorithm, flags, iterations (2), salt length + salt, hash length + hash, bitmaps
            guard bytes.count >= 5 else { return nil }
            let saltEnd = 5 + Int(bytes[4])
            guard saltEnd < bytes.count else { return nil }
            let hashEnd = saltEnd + 1 + Int(bytes[saltEnd])
            guard hashEnd <= bytes.count, let types = Self.types(bytes, from: hashEnd) else { return nil }
            nextName = nil
            self.types = types
            optOut = bytes[1] & 0x01 != 0
            iterations = UInt16(bytes[2]) << 8 | UInt16(bytes[3])
        default:
            return nil
        }
    }

    /// The type bitmap: windows of (number, length, bits) (RFC 4034 §4.1.2).
    static func types(_ bytes: [UInt8], from start: Int) -> Set<RecordType>? {
        var types: Set<RecordType> = []
        var index = start
        while index < bytes.count {
            guard index + 2 <= bytes.count else { return nil }
            let window = Int(bytes[index])
            let length = Int(bytes[index + 1])
            guard length >= 1, length <= 32, index + 2 + length <= bytes.count else { return nil }
            for offset in 0..<length {
                let byte = bytes[index + 2 + offset]
                for bit in 0..<8 where byte & (0x80 >> bit) != 0 {
                    types.insert(RecordType(rawValue: UInt16(window * 256 + offset * 8 + bit)))
                }
            }
            index += 2 + length
        }
        return types
    }
}

/// Uncompressed wire names inside RDATA.
enum WireName {
    /// The name starting at `start`, and the index after it.
    static func read(_ bytes: [UInt8], at start: Int) -> (DomainName, Int)? {
        var labels: [String] = []
        var index = start
        while true {
            guard index < bytes.count else { return nil }
            let length = Int(bytes[index])
            if length == 0 { break }
            guard length <= 63, index + 1 + length <= bytes.count else { return nil }
            labels.append(String(decoding: bytes[(index + 1)...(index + length)], as: UTF8.self))
            index += 1 + length
        }
        guard let name = try? DomainName(labels: labels) else { return nil }
        return (name, index + 1)
    }
}

extension ResourceRecord {
    /// For an RRSIG, the type it covers; `nil` for any other record.
    public var typeCovered: RecordType? {
        guard case .other(.rrsig, let bytes) = data, bytes.count >= 2 else { return nil }
        return RecordType(rawValue: UInt16(bytes[0]) << 8 | UInt16(bytes[1]))
    }
}
