#!/usr/bin/env python3
"""Bulk-transfer rate check for the testbed: `bulk.py serve ADDR PORT` (one connection at a
time: reads an 8-byte header "U<n>" / "D<n>", then either swallows n bytes and answers "ok",
or sends n bytes), `bulk.py up|down HOST PORT BYTES` prints the achieved kbit/s (payload
bytes * 8 / seconds from the first byte sent to the last byte acknowledged/received)."""
import socket
import struct
import sys
import time


def recv_exact(conn, n):
    got = 0
    while got < n:
        chunk = conn.recv(min(1 << 16, n - got))
        if not chunk:
            raise SystemExit("bulk: connection closed early")
        got += len(chunk)


def serve(addr, port):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((addr, port))
    srv.listen(4)
    while True:
        conn, _ = srv.accept()
        with conn:
            head = b""
            while len(head) < 9:
                chunk = conn.recv(9 - len(head))
                if not chunk:
                    break
                head += chunk
            if len(head) < 9:
                continue
            kind, n = head[:1], struct.unpack("<Q", head[1:])[0]
            if kind == b"U":
                recv_exact(conn, n)
                conn.sendall(b"ok")
            elif kind == b"D":
                block = bytes(1 << 16)
                left = n
                while left > 0:
                    sent = conn.send(block[: min(left, len(block))])
                    left -= sent


def client(kind, host, port, n):
    conn = socket.create_connection((host, port), timeout=120)
    with conn:
        if kind == "up":
            conn.sendall(b"U" + struct.pack("<Q", n))
            block = bytes(1 << 16)
            start = time.monotonic()
            left = n
            while left > 0:
                left -= conn.send(block[: min(left, len(block))])
            recv_exact(conn, 2)
        else:
            conn.sendall(b"D" + struct.pack("<Q", n))
            start = time.monotonic()
            recv_exact(conn, n)
        seconds = time.monotonic() - start
    print(f"{n * 8 / 1000 / seconds:.1f}")


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "serve":
        serve(sys.argv[2], int(sys.argv[3]))
    elif len(sys.argv) == 5 and sys.argv[1] in ("up", "down"):
        client(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        raise SystemExit(__doc__)
