import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Writes a set of files, each whole: each goes to a temporary file beside it (created
/// with its final mode, so a private key is never readable by others, whatever the umask), and
/// only when every one is written are they moved into place (without replacing: linked, so an
/// existing name is never overwritten, and a refusal removes what this call put in place).
enum SafeFileWriter {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// - Parameter replacing: replace files that exist; without it, an existing file is an error
    ///   and nothing is written.
    static func write(_ files: [(path: String, bytes: [UInt8], mode: mode_t)], replacing: Bool) throws(Failure) {
        if !replacing {
            for file in files where FileManager.default.fileExists(atPath: file.path) {
                throw Failure(description: "\(file.path) exists; not replaced (add --force to replace it)")
            }
        }
        var temporaries: [String] = []
        func removeTemporaries() { for path in temporaries { unlink(path) } }
        for file in files {
            let temporary = file.path + ".tmp-\(getpid())"
            let descriptor = open(temporary, O_WRONLY | O_CREAT | O_EXCL, file.mode)
            guard descriptor >= 0 else {
                let reason = String(cString: strerror(errno))
                removeTemporaries()
                throw Failure(description: "cannot create \(file.path): \(reason)")
            }
            temporaries.append(temporary)
            fchmod(descriptor, file.mode)
            let written = file.bytes.withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
            let synced = fsync(descriptor) == 0
            close(descriptor)
            guard written == file.bytes.count, synced else {
                removeTemporaries()
                throw Failure(description: "cannot write \(file.path): \(String(cString: strerror(errno)))")
            }
        }
        if !replacing {
            // Checked again just before the rename: link() fails on an existing name, rename() would not.
            for (temporary, file) in zip(temporaries, files) where link(temporary, file.path) != 0 {
                let reason = errno == EEXIST ? "exists; not replaced (add --force to replace it)" : String(cString: strerror(errno))
                for (done, doneFile) in zip(temporaries, files) {
                    if done == temporary { break }
                    unlink(doneFile.path)
                }
                removeTemporaries()
                throw Failure(description: "\(file.path) \(reason)")
            }
            removeTemporaries()
            return
        }
        for (temporary, file) in zip(temporaries, files) where rename(temporary, file.path) != 0 {
            let reason = String(cString: strerror(errno))
            removeTemporaries()
            throw Failure(description: "cannot write \(file.path): \(reason)")
        }
    }
}
