import Foundation
import SMTP
import Testing

/// The reply table against replies as servers send them (multi-line, with the provider's trailer)
/// and as users paste them.
@Suite struct ReplyClassifierTests {
    let classifier = ReplyClassifier()

    struct Case: CustomTestStringConvertible, Sendable {
        var reply: String
        var id: String
        var provider: MailProvider?
        var code: Int
        var enhanced: String
        var testDescription: String { id }
    }

    static let required: [Case] = [
        Case(reply: """
            530 5.7.0 Must issue a STARTTLS command first. d9443c01a7336-21d3f54c2e5sm1234567ad.42 - gsmtp
            """, id: "starttls-required", provider: .gmail, code: 530, enhanced: "5.7.0"),
        Case(reply: """
            534-5.7.9 Application-specific password required. For more information, go to
            534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor 5b1f17b1804b1-43a8c2f2e4bsm1234567f8f.13 - gsmtp
            """, id: "gmail.app-password-required", provider: .gmail, code: 534, enhanced: "5.7.9"),
        Case(reply: """
            535-5.7.8 Username and Password not accepted. For more information, go to
            535 5.7.8  https://support.google.com/mail/?p=BadCredentials a640c23a62f3a-ab7c4a1e0f1sm123456766b.3 - gsmtp
            """, id: "gmail.bad-credentials", provider: .gmail, code: 535, enhanced: "5.7.8"),
        Case(reply: """
            534-5.7.14 <https://accounts.google.com/signin/continue?sarp=1&scc=1&plt=AKgnsbt> Please log in via your web browser and
            534-5.7.14 then try again.
            534-5.7.14  Learn more at
            534 5.7.14  https://support.google.com/mail/answer/78754 w12sm1234567pfq.33 - gsmtp
            """, id: "gmail.web-login-required", provider: .gmail, code: 534, enhanced: "5.7.14"),
        Case(reply: "454 4.7.0 Too many login attempts, please try again later. s14sm123456wrb.2 - gsmtp",
            id: "gmail.too-many-logins", provider: .gmail, code: 454, enhanced: "4.7.0"),
        Case(reply: """
            550-5.4.5 Daily user sending limit exceeded. For more information on Gmail sending limits go to
            550 5.4.5  https://support.google.com/a/answer/166852 d2e1a72fcca58-73dd5s12sm1234567b3a.1 - gsmtp
            """, id: "gmail.daily-limit", provider: .gmail, code: 550, enhanced: "5.4.5"),
        Case(reply: """
            421-4.7.28 Gmail has detected an unusual rate of unsolicited mail originating from your DKIM domain
            421-4.7.28 [example.com 12]. To protect our users from spam, mail sent from your domain has been
            421 4.7.28 temporarily rate limited. For more information, go to https://support.google.com/mail/?p=UnsolicitedRateLimitError - gsmtp
            """, id: "gmail.rate-limited", provider: .gmail, code: 421, enhanced: "4.7.28"),
        Case(reply: """
            550-5.7.28 [192.0.2.25] Our system has detected an unusual rate of unsolicited mail originating
            550 5.7.28 from your IP address and has blocked it. x1si1234567ejz.12 - gsmtp
            """, id: "gmail.rate-limited", provider: .gmail, code: 550, enhanced: "5.7.28"),
        Case(reply: """
            421-4.7.23 The sending IP does not match the IP address of the hostname specified in the pointer
            421 4.7.23 (PTR) record. For more information, go to https://support.google.com/mail/answer/81126 - gsmtp
            """, id: "gmail.ptr", provider: .gmail, code: 421, enhanced: "4.7.23"),
        Case(reply: """
            550-5.7.25 [2001:db8::25] The IP address sending this message does not have a PTR record setup, or
            550-5.7.25 the corresponding forward DNS entry does not point to the sending IP. As a policy, Gmail
            550 5.7.25 does not accept messages from IPs with missing PTR records. a1si123456.7 - gsmtp
            """, id: "gmail.ptr", provider: .gmail, code: 550, enhanced: "5.7.25"),
        Case(reply: """
            550-5.7.26 This mail has been blocked because the sender is unauthenticated. Gmail requires all
            550-5.7.26 senders to authenticate with either SPF or DKIM.
            550-5.7.26
            550-5.7.26  Authentication results:
            550-5.7.26  DKIM = did not pass
            550-5.7.26  SPF [example.com] with ip: [192.0.2.25] = did not pass
            550 5.7.26  For instructions on setting up authentication, go to https://support.google.com/mail/answer/81126#authentication 6a1803df08f44-6e8f0c5e0a0si12345676d6.321 - gsmtp
            """, id: "gmail.unauthenticated", provider: .gmail, code: 550, enhanced: "5.7.26"),
        Case(reply: """
            550-5.7.26 Unauthenticated email from example.com is not accepted due to domain's DMARC policy.
            550-5.7.26 Please contact the administrator of example.com domain if this was a legitimate mail.
            550 5.7.26 To learn about the DMARC initiative, go to https://support.google.com/mail/?p=DmarcRejection - gsmtp
            """, id: "gmail.unauthenticated-dmarc", provider: .gmail, code: 550, enhanced: "5.7.26"),
        Case(reply: """
            550-5.7.27 Your email has been blocked because the sender is unauthenticated. Gmail requires all
            550-5.7.27 senders to authenticate with SPF. SPF [example.com] with ip: [192.0.2.25] = did not pass
            550 5.7.27 For more information, go to https://support.google.com/mail/?p=UnauthenticatedSenders - gsmtp
            """, id: "gmail.spf", provider: .gmail, code: 550, enhanced: "5.7.27"),
        Case(reply: "421-4.7.27 SPF authentication of the sending domain did not pass; retry later.\n421 4.7.27 - gsmtp",
            id: "gmail.spf", provider: .gmail, code: 421, enhanced: "4.7.27"),
        Case(reply: """
            550-5.7.30 Your email has been blocked because DKIM authentication didn't pass for this message.
            550 5.7.30 For more information, go to https://support.google.com/mail/?p=UnauthenticatedSenders - gsmtp
            """, id: "gmail.dkim", provider: .gmail, code: 550, enhanced: "5.7.30"),
        Case(reply: """
            550-5.7.32 Your email has been blocked because the sender is unauthenticated. The From: header isn't
            550 5.7.32 aligned with either the authenticated SPF or DKIM organizational domain. - gsmtp
            """, id: "gmail.alignment", provider: .gmail, code: 550, enhanced: "5.7.32"),
        Case(reply: """
            550-5.7.40 Your email has been blocked because the sender is unauthenticated. Gmail requires all bulk
            550 5.7.40 email senders to authenticate with DMARC. - gsmtp
            """, id: "gmail.no-dmarc", provider: .gmail, code: 550, enhanced: "5.7.40"),
        Case(reply: """
            421-4.7.29 Your email has been rate limited because this message wasn't sent over a TLS connection.
            421 4.7.29 Gmail requires all bulk email senders to use TLS/SSL for SMTP connections. - gsmtp
            """, id: "gmail.tls", provider: .gmail, code: 421, enhanced: "4.7.29"),
        Case(reply: """
            535 5.7.139 Authentication unsuccessful, SmtpClientAuthentication is disabled for the Tenant. Visit https://aka.ms/smtp_auth_disabled for more information. [LO4P123CA0012.GBRP123.PROD.OUTLOOK.COM 2025-01-10T10:00:00.000Z 08DD2F1A]
            """, id: "microsoft.smtp-auth-disabled", provider: .microsoft, code: 535, enhanced: "5.7.139"),
        Case(reply: "535 5.7.139 Authentication unsuccessful, the user credentials were incorrect.",
            id: "microsoft.smtp-auth-disabled", provider: .microsoft, code: 535, enhanced: "5.7.139"),
        Case(reply: "535 5.7.3 Authentication unsuccessful [BN9PR03CA0123.namprd03.prod.outlook.com 2024-05-01T08:00:00.000Z]",
            id: "microsoft.auth-unsuccessful", provider: .microsoft, code: 535, enhanced: "5.7.3"),
        Case(reply: "530 5.7.57 Client not authenticated to send mail. [AM0PR02CA0111.eurprd02.prod.outlook.com 2024-05-01T08:00:00.000Z]",
            id: "microsoft.not-authenticated", provider: .microsoft, code: 530, enhanced: "5.7.57"),
        Case(reply: "550 5.7.30 Basic authentication is not supported for Client Submission. [DM6PR11CA0001.namprd11.prod.outlook.com]",
            id: "microsoft.basic-auth-not-supported", provider: .microsoft, code: 550, enhanced: "5.7.30"),
        Case(reply: "421 4.7.66 TLS 1.0 and 1.1 are not supported. Please upgrade/update your client to support TLS 1.2. Visit https://aka.ms/smtp_auth_tls. [PH0PR07CA0001.namprd07.prod.outlook.com]",
            id: "microsoft.legacy-tls", provider: .microsoft, code: 421, enhanced: "4.7.66"),
        Case(reply: "550 5.7.60 SMTP; Client does not have permissions to send as this sender. [SA1PR02MB1234.namprd02.prod.outlook.com]",
            id: "microsoft.send-as-denied", provider: .microsoft, code: 550, enhanced: "5.7.60"),
        Case(reply: "550 5.7.515 Access denied, sending domain example.com doesn't meet the required authentication level. The sender's domain in the 5322.From address doesn't meet the authentication requirements defined for the sender. [MW2NAM12FT001.eop-nam12.prod.protection.outlook.com]",
            id: "microsoft.authentication-level", provider: .microsoft, code: 550, enhanced: "5.7.515"),
        Case(reply: "550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup [DB5EUR03FT012.eop-EUR03.prod.protection.outlook.com]",
            id: "microsoft.recipient-not-found", provider: .microsoft, code: 550, enhanced: "5.1.10"),
        Case(reply: "550 5.4.1 Recipient address rejected: Access denied. AS(201806281) [BN8NAM12FT035.eop-nam12.prod.protection.outlook.com]",
            id: "microsoft.recipient-rejected", provider: .microsoft, code: 550, enhanced: "5.4.1"),
        Case(reply: "550 5.7.606 Access denied, banned sending IP [192.0.2.25]. To request removal from this list please visit https://sender.office.com/ and follow the directions. [VI1EUR06FT012.eop-eur06.prod.protection.outlook.com]",
            id: "microsoft.banned-ip", provider: .microsoft, code: 550, enhanced: "5.7.606"),
        Case(reply: "535 5.7.0 (#AUTH005) Too many bad auth attempts.",
            id: "yahoo.bad-auth", provider: .yahoo, code: 535, enhanced: "5.7.0"),
        Case(reply: "554 5.7.9 Message not accepted for policy reasons.  See https://senders.yahooinc.com/error-codes",
            id: "yahoo.policy", provider: .yahoo, code: 554, enhanced: "5.7.9"),
        Case(reply: "421 4.7.0 [TSS04] Messages from 192.0.2.25 temporarily deferred due to unexpected volume or user complaints - 4.16.55.1; see https://postmaster.yahooinc.com/error-codes",
            id: "yahoo.deferred", provider: .yahoo, code: 421, enhanced: "4.7.0"),
    ]

