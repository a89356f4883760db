#!/usr/bin/python3
"""Writes zones/*.zone: a provider-shaped mail DNS corpus (issue 13, section 3).

About 30 customer domains published the way real domains publish in 2026 (Google Workspace,
Microsoft 365, SendGrid, Mailchimp, Amazon SES, Mailgun, Postmark, Zoho, GoDaddy, shared hosting,
self-hosted), plus every zone above and beside them: a fake root, the TLDs, the provider zones
their CNAMEs and includes point into, and reverse zones for the MX addresses. Knot serves them
all on loopback in RealWorldCorpusTests; `dnsaudit --zone` reads the same directory.

Addresses come only from the documentation ranges (192.0.2.0/24, 198.51.100.0/24,
203.0.113.0/24, 2001:db8::/32). DKIM public keys are real keys made once with openssl and kept
in keys.json (no private key is kept); a missing key is generated on the next run.

README.md beside this file describes each domain; expected.json says what the audit must find.
Run: python3 make-zones.py (from any directory); the output is deterministic given keys.json.
"""
import base64
import ipaddress
import json
import os
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "zones")
KEYS = os.path.join(HERE, "keys.json")
SERIAL = 2026030101

# --- DKIM keys ------------------------------------------------------------------------------

keys = json.load(open(KEYS)) if os.path.exists(KEYS) else {}


def key(name, kind="rsa2048"):
    """The base64 public key called `name` (SubjectPublicKeyInfo for RSA, raw 32 bytes for
    Ed25519 as RFC 8463 §4.2 wants), generated with openssl the first time."""
    if name not in keys:
        with tempfile.TemporaryDirectory() as tmp:
            private = os.path.join(tmp, "k.pem")
            if kind == "ed25519":
                subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out", private], check=True)
            else:
                bits = kind.removeprefix("rsa")
                subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", f"rsa_keygen_bits:{bits}",
                                "-out", private], check=True, capture_output=True)
            der = subprocess.run(["openssl", "pkey", "-in", private, "-pubout", "-outform", "DER"], check=True,
                                 capture_output=True).stdout
        if kind == "ed25519":
            der = der[-32:]
        keys[name] = {"kind": kind, "p": base64.b64encode(der).decode()}
    assert keys[name]["kind"] == kind, name
    return keys[name]["p"]


# --- Zones ----------------------------------------------------------------------------------

zones = {}


def absolute(name, origin):
    if name == "@":
        return origin
    if name.endswith("."):
        return name
    return f"{name}.{origin}" if origin != "." else f"{name}."


class Zone:
    def __init__(self, origin, ns=("ns1.dnshosting.net.", "ns2.dnshosting.net."), comment=None):
        self.origin = origin if origin.endswith(".") else origin + "."
        self.ns = list(ns)
        self.comment = comment
        self.lines = []
        zones[self.origin] = self
        # The delegation in the parent zone (the closest enclosing zone already made).
        if self.origin != ".":
            parent = self.parent()
            if parent is not None:
                for server in self.ns:
                    parent.rr(self.origin, "NS", server)
                    # Glue for in-bailiwick servers (RFC 1034 §4.2.1).
                    if server.endswith("." + self.origin) and server in glue:
                        for rtype, value in glue[server]:
                            parent.rr(server, rtype, value)

    def parent(self):
        labels = self.origin.rstrip(".").split(".")
        for i in range(1, len(labels) + 1):
            candidate = ".".join(labels[i:]) + "." if i < len(labels) else "."
            if candidate in zones:
                return zones[candidate]
        return None

    def rr(self, owner, rtype, data, ttl=None):
        self.lines.append((owner, ttl, rtype, data))

    def txt(self, owner, *strings, ttl=None):
        """TXT with each text cut into character-strings of at most 255 bytes (RFC 1035 §3.3);
        receivers concatenate them with nothing between (RFC 7208 §3.3, RFC 6376 §3.6.2.2)."""
        chunks = []
        for text in strings:
            chunks += [text[i:i + 255] for i in range(0, len(text), 255)] or [""]
        self.rr(owner, "TXT", " ".join('"' + c.replace('"', '\\"') + '"' for c in chunks), ttl)

    def write(self):
        name = "root" if self.origin == "." else self.origin[:-1]
        path = os.path.join(OUT, name + ".zone")
        soa_ns = self.ns[0]
        mbox = "hostmaster." + (self.origin if self.origin != "." else "root-servers.net.")
        out = []
        if self.comment:
            out += ["; " + line for line in self.comment.strip().splitlines()]
        out += [f"$ORIGIN {self.origin}", "$TTL 3600",
                f"@ SOA {soa_ns} {mbox} {SERIAL} 7200 3600 1209600 300"]
        out += [f"@ NS {server}" for server in self.ns]
        for owner, ttl, rtype, data in self.lines:
            owner = relative(owner, self.origin)
            out.append(f"{owner}{' ' + str(ttl) if ttl else ''} {rtype} {data}")
        with open(path, "w") as f:
            f.write("\n".join(out) + "\n")


def relative(owner, origin):
    if owner == origin:
        return "@"
    if origin != "." and owner.endswith("." + origin):
        return owner[: -len(origin) - 1]
    return owner


glue = {}

# --- Addresses and reverse DNS --------------------------------------------------------------

ptrs = {}  # ip address → PTR target
pools = {}


def pool(name, network):
    pools[name] = ipaddress.ip_network(network).hosts()


def take(name):
    return next(pools[name])


def host(zone, owner, v4=None, v6=None, ptr=True, ptr_name=None, count=1):
    """A/AAAA records for `owner` from the named pools, and a forward-confirming PTR for each
    address (to `ptr_name` when the provider names its addresses differently; that name then
    gets the same address records)."""
    fqdn = absolute(owner, zone.origin)
    addresses = []
    for _ in range(count):
        if v4:
            addresses.append(str(take(v4)))
        if v6:
            addresses.append(str(take(v6)))
    for address in addresses:
        rtype = "AAAA" if ":" in address else "A"
        zone.rr(fqdn, rtype, address)
        if ptr is True:
            target = ptr_name(address) if callable(ptr_name) else (ptr_name or fqdn)
            ptrs[address] = target
            if target != fqdn:
                target_zone = zone_of(target)
                target_zone.rr(target, rtype, address)
        elif isinstance(ptr, str):
            ptrs[address] = ptr  # a PTR that does not point back (no forward record is made)
    return addresses


def zone_of(name):
    labels = name.rstrip(".").split(".")
    for i in range(len(labels) + 1):
        candidate = ".".join(labels[i:]) + "." if i < len(labels) else "."
        if candidate in zones:
            return zones[candidate]
    raise KeyError(name)


