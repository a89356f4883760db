import ArgumentParser

/// Placeholder until the pre-send gate lands; replaced by that work.
struct PresendCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "presend", abstract: "Pre-send gate (not yet available).")
    func run() async throws { throw ExitCode(ExitStatus.usage) }
}
