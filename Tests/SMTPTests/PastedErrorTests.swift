import Foundation
import SMTP
import Testing

/// What users paste: Python and nodemailer exceptions, transcripts, bounces, and things that are
/// not SMTP at all.
@Suite struct PastedErrorTests {
    let classifier = ReplyClassifier()

    @Test(arguments: [
        (
            """
            Traceback (most recent call last):
              File "send.py", line 9, in <module>
                with smtplib.SMTP_SSL("smtp.gmail.com", 587) as server:
              File "/usr/lib/python3.12/ssl.py", line 1342, in do_handshake
                self._sslobj.do_handshake()
            ssl.SSLError: [SSL: WRONG_VERSION_NUMBER] wrong version number (_ssl.c:1000)
            """, "client.implicit-tls-to-starttls-port"
        ),
        (
            """
            Traceback (most recent call last):
              File "send.py", line 8, in <module>
                server = smtplib.SMTP("smtp.gmail.com", 465)
              File "/usr/lib/python3.12/smtplib.py", line 405, in getreply
                raise SMTPServerDisconnected("Connection unexpectedly closed")
            smtplib.SMTPServerDisconnected: Connection unexpectedly closed
            """, "client.plain-to-implicit-tls-port"
        ),
        (
            """
            Traceback (most recent call last):
              File "send.py", line 10, in <module>
                server.login(user, password)
              File "/usr/lib/python3.12/smtplib.py", line 711, in login
                raise SMTPNotSupportedError(
            smtplib.SMTPNotSupportedError: SMTP AUTH extension not supported by server.
            """, "client.auth-before-starttls"
        ),
        (
            "smtplib.SMTPNotSupportedError: STARTTLS extension not supported by server.",
            "client.starttls-not-offered"
        ),
        (
            """
            Error: 140245935986560:error:1408F10B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:332:
                at SMTPConnection._onError (node_modules/nodemailer/lib/smtp-connection/index.js:790:20) {
              code: 'ESOCKET',
              command: 'CONN'
            }
            """, "client.implicit-tls-to-starttls-port"
        ),
        (
            """
            Error: Greeting never received
                at SMTPConnection._formatError (node_modules/nodemailer/lib/smtp-connection/index.js:790:19) {
              code: 'ETIMEDOUT',
              command: 'CONN'
            }
            """, "client.plain-to-implicit-tls-port"
        ),
    ])
    func explainsClientLibraryErrors(input: String, id: String) {
        let explanation = classifier.explain(input)
        #expect(explanation.id == id)
        #expect(explanation.match == .client)
        #expect(explanation.reply == nil)
        #expect(explanation.fix.contains("SMTP_SSL(host, 465)") || explanation.fix.contains("starttls()"))
    }

    @Test func readsAnSmtplibAuthenticationError() throws {
        let pasted = """
            Traceback (most recent call last):
              File "send.py", line 11, in <module>
                server.login("me@gmail.com", "hunter2")
            smtplib.SMTPAuthenticationError: (535, b'5.7.8 Username and Password not accepted. For more information, go to\\n5.7.8  https://support.google.com/mail/?p=BadCredentials 98e67ed59e1d1-2f2a1b2c3d4sm1234567a91.12 - gsmtp')
            """
        let explanation = classifier.explain(pasted)
        #expect(explanation.id == "gmail.bad-credentials")
        let reply = try #require(explanation.reply)
        #expect(reply.code == 535)
        #expect(reply.enhancedCode == EnhancedStatusCode("5.7.8"))
        #expect(reply.text.hasPrefix("Username and Password not accepted. For more information, go to https://support"))
    }

    @Test func readsSmtplibRecipientsRefused() {
        let pasted = """
            smtplib.SMTPRecipientsRefused: {'friend@example.org': (550, b"5.7.26 Unauthenticated email from example.com is not accepted due to domain's DMARC policy. - gsmtp")}
            """
        #expect(classifier.explain(pasted).id == "gmail.unauthenticated-dmarc")
    }

    @Test func readsANodemailerErrorWithEscapedNewlines() {
        let pasted = """
            Error: Invalid login: 534-5.7.9 Application-specific password required. For more information, go to\\n534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor 41be03b00d2f7-7fd0a1b2c3dsm123456a12.3 - gsmtp
                at SMTPConnection._formatError (node_modules/nodemailer/lib/smtp-connection/index.js:798:19) {
              code: 'EAUTH',
              response: '534-5.7.9 Application-specific password required.',
              responseCode: 534,
              command: 'AUTH PLAIN'
            }
            """
        let explanation = classifier.explain(pasted)
        #expect(explanation.id == "gmail.app-password-required")
        #expect(explanation.reply?.code == 534)
    }

