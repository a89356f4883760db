#if canImport(Glibc)
import Glibc
#endif

/// A system call that failed, with the errno it set.
struct SystemCallError: Error, CustomStringConvertible {
    /// The call's name (`epoll_ctl`).
    let call: String
    let errno: Int32

    var description: String { "\(call)(): \(QueryExchange.errorText(errno))" }
}

/// Runs the system call `body` and returns its result, or the errno it set when it returned a
/// negative value; a call interrupted by a signal (EINTR) is made again.
@inline(__always)
func systemCall<Value: FixedWidthInteger & SignedInteger>(
    _ name: String, _ body: () -> Value
) -> Result<Value, SystemCallError> {
    while true {
        let value = body()
        if value >= 0 { return .success(value) }
        let code = errno
        if code != EINTR { return .failure(SystemCallError(call: name, errno: code)) }
    }
}
