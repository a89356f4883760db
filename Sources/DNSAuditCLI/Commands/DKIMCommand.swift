import ArgumentParser

/// Placeholder until the DKIM engine lands; replaced by the DKIM work.
struct DKIMCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dkim", abstract: "DKIM (not yet available).")
    func run() async throws { throw ExitCode(ExitStatus.usage) }
}
