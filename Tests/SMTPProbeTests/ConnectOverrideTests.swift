import DNSCore
import TLS
import Testing

@Suite struct ConnectOverrideTests {
    @Test func parsesHostPortToAddressPort() throws {
        let override = try #require(ConnectOverride("Smtp.Example.TEST.:587=127.0.0.1:2587"))
        #expect(override.host == "smtp.example.test")
        #expect(override.port == 587 && override.targetPort == 2587)
        #expect(override.address == IPAddress("127.0.0.1"))
        #expect(ConnectOverride.matching([override], host: "SMTP.example.test", port: 587) == override)
        #expect(ConnectOverride.matching([override], host: "smtp.example.test", port: 465) == nil)
        #expect(ConnectOverride("mx.test:25=[::1]:2525")?.address == IPAddress("::1"))
        #expect(ConnectOverride("mx.test:25=[::1]:2525")?.description == "mx.test:25=[::1]:2525")
    }

    @Test(arguments: ["", "host", "host:25", "host:25=127.0.0.1", "host:x=127.0.0.1:1", ":25=127.0.0.1:1",
                      "host:25=not-an-ip:1", "host:25=127.0.0.1:0", "host:70000=127.0.0.1:1"])
    func rejectsMalformedMappings(text: String) {
        #expect(ConnectOverride(text) == nil)
    }
}
