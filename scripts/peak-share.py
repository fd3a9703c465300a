#!/usr/bin/python3
"""The 3x3 stride-1 forward convolutions of `vknn bench ops` as a share of `vknn bench peak`
(an FMA shader with no memory traffic), measured in the same run, for one or more builds:

  peak-share.py [--rounds R] VKNN [VKNN ...]

Each round, at batch 1 and 8, runs for each build (the order rotating from round to round)
`bench peak`, the direct, Winograd F(2,3) and F(4,3) cases of ResNet-50's 3x3 stride-1 layers,
then `bench peak` again; a case's rate (direct-convolution FLOPs) is divided by the mean of
the two peaks around it, so that the load of a shared machine falls on both alike. The
autotuner is off (VKNN_TUNE=off): the direct case is the profile's kernel. Prints the median
share (and the range) over the rounds, per case and build.
"""
import argparse
import collections
import json
import os
import statistics
import subprocess
import sys

FILTERS = ("(3x3) conv2d_forward", "winograd_f2) conv2d_forward", "winograd_f4) conv2d_forward")


def bench(vknn, args, env):
    out = subprocess.run([vknn, "bench", *args, "--json"], env=env, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{vknn} bench {' '.join(args)} failed ({out.returncode}):\n{out.stderr}")
    return json.loads(out.stdout)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("vknn", nargs="+")
    a = ap.parse_args()
    env = dict(os.environ, VKNN_TUNE="off")
    share = collections.defaultdict(list)
    loads = []
    for r in range(a.rounds):
        for batch in (1, 8):
            k = r % len(a.vknn)
            for vknn in a.vknn[k:] + a.vknn[:k]:
                p0 = bench(vknn, ["peak", "--iters", "5"], env)["gflops"]
                rows = []
                for f in FILTERS:
                    iters = "5" if batch == 1 else "3"
                    rows += bench(vknn, ["ops", "--filter", f, "--batch", str(batch), "--iters", iters], env)["results"]
                peak = (p0 + bench(vknn, ["peak", "--iters", "5"], env)["gflops"]) / 2
                share[(batch, "peak GFLOP/s", vknn)].append(peak)
                for x in rows:
                    if "s2" not in x["layer"]:  # the strided 3x3 layer matches the direct filter
                        share[(batch, x["layer"], vknn)].append(100 * x["gflops"] / peak)
        loads.append(" ".join(open("/proc/loadavg").read().split()[:3]))
        print(f"round {r + 1}/{a.rounds}, load average {loads[-1]}", file=sys.stderr, flush=True)
    print("load averages after each round:", " | ".join(loads))
    for (batch, layer, vknn), v in sorted(share.items()):
        what = "GFLOP/s" if "peak" in layer else "% of peak"
        print(f"batch {batch}  {layer:48s} {vknn:24s} {what}: {statistics.median(v):.1f} ({min(v):.1f}-{max(v):.1f})")


if __name__ == "__main__":
    main()
