import ArgumentParser

/// `--format`: text for people, JSON for programs, JSON Lines (one report a line) for a stream of
/// reports, the audit of many domains.
public enum OutputFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case text
    case json
    case jsonl

    /// The `--format` of a command that prints one result (and presend's `--report`): text or
    /// JSON. JSON Lines is for a stream of results, so it is a usage error here, one that lists
    /// the two formats accepted, as the help does.
    struct OneResult: ExpressibleByArgument, Sendable {
        let format: OutputFormat

        static let text = OneResult(format: .text)

        private init(format: OutputFormat) { self.format = format }

        init?(argument: String) {
            guard let format = OutputFormat(rawValue: argument), format != .jsonl else { return nil }
            self.format = format
        }

        static var allValueStrings: [String] { [OutputFormat.text, .json].map(\.rawValue) }
        static var defaultCompletionKind: CompletionKind { .list(allValueStrings) }
        var defaultValueDescription: String { format.rawValue }

        /// Whether the result is written as JSON (else as text).
        var isJSON: Bool { format == .json }
    }
}
