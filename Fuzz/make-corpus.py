#!/usr/bin/python3
"""Builds Fuzz/Corpus/<Target>/ (the seed corpus of each libFuzzer target) from Tests/Fixtures.

Run it again when the fixtures change; the output is committed so CI needs nothing but the
toolchain. Needs python3-yaml and python3-dnspython (scripts/install-deps --test installs the
latter; apt-get install python3-yaml for the former).

    Fuzz/make-corpus.py            # rewrites Fuzz/Corpus
"""
import glob, hashlib, json, os, re, shutil, sys

import yaml
import dns.flags, dns.message, dns.name, dns.rcode, dns.rdataclass, dns.rdatatype, dns.rrset, dns.zone

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIX = os.path.join(ROOT, "Tests", "Fixtures")
OUT = os.path.join(ROOT, "Fuzz", "Corpus")
MAX_SEEDS = 400  # per target: enough shapes, small enough to keep the smoke run's start-up short

corpus = {}


def add(target, data):
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    if not data or len(data) > 65536:
        return
    corpus.setdefault(target, {})[hashlib.sha1(data).hexdigest()] = data


def files(pattern):
    return sorted(glob.glob(os.path.join(FIX, pattern), recursive=True))


def read(path):
    with open(path, "rb") as f:
        return f.read()


# Zone files: whole files for the zone reader; every TXT for the record parsers.
txts = []
for path in files("**/*.zone") + files("../Fixtures/hostile/**/*.zone"):
    data = read(path)
    add("FuzzZoneFile", data)
    for line in data.decode("utf-8", "replace").splitlines():
        m = re.search(r"\sTXT\s+(.*)$", line)
        if m:
            txts.append("".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1))))

# The RFC 7208 suite: every SPF/TXT string, every explanation.
def walk(node):
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("SPF", "TXT"):
                for item in value if isinstance(value, list) else [value]:
                    if isinstance(item, str):
                        txts.append(item)
                    elif isinstance(item, list):
                        txts.append("".join(x for x in item if isinstance(x, str)))
            elif key == "explanation" and isinstance(value, str):
                add("FuzzSPFMacro", value)
            else:
                walk(value)
    elif isinstance(node, list):
        for item in node:
            walk(item)

for doc in yaml.safe_load_all(read(os.path.join(FIX, "spf", "rfc7208-tests.yml"))):
    walk(doc)

dkim_keys = []
for line in read(os.path.join(FIX, "dkim/rfc8463-appendix-a/dns-txt-records.txt")).decode().splitlines():
    if " " in line:
        dkim_keys.append(line.split(" ", 1)[1])
for path in files("dkim/**/*.dns") + files("dkim/**/*.txt"):
    text = read(path).decode("utf-8", "replace").strip()
    if "p=" in text and len(text) < 4000:
        dkim_keys.append(text)

for text in txts:
    if text.lower().startswith("v=spf1"):
        add("FuzzSPFRecord", text)
        for spec in re.findall(r"[:=](\S*%\{\S*)", text):
            add("FuzzSPFMacro", spec)
    if text.startswith("v=DMARC1"):
        add("FuzzDMARCRecord", text)
        add("FuzzTagList", text)
    if "p=" in text and ("k=" in text or "DKIM1" in text):
        dkim_keys.append(text)

for case in json.loads(read(os.path.join(FIX, "dmarc/dmarc-record-parse-cases.json")))["cases"]:
    add("FuzzDMARCRecord", case["record"])
    add("FuzzTagList", case["record"])

for key in dkim_keys:
    add("FuzzDKIMKeyRecord", key)
    add("FuzzTagList", key)

# Messages, and the DKIM-Signature values in them (unfolded as the verifier sees them).
for path in files("dkim/**/*.eml") + files("dkim/**/*.msg") + files("dkim/**/*.message") + files("dkim/**/*.mbox"):
    data = read(path)
    add("FuzzMailMessage", data)
    header = data.replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]
    for m in re.finditer(rb"^DKIM-Signature:(.*(?:\n[ \t].*)*)", header, re.M | re.I):
        value = m.group(1).decode("utf-8", "replace")
        add("FuzzDKIMSignature", value)
        add("FuzzDKIMSignature", re.sub(r"\r?\n", "\r\n", value))
        add("FuzzTagList", value)
