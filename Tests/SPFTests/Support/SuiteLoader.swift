import DNSCore
import Foundation
import SPF
import Testing
import Yams

/// Where the fixtures are, found from this file's path (no bundle resources needed).
enum Fixtures {
    static let directory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/spf")
}

/// One test of the openspf RFC 7208 suite, with the zone of its scenario.
struct SuiteCase: Sendable, CustomTestStringConvertible {
    var scenario: String
    var name: String
    var helo: String
    var host: String
    var mailFrom: String
    var results: [SPFResult]
    var explanation: String?
    var resolver: SuiteResolver

    var testDescription: String { "\(scenario)/\(name)" }
}

/// The zone of one scenario, plus the reference driver's rule that names starting with `error.`
/// that the zone does not hold time out (PROVENANCE.md, pyspf `testspf.py`).
struct SuiteResolver: DNSResolver {
    var zone: ZoneResolver
    var names: Set<DomainName>
    var resolverDescription: String { zone.resolverDescription }

    func query(_ question: DNSQuestion) async throws(DNSError) -> DNSResponse {
        if question.name.labels.first?.lowercased() == "error", !names.contains(question.name) {
            throw DNSError(.timeout, question: question, detail: "error. name (suite convention)")
        }
        return try await zone.query(question)
    }
}

enum SuiteLoader {
    static let suiteFile = Fixtures.directory.appendingPathComponent("rfc7208-tests.yml")

    /// Every test case of the suite; a loading problem is recorded as an issue, not a crash.
    static func cases() -> [SuiteCase] {
        do {
            return try load()
        } catch {
            Issue.record("cannot load \(suiteFile.path): \(error)")
            return []
        }
    }

    static func load() throws -> [SuiteCase] {
        let text = try String(contentsOf: suiteFile, encoding: .utf8)
        var cases: [SuiteCase] = []
        for document in try Yams.load_all(yaml: text) {
            guard let scenario = document as? [String: Any], let description = scenario["description"] as? String,
                let tests = scenario["tests"] as? [String: Any]
            else { continue }
            let resolver = try makeResolver(scenario["zonedata"] as? [String: Any] ?? [:], description: description)
            for (name, value) in tests {
                guard let test = value as? [String: Any] else { continue }
                let results: [SPFResult]
                if let list = test["result"] as? [Any] {
                    results = try list.map { try result("\($0)") }
                } else {
                    results = [try result("\(test["result"] ?? "")")]
                }
                cases.append(SuiteCase(
                    scenario: description, name: name, helo: "\(test["helo"] ?? "")", host: "\(test["host"] ?? "")",
                    mailFrom: "\(test["mailfrom"] ?? "")", results: results,
                    explanation: test["explanation"].map { "\($0)" }, resolver: resolver))
            }
        }
        return cases.sorted { ($0.scenario, $0.name) < ($1.scenario, $1.name) }
    }

    struct LoadError: Error, CustomStringConvertible {
        var description: String
    }

    /// The suite's old result names: `unknown` is permerror, `error` is temperror.
    static func result(_ text: String) throws -> SPFResult {
        switch text.lowercased() {
        case "unknown": return .permerror
        case "error": return .temperror
        default:
            guard let result = SPFResult(rawValue: text.lowercased()) else { throw LoadError(description: "result \(text)") }
            return result
        }
    }

    /// YAML `\x80` escapes arrive as scalars U+0080…U+00FF; they stand for raw bytes.
    static func bytes(_ value: Any) -> [UInt8] {
        let text = "\(value)"
        var bytes: [UInt8] = []
        for scalar in text.unicodeScalars {
            if scalar.value <= 0xFF { bytes.append(UInt8(scalar.value)) } else { bytes += Array(String(scalar).utf8) }
        }
        return bytes
    }

    static func strings(_ value: Any) -> [[UInt8]] {
        if let list = value as? [Any] { return list.map(bytes) }
        return [bytes(value)]
    }

    static let answerableTypes: [RecordType] = [.txt, .spf, .a, .aaaa, .mx, .ptr, .cname]

    static func makeResolver(_ zonedata: [String: Any], description: String) throws -> SuiteResolver {
        var records: [ResourceRecord] = []
        var questionFailures: [DNSQuestion: DNSError.Kind] = [:]
        var names: Set<DomainName> = []
        for (owner, value) in zonedata {
            guard let name = try? DomainName(dnsName: owner), let entries = value as? [Any] else { continue }
            names.insert(name)
            let explicitTXT = entries.contains { ($0 as? [String: Any])?.keys.contains("TXT") ?? false }
            var answered: Set<RecordType> = []
            var timedOut = false
            for entry in entries {
                if "\(entry)" == "TIMEOUT" {
                    timedOut = true
                    break
                }
                guard let pair = entry as? [String: Any], let (type, value) = pair.first else { continue }
                switch type {
                case "SPF":
                    let data = TXTData(strings: strings(value))
                    let wire = data.strings.flatMap { [UInt8($0.count & 0xFF)] + $0 }
                    records.append(ResourceRecord(name: name, data: .other(.spf, wire)))
                    answered.insert(.spf)
                    if !explicitTXT {
                        records.append(ResourceRecord(name: name, data: .txt(data)))
                        answered.insert(.txt)
                    }
                case "TXT":
                    if "\(value)" == "NONE" { continue }
                    records.append(ResourceRecord(name: name, data: .txt(TXTData(strings: strings(value)))))
                    answered.insert(.txt)
                case "A":
                    guard let address = IPv4Address("\(value)") else { throw LoadError(description: "A \(value)") }
                    records.append(ResourceRecord(name: name, data: .a(address)))
                    answered.insert(.a)
                case "AAAA":
                    guard let address = IPv6Address("\(value)") else { throw LoadError(description: "AAAA \(value)") }
                    records.append(ResourceRecord(name: name, data: .aaaa(address)))
                    answered.insert(.aaaa)
                case "MX":
                    guard let list = value as? [Any], list.count == 2, let preference = UInt16("\(list[0])") else {
                        throw LoadError(description: "MX \(value)")
                    }
                    let exchange = "\(list[1])"
                    let target = exchange.isEmpty || exchange == "." ? DomainName.root : try DomainName(dnsName: exchange)
                    records.append(ResourceRecord(name: name, data: .mx(preference: preference, exchange: target)))
                    answered.insert(.mx)
                case "PTR":
                    records.append(ResourceRecord(name: name, data: .ptr(try DomainName(dnsName: "\(value)"))))
                    answered.insert(.ptr)
                case "CNAME":
                    records.append(ResourceRecord(name: name, data: .cname(try DomainName(dnsName: "\(value)"))))
                    answered.insert(.cname)
                default:
                    throw LoadError(description: "unknown zonedata type \(type)")
                }
            }
            if timedOut {
                for type in answerableTypes where !answered.contains(type) {
                    questionFailures[DNSQuestion(name, type)] = .timeout
                }
            }
        }
        let zone = ZoneResolver(records: records, questionFailures: questionFailures, description: "suite: \(description)")
        return SuiteResolver(zone: zone, names: names)
    }
}
