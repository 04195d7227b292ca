#!/usr/bin/env python3
"""The reproductions of issue 15 ("thirteen defects found by trying to break the tools"), run
against one or two build directories on 127.0.0.1 only, with the figures the issue quotes:
server RSS and CPU seconds, the p50 latency of a well-behaved client alongside an attack,
HTTP status codes, exit codes, and file types after -o.

Usage: experiments/attacks.py BUILD [BUILD2]   (BUILD/cmd holds the tools; with two builds
the figures are printed side by side, e.g. the build before the fixes and the one after).
Needs the default model (models/), the Fashion-MNIST test set for item 5, the zstd and curl
commands, prlimit (util-linux), and root for the device node of item 1 (skipped otherwise).
Every server binds 127.0.0.1 and a port the kernel picks; every client connects there.
"""
import http.client
import json
import os
import select
import shutil
import signal
import socket
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CARD = os.path.join(ROOT, "models/branchy-alexnet-fmnist.json")
DATA = "/usr/share/datasets/fashion-mnist"
FIXTURE = os.path.join(ROOT, "tests/data/plan")
HOST = "127.0.0.1"
MIB = 1 << 20


# ---------------------------------------------------------------- wire format and processes

def wire(exit_, cut, dims, values=None, payload=None, codec=0, request_id=1):
    """A tensor wire message (lib/schema/ARTIFACTS.md): fp32 values, or a ready payload."""
    if payload is None:
        payload = struct.pack("<%df" % len(values), *values)
    head = b"EDGT" + struct.pack("<HHQHHBBBB", 1, 80, request_id, exit_, cut, 1, codec, len(dims), 0)
    head += struct.pack("<8I", *(list(dims) + [0] * (8 - len(dims))))
    head += struct.pack("<fiQI", 0.0, 0, len(payload), zlib.crc32(payload))
    return head + struct.pack("<I", zlib.crc32(head)) + payload


def unwire(msg):
    """(request id, exit, cut, dims, codec, payload) of a wire message."""
    rid, exit_, cut, _dtype, codec, ndim, _ = struct.unpack_from("<QHHBBBB", msg, 8)
    dims = list(struct.unpack_from("<8I", msg, 24))[:ndim]
    return rid, exit_, cut, dims, codec, msg[80:]


GOOD = wire(1, 0, [1, 1, 28, 28], [0.1] * 784)


def proc_status(pid, field):
    """A /proc/<pid>/status field in MiB (VmRSS, VmHWM)."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024.0
    return float("nan")


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Server:
    """edgent-serve of BUILD on 127.0.0.1 and a free port, stderr to a file."""

    def __init__(self, build, tmp, args=(), prefix=()):
        self.port_file = os.path.join(tmp, f"port.{time.monotonic_ns()}")
        self.log = self.port_file + ".log"
        self.err = open(self.log, "wb")
        cmd = list(prefix) + [os.path.join(build, "cmd/edgent-serve"), "-m", CARD, "--bind", HOST,
                              "--port", "0", "--port-file", self.port_file] + list(args)
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=self.err)
        for _ in range(600):
            if os.path.exists(self.port_file) and open(self.port_file).read().strip():
                self.port = int(open(self.port_file).read())
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        raise SystemExit(f"attacks: edgent-serve did not start: {open(self.log).read()}")

    @property
    def pid(self):
        return self.proc.pid

    def log_bytes(self):
        return os.path.getsize(self.log)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.err.close()


def request(port, method, path, body=b"", headers=None, timeout=10):
    """(status, body) of one request on a new connection; (0, reason) when it failed."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.read()
    except (OSError, http.client.HTTPException) as e:
        return 0, str(e).encode()
    finally:
        conn.close()


