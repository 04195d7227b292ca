#!/usr/bin/python3
"""The peer bench/overhead_bench.sh measures beside edgent: split inference as the open-source
re-implementations of Neurosurgeon do it. PyTorch runs the head on the device, the cut's tensor
is pickled and sent over a plain TCP socket with a length prefix, the server unpickles it, runs
the tail, and pickles the answer back. Our own small implementation, written to give the peer
its best case: one kept-alive connection, TCP_NODELAY on both sides, the length prefix and the
pickle in one send, one PyTorch thread on each side.

The model is bench/overhead_model.cpp's in PyTorch (the same layers and shapes, seeded random
weights: the metric subtracts the compute). Layer cut 0 sends the [1,1,28,28] input, layer cut 2 (edgent's unit cut 1) the
[1,192,28,28] output of relu1.

  overhead_peer.py serve --port-file FILE          # the edge: serves until killed
  overhead_peer.py run --port P --cut C --count N  # the device: prints one JSON line

The device's figure is the same as edgent's run summary's "overhead": per request, end-to-end
time minus the head's compute minus the server's time for the request (from having its bytes to
having the reply's: unpickle, tail, pickle, as edgent's X-Edgent-Compute-Ms spans decode, tail,
encode); the median over N requests after 20 unmeasured ones.
"""

import argparse
import json
import os
import pickle
import socket
import statistics
import struct
import sys
import time

try:
    import torch
    from torch import nn
except ImportError:
    print("overhead_peer: PyTorch is not installed (Debian package python3-torch)", file=sys.stderr)
    sys.exit(3)

PREFIX = struct.Struct(">Q")


def make_model():
    """bench/overhead_model.cpp's net as a list of layers (cuts index into it)."""
    torch.manual_seed(1)
    return nn.Sequential(
        nn.Conv2d(1, 192, 3, padding=1), nn.ReLU(),       # cut 2 after these
        nn.Conv2d(192, 4, 1), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(4 * 14 * 14, 10), nn.Softmax(dim=1)).eval()


def recv_exact(sock, n):
    buf = bytearray(n)
    view = memoryview(buf)
    got = 0
    while got < n:
        r = sock.recv_into(view[got:], n - got)
        if r == 0:
            raise ConnectionError("peer closed the connection")
        got += r
    return bytes(buf)


def send_msg(sock, obj):
    data = pickle.dumps(obj)
    sock.sendall(PREFIX.pack(len(data)) + data)


def recv_msg(sock):
    (n,) = PREFIX.unpack(recv_exact(sock, PREFIX.size))
    return recv_exact(sock, n)


def serve(port_file):
    torch.set_num_threads(1)
    model = make_model()
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    tmp = port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{listener.getsockname()[1]}\n")
    os.replace(tmp, port_file)
    while True:
        conn, _ = listener.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        with conn:
            try:
                while True:
                    data = recv_msg(conn)
                    start = time.perf_counter()
                    cut, tensor = pickle.loads(data)
                    with torch.no_grad():
                        out = model[cut:](tensor)
                    reply = pickle.dumps(out)
                    server_ms = (time.perf_counter() - start) * 1000.0
                    conn.sendall(PREFIX.pack(len(reply) + 8) + struct.pack(">d", server_ms) + reply)
            except ConnectionError:
                pass


def run(port, cut, count):
    torch.set_num_threads(1)
    model = make_model()
    sock = socket.create_connection(("127.0.0.1", port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    gen = torch.Generator().manual_seed(1)
    overhead, sent = [], 0
    for i in range(count + 20):
        x = torch.rand((1, 1, 28, 28), generator=gen) * 2 - 1
        start = time.perf_counter()
        with torch.no_grad():
            head = model[:cut](x)
        head_ms = (time.perf_counter() - start) * 1000.0
        data = pickle.dumps((cut, head))
        sock.sendall(PREFIX.pack(len(data)) + data)
        reply = recv_msg(sock)
        (server_ms,) = struct.unpack(">d", reply[:8])
        out = pickle.loads(reply[8:])
        total_ms = (time.perf_counter() - start) * 1000.0
        assert out.shape == (1, 10)
        if i >= 20:
            overhead.append(total_ms - head_ms - server_ms)
            sent = head.numel() * head.element_size()
    print(json.dumps({"cut": cut, "tensor_bytes": sent, "requests": count,
                      "overhead_median_ms": statistics.median(overhead)}))


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    s.add_argument("--port-file", required=True)
    r = sub.add_parser("run")
    r.add_argument("--port", type=int, required=True)
    r.add_argument("--cut", type=int, required=True, choices=[0, 2])
    r.add_argument("--count", type=int, default=200)
    a = p.parse_args()
    if a.cmd == "serve":
        serve(a.port_file)
    else:
        if a.count < 1:
            p.error("--count must be at least 1")
        run(a.port, a.cut, a.count)


if __name__ == "__main__":
    main()
