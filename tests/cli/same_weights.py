"""Exit 0 when two safetensors files hold the same tensors, bit for bit (names, dtypes, shapes
and bytes); the metadata may differ. Otherwise names the first tensor that differs.
   usage: same_weights.py A.safetensors B.safetensors"""
import json
import struct
import sys


def tensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    header.pop("__metadata__", None)
    data = raw[8 + n:]
    return {k: (v["dtype"], v["shape"], data[v["data_offsets"][0]:v["data_offsets"][1]]) for k, v in header.items()}


a, b = tensors(sys.argv[1]), tensors(sys.argv[2])
if sorted(a) != sorted(b):
    sys.exit(f"different tensors: {sorted(set(a) ^ set(b))}")
for name in sorted(a):
    if a[name] != b[name]:
        sys.exit(f"tensor '{name}' differs between {sys.argv[1]} and {sys.argv[2]}")
print(f"{len(a)} tensors equal bit for bit")