class GoodClient(threading.Thread):
    """A device posting GOOD to /v1/infer every 50 ms on a kept-alive connection (a new one
    for each request when `fresh`); records (time, latency ms or None for a failure)."""

    def __init__(self, port, token=None, fresh=False):
        super().__init__(daemon=True)
        self.port, self.token, self.fresh = port, token, fresh
        self.samples = []
        self.stopping = threading.Event()

    def run(self):
        headers = {"Content-Type": "application/octet-stream"}
        if self.token:
            headers["Authorization"] = "Bearer " + self.token
        conn = None
        while not self.stopping.is_set():
            t = time.monotonic()
            try:
                if conn is None:
                    conn = http.client.HTTPConnection(HOST, self.port, timeout=5)
                conn.request("POST", "/v1/infer", body=GOOD, headers=headers)
                r = conn.getresponse()
                r.read()
                ok = r.status == 200
                if self.fresh:
                    conn.close()
                    conn = None
            except (OSError, http.client.HTTPException):
                ok = False
                conn = None
            self.samples.append((t, (time.monotonic() - t) * 1000 if ok else None))
            self.stopping.wait(0.05)

    def window(self, start, end):
        """'p50 X ms (n ok, m failed)' over samples started in [start, end)."""
        got = [ms for t, ms in self.samples if start <= t < end]
        ok = [ms for ms in got if ms is not None]
        p50 = f"{statistics.median(ok):.1f} ms" if ok else "n/a"
        return f"p50 {p50} ({len(ok)} ok, {len(got) - len(ok)} failed)"

    def stop(self):
        self.stopping.set()
        self.join(10)


def held_sockets(port, n, first=b""):
    out = []
    for _ in range(n):
        s = socket.create_connection((HOST, port), timeout=10)
        if first:
            s.sendall(first)
        out.append(s)
    return out


def close_all(socks):
    for s in socks:
        try:
            s.close()
        except OSError:
            pass


def run_tool(build, tool, args, stdin=None, timeout=120):
    """(exit code, stderr) of BUILD/cmd/<tool> args."""
    try:
        p = subprocess.run([os.path.join(build, "cmd", tool)] + args, stdin=stdin,
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=timeout)
        return p.returncode, p.stderr.decode(errors="replace")
    except subprocess.TimeoutExpired:
        return "timeout", ""


def first_error(stderr, width=90):
    for line in stderr.splitlines():
        if ": error: " in line:
            return line[:width]
    return (stderr.strip().splitlines() or [""])[-1][:width]


# ---------------------------------------------------------------- the thirteen items

def item1_output_targets(build, tmp):
    """-o onto a device, a FIFO and a symbolic link: the file type afterwards."""
    rows = []
    plan = ["--model", f"{FIXTURE}/model.json", "--accuracy", f"{FIXTURE}/accuracy.json",
            "--device-fit", f"{FIXTURE}/device_fit.json", "--edge-fit", f"{FIXTURE}/edge_fit.json",
            "--bandwidth", "2000", "--deadline", "40"]
    d = tempfile.mkdtemp(dir=tmp)
    null = os.path.join(d, "mynull")
    try:
        os.mknod(null, 0o666 | 0o020000, os.makedev(1, 3))
        run_tool(build, "edgent-plan", plan + ["-o", null])
        rows.append(("1", "-o mynull (char device 1,3): type after", filetype(null)))
    except PermissionError:
        rows.append(("1", "-o mynull (char device 1,3): type after", "skipped (needs root)"))
    fifo = os.path.join(d, "f")
    os.mkfifo(fifo)
    os.link(fifo, fifo + ".keep")  # to release the reader if the FIFO is renamed over
    got = []
    reader = threading.Thread(target=lambda: got.append(open(fifo, "rb").read()), daemon=True)
    reader.start()
    run_tool(build, "edgent-plan", plan + ["-o", fifo], timeout=20)
    reader.join(5)
    if reader.is_alive():
        with open(fifo + ".keep", "wb"):
            pass
        reader.join(5)
    rows.append(("1", "-o FIFO: type after / reader got the plan",
                 f"{filetype(fifo)} / {'yes' if got and b'edgent.plan/1' in got[0] else 'no'}"))
    with open(os.path.join(d, "t.json"), "w") as f:
        f.write("{}\n")
    os.symlink("t.json", os.path.join(d, "l.json"))
    run_tool(build, "edgent-plan", plan + ["-o", os.path.join(d, "l.json")])
    target_has = "edgent.plan/1" in open(os.path.join(d, "t.json")).read()
    rows.append(("1", "-o symlink: type after / target got the plan",
                 f"{filetype(os.path.join(d, 'l.json'))} / {'yes' if target_has else 'no'}"))
    return rows