    @Test(arguments: required)
    func explainsEachRequiredReply(_ test: Case) {
        let explanation = classifier.explain(test.reply)
        #expect(explanation.id == test.id)
        #expect(explanation.provider == test.provider)
        #expect(explanation.reply?.code == test.code)
        #expect(explanation.reply?.enhancedCode?.description == test.enhanced)
        #expect(explanation.permanence == (test.code >= 500 ? .hard : .soft))
        #expect(!explanation.source.citation.isEmpty)
        #expect(!explanation.fix.isEmpty)
    }

    @Test func joinsTheLinesOfAMultiLineReplyAndDropsTheRepeatedCode() throws {
        let reply = try #require(classifier.explain(Self.required[1].reply).reply)
        #expect(reply.text.hasPrefix("Application-specific password required. For more information, go to https://"))
        #expect(!reply.text.contains("5.7.9"))
        #expect(reply.text.hasSuffix("- gsmtp"))
    }

    @Test func namesTheRegistryMeaningBesideGmailsOwn() {
        let explanation = classifier.explain(Self.required[12].reply)
        #expect(explanation.id == "gmail.spf")
        #expect(explanation.registry?.detail == "Sender address has null MX")
        #expect(explanation.registry?.subject == "Security or policy status")
    }

    @Test func pointsDMARCFailuresAtTheAuditAndPresend() {
        let explanation = classifier.explain(Self.required[11].reply)
        #expect(explanation.command?.contains("dnsaudit DOMAIN") == true)
        #expect(explanation.command?.contains("presend") == true)
    }

    @Test func appPasswordReplyIsRecognisedWithoutTheGsmtpTrailer() {
        let explanation = classifier.explain("534 5.7.9 Application-specific password required.")
        #expect(explanation.id == "gmail.app-password-required")
    }

    @Test func sameCodeMeansDifferentThingsPerProvider() {
        #expect(classifier.explain("550 5.7.30 DKIM did not pass - gsmtp").id == "gmail.dkim")
        #expect(classifier.explain("550 5.7.30 Basic authentication is not supported for Client Submission.").id
            == "microsoft.basic-auth-not-supported")
        #expect(classifier.explain("550 5.7.30 REQUIRETLS needed").id == "rfc.x.7.30")
    }
}
