#!/usr/bin/env python3
"""Produces one kind of edgent artifact with the real tools on small inputs and validates it
against lib/schema/<kind>.1.json (python3-jsonschema).

    check_artifacts.py BIN_DIR SOURCE_DIR WORK_DIR KIND

Exit 0 when every artifact of KIND validates, 1 on a violation or a failed tool run, 2 when
python3-jsonschema or the schema itself is missing or broken.
"""
import gzip
import json
import os
import random
import shutil
import struct
import subprocess
import sys

try:
    import jsonschema
except ImportError:
    print("error: python3-jsonschema is not installed (apt-get install python3-jsonschema, "
          "or make deps)", file=sys.stderr)
    sys.exit(2)

BIN, SRC, WORK, KIND = sys.argv[1:5]
PLAN_DATA = os.path.join(SRC, "tests", "data", "plan")
CARD = os.path.join(SRC, "models", "branchy-alexnet-fmnist.json")
FIXTURE = ["--model", os.path.join(PLAN_DATA, "model.json"),
           "--accuracy", os.path.join(PLAN_DATA, "accuracy.json"),
           "--device-fit", os.path.join(PLAN_DATA, "device_fit.json"),
           "--edge-fit", os.path.join(PLAN_DATA, "edge_fit.json")]
ENV = dict(os.environ, EDGENT_PIN_GENERATOR="1")


def path(name):
    return os.path.join(WORK, name)


