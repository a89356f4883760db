import ArgumentParser

/// `--format`: text for people, JSON for programs, JSON Lines for many domains.
public enum OutputFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case text
    case json
    case jsonl
}
