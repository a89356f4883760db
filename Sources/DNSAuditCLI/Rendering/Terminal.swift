import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Colour and terminal detection: colour only when the stream is a TTY and NO_COLOR is unset
/// (https://no-color.org).
struct Terminal: Sendable {
    let colour: Bool

    static func forStandardOutput() -> Terminal { Terminal(colour: wantsColour(STDOUT_FILENO)) }

    static func forStandardError() -> Terminal { Terminal(colour: wantsColour(STDERR_FILENO)) }

    /// A TTY, and NO_COLOR unset or empty.
    static func wantsColour(_ descriptor: Int32) -> Bool {
        isatty(descriptor) == 1 && (ProcessInfo.processInfo.environment["NO_COLOR"].map(\.isEmpty) ?? true)
    }

    static var standardErrorIsTTY: Bool { isatty(STDERR_FILENO) == 1 }

    func paint(_ text: String, _ code: String) -> String { colour ? "\u{1B}[\(code)m\(text)\u{1B}[0m" : text }
    func red(_ text: String) -> String { paint(text, "31") }
    func yellow(_ text: String) -> String { paint(text, "33") }
    func green(_ text: String) -> String { paint(text, "32") }
    func blue(_ text: String) -> String { paint(text, "34") }
    func dim(_ text: String) -> String { paint(text, "2") }
    func bold(_ text: String) -> String { paint(text, "1") }
}

/// Writes to standard error.
func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}

extension JSONEncoder {
    /// The encoder every `--format json` uses: sorted keys, slashes unescaped, pretty unless a
    /// one-line form is wanted (`dkim verify`'s lines; the audit's JSON Lines are written by
    /// `AuditReport.jsonLine()`, which gives this encoder's bytes).
    static func dnsaudit(pretty: Bool = true) -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.outputFormatting = pretty ? [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes] : [.sortedKeys, .withoutEscapingSlashes]
        return encoder
    }
}
