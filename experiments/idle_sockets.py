#!/usr/bin/env python3
"""A good client's latency against edgent-serve, without and then with idle sockets held open.

Starts the real edgent-serve on loopback (a free port), times REQUESTS keep-alive requests of
one client (GET /v1/model: accept, parse, route, token check and answer, without a worker),
then opens IDLE connections that never send a byte and times the same requests again. Prints
p50/p99 of both, their ratio, and how many idle connections the server closed to stay within
--max-connections. Exits 1 when a request of the good client fails.

Usage: experiments/idle_sockets.py BUILD_DIR [IDLE=2000] [REQUESTS=2000] [-- SERVE_ARGS...]
"""
import http.client
import os
import socket
import subprocess
import sys
import tempfile
import time


def quantile(values, q):
    xs = sorted(values)
    h = (len(xs) - 1) * q
    lo = int(h)
    hi = min(lo + 1, len(xs) - 1)
    return xs[lo] + (h - lo) * (xs[hi] - xs[lo])


def time_requests(port, n):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    out = []
    for _ in range(n):
        t = time.perf_counter()
        conn.request("GET", "/v1/model")
        r = conn.getresponse()
        r.read()
        if r.status != 200:
            raise SystemExit(f"idle_sockets: the good client got {r.status}")
        out.append((time.perf_counter() - t) * 1000.0)
    conn.close()
    return out


def main():
    args = sys.argv[1:]
    serve_args = []
    if "--" in args:
        serve_args = args[args.index("--") + 1:]
        args = args[:args.index("--")]
    build = args[0] if args else "build"
    idle_n = int(args[1]) if len(args) > 1 else 2000
    requests = int(args[2]) if len(args) > 2 else 2000
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    model = os.path.join(root, "models", "branchy-alexnet-fmnist.json")
    with tempfile.TemporaryDirectory() as tmp:
        port_file = os.path.join(tmp, "port")
        server = subprocess.Popen([os.path.join(build, "cmd", "edgent-serve"), "-m", model,
                                   "--port", "0", "--port-file", port_file, "--quiet"]
                                  + serve_args)
        try:
            for _ in range(600):
                if os.path.exists(port_file):
                    break
                time.sleep(0.05)
            port = int(open(port_file).read())
            time_requests(port, 200)  # warm-up
            quiet = time_requests(port, requests)
            idle = []
            for _ in range(idle_n):
                s = socket.create_connection(("127.0.0.1", port))
                idle.append(s)
            time.sleep(0.5)
            loaded = time_requests(port, requests)
            closed = 0
            for s in idle:
                s.setblocking(False)
                try:
                    closed += s.recv(1, socket.MSG_PEEK) == b""
                except (BlockingIOError, ConnectionResetError) as e:
                    closed += isinstance(e, ConnectionResetError)
            for s in idle:
                s.close()
        finally:
            server.terminate()
            server.wait(timeout=30)
    q50, q99 = quantile(quiet, 0.5), quantile(quiet, 0.99)
    l50, l99 = quantile(loaded, 0.5), quantile(loaded, 0.99)
    print(f"requests {requests} each; idle sockets {idle_n} (closed by the server: {closed})")
    print(f"no idle sockets:   p50 {q50:.3f} ms  p99 {q99:.3f} ms")
    print(f"{idle_n} idle sockets: p50 {l50:.3f} ms  p99 {l99:.3f} ms")
    print(f"p99 ratio {l99 / q99:.2f} (target < 2)")


if __name__ == "__main__":
    main()
