/// A condition a test waited for did not come true in time.
public struct WaitTimedOut: Error, CustomStringConvertible {
    public var description: String
}

/// Polls `condition` until it holds; throws after `limit` (a hang guard, not a timing: tests wait
/// for state, not for a fixed time).
public func waitUntil(_ limit: Duration = .seconds(20), _ condition: () -> Bool) async throws {
    let end = ContinuousClock.now + limit
    while !condition() {
        guard ContinuousClock.now < end else { throw WaitTimedOut(description: "condition not met within \(limit)") }
        try await Task.sleep(for: .milliseconds(5))
    }
}

/// A loopback port for a test server to listen on: below Linux's ephemeral range (32768–60999),
/// so it never collides with the local port of an outgoing connection, or one in TIME_WAIT,
/// which the suites that drive Postfix and nginx leave by the thousand. Callers still retry on
/// "address in use" (another test's server).
public func randomServerPort() -> UInt16 {
    UInt16.random(in: 20_000...32_000)
}
