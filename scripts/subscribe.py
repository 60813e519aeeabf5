#!/usr/bin/env python3
"""A command-line GraphQL subscription client (graphql-transport-ws), with
the Python standard library only: no websocat, no node.

    python3 scripts/subscribe.py --token "$TOKEN" [--url ws://127.0.0.1:8080/graphql] \
        [--count N] 'subscription { callReceived { position id channel } }'

Prints each update's payload (`{"data": ...}`) as one JSON line, in order.
Stops after N updates (default: never), when the server completes the
subscription (exit 0), on an `error` message (printed as {"errors": [...]},
exit 1), or when the server closes the socket (its code and reason on
stderr, exit 2). To resume after a disconnect, pass the `position` of the
last update seen as the field's `after` argument.
"""

import argparse
import base64
import json
import os
import socket
import struct
import sys
import urllib.parse


def handshake(url):
    parts = urllib.parse.urlsplit(url)
    if parts.scheme != "ws":
        sys.exit("only ws:// URLs (no TLS in the standard library's plain sockets here)")
    host, port = parts.hostname, parts.port or 80
    sock = socket.create_connection((host, port))
    key = base64.b64encode(os.urandom(16)).decode()
    request = (
        f"GET {parts.path or '/'} HTTP/1.1\r\nHost: {host}:{port}\r\n"
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
        "Sec-WebSocket-Protocol: graphql-transport-ws\r\n\r\n"
    )
    sock.sendall(request.encode())
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = sock.recv(1)
        if not chunk:
            sys.exit("the server closed the connection during the handshake")
        head += chunk
    status = head.split(b"\r\n", 1)[0]
    if b" 101 " not in status + b" ":
        sys.exit(f"no WebSocket upgrade: {status.decode(errors='replace')}")
    return sock


def send(sock, message):
    """One masked text frame, as a client must send."""
    data = json.dumps(message).encode()
    header = bytes([0x81])
    if len(data) < 126:
        header += bytes([0x80 | len(data)])
    elif len(data) < 1 << 16:
        header += bytes([0x80 | 126]) + struct.pack("!H", len(data))
    else:
        header += bytes([0x80 | 127]) + struct.pack("!Q", len(data))
    mask = os.urandom(4)
    sock.sendall(header + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(data)))


def read_exactly(sock, n):
    data = b""
    while len(data) < n:
        chunk = sock.recv(n - len(data))
        if not chunk:
            raise EOFError
        data += chunk
    return data


def receive(sock):
    """The next message: ("text", str) or ("close", code, reason). Answers pings."""
    message = b""
    while True:
        first, second = read_exactly(sock, 2)
        opcode, length = first & 0x0F, second & 0x7F
        if length == 126:
            length = struct.unpack("!H", read_exactly(sock, 2))[0]
        elif length == 127:
            length = struct.unpack("!Q", read_exactly(sock, 8))[0]
        payload = read_exactly(sock, length)
        if opcode == 0x8:
            code = struct.unpack("!H", payload[:2])[0] if len(payload) >= 2 else 1005
            return ("close", code, payload[2:].decode(errors="replace"))
        if opcode == 0x9:  # ping: pong with the same payload
            mask = os.urandom(4)
            sock.sendall(bytes([0x8A, 0x80 | len(payload)]) + mask
                         + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))
            continue
        if opcode in (0x1, 0x0, 0x2):
            message += payload
            if first & 0x80:
                return ("text", message.decode())


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("query")
    parser.add_argument("--url", default="ws://127.0.0.1:8080/graphql")
    parser.add_argument("--token", required=True)
    parser.add_argument("--variables", default="{}", help="JSON object")
    parser.add_argument("--count", type=int, default=0, help="stop after N updates")
    args = parser.parse_args()
    url = args.url.replace("http://", "ws://", 1)
    sock = handshake(url)
    send(sock, {"type": "connection_init", "payload": {"Authorization": f"Bearer {args.token}"}})
    seen = 0
    while True:
        try:
            frame = receive(sock)
        except EOFError:
            sys.exit("the connection ended")
        if frame[0] == "close":
            print(f"closed by the server: {frame[1]} {frame[2]}", file=sys.stderr)
            sys.exit(2)
        message = json.loads(frame[1])
        kind = message.get("type")
        if kind == "connection_ack":
            send(sock, {"id": "1", "type": "subscribe",
                        "payload": {"query": args.query, "variables": json.loads(args.variables)}})
        elif kind == "ping":
            send(sock, {"type": "pong"})
        elif kind == "next":
            print(json.dumps(message["payload"], ensure_ascii=False), flush=True)
            seen += 1
            if args.count and seen >= args.count:
                send(sock, {"id": "1", "type": "complete"})
                return
        elif kind == "error":
            print(json.dumps({"errors": message["payload"]}, ensure_ascii=False), flush=True)
            sys.exit(1)
        elif kind == "complete":
            return


if __name__ == "__main__":
    main()
