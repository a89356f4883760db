import Foundation
import MailAuthCore

/// The finding ids of `dnsaudit headers analyze` and `dnsaudit bounce analyze` (docs/findings.md,
/// "Headers and bounces").
public enum MessageFindingID {
    public static let noMessageID = "headers.no-message-id"
    public static let noDate = "headers.no-date"
    public static let noFrom = "headers.no-from"
    public static let multipleFrom = "headers.multiple-from"
    public static let fromNotAligned = "headers.from-not-aligned"
    public static let listUnsubscribeNoPost = "headers.list-unsubscribe-no-post"
    public static let listUnsubscribeUnsigned = "headers.list-unsubscribe-unsigned"
    public static let receiverFailed = "headers.receiver-failed"
    public static let differsNow = "headers.differs-now"
    public static let clockSkew = "headers.clock-skew"
    public static let arcFailed = "headers.arc-fail"
    public static let noTrustBoundary = "headers.no-trust-boundary"
    public static let unreadable = "headers.unreadable"
    public static let hardBounce = "bounce.hard"
    public static let softBounce = "bounce.soft"
    public static let noRecipients = "bounce.no-recipients"
    public static let authenticationCause = "bounce.authentication-cause"

    /// Every id, for the documentation test.
    public static let all = [
        noMessageID, noDate, noFrom, multipleFrom, fromNotAligned, listUnsubscribeNoPost, listUnsubscribeUnsigned,
        receiverFailed, differsNow, clockSkew, arcFailed, noTrustBoundary, unreadable, hardBounce, softBounce,
        noRecipients, authenticationCause,
    ]
}

/// What a header shows that moves mail to the spam folder: Gmail's and Yahoo's sender rules
/// (Feb 2024) and RFC 5322's required fields, read from the header alone (no DNS).
enum SpamFolderHints {
    /// The signing domains of every DKIM-Signature field (`d=`), and the fields each one signs (`h=`).
    static func signatures(_ text: MessageText) -> [(domain: String, signed: [String])] {
        text.values("DKIM-Signature").compactMap { value in
            guard let tags = try? TagList.parse(value) else { return nil }
            guard let domain = tags["d"]?.value.lowercased() else { return nil }
            let signed = (tags["h"]?.value ?? "").split(separator: ":").map {
                $0.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
            }
            return (domain, signed)
        }
    }

