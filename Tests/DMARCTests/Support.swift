import DNSCore
import TestSupport

extension RecordingResolver {
    /// The names of the TXT questions, as text without the trailing dot.
    var txtNames: [String] { questions.filter { $0.type == .txt }.map(\.name.description) }
}

/// Builds in-memory zone data tersely.
enum Zone {
    static func name(_ text: String) -> DomainName {
        do { return try DomainName(dnsName: text) } catch { fatalError("\(error)") }
    }

    static func txt(_ owner: String, _ text: String) -> ResourceRecord {
        ResourceRecord(name: name(owner), data: .txt(TXTData(text: text)))
    }

    static func a(_ owner: String) -> ResourceRecord {
        ResourceRecord(name: name(owner), data: .a(IPv4Address("192.0.2.1")!))
    }

    static func resolver(_ records: [ResourceRecord], failures: [String: DNSError.Kind] = [:]) -> ZoneResolver {
        ZoneResolver(
            records: records, failures: Dictionary(uniqueKeysWithValues: failures.map { (name($0.key), $0.value) }))
    }
}
