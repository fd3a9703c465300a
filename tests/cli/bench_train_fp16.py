"""vknn bench --model M --train --precision fp16: the training graph `vknn train --precision
fp16` builds (fp16 activations, casts for the backward reads, the overflow check before SGD),
timed, with its planned memory and its precision in the JSON; the activation arena is
smaller than fp32's. --precision with --split is refused naming the flag.
   usage: bench_train_fp16.py VKNN MODEL"""
import json
import subprocess
import sys

vknn, model = sys.argv[1], sys.argv[2]


def bench(*extra):
    cmd = [vknn, "bench", "--model", model, "--batch", "2", "--iters", "1", "--warmup", "0", "--train", "--json", *extra]
    out = subprocess.run(cmd, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(f"{' '.join(cmd)} exited {out.returncode}: {out.stderr}")
    return json.loads(out.stdout)


fp32, fp16 = bench(), bench("--precision", "fp16")
for j, p in ((fp32, "fp32"), (fp16, "fp16")):
    if j["mode"] != "train" or j["precision"] != p:
        sys.exit(f"{p}: mode {j['mode']} precision {j['precision']}")
types = [layer["type"] for layer in fp16["layers"]]
for t in ("cast", "cast_backward", "grad_check", "sgd"):
    if t not in types:
        sys.exit(f"the fp16 training step has no {t} node: {sorted(set(types))}")
if "grad_check" in [layer["type"] for layer in fp32["layers"]]:
    sys.exit("the fp32 training step checks for overflow")
if fp16["skipped_steps"] != 0 or fp32["skipped_steps"] is not None:
    sys.exit(f"skipped_steps: fp16 {fp16['skipped_steps']}, fp32 {fp32['skipped_steps']}")
if not (fp16["loss"] > 0 and fp16["images_per_s"] > 0):
    sys.exit(f"fp16: loss {fp16['loss']}, images/s {fp16['images_per_s']}")
a, b = fp32["memory"]["transient_peak_bytes"], fp16["memory"]["transient_peak_bytes"]
if not 0 < b < a:
    sys.exit(f"the fp16 activation arena is {b} bytes, fp32's {a}")
out = subprocess.run([vknn, "bench", "--model", model, "--train", "--precision", "fp16", "--split", "none"],
                     capture_output=True, text=True)
if out.returncode == 0 or "--precision fp16 runs on one target" not in out.stderr:
    sys.exit(f"--precision with --split: exit {out.returncode}, {out.stderr}")
print(f"{model} training step in fp16: transient peak {b} bytes against {a} in fp32")
