/// A loopback port for a test server to listen on: below Linux's ephemeral range (32768–60999),
/// so it never collides with the local port of an outgoing connection or of one in TIME_WAIT,
/// which the suites that drive Postfix, nginx and the SMTP simulator open many of. Callers still
/// retry on "address in use" (another test's server).
public func randomServerPort() -> UInt16 {
    UInt16.random(in: 20_000...32_000)
}