# Provider address blocks: disjoint, so no SPF tree has overlapping ranges by accident.
pool("google4", "192.0.2.0/27")
pool("google6", "2001:db8:4860:4864::/64")
pool("ms4", "192.0.2.64/27")
pool("ms6", "2001:db8:a01:ff00::/64")
pool("sendgrid4", "192.0.2.112/28")
pool("mcsv4", "192.0.2.128/28")
pool("mandrill4", "192.0.2.144/28")
pool("ses4", "192.0.2.160/27")
pool("mailgun4", "192.0.2.192/28")
pool("mtasv4", "192.0.2.224/28")
pool("zoho4", "192.0.2.240/28")
pool("zohomail4", "198.51.100.0/28")
pool("godaddy4", "198.51.100.16/28")
pool("hosting4", "198.51.100.32/27")
pool("hosting6", "2001:db8:5eed::/64")
pool("vendor4", "198.51.100.64/28")
pool("infra4", "198.51.100.128/26")  # nameservers
pool("customer4", "203.0.113.0/25")
pool("customer6", "2001:db8:c0de::/64")
pool("own4", "203.0.113.128/25")  # addresses customers list in their own SPF records

# --- The root, TLDs and reverse tree ----------------------------------------------------------

root = Zone(".", ns=["a.root-servers.net."], comment="""
A fake root zone: delegations to every TLD the corpus uses, so no name is REFUSED.
Served from root.zone (KnotServer maps that file name to the zone ".").""")
for tld in ["com", "net", "org", "io", "de", "dev", "email", "uk", "microsoft", "arpa"]:
    server = f"a.nic.{tld}."
    glue[server] = [("A", str(take("infra4")))]
    z = Zone(tld, ns=[server], comment=f"The .{tld} TLD: delegations only (and its nameserver's address).")
    for rtype, value in glue[server]:
        z.rr(server, rtype, value)
root.rr("a.root-servers.net.", "A", "198.51.100.254")  # glue: root-servers.net is not in the corpus
co_uk = Zone("co.uk", ns=["a.nic.uk."], comment="co.uk, a multi-label public suffix: delegations only.")
in_addr = Zone("in-addr.arpa", ns=["a.nic.arpa."], comment="in-addr.arpa: delegations of the reverse zones.")
ip6_arpa = Zone("ip6.arpa", ns=["a.nic.arpa."], comment="ip6.arpa: delegation of the 2001:db8::/32 reverse zone.")
reverse_zones = {
    "192.0.2.": Zone("2.0.192.in-addr.arpa", ns=["a.nic.arpa."], comment="Reverse DNS of 192.0.2.0/24."),
    "198.51.100.": Zone("100.51.198.in-addr.arpa", ns=["a.nic.arpa."], comment="Reverse DNS of 198.51.100.0/24."),
    "203.0.113.": Zone("113.0.203.in-addr.arpa", ns=["a.nic.arpa."], comment="Reverse DNS of 203.0.113.0/24."),
}
reverse6 = Zone("8.b.d.0.1.0.0.2.ip6.arpa", ns=["a.nic.arpa."], comment="Reverse DNS of 2001:db8::/32.")

# The DNS host most customers delegate to.
glue["ns1.dnshosting.net."] = [("A", "198.51.100.250")]
glue["ns2.dnshosting.net."] = [("A", "198.51.100.251")]
dnshosting = Zone("dnshosting.net", comment="A DNS hosting company; every customer zone is delegated to it.")
dnshosting.rr("ns1", "A", "198.51.100.250")
dnshosting.rr("ns2", "A", "198.51.100.251")
dnshosting.txt("@", "v=spf1 -all")
dnshosting.rr("@", "MX", "0 .")


def provider_zone(origin, comment):
    a, b = f"ns1.{origin}.", f"ns2.{origin}."
    glue[a] = [("A", str(take("infra4")))]
    glue[b] = [("A", str(take("infra4")))]
    z = Zone(origin, ns=[a, b], comment=comment)
    z.rr(a, "A", glue[a][0][1])
    z.rr(b, "A", glue[b][0][1])
    return z


def dkim_rsa(p, prefix="v=DKIM1; k=rsa; ", suffix=""):
    return f"{prefix}p={p}{suffix}"


# --- Provider zones ---------------------------------------------------------------------------

google = provider_zone("google.com", """
Google: the Workspace SPF tree (_spf.google.com includes three _netblocks records), the
Workspace MX hosts (the classic five and the 2023 single smtp.google.com), Google's own records.""")
e100 = provider_zone("1e100.net", "Google's reverse-DNS names: each Google MX address has a PTR here that points back.")
google.txt("_spf", "v=spf1 include:_netblocks.google.com include:_netblocks2.google.com include:_netblocks3.google.com ~all")
google.txt("_netblocks", "v=spf1 ip4:192.0.2.0/28 ip4:192.0.2.16/29 ~all")
google.txt("_netblocks2", "v=spf1 ip6:2001:db8:4860::/48 ip6:2001:db8:4864::/48 ~all")
google.txt("_netblocks3", "v=spf1 ip4:192.0.2.24/29 ~all")
google_ptr_number = iter(range(26, 100))


def google_ptr(address):
    family = "v6" if ":" in address else "f"
    return f"mx-in-{family}{next(google_ptr_number)}.1e100.net."


for mx_host in ["aspmx.l", "alt1.aspmx.l", "alt2.aspmx.l", "alt3.aspmx.l", "alt4.aspmx.l", "smtp"]:
    host(google, mx_host, v4="google4", v6="google6", ptr_name=google_ptr)
google.rr("@", "MX", "10 smtp.google.com.")
google.txt("@", "v=spf1 include:_spf.google.com ~all")
google.txt("_dmarc", "v=DMARC1; p=reject; rua=mailto:mailauth-reports@google.com")
GOOGLE_MX = [(1, "aspmx.l.google.com."), (5, "alt1.aspmx.l.google.com."), (5, "alt2.aspmx.l.google.com."),
             (10, "alt3.aspmx.l.google.com."), (10, "alt4.aspmx.l.google.com.")]

outlook = provider_zone("outlook.com", "outlook.com, with protection.outlook.com delegated (Exchange Online Protection).")
outlook.rr("autodiscover", "CNAME", "autod.ha-autod.office.com.")
outlook.txt("@", "v=spf1 include:spf.protection.outlook.com -all")
outlook.txt("_dmarc", "v=DMARC1; p=reject")
eop = provider_zone("protection.outlook.com", """
Exchange Online Protection: the Microsoft 365 SPF record and per-customer MX hosts
(<domain-dashed>.mail.protection.outlook.com), whose addresses have PTRs that point back.""")
eop.txt("spf", "v=spf1 ip4:192.0.2.64/28 ip6:2001:db8:a01::/48 include:spfd.protection.outlook.com -all")
eop.txt("spfd", "v=spf1 ip4:192.0.2.80/28 -all")
ms_ptr_number = iter(range(2041, 3000))


