import ArgumentParser

/// Placeholder until the DNS module lands.
struct QueryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "query", abstract: "Ask one DNS question.")
    func run() async throws { throw ExitCode(ExitStatus.usage) }
}
