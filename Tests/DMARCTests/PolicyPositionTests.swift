import DMARC
import Testing

/// RFC 7489 receivers expect p right after v=DMARC1; empty or broken specs between them do not
/// move it.
@Suite struct PolicyPositionTests {
    @Test(arguments: ["v=DMARC1; p=reject", "v=DMARC1;; p=reject", "v=DMARC1; x y; p=reject"])
    func pRightAfterTheVersionIsNotFlagged(_ text: String) throws {
        let record = try DMARCRecord.parse(text)
        #expect(!record.issues.contains { $0.kind == .policyNotSecond })
    }

    @Test func pAfterAnotherTagIsFlagged() throws {
        let record = try DMARCRecord.parse("v=DMARC1; rua=mailto:d@example.com; p=reject")
        #expect(record.issues.contains { $0.kind == .policyNotSecond })
    }
}
