"""Exit 0 when two safetensors files hold the same tensors, bit for bit (names, dtypes, shapes
and bytes); the metadata may differ. Otherwise names the first tensor that differs.
   usage: same_weights.py A.safetensors B.safetensors [--only PREFIX] [--differ PREFIX]
--only compares only the tensors whose names start with PREFIX (present in both files);
--differ instead requires every such tensor to differ."""
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
mode, prefix = (sys.argv[3], sys.argv[4]) if len(sys.argv) == 5 else (None, "")
if mode is None and sorted(a) != sorted(b):
    sys.exit(f"different tensors: {sorted(set(a) ^ set(b))}")
names = sorted(k for k in a if k.startswith(prefix) and (mode is None or k in b))
if not names:
    sys.exit(f"no tensor starts with '{prefix}' in both files")
for name in names:
    if mode == "--differ":
        if a[name] == b[name]:
            sys.exit(f"tensor '{name}' is the same in {sys.argv[1]} and {sys.argv[2]}")
    elif a[name] != b[name]:
        sys.exit(f"tensor '{name}' differs between {sys.argv[1]} and {sys.argv[2]}")
print(f"{len(names)} tensors {'differ' if mode == '--differ' else 'equal bit for bit'}")
