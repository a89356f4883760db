import Foundation

/// Runs the built `dnsaudit` executable, as a user would, and captures what it prints.
public enum CLIRunner {
    public struct Result: Sendable {
        public var status: Int32
        public var stdout: String
        public var stderr: String
        public var stdoutBytes: [UInt8]
    }

    /// The `dnsaudit` binary beside the test bundle (or `$DNSAUDIT_BIN`).
    public static var executable: String {
        if let override = ProcessInfo.processInfo.environment["DNSAUDIT_BIN"] { return override }
        return productsDirectory.appendingPathComponent("dnsaudit").path
    }

    /// The build's products directory, where the test bundle, `dnsaudit` and `Modules/` are.
    public static var productsDirectory: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    }

    /// Runs `dnsaudit arguments…` with `stdin` as its standard input; ends it after `timeout`.
    public static func run(
        _ arguments: [String], stdin: [UInt8] = [], environment: [String: String] = [:], timeout: TimeInterval = 60
    ) async throws -> Result {
        var env = ProcessInfo.processInfo.environment
        env["NO_COLOR"] = "1"
        for (key, value) in environment { env[key] = value }
        let output = try await ProcessRunner.run(executable, arguments, input: Data(stdin), environment: env, timeout: timeout)
        return Result(
            status: output.status, stdout: output.stdoutText, stderr: output.stderrText, stdoutBytes: Array(output.stdout))
    }
}
