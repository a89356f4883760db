import ArgumentParser

/// The audit's `--format`: text for people, JSON for programs, JSON Lines for many domains.
public enum OutputFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case text
    case json
    case jsonl
}

/// `--format` (and presend's `--report`) of the commands that print one result: text or JSON.
enum ReportFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case text
    case json
}