def filetype(path):
    out = subprocess.run(["stat", "-c", "%F", path], capture_output=True, text=True)
    return out.stdout.strip() or out.stderr.strip()


def item2_descriptors(build, tmp):
    """400 connections held under --nofile=256 for 10 s."""
    srv = Server(build, tmp, ["--read-timeout-ms", "60000"], prefix=["prlimit", "--nofile=256:256", "--"])
    good = GoodClient(srv.port, fresh=True)
    good.start()
    time.sleep(1.5)
    t0 = time.monotonic()
    socks = []
    try:
        socks = held_sockets(srv.port, 400)
        time.sleep(0.5)
        cpu0, log0, t1 = cpu_seconds(srv.pid), srv.log_bytes(), time.monotonic()
        time.sleep(10)
        cpu1, log1, t2 = cpu_seconds(srv.pid), srv.log_bytes(), time.monotonic()
        close_all(socks)
        socks = []
        time.sleep(6)
        t3 = time.monotonic()
        lines = sum(1 for line in open(srv.log, "rb") if b"accept" in line)
    finally:
        close_all(socks)
        good.stop()
        srv.stop()
    return [("2", "server CPU s in 10 s at the limit", f"{cpu1 - cpu0:.2f} s in {t2 - t1:.1f} s"),
            ("2", "stderr written in 10 s (accept lines, all run)",
             f"{(log1 - log0) / MIB:.1f} MiB ({lines} lines)"),
            ("2", "good client (new connection each) before / during",
             f"{good.window(0, t0)} / {good.window(t1, t2)}"),
            ("2", "good client after the 400 connections close", good.window(t2 + 1, t3))]


def zstd_bomb(tmp):
    """8 KB fp32+zstd message declaring [1,1,8192,8192] (256 MiB of zeros)."""
    frame = subprocess.run(f"head -c {256 * MIB} /dev/zero | zstd -19 -q -c --stream-size={256 * MIB}",
                           shell=True, capture_output=True, check=True).stdout
    return wire(1, 0, [1, 1, 8192, 8192], payload=frame, codec=0x80)


def item3_zstd_bomb(build, tmp):
    """Four clients sending zstd bombs for 10 s, the server's RSS sampled every 20 ms."""
    bomb = zstd_bomb(tmp)
    srv = Server(build, tmp, ["--threads", "2"])
    good = GoodClient(srv.port)
    good.start()
    time.sleep(2)
    rss0 = proc_status(srv.pid, "VmRSS")
    statuses, lock = {}, threading.Lock()
    peak = [rss0]
    t0 = time.monotonic()

    def bomber():
        while time.monotonic() - t0 < 10:
            st, _ = request(srv.port, "POST", "/v1/infer", bomb,
                            {"Content-Type": "application/octet-stream"}, timeout=30)
            with lock:
                statuses[st] = statuses.get(st, 0) + 1

    threads = [threading.Thread(target=bomber) for _ in range(4)]
    for t in threads:
        t.start()
    while any(t.is_alive() for t in threads):
        peak[0] = max(peak[0], proc_status(srv.pid, "VmRSS"))
        time.sleep(0.02)
    t1 = time.monotonic()
    hwm = proc_status(srv.pid, "VmHWM")
    good.stop()
    srv.stop()
    return [("3", f"bombs ({len(bomb)} B each, 4 clients) in 10 s: statuses",
             f"{sum(statuses.values())}: {fmt_counts(statuses)}"),
            ("3", "server RSS before -> peak (VmHWM)", f"{rss0:.0f} -> {peak[0]:.0f} MiB ({hwm:.0f})"),
            ("3", "good client before / during", f"{good.window(0, t0)} / {good.window(t0, t1)}")]


def fmt_counts(counts):
    return ", ".join(f"{k}x{v}" for k, v in sorted(counts.items()))


