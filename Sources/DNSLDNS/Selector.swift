internal import CLinuxIO

#if canImport(Glibc)
import Glibc
#endif

/// An epoll instance and its wake-up eventfd: what ``UDPChannel``'s I/O thread waits on.
///
/// A descriptor is registered with a 64-bit key of the caller's, not an object pointer: the
/// waiter looks the key up in its own table, so an event that arrives for a descriptor closed in
/// the meantime finds nothing instead of a freed object.
final class Selector: @unchecked Sendable {
    /// The key that ``wait(into:keys:milliseconds:)`` never returns: the wake-up eventfd's.
    static let wakeKey: UInt64 = 0

    private let epollFD: Int32
    private let wakeFD: Int32

    init() throws(SystemCallError) {
        epollFD = try systemCall("epoll_create1") { epoll_create1(Int32(EPOLL_CLOEXEC)) }.get()
        do throws(SystemCallError) {
            wakeFD = try systemCall("eventfd") { eventfd(0, Int32(EFD_NONBLOCK) | Int32(EFD_CLOEXEC)) }.get()
        } catch {
            close(epollFD)
            throw error
        }
        if case .failure(let error) = register(wakeFD, key: Self.wakeKey) {
            close(epollFD)
            close(wakeFD)
            throw error
        }
    }

    deinit {
        close(epollFD)
        close(wakeFD)
    }

    /// Watches `fd` for input; its events carry `key`.
    func register(_ fd: Int32, key: UInt64) -> Result<Void, SystemCallError> {
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.u64 = key
        return systemCall("epoll_ctl") { epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event) }.map { _ in () }
    }

    /// Stops watching `fd` (before it is closed).
    func deregister(_ fd: Int32) {
        _ = systemCall("epoll_ctl") { epoll_ctl(epollFD, EPOLL_CTL_DEL, fd, nil) }
    }

    /// Waits until a descriptor is readable, ``wake()`` is called, or `milliseconds` pass (-1:
    /// no limit), and puts the keys of the readable descriptors in `keys` (`events` is the
    /// buffer; both are reused from wait to wait).
    func wait(into events: inout [epoll_event], keys: inout [UInt64], milliseconds: Int32) -> Result<Void, SystemCallError> {
        keys.removeAll(keepingCapacity: true)
        let ready = events.withUnsafeMutableBufferPointer { buffer in
            systemCall("epoll_wait") { epoll_wait(epollFD, buffer.baseAddress, Int32(buffer.count), milliseconds) }
        }
        return ready.map { count in
            for event in events[..<Int(count)] {
                if event.data.u64 == Self.wakeKey {
                    var value: UInt64 = 0
                    _ = read(wakeFD, &value, 8)
                } else {
                    keys.append(event.data.u64)
                }
            }
        }
    }

    /// Ends a ``wait(into:keys:milliseconds:)`` in progress, or the next one; any thread.
    func wake() {
        var one: UInt64 = 1
        _ = write(wakeFD, &one, 8)
    }
}
