#!/usr/bin/python3
"""Holds vknn's evaluation preprocessing against torchvision's on PIL images.

torchvision's reference is Compose([Resize(R), CenterCrop(C), ToTensor()]) on the image as
its ImageFolder loader opens it (PIL, converted to RGB). vknn's side comes from
vknn_preprocess_dump (same decode, resize and crop, no normalisation).

  compare_preprocess.py DUMP_TOOL --synthetic         images drawn here, always available
  compare_preprocess.py DUMP_TOOL --photos DIR        *.JPEG/*.jpg/*.png in DIR (skipped when absent)

Fails (exit 1) when any value is more than 2/255 apart, or when the mean absolute difference
of any image is 0.2/255 or more. Exits 77 (skipped) when torchvision or the photos are absent.
"""
import os
import subprocess
import sys
import tempfile

SKIP = 77
MAX_DIFF = 2.0 / 255
MEAN_DIFF = 0.2 / 255


def synthetic_images(folder, np, Image):
    """Sizes cover landscape, portrait, odd long sides (truncation), odd margins (round half
    to even in the crop), upsampling, an image already at the target size and a greyscale
    one; content mixes smooth ramps with one-pixel stripes and noise, which alias without
    the antialiasing filter."""
    rng = np.random.default_rng(15)
    sizes = [(500, 375), (375, 500), (301, 257), (257, 301), (640, 427), (1023, 683),
             (259, 700), (231, 240), (256, 341), (300, 300)]
    paths = []
    for i, (w, h) in enumerate(sizes):
        y, x = np.mgrid[0:h, 0:w]
        ramp = (x * 255.0 / max(w - 1, 1))[..., None] * np.array([1.0, 0.3, 0.6])
        stripes = ((x // (1 + i % 3) + y // 2) % 2) * 160.0
        noise = rng.normal(0, 40, (h, w, 3))
        img = ramp + stripes[..., None] * (x > w // 3)[..., None] + noise * (y > h // 2)[..., None]
        img = np.clip(np.rint(img), 0, 255).astype(np.uint8)
        p = os.path.join(folder, f"synthetic{i}.png")
        Image.fromarray(img, "RGB").save(p)
        paths.append(p)
    grey = os.path.join(folder, "grey.png")
    Image.fromarray(np.clip(rng.normal(128, 60, (333, 400)), 0, 255).astype(np.uint8), "L").save(grey)
    jpeg = os.path.join(folder, "photo.jpg")
    Image.open(paths[0]).save(jpeg, quality=90)
    return paths + [grey, jpeg]


def compare(tool, paths, resize, crop, np, Image, T, folder):
    out = os.path.join(folder, f"vknn-{resize}-{crop}.f32")
    subprocess.run([tool, str(resize), str(crop), out] + paths, check=True)
    ours = np.fromfile(out, dtype=np.float32).reshape(len(paths), 3, crop, crop)
    tv = T.Compose([T.Resize(resize), T.CenterCrop(crop), T.ToTensor()])
    ok = True
    worst_max = worst_mean = total_mean = 0.0
    for k, p in enumerate(paths):
        with open(p, "rb") as f:
            ref = tv(Image.open(f).convert("RGB")).numpy()
        d = np.abs(ours[k].astype(np.float64) - ref)
        mx, mean = d.max(), d.mean()
        worst_max, worst_mean = max(worst_max, mx), max(worst_mean, mean)
        total_mean += mean / len(paths)
        bad = mx > MAX_DIFF + 1e-6 or mean >= MEAN_DIFF
        ok &= not bad
        if bad or len(paths) <= 20:
            print(f"{'FAIL' if bad else 'ok  '} {os.path.basename(p)}: max {mx * 255:.3f}/255, mean {mean * 255:.4f}/255")
    print(f"Resize({resize}) + CenterCrop({crop}), {len(paths)} images: worst max {worst_max * 255:.3f}/255, "
          f"worst mean {worst_mean * 255:.4f}/255, mean over all {total_mean * 255:.4f}/255")
    return ok


def main():
    if len(sys.argv) < 3 or sys.argv[2] not in ("--synthetic", "--photos"):
        print(__doc__)
        return 2
    try:
        import numpy as np
        from PIL import Image
        import torchvision.transforms as T
    except ImportError as e:
        print(f"skipped: {e}")
        return SKIP
    tool = sys.argv[1]
    with tempfile.TemporaryDirectory(prefix="vknn-preprocess-") as folder:
        if sys.argv[2] == "--synthetic":
            paths = synthetic_images(folder, np, Image)
            configs = [(256, 224), (64, 56), (400, 384)]
        else:
            photos = sys.argv[3] if len(sys.argv) > 3 else ""
            if not photos or not os.path.isdir(photos):
                print(f"skipped: no sample photos at '{photos}'")
                return SKIP
            paths = sorted(os.path.join(photos, n) for n in os.listdir(photos)
                           if n.lower().endswith((".jpeg", ".jpg", ".png")))
            if not paths:
                print(f"skipped: no .JPEG/.jpg/.png in {photos}")
                return SKIP
            configs = [(256, 224)]
        ok = all([compare(tool, paths, r, c, np, Image, T, folder) for r, c in configs])
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