def eop_mx(customer):
    """The MX host Microsoft 365 gives `customer` (two addresses, as EOP answers)."""
    name = customer.replace(".", "-") + ".mail.protection.outlook.com."
    host(eop, name, v4="ms4", count=2,
         ptr_name=lambda _: f"mail-bn8nam12on{next(ms_ptr_number)}.inbound.protection.outlook.com.")
    return name


onmicrosoft = provider_zone("onmicrosoft.com", """
Microsoft 365 tenant names: the DKIM keys that customers' selector1/selector2._domainkey
CNAMEs point at (selector1-<domain-dashed>._domainkey.<tenant>.onmicrosoft.com).""")


def m365_dkim_classic(customer_zone, tenant, selectors=("selector1", "selector2"), dangling=()):
    dashed = customer_zone.origin[:-1].replace(".", "-")
    for selector in selectors:
        target = f"{selector}-{dashed}._domainkey.{tenant}.onmicrosoft.com."
        customer_zone.rr(f"{selector}._domainkey", "CNAME", target)
        if selector in dangling:
            continue
        onmicrosoft.txt(target, dkim_rsa(key(f"{dashed}-{selector}"), suffix="; n=2048,1714521600,1"))


microsoft_mx = provider_zone("mx.microsoft", """
The 2024 Microsoft 365 inbound hosts (<domain-dashed>.<x>-v1.mx.microsoft), with IPv6.""")
microsoft_mail = provider_zone("mail.microsoft", """
The 2024 Microsoft 365 DKIM hosts: selector1-<domain-dashed>._domainkey.<tenant>.<x>-v1.dkim.mail.microsoft.""")

sendgrid = provider_zone("sendgrid.net", """
Twilio SendGrid: the sendgrid.net SPF, the per-account return-path hosts (uNNN.wlNNN.sendgrid.net,
the target of a customer's emNNNN CNAME) and the automated-security DKIM keys
(s1/s2.domainkey.uNNN.wlNNN.sendgrid.net).""")
sendgrid.txt("@", "v=spf1 ip4:192.0.2.112/28 ~all")
host(sendgrid, "mx", v4="sendgrid4")
sendgrid.rr("@", "MX", "10 mx.sendgrid.net.")


def sendgrid_account(user, label):
    base = f"u{user}.{label}.sendgrid.net."
    sendgrid.txt(base, "v=spf1 include:sendgrid.net ~all")
    sendgrid.rr(base, "MX", "10 mx.sendgrid.net.")
    for selector in ("s1", "s2"):
        sendgrid.txt(f"{selector}.domainkey.{base}", dkim_rsa(key(f"sendgrid-{user}-{selector}"), prefix="k=rsa; t=s; "))
    return base


mcsv = provider_zone("mcsv.net", """
Mailchimp: servers.mcsv.net (SPF) and the shared DKIM keys dkim.mcsv.net (k1, legacy),
dkim2.mcsv.net and dkim3.mcsv.net (k2/k3) that customers CNAME to.""")
mcsv.txt("servers", "v=spf1 ip4:192.0.2.128/28 -all")
mcsv.txt("dkim", dkim_rsa(key("mcsv-k1")))
mcsv.txt("dkim2", dkim_rsa(key("mcsv-k2")))
mcsv.txt("dkim3", dkim_rsa(key("mcsv-k3")))

mandrill = provider_zone("mandrillapp.com", "Mandrill (Mailchimp Transactional): spf.mandrillapp.com.")
mandrill.txt("spf", "v=spf1 ip4:192.0.2.144/28 -all")

ses = provider_zone("amazonses.com", """
Amazon SES: the amazonses.com SPF, Easy DKIM keys (<token>.dkim.amazonses.com, TXT "p=…" only)
and the custom MAIL FROM MX host feedback-smtp.us-east-1.amazonses.com.""")
ses.txt("@", "v=spf1 ip4:192.0.2.160/28 ip4:192.0.2.176/28 -all")
host(ses, "feedback-smtp.us-east-1", v4="ses4", count=2)


def ses_dkim(customer_zone, tokens):
    for token in tokens:
        customer_zone.rr(f"{token}._domainkey", "CNAME", f"{token}.dkim.amazonses.com.")
        ses.txt(f"{token}.dkim", f"p={key('ses-' + token)}")


mailgun = provider_zone("mailgun.org", "Mailgun: mailgun.org SPF (through _spf.mailgun.org) and the mxa/mxb inbound hosts.")
mailgun.txt("@", "v=spf1 include:_spf.mailgun.org ~all")
mailgun.txt("_spf", "v=spf1 ip4:192.0.2.192/29 ip4:192.0.2.200/29 ~all")
host(mailgun, "mxa", v4="mailgun4")
host(mailgun, "mxb", v4="mailgun4")
mailgun.rr("@", "MX", "10 mxa.mailgun.org.")
mailgun.rr("@", "MX", "10 mxb.mailgun.org.")
host(mailgun, "@", v4="mailgun4", ptr=False)  # the click-tracking host a customer's email.<domain> CNAMEs to

mtasv = provider_zone("mtasv.net", """
Postmark: pm.mtasv.net, the Return-Path host a customer's pm-bounces CNAME points at, and spf.mtasv.net.""")
mtasv.txt("spf", "v=spf1 ip4:192.0.2.224/28 -all")
mtasv.txt("pm", "v=spf1 include:spf.mtasv.net ~all")
mtasv.rr("pm", "MX", "10 inbound.mtasv.net.")
host(mtasv, "inbound", v4="mtasv4")
postmark = provider_zone("postmarkapp.com", """
Postmark's free DMARC monitoring: reports to re+<token>@dmarc.postmarkapp.com, authorized for every
domain by a wildcard *._report._dmarc.dmarc.postmarkapp.com.""")
postmark.txt("*._report._dmarc.dmarc", "v=DMARC1;")
host(postmark, "dmarc", v4="mtasv4")
postmark.rr("dmarc", "MX", "10 dmarc.postmarkapp.com.")

zoho = provider_zone("zoho.com", "Zoho Mail: the legacy include:zoho.com SPF and the mx/mx2/mx3.zoho.com hosts.")
zoho.txt("@", "v=spf1 include:spf.zoho.com -all")
zoho.txt("spf", "v=spf1 ip4:192.0.2.240/29 -all")
for mx_host in ["mx", "mx2", "mx3"]:
    host(zoho, mx_host, v4="zoho4")
ZOHO_MX = [(10, "mx.zoho.com."), (20, "mx2.zoho.com."), (50, "mx3.zoho.com.")]
zohomail = provider_zone("zohomail.com", "Zoho Mail: the current include:zohomail.com SPF.")
zohomail.txt("@", "v=spf1 ip4:198.51.100.0/28 -all")

godaddy = provider_zone("secureserver.net", "GoDaddy email: SPF through spf-0.secureserver.net, MX smtp and mailstore1.")
godaddy.txt("@", "v=spf1 include:spf-0.secureserver.net -all")
godaddy.txt("spf-0", "v=spf1 ip4:198.51.100.16/29 -all")
host(godaddy, "smtp", v4="godaddy4")
host(godaddy, "mailstore1", v4="godaddy4")

