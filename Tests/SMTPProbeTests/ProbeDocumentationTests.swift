import Foundation
import SMTPProbing
import TestSupport
import Testing

/// docs/findings.md lists exactly the probe's finding ids.
@Suite struct ProbeDocumentationTests {
    @Test func theFindingsPageListsExactlyTheProbesIds() throws {
        let text = try String(contentsOfFile: KnotServer.fixtures("../../docs/findings.md"), encoding: .utf8)
        // - `smtp.connect-refused` (error): …
        let documented = Set(text.split(separator: "\n").compactMap { line -> String? in
            guard line.hasPrefix("- `smtp."), let end = line.dropFirst(3).firstIndex(of: "`") else { return nil }
            return String(line[line.index(line.startIndex, offsetBy: 3)..<end])
        })
        let ids = Set(SMTPProbeFindings.ids)
        #expect(ids.count == SMTPProbeFindings.ids.count, "an id is listed twice")
        #expect(documented.subtracting(ids).isEmpty, "documented but never reported: \(documented.subtracting(ids).sorted())")
        #expect(ids.subtracting(documented).isEmpty, "reported but not documented: \(ids.subtracting(documented).sorted())")
    }
}
