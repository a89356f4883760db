import Foundation
import MailAuthCore
import SMTP
import SMTPProbing
import TLS

/// `smtp probe` as text: per host and port, the facts, EHLO before and after TLS side by side,
/// the findings, the transcript.
enum SMTPProbeRendering {
    static func text(_ report: SMTPProbeReport, terminal: Terminal) -> String {
        var out: [String] = []
        if let domain = report.mxDomain { out.append("MX hosts of \(domain)") }
        for finding in report.findings { out += render(finding, terminal: terminal, indent: "") }
        for host in report.hosts {
            var title = host.host
            if let preference = host.mxPreference { title += " (MX \(preference))" }
            if !host.addresses.isEmpty { title += " [\(host.addresses.joined(separator: ", "))]" }
            out.append(terminal.blue(title))
            for finding in host.findings { out += render(finding, terminal: terminal, indent: "  ") }
            for port in host.ports { out += render(port, terminal: terminal) }
        }
        let errors = report.allFindings.filter { $0.severity == .error }.count
        let warnings = report.allFindings.filter { $0.severity == .warning }.count
        out.append("")
        out.append("\(errors) error\(errors == 1 ? "" : "s"), \(warnings) warning\(warnings == 1 ? "" : "s"). No message was sent.")
        return out.joined(separator: "\n")
    }

    static func render(_ port: SMTPPortProbe, terminal: Terminal) -> [String] {
        var lines = ["", "  Port \(port.port)" + (port.connectedTo.map { " (connected to \($0))" } ?? "")]
        var facts: [(String, String)] = []
        facts.append(("Speaks", speaks(port.speaks) + " (tried \(port.tried == .implicit ? "implicit TLS" : "plain text, then STARTTLS") first)"))
        if let connect = port.connectMilliseconds { facts.append(("Connect", String(format: "%.1f ms", connect))) }
        if let greeting = port.greetingMilliseconds { facts.append(("Greeting", String(format: "%.1f ms", greeting))) }
        if let banner = port.banner { facts.append(("Banner", banner.line)) }
        if let tls = port.tls {
            facts.append(("TLS", "\(tls.version), \(tls.cipher)" + (tls.group.map { ", group \($0)" } ?? "")))
            facts.append(("Certificate", tls.verification.verified
                ? "verified for \(tls.verification.expectedName ?? "?")"
                : "NOT verified: \(tls.verification.reason) (X509 error \(tls.verification.code))"))
            for (index, certificate) in tls.chain.enumerated() {
                facts.append(("  [\(index)] subject", certificate.subject))
                if !certificate.subjectAlternativeNames.isEmpty {
                    facts.append(("      SANs", certificate.subjectAlternativeNames.joined(separator: ", ")))
                }
                facts.append(("      issuer", certificate.issuer))
                if let notAfter = certificate.notAfter { facts.append(("      expires", iso(notAfter))) }
            }
        }
        if let injection = port.starttlsInjection { facts.append(("Injection", injection.rawValue)) }
        if let auth = port.auth {
            facts.append(("AUTH test", "\(auth.mechanism.rawValue) as \(auth.user): "
                + (auth.reply?.line ?? "no reply (\(auth.failure ?? "broken off"))")))
        }
        if let failure = port.failure { facts.append(("Stopped", failure)) }
        let width = (facts.map(\.0.count).max() ?? 0) + 2
        for (label, value) in facts {
            lines.append("    " + (label + ":").padding(toLength: width, withPad: " ", startingAt: 0) + value)
        }
        if port.ehloBeforeTLS != nil || port.ehloAfterTLS != nil {
            lines.append("")
            lines += sideBySide(before: port.ehloBeforeTLS, after: port.ehloAfterTLS).map { "    " + $0 }
        }
        if !port.findings.isEmpty { lines.append("") }
        for finding in port.findings { lines += render(finding, terminal: terminal, indent: "    ") }
        if !port.transcript.isEmpty {
            lines.append("")
            lines.append("    Transcript:")
            for line in port.transcript {
                let prefix = switch line.direction {
                case .client: "C: "
                case .server: "S: "
                case .event: "   * "
                }
                lines.append("      " + terminal.dim(prefix + line.text))
            }
        }
        return lines
    }

    /// EHLO before and after TLS as two columns, one row per capability.
    static func sideBySide(before: EHLOCapabilities?, after: EHLOCapabilities?) -> [String] {
        func value(_ capabilities: EHLOCapabilities?, _ read: (EHLOCapabilities) -> String) -> String {
            capabilities.map(read) ?? "—"
        }
        func flag(_ on: Bool) -> String { on ? "yes" : "no" }
        let rows: [(String, String, String)] = [
            ("", "before TLS", "after TLS"),
            ("STARTTLS", value(before) { flag($0.startTLS) }, value(after) { flag($0.startTLS) }),
            ("AUTH", value(before) { $0.authMechanisms.isEmpty ? "none" : $0.authMechanisms.joined(separator: " ") },
             value(after) { $0.authMechanisms.isEmpty ? "none" : $0.authMechanisms.joined(separator: " ") }),
            ("SIZE", value(before) { $0.size.map(String.init) ?? "no" }, value(after) { $0.size.map(String.init) ?? "no" }),
            ("PIPELINING", value(before) { flag($0.pipelining) }, value(after) { flag($0.pipelining) }),
            ("8BITMIME", value(before) { flag($0.eightBitMIME) }, value(after) { flag($0.eightBitMIME) }),
            ("SMTPUTF8", value(before) { flag($0.smtpUTF8) }, value(after) { flag($0.smtpUTF8) }),
            ("REQUIRETLS", value(before) { flag($0.requireTLS) }, value(after) { flag($0.requireTLS) }),
        ]
        let first = rows.map(\.0.count).max() ?? 0
        let second = max(rows.map(\.1.count).max() ?? 0, 10)
        return rows.map { label, left, right in
            "EHLO " + label.padding(toLength: first + 2, withPad: " ", startingAt: 0)
                + left.padding(toLength: second + 2, withPad: " ", startingAt: 0) + right
        }
    }

    static func render(_ finding: Finding, terminal: Terminal, indent: String) -> [String] {
        let marker = switch finding.severity {
        case .error: terminal.red("error")
        case .warning: terminal.yellow("warning")
        case .info: terminal.green("info")
        }
        var lines = ["\(indent)\(marker) [\(finding.id)] \(finding.title)", "\(indent)  \(finding.detail)"]
        for line in finding.evidence { lines.append("\(indent)  > \(line)") }
        if let fix = finding.fix { lines.append("\(indent)  Fix: \(fix)") }
        if let rfc = finding.rfc { lines.append("\(indent)  See: \(rfc)") }
        return lines
    }

    static func speaks(_ speaks: PortSpeaks) -> String {
        switch speaks {
        case .implicitTLS: "implicit TLS (TLS from the first byte)"
        case .starttls: "plain SMTP with STARTTLS"
        case .plaintext: "plain SMTP without STARTTLS"
        case .unknown: "unknown"
        }
    }

    static func iso(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: date)
    }
}
