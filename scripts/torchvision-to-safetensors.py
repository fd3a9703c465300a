#!/usr/bin/python3
"""Writes torchvision weights as the safetensors file vknn loads (torchvision's names).

  torchvision-to-safetensors.py MODEL.pth OUT.safetensors
      a state_dict saved by torch.save (also one wrapped as {"state_dict": ...} or
      {"model": ...}, or a whole pickled module; a "module." prefix from DataParallel is
      dropped)
  torchvision-to-safetensors.py --random resnet18|resnet34|resnet50 [--seed S]
                                [--num-classes K] OUT.safetensors
      a torchvision model with its own random initialisation (no download)

Floating-point tensors are written as F32 (vknn computes in fp32); integer tensors keep
their type, so BN's num_batches_tracked stays I64 (vknn ignores entries it has no use for,
loading with extra entries allowed). Needs only Debian's python3-torch (and
python3-torchvision for --random).

The format (https://github.com/huggingface/safetensors): an 8-byte little-endian header
length N, N bytes of JSON mapping each name to its dtype, shape and [begin, end) byte offsets
in the data that follows, then the tensors' raw little-endian bytes.
"""
import argparse
import json
import struct
import sys

import torch

DTYPES = {torch.int64: "I64", torch.int32: "I32", torch.int16: "I16", torch.int8: "I8",
          torch.uint8: "U8", torch.bool: "BOOL", torch.float32: "F32"}


def load_state_dict(path):
    obj = torch.load(path, map_location="cpu")
    if isinstance(obj, torch.nn.Module):
        obj = obj.state_dict()
    for key in ("state_dict", "model"):
        if isinstance(obj, dict) and isinstance(obj.get(key), dict):
            obj = obj[key]
    if not isinstance(obj, dict) or not all(isinstance(v, torch.Tensor) for v in obj.values()):
        sys.exit(f"{path}: not a state_dict (a dict of tensors)")
    return {(k[len("module."):] if k.startswith("module.") else k): v for k, v in obj.items()}


def random_state_dict(name, seed, num_classes):
    import torchvision
    if name not in ("resnet18", "resnet34", "resnet50"):
        sys.exit(f"--random: unknown model '{name}' (resnet18, resnet34, resnet50)")
    torch.manual_seed(seed)
    return getattr(torchvision.models, name)(weights=None, num_classes=num_classes).state_dict()


def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": metadata}
    blobs, offset = [], 0
    for name, t in tensors.items():
        t = t.detach().cpu()
        if t.is_floating_point():
            t = t.to(torch.float32)
        if t.dtype not in DTYPES:
            sys.exit(f"tensor '{name}': dtype {t.dtype} has no safetensors name here")
        # numpy's '<' types are little-endian whatever the host is.
        data = t.contiguous().numpy().astype(t.numpy().dtype.newbyteorder("<"), copy=False).tobytes()
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the data section starts 8-byte aligned
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for b in blobs:
            f.write(b)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("inputs", nargs="+", metavar="FILE", help="MODEL.pth OUT.safetensors, or OUT.safetensors with --random")
    ap.add_argument("--random", metavar="MODEL", help="resnet18, resnet34 or resnet50 with torchvision's initialisation")
    ap.add_argument("--seed", type=int, default=0, help="torch.manual_seed for --random (default 0)")
    ap.add_argument("--num-classes", type=int, default=1000, help="classifier outputs for --random (default 1000)")
    a = ap.parse_args()
    if a.random:
        if len(a.inputs) != 1:
            ap.error("--random takes one file: OUT.safetensors")
        sd = random_state_dict(a.random, a.seed, a.num_classes)
        source = f"torchvision {a.random}, random initialisation, seed {a.seed}"
    else:
        if len(a.inputs) != 2:
            ap.error("expected MODEL.pth OUT.safetensors")
        sd = load_state_dict(a.inputs[0])
        source = a.inputs[0]
    write_safetensors(a.inputs[-1], sd, {"format": "pt", "source": source})
    print(f"{a.inputs[-1]}: {len(sd)} tensors from {source}")


if __name__ == "__main__":
    main()
