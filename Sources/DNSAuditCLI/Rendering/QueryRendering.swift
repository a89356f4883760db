import DNSCore
import Foundation

/// `dnsaudit query`'s answer for a person debugging DNS, and as JSON.
enum QueryRendering {
    static func text(_ response: DNSResponse) -> String {
        var lines: [String] = []
        let outcome: String
        switch response.outcome {
        case .answer: outcome = "\(response.records.count) record\(response.records.count == 1 ? "" : "s")"
        case .nodata: outcome = "NODATA (the name exists, with no \(response.question.type) records)"
        case .nxdomain: outcome = "NXDOMAIN (the name does not exist)"
        }
        lines.append(";; \(response.question): \(outcome)")
        var flags: [String] = []
        if response.authenticatedData { flags.append("ad") }
        if response.truncatedOverUDP { flags.append("tc") }
        lines.append(
            ";; rcode \(response.rcode), flags [\(flags.joined(separator: " "))], transport \(response.transport.rawValue.uppercased()), "
                + "server \(response.server), \(milliseconds(response.elapsed)) ms")
        if response.truncatedOverUDP {
            lines.append(";; the UDP answer was truncated (TC=1); the full answer needed TCP")
        }
        if !response.cnameChain.isEmpty {
            lines.append(
                ";; CNAME chain: " + ([response.question.name] + response.cnameChain).map(\.description).joined(separator: " → "))
        }
        for record in response.records { lines.append(record.presentation) }
        return lines.joined(separator: "\n")
    }

    static func milliseconds(_ duration: Duration) -> String {
        String(format: "%.1f", duration.milliseconds)
    }

    struct Record: Encodable {
        var name: String
        var ttl: UInt32
        var type: String
        var data: String
        var strings: [String]?
    }

    struct Output: Encodable {
        var question: String
        var type: String
        var outcome: String
        var rcode: String?
        var authenticatedData: Bool?
        var truncatedOverUDP: Bool?
        var transport: String?
        var server: String?
        var elapsedMilliseconds: Double?
        var cnameChain: [String]?
        var records: [Record]?
        var error: String?
        var errorKind: String?
    }

    static func json(_ result: Result<DNSResponse, DNSError>) throws -> String {
        let output: Output
        switch result {
        case .success(let response):
            output = Output(
                question: response.question.name.description, type: response.question.type.description,
                outcome: response.outcome.rawValue, rcode: response.rcode.description,
                authenticatedData: response.authenticatedData, truncatedOverUDP: response.truncatedOverUDP,
                transport: response.transport.rawValue, server: response.server,
                elapsedMilliseconds: response.elapsed.milliseconds,
                cnameChain: response.cnameChain.map(\.description),
                records: response.records.map { record in
                    var strings: [String]? = nil
                    if case .txt(let txt) = record.data { strings = txt.strings.map { String(decoding: $0, as: UTF8.self) } }
                    return Record(
                        name: record.name.description, ttl: record.ttl, type: record.type.description,
                        data: record.data.presentation, strings: strings)
                })
        case .failure(let error):
            output = Output(
                question: error.question.name.description, type: error.question.type.description, outcome: "failure",
                rcode: error.rcode?.description, server: error.server, error: error.description,
                errorKind: error.kind.rawValue)
        }
        let encoder = JSONEncoder.dnsaudit()
        return String(decoding: try encoder.encode(output), as: UTF8.self)
    }
}
