import DMARC
import DNSCore

/// Mailbox providers whose domains a sender cannot sign for: only the provider's own servers hold
/// the DKIM keys and are in the SPF record, so mail "From: you@gmail.com" sent from anywhere else
/// fails DMARC, and these providers publish strict policies (yahoo.com and aol.com `p=reject`;
/// Gmail and Outlook.com reject or junk unauthenticated mail in their own name).
///
/// An open set (STYLE.md): ``default`` holds the common providers, and a caller adds its own.
public struct FreeMailDomains: Sendable, Hashable {
    /// Registrable domains matched exactly (`gmail.com`).
    public var domains: Set<String>
    /// Provider names matched under any public suffix: `gmx` matches `gmx.de`, `gmx.net`, `gmx.co.uk`.
    public var families: Set<String>

    public init(domains: Set<String>, families: Set<String> = []) {
        self.domains = Set(domains.map { $0.lowercased() })
        self.families = Set(families.map { $0.lowercased() })
    }

    /// The large consumer mailbox providers.
    public static let `default` = FreeMailDomains(
        domains: [
            "gmail.com", "googlemail.com",
            "ymail.com", "rocketmail.com", "aol.com", "aim.com", "verizon.net",
            "live.com", "live.co.uk", "live.fr", "live.de", "live.nl", "live.it", "live.ca", "live.com.au", "msn.com",
            "passport.com",
            "icloud.com", "me.com", "mac.com",
            "proton.me", "protonmail.com", "protonmail.ch", "pm.me",
            "mail.com", "email.com", "web.de", "t-online.de", "freenet.de", "orange.fr", "wanadoo.fr", "free.fr",
            "laposte.net", "libero.it", "virgilio.it", "mail.ru", "inbox.ru", "list.ru", "bk.ru", "yandex.ru",
            "ya.ru", "rambler.ru", "qq.com", "163.com", "126.com", "naver.com", "daum.net", "hanmail.net",
            "rediffmail.com", "zoho.com", "zohomail.com", "fastmail.com", "tutanota.com", "tuta.io", "hey.com",
            "comcast.net", "att.net", "sbcglobal.net", "bellsouth.net", "cox.net", "btinternet.com", "sky.com",
            "bigpond.com", "shaw.ca", "rogers.com", "seznam.cz", "wp.pl", "o2.pl", "interia.pl", "onet.pl",
        ],
        families: ["gmx", "yahoo", "hotmail", "outlook", "yandex"])

    /// Whether `domain` (or the registrable domain it is under) is a free-mail domain.
    public func contains(_ domain: DomainName, publicSuffixList: PublicSuffixList = .bundled) -> Bool {
        let name = domain.lowercased.description
        let registrable = publicSuffixList.registrableDomain(of: name) ?? name
        if domains.contains(registrable) || domains.contains(name) { return true }
        guard let firstLabel = registrable.split(separator: ".").first else { return false }
        return families.contains(String(firstLabel))
    }
}

extension FreeMailDomains {
    /// The gate's check of the From domain (step 1).
    func check(_ fromDomain: DomainName, publicSuffixList: PublicSuffixList, names: Setting.Names) -> PreSendCheck {
        guard contains(fromDomain, publicSuffixList: publicSuffixList) else {
            return PreSendCheck(
                id: PreSendCheckID.freeMail, status: .pass, summary: "\(fromDomain) is not a free-mail domain")
        }
        return PreSendCheck(
            id: PreSendCheckID.freeMail, status: .fail,
            summary: "From is at \(fromDomain), a free-mail domain you cannot sign for",
            detail: """
                Only \(fromDomain)'s own servers hold its DKIM keys and are listed in its SPF record, so a message \
                "From: …@\(fromDomain)" sent from your server cannot pass DMARC: neither DKIM nor SPF can align with \
                \(fromDomain). The big providers publish strict DMARC policies (yahoo.com, aol.com: p=reject) and \
                Gmail and Outlook.com reject or junk unauthenticated mail in their own name. This is the usual \
                reason a script "cannot send through Gmail".
                """,
            rfc: "RFC 9989 §4.4; RFC 7960 §3.2.3",
            fix: """
                Either send through \(fromDomain)'s own submission server with your account (e.g. smtp.gmail.com:587 \
                with an app password), which signs the mail itself — then do not use this hook to sign — or use a \
                From address at a domain you control, publish SPF and a DKIM key for it, and sign with \
                \(names[.signingDomain]) \(names[.signingSelector]) \(names[.signingKey]). Put the free-mail address in \
                Reply-To if replies must go there.
                """)
    }
}
