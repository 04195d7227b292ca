#!/usr/bin/env python3
"""Writes the seed corpora of the artifact, trace, dataset and http fuzz targets (tests/fuzz/corpus/).

Artifact seeds are one selector byte (the kind's index in artifact_kinds(): model 0,
accuracy 1, profile 2, fit 3, plan 4, sweep 5, configmap 6, evaluation 7, run 8, cascade 9) followed by
the artifact's text: the plan fixture (tests/data/plan), a synthetic profile of the fixture
model, and the plan/sweep/configmap/evaluation artifacts edgent-plan and edgent-mapbuild write
for the fixture (pass BIN = the build's cmd directory to regenerate those; without it the
committed ones are kept). Dataset seeds are one selector byte (images 0, labels 1, CIFAR 2)
and a tiny file, plain and gzipped. HTTP seeds are whole requests as a client sends them to
edgent-serve (tests/support/http_fuzz_check.hpp: token "fuzz-token", the default model), with
tensor wire bodies for exit 1 cut 0. The ONNX seeds come from tests/fuzz/onnx_corpus_test.cpp.

Usage: tests/fuzz/make_corpus.py [BIN]
"""
import gzip
import json
import os
import random
import struct
import subprocess
import sys
import tempfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FIXTURE = os.path.join(ROOT, "tests/data/plan")
KINDS = ["model", "accuracy", "profile", "fit", "plan", "sweep", "configmap", "evaluation", "run",
         "cascade"]


