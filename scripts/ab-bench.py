#!/usr/bin/python3
"""Two variants of one `vknn bench` run, interleaved, with the ratio of their medians:

  ab-bench.py [--vknn PATH] [--a-vknn PATH] [--b-vknn PATH] [--rounds R]
              [--a-env K=V ...] [--b-env K=V ...] [--a-args "ARGS"] [--b-args "ARGS"] -- BENCH_ARGS...

Each round runs `vknn bench BENCH_ARGS A_ARGS --json` with A's environment, then the same
with B's (the order alternates from round to round), so the load of a shared machine falls
on both alike. Each process reports its own median step time (its --iters after its
--warmup); the figure of a variant is the median over its rounds, and the ratio is B / A.
Example, the inference-graph optimizer on and off:

  ab-bench.py --rounds 5 --b-args=--no-optimize -- --model resnet18 --batch 1 --iters 5

`vknn bench ops` runs are compared case by case (each case's median within a process):

  ab-bench.py --rounds 5 --b-env VKNN_CONV1X1=implicit -- ops --filter "(1x1) conv2d_forward" --iters 5

and two builds (a saved binary of main against the working tree's):

  ab-bench.py --rounds 5 --a-vknn /tmp/vknn-main -- --model resnet50 --batch 1 --iters 3
"""
import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys


def run(vknn, args, env):
    e = dict(os.environ)
    e.update(env)
    out = subprocess.run([vknn, "bench", *args, "--json"], env=e, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"vknn bench {' '.join(args)} failed ({out.returncode}):\n{out.stderr}")
    doc = json.loads(out.stdout)
    if doc.get("benchmark") == "ops":
        return {f'{r["model"]} {r["layer"]} {r["op"]}': r["median_ms"] for r in doc["results"]}
    return {"": doc["latency_ms"]["median"]}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--vknn", default=os.path.join(os.path.dirname(__file__), "..", "build", "tools", "vknn"))
    ap.add_argument("--a-vknn", help="the binary of variant A (default --vknn)")
    ap.add_argument("--b-vknn", help="the binary of variant B (default --vknn)")
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--a-env", action="append", default=[])
    ap.add_argument("--b-env", action="append", default=[])
    ap.add_argument("--a-args", default="")
    ap.add_argument("--b-args", default="")
    ap.add_argument("bench", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    bench = [x for x in a.bench if x != "--"]
    variants = {
        "A": (bench + shlex.split(a.a_args), dict(kv.split("=", 1) for kv in a.a_env), a.a_vknn or a.vknn),
        "B": (bench + shlex.split(a.b_args), dict(kv.split("=", 1) for kv in a.b_env), a.b_vknn or a.vknn),
    }
    times = {"A": {}, "B": {}}  # variant -> case ("" for a whole model) -> one median per round
    for r in range(a.rounds):
        for v in ("A", "B") if r % 2 == 0 else ("B", "A"):
            args, env, vknn = variants[v]
            for case, ms in run(vknn, args, env).items():
                times[v].setdefault(case, []).append(ms)
                print(f"round {r + 1} {v} {case}: {ms:.1f} ms".replace("  ", " "), file=sys.stderr)
    for v in ("A", "B"):
        args, env, vknn = variants[v]
        print(f"{v}: " + " ".join([f"{k}={x}" for k, x in env.items()] + [f"{vknn} bench"] + args))
    for case in times["A"]:
        ta, tb = times["A"][case], times["B"].get(case, [])
        if not tb:
            continue
        if case:
            print(case)
        for v, t in (("A", ta), ("B", tb)):
            print(f"   {v} median {statistics.median(t):.1f} ms over {len(t)} rounds (each a process's median), "
                  f"range {min(t):.1f}-{max(t):.1f} ms")
        print(f"   B / A = {statistics.median(tb) / statistics.median(ta):.3f}")


if __name__ == "__main__":
    main()