hosting = provider_zone("hostingco.net", """
A shared-hosting and VPS company: MX hosts mx00/mx01 and mx.hostingco.net, the _spf.hostingco.net
include, and generic reverse names (a-b-c-d.static.hostingco.net) that do not all point back.""")
hosting.txt("_spf", "v=spf1 ip4:198.51.100.32/28 ip6:2001:db8:5eed::/48 -all")
for mx_host in ["mx00", "mx01", "mx"]:
    host(hosting, mx_host, v4="hosting4", v6="hosting6")
host(hosting, "smtp", v4="hosting4")

salesforce = provider_zone("salesforce.com", """
Salesforce: _spf.salesforce.com, whose exists:%{i}._spf.mta.salesforce.com macro lists each
sending address as a name.""")
salesforce.txt("_spf", "v=spf1 exists:%{i}._spf.mta.salesforce.com -all")
for last in range(96, 100):
    salesforce.rr(f"198.51.100.{last}._spf.mta", "A", "127.0.0.1")

vendor = provider_zone("dmarc-provider.net", """
A hosted-DMARC/MTA-STS vendor: customers CNAME _dmarc.<domain> to <domain-dashed>._dmarc.dmarc-provider.net,
_mta-sts/_smtp._tls to similar names, and mta-sts.<domain> to its policy host. Reports go to
rua@ag.dmarc-provider.net, which authorizes every domain with a wildcard
*._report._dmarc.ag.dmarc-provider.net (RFC 9990 §3.2.3).""")
vendor.txt("*._report._dmarc.ag", "v=DMARC1;")
host(vendor, "mta-sts-policy", v4="vendor4", ptr=False)
host(vendor, "ag", v4="vendor4")
vendor.rr("ag", "MX", "10 ag.dmarc-provider.net.")
vendor.txt("@", "v=spf1 -all")
vendor.txt("_dmarc", "v=DMARC1; p=reject; rua=mailto:rua@ag.dmarc-provider.net")

vendor2 = provider_zone("dmarc-vendor.email", """
A second hosted-DMARC vendor whose CNAME target appends the customer's whole _dmarc name:
_dmarc.<domain> CNAME _dmarc.<domain>.hosted.dmarc-vendor.email. It authorizes each customer
by name at <domain>._report._dmarc.reports.dmarc-vendor.email.""")
host(vendor2, "reports", v4="vendor4")
vendor2.rr("reports", "MX", "10 reports.dmarc-vendor.email.")

agency = Zone("agency-partner.com", comment="""
A marketing agency a customer sends DMARC reports to; it has not authorized them
(no <domain>._report._dmarc.agency-partner.com record).""")
agency.rr("@", "MX", "10 aspmx.l.google.com.")
agency.txt("@", "v=spf1 include:_spf.google.com ~all")
agency.txt("_dmarc", "v=DMARC1; p=none; rua=mailto:dmarc@agency-partner.com")


# --- Customer domains -------------------------------------------------------------------------

def customer(name, comment):
    return Zone(name, comment=comment)


def mx(zone, hosts):
    for preference, target in hosts:
        zone.rr("@", "MX", f"{preference} {target}")


def web(zone):
    zone.rr("@", "A", str(take("customer4")))
    zone.rr("www", "CNAME", zone.origin)


def google_dkim(zone, selector="google"):
    zone.txt(f"{selector}._domainkey", dkim_rsa(key(zone.origin[:-1] + "-google")))


# 1. acme-corp.com: Google Workspace done right.
z = customer("acme-corp.com", """
Google Workspace with everything in place: the five classic MX hosts, include:_spf.google.com,
google._domainkey (RSA-2048 in two strings), DMARC p=reject, MTA-STS and TLS-RPT, BIMI with a
mark certificate.""")
web(z)
mx(z, GOOGLE_MX)
z.txt("@", "v=spf1 include:_spf.google.com ~all")
z.txt("@", "google-site-verification=4ibFUgB-wXLQ_S7vsDO3VabO5oYwlV7ZsG4SbmJDNnI")
google_dkim(z)
z.txt("_dmarc", "v=DMARC1; p=reject; rua=mailto:dmarc-reports@acme-corp.com; adkim=s")
z.txt("_mta-sts", "v=STSv1; id=20260115T120000")
host(z, "mta-sts", v4="customer4", ptr=False)
z.txt("_smtp._tls", "v=TLSRPTv1; rua=mailto:tls-reports@acme-corp.com")
z.txt("default._bimi", "v=BIMI1; l=https://acme-corp.com/bimi/logo.svg; a=https://acme-corp.com/bimi/vmc.pem")

# 2. globex-industries.com: Google's single MX, DMARC/MTA-STS/TLS-RPT hosted by a vendor.
z = customer("globex-industries.com", """
Google Workspace with the single MX smtp.google.com (Google's 2023 setup); _dmarc, _mta-sts,
_smtp._tls and mta-sts are CNAMEs to a hosted-DMARC vendor.""")
web(z)
mx(z, [(1, "smtp.google.com.")])
z.txt("@", "v=spf1 include:_spf.google.com -all")
google_dkim(z)
z.rr("_dmarc", "CNAME", "globex-industries-com._dmarc.dmarc-provider.net.")
vendor.txt("globex-industries-com._dmarc", "v=DMARC1; p=quarantine; rua=mailto:rua@ag.dmarc-provider.net; fo=1")
z.rr("_mta-sts", "CNAME", "globex-industries-com._mta-sts.dmarc-provider.net.")
vendor.txt("globex-industries-com._mta-sts", "v=STSv1; id=20260201000000")
z.rr("mta-sts", "CNAME", "mta-sts-policy.dmarc-provider.net.")
z.rr("_smtp._tls", "CNAME", "globex-industries-com._smtp._tls.dmarc-provider.net.")
vendor.txt("globex-industries-com._smtp._tls", "v=TLSRPTv1; rua=mailto:tlsrpt@ag.dmarc-provider.net")

# 3. contoso-widgets.com: Microsoft 365, classic.
z = customer("contoso-widgets.com", """
Microsoft 365: MX contoso-widgets-com.mail.protection.outlook.com, include:spf.protection.outlook.com,
selector1/selector2._domainkey CNAMEs to the tenant contosowidgets.onmicrosoft.com, autodiscover.""")
web(z)
mx(z, [(0, eop_mx("contoso-widgets.com"))])
z.txt("@", "v=spf1 include:spf.protection.outlook.com -all")
z.txt("@", "MS=ms48291734")
z.rr("autodiscover", "CNAME", "autodiscover.outlook.com.")
m365_dkim_classic(z, "contosowidgets")
z.txt("_dmarc", "v=DMARC1; p=reject; pct=100; rua=mailto:dmarc@contoso-widgets.com")

