import DNSAudit
import Foundation
import IDNA
import MailAuthCore

/// Writes the audit's results as they come: text reports, one JSON object or a JSON array (each
/// report written as it arrives, so a bulk run holds none), or JSON Lines; a rejected list line
/// as an error record (JSON) or only on standard error (text, where ``AuditInput`` reports it).
struct AuditOutput {
    /// A result ready to write: encoded in the audit's own task (JSON Lines), so encoding runs in
    /// parallel as the audits do.
    enum Item: Sendable {
        case report(AuditReport, line: String?)
        case rejected(RejectedLine)

        init(_ result: Result<AuditReport, RejectedLine>, format: OutputFormat) {
            switch result {
            case .success(var report):
                report.domainUnicode = IDNA.unicode(report.domain)
                self = .report(report, line: format == .jsonl ? report.jsonLine() : nil)
            case .failure(let rejection): self = .rejected(rejection)
            }
        }
    }

    /// The JSON of a rejected line (docs/report-format.md, "Error records").
    struct ErrorRecord: Encodable {
        var schemaVersion = AuditReport.currentSchemaVersion
        var domain: String
        var status = "error"
        var error: RejectedLine
    }

    let format: OutputFormat
    let renderer: AuditTextRenderer
    /// One domain named on the command line: `--format json` prints an object, not an array.
    let singleObject: Bool
    let progress: Progress
    private var written = 0
    private var output = StandardOutput()

    init(format: OutputFormat, renderer: AuditTextRenderer, singleObject: Bool, progress: Progress) {
        self.format = format
        self.renderer = renderer
        self.singleObject = singleObject
        self.progress = progress
    }

    /// Writes `item`; returns its exit status under `threshold` (a rejection: clean here, the
    /// run counts rejections itself).
    mutating func write(_ item: Item, failingAt threshold: Severity) -> Int32 {
        progress.clear()
        defer { progress.advance() }
        var status = ExitStatus.clean
        switch item {
        case .report(let report, let line):
            status = ExitStatus.of(report.verdict(failingAt: threshold))
            switch format {
            // A blank line between reports; `--quiet` prints one summary line each.
            case .text: output.write((written > 0 && !renderer.quiet ? "\n" : "") + renderer.render(report) + "\n")
            case .jsonl: output.write((line ?? report.jsonLine()) + "\n")
            case .json: writeJSON(report)
            }
        case .rejected(let rejection):
            let record = ErrorRecord(domain: rejection.text, error: rejection)
            switch format {
            case .text: return status
            case .jsonl: output.write(Self.encode(record, pretty: false) + "\n")
            case .json: writeJSON(record)
            }
        }
        written += 1
        return status
    }

    private mutating func writeJSON(_ value: some Encodable) {
        let text = Self.encode(value, pretty: true)
        if singleObject {
            output.write(text + "\n")
            return
        }
        let indented = text.split(separator: "\n", omittingEmptySubsequences: false).map { "  " + $0 }.joined(separator: "\n")
        output.write((written == 0 ? "[\n" : ",\n") + indented)
    }

    /// Ends the output: closes the JSON array.
    mutating func finish() {
        progress.clear()
        if format == .json && !singleObject { output.write(written == 0 ? "[]\n" : "\n]\n") }
    }

    static func encode(_ value: some Encodable, pretty: Bool) -> String {
        do {
            return String(decoding: try JSONEncoder.dnsaudit(pretty: pretty).encode(value), as: UTF8.self)
        } catch {
            // Reports and records hold only strings and numbers: encoding them cannot fail.
            return "{\"error\":{\"message\":\"the record could not be encoded\"},\"status\":\"error\"}"
        }
    }
}