for case in json.loads(read(os.path.join(FIX, "dkim/canonicalization/canonicalization-cases.json"))).get("cases", []):
    for key in ("message", "input", "raw"):
        if isinstance(case.get(key), str):
            add("FuzzMailMessage", case[key])

# Macro strings: the RFC 7208 §7.4 examples, with and without a hostile sender after a NUL.
for spec in ["%{s}", "%{o}", "%{d}", "%{d4}", "%{d3}", "%{d2}", "%{d1}", "%{dr}", "%{d2r}", "%{l}", "%{l-}",
             "%{lr}", "%{lr-}", "%{l1r-}", "%{ir}.%{v}._spf.%{d}", "%{lr-}.lp._spf.%{d2}",
             "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", "%{d2}.trusted-domains.example.net",
             "%{ir}.%{v}._spf.%{d2}", "%{c} is not one of %{d}'s designated mail servers.", "%%%_%-%{p}%{r}%{t}%{h}"]:
    add("FuzzSPFMacro", spec)
    add("FuzzSPFMacro", spec + "\0" + "user.name+tag@sub.example.com")

# DNS replies on the wire: every RRset of the fixture zones as an answer, with the SOA as
# authority; NXDOMAIN and NODATA shapes; a CNAME chain; a truncated reply.
def zone_replies(path):
    origin = os.path.basename(path)[:-5] + "."
    try:
        zone = dns.zone.from_file(path, origin=origin, relativize=False, check_origin=False)
    except Exception as error:  # a hostile zone dnspython will not read
        print(f"skip {path}: {error}", file=sys.stderr)
        return
    soa = zone.get_rdataset(origin, "SOA")
    count = 0
    for name, node in zone.nodes.items():
        for rdataset in node.rdatasets:
            query = dns.message.make_query(name, rdataset.rdtype, use_edns=True)
            query.id = 0x1234
            reply = dns.message.make_response(query)
            reply.answer.append(dns.rrset.from_rdata_list(name, rdataset.ttl, list(rdataset)))
            if soa is not None:
                reply.authority.append(dns.rrset.from_rdata_list(dns.name.from_text(origin), soa.ttl, list(soa)))
            add("FuzzDNSWire", reply.to_wire(max_size=65535))
            count += 1
            if count > 60:
                return
    query = dns.message.make_query("nowhere." + origin, "TXT")
    reply = dns.message.make_response(query)
    reply.set_rcode(dns.rcode.NXDOMAIN)
    if soa is not None:
        reply.authority.append(dns.rrset.from_rdata_list(dns.name.from_text(origin), soa.ttl, list(soa)))
    add("FuzzDNSWire", reply.to_wire())
    reply.set_rcode(dns.rcode.NOERROR)
    add("FuzzDNSWire", reply.to_wire())
    reply.flags |= dns.flags.TC
    add("FuzzDNSWire", reply.to_wire())

for path in files("**/*.zone"):
    zone_replies(path)

# Messages and bounces (issue 16): whole files for the bounce reader; every Received and
# (ARC-)Authentication-Results value, unfolded, for their parsers; the Received block for the chain.
for path in files("headers/*.eml") + files("bounces/**/*.eml"):
    data = read(path)
    add("FuzzBounce", data)
    text = data.decode("utf-8", "replace").replace("\r\n", "\n")
    fields = re.findall(r"^([A-Za-z-]+):(.*(?:\n[ \t].*)*)", text, re.M)
    received = []
    for name, value in fields:
        value = re.sub(r"\n[ \t]", " ", value).strip()
        if name.lower() == "received":
            add("FuzzReceived", value)
            received.append("Received: " + value)
        elif name.lower() in ("authentication-results", "arc-authentication-results"):
            add("FuzzAuthenticationResults", value)
    if received:
        add("FuzzReceived", "\r\n".join(received) + "\r\n\r\n")

shutil.rmtree(OUT, ignore_errors=True)
for target, seeds in sorted(corpus.items()):
    os.makedirs(os.path.join(OUT, target))
    for digest, data in sorted(seeds.items())[:MAX_SEEDS]:
        with open(os.path.join(OUT, target, digest), "wb") as f:
            f.write(data)
    print(f"{target}: {min(len(seeds), MAX_SEEDS)} seeds")
