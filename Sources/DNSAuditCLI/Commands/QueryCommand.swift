import ArgumentParser
import DNSCore
import DNSLDNS
import Foundation

/// `dnsaudit query NAME [TYPE]`: one DNS question, answered the way a person debugging DNS wants
/// to see it (records, rcode, flags, transport, server, timing), with the conventions of dig and
/// drill: `-x IP`, `+short`, `@SERVER`, every RR type ldns knows.
struct QueryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Ask one DNS question and show the outcome: records, rcode, flags, transport, timing.",
        usage: "dnsaudit query [<options>] (NAME [TYPE] | -x IP) [+short] [@SERVER]",
        discussion: """
            Like dig and drill: TYPE is any RR type ldns knows (A, AAAA, MX, TXT, CAA, TLSA, SRV, DS, \\
            DNSKEY, RRSIG, NSEC, NSEC3, SVCB, HTTPS, …, or TYPEnnn); -x IP asks the PTR of an address; \\
            +short prints only the records' data; @SERVER (an address or a host name, with :PORT) is \\
            another way to write --nameserver. The flags line shows aa (an authoritative answer), ad \\
            and tc. With --format json, a TXT record has its raw strings and their joined text.

            Exit status: 0 for an answer, NODATA or NXDOMAIN (the question was answered); \\
            2 when no usable answer came (SERVFAIL, REFUSED, timeout, network error); 64 on a usage error.
            """ + HelpExamples.query
    )

    @Argument(help: ArgumentHelp("NAME [TYPE] [+short] [@SERVER]; TYPE defaults to A (PTR with -x).", valueName: "name-type"))
    var words: [String] = []

    @Option(name: .customShort("x"), help: ArgumentHelp("Reverse lookup: ask the PTR record of this IPv4 or IPv6 address.", valueName: "ip"))
    var reverse: String?

    @Flag(help: "Print only the records' data, one a line (as dig +short).")
    var short = false

    @OptionGroup var resolver: ResolverOptions

    @Option(help: "Output format: text or json.")
    var format: OutputFormat.OneResult = .text

    @Option(
        name: .customLong("trust-anchor"),
        help: ArgumentHelp(
            "Also validate the answer with DNSSEC from the DS or DNSKEY records in this file, and draw the chain of trust as drill -S does (text output).",
            valueName: "file"))
    var trustAnchor: String?

    /// What the words say: the question, whether +short was given, and @servers.
    struct Request {
        var question: DNSQuestion
        var short: Bool
        var servers: [String]
    }

    func request() throws -> Request {
        var positional: [String] = []
        var short = self.short
        var servers: [String] = []
        for word in words {
            if word.hasPrefix("+") {
                guard word == "+short" else { throw ValidationError("unknown query option \(word.debugDescription) (only +short)") }
                short = true
            } else if word.hasPrefix("@") {
                servers.append(String(word.dropFirst()))
            } else {
                positional.append(word)
            }
        }
        let name: DomainName
        var typeWord: String?
        if let reverse {
            guard let address = IPAddress(reverse) else { throw ValidationError("-x \(reverse.debugDescription) is not an IPv4 or IPv6 address") }
            name = address.reverseName
            guard positional.count <= 1 else { throw ValidationError("with -x, give at most a TYPE: \(positional.joined(separator: " "))") }
            typeWord = positional.first
        } else {
            guard let first = positional.first else { throw ValidationError("give the NAME to ask about (or -x IP)") }
            guard positional.count <= 2 else { throw ValidationError("unexpected \(positional.dropFirst(2).joined(separator: " ")): give NAME [TYPE]") }
            name = try DomainInput.domainName(first)
            typeWord = positional.dropFirst().first
        }
        let type: RecordType
        if let typeWord {
            guard let parsed = LDNSRecordText.type(named: typeWord) else {
                throw ValidationError("unknown record type \(typeWord.debugDescription): give a type ldns knows (A, MX, TXT, CAA, TLSA, SRV, DS, DNSKEY, …) or TYPEnnn")
            }
            type = parsed
        } else {
            type = reverse == nil ? .a : .ptr
        }
        return Request(question: DNSQuestion(name, type), short: short, servers: servers)
    }

    func validate() throws {
        _ = try request()
        if trustAnchor != nil && format.isJSON { throw ValidationError("--trust-anchor draws a tree: use it with --format text") }
    }

    func run() async throws {
        let request = try request()
        var resolver = self.resolver
        resolver.nameservers += request.servers
        let base = try resolver.makeBaseResolver()
        do {
            let response = try await base.query(request.question)
            if format.isJSON {
                print(try QueryRendering.json(.success(response)))
            } else if request.short {
                for record in response.records { print(LDNSRecordText.rdata(record)) }
            } else {
                print(QueryRendering.text(response))
            }
            if let validator = try resolver.makeDNSSECValidator(base: base, trustAnchor: trustAnchor) {
                let validation = await validator.validate(request.question, timeout: resolver.questionTimeout * 16)
                print("\nDNSSEC: \(validation.security.rawValue) — \(validation.reason.description)")
                print(validation.trust.rendered())
            }
        } catch let error as DNSError {
            if !format.isJSON {
                printError("dnsaudit: \(error)")
            } else {
                print(try QueryRendering.json(.failure(error)))
            }
            throw ExitCode(ExitStatus.incomplete)
        }
    }
}
