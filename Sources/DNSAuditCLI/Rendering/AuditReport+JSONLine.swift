import Foundation
import DNSAudit
import MailAuthCore

extension AuditReport {
    /// The report as one line of compact JSON: byte for byte what `JSONEncoder.dnsaudit(pretty:
    /// false)` writes (sorted keys, `/` unescaped), written directly.
    ///
    /// `--format jsonl` prints one of these per domain, on the bulk audit's hot path, so each
    /// field is written once, with its key, in sorted order, without going through `Encoder`
    /// (docs/architecture.md, "Measurements"). The Codable conformance stays the definition of the
    /// format: a test compares the two outputs for every scenario and hostile domain, so a field
    /// added to one and not the other fails it.
    func jsonLine() -> String {
        var json = JSONLineWriter()
        json.raw("{\"areas\":")
        json.array(areas) { json, area in area.writeJSON(to: &json) }
        json.raw(",\"cacheHits\":")
        json.int(cacheHits)
        json.raw(",\"domain\":")
        json.string(domain)
        if let domainUnicode {
            json.raw(",\"domainUnicode\":")
            json.string(domainUnicode)
        }
        json.raw(",\"durationMs\":")
        json.int(durationMs)
        json.raw(",\"questions\":")
        json.int(questions)
        json.raw(",\"readiness\":")
        readiness.writeJSON(to: &json)
        json.raw(",\"resolver\":")
        json.string(resolver)
        json.raw(",\"schemaVersion\":")
        json.int(schemaVersion)
        json.raw(",\"status\":")
        json.string(status.rawValue)
        json.raw(",\"timestamp\":")
        json.string(timestamp)
        json.raw("}")
        return json.text
    }
}

extension AreaReport {
    fileprivate func writeJSON(to json: inout JSONLineWriter) {
        json.raw("{\"area\":")
        json.string(area.rawValue)
        if let data {
            json.raw(",\"data\":")
            data.writeJSON(to: &json)
        }
        if let dnssec {
            json.raw(",\"dnssec\":")
            json.array(dnssec) { json, answer in
                json.raw("{\"detail\":")
                json.string(answer.detail)
                json.raw(",\"name\":")
                json.string(answer.name)
                json.raw(",\"reason\":")
                json.string(answer.reason)
                json.raw(",\"security\":")
                json.string(answer.security.rawValue)
                json.raw(",\"type\":")
                json.string(answer.type)
                json.raw("}")
            }
        }
        json.raw(",\"findings\":")
        json.array(findings) { json, finding in finding.writeJSON(to: &json) }
        json.raw(",\"records\":")
        json.array(records) { json, record in json.string(record) }
        json.raw(",\"status\":")
        json.string(status.rawValue)
        json.raw(",\"summary\":")
        json.string(summary)
        json.raw("}")
    }
}

extension AreaData {
    /// The bytes `JSONEncoder.dnsaudit(pretty: false)` gives `value` (the same settings as the
    /// whole report's encoding, so the same bytes in place).
    fileprivate static func encoded(_ value: some Encodable) -> [UInt8] {
        guard let bytes = try? JSONEncoder.dnsaudit(pretty: false).encode(value) else { return Array("{}".utf8) }
        return Array(bytes)
    }

    /// Keys sorted, absent members left out, as `JSONEncoder` writes them.
    fileprivate func writeJSON(to json: inout JSONLineWriter) {
        var first = true
        json.raw("{")
        if let dkim {
            json.key("dkim", first: &first)
            json.array(dkim) { json, key in
                var first = true
                json.raw("{")
                if let bits = key.bits {
                    json.key("bits", first: &first)
                    json.int(bits)
                }
                if let hashes = key.hashAlgorithms {
                    json.key("hashAlgorithms", first: &first)
                    json.array(hashes) { json, hash in json.string(hash) }
                }
                json.key("keyType", first: &first)
                json.string(key.keyType)
                json.key("revoked", first: &first)
                json.bool(key.revoked)
                json.key("selector", first: &first)
                json.string(key.selector)
                json.key("serviceTypes", first: &first)
                json.array(key.serviceTypes) { json, type in json.string(type) }
                json.key("strict", first: &first)
                json.bool(key.strict)
                json.key("testing", first: &first)
                json.bool(key.testing)
                json.raw("}")
            }
        }
        if let dmarc {
            json.key("dmarc", first: &first)
            json.raw("{\"domain\":")
            json.string(dmarc.domain)
            json.raw(",\"record\":")
            json.string(dmarc.record)
            json.raw(",\"tags\":")
            json.array(dmarc.tags) { json, tag in
                json.raw("{\"name\":")
                json.string(tag.name)
                json.raw(",\"value\":")
                json.string(tag.value)
                json.raw("}")
            }
            json.raw("}")
        }
        if let mtaSts {
            // Only when policies are fetched (never in a --no-probe scan): through JSONEncoder.
            json.key("mtaSts", first: &first)
            json.encoded(Self.encoded(mtaSts))
        }
        if let mx {
            json.key("mx", first: &first)
            json.array(mx) { json, host in
                json.raw("{\"addresses\":")
                json.array(host.addresses) { json, address in json.string(address) }
                json.raw(",\"exchange\":")
                json.string(host.exchange)
                json.raw(",\"preference\":")
                json.int(host.preference)
                json.raw("}")
            }
        }
        if let mxTLS {
            json.key("mxTLS", first: &first)
            json.encoded(Self.encoded(mxTLS))
        }
        if let spf {
            json.key("spf", first: &first)
            json.raw("{\"record\":")
            json.string(spf.record)
            json.raw(",\"terms\":")
            json.array(spf.terms) { json, term in
                json.raw("{\"kind\":")
                json.string(term.kind)
                json.raw(",\"name\":")
                json.string(term.name)
                if let qualifier = term.qualifier {
                    json.raw(",\"qualifier\":")
                    json.string(qualifier)
                }
                json.raw(",\"text\":")
                json.string(term.text)
                if let value = term.value {
                    json.raw(",\"value\":")
                    json.string(value)
                }
                json.raw("}")
            }
            json.raw("}")
        }
        json.raw("}")
    }
}

