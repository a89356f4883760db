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
                var message = LDNSWire.errorText(status)
                if let text = Self.line(Int(line), of: path), let hint = ZoneFileHint.hint(for: text) {
                    message += ": " + hint
                }
                throw ZoneFileError(path: path, line: Int(line), message: message)
            }
        }
        return (soa.map { [$0] } ?? []) + records
    }

    /// Line `number` (1-based) of the file at `path`, for an error message; `nil` when the file
    /// cannot be read again (a stream that is not a file) or is shorter.
    private static func line(_ number: Int, of path: String) -> String? {
        guard number > 0, let file = fopen(path, "r") else { return nil }
        defer { fclose(file) }
        var buffer: UnsafeMutablePointer<CChar>? = nil
        var capacity = 0
        defer { free(buffer) }
        for current in 1...number {
            guard getline(&buffer, &capacity, file) >= 0, let buffer else { return nil }
            if current == number { return String(cString: buffer) }
        }
        return nil
    }
}

/// What is wrong with a master-file line ldns could not parse, in words that say how to fix it
/// (ldns says only "Syntax error, could not parse the RR's rdata").
enum ZoneFileHint {
    /// A character-string's limit (RFC 1035 §3.3.14).
    static let characterStringLimit = 255

    static func hint(for line: String) -> String? {
        let fields = self.fields(of: line)
        guard !fields.unbalanced else {
            return "a quoted string is not closed: every \" needs its partner on the same line"
        }
        if let long = fields.quoted.max(), long > characterStringLimit {
            return "a TXT string of \(long) bytes is over the \(characterStringLimit)-byte limit (RFC 1035 §3.3.14): "
                + "split it into several quoted strings on one line, \"first part\" \"second part\"; "
                + "receivers join them (RFC 7208 §3.3, RFC 6376 §3.6.2.2)"
        }
        // [owner] [ttl] [class] type rdata: the owner is absent when the line starts with a blank.
        var tokens = fields.tokens[...]
        if let first = line.first, first != " " && first != "\t" { tokens = tokens.dropFirst() }
        while let token = tokens.first, isTTL(token) || ["IN", "CH", "HS", "CS"].contains(token.uppercased()) {
            tokens = tokens.dropFirst()
        }
        guard let typeText = tokens.first else { return nil }
        let rdata = Array(tokens.dropFirst())
        guard let type = RecordType(typeText) else {
            return "\"\(typeText)\" is not a record type (write the type after the owner, TTL and class: "
                + "www 3600 IN A 192.0.2.1)"
        }
        switch type {
        case .a where rdata.first.map({ IPv4Address($0) == nil }) ?? true:
            return "an A record needs one IPv4 address, such as 192.0.2.1" + given(rdata.first)
        case .aaaa where rdata.first.map({ IPv6Address($0) == nil }) ?? true:
            return "an AAAA record needs one IPv6 address, such as 2001:db8::1" + given(rdata.first)
        case .mx where rdata.first.map({ UInt16($0) == nil }) ?? true:
            return "an MX record needs a preference (0-65535) and then a host name: MX 10 mail.example.com."
                + given(rdata.first)
        default:
            return nil
        }
    }

    private static func given(_ token: String?) -> String {
        token.map { ", not \"\($0)\"" } ?? ""
    }

    /// `3600`, or with units: `1h30m`, `2d`.
    private static func isTTL(_ token: String) -> Bool {
        guard let first = token.first, first.isNumber else { return false }
        return token.allSatisfy { $0.isNumber || "smhdwSMHDW".contains($0) }
    }

    /// The line's tokens (a quoted string is one token), the byte length of each quoted string
    /// (an escape such as `\"` or `\059` is one byte), and whether a quote is left open. A `;`
    /// outside quotes starts a comment.
    static func fields(of line: String) -> (tokens: [String], quoted: [Int], unbalanced: Bool) {
        var tokens: [String] = []
        var quoted: [Int] = []
        var current: [UInt8] = []
        var inQuotes = false
        var quotedBytes = 0
        var bytes = Array(line.utf8)[...]
        func flush() {
            if !current.isEmpty { tokens.append(String(decoding: current, as: UTF8.self)) }
            current = []
        }
        while let byte = bytes.popFirst() {
            switch byte {
            case UInt8(ascii: "\\"):
                current.append(byte)
                if let next = bytes.popFirst() {
                    current.append(next)
                    if (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(next) {
                        for _ in 0..<2 where bytes.first.map({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }) == true {
                            if let digit = bytes.popFirst() { current.append(digit) }
                        }
                    }
                }
                if inQuotes { quotedBytes += 1 }
            case UInt8(ascii: "\""):
                if inQuotes { quoted.append(quotedBytes) } else { flush() }
                quotedBytes = 0
                inQuotes.toggle()
                current.append(byte)
                if !inQuotes { flush() }
            case UInt8(ascii: ";") where !inQuotes:
                flush()
                return (tokens, quoted, false)
            case UInt8(ascii: " "), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                if inQuotes {
                    current.append(byte)
                    quotedBytes += 1
                } else {
                    flush()
                }
            default:
                current.append(byte)
                if inQuotes { quotedBytes += 1 }
            }
        }
        flush()
        return (tokens, quoted, inQuotes)
    }
}