# 4. northwind-traders.com: Microsoft 365 (2024 hosts) plus SendGrid.
z = customer("northwind-traders.com", """
Microsoft 365 on the 2024 hosts (MX northwind-traders-com.r-v1.mx.microsoft, DKIM CNAMEs into
dkim.mail.microsoft) plus SendGrid for marketing: em5821 return-path CNAME and s1/s2 DKIM CNAMEs
into uNNN.wlNNN.sendgrid.net.""")
web(z)
mx_name = "northwind-traders-com.r-v1.mx.microsoft."
host(microsoft_mx, mx_name, v4="ms4", v6="ms6")
mx(z, [(0, mx_name)])
z.txt("@", "v=spf1 include:spf.protection.outlook.com -all")
z.txt("@", "MS=ms90817263")
for selector in ("selector1", "selector2"):
    target = f"{selector}-northwind-traders-com._domainkey.northwindtraders.r-v1.dkim.mail.microsoft."
    z.rr(f"{selector}._domainkey", "CNAME", target)
    microsoft_mail.txt(target, dkim_rsa(key(f"northwind-traders-com-{selector}")))
account = sendgrid_account(25812345, "wl173")
z.rr("em5821", "CNAME", account)
z.rr("s1._domainkey", "CNAME", "s1.domainkey." + account)
z.rr("s2._domainkey", "CNAME", "s2.domainkey." + account)
z.rr("url6482", "CNAME", "sendgrid.net.")
z.txt("_dmarc", "v=DMARC1; p=quarantine; rua=mailto:dmarc@northwind-traders.com")

# 5. fourthcoffee.com: Google plus Mailchimp (k2/k3), monitoring only.
z = customer("fourthcoffee.com", """
Google Workspace plus Mailchimp (k2/k3._domainkey CNAMEs to dkim2/dkim3.mcsv.net and
include:servers.mcsv.net); DMARC p=none with reports; a BIMI record without a certificate.""")
web(z)
mx(z, GOOGLE_MX)
z.txt("@", "v=spf1 include:_spf.google.com include:servers.mcsv.net ~all")
google_dkim(z)
z.rr("k2._domainkey", "CNAME", "dkim2.mcsv.net.")
z.rr("k3._domainkey", "CNAME", "dkim3.mcsv.net.")
z.txt("_dmarc", "v=DMARC1; p=none; rua=mailto:dmarc@fourthcoffee.com")
z.txt("default._bimi", "v=BIMI1; l=https://fourthcoffee.com/brand/logo.svg;")

# 6. blue-yonder-air.com: Google plus Amazon SES with a custom MAIL FROM.
z = customer("blue-yonder-air.com", """
Google Workspace plus Amazon SES: three Easy DKIM CNAMEs (<token>._domainkey → <token>.dkim.amazonses.com),
custom MAIL FROM mail.blue-yonder-air.com (MX feedback-smtp.us-east-1.amazonses.com,
include:amazonses.com), DMARC p=reject; sp=reject.""")
web(z)
mx(z, GOOGLE_MX)
z.txt("@", "v=spf1 include:_spf.google.com include:amazonses.com ~all")
google_dkim(z)
ses_dkim(z, ["xq4hz2d3tnl7rj5kfyq6vmwbe3cp4o2a", "n6dl3pbgxkh2cw4y7z5tqmrfj4e6sai2", "u7wkmq2rxz3ofhb5yd6cleg4tjn2pv5s"])
z.txt("_amazonses", "Jm2Pd4X6cQ0/dSg3rH8Yk1EwVbzqT9iAoLnUu5sKfRe=")
z.rr("mail", "MX", "10 feedback-smtp.us-east-1.amazonses.com.")
z.txt("mail", "v=spf1 include:amazonses.com ~all")
z.txt("_dmarc", "v=DMARC1; p=reject; sp=reject; rua=mailto:dmarc@blue-yonder-air.com")

# 7. litware-analytics.io: Mailgun for everything, with a legacy 1024-bit key.
z = customer("litware-analytics.io", """
Mailgun for sending and receiving: MX mxa/mxb.mailgun.org (both 10, as Mailgun says),
include:mailgun.org, krs._domainkey (RSA-2048) and the legacy mx._domainkey (RSA-1024),
email.<domain> tracking CNAME; DMARC p=quarantine with pct=25.""")
web(z)
mx(z, [(10, "mxa.mailgun.org."), (10, "mxb.mailgun.org.")])
z.txt("@", "v=spf1 include:mailgun.org ~all")
z.txt("krs._domainkey", dkim_rsa(key("litware-analytics-io-krs"), prefix="k=rsa; "))
z.txt("mx._domainkey", dkim_rsa(key("litware-analytics-io-mx", "rsa1024"), prefix="k=rsa; "))
z.rr("email", "CNAME", "mailgun.org.")
z.txt("_dmarc", "v=DMARC1; p=quarantine; pct=25; rua=mailto:postmaster@litware-analytics.io")

# 8. tailspin-toys.com: Google plus Postmark.
z = customer("tailspin-toys.com", """
Google Workspace plus Postmark: a dated selector 20240312153045pm._domainkey (TXT "k=rsa;p=…")
and pm-bounces CNAME pm.mtasv.net as the Return-Path domain.""")
web(z)
mx(z, GOOGLE_MX)
z.txt("@", "v=spf1 include:_spf.google.com ~all")
google_dkim(z)
z.txt("20240312153045pm._domainkey", dkim_rsa(key("tailspin-toys-com-postmark"), prefix="k=rsa;"))
z.rr("pm-bounces", "CNAME", "pm.mtasv.net.")
z.txt("_dmarc", "v=DMARC1; p=reject; rua=mailto:re+x7eh1fxh2ua@dmarc.postmarkapp.com")

# 9. adatum-health.com: Zoho Mail (zohomail.com), subdomain policy weaker.
z = customer("adatum-health.com", """
Zoho Mail: MX mx/mx2/mx3.zoho.com, include:zohomail.com, zmail._domainkey; DMARC p=quarantine
with sp=none (subdomains less protected than the domain).""")
web(z)
mx(z, ZOHO_MX)
z.txt("@", "v=spf1 include:zohomail.com ~all")
z.txt("@", "zoho-verification=zb41827365.zmverify.zoho.com")
z.txt("zmail._domainkey", dkim_rsa(key("adatum-health-com-zmail")))
z.txt("_dmarc", "v=DMARC1; p=quarantine; sp=none; rua=mailto:dmarc@adatum-health.com")