extension Finding {
    fileprivate func writeJSON(to json: inout JSONLineWriter) {
        json.raw("{\"detail\":")
        json.string(detail)
        if !evidence.isEmpty {
            json.raw(",\"evidence\":")
            json.string(evidence.joined(separator: "\n"))
        }
        if let fix {
            json.raw(",\"fix\":")
            json.string(fix)
        }
        json.raw(",\"id\":")
        json.string(id)
        if let rfc {
            json.raw(",\"rfc\":")
            json.string(rfc)
        }
        json.raw(",\"severity\":")
        json.string(severity.rawValue)
        json.raw(",\"title\":")
        json.string(title)
        json.raw("}")
    }
}

extension BulkSenderReadiness {
    fileprivate func writeJSON(to json: inout JSONLineWriter) {
        json.raw("{\"cannotCheck\":")
        json.array(cannotCheck) { json, requirement in requirement.writeJSON(to: &json) }
        json.raw(",\"fromDNS\":")
        json.array(fromDNS) { json, requirement in requirement.writeJSON(to: &json) }
        json.raw(",\"needsPresend\":")
        json.array(needsPresend) { json, requirement in requirement.writeJSON(to: &json) }
        json.raw("}")
    }
}

extension BulkSenderReadiness.Requirement {
    fileprivate func writeJSON(to json: inout JSONLineWriter) {
        json.raw("{\"detail\":")
        json.string(detail)
        json.raw(",\"id\":")
        json.string(id)
        json.raw(",\"requiredBy\":")
        json.array(requiredBy) { json, name in json.string(name) }
        if let state {
            json.raw(",\"state\":")
            json.string(state.rawValue)
        }
        json.raw(",\"title\":")
        json.string(title)
        json.raw("}")
    }
}

/// Bytes of one JSON document being written.
struct JSONLineWriter {
    private var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(8_192) }

    var text: String { String(decoding: bytes, as: UTF8.self) }

    mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    mutating func int(_ value: Int) { bytes.append(contentsOf: String(value).utf8) }

    mutating func bool(_ value: Bool) { value ? raw("true") : raw("false") }

    /// JSON already encoded (by `JSONEncoder.dnsaudit(pretty: false)`), as it is.
    mutating func encoded(_ json: [UInt8]) { bytes.append(contentsOf: json) }

    /// `"name":` in an object whose keys may be absent: a comma before every key but the first.
    mutating func key(_ name: StaticString, first: inout Bool) {
        if !first { bytes.append(UInt8(ascii: ",")) }
        first = false
        bytes.append(UInt8(ascii: "\""))
        raw(name)
        raw("\":")
    }

    mutating func array<Element>(_ elements: [Element], _ write: (inout JSONLineWriter, Element) -> Void) {
        bytes.append(UInt8(ascii: "["))
        for (index, element) in elements.enumerated() {
            if index > 0 { bytes.append(UInt8(ascii: ",")) }
            write(&self, element)
        }
        bytes.append(UInt8(ascii: "]"))
    }

    /// A JSON string with the escapes `JSONEncoder` uses: `\"`, `\\`, `\b`, `\f`, `\n`, `\r`,
    /// `\t`, `\u00XX` for other control characters; `/` and non-ASCII text as they are.
    mutating func string(_ string: String) {
        bytes.append(UInt8(ascii: "\""))
        var string = string
        string.withUTF8 { utf8 in
            // Copy runs that need no escape in one go.
            var run = 0
            for index in 0..<utf8.count {
                let byte = utf8[index]
                if byte >= 0x20 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") { continue }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[run..<index]))
                run = index + 1
                switch byte {
                case UInt8(ascii: "\""): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\"")]
                case UInt8(ascii: "\\"): bytes += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
                case 0x08: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "b")]
                case 0x0C: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "f")]
                case 0x0A: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
                case 0x0D: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
                case 0x09: bytes += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
                default:
                    let hex = Array("0123456789abcdef".utf8)
                    bytes += [UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0")]
                    bytes += [hex[Int(byte >> 4)], hex[Int(byte & 0xF)]]
                }
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[run..<utf8.count]))
        }
        bytes.append(UInt8(ascii: "\""))
    }
}
