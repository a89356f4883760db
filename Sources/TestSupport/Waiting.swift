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
