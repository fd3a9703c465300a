#!/usr/bin/python3
"""vknn's input pipeline against torchvision's DataLoader with the same transforms, on the same
image folder, interleaved, in images per second per loader thread.

  compare-dataloader.py --data DIR [--vknn PATH] [--model M] [--split train|test]
                        [--threads T] [--batch B] [--batches N] [--warmup W] [--rounds R]

DIR is a folder `vknn train --data` reads as train/ and test/ (or val/) image folders. Each
round runs one `vknn bench data ... --json` process (its rate over N batches after W warm-up
batches) and then the same N + W batches of a torch.utils.data.DataLoader over
torchvision.datasets.ImageFolder with T worker processes, alternating which goes first. A
row's figure is the median over its rounds.

The torchvision transforms are vknn's, as `vknn bench data` names them in its "augmentation"
field:
  ImageNet models (input 64 or more): Resize(size * 256 / 224) on the PIL image (bilinear),
    then RandomCrop(size) and RandomHorizontalFlip for training or CenterCrop(size) for
    testing, ToTensor, Normalize(ImageNet mean and std);
  32x32 models (the CIFAR nets): for training RandomCrop(32, padding=4) and
    RandomHorizontalFlip, then ToTensor and Normalize.
Other recipes (AlexNet's colour PCA, greyscale models) are refused rather than approximated.

Needs Debian's python3-torch and python3-torchvision.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import torch
import torchvision
import torchvision.transforms as T

IMAGENET_MEAN = [0.485, 0.456, 0.406]
IMAGENET_STD = [0.229, 0.224, 0.225]


def vknn_round(args):
    cmd = [args.vknn, "bench", "data", "--data", args.data, "--model", args.model, "--split", args.split,
           "--threads", str(args.threads), "--batch", str(args.batch), "--batches", str(args.batches),
           "--warmup", str(args.warmup), "--json"]
    out = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True).stdout
    return json.loads(out)


def torch_transform(info, split):
    c, size, _ = info["input"]
    aug = info["augmentation"]
    if c != 3:
        sys.exit(f"compare-dataloader.py: {c}-channel models are not compared")
    if "pca" in aug.lower():
        sys.exit(f"compare-dataloader.py: the augmentation '{aug}' has no torchvision equivalent here")
    norm = [T.ToTensor(), T.Normalize(IMAGENET_MEAN, IMAGENET_STD)]
    if size >= 64:
        shorter = size * 256 // 224
        crop = [T.RandomCrop(size), T.RandomHorizontalFlip()] if split == "train" else [T.CenterCrop(size)]
        return T.Compose([T.Resize(shorter)] + crop + norm)
    if split == "train":
        return T.Compose([T.RandomCrop(size, padding=4), T.RandomHorizontalFlip()] + norm)
    return T.Compose([T.Resize((size, size))] + norm)


def torch_round(args, transform):
    split_dir = os.path.join(args.data, args.split)
    if args.split == "test" and not os.path.isdir(split_dir):
        split_dir = os.path.join(args.data, "val")
    ds = torchvision.datasets.ImageFolder(split_dir, transform=transform)
    loader = torch.utils.data.DataLoader(ds, batch_size=args.batch, shuffle=args.split == "train",
                                         num_workers=args.threads, drop_last=True, persistent_workers=True,
                                         prefetch_factor=4)
    want = args.warmup + args.batches
    done, images, start = 0, 0, None
    while done < want:
        for x, _ in loader:
            if done == args.warmup:
                start = time.perf_counter()
            if done >= args.warmup:
                images += x.shape[0]
            done += 1
            if done == want:
                break
    rate = images / (time.perf_counter() - start)
    del loader
    return rate


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", required=True)
    p.add_argument("--vknn", default=os.path.join(here, "..", "build", "tools", "vknn"))
    p.add_argument("--model", default="resnet18")
    p.add_argument("--split", default="train", choices=["train", "test"])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--batch", type=int, default=32)
    p.add_argument("--batches", type=int, default=20)
    p.add_argument("--warmup", type=int, default=2)
    p.add_argument("--rounds", type=int, default=3)
    args = p.parse_args()
    torch.set_num_threads(1)

    vk, pt, info = [], [], None
    for r in range(args.rounds):  # round 1 starts with vknn, whose report names the transforms
        order = ["vknn", "torch"] if r % 2 == 0 else ["torch", "vknn"]
        for who in order:
            if who == "vknn":
                info = vknn_round(args)
                vk.append(info["images_per_s"])
                print(f"round {r + 1} vknn       : {vk[-1]:8.1f} images/s", flush=True)
            else:
                pt.append(torch_round(args, torch_transform(info, args.split)))
                print(f"round {r + 1} torchvision: {pt[-1]:8.1f} images/s", flush=True)
    v, t = statistics.median(vk), statistics.median(pt)
    print(f"{args.model} {args.split} on {args.data}: {info['kind']}, {info['augmentation']}, batch {args.batch}, "
          f"{args.threads} thread(s)/worker(s), {args.batches} batches after {args.warmup}, {args.rounds} rounds")
    print(f"  vknn        median {v:8.1f} images/s  ({v / args.threads:7.1f} per thread)")
    print(f"  torchvision median {t:8.1f} images/s  ({t / args.threads:7.1f} per worker)")
    print(f"  vknn / torchvision = {v / t:.2f}")


if __name__ == "__main__":
    main()
