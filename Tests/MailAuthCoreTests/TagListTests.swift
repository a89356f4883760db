import MailAuthCore
import Testing

@Suite struct TagListTests {
    @Test func parsesTagsWithPositionsAndFoldingWhitespace() throws {
        let text = "v=DKIM1; k=rsa;\r\n\tp=MIGf MA0G ;"
        let list = try TagList.parse(text)
        #expect(list.tags.map(\.name) == ["v", "k", "p"])
        #expect(list["p"]?.value == "MIGf MA0G")
        #expect(list["k"]?.nameOffset == 9)
        #expect(list["k"]?.valueOffset == 11)
    }

    @Test func keepsDuplicatesForTheCallerToJudge() throws {
        let list = try TagList.parse("a=1; b=2; a=3")
        #expect(list["a"]?.value == "1")
        #expect(list.duplicates.map(\.value) == ["3"])
    }

    @Test func acceptsEmptyValuesAndATrailingSemicolon() throws {
        let list = try TagList.parse("v=DKIM1; p=;")
        #expect(list["p"]?.value == "")
        #expect(try TagList.parse("").tags.isEmpty)
    }

    @Test(arguments: [
        ("v=1; =x", 5, "a tag name must start with a letter"),
        ("v=1; 1a=x", 5, "a tag name must start with a letter"),
        ("v=1; abc", 8, "has no '='"),
        ("v=1; a b=c", 7, "unexpected 'b'"),
        ("v=1; a=caf\u{e9}", 10, "not allowed in a tag value"),
    ])
    func reportsSyntaxErrorsWithTheirOffset(text: String, offset: Int, message: String) {
        let error = #expect(throws: SyntaxError.self) { try TagList.parse(text) }
        #expect(error?.offset == offset)
        #expect(error?.message.contains(message) == true, "\(error?.message ?? "")")
    }

    @Test func refusesEmptySpecsOnlyWhenStrict() throws {
        #expect(try TagList.parse("v=1;; p=2").tags.count == 2)
        let error = #expect(throws: SyntaxError.self) { try TagList.parse("v=1;; p=2", allowEmptySpecs: false) }
        #expect(error?.offset == 4)
    }

    @Test func pointsAtTheProblem() {
        let error = SyntaxError(offset: 7, message: "CIDR length 33 exceeds 32", input: "v=spf1 ip4:192.0.2.0/33 -all")
        #expect(error.pointer == "v=spf1 ip4:192.0.2.0/33 -all\n       ^ CIDR length 33 exceeds 32")
    }
}

@Suite struct ASCIITests {
    @Test func namesBytesAsErrorMessagesShowThem() {
        #expect(ASCII.describe(UInt8(ascii: "x")) == "'x'")
        #expect(ASCII.describe(0x20) == "a space")
        #expect(ASCII.describe(0x09) == "byte 0x9")
        #expect(ASCII.describe(0xC3) == "byte 0xC3")
        #expect((0...255).filter { ASCII.isAlpha(UInt8($0)) }.count == 52)
        #expect((0...255).filter { ASCII.isDigit(UInt8($0)) }.count == 10)
    }
}