# 10. wide-world-importers.com: Zoho (legacy include) and two SPF records.
z = customer("wide-world-importers.com", """
Zoho Mail with the legacy include:zoho.com and a zoho._domainkey key; a second SPF record for
Google was added beside the first instead of merged (two v=spf1 TXT records).""")
web(z)
mx(z, ZOHO_MX)
z.txt("@", "v=spf1 include:zoho.com ~all")
z.txt("@", "v=spf1 include:_spf.google.com ~all")
z.txt("zoho._domainkey", dkim_rsa(key("wide-world-importers-com-zoho")))
z.txt("_dmarc", "v=DMARC1; p=quarantine; rua=mailto:dmarc@wide-world-importers.com")

# 11. wingtip-toys.org: a parked domain.
z = customer("wingtip-toys.org", """
Parked (M3AAWG): null MX (MX 0 .), v=spf1 -all, DMARC p=reject, no DKIM (_domainkey does not exist).""")
web(z)
z.rr("@", "MX", "0 .")
z.txt("@", "v=spf1 -all")
z.txt("_dmarc", "v=DMARC1; p=reject; rua=mailto:dmarc@acme-corp.com")
acme = zones["acme-corp.com."]
acme.txt("wingtip-toys.org._report._dmarc", "v=DMARC1;")

# 12. woodgrove-bank.com: a parked brand-protection domain with a revoked wildcard key.
z = customer("woodgrove-bank.com", """
A defensive registration: null MX, v=spf1 -all, DMARC p=reject; np=reject, and a wildcard
*._domainkey TXT "v=DKIM1; p=" that revokes every selector.""")
web(z)
z.rr("@", "MX", "0 .")
z.txt("@", "v=spf1 -all")
z.txt("*._domainkey", "v=DKIM1; p=")
z.txt("_dmarc", "v=DMARC1; p=reject; np=reject; rua=mailto:dmarc@woodgrove-bank.com")

# 13. proseware.net: MX target is a CNAME.
z = customer("proseware.net", """
Shared hosting: MX 10 mail.proseware.net, which is a CNAME to mx.hostingco.net (RFC 2181 §10.3);
v=spf1 mx include:_spf.hostingco.net -all; cPanel-style default._domainkey; DMARC p=none, no rua.""")
web(z)
mx(z, [(10, "mail.proseware.net.")])
z.rr("mail", "CNAME", "mx.hostingco.net.")
z.txt("@", "v=spf1 mx include:_spf.hostingco.net -all")
z.txt("default._domainkey", dkim_rsa(key("proseware-net-default")))
z.txt("_dmarc", "v=DMARC1; p=none")

# 14. margies-travel.com: self-hosted with a stale backup MX that has no address.
z = customer("margies-travel.com", """
Self-hosted mail: MX 10 mx1 (address, forward-confirmed PTR) and MX 20 mx2.margies-travel.com,
a retired backup whose name no longer exists; v=spf1 mx -all; mail._domainkey.""")
web(z)
host(z, "mx1", v4="customer4")
mx(z, [(10, "mx1.margies-travel.com."), (20, "mx2.margies-travel.com.")])
z.txt("@", "v=spf1 mx -all")
z.txt("mail._domainkey", dkim_rsa(key("margies-travel-com-mail")))
z.txt("_dmarc", "v=DMARC1; p=quarantine; rua=mailto:dmarc@margies-travel.com")

# 15/16. adventure-works.com and adventure-works.net: a rebrand with an apex DNAME.
z = customer("adventure-works.com", """
The new brand: Google Workspace, google._domainkey, DMARC p=reject. adventure-works.net DNAMEs to it.""")
web(z)
mx(z, GOOGLE_MX)
z.txt("@", "v=spf1 include:_spf.google.com -all")
google_dkim(z)
z.txt("_dmarc", "v=DMARC1; p=reject; rua=mailto:dmarc@adventure-works.com")
z = customer("adventure-works.net", """
The old brand: its own SOA, NS, MX and SPF at the apex, and DNAME adventure-works.com. (RFC 6672),
so _dmarc.adventure-works.net and google._domainkey.adventure-works.net are answered by the new
brand's records through a synthesized CNAME.""")
mx(z, GOOGLE_MX)
z.txt("@", "v=spf1 include:_spf.google.com -all")
z.rr("@", "DNAME", "adventure-works.com.")

# 17. lucerne-publishing.com: Microsoft 365, with a wildcard SPF below news.
z = customer("lucerne-publishing.com", """
Microsoft 365 at the apex (DMARC p=reject; sp=quarantine). news.lucerne-publishing.com sends
newsletters through SendGrid: its own MX, SPF and s1/s2 DKIM CNAMEs, plus a wildcard
*.news TXT "v=spf1 include:sendgrid.net -all" for per-campaign subdomains, which also answers
_dmarc.news, _mta-sts.news, _smtp._tls.news and default._bimi.news.""")
web(z)
mx(z, [(0, eop_mx("lucerne-publishing.com"))])
z.txt("@", "v=spf1 include:spf.protection.outlook.com -all")
m365_dkim_classic(z, "lucernepublishing")
z.txt("_dmarc", "v=DMARC1; p=reject; sp=quarantine; rua=mailto:dmarc@lucerne-publishing.com")
account = sendgrid_account(31877001, "wl042")
z.rr("news", "MX", "10 mx.sendgrid.net.")
z.txt("news", "v=spf1 include:sendgrid.net -all")
z.txt("*.news", "v=spf1 include:sendgrid.net -all")
z.rr("s1._domainkey.news", "CNAME", "s1.domainkey." + account)
z.rr("s2._domainkey.news", "CNAME", "s2.domainkey." + account)

# 18. müller-bäckerei.de (IDN) on shared hosting.
idn = "müller-bäckerei.de".encode("idna").decode()
z = customer(idn, f"""
müller-bäckerei.de ({idn}), an IDN on German shared hosting: MX mx00/mx01.hostingco.net,
include:_spf.hostingco.net, s1._domainkey; DMARC p=none with reports to its own domain.""")
web(z)
mx(z, [(10, "mx00.hostingco.net."), (20, "mx01.hostingco.net.")])
z.txt("@", "v=spf1 include:_spf.hostingco.net ~all")
z.txt("s1._domainkey", dkim_rsa(key("idn-s1")))
z.txt("_dmarc", f"v=DMARC1; p=none; rua=mailto:dmarc@{idn}")

# 19. fabrikam.com: an enterprise with an apex TXT RRset too big for UDP.
z = customer("fabrikam.com", """
An enterprise: Microsoft 365 MX and DKIM, an SPF record of ~1 KB (own /32s, Google, Microsoft,
SendGrid, Salesforce's exists: macro) split into 255-byte strings mid-token, among 20 verification
TXT records, so the apex TXT RRset is over 1,232 bytes (truncated over UDP, needs TCP);
DMARC p=reject with rua and ruf at the hosted-DMARC vendor; MTA-STS and TLS-RPT.""")
web(z)
mx(z, [(0, eop_mx("fabrikam.com"))])
own = " ".join(f"ip4:{take('own4')}" for _ in range(48))
z.txt("@", f"v=spf1 {own} include:_spf.google.com include:spf.protection.outlook.com include:sendgrid.net "
      "include:_spf.salesforce.com -all")
