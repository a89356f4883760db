internal import CLDNS
import DNSCore

#if canImport(Glibc)
import Glibc
#endif

/// Why a zone file could not be read, and where.
public struct ZoneFileError: Error, Sendable, CustomStringConvertible {
    public var path: String
    /// The line ldns stopped at (1-based), when known.
    public var line: Int?
    public var message: String

    public var description: String {
        "\(path)\(line.map { ":\($0)" } ?? ""): \(message)"
    }
}

extension ZoneResolver {
    /// Reads zone files in standard master-file syntax (RFC 1035 §5) with ldns' zone reader.
    ///
    /// Each file's origin is its `$ORIGIN` line, or else its file name without `.zone`
    /// (`example.test.zone` → `example.test.`), or else `origin`.
    public init(zoneFiles paths: [String], origin: DomainName? = nil) throws(ZoneFileError) {
        var records: [ResourceRecord] = []
        for path in paths {
            records += try Self.readZoneFile(path, origin: origin)
        }
        let names = paths.map { String($0.split(separator: "/").last ?? Substring($0)) }
        self.init(records: records, description: "zone " + names.joined(separator: ", "))
    }

    /// The records of one zone file, SOA included.
    public static func readZoneFile(_ path: String, origin: DomainName? = nil) throws(ZoneFileError) -> [ResourceRecord] {
        guard let file = fopen(path, "r") else {
            throw ZoneFileError(path: path, line: nil, message: "cannot open: \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        let fileName = String(path.split(separator: "/").last ?? Substring(path))
        let guessed = fileName.hasSuffix(".zone") ? try? DomainName(dnsName: String(fileName.dropLast(5))) : nil
        return try readZone(file, path: path, origin: origin ?? guessed)
    }

    /// The records of the zone read from an open stream (a file, or `fmemopen` memory).
    static func readZone(
        _ file: UnsafeMutablePointer<FILE>, path: String, origin originName: DomainName?
    ) throws(ZoneFileError) -> [ResourceRecord] {
        var originRDF: UnsafeMutablePointer<ldns_rdf>? = nil
        if let originName {
            let wire = LDNSWire.wireName(originName)
            originRDF = wire.withUnsafeBytes { ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, $0.count, $0.baseAddress) }
        }
        defer { if let originRDF { ldns_rdf_deep_free(originRDF) } }
        var zone: OpaquePointer? = nil
        var line: Int32 = 0
        let status = withUnsafeMutablePointer(to: &zone) { zonePointer in
            zonePointer.withMemoryRebound(to: UnsafeMutablePointer<ldns_zone>?.self, capacity: 1) {
                ldns_zone_new_frm_fp_l($0, file, originRDF, 3600, LDNS_RR_CLASS_IN, &line)
            }
        }
        guard status == LDNS_STATUS_OK, let zone else {
            throw ZoneFileError(path: path, line: Int(line), message: String(cString: ldns_get_errorstr_by_id(status)))
        }
        let typed = UnsafeMutablePointer<ldns_zone>(zone)
        defer { ldns_zone_deep_free(typed) }
        var records: [ResourceRecord] = []
        if let soa = ldns_zone_soa(typed), let record = LDNSWire.record(soa) { records.append(record) }
        records += LDNSWire.records(ldns_zone_rrs(typed), question: false)
        return records
    }
}
