import DNSCore
import DNSLDNS
import Foundation

/// `dnsaudit query`'s answer for a person debugging DNS, and as JSON.
enum QueryRendering {
    static func text(_ response: DNSResponse) -> String {
        var lines: [String] = []
        let outcome: String
        let type = LDNSRecordText.name(of: response.question.type)
        switch response.outcome {
        case .answer: outcome = "\(response.records.count) record\(response.records.count == 1 ? "" : "s")"
        case .nodata: outcome = "NODATA (the name exists, with no \(type) records)"
        case .nxdomain: outcome = "NXDOMAIN (the name does not exist)"
        }
        lines.append(";; \(response.question.name.fullyQualified) \(type): \(outcome)")
        var flags: [String] = []
        if response.authoritativeAnswer { flags.append("aa") }
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
        for record in response.records { lines.append(line(record)) }
        return lines.joined(separator: "\n")
    }

    /// A record as drill prints it: owner, TTL, class, type and data, tab-separated.
    static func line(_ record: ResourceRecord) -> String {
        "\(record.name.fullyQualified)\t\(record.ttl)\tIN\t\(LDNSRecordText.name(of: record.type))\t\(LDNSRecordText.rdata(record))"
    }

    static func milliseconds(_ duration: Duration) -> String {
        String(format: "%.1f", duration.milliseconds)
    }

    struct Record: Encodable {
        var name: String
        var ttl: UInt32
        var type: String
        var data: String
        /// TXT only: each character-string as published.
        var strings: [String]?
        /// TXT only: the strings joined with nothing between them, as SPF, DKIM and DMARC read them.
        var text: String?
    }

    struct Output: Encodable {
        var schemaVersion = JSONSchema.version
        var question: String
        var type: String
        var outcome: String
        var rcode: String?
        var authoritativeAnswer: Bool?
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
                question: response.question.name.description, type: LDNSRecordText.name(of: response.question.type),
                outcome: response.outcome.rawValue, rcode: response.rcode.description,
                authoritativeAnswer: response.authoritativeAnswer,
                authenticatedData: response.authenticatedData, truncatedOverUDP: response.truncatedOverUDP,
                transport: response.transport.rawValue, server: response.server,
                elapsedMilliseconds: response.elapsed.milliseconds,
                cnameChain: response.cnameChain.map(\.description),
                records: response.records.map { record in
                    var strings: [String]? = nil
                    var text: String? = nil
                    if case .txt(let txt) = record.data {
                        strings = txt.strings.map { String(decoding: $0, as: UTF8.self) }
                        text = txt.joined
                    }
                    return Record(
                        name: record.name.description, ttl: record.ttl, type: LDNSRecordText.name(of: record.type),
                        data: LDNSRecordText.rdata(record), strings: strings, text: text)
                })
        case .failure(let error):
            output = Output(
                question: error.question.name.description, type: LDNSRecordText.name(of: error.question.type), outcome: "failure",
                rcode: error.rcode?.description, server: error.server, error: error.description,
                errorKind: error.kind.rawValue)
        }
        let encoder = JSONEncoder.dnsaudit()
        return String(decoding: try encoder.encode(output), as: UTF8.self)
    }
}