for token in [
    "google-site-verification=Vq1Gd8m3TzRkZx0QwYpLh7sA2cN5bJ9eF4uI6oK_T0E",
    "google-site-verification=sd81KqP0xYz3mN7bV2cR5tW9hJ4gF6dA1eL8oI0uQ2M",
    "MS=ms77120934", "apple-domain-verification=Fq2kT9xW1mR4zB7c",
    "facebook-domain-verification=8x2kq9zv1m4n7b3c6t0wyl5hr2jd8s",
    "atlassian-domain-verification=Zt3Y9pQ2mX8vW1kL5rB7nC4dF6gH0jS2aE9uI3oT6yR1qW8eR5tY2uI4oP7aS0d",
    "docusign=5f3a9c1e-7b2d-4e8f-a6c0-1d9b3e7f5a2c", "adobe-idp-site-verification=3c9e1a7f5b2d8e4a6c0f9b1d3e7a5c2f",
    "stripe-verification=9a1c3e5f7b2d4f6a8c0e1b3d5f7a9c2e4b6d8f0a1c3e5f7b9d2a4c6e8f0b1d3e5",
    "onetrust-domain-verification=6b2f8d4a0c9e7b5f3d1a8c6e4b2f0d9a", "zoom-domain-verification=7d3b9f5a-1c8e-4b6d-9f2a-5e7c3b1d8a0f",
    "slack-domain-verification=Kp4Xz9Qm2Vb7Nc1Rt5Wy8Hj3Lg6Fd0Sa",
    "globalsign-domain-verification=Vx8Kq2Mz5Nb9Rt3Wy7Hj1Lg4Fd6Sa0Pc3Xe5",
    "cisco-ci-domain-verification=1f7c3a9e5b2d8f4a6c0e9b3d7f1a5c2e8b4d6f0a3c9e1b7d5f2a8c4e6b0d9f3a",
    "miro-verification=3e8a1c6f9b4d2e7a5c0f8b3d6e1a9c4f7b2d5e0a",
    "hubspot-developer-verification=ZmFicmlrYW0uY29tOjE5ODc2NTQzMjE=",
    "have-i-been-pwned-verification=4a9c2e7f1b6d3a8c5e0f9b2d7a4c1e6f",
    "webexdomainverification.8YX6G=6c2e8a4f-0b9d-4c7e-a3f1-9d5b7e3c1a8f",
    "knowbe4-site-verification=8a3f1c7e5b9d2a6c4e0f8b1d",
    "v=verifydomain MS=ms77120934",
]:
    z.txt("@", token)
m365_dkim_classic(z, "fabrikamcorp")
z.rr("_dmarc", "CNAME", "fabrikam-com._dmarc.dmarc-provider.net.")
vendor.txt("fabrikam-com._dmarc",
           "v=DMARC1; p=reject; rua=mailto:rua@ag.dmarc-provider.net; ruf=mailto:ruf@ag.dmarc-provider.net; fo=1")
z.txt("_mta-sts", "v=STSv1; id=20251104093000")
host(z, "mta-sts", v4="customer4", ptr=False)
z.txt("_smtp._tls", "v=TLSRPTv1; rua=mailto:tlsrpt@fabrikam.com,https://tlsrpt.fabrikam.com/v1")

# 20. trey-research.net: one include too many.
z = customer("trey-research.net", """
Every tool the company ever used is still in SPF: Google, Microsoft 365, SendGrid, Mailchimp,
Mailgun and Zoho includes, 12 DNS lookups (over the limit of 10, RFC 7208 §4.6.4).""")
web(z)
mx(z, GOOGLE_MX)
z.txt("@", "v=spf1 include:_spf.google.com include:spf.protection.outlook.com include:sendgrid.net "
      "include:servers.mcsv.net include:mailgun.org include:zoho.com ~all")
google_dkim(z)
z.txt("_dmarc", "v=DMARC1; p=quarantine; rua=mailto:dmarc@trey-research.net")

# 21. tailwind-traders.com: _dmarc CNAME left dangling after leaving a DMARC vendor.
z = customer("tailwind-traders.com", """
Microsoft 365; _dmarc is still a CNAME to the DMARC vendor it left, whose record is gone
(the target does not exist), so no DMARC record applies.""")
web(z)
mx(z, [(0, eop_mx("tailwind-traders.com"))])
z.txt("@", "v=spf1 include:spf.protection.outlook.com -all")
m365_dkim_classic(z, "tailwindtraders")
z.rr("_dmarc", "CNAME", "tailwind-traders-com._dmarc.dmarc-provider.net.")

# 22. relecloud.com: one dangling DKIM selector CNAME; a vendor _dmarc CNAME.
z = customer("relecloud.com", """
Microsoft 365 where selector2._domainkey is a CNAME to a name that does not exist (the tenant
never published it); _dmarc is a CNAME to _dmarc.relecloud.com.hosted.dmarc-vendor.email.""")
web(z)
mx(z, [(0, eop_mx("relecloud.com"))])
z.txt("@", "v=spf1 include:spf.protection.outlook.com -all")
m365_dkim_classic(z, "relecloud", dangling=("selector2",))
z.rr("_dmarc", "CNAME", "_dmarc.relecloud.com.hosted.dmarc-vendor.email.")
vendor2.txt("_dmarc.relecloud.com.hosted", "v=DMARC1; p=reject; rua=mailto:agg@reports.dmarc-vendor.email")
vendor2.txt("relecloud.com._report._dmarc.reports", "v=DMARC1;")

# 23. brightside.co.uk and shop.brightside.co.uk: a .co.uk organization and a sending subdomain.
z = customer("brightside.co.uk", """
Google Workspace under a multi-label public suffix; DMARC p=reject; sp=quarantine. The shop
subdomain sends order mail through Mandrill (include:spf.mandrillapp.com, mandrill._domainkey.shop),
has no MX and no _dmarc record of its own: it inherits sp=quarantine from brightside.co.uk.""")
web(z)
mx(z, GOOGLE_MX)
z.txt("@", "v=spf1 include:_spf.google.com ~all")
google_dkim(z)
z.txt("_dmarc", "v=DMARC1; p=reject; sp=quarantine; rua=mailto:dmarc@brightside.co.uk")
z.rr("shop", "A", str(take("customer4")))
z.txt("shop", "v=spf1 include:spf.mandrillapp.com ~all")
z.txt("mandrill._domainkey.shop", dkim_rsa(key("brightside-shop-mandrill")))

# 24. coho-winery.com: GoDaddy email, nothing else.
z = customer("coho-winery.com", """
A small business on GoDaddy email: MX smtp/mailstore1.secureserver.net, include:secureserver.net;
no DKIM (_domainkey does not exist) and no DMARC.""")
web(z)
mx(z, [(0, "smtp.secureserver.net."), (10, "mailstore1.secureserver.net.")])
z.txt("@", "v=spf1 include:secureserver.net -all")

