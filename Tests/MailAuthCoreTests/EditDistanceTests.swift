import MailAuthCore
import Testing

@Suite struct EditDistanceTests {
    @Test(arguments: [
        ("include", "include", 0), ("incude", "include", 1), ("sfp", "spf", 1), ("veryfy", "verify", 1),
        ("", "abc", 3), ("abc", "", 3), ("kitten", "sitting", 3), ("ab", "ba", 1),
    ])
    func countsInsertionsDeletionsSubstitutionsAndSwaps(a: String, b: String, distance: Int) {
        #expect(EditDistance.between(a, b) == distance)
        #expect(EditDistance.between(b, a) == distance)
    }
}
