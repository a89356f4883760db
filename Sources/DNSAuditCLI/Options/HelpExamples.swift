/// The EXAMPLES section of each command's `--help`, as man pages and `git help` have one. Every
/// line fits 80 columns (a test checks the whole help).
enum HelpExamples {
    /// `EXAMPLES:` and the lines, each a comment and a command line, indented.
    static func section(_ examples: [(what: String, command: String)]) -> String {
        "\n\nEXAMPLES:\n" + examples.map { "  # \($0.what)\n  \($0.command)" }.joined(separator: "\n")
    }

    static let root = section([
        ("Audit a domain's mail DNS", "dnsaudit example.com"),
        ("Audit the bundled example zones, offline", "dnsaudit --zone Examples/zones --offline shop.example"),
        ("Why does Gmail refuse my mail?", "dnsaudit smtp explain \"550-5.7.26 This mail is unauthenticated\""),
        ("Generate a DKIM key", "dnsaudit dkim keygen --domain example.com --selector s1"),
    ])

    static let audit = section([
        ("Audit one domain", "dnsaudit example.com"),
        ("Only the verdicts, for a script; exit 1 on warnings too", "dnsaudit -q --fail-on warning example.com"),
        ("Many domains, one JSON report a line", "dnsaudit --domains-file domains.txt --format jsonl"),
        ("Check zone files before deploying them", "dnsaudit --zone db/ --offline example.com"),
        ("A selector the audit cannot guess", "dnsaudit --selector s2024 example.com"),
    ])

    static let query = section([
        ("The MX records, as drill shows them", "dnsaudit query example.com MX"),
        ("Only the data", "dnsaudit query example.com TXT +short"),
        ("Reverse DNS of an address", "dnsaudit query -x 192.0.2.25"),
        ("Ask one server, by name", "dnsaudit query example.com CAA @ns1.example.net"),
    ])

    static let spf = section([
        ("Lookup counts and lints of the SPF tree", "dnsaudit spf example.com"),
        ("What a receiver decides for a client IP", "dnsaudit spf example.com --ip 192.0.2.25 --trace"),
        ("Fail a deploy on warnings", "dnsaudit spf example.com --fail-on warning"),
    ])

    static let dmarc = section([
        ("The policy that applies, both ways", "dnsaudit dmarc mail.example.com"),
        ("As JSON", "dnsaudit dmarc example.com --format json"),
    ])

    static let dkim = section([
        ("Generate a key, then publish s1.txt", "dnsaudit dkim keygen --domain example.com --selector s1"),
        ("Sign a message", "dnsaudit dkim sign msg.eml --domain example.com --selector s1 \\\n      --key s1.private"),
        ("Verify a received message", "dnsaudit dkim verify received.eml"),
    ])

    static let sign = section([
        ("Sign a file", "dnsaudit dkim sign msg.eml --domain example.com --selector s1 \\\n      --key s1.private"),
        ("Sign a pipe, RSA and Ed25519 at once",
         "cat msg.eml | dnsaudit dkim sign --domain example.com --selector rsa \\\n"
            + "      --key rsa.private --selector ed --key ed.private > signed.eml"),
    ])

    static let verify = section([
        ("Verify a saved message", "dnsaudit dkim verify received.eml"),
        ("From a pipe, as JSON", "dnsaudit dkim verify --format json < received.eml"),
    ])

    static let keygen = section([
        ("s1.private (mode 0600) and s1.txt, the record to publish",
         "dnsaudit dkim keygen --domain example.com --selector s1"),
        ("Ed25519, into a directory", "dnsaudit dkim keygen --domain example.com --selector ed \\\n      --algorithm ed25519 --directory keys/"),
        ("The private key on stdout, for a secret store", "dnsaudit dkim keygen --domain example.com --selector s1 --out -"),
    ])

    static let testkey = section([
        ("Is the key published and valid?", "dnsaudit dkim testkey --domain example.com --selector s1"),
        ("And does it match my private key?",
         "dnsaudit dkim testkey --domain example.com --selector s1 --key s1.private"),
    ])

    static let presend = section([
        ("Sign and check a message before sending it", "dnsaudit presend --domain example.com --selector s1 \\\n"
            + "      --key s1.private --mail-from bounces@example.com --ip 192.0.2.25 \\\n"
            + "      --helo mail.example.com < msg.eml > signed.eml"),
    ])

    static let smtpProbe = section([
        ("Which ports answer, with which TLS?", "dnsaudit smtp probe smtp.gmail.com --port all"),
        ("My script uses SMTP_SSL on 587: is that right?", "dnsaudit smtp probe smtp.gmail.com --port 587 \\\n      --expect implicit"),
        ("Try the login once (the password from stdin)", "dnsaudit smtp probe smtp.example.com --port 587 \\\n      --user me@example.com --password-stdin"),
        ("A domain's inbound MX hosts", "dnsaudit smtp probe --mx example.com"),
    ])

    static let smtp = section([
        ("Probe a submission server", "dnsaudit smtp probe smtp.gmail.com --port all"),
        ("Explain a reply", "dnsaudit smtp explain \"535-5.7.8 Username and Password not accepted\""),
    ])

    static let smtpExplain = section([
        ("Explain a reply", "dnsaudit smtp explain \"535-5.7.8 Username and Password not accepted\""),
        ("Explain a whole transcript or traceback", "dnsaudit smtp explain - < error.log"),
    ])

    static let headers = section([
        ("Why did my mail land in spam? (Gmail: Show original, save)", "dnsaudit headers analyze message.eml"),
        ("From the clipboard, without asking DNS again", "xclip -o | dnsaudit headers analyze - --no-dns"),
    ])

    static let bounce = section([
        ("What does this bounce mean, and what do I fix?", "dnsaudit bounce analyze bounce.eml"),
        ("As JSON, for a mail log pipeline", "dnsaudit bounce analyze - --format json < bounce.eml"),
    ])
}