def tool(name, *args, ok=(0,)):
    cmd = [os.path.join(BIN, name), *args]
    r = subprocess.run(cmd, env=ENV, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if r.returncode not in ok:
        print(f"error: {' '.join(cmd)} exited {r.returncode}:\n{r.stderr}", file=sys.stderr)
        sys.exit(1)


def profile(name, role):
    tool("edgent-profile", "-m", CARD, "--role", role, "--warmup", "0", "--reps", "3",
         "--sweep-points", "12", "--sweep-reps", "2", "--anchor-points", "2",
         "--request-gap-ms", "1", "--quiet", "-o", path(name))
    return path(name)


def trace():
    with open(path("trace.csv"), "w") as f:
        f.write("t_s,bandwidth_kbps\n")
        for t in range(120):
            f.write(f"{t},{300 if t % 60 < 30 else 8000}\n")
    return path("trace.csv")


def make_accuracy():
    data = path("fmnist")
    os.makedirs(data, exist_ok=True)
    rng = random.Random(1)
    n = 6
    with gzip.open(os.path.join(data, "t10k-images-idx3-ubyte.gz"), "wb") as f:
        f.write(struct.pack(">IIII", 0x803, n, 28, 28) + bytes(rng.randrange(256) for _ in range(n * 784)))
    with gzip.open(os.path.join(data, "t10k-labels-idx1-ubyte.gz"), "wb") as f:
        f.write(struct.pack(">II", 0x801, n) + bytes(range(1, n + 1)))
    tool("edgent-eval", "--quiet", "--model", CARD, "--data", data, "--limit", "4",
         "--codecs", "fp32,int8+zstd", "-o", path("accuracy.json"))
    return [path("accuracy.json")]


def make_cascade():
    make_accuracy()
    tool("edgent-eval", "--quiet", "--model", CARD, "--data", path("fmnist"), "--limit", "6",
         "--cascades", "--thresholds", "0,0.5,0.9,1", "-o", path("cascade.json"))
    return [path("cascade.json")]


def make_profile():
    # A net with residual blocks too: its profile has block units with their parts.
    subprocess.run([os.path.join(BIN, "..", "bench", "own_models"), WORK], check=True,
                   stdout=subprocess.DEVNULL)
    tool("edgent-eval", "--quiet", "--onnx", path("resnet-exits.onnx"), "--write-card",
         path("resnet-exits.json"))
    tool("edgent-profile", "-m", path("resnet-exits.json"), "--role", "edge", "--warmup", "0",
         "--reps", "2", "--sweep-points", "4", "--sweep-reps", "2", "--anchor-points", "1",
         "--request-gap-ms", "1", "--quiet", "-o", path("blocks.json"))
    with open(path("blocks.json")) as f:
        if not any(u.get("parts") for u in json.load(f)["units"]):
            raise SystemExit("schema.profile: the residual net's profile has no block parts")
    return [profile("profile.json", "device"), path("blocks.json")]


def make_fit():
    tool("edgent-fit", "--profile", profile("profile.json", "device"), "-o", path("fit.json"))
    return [path("fit.json")]


def make_plan():
    tool("edgent-plan", *FIXTURE, "--bandwidth", "2000", "--rtt", "10", "--deadline", "40",
         "-o", path("plan.json"))
    tool("edgent-plan", *FIXTURE, "--bandwidth", "1", "--deadline", "0.01", "-o",
         path("infeasible.json"), ok=(3,))
    # A link with no bandwidth: infinite (null) transfer times, and no bandwidth_kbps.
    with open(path("dead.csv"), "w") as f:
        f.write("t_s,bandwidth_kbps\n0,0\n10,0\n")
    tool("edgent-plan", *FIXTURE, "--trace", path("dead.csv"), "--at", "1", "--deadline", "40",
         "--strategy", "edge-only", "-o", path("no-link.json"), ok=(0, 3))
    # A confidence cascade (the fixture's hand-written cascade table), mean and p95.
    cascades = ["--cascades", os.path.join(PLAN_DATA, "cascade.json")]
    tool("edgent-plan", *FIXTURE, *cascades, "--bandwidth", "2000", "--rtt", "10",
         "--deadline", "20", "-o", path("cascade.json"), ok=(0, 3))
    tool("edgent-plan", *FIXTURE, *cascades, "--cascade-latency", "p95", "--bandwidth", "2000",
         "--rtt", "10", "--deadline", "30", "-o", path("cascade-p95.json"), ok=(0, 3))
    return [path("plan.json"), path("infeasible.json"), path("no-link.json"),
            path("cascade.json"), path("cascade-p95.json")]


def make_sweep():
    tool("edgent-plan", *FIXTURE, "--sweep-bandwidth", "100:10000:3", "--deadline", "40",
         "--rtt", "10", "-o", path("sweep.json"))
    return [path("sweep.json")]


def make_configmap():
    tool("edgent-mapbuild", *FIXTURE, "--trace", trace(), "--deadline", "40", "--rtt", "10",
         "-o", path("map.json"))
    tool("edgent-mapbuild", *FIXTURE, "--cascades", os.path.join(PLAN_DATA, "cascade.json"),
         "--trace", path("trace.csv"), "--deadline", "20", "--rtt", "10",
         "-o", path("cascade-map.json"))
    return [path("map.json"), path("cascade-map.json")]


def make_evaluation():
    make_configmap()
    tool("edgent-mapbuild", "evaluate", *FIXTURE, "--map", path("map.json"), "--trace",
         path("trace.csv"), "-o", path("evaluation.json"))
    return [path("evaluation.json")]


def make_model():
    # edgent-train needs libtorch; the card in models/ is its output. The planner's fixture
    # is a hand-written card with the chain extension.
    shutil.copy(CARD, path("model.json"))
    shutil.copy(os.path.join(PLAN_DATA, "model.json"), path("fixture-model.json"))
    # The card edgent-eval writes for a bare ONNX (neutral values for what it cannot know).
    tool("edgent-eval", "--quiet", "--onnx", os.path.join(SRC, "models", "branchy-alexnet-fmnist.onnx"),
         "--write-card", path("eval-card.json"))
    return [path("model.json"), path("fixture-model.json"), path("eval-card.json")]


def make_run():
    device = profile("device.json", "device")
    with open(device) as f:
        doc = json.load(f)
    doc["role"] = "edge"
    with open(path("edge.json"), "w") as f:
        json.dump(doc, f)
    tool("edgent-plan", "--model", CARD, "--device-profile", device, "--edge-profile",
         path("edge.json"), "--strategy", "device-only", "--bandwidth", "1000",
         "--deadline", "1000", "-o", path("plan.json"))
    with open(path("in.f32"), "wb") as f:
        f.write(bytes(2 * 28 * 28 * 4))
    tool("edgent-infer", "--model", CARD, "--plan", path("plan.json"), "--tensors",
         path("in.f32"), "--quiet", "-o", path("records.jsonl"), "--summary", path("run.json"))
    return [path("run.json")]


def main():
    shutil.rmtree(WORK, ignore_errors=True)
    os.makedirs(WORK)
    schema_file = os.path.join(SRC, "lib", "schema", f"{KIND}.1.json")
    try:
        with open(schema_file) as f:
            schema = json.load(f)
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
    except (OSError, ValueError, jsonschema.exceptions.SchemaError) as e:
        print(f"error: {schema_file}: {e}", file=sys.stderr)
        return 2
    validator = cls(schema)
    failed = 0
    for artifact in globals()[f"make_{KIND}"]():
        with open(artifact) as f:
            doc = json.load(f)
        errors = sorted(validator.iter_errors(doc), key=lambda e: list(e.absolute_path))
        for e in errors[:20]:
            where = "/".join(str(p) for p in e.absolute_path) or "(root)"
            print(f"{os.path.basename(artifact)}: {where}: {e.message}", file=sys.stderr)
        failed += bool(errors)
        print(f"{os.path.basename(artifact)}: {'INVALID' if errors else 'valid'} "
              f"({schema_file})")
    if KIND == "run":
        # The per-request records (-o, JSON lines) are $defs.record of the same file.
        record = dict(schema["$defs"]["record"], **{"$defs": schema["$defs"]})
        record["$schema"] = schema["$schema"]
        rv = cls(record)
        with open(path("records.jsonl")) as f:
            lines = [json.loads(line) for line in f if line.strip()]
        for i, doc in enumerate(lines):
            for e in rv.iter_errors(doc):
                where = "/".join(str(p) for p in e.absolute_path) or "(root)"
                print(f"records.jsonl:{i + 1}: {where}: {e.message}", file=sys.stderr)
                failed += 1
        print(f"records.jsonl: {len(lines)} records, {'INVALID' if failed else 'valid'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