    static func findings(_ text: MessageText, mailFrom: String?) -> [Finding] {
        var findings: [Finding] = []
        let froms = text.values("From")
        if text.first("Message-ID") == nil {
            findings.append(Finding(
                id: MessageFindingID.noMessageID, severity: .warning, title: "No Message-ID",
                detail: "The message has no Message-ID field. Gmail's sender guidelines require one (RFC 5322 §3.6.4 says it SHOULD be present); mail without it is more likely to be filtered or rejected.",
                rfc: "RFC 5322 §3.6.4", fix: "Let the sending library or server add Message-ID (most do; a hand-built message often lacks it)."))
        }
        if text.first("Date") == nil {
            findings.append(Finding(
                id: MessageFindingID.noDate, severity: .warning, title: "No Date field",
                detail: "RFC 5322 §3.6 requires exactly one Date field; receivers score mail without it as suspicious.",
                rfc: "RFC 5322 §3.6.1", fix: "Add a Date field when the message is built."))
        }
        if froms.isEmpty {
            findings.append(Finding(
                id: MessageFindingID.noFrom, severity: .error, title: "No From field",
                detail: "Without From there is no Author Domain: DMARC cannot pass and Gmail rejects the message.",
                rfc: "RFC 5322 §3.6.2", fix: "Add one From field naming your own domain."))
        } else if froms.count > 1 {
            findings.append(Finding(
                id: MessageFindingID.multipleFrom, severity: .error, title: "\(froms.count) From fields",
                detail: "RFC 5322 §3.6 allows exactly one From field. DMARC receivers reject or quarantine such mail (RFC 7489 §6.6.1), and DKIM cannot tell which one was signed.",
                evidence: froms.map { "From: \($0)" }, rfc: "RFC 5322 §3.6", fix: "Send exactly one From field."))
        }
        let signatures = signatures(text)
        if let from = froms.first.flatMap({ Addresses.all(in: $0).first }), let fromDomain = Addresses.domain(of: from) {
            let mailFromDomain = mailFrom.flatMap(Addresses.domain(of:))
            let spfAligned = mailFromDomain.map { Addresses.alignedRelaxed($0, fromDomain) } ?? false
            let dkimAligned = signatures.contains { Addresses.alignedRelaxed($0.domain, fromDomain) }
            if !spfAligned && !dkimAligned && (mailFromDomain != nil || !signatures.isEmpty) {
                var evidence = ["From: \(fromDomain)"]
                if let mailFromDomain { evidence.append("MAIL FROM (Return-Path): \(mailFromDomain)") }
                for signature in signatures { evidence.append("DKIM-Signature d=\(signature.domain)") }
                let dkimText = signatures.isEmpty
                    ? "there is no DKIM signature"
                    : "your DKIM signature is for d=\(signatures.map(\.domain).joined(separator: ", d=")), not aligned with From: \(fromDomain)"
                let spfText = mailFromDomain.map { "the SPF domain (MAIL FROM) is \($0), not aligned with From: \(fromDomain)" }
                    ?? "the MAIL FROM is not known"
                findings.append(Finding(
                    id: MessageFindingID.fromNotAligned, severity: .error,
                    title: "From: \(fromDomain) is aligned with neither SPF nor DKIM",
                    detail: "DMARC passes only when SPF or DKIM passes for a domain aligned with From (RFC 7489 §3.1): \(dkimText), and \(spfText). Gmail, Yahoo and Microsoft reject or spam-folder such mail (5.7.26).",
                    evidence: evidence, rfc: "RFC 7489 §3.1",
                    fix: "Sign with d=\(fromDomain) (your ESP's \"custom domain authentication\" gives you the DKIM record to publish), or use a MAIL FROM under \(fromDomain). Then prove it with: dnsaudit presend (see docs/presend.md) and dnsaudit dmarc \(fromDomain)"))
            }
        }
        let unsubscribe = text.first("List-Unsubscribe")
        if let unsubscribe {
            let hasPost = text.first("List-Unsubscribe-Post") != nil
            let oneClick = unsubscribe.lowercased().contains("https:")
            if !hasPost || !oneClick {
                findings.append(Finding(
                    id: MessageFindingID.listUnsubscribeNoPost, severity: .warning,
                    title: hasPost ? "List-Unsubscribe has no https URI" : "List-Unsubscribe without List-Unsubscribe-Post",
                    detail: "Gmail and Yahoo require one-click unsubscribe for bulk mail (Feb 2024): List-Unsubscribe with an https URI and List-Unsubscribe-Post: List-Unsubscribe=One-Click (RFC 8058 §3.1).",
                    evidence: ["List-Unsubscribe: \(unsubscribe.prefix(200))"], rfc: "RFC 8058 §3.1",
                    fix: "Add List-Unsubscribe: <https://…> and List-Unsubscribe-Post: List-Unsubscribe=One-Click."))
            }
            let signedBoth = signatures.contains { signature in
                signature.signed.contains("list-unsubscribe") && (!hasPost || signature.signed.contains("list-unsubscribe-post"))
            }
            if !signedBoth {
                findings.append(Finding(
                    id: MessageFindingID.listUnsubscribeUnsigned, severity: .warning,
                    title: "List-Unsubscribe is not covered by a DKIM signature",
                    detail: "RFC 8058 §4 requires a DKIM signature whose h= includes List-Unsubscribe and List-Unsubscribe-Post; receivers ignore an unsigned one-click header.",
                    rfc: "RFC 8058 §4", fix: "Add list-unsubscribe:list-unsubscribe-post to the signer's h= list."))
            }
        }
        return findings
    }
}
