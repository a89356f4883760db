import DKIM
import Foundation

/// RFC 8058 one-click unsubscribe (step 6 of the gate).
enum OneClickUnsubscribe {
    /// The only value List-Unsubscribe-Post may have (RFC 8058 §3.1).
    static let postValue = "List-Unsubscribe=One-Click"

    /// Checks `message` when it has List-Unsubscribe (or List-Unsubscribe-Post).
    ///
    /// - Parameter signatures: the DKIM-Signature fields whose `h=` must cover both fields, as
    ///   (subject, signed header names).
    static func check(
        _ message: MailMessage, signatures: [(subject: String, signedHeaders: [String])], settingNames: Setting.Names
    ) -> PreSendCheck {
        let id = PreSendCheckID.listUnsubscribe
        let rfc = "RFC 8058 §3.1, §4"
        let unsubscribe = message.fields(named: "List-Unsubscribe")
        let post = message.fields(named: "List-Unsubscribe-Post")
        let evidence = (unsubscribe + post).map { "\($0.name):" + MessageLint.unfold($0.valueText) }
        if unsubscribe.isEmpty && post.isEmpty {
            return PreSendCheck(
                id: id, status: .skipped, summary: "No List-Unsubscribe field",
                detail: "Gmail, Yahoo and Microsoft require one-click unsubscribe (RFC 8058) on marketing and subscribed mail from bulk senders; transactional mail does not need it.",
                rfc: rfc)
        }
        var problems: [String] = []
        var fixes: [String] = []
        if unsubscribe.isEmpty {
            problems.append("List-Unsubscribe-Post is present without List-Unsubscribe")
            fixes.append("Add List-Unsubscribe: <https://…> (RFC 8058 §3.1).")
        } else if unsubscribe.count > 1 {
            problems.append("there are \(unsubscribe.count) List-Unsubscribe fields; RFC 2369 allows one")
            fixes.append("Merge them into one List-Unsubscribe field.")
        }
        if let field = unsubscribe.first {
            let uris = angleURIs(MessageLint.unfold(field.valueText))
            if !uris.contains(where: { $0.lowercased().hasPrefix("https://") }) {
                problems.append("List-Unsubscribe has no https URI (\(uris.isEmpty ? "no <URI> at all" : uris.joined(separator: ", ")))")
                fixes.append("Add an https URI in angle brackets, e.g. List-Unsubscribe: <https://example.com/u/OPAQUE-TOKEN>, <mailto:unsubscribe@example.com>; the URI must identify the recipient and list without further input.")
            }
        }
        if post.isEmpty {
            if !unsubscribe.isEmpty {
                problems.append("List-Unsubscribe-Post is missing")
                fixes.append("Add List-Unsubscribe-Post: \(postValue).")
            }
        } else if post.count > 1 {
            problems.append("there are \(post.count) List-Unsubscribe-Post fields")
            fixes.append("Keep exactly one List-Unsubscribe-Post: \(postValue).")
        } else {
            let value = MessageLint.unfold(post[0].valueText).trimmingCharacters(in: .whitespaces)
            if value != postValue {
                problems.append("List-Unsubscribe-Post is \(value.debugDescription), not \(postValue.debugDescription)")
                fixes.append("Set List-Unsubscribe-Post: \(postValue) exactly.")
            }
        }
        if signatures.isEmpty {
            problems.append("no DKIM signature covers List-Unsubscribe and List-Unsubscribe-Post")
            fixes.append("Sign the message with DKIM, with both fields in h=.")
        }
        for signature in signatures {
            let names = Set(signature.signedHeaders.map { $0.lowercased() })
            let missing = ["List-Unsubscribe", "List-Unsubscribe-Post"].filter {
                !names.contains($0.lowercased()) && !message.fields(named: $0).isEmpty
            }
            if !missing.isEmpty {
                problems.append("the signature \(signature.subject) does not sign \(missing.joined(separator: " and ")) (h=\(signature.signedHeaders.joined(separator: ":")))")
                fixes.append("Add \(missing.joined(separator: " and ")) to h= of every signature (dnsaudit signs both by default; drop \(settingNames[.signedHeaders]) or include them).")
            }
        }
        guard problems.isEmpty else {
            return PreSendCheck(
                id: id, status: .fail, summary: "One-click unsubscribe is not valid: " + problems[0],
                detail: problems.joined(separator: "; ") + ". Without a valid, signed RFC 8058 unsubscribe, Gmail and Yahoo do not show their unsubscribe button and treat bulk mail worse.",
                evidence: evidence, rfc: rfc, fix: orderedUnique(fixes).joined(separator: " "))
        }
        return PreSendCheck(
            id: id, status: .pass, summary: "One-click unsubscribe: https URI, \(postValue), both signed",
            evidence: evidence, rfc: rfc)
    }

    /// The `<URI>` entries of an RFC 2369 field, in order.
    static func angleURIs(_ value: String) -> [String] {
        var uris: [String] = []
        var rest = Substring(value)
        while let open = rest.firstIndex(of: "<"), let close = rest[open...].firstIndex(of: ">") {
            uris.append(rest[rest.index(after: open)..<close].trimmingCharacters(in: .whitespaces))
            rest = rest[rest.index(after: close)...]
        }
        return uris
    }

    static func orderedUnique(_ items: [String]) -> [String] {
        var seen: Set<String> = []
        return items.filter { seen.insert($0).inserted }
    }
}