def write(target, name, data):
    d = os.path.join(HERE, "corpus", target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def artifact(name, kind, text):
    write("artifact", name, bytes([KINDS.index(kind)]) + text)


def compact(path):
    with open(path) as f:
        return json.dumps(json.load(f), separators=(",", ":")).encode()


def synthetic_profile(sha):
    rng = random.Random(7)
    model = json.load(open(os.path.join(FIXTURE, "model.json")))
    units = []
    for ex in model["exits"]:
        for i, u in enumerate(ex["chain"], 1):
            ms = 0.01 + u["flops"] * 5e-7
            units.append({"exit": ex["exit"], "unit": i, "name": u["name"], "type": u["type"],
                          "features": u["features"], "flops": u["flops"], "params": 0,
                          "output_bytes": u["output_bytes"], "samples_ms": [ms, ms * 1.1],
                          "median_ms": ms, "p95_ms": ms * 1.1})
    sweep = []
    for _ in range(6):
        a = rng.uniform(1e3, 1e5)
        b = rng.uniform(10, 2000)
        sweep.append({"type": "conv", "features": {"in_size": a, "filter_term": b, "flops": a * b},
                      "flops": a * b, "samples_ms": [0.02 + 1e-6 * a + 2e-4 * b],
                      "median_ms": 0.02 + 1e-6 * a + 2e-4 * b, "p95_ms": 0.03 + 1e-6 * a + 2e-4 * b})
        for t in ("relu", "lrn"):
            sweep.append({"type": t, "features": {"in_size": a, "flops": a}, "flops": a,
                          "samples_ms": [0.001 + 5e-7 * a], "median_ms": 0.001 + 5e-7 * a,
                          "p95_ms": 0.002 + 5e-7 * a})
        for t in ("pool", "fc"):
            sweep.append({"type": t, "features": {"in_size": a, "out_size": a / 4, "flops": a},
                          "flops": a, "samples_ms": [0.002 + 6e-7 * a], "median_ms": 0.002 + 6e-7 * a,
                          "p95_ms": 0.003 + 6e-7 * a})
    return {"schema": "edgent.profile/1",
            "generator": {"tool": "tests/fuzz/make_corpus.py", "version": "0", "git": "none"},
            "role": "device",
            "provenance": {"host": "fuzz", "cpu_model": "none", "cores": 1, "threads": 1,
                           "cpu_quota": None, "opencv": "4.6.0", "model_sha256": sha,
                           "time": "2026-01-01T00:00:00Z"},
            "settings": {"warmup": 1, "reps": 2},
            "units": units,
            "exits": [{"exit": e["exit"], "samples_ms": [1.0], "median_ms": 1.0, "p95_ms": 1.0}
                      for e in model["exits"]],
            "load": [{"model_bytes": b, "samples_ms": [0.5 + b * 1e-6], "median_ms": 0.5 + b * 1e-6}
                     for b in (1e5, 1e6, 4e6)],
            "sweep": sweep}


def tool_artifacts(bin_dir):
    with tempfile.TemporaryDirectory() as tmp:
        common = ["--model", os.path.join(FIXTURE, "model.json"),
                  "--accuracy", os.path.join(FIXTURE, "accuracy.json"),
                  "--device-fit", os.path.join(FIXTURE, "device_fit.json"),
                  "--edge-fit", os.path.join(FIXTURE, "edge_fit.json")]
        env = dict(os.environ, EDGENT_PIN_GENERATOR="1")
        def run(args):
            subprocess.run(args, check=True, env=env, stdout=subprocess.DEVNULL)
        run([os.path.join(bin_dir, "edgent-plan")] + common +
            ["--bandwidth", "1000", "--deadline", "100", "-o", f"{tmp}/plan.json"])
        artifact("plan", "plan", compact(f"{tmp}/plan.json"))
        run([os.path.join(bin_dir, "edgent-plan")] + common +
            ["--sweep-bandwidth", "100:10000:3", "--deadline", "100", "-o", f"{tmp}/sweep.json"])
        artifact("sweep", "sweep", compact(f"{tmp}/sweep.json"))
        trace = os.path.join(ROOT, "traces/steps-60s.csv")
        run([os.path.join(bin_dir, "edgent-mapbuild")] + common +
            ["--trace", trace, "--deadline", "100", "-o", f"{tmp}/map.json"])
        artifact("configmap", "configmap", compact(f"{tmp}/map.json"))
        run([os.path.join(bin_dir, "edgent-mapbuild")] + common +
            ["--trace", trace, "-o", f"{tmp}/eval.json", "evaluate", "--map", f"{tmp}/map.json"])
        artifact("evaluation", "evaluation", compact(f"{tmp}/eval.json"))


def wire(exit_, cut, dims, codec, payload, scale=0.0, zero=0, request_id=1):
    """A tensor wire message (lib/net/tensor_wire.cpp): 80-byte header, then the payload."""
    head = b"EDGT" + struct.pack("<HHQHHBBBB", 1, 80, request_id, exit_, cut, 1, codec, len(dims), 0)
    head += struct.pack("<8I", *(list(dims) + [0] * (8 - len(dims))))
    head += struct.pack("<fiQI", scale, zero, len(payload), zlib.crc32(payload))
    return head + struct.pack("<I", zlib.crc32(head)) + payload


def http_seeds():
    token = b"Authorization: Bearer fuzz-token\r\n"
    image = [((i * 37) % 255) / 255.0 - 0.5 for i in range(784)]
    fp32 = wire(1, 0, [1, 1, 28, 28], 0, struct.pack("<784f", *image))
    int8 = wire(1, 0, [1, 1, 28, 28], 2, bytes((i * 7) % 256 for i in range(784)), scale=0.01)

    def post(target, body, extra=b""):
        return (b"POST " + target + b" HTTP/1.1\r\nHost: edge\r\n" + token + extra +
                b"Content-Type: application/octet-stream\r\nContent-Length: " +
                str(len(body)).encode() + b"\r\n\r\n" + body)

    def chunked(body):
        return b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n"

    write("http", "health", b"GET /v1/health HTTP/1.1\r\nHost: edge\r\n\r\n")
    write("http", "model-pipelined",
          b"GET /v1/model HTTP/1.1\r\nHost: edge\r\n" + token + b"\r\n"
          b"GET /metrics HTTP/1.1\r\nHost: edge\r\nAuthorization: bearer fuzz-token\r\n"
          b"Connection: close\r\n\r\n")
    write("http", "infer-fp32", post(b"/v1/infer", fp32))
    write("http", "infer-int8-reply-fp16", post(b"/v1/infer", int8, b"X-Edgent-Reply-Codec: fp16\r\n"))
    write("http", "infer-edge-first", post(b"/v1/infer", int8, b"X-Edgent-Run-To: 2\r\n"))
    write("http", "infer-expect-continue", post(b"/v1/infer", int8, b"Expect: 100-continue\r\n"))
    write("http", "infer-wrong-sha", post(b"/v1/infer", int8, b"X-Edgent-Model-Sha256: " + b"0" * 64 + b"\r\n"))
    write("http", "infer-chunked",
          b"POST /v1/infer HTTP/1.1\r\nHost: edge\r\n" + token +
          b"Transfer-Encoding: chunked\r\n\r\n" + chunked(int8))
    write("http", "infer-no-token",
          b"POST /v1/infer HTTP/1.1\r\nHost: edge\r\nContent-Length: 4\r\n\r\nEDGT")
    write("http", "probe", post(b"/v1/probe", b"\0" * 64, b"X-Edgent-Probe-Reply-Bytes: 4096\r\n"))
    write("http", "te-gzip-smuggle",
          b"POST /v1/infer HTTP/1.1\r\nHost: edge\r\n" + token + b"Transfer-Encoding: gzip\r\n\r\n"
          b"GET /v1/health HTTP/1.1\r\nHost: edge\r\n\r\n")
    write("http", "wrong-method-and-path",
          b"DELETE /v1/infer HTTP/1.1\r\nHost: edge\r\n\r\nGET /nowhere HTTP/1.1\r\nHost: edge\r\n\r\n")
    write("http", "http10-close", b"GET /v1/health HTTP/1.0\r\n\r\n")


def main():
    for name, kind in (("model", "model"), ("accuracy", "accuracy"), ("device_fit", "fit"),
                       ("edge_fit", "fit"), ("cascade", "cascade")):
        artifact(name, kind, compact(os.path.join(FIXTURE, name + ".json")))
    artifact("model-trained", "model", compact(os.path.join(ROOT, "models/branchy-alexnet-fmnist.json")))
    sha = json.load(open(os.path.join(FIXTURE, "model.json")))["onnx_sha256"]
    artifact("profile", "profile", json.dumps(synthetic_profile(sha), separators=(",", ":")).encode())
    artifact("run", "run", json.dumps({"schema": "edgent.run/1"}).encode())
    if len(sys.argv) > 1:
        tool_artifacts(sys.argv[1])

    write("trace", "steps-60s.csv", open(os.path.join(ROOT, "traces/steps-60s.csv"), "rb").read())
    write("trace", "two-rows.csv", b"t_s,bandwidth_kbps\n0,1000\n0.5,250.5\n")
    write("trace", "crlf-blank-end.csv", b"t_s,bandwidth_kbps\r\n0,+5e3\r\n2,0\r\n\r\n")
    write("trace", "one-row.csv", b"t_s,bandwidth_kbps\n3.25,12\n")

    images = struct.pack(">IIII", 0x803, 3, 4, 5) + bytes((i * 7) % 256 for i in range(60))
    labels = struct.pack(">II", 0x801, 3) + bytes([0, 1, 9])
    cifar = b"".join(bytes([k]) + bytes((k * 31 + i) % 256 for i in range(3072)) for k in (3, 7))
    write("dataset", "images", b"\x00" + images)
    write("dataset", "images.gz", b"\x00" + gzip.compress(images, mtime=0))
    write("dataset", "images-two-members.gz",
          b"\x00" + gzip.compress(images[:30], mtime=0) + gzip.compress(images[30:], mtime=0))
    write("dataset", "labels", b"\x01" + labels)
    write("dataset", "labels.gz", b"\x01" + gzip.compress(labels, mtime=0))
    write("dataset", "cifar.bin", b"\x02" + cifar)

    http_seeds()


if __name__ == "__main__":
    main()