def upload(port, size, headers, statuses, lock):
    """Sends a POST of `size` body bytes as fast as the server takes them; records the status."""
    head = (f"POST /v1/infer HTTP/1.1\r\nHost: {HOST}\r\nContent-Type: application/octet-stream\r\n"
            f"Content-Length: {size}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items()) +
            "\r\n").encode()
    s = socket.create_connection((HOST, port), timeout=30)
    chunk = b"x" * MIB
    try:
        s.sendall(head)
        sent = 0
        while sent < size:
            if select.select([s], [], [], 0)[0]:
                break  # answered before the whole body was sent
            s.sendall(chunk[:min(MIB, size - sent)])
            sent += min(MIB, size - sent)
    except OSError:
        pass  # closed by the server after its answer
    try:
        answer = s.recv(4096)
    except OSError:
        answer = b""
    s.close()
    status = int(answer[9:12]) if answer.startswith(b"HTTP/1.1 ") else 0
    with lock:
        statuses[status] = statuses.get(status, 0) + 1


def item4_memory(build, tmp):
    rows = []
    token_file = os.path.join(tmp, "token")
    with open(token_file, "w") as f:
        f.write("s3cret\n")
    for label, args, headers in (
            ("token set, no token sent", ["--token-file", token_file], {}),
            ("no token configured", [], {})):
        srv = Server(build, tmp, args)
        good = GoodClient(srv.port, "s3cret" if args else None)
        good.start()
        time.sleep(1.5)
        rss0 = proc_status(srv.pid, "VmRSS")
        statuses, lock = {}, threading.Lock()
        t0 = time.monotonic()
        threads = [threading.Thread(target=upload, args=(srv.port, 60 * 1000 * 1000, headers, statuses, lock))
                   for _ in range(16)]
        for t in threads:
            t.start()
        peak = rss0
        while any(t.is_alive() for t in threads):
            peak = max(peak, proc_status(srv.pid, "VmRSS"))
            time.sleep(0.05)
        t1 = time.monotonic()
        hwm = proc_status(srv.pid, "VmHWM")
        good.stop()
        srv.stop()
        rows += [("4", f"16 x 60 MB uploads, {label}: statuses", fmt_counts(statuses)),
                 ("4", f"  server RSS before -> peak (VmHWM)", f"{rss0:.0f} -> {peak:.0f} MiB ({hwm:.0f})"),
                 ("4", "  good client before / during", f"{good.window(0, t0)} / {good.window(t0, t1)}")]
    srv = Server(build, tmp)
    good = GoodClient(srv.port)
    good.start()
    time.sleep(1.5)
    rss0 = proc_status(srv.pid, "VmRSS")
    t0 = time.monotonic()
    ask = (f"POST /v1/probe HTTP/1.1\r\nHost: {HOST}\r\nContent-Length: 0\r\n"
           f"X-Edgent-Probe-Reply-Bytes: {64 * MIB}\r\n\r\n").encode()
    socks = held_sockets(srv.port, 16, ask)
    time.sleep(3)
    rss1 = proc_status(srv.pid, "VmRSS")
    t1 = time.monotonic()
    close_all(socks)
    good.stop()
    srv.stop()
    rows += [("4", "16 unread 64 MiB probe replies: server RSS", f"{rss0:.0f} -> {rss1:.0f} MiB"),
             ("4", "  good client before / during", f"{good.window(0, t0)} / {good.window(t0, t1)}")]
    return rows


