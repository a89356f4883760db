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
        let names = paths.map(Self.fileName)
        // A directory of a thousand zones would otherwise fill the report's header line.
        let shown = names.count <= 4 ? names : Array(names.prefix(3)) + ["\(names.count - 3) more files"]
        self.init(records: records, description: "zone " + shown.joined(separator: ", "))
    }

    private static func fileName(_ path: String) -> String { String(path.split(separator: "/").last ?? Substring(path)) }

    /// The records of one zone file, SOA included.
    public static func readZoneFile(_ path: String, origin: DomainName? = nil) throws(ZoneFileError) -> [ResourceRecord] {
        guard let file = fopen(path, "r") else {
            throw ZoneFileError(path: path, line: nil, message: "cannot open: \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        let fileName = Self.fileName(path)
        let guessed = fileName.hasSuffix(".zone") ? try? DomainName(dnsName: String(fileName.dropLast(5))) : nil
        return try readZone(file, path: path, origin: origin ?? guessed)
    }

    /// The records of the zone read from an open stream (a file, or `fmemopen` memory).
    ///
    /// The loop over `ldns_rr_new_frm_fp_l` is ours, not `ldns_zone_new_frm_fp_l`: in ldns 1.8.3
    /// that function frees a second SOA record and then reads it again as the previous record
    /// (use after free; found by Fuzz/FuzzZoneFile: a zone with two SOAs crashed `--zone`). It
    /// keeps the first SOA, skips later ones, and gives records of one RRset the TTL of the
    /// first (RFC 2181 §5.2), as ldns does.
    static func readZone(
        _ file: UnsafeMutablePointer<FILE>, path: String, origin originName: DomainName?
    ) throws(ZoneFileError) -> [ResourceRecord] {
        // ldns_rr_new_frm_fp_l replaces *origin ($ORIGIN) and *prev (the last owner) as it goes;
        // both are ours to free.
        var origin: UnsafeMutablePointer<ldns_rdf>? = nil
        var previousOwner: UnsafeMutablePointer<ldns_rdf>? = nil
        if let originName {
            let wire = LDNSWire.wireName(originName)
            origin = wire.withUnsafeBytes { ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME, $0.count, $0.baseAddress) }
            previousOwner = origin.map { ldns_rdf_clone($0) }
        }
        defer {
            if let origin { ldns_rdf_deep_free(origin) }
            if let previousOwner { ldns_rdf_deep_free(previousOwner) }
        }
        var defaultTTL: UInt32 = 3600
        var line: Int32 = 0
        var soa: ResourceRecord?
        var records: [ResourceRecord] = []
        var previous: ResourceRecord?
        while feof(file) == 0 {
            var rr: UnsafeMutablePointer<ldns_rr>? = nil
            let status = ldns_rr_new_frm_fp_l(&rr, file, &defaultTTL, &origin, &previousOwner, &line)
            switch status {
            case LDNS_STATUS_OK:
                guard let rr else { continue }
                defer { ldns_rr_free(rr) }
                guard var record = LDNSWire.record(rr) else { continue }
                if let previous, previous.type == record.type, previous.name == record.name { record.ttl = previous.ttl }
                previous = record
                if record.type == .soa {
                    if soa == nil { soa = record }
                    continue
                }
                records.append(record)
            case LDNS_STATUS_SYNTAX_EMPTY, LDNS_STATUS_SYNTAX_TTL, LDNS_STATUS_SYNTAX_ORIGIN:
                continue
            case LDNS_STATUS_SYNTAX_INCLUDE:
                throw ZoneFileError(path: path, line: Int(line), message: "$INCLUDE is not supported")
            default:
                throw ZoneFileError(path: path, line: Int(line), message: LDNSWire.errorText(status))
            }
        }
        return (soa.map { [$0] } ?? []) + records
    }
}
