import DMARC
import DNSCore
import Foundation

/// Addresses in header values, read as people paste them: `Name <user@example.com>`,
/// `user@example.com`, `<>`, lists separated by commas.
enum Addresses {
    /// The addr-spec of every address in `value` (RFC 5322 §3.4), in order; quoted display names
    /// and comments skipped.
    static func all(in value: String) -> [String] {
        var out: [String] = []
        var cleaned = ""
        var depth = 0
        var quoted = false
        for character in value {
            if character == "\"" && depth == 0 { quoted.toggle(); continue }
            if quoted { continue }
            if character == "(" { depth += 1; continue }
            if character == ")" { depth = max(0, depth - 1); continue }
            if depth == 0 { cleaned.append(character) }
        }
        for piece in cleaned.split(separator: ",") {
            var candidate = Substring(piece)
            if let open = candidate.lastIndex(of: "<"), let close = candidate[open...].firstIndex(of: ">") {
                candidate = candidate[candidate.index(after: open)..<close]
            }
            let address = candidate.trimmingCharacters(in: .whitespaces)
            if address.contains("@"), !address.contains(" ") { out.append(address) }
        }
        return out
    }

    /// The domain of an address (after the last `@`), lower case, without a trailing dot.
    static func domain(of address: String) -> String? {
        guard let at = address.lastIndex(of: "@") else { return nil }
        let domain = address[address.index(after: at)...].trimmingCharacters(in: CharacterSet(charactersIn: " .>")).lowercased()
        return domain.isEmpty ? nil : domain
    }

    /// The Organizational Domain of `domain` by the bundled Public Suffix List (RFC 7489 §3.2),
    /// or the domain itself when it is not a valid name.
    static func organizationalDomain(_ domain: String) -> String {
        guard let name = try? DomainName(domain) else { return domain.lowercased() }
        return PublicSuffixList.bundled.organizationalDomain(of: name).description.lowercased()
            .trimmingCharacters(in: CharacterSet(charactersIn: "."))
    }

    /// Relaxed alignment (RFC 7489 §3.1): the same Organizational Domain.
    static func alignedRelaxed(_ a: String, _ b: String) -> Bool {
        organizationalDomain(a) == organizationalDomain(b)
    }
}
