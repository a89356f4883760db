import ArgumentParser
import DNSCore
import Foundation
import IDNA
import MailAuthCore

/// How the CLI reads the domains people type and the lists they keep.
enum DomainInput {
    /// The commands a mistyped one-label "domain" most likely meant, by the words users type.
    static let commands: [(word: String, command: String)] = [
        ("audit", "dnsaudit audit"), ("query", "dnsaudit query"), ("spf", "dnsaudit spf"), ("dmarc", "dnsaudit dmarc"),
        ("dkim", "dnsaudit dkim"), ("sign", "dnsaudit dkim sign"), ("verify", "dnsaudit dkim verify"),
        ("keygen", "dnsaudit dkim keygen"), ("testkey", "dnsaudit dkim testkey"), ("presend", "dnsaudit presend"),
        ("smtp", "dnsaudit smtp"), ("explain", "dnsaudit smtp explain"), ("version", "dnsaudit --version"),
        ("help", "dnsaudit --help"), ("headers", "dnsaudit headers analyze"), ("bounce", "dnsaudit bounce analyze"),
    ]

    /// Why `text` is not a domain to audit when it is a single label ("veryfy", "sfp"): almost
    /// always a mistyped command, and auditing it would send live queries for a name that cannot
    /// be a mail domain. A fully qualified single label ("localhost.") is taken as meant.
    static func singleLabelProblem(_ text: String) -> String? {
        guard !text.isEmpty, !text.contains("."), !text.hasPrefix("-") else { return nil }
        var message = "\"\(text)\" is one label, not a domain to audit (write \"\(text).\" if you mean it)"
        if let guess = closestCommand(to: text) { message += "; did you mean `\(guess)`?" }
        return message
    }

    /// The domain `text` names: an internationalized name (`bücher.example`) converted to its
    /// A-labels (`xn--bcher-kva.example`, IDNA2008 with the UTS #46 mapping), then parsed. The
    /// error names the label that cannot be converted, or says what is wrong with the name.
    static func domainName(_ text: String) throws -> DomainName {
        let ascii: String
        do { ascii = try IDNA.ascii(text) } catch { throw ValidationError("\(error)") }
        do { return try DomainName(ascii) } catch { throw ValidationError("\(error)") }
    }

    /// The command whose word is nearest `text`, within two edits.
    static func closestCommand(to text: String) -> String? {
        let typed = text.lowercased()
        let best = commands.map { (command: $0.command, distance: EditDistance.between(typed, $0.word)) }
            .min { $0.distance < $1.distance }
        guard let best, best.distance <= min(2, max(1, typed.count / 2)) else { return nil }
        return best.command
    }

    /// The entries of a domain list with their 1-based line numbers: a UTF-8 BOM dropped, any line
    /// end (LF, CRLF, CR), a `#` comment cut off, a CSV line's first column taken (quotes removed),
    /// blank entries skipped.
    static func lines(of text: String) -> [(number: Int, entry: String)] {
        var body = Substring(text)
        if body.first == "\u{FEFF}" { body = body.dropFirst() }
        var entries: [(Int, String)] = []
        for (index, line) in body.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            if let entry = entry(in: line) { entries.append((index + 1, entry)) }
        }
        return entries
    }

    /// The domain a list's line holds: a `#` comment cut off, a CSV line's first column taken
    /// (quotes removed), spaces trimmed; `nil` for a line with nothing on it.
    static func entry(in line: Substring) -> String? {
        var entry = line.prefix { $0 != "#" }
        entry = entry.prefix { $0 != "," }
        let trimmed = unquoted(entry.trimmingCharacters(in: .whitespaces))
        return trimmed.isEmpty ? nil : trimmed
    }

    /// `text` without one pair of enclosing quotes (a CSV cell).
    private static func unquoted(_ text: String) -> String {
        guard text.count >= 2, let first = text.first, first == text.last, first == "\"" || first == "'" else { return text }
        return String(text.dropFirst().dropLast())
    }
}
