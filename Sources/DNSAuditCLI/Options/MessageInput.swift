import ArgumentParser
import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Where `dkim sign` and `dkim verify` read the message: a FILE argument, or standard input when
/// it is piped or redirected. A terminal with nothing piped gets a hint, not a silent wait.
enum MessageInput {
    /// The bytes of the message; a usage error names an unreadable file or explains the terminal.
    static func read(_ file: String?, command: String) throws -> Data {
        if let file, file != "-" {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ValidationError("\(file): cannot read the message file (\(String(cString: strerror(errno))))")
            }
            return data
        }
        if file == nil, isatty(STDIN_FILENO) == 1 {
            throw ValidationError(
                "no message: give a FILE, or pipe one in: \(command) message.eml, or \(command) < message.eml (or - to type it, ending with Ctrl-D)")
        }
        return FileHandle.standardInput.readDataToEndOfFile()
    }
}
