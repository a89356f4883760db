import DNSCore

/// Builds a `ZoneResolver` from compact lines: `"TXT v=spf1 -all"`, `"A 192.0.2.1"`, `"MX 10 mx.example.com"`.
enum TestZone {
    static func make(
        _ data: [String: [String]], failures: [String: DNSError.Kind] = [:]
    ) throws -> ZoneResolver {
        var records: [ResourceRecord] = []
        for (owner, lines) in data {
            let name = try DomainName(dnsName: owner)
            for line in lines {
                let space = line.firstIndex(of: " ")!
                let type = String(line[..<space])
                let value = String(line[line.index(after: space)...])
                let data: RecordData
                switch type {
                case "TXT": data = .txt(TXTData(text: value))
                case "SPF": data = .other(.spf, Array(value.utf8))
                case "A": data = .a(IPv4Address(value)!)
                case "AAAA": data = .aaaa(IPv6Address(value)!)
                case "MX":
                    let parts = value.split(separator: " ")
                    data = .mx(preference: UInt16(parts[0])!, exchange: try DomainName(dnsName: parts[1]))
                case "PTR": data = .ptr(try DomainName(dnsName: value))
                case "CNAME": data = .cname(try DomainName(dnsName: value))
                default: fatalError("unknown type \(type) in test zone")
                }
                records.append(ResourceRecord(name: name, data: data))
            }
        }
        var failureMap: [DomainName: DNSError.Kind] = [:]
        for (name, kind) in failures { failureMap[try DomainName(dnsName: name)] = kind }
        return ZoneResolver(records: records, failures: failureMap, description: "test zone")
    }
}
