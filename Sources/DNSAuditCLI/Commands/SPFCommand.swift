import ArgumentParser

/// Placeholder until the SPF engine lands; replaced by the SPF work.
struct SPFCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "spf", abstract: "SPF (not yet available).")
    func run() async throws { throw ExitCode(ExitStatus.usage) }
}
