# Hand-written device profile for edgent-fit's golden test: a synthetic sweep per unit type on
# known linear laws, and the plan fixture's units (../plan/model.json) 5 % slower than the law,
# so that the held-out error is known. Deterministic; the numbers are invented, not measured.
# Run: python3 make_profile.py (writes profile.json here).
import json, os, random

here = os.path.dirname(os.path.abspath(__file__))
card = json.load(open(os.path.join(here, "..", "plan", "model.json")))
laws = {  # ms = intercept + sum(coef * feature)
    "conv": (0.02, {"in_size": 1e-6, "filter_term": 2e-4}),
    "relu": (0.001, {"in_size": 5e-7}),
    "pool": (0.002, {"in_size": 4e-7, "out_size": 1e-7}),
    "lrn": (0.003, {"in_size": 2e-6}),
    "fc": (0.01, {"in_size": 2e-6, "out_size": 3e-6}),
}

def law(kind, features):
    b, coef = laws[kind]
    return b + sum(c * features[k] for k, c in coef.items())

rng = random.Random(7)
sweep = []
for kind, (_, coef) in laws.items():
    for i in range(12):
        f = {k: round(rng.uniform(1e3, 1e5)) for k in coef}
        f["flops"] = sum(f.values()) * 3
        ms = law(kind, f) * (1 + 0.02 * ((i % 5) - 2) / 2)
        sweep.append({"type": kind, "features": f, "median_ms": round(ms, 9),
                      "samples_ms": [round(ms, 9)] * 3})
units, exits = [], []
for e in card["exits"]:
    total = 0.0
    for n, u in enumerate(e["chain"], start=1):
        ms = round(1.05 * law(u["type"], u["features"]), 9)
        total += ms
        units.append({"exit": e["exit"], "unit": n, "name": u["name"], "type": u["type"],
                      "features": u["features"], "flops": u["flops"], "params": 0,
                      "output_bytes": u["output_bytes"], "samples_ms": [ms] * 3,
                      "median_ms": ms, "p95_ms": ms})
    exits.append({"exit": e["exit"], "median_ms": round(total, 9), "samples_ms": [round(total, 9)] * 3})
load = [{"model_bytes": b, "median_ms": round(0.5 + b * 1e-6, 9)} for b in (1e5, 1e6, 4e6, 8e6)]
doc = {"schema": "edgent.profile/1",
       "generator": {"tool": "make_profile.py", "version": "pinned", "git": "pinned"},
       "role": "device",
       "provenance": {"host": "fixture", "cpu_model": "fixture", "cores": 1, "threads": 1,
                      "cpu_quota": None, "opencv": "4", "model_sha256": card["onnx_sha256"],
                      "time": "2026-01-01T00:00:00Z"},
       "settings": {"warmup": 0, "reps": 3},
       "units": units, "exits": exits, "load": load, "sweep": sweep}
with open(os.path.join(here, "profile.json"), "w") as out:
    json.dump(doc, out, indent=1)
    out.write("\n")
