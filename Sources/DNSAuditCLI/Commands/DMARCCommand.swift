import ArgumentParser

/// Placeholder until the DMARC engine lands; replaced by the DMARC work.
struct DMARCCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "dmarc", abstract: "DMARC (not yet available).")
    func run() async throws { throw ExitCode(ExitStatus.usage) }
}