class TamperingProxy(threading.Thread):
    """Forwards one device's keep-alive connection to the edge; every 10th /v1/infer reply is
    rewritten as `mode` says (well-formed wire message, right CRCs)."""

    def __init__(self, upstream, mode):
        super().__init__(daemon=True)
        self.upstream, self.mode = upstream, mode
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind((HOST, 0))
        self.listener.listen(8)
        self.port = self.listener.getsockname()[1]
        self.count = 0
        self.tampered = 0

    def run(self):
        while True:
            try:
                conn, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(conn,), daemon=True).start()

    def serve(self, conn):
        up = http.client.HTTPConnection(HOST, self.upstream, timeout=30)
        f = conn.makefile("rb")
        try:
            while True:
                line = f.readline()
                if not line:
                    return
                method, path, _ = line.decode().split(" ", 2)
                headers = {}
                while True:
                    h = f.readline().decode()
                    if h in ("\r\n", "\n", ""):
                        break
                    k, v = h.split(":", 1)
                    headers[k.strip()] = v.strip()
                body = f.read(int(headers.get("Content-Length", "0")))
                headers.pop("Host", None)
                up.request(method, path, body=body, headers=headers)
                r = up.getresponse()
                data = r.read()
                out_headers = [(k, v) for k, v in r.getheaders()
                               if k.lower() not in ("content-length", "connection")]
                if path == "/v1/infer" and r.status == 200:
                    self.count += 1
                    if self.count % 10 == 0:
                        data = self.tamper(data)
                        self.tampered += 1
                head = f"HTTP/1.1 {r.status} {r.reason}\r\n" + "".join(
                    f"{k}: {v}\r\n" for k, v in out_headers) + f"Content-Length: {len(data)}\r\n\r\n"
                conn.sendall(head.encode() + data)
        except (OSError, ValueError, http.client.HTTPException):
            pass
        finally:
            conn.close()

    def tamper(self, msg):
        rid, exit_, cut, dims, codec, payload = unwire(msg)
        if self.mode == "shape [1,1000]":
            values = [0.0] * 1000
            values[999] = 50.0
            return wire(exit_, cut, [1, 1000], values, request_id=rid)
        if self.mode == "NaN logits":
            n = len(payload) // 4
            return wire(exit_, cut, dims, [float("nan")] * n, request_id=rid)
        return wire(exit_, cut, dims, payload=payload, codec=codec, request_id=rid + 1)


def item5_tampered_replies(build, tmp):
    if not os.path.isdir(DATA):
        return [("5", "tampered replies", "skipped (no Fashion-MNIST)")]
    card = json.load(open(CARD))
    plan = {"schema": "edgent.plan/1",
            "generator": {"tool": "edgent-plan", "version": "0", "git": "none"},
            "strategy": "edge-only", "feasible": True, "deadline_ms": 1000.0,
            "bandwidth_kbps": 1e5, "up_kbps": 1e5, "down_kbps": 1e5, "rtt_ms": 0.2,
            "edge_queue_ms": 0.0, "model_sha256": card["onnx_sha256"], "accuracy_known": True,
            "plan": {"exit": 5, "cut": 0, "order": "device-first", "codec": "fp32", "accuracy": 0.9},
            "predicted": {"device_ms": 0.0, "edge_ms": 1.0, "up_ms": 0.5, "down_ms": 0.5,
                          "total_ms": 2.0}, "reward": 1.0}
    plan_file = os.path.join(tmp, "edge-only.plan.json")
    with open(plan_file, "w") as f:
        json.dump(plan, f)
    srv = Server(build, tmp)
    rows = []
    try:
        def infer(port, out):
            run_tool(build, "edgent-infer", ["--model", CARD, "--plan", plan_file, "--data", DATA,
                                             "--count", "100", "--no-probe", "--edge",
                                             f"{HOST}:{port}", "-o", out])
            return [json.loads(line) for line in open(out)] if os.path.exists(out) else []

        clean = infer(srv.port, os.path.join(tmp, "clean.jsonl"))
        for mode in ("shape [1,1000]", "NaN logits", "request id + 1"):
            proxy = TamperingProxy(srv.port, mode)
            proxy.start()
            recs = infer(proxy.port, os.path.join(tmp, f"t{proxy.port}.jsonl"))
            proxy.listener.close()
            silent = sum(1 for r, c in zip(recs, clean) if not r["fallback"] and r["class"] != c["class"])
            fell = sum(1 for r in recs if r["fallback"])
            big = max((r["class"] for r in recs), default=-1)
            rows.append(("5", f"{mode}: tampered / silent wrong / fallbacks / max class",
                         f"{proxy.tampered} / {silent} / {fell} / {big}"))
    finally:
        srv.stop()
    return rows