    @Test func takesTheFailingReplyOfATranscript() {
        let transcript = """
            S: 220 smtp.gmail.com ESMTP a1sm12345 - gsmtp
            C: EHLO laptop
            S: 250-smtp.gmail.com at your service, [192.0.2.7]
            S: 250-SIZE 35882577
            S: 250-8BITMIME
            S: 250-STARTTLS
            S: 250 SMTPUTF8
            C: AUTH LOGIN
            S: 530 5.7.0 Must issue a STARTTLS command first. a1sm12345 - gsmtp
            C: QUIT
            S: 221 2.0.0 closing connection a1sm12345 - gsmtp
            """
        let explanation = classifier.explain(transcript)
        #expect(explanation.id == "starttls-required")
        #expect(explanation.provider == .gmail)
        #expect(explanation.reply?.code == 530)
    }

    @Test func readsAPostfixBounce() {
        let bounce = """
            <friend@gmail.com>: host gmail-smtp-in.l.google.com[142.250.102.27] said:
                550-5.7.26 This mail has been blocked because the sender is unauthenticated.
                550-5.7.26 Gmail requires all senders to authenticate with either SPF or DKIM.
                550 5.7.26  - gsmtp (in reply to end of DATA command)
            """
        #expect(classifier.explain(bounce).id == "gmail.unauthenticated")
    }

    @Test(arguments: [
        ("550 5.1.1 <nobody@example.org>: Recipient address rejected: User unknown", "rfc.x.1.1", "Bad destination mailbox address"),
        ("452 4.2.2 Mailbox full", "rfc.x.2.2", "Mailbox full"),
    ])
    func fallsBackToTheRegistryMeaning(reply: String, id: String, detail: String) {
        let explanation = classifier.explain(reply)
        #expect(explanation.id == id)
        #expect(explanation.match == .registry)
        #expect(explanation.registry?.detail == detail)
        #expect(explanation.meaning.contains(detail))
    }

    @Test(arguments: [
        ("550 5.7.999 Computer says no", "Permanent failure", "Security or policy status"),
        ("451 4.9.12 Try later", "Persistent transient failure", "Unregistered subject 9"),
    ])
    func anUnknownCodeIsUnknownWithItsClassAndSubject(reply: String, statusClass: String, subject: String) {
        let explanation = classifier.explain(reply)
        #expect(explanation.id == "unknown")
        #expect(explanation.match == .unknown)
        #expect(explanation.registry?.statusClass == statusClass)
        #expect(explanation.registry?.subject == subject)
        #expect(explanation.meaning.contains(statusClass))
    }

    @Test func anUnknownBasicCodeReadsItsFirstDigit() {
        let explanation = classifier.explain("554 go away")
        #expect(explanation.id == "unknown")
        #expect(explanation.registry?.statusClass == "Permanent negative completion")
        #expect(explanation.permanence == .hard)
    }

    @Test(arguments: ["hello world", "port 465 timed out after 30s", "\u{0}\u{1}\u{FFFD}🙂", "5.7.26", "(999, b'x')"])
    func garbageIsUnknownWithAClearMessage(input: String) {
        let explanation = classifier.explain(input)
        #expect(explanation.id == "unknown")
        #expect(explanation.reply == nil)
        #expect(explanation.meaning.contains("No SMTP reply"))
    }

    @Test(arguments: [
        String(repeating: "550-5.7.26 x ", count: 90_000),
        String(repeating: "1", count: 1 << 20),
        String(repeating: "550-5.7.26 a\n", count: 80_000),
        String(repeating: "(535, b'", count: 130_000),
        String(repeating: ": 550 5.7.1 ", count: 90_000),
    ])
    func hugeInputIsReadWithinBounds(input: String) {
        let clock = ContinuousClock()
        let elapsed = clock.measure { _ = classifier.explain(input) }
        let explanation = classifier.explain(input)
        #expect(explanation.truncated)
        #expect(elapsed < .seconds(10), "took \(elapsed)")
    }

    @Test func parsesEnhancedStatusCodesByTheGrammar() {
        #expect(EnhancedStatusCode("5.7.26") == EnhancedStatusCode(statusClass: 5, subject: 7, detail: 26))
        #expect(EnhancedStatusCode("4.123.999") != nil)
        for bad in ["3.7.1", "5.7", "5.7.1.1", "5.1234.1", "5..1", "55.7.1", "5.7.x", ""] {
            #expect(EnhancedStatusCode(bad) == nil, "\(bad)")
        }
    }
}
