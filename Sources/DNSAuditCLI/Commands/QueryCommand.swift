import ArgumentParser
import DNSCore
import DNSLDNS
import Foundation

/// `dnsaudit query NAME TYPE`: one DNS question, answered the way a person debugging DNS wants
/// to see it: records, rcode, flags, transport, server, timing.
struct QueryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "query",
        abstract: "Ask one DNS question and show the outcome: records, rcode, flags, transport, timing.",
        discussion: """
            Exit status: 0 for an answer, NODATA or NXDOMAIN (the question was answered); \
            2 when no usable answer came (SERVFAIL, REFUSED, timeout, network error); 64 on a usage error.
            """
    )

    @Argument(help: "The name to ask about.")
    var name: String

    @Argument(help: "The record type: A, AAAA, MX, TXT, CNAME, PTR, NS, SOA, SPF or TYPEnnn.")
    var type: String = "A"

    @OptionGroup var resolver: ResolverOptions

    @Option(help: "Output format: text or json.")
    var format: OutputFormat.OneResult = .text

    @Option(
        name: .customLong("trust-anchor"),
        help: ArgumentHelp(
            "Also validate the answer with DNSSEC from the DS or DNSKEY records in this file, and draw the chain of trust as drill -S does (text output).",
            valueName: "file"))
    var trustAnchor: String?

    func validate() throws {
        do { _ = try DomainName(name) } catch { throw ValidationError("\(error)") }
        guard RecordType(type) != nil else { throw ValidationError("unknown record type \(type.debugDescription)") }
        if trustAnchor != nil && format.isJSON { throw ValidationError("--trust-anchor draws a tree: use it with --format text") }
    }

    func run() async throws {
        let question = DNSQuestion(try DomainName(name), RecordType(type)!)
        let base = try resolver.makeBaseResolver()
        do {
            let response = try await base.query(question)
            print(!format.isJSON ? QueryRendering.text(response) : try QueryRendering.json(.success(response)))
            if let validator = try resolver.makeDNSSECValidator(base: base, trustAnchor: trustAnchor) {
                let validation = await validator.validate(question, timeout: resolver.questionTimeout * 16)
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
