#!/usr/bin/env python3
"""A scripted SMTP server for dnsaudit's probe tests: replays real Gmail and Microsoft 365 replies
and misbehaves on purpose. Loopback only, standard library only (asyncio, ssl).

    smtp_simulator.py --cert CERT --key KEY --ready FILE BEHAVIOUR=PORT ...

Behaviours:
  gmail              plain greeting, STARTTLS, Gmail's EHLO lines; AUTH gets 534-5.7.9 (App Password)
  gmail-implicit     the same with implicit TLS (Gmail's port 465)
  microsoft          Microsoft 365's greeting and EHLO; AUTH gets 535 5.7.139 (basic auth disabled)
  delay-N            gmail, with the greeting sent after N tenths of a second
  silent             accepts the connection and says nothing
  garbage            sends binary garbage
  longline           sends 10 MB without a line end
  injectable         gmail, but keeps what was sent after STARTTLS and runs it inside TLS
  blackhole          a listening socket whose accept queue is full: connections time out
When every port listens, "ready" is written to FILE. Each listener logs one line per command to
stderr (never the AUTH payload).
"""
import asyncio
import os
import socket
import ssl
import sys

GMAIL_GREETING = b"220 smtp.gmail.com ESMTP a640c23a62f3a-a9e1f0c2d3b4.45 - gsmtp\r\n"
GMAIL_EHLO_PLAIN = [
    "smtp.gmail.com at your service, [203.0.113.5]", "SIZE 35882577", "8BITMIME", "STARTTLS",
    "ENHANCEDSTATUSCODES", "PIPELINING", "CHUNKING", "SMTPUTF8",
]
GMAIL_EHLO_TLS = [
    "smtp.gmail.com at your service, [203.0.113.5]", "SIZE 35882577", "8BITMIME",
    "AUTH LOGIN PLAIN XOAUTH2 PLAIN-CLIENTTOKEN OAUTHBEARER XOAUTH", "ENHANCEDSTATUSCODES", "PIPELINING",
    "CHUNKING", "SMTPUTF8",
]
GMAIL_AUTH = (b"534-5.7.9 Application-specific password required. For more information, go to\r\n"
              b"534 5.7.9  https://support.google.com/mail/?p=InvalidSecondFactor a640c23a62f3a-a9e1f0c2d3b4.45 - gsmtp\r\n")
GMAIL_XOAUTH2_CHALLENGE = (b"334 eyJzdGF0dXMiOiI0MDAiLCJzY2hlbWVzIjoiQmVhcmVyIiwic2NvcGUiOiJodHRwczovL21haWwuZ29vZ2xlLmNvbS8ifQ==\r\n")
GMAIL_BAD_CREDENTIALS = (b"535-5.7.8 Username and Password not accepted. For more information, go to\r\n"
                         b"535 5.7.8  https://support.google.com/mail/?p=BadCredentials a640c23a62f3a-a9e1f0c2d3b4.45 - gsmtp\r\n")
MS_GREETING = (b"220 BN0PR04CA0123.outlook.office365.com Microsoft ESMTP MAIL Service ready at "
               b"Thu, 3 Dec 2026 14:00:00 +0000 08DE1C2B3A4F5E6D\r\n")
MS_EHLO_PLAIN = [
    "BN0PR04CA0123.outlook.office365.com Hello [203.0.113.5]", "SIZE 157286400", "PIPELINING", "DSN",
    "ENHANCEDSTATUSCODES", "STARTTLS", "8BITMIME", "BINARYMIME", "CHUNKING", "SMTPUTF8",
]
MS_EHLO_TLS = [
    "BN0PR04CA0123.outlook.office365.com Hello [203.0.113.5]", "SIZE 157286400", "PIPELINING", "DSN",
    "ENHANCEDSTATUSCODES", "AUTH LOGIN XOAUTH2", "8BITMIME", "BINARYMIME", "CHUNKING", "SMTPUTF8",
]
MS_AUTH = (b"535 5.7.139 Authentication unsuccessful, basic authentication is disabled. "
           b"[BN0PR04CA0123.namprd04.prod.outlook.com 2026-12-03T14:00:01.234Z 08DE1C2B3A4F5E6D]\r\n")


def multiline(code, lines):
    out = b""
    for index, line in enumerate(lines):
        sep = " " if index == len(lines) - 1 else "-"
        out += f"{code}{sep}{line}\r\n".encode()
    return out


def log(name, text):
    print(f"{name}: {text}", file=sys.stderr, flush=True)


