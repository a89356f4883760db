import DKIM
import Testing

/// RFC 6376 §3.5 q=: a verifier needs the method dns/txt, exactly.
@Suite struct QueryMethodTests {
    static let base = "v=1; a=rsa-sha256; d=example.com; s=s; h=from; bh=AAAA; b=AAAA"

    @Test(arguments: ["", "; q=dns/txt", "; q=DNS/TXT", "; q=x-other:dns/txt"])
    func dnsTXTIsAccepted(_ q: String) throws {
        _ = try DKIMSignature.parse(Self.base + q)
    }

    @Test(arguments: ["; q=dns/txtfoo", "; q=x-other"])
    func otherMethodsAreRefused(_ q: String) {
        #expect(throws: DKIMSignature.Problem.self) { try DKIMSignature.parse(Self.base + q) }
    }
}
