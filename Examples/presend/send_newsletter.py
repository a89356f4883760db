#!/usr/bin/env python3
"""Send a newsletter with smtplib, but only after `dnsaudit presend` proves it will authenticate.

The classic script that "cannot send through Gmail" builds a message From a gmail.com address,
with no Date or Message-ID, and hands it to whatever SMTP server is at hand. The receiver then
rejects it (DMARC, missing headers, no PTR) or files it as spam, and the script never learns why.
Here the message goes through the pre-send hook first: the hook signs it with DKIM and checks
SPF, DKIM (against the key published in DNS), DMARC alignment, RFC 8058 unsubscribe and the
reverse DNS of the sending IP. Only a message that passes is sent, exactly as signed.

Try it offline, against the example zone (no network, nothing is sent):

    python3 Examples/presend/send_newsletter.py --zone Examples/presend/zones --dry-run

and see it refuse the classic mistake:

    python3 Examples/presend/send_newsletter.py --zone Examples/presend/zones --dry-run \\
        --from me@gmail.com

For real: drop --zone and --dry-run, and give your own domain, key, IP and SMTP server.
Exit status: 0 sent (or would be); 1 the hook found a problem; 2 DNS failed, retry later.
"""
import argparse
import email.utils
import os
import smtplib
import subprocess
import sys
from email.message import EmailMessage
from email.policy import SMTP

HERE = os.path.dirname(os.path.abspath(__file__))


class PresendFailed(Exception):
    """The hook said no: `status` 1 (fail) or 2 (incomplete), `report` is what it printed."""

    def __init__(self, status, report):
        super().__init__(report)
        self.status = status
        self.report = report


def presend(message, *, mail_from, ips, helo, domain, selector, key, zone=None, dnsaudit=None):
    """Sign `message` (bytes) and check it will authenticate. Returns the signed bytes.

    Raises PresendFailed with the report when the verdict is fail or incomplete.
    """
    command = [dnsaudit or os.environ.get("DNSAUDIT", "dnsaudit"), "presend",
               "--mail-from", mail_from, "--helo", helo,
               "--domain", domain, "--selector", selector, "--key", key]
    for ip in ips:
        command += ["--ip", ip]
    if zone:
        command += ["--zone", zone, "--offline"]
    result = subprocess.run(command, input=message, capture_output=True)
    if result.returncode != 0:
        raise PresendFailed(result.returncode, result.stderr.decode(errors="replace"))
    if result.stderr:  # warnings on a pass
        sys.stderr.write(result.stderr.decode(errors="replace"))
    return result.stdout


def build_message(sender, recipient):
    message = EmailMessage(policy=SMTP)  # CRLF line endings, as sent over SMTP
    message["From"] = f"Shop News <{sender}>"
    message["To"] = recipient
    message["Subject"] = "Our November offers"
    # RFC 5322 requires a Date, and Gmail rejects mail without a Message-ID.
    message["Date"] = email.utils.formatdate(localtime=True)
    message["Message-ID"] = email.utils.make_msgid(domain=sender.rpartition("@")[2])
    # RFC 8058 one-click unsubscribe, required of bulk senders by Gmail, Yahoo and Microsoft.
    message["List-Unsubscribe"] = ("<https://shop.example/unsubscribe/3f9a1c>, "
                                   "<mailto:unsubscribe@shop.example?subject=3f9a1c>")
    message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content("Hello,\n\nThis month: everything half price.\n\n-- \nShop News\n")
    return message


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--from", dest="sender", default="news@shop.example", help="the From address")
    parser.add_argument("--to", default="reader@example.net")
    parser.add_argument("--mail-from", default="bounces@shop.example", help="the envelope sender")
    parser.add_argument("--ip", action="append", help="an egress IP of the SMTP server (repeatable)")
    parser.add_argument("--helo", default="mail.shop.example")
    parser.add_argument("--domain", default="shop.example", help="DKIM d=")
    parser.add_argument("--selector", default="mail", help="DKIM s=")
    parser.add_argument("--key", default=os.path.join(HERE, "keys", "mail.key"), help="DKIM private key")
    parser.add_argument("--zone", help="answer DNS from these zone files (offline check)")
    parser.add_argument("--smtp", default="localhost:25", help="SMTP server HOST:PORT")
    parser.add_argument("--dry-run", action="store_true", help="print the signed message instead of sending it")
    args = parser.parse_args()

    message = build_message(args.sender, args.to)
    try:
        signed = presend(message.as_bytes(), mail_from=args.mail_from, ips=args.ip or ["192.0.2.25"],
                         helo=args.helo, domain=args.domain, selector=args.selector, key=args.key,
                         zone=args.zone)
    except PresendFailed as failure:
        sys.stderr.write(failure.report)
        what = "fails" if failure.status == 1 else "could not be checked (DNS failure; retry later)"
        print(f"not sent: the message {what}", file=sys.stderr)
        return failure.status

    if args.dry_run:
        sys.stdout.buffer.write(signed)
        return 0
    host, _, port = args.smtp.rpartition(":")
    with smtplib.SMTP(host or args.smtp, int(port or 25), local_hostname=args.helo) as smtp:
        smtp.starttls()
        # Send the signed bytes exactly as the hook wrote them: send_message(msg) would
        # re-serialize the message and could break the DKIM signature.
        smtp.sendmail(args.mail_from, [args.to], signed)
    print(f"sent to {args.to}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