class Dialogue:
    def __init__(self, name, context, provider="gmail", implicit=False, delay=0.0, injectable=False):
        self.name, self.context, self.provider = name, context, provider
        self.implicit, self.delay, self.injectable = implicit, delay, injectable

    async def __call__(self, reader, writer):
        try:
            await self.run(reader, writer)
        except (ConnectionError, ssl.SSLError, asyncio.IncompleteReadError, OSError) as error:
            log(self.name, f"connection ended: {error.__class__.__name__}")
        finally:
            writer.close()

    async def run(self, reader, writer):
        ms = self.provider == "microsoft"
        tls = self.implicit
        if self.delay:
            await asyncio.sleep(self.delay)
        writer.write(MS_GREETING if ms else GMAIL_GREETING)
        await writer.drain()
        while True:
            line = await reader.readline()
            if not line:
                return
            command = line.decode("latin-1").strip()
            verb = command.split(" ")[0].upper()
            log(self.name, "AUTH …" if verb == "AUTH" else command)
            if verb in ("EHLO", "HELO"):
                lines = (MS_EHLO_TLS if tls else MS_EHLO_PLAIN) if ms else (GMAIL_EHLO_TLS if tls else GMAIL_EHLO_PLAIN)
                writer.write(multiline(250, lines))
            elif verb == "STARTTLS" and not tls:
                writer.write(b"220 2.0.0 Ready to start TLS\r\n")
                await writer.drain()
                if not self.injectable:
                    # RFC 3207 §4.2: discard what the client sent before the handshake.
                    reader._buffer.clear()
                await writer.start_tls(self.context)
                tls = True
                continue
            elif verb == "AUTH":
                mechanism = command.split(" ")[1].upper() if " " in command else ""
                if not tls:
                    writer.write(b"530 5.7.0 Must issue a STARTTLS command first. - gsmtp\r\n")
                elif mechanism == "LOGIN":
                    # The prompts of RFC 4954 §4 (base64 "Username:", "Password:"); the answers are not logged.
                    for prompt in (b"334 VXNlcm5hbWU6\r\n", b"334 UGFzc3dvcmQ6\r\n"):
                        writer.write(prompt)
                        await writer.drain()
                        await reader.readline()
                    writer.write(MS_AUTH if ms else GMAIL_AUTH)
                elif mechanism == "XOAUTH2" and not ms:
                    # Gmail's rejected token: 334 with a base64 JSON error, then 535 after the client's empty line.
                    writer.write(GMAIL_XOAUTH2_CHALLENGE)
                    await writer.drain()
                    await reader.readline()
                    writer.write(GMAIL_BAD_CREDENTIALS)
                else:
                    writer.write(MS_AUTH if ms else GMAIL_AUTH)
            elif verb == "NOOP":
                writer.write(b"250 2.0.0 OK - gsmtp\r\n")
            elif verb == "QUIT":
                writer.write(b"221 2.0.0 closing connection - gsmtp\r\n")
                await writer.drain()
                return
            else:
                writer.write(b"502 5.5.1 Unrecognized command. - gsmtp\r\n")
            await writer.drain()


async def silent(reader, writer):
    await asyncio.sleep(3600)


async def garbage(reader, writer):
    writer.write(bytes(range(256)) * 4 + b"\r\n")
    await writer.drain()
    await asyncio.sleep(3600)


async def longline(reader, writer):
    chunk = b"2" * 65536
    try:
        for _ in range(160):  # 10 MB, no line end
            writer.write(chunk)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    await asyncio.sleep(3600)


def blackhole(port):
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    server.bind(("127.0.0.1", port))
    server.listen(0)
    fillers = []
    for _ in range(4):  # fill the accept queue; later SYNs are dropped
        client = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        client.setblocking(False)
        try:
            client.connect(("127.0.0.1", port))
        except BlockingIOError:
            pass
        fillers.append(client)
    return [server] + fillers


async def main():
    args = sys.argv[1:]
    cert = key = ready = None
    listeners = []
    while args:
        arg = args.pop(0)
        if arg == "--cert":
            cert = args.pop(0)
        elif arg == "--key":
            key = args.pop(0)
        elif arg == "--ready":
            ready = args.pop(0)
        else:
            behaviour, port = arg.rsplit("=", 1)
            listeners.append((behaviour, int(port)))
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    keep = []
    for behaviour, port in listeners:
        name = f"{behaviour}:{port}"
        tls = None
        if behaviour == "blackhole":
            continue  # after the servers: its filler connections take ephemeral ports
        if behaviour == "silent":
            handler = silent
        elif behaviour == "garbage":
            handler = garbage
        elif behaviour == "longline":
            handler = longline
        elif behaviour == "gmail":
            handler = Dialogue(name, context)
        elif behaviour == "gmail-implicit":
            handler, tls = Dialogue(name, context, implicit=True), context
        elif behaviour == "microsoft":
            handler = Dialogue(name, context, provider="microsoft")
        elif behaviour == "injectable":
            handler = Dialogue(name, context, injectable=True)
        elif behaviour.startswith("delay-"):
            handler = Dialogue(name, context, delay=int(behaviour[6:]) / 10)
        else:
            sys.exit(f"unknown behaviour {behaviour}")
        keep.append(await asyncio.start_server(handler, "127.0.0.1", port, ssl=tls, reuse_address=True))
    for behaviour, port in listeners:
        if behaviour == "blackhole":
            keep.append(blackhole(port))
    with open(ready + ".tmp", "w") as f:
        f.write("ready\n")
    os.rename(ready + ".tmp", ready)
    await asyncio.Event().wait()


asyncio.run(main())
