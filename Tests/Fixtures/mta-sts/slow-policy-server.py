#!/usr/bin/env python3
"""A TLS server for the MTA-STS fetch tests (TestSupport/NginxServer.swift, SlowPolicyServer).

Usage: slow-policy-server.py PORT CERT KEY MODE BODYFILE
  trickle  answer 200 text/plain with no Content-Length, then one body byte every 0.5 s, never closing
  chunked  answer 200 text/plain with Transfer-Encoding: chunked (the body in 3 chunks), then close
  garbage  answer, over TLS, something that is not HTTP, then close
  plain    speak no TLS: answer the ClientHello with a plaintext HTTP 400, then close
Listens on 127.0.0.1 only; one thread per connection.
"""
import socket, ssl, sys, threading, time

port, cert, key, mode, body_file = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
body = open(body_file, "rb").read()
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)

def read_request(conn):
    data = b""
    while b"\r\n\r\n" not in data and len(data) < 16384:
        chunk = conn.recv(4096)
        if not chunk:
            break
        data += chunk

def serve(raw):
    try:
        if mode == "plain":
            raw.recv(4096)
            raw.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
            raw.close()
            return
        conn = context.wrap_socket(raw, server_side=True)
        read_request(conn)
        if mode == "trickle":
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n")
            while True:
                conn.sendall(b"v")
                time.sleep(0.5)
        elif mode == "garbage":
            conn.sendall(b"SSH-2.0-OpenSSH_9.2\r\n\r\n")
            # Half-close, then drain until the client closes: closing with its bytes (a TLS
            # alert, say) unread would reset the connection, and the client could see the reset
            # before the garbage.
            conn.shutdown(socket.SHUT_WR)
            conn.settimeout(5)
            try:
                while conn.recv(4096):
                    pass
            except (OSError, ssl.SSLError):
                pass
            conn.close()
        else:
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain; charset=utf-8\r\nTransfer-Encoding: chunked\r\n\r\n")
            third = max(1, len(body) // 3)
            for part in (body[:third], body[third:2 * third], body[2 * third:]):
                if part:
                    conn.sendall(b"%x;ext=1\r\n" % len(part) + part + b"\r\n")
            conn.sendall(b"0\r\n\r\n")
            conn.close()
    except (OSError, ssl.SSLError):
        pass

server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
server.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
server.bind(("127.0.0.1", port))
server.listen(16)
while True:
    raw, _ = server.accept()
    threading.Thread(target=serve, args=(raw,), daemon=True).start()