# 25. fabrikam-labs.dev: self-hosted, dual-signed RSA + Ed25519, DANE.
z = customer("fabrikam-labs.dev", """
Self-hosted Postfix + rspamd: MX mail.fabrikam-labs.dev with A, AAAA and forward-confirmed PTRs,
v=spf1 mx -all, dual DKIM signing (dkim._domainkey Ed25519, mail._domainkey RSA-2048),
DMARC p=reject, MTA-STS, TLS-RPT, a DANE TLSA record.""")
web(z)
host(z, "mail", v4="customer4", v6="customer6")
mx(z, [(10, "mail.fabrikam-labs.dev.")])
z.txt("@", "v=spf1 mx -all")
z.txt("dkim._domainkey", f"v=DKIM1; k=ed25519; p={key('fabrikam-labs-dev-ed25519', 'ed25519')}")
z.txt("mail._domainkey", dkim_rsa(key("fabrikam-labs-dev-rsa")))
z.txt("_dmarc", "v=DMARC1; p=reject; adkim=s; aspf=s; rua=mailto:dmarc@fabrikam-labs.dev")
z.txt("_mta-sts", "v=STSv1; id=2026011801")
host(z, "mta-sts", v4="customer4", ptr=False)
z.txt("_smtp._tls", "v=TLSRPTv1; rua=mailto:tlsrpt@fabrikam-labs.dev")
z.rr("_25._tcp.mail", "TLSA", "3 1 1 8d02536c887482bc34ff54e41d2ba659bf85b341a0a20afadb5813dcfbcf286d")

# 26. bellows-college.org: old self-hosted mail, reverse DNS missing or not confirmed.
z = customer("bellows-college.org", """
An old self-hosted setup: MX mx1 (address without PTR) and mx2 (a generic PTR
203-0-113-x.static.hostingco.net that does not resolve back); v=spf1 a mx ptr ~all;
DMARC p=none without rua; no DKIM.""")
web(z)
host(z, "mx1", v4="customer4", ptr=False)
address = take("customer4")
z.rr("mx2", "A", str(address))
ptrs[str(address)] = f"{str(address).replace('.', '-')}.static.hostingco.net."
mx(z, [(10, "mx1.bellows-college.org."), (20, "mx2.bellows-college.org.")])
z.txt("@", "v=spf1 a mx ptr ~all")
z.txt("_dmarc", "v=DMARC1; p=none")

# 27. alpine-ski-house.com: reports to an agency that has not authorized them.
z = customer("alpine-ski-house.com", """
Microsoft 365 plus SendGrid (include:sendgrid.net, s1/s2 CNAMEs); DMARC p=quarantine with rua to
its own domain and to a marketing agency that publishes no authorization record.""")
web(z)
mx(z, [(0, eop_mx("alpine-ski-house.com"))])
z.txt("@", "v=spf1 include:spf.protection.outlook.com include:sendgrid.net -all")
m365_dkim_classic(z, "alpineskihouse")
account = sendgrid_account(40219876, "wl233")
z.rr("s1._domainkey", "CNAME", "s1.domainkey." + account)
z.rr("s2._domainkey", "CNAME", "s2.domainkey." + account)
z.txt("_dmarc", "v=DMARC1; p=quarantine; rua=mailto:dmarc@alpine-ski-house.com,mailto:reports@agency-partner.com")

# 28. datum-corp.com: SPF by redirect=, DMARC in testing.
z = customer("datum-corp.com", """
Google Workspace; the apex SPF is v=spf1 redirect=_spf.datum-corp.com, which lists the office
range and includes Google; DMARC p=reject with t=y (RFC 9989 testing mode).""")
web(z)
mx(z, GOOGLE_MX)
z.txt("@", "v=spf1 redirect=_spf.datum-corp.com")
z.txt("_spf", f"v=spf1 ip4:{take('own4')}/32 include:_spf.google.com -all")
google_dkim(z)
z.txt("_dmarc", "v=DMARC1; p=reject; t=y; rua=mailto:dmarc@datum-corp.com")

# 29. southridge-video.com: Zoho plus Mailchimp's legacy k1.
z = customer("southridge-video.com", """
Zoho Mail (include:zohomail.com, zmail._domainkey) plus Mailchimp's legacy k1._domainkey CNAME
dkim.mcsv.net and include:servers.mcsv.net; DMARC p=quarantine.""")
web(z)
mx(z, ZOHO_MX)
z.txt("@", "v=spf1 include:zohomail.com include:servers.mcsv.net ~all")
z.txt("zmail._domainkey", dkim_rsa(key("southridge-video-com-zmail")))
z.rr("k1._domainkey", "CNAME", "dkim.mcsv.net.")
z.txt("_dmarc", "v=DMARC1; p=quarantine; rua=mailto:dmarc@southridge-video.com")

# 30. humongous-insurance.com: Microsoft 365 inbound, SendGrid's legacy smtpapi key.
z = customer("humongous-insurance.com", """
Microsoft 365 for people, SendGrid for the policy mailings with SendGrid's legacy selector
smtpapi._domainkey (TXT published by the customer); _dmarc CNAME to the hosted-DMARC vendor.""")
web(z)
mx(z, [(0, eop_mx("humongous-insurance.com"))])
z.txt("@", "v=spf1 include:spf.protection.outlook.com include:sendgrid.net -all")
z.txt("smtpapi._domainkey", dkim_rsa(key("humongous-insurance-com-smtpapi"), prefix="k=rsa; t=s; "))
z.rr("_dmarc", "CNAME", "humongous-insurance-com._dmarc.dmarc-provider.net.")
vendor.txt("humongous-insurance-com._dmarc", "v=DMARC1; p=reject; rua=mailto:rua@ag.dmarc-provider.net")

# --- Reverse DNS ------------------------------------------------------------------------------

for address, target in sorted(ptrs.items(), key=lambda item: (ipaddress.ip_address(item[0]).version, ipaddress.ip_address(item[0]))):
    ip = ipaddress.ip_address(address)
    if ip.version == 4:
        prefix = ".".join(address.split(".")[:3]) + "."
        zone = reverse_zones[prefix]
        zone.rr(ip.reverse_pointer + ".", "PTR", target)
    else:
        reverse6.rr(ip.reverse_pointer + ".", "PTR", target)

# --- Output -----------------------------------------------------------------------------------

os.makedirs(OUT, exist_ok=True)
for old in os.listdir(OUT):
    if old.endswith(".zone"):
        os.remove(os.path.join(OUT, old))
for zone in zones.values():
    zone.write()
with open(KEYS, "w") as f:
    json.dump(dict(sorted(keys.items())), f, indent=1)
    f.write("\n")
print(f"{len(zones)} zones written to {OUT}")
