#!/usr/bin/python3
"""A scripted SMTP server on 127.0.0.1 for the bounce tests (asyncio, no dependencies).

    scripted-smtp.py PORT OUTDIR

Replies by recipient local part, as Gmail words them:
  dmarc-fail…    550 5.7.26 (DMARC)       at RCPT
  rate-limited…  421 4.7.28 (rate limit)  at RCPT
  anything else  250, and the message is saved as OUTDIR/NNN.eml (the bounces Postfix sends back).
"""
import asyncio
import os
import sys

port = int(sys.argv[1])
outdir = sys.argv[2]
count = 0


async def handle(reader, writer):
    global count

    def send(line):
        writer.write((line + "\r\n").encode())

    send("220 mx.receiver.test ESMTP scripted")
    recipients = []
    while True:
        line = await reader.readline()
        if not line:
            break
        command = line.decode("latin-1").strip()
        upper = command.upper()
        if upper.startswith("EHLO") or upper.startswith("HELO"):
            send("250-mx.receiver.test")
            send("250 8BITMIME")
        elif upper.startswith("MAIL"):
            recipients = []
            send("250 2.1.0 OK")
        elif upper.startswith("RCPT"):
            address = command.split(":", 1)[1].strip().strip("<>").split(">")[0].lower()
            if address.startswith("dmarc-fail"):
                send("550-5.7.26 Unauthenticated email from sender.test is not accepted due to domain's")
                send("550-5.7.26 DMARC policy. Please contact the administrator of sender.test domain if")
                send("550 5.7.26 this was a legitimate mail. a1si123 - gsmtp")
            elif address.startswith("rate-limited"):
                send("421-4.7.28 Our system has detected an unusual rate of unsolicited mail originating")
                send("421 4.7.28 from your IP address. a1si124 - gsmtp")
            else:
                recipients.append(address)
                send("250 2.1.5 OK")
        elif upper == "DATA":
            if not recipients:
                send("503 5.5.1 No recipients")
                await writer.drain()
                continue
            send("354 Go ahead")
            await writer.drain()
            data = b""
            while True:
                chunk = await reader.readline()
                if not chunk or chunk in (b".\r\n", b".\n"):
                    break
                if chunk.startswith(b".."):
                    chunk = chunk[1:]
                data += chunk
            count += 1
            path = os.path.join(outdir, "%03d.eml" % count)
            with open(path + ".tmp", "wb") as f:
                f.write(data)
            os.rename(path + ".tmp", path)
            send("250 2.0.0 OK queued")
        elif upper == "QUIT":
            send("221 2.0.0 Bye")
            await writer.drain()
            break
        else:
            send("250 OK")
        await writer.drain()
    writer.close()


async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", port)
    async with server:
        await server.serve_forever()


asyncio.run(main())
