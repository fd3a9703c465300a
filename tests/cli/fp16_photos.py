#!/usr/bin/env python3
"""fp16 inference on real photos: a model with seeded weights (vknn export, no download) runs the
sample photos through `vknn run` in fp32 and in fp16 (--precision fp16). For every photo the fp16
logits must be within 1e-2 of the fp32 ones, relative in the 2-norm, and the five largest classes
the same set; fp16 must differ from fp32 somewhere (so it did run).

  fp16_photos.py [--limit N] VKNN PREPROCESS_DUMP PHOTO_DIR MODEL...

--limit N takes the first N photos in name order (a shorter run). Each MODEL must take a
224x224 input (resnet18, resnet50; not alexnet, which takes 227).

Photos are decoded, resized to 256 and centre-cropped to 224 by vknn's own pipeline
(PREPROCESS_DUMP), then normalized with the ImageNet mean and deviation. Exits 77 (skipped)
when numpy or the photos are absent."""
import os
import subprocess
import sys
import tempfile


def main():
    args = sys.argv[1:]
    limit = None
    if len(args) >= 2 and args[0] == "--limit":
        limit, args = int(args[1]), args[2:]
    if len(args) < 4:
        print(__doc__)
        return 2
    vknn, dump, photos, models = args[0], args[1], args[2], args[3:]
    try:
        import numpy as np
    except ImportError:
        print("skipped: numpy is absent")
        return 77
    if not photos or not os.path.isdir(photos):
        print(f"skipped: no sample photos at '{photos}'")
        return 77
    paths = sorted(os.path.join(photos, n) for n in os.listdir(photos)
                   if n.lower().endswith((".jpeg", ".jpg", ".png")))
    if not paths:
        print(f"skipped: no .JPEG/.jpg/.png in {photos}")
        return 77
    paths = paths[:limit] if limit else paths
    failed = 0
    with tempfile.TemporaryDirectory() as tmp:
        raw = os.path.join(tmp, "photos.f32")
        subprocess.run([dump, "256", "224", raw] + paths, check=True)
        x = np.fromfile(raw, dtype=np.float32).reshape(len(paths), 3, 224, 224)
        mean = np.array([0.485, 0.456, 0.406], dtype=np.float32).reshape(1, 3, 1, 1)
        std = np.array([0.229, 0.224, 0.225], dtype=np.float32).reshape(1, 3, 1, 1)
        np.save(os.path.join(tmp, "x.npy"), (x - mean) / std)
        for model in models:
            onnx = os.path.join(tmp, model + ".onnx")
            subprocess.run([vknn, "export", "--model", model, "--onnx", onnx], check=True)
            logits = {}
            for precision in ("fp32", "fp16"):
                out = os.path.join(tmp, f"{model}-{precision}.npy")
                subprocess.run([vknn, "run", "--model", onnx, "--input", os.path.join(tmp, "x.npy"),
                                "--output", out, "--precision", precision], check=True)
                logits[precision] = np.load(out).astype(np.float64)
            a, b = logits["fp32"], logits["fp16"]
            rel = np.linalg.norm(b - a, axis=1) / np.maximum(np.linalg.norm(a, axis=1), 1e-300)
            top_a = np.argsort(-a, axis=1, kind="stable")[:, :5]
            top_b = np.argsort(-b, axis=1, kind="stable")[:, :5]
            changed = [os.path.basename(paths[i]) for i in range(len(paths)) if set(top_a[i]) != set(top_b[i])]
            order = sum(1 for i in range(len(paths)) if list(top_a[i]) != list(top_b[i]))
            print(f"{model}: {len(paths)} photos, fp16 vs fp32 logits: normwise relative error max {rel.max():.3g}, "
                  f"median {np.median(rel):.3g}; top-5 set changed on {len(changed)}, order on {order}")
            if rel.max() > 1e-2:
                print(f"FAIL {model}: {os.path.basename(paths[int(rel.argmax())])} has relative error {rel.max():.3g} > 1e-2")
                failed += 1
            if changed:
                print(f"FAIL {model}: the top-5 classes changed on {', '.join(changed)}")
                failed += 1
            if rel.max() == 0:
                print(f"FAIL {model}: fp16 gave the fp32 logits bit for bit; it did not run")
                failed += 1
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
