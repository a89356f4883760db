import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Files tests make for themselves.
public enum TestFiles {
    /// A copy of `source` with `mode`, at a path of its own in a per-process temporary directory.
    /// git keeps fixture keys at 0644, and dnsaudit rightly warns about a key that group or others
    /// can read; tests that do not test that warning sign with a 0600 copy.
    public static func copy(_ source: String, mode: mode_t = 0o600) throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dnsaudit-test-files-\(getpid())").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let name = URL(fileURLWithPath: source).lastPathComponent
        let path = directory + "/\(UUID().uuidString)-\(name)"
        try FileManager.default.copyItem(atPath: source, toPath: path)
        guard chmod(path, mode) == 0 else {
            throw CocoaError(.fileWriteNoPermission, userInfo: [NSFilePathErrorKey: path])
        }
        return path
    }
}