def item6_sigterm(build, tmp):
    d = tempfile.mkdtemp(dir=tmp)
    plan, tensors = device_only_plan(d, 100, exit1_units(build, tmp))
    p = subprocess.Popen([os.path.join(build, "cmd/edgent-infer"), "--model", CARD, "--plan", plan,
                          "--tensors", tensors, "--count", "100", "--rate", "5",
                          "-o", os.path.join(d, "r.jsonl"), "--summary", os.path.join(d, "s.json")],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(2.5)
    p.send_signal(signal.SIGTERM)
    rc = p.wait(30)
    out = os.path.join(d, "r.jsonl")
    records = sum(1 for _ in open(out)) if os.path.exists(out) else 0
    summary = "none"
    if os.path.exists(os.path.join(d, "s.json")):
        summary = f"interrupted: {str(json.load(open(os.path.join(d, 's.json')))['interrupted']).lower()}"
    tmps = [f for f in os.listdir(d) if ".tmp" in f]
    tmp_lines = sum(sum(1 for _ in open(os.path.join(d, f), "rb")) for f in tmps)
    return [("6", "SIGTERM after 2.5 s: exit / records / summary", f"{rc} / {records} / {summary}"),
            ("6", "  leftover .tmp files (lines)", f"{len(tmps)} ({tmp_lines})")]


def item7_shapes(build, tmp):
    srv = Server(build, tmp)
    got = []
    for dims in ([784], [784, 1, 1, 1], [2, 1, 14, 28], [1, 4, 14, 14], [1, 1, 28, 28]):
        st, _ = request(srv.port, "POST", "/v1/infer", wire(1, 0, dims, [0.1] * 784))
        got.append(f"{dims}: {st}")
    srv.stop()
    return [("7", "cut 0 shapes with 784 values", "; ".join(got))]


def item8_non_finite(build, tmp):
    srv = Server(build, tmp)
    values = [0.1] * 784
    values[100] = float("nan")
    st, body = request(srv.port, "POST", "/v1/infer", wire(5, 0, [1, 1, 28, 28], values))
    what = f"{st}"
    if st == 200:
        _, _, _, dims, _, payload = unwire(body)
        logits = struct.unpack("<%df" % (len(payload) // 4), payload)
        what += f" (max |logit| {max(abs(x) for x in logits):.3g})"
    else:
        what += f" ({json.loads(body).get('error', '')[:60]})"
    huge = [3e38 if i % 2 else -3e38 for i in range(784)]
    st2, body2 = request(srv.port, "POST", "/v1/infer", wire(1, 0, [1, 1, 28, 28], huge),
                         {"X-Edgent-Reply-Codec": "int8"})
    srv.stop()
    err = json.loads(body2).get("error", "") if st2 else body2.decode()
    return [("8", "NaN image", what),
            ("8", "+-3e38 image at exit 1, int8 reply", f"{st2} ({err[:70]})")]


def item9_expect(build, tmp):
    srv = Server(build, tmp)
    body = os.path.join(tmp, "2mb")
    with open(body, "wb") as f:
        f.write(b"\0" * (2 * 1000 * 1000))
    out = []
    for label, extra in (("without Expect", ["-H", "Expect:"]),
                         ("Expect: 100-continue", ["-H", "Expect: 100-continue"])):
        times = []
        for _ in range(3):
            r = subprocess.run(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code} %{time_total}",
                                "--data-binary", "@" + body, *extra,
                                f"http://{HOST}:{srv.port}/v1/probe"], capture_output=True, text=True)
            code, secs = r.stdout.split()
            times.append(float(secs))
        out.append(("9", f"2 MB curl POST {label}", f"{code}, {statistics.median(times):.3f} s"))
    srv.stop()
    return out


def item10_bearer(build, tmp):
    token_file = os.path.join(tmp, "token10")
    with open(token_file, "w") as f:
        f.write("s3cret\n")
    srv = Server(build, tmp, ["--token-file", token_file])
    got = []
    for scheme in ("Bearer", "bearer", "BEARER"):
        st, _ = request(srv.port, "GET", "/v1/model", headers={"Authorization": f"{scheme} s3cret"})
        got.append(f"{scheme}: {st}")
    srv.stop()
    return [("10", "GET /v1/model with the right token", "; ".join(got))]


def item11_sha(build, tmp):
    card = json.load(open(CARD))
    card["onnx"] = os.path.join(os.path.dirname(CARD), card["onnx"])
    card["onnx_sha256"] = "0" * 64
    bad = os.path.join(tmp, "badsha.json")
    with open(bad, "w") as f:
        json.dump(card, f)
    rows = []
    for tool, args in (("edgent-serve", ["-m", bad, "--bind", "not-an-address"]),
                       ("edgent-eval", ["--model", bad, "--data", DATA, "--limit", "10", "--codecs",
                                        "fp32", "-o", os.path.join(tmp, "acc.json")]),
                       ("edgent-profile", ["-m", bad, "--no-sweep", "--reps", "1", "--warmup", "0",
                                           "-o", os.path.join(tmp, "p.json")]),
                       ("edgent-infer", ["--model", bad, "--plan", "x", "--tensors", "y"])):
        rc, err = run_tool(build, tool, args, timeout=300)
        key = "onnx_sha256" if "onnx_sha256" in err else "model_sha256" if "model_sha256" in err else "-"
        rows.append(("11", f"{tool} with a wrong onnx_sha256: exit / key named", f"{rc} / {key}"))
    return rows


EXIT1_UNITS = {}


def exit1_units(build, tmp):
    """The number of units of exit 1's chain, as the build's edgent-serve partitions the model."""
    if build not in EXIT1_UNITS:
        srv = Server(build, tmp)
        _, body = request(srv.port, "GET", "/v1/model")
        srv.stop()
        EXIT1_UNITS[build] = max(json.loads(body)["exits"][0]["cuts"])
    return EXIT1_UNITS[build]


def device_only_plan(d, inputs, n):
    """A device-only plan of exit 1 (n units) and `inputs` zero tensors in directory d:
    (plan, tensors)."""
    card = json.load(open(CARD))
    plan = {"schema": "edgent.plan/1", "generator": {"tool": "edgent-plan", "version": "0", "git": "none"},
            "strategy": "device-only", "feasible": True, "deadline_ms": 1000.0, "bandwidth_kbps": 1e5,
            "up_kbps": 1e5, "down_kbps": 1e5, "rtt_ms": 0.2, "edge_queue_ms": 0.0,
            "model_sha256": card["onnx_sha256"], "accuracy_known": True,
            "plan": {"exit": 1, "cut": n, "order": "device-first", "codec": "none", "accuracy": 0.8},
            "predicted": {"device_ms": 1.0, "edge_ms": 0.0, "up_ms": 0.0, "down_ms": 0.0, "total_ms": 1.0},
            "reward": 1.0}
    with open(os.path.join(d, "plan.json"), "w") as f:
        json.dump(plan, f)
    with open(os.path.join(d, "in.f32"), "wb") as f:
        f.write(b"\0" * (inputs * 784 * 4))
    return os.path.join(d, "plan.json"), os.path.join(d, "in.f32")


def item12_cli(build, tmp):
    d = tempfile.mkdtemp(dir=tmp)
    plan, tensors = device_only_plan(d, 3, exit1_units(build, tmp))
    base = ["--model", CARD, "--plan", plan, "--tensors", tensors, "-o", os.path.join(d, "r.jsonl")]
    rows = []
    for args in (["--deadline", "inf"], ["--rtt", "nan"], ["--count", "0"], ["--rate", "1e-9"]):
        rc, err = run_tool(build, "edgent-infer", base + args, timeout=10)
        msg = first_error(err, 200)
        rows.append(("12", f"edgent-infer {' '.join(args)}",
                     f"{rc}: {msg[:70]}{'...' if len(msg) > 70 else ''} ({len(msg)} chars)"))
    # The message: a value CLI11 converts but the validator let through, given twice.
    rc, err = run_tool(build, "edgent-plan", ["--model", f"{FIXTURE}/model.json", "--device-fit",
                                              f"{FIXTURE}/device_fit.json", "--edge-fit",
                                              f"{FIXTURE}/edge_fit.json", "--bandwidth", "100",
                                              "--deadline", "40", "--deadline", "inf", "-o", os.devnull])
    msg = first_error(err, 200)
    rows.append(("12", "edgent-plan --deadline 40 --deadline inf",
                 f"{rc}: {msg[:70]}{'...' if len(msg) > 70 else ''}"))
    fit = json.load(open(f"{FIXTURE}/edge_fit.json"))
    fit["models"]["conv"]["coef"] = [1e308]
    with open(os.path.join(tmp, "edge_fit.json"), "w") as f:
        json.dump(fit, f)
    rc, err = run_tool(build, "edgent-plan", ["--model", f"{FIXTURE}/model.json", "--device-fit",
                                              f"{FIXTURE}/device_fit.json", "--edge-fit",
                                              os.path.join(tmp, "edge_fit.json"), "--bandwidth", "100",
                                              "--deadline", "40"])
    line = first_error(err, 400)
    blamed = "the fit file" if "edge_fit.json" in line else "the model card" if "model.json" in line else "?"
    rows.append(("12", "fit coefficient 1e308: exit / blamed", f"{rc} / {blamed}"))
    with open(os.devnull, "rb") as null:
        rc, err = run_tool(build, "edgent-profile", ["-m", "-", "--no-sweep", "-o", os.path.join(tmp, "pp.json")],
                           stdin=null)
    rows.append(("12", "edgent-profile -m - < /dev/null: exit", str(rc)))
    rc, err = run_tool(build, "edgent-serve", ["-m", CARD, "--bind", "not-an-address", "--token-file",
                                               "/proc/self/mem"])
    rows.append(("12", "--token-file /proc/self/mem: exit / names the file",
                 f"{rc} / {'yes' if '/proc/self/mem' in err else 'no'}"))
    t = time.monotonic()
    rc, err = run_tool(build, "edgent-infer", ["--model", CARD, "--plan", plan, "--tensors", tensors,
                                               "--rate", "1", "--summary", os.path.join(d, "nodir/s.json")])
    rows.append(("12", "--summary nodir/s.json (3 requests at 1/s): exit / after",
                 f"{rc} / {time.monotonic() - t:.1f} s"))
    return rows


def item13_transfer_coding(build, tmp):
    srv = Server(build, tmp)
    s = socket.create_connection((HOST, srv.port), timeout=5)
    s.sendall(b"POST /v1/infer HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n"
              b"GET /v1/health HTTP/1.1\r\nHost: x\r\n\r\n")
    answer = b""
    s.settimeout(3)
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            answer += chunk
    except socket.timeout:
        pass
    s.close()
    srv.stop()
    statuses = [answer[i + 9:i + 12].decode() for i in range(len(answer)) if answer.startswith(b"HTTP/1.1 ", i)]
    return [("13", "TE gzip + a second request in the body: answers", ", ".join(statuses) or "none")]


ITEMS = [item1_output_targets, item2_descriptors, item3_zstd_bomb, item4_memory,
         item5_tampered_replies, item6_sigterm, item7_shapes, item8_non_finite, item9_expect,
         item10_bearer, item11_sha, item12_cli, item13_transfer_coding]


def run_build(build):
    build = os.path.abspath(build)
    if not os.path.exists(os.path.join(build, "cmd/edgent-serve")):
        raise SystemExit(f"attacks: no {build}/cmd/edgent-serve")
    rows = []
    tmp = tempfile.mkdtemp(prefix="edgent-attacks-")
    try:
        for item in ITEMS:
            print(f"attacks: {os.path.basename(build)}: {item.__name__}", file=sys.stderr, flush=True)
            rows += item(build, tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return rows


def main():
    if len(sys.argv) not in (2, 3):
        raise SystemExit(__doc__)
    builds = sys.argv[1:]
    results = [run_build(b) for b in builds]
    heads = ["item", "figure"] + [os.path.abspath(b) for b in builds]
    print("| " + " | ".join(heads) + " |")
    print("|" + "---|" * len(heads))
    for i, row in enumerate(results[0]):
        cells = [row[0], row[1]] + [r[i][2] if i < len(r) else "" for r in results]
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
