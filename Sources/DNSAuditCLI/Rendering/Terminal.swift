import ArgumentParser
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Colour and terminal detection. `--color auto` (the default) colours only a TTY, and only when
/// NO_COLOR is unset or empty (https://no-color.org) and TERM is not `dumb`.
struct Terminal: Sendable {
    let colour: Bool
    /// The stream is a terminal (a person reads it as it comes).
    var isTTY = false

    static func forStandardOutput(_ mode: ColourMode = .auto) -> Terminal {
        Terminal(colour: mode.wantsColour(STDOUT_FILENO), isTTY: isatty(STDOUT_FILENO) == 1)
    }

    static func forStandardError(_ mode: ColourMode = .auto) -> Terminal {
        Terminal(colour: mode.wantsColour(STDERR_FILENO), isTTY: isatty(STDERR_FILENO) == 1)
    }

    /// A TTY, NO_COLOR unset or empty, and TERM not `dumb`.
    static func wantsColour(_ descriptor: Int32) -> Bool {
        let environment = ProcessInfo.processInfo.environment
        return isatty(descriptor) == 1 && (environment["NO_COLOR"].map(\.isEmpty) ?? true) && environment["TERM"] != "dumb"
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

/// `--color`: when to colour the output.
enum ColourMode: String, ExpressibleByArgument, CaseIterable, Sendable {
    /// Colour a terminal, unless NO_COLOR is set or TERM is `dumb`.
    case auto
    /// Always colour, even a pipe.
    case always
    /// Never colour.
    case never

    func wantsColour(_ descriptor: Int32) -> Bool {
        switch self {
        case .auto: Terminal.wantsColour(descriptor)
        case .always: true
        case .never: false
        }
    }
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
