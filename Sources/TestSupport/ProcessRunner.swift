import Foundation

/// Runs a short-lived program and captures its output, without blocking a thread of Swift's
/// cooperative pool (2 threads on these machines): the wait is a `terminationHandler`, the pipes
/// are drained on Dispatch threads. A test that blocked the pool would starve every other test's
/// DNS deadline.
public enum ProcessRunner {
    public struct Output: Sendable {
        public var status: Int32
        public var stdout: Data
        public var stderr: Data
        public var stdoutText: String { String(decoding: stdout, as: UTF8.self) }
        public var stderrText: String { String(decoding: stderr, as: UTF8.self) }
    }

    /// A program that exits without reading its input must not kill the test process with
    /// SIGPIPE: writes to its closed pipe fail with EPIPE instead.
    private static let ignoreSIGPIPE: Void = { _ = signal(SIGPIPE, SIG_IGN) }()

    /// Runs `executable arguments…`, feeding `input` on standard input; ends it after `timeout`.
    public static func run(
        _ executable: String, _ arguments: [String], input: Data = Data(), environment: [String: String]? = nil,
        currentDirectory: String? = nil, timeout: TimeInterval = 120
    ) async throws -> Output {
        _ = ignoreSIGPIPE
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        if let environment { process.environment = environment }
        if let currentDirectory { process.currentDirectoryURL = URL(fileURLWithPath: currentDirectory) }
        let stdin = Pipe()
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardInput = stdin
        process.standardOutput = stdout
        process.standardError = stderr
        let collector = Collector()
        let group = DispatchGroup()
        return try await withCheckedThrowingContinuation { continuation in
            // Entered before the process starts: one that exits at once must not find the group
            // empty and be reported before its output is read.
            group.enter()
            group.enter()
            process.terminationHandler = { process in
                // The pipes reach end-of-file once the process and its children are gone.
                DispatchQueue.global().async {
                    group.wait()
                    continuation.resume(returning: collector.output(status: process.terminationStatus))
                }
            }
            do {
                try process.run()
            } catch {
                continuation.resume(throwing: error)
                return
            }
            DispatchQueue.global().async {
                collector.setOut(stdout.fileHandleForReading.readDataToEndOfFile())
                group.leave()
            }
            DispatchQueue.global().async {
                collector.setErr(stderr.fileHandleForReading.readDataToEndOfFile())
                group.leave()
            }
            DispatchQueue.global().async {
                try? stdin.fileHandleForWriting.write(contentsOf: input)
                try? stdin.fileHandleForWriting.close()
            }
            DispatchQueue.global().asyncAfter(deadline: .now() + timeout) {
                if process.isRunning { process.terminate() }
            }
        }
    }

    /// Whether `executable arguments…` runs and exits 0. Blocking: only for checks made once,
    /// when tests are planned (`.enabled(if:)`), never inside a running test.
    public static func succeeds(_ executable: String, _ arguments: [String]) -> Bool {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        guard (try? process.run()) != nil else { return false }
        process.waitUntilExit()
        return process.terminationStatus == 0
    }

    private final class Collector: @unchecked Sendable {
        private let lock = NSLock()
        private var out = Data()
        private var err = Data()
        func setOut(_ data: Data) { lock.withLock { out = data } }
        func setErr(_ data: Data) { lock.withLock { err = data } }
        func output(status: Int32) -> Output { lock.withLock { Output(status: status, stdout: out, stderr: err) } }
    }
}
