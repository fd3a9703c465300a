"""Independent checks of a file written by `vknn export`, with Debian's python3-onnx and torch.

usage: export_check.py check MODEL.onnx [X.npy Y.npy]
    onnx.checker.check_model(full_check=True) (which runs ONNX's shape inference too), the
    opset and IR version, and the graph's declared output shape. With X and Y: the model run
    on X by a small interpreter over torch.nn.functional, one ONNX op at a time (written from
    the ONNX operator specification, independent of vknn's importer), must give Y (what vknn
    computed) within 1e-5 relative (normwise). onnx.reference.ReferenceEvaluator would be the
    natural interpreter, but it arrived in onnx 1.13 and Debian 12 ships 1.12.
usage: export_check.py weights MODEL.onnx OUT.safetensors [bad.safetensors missing.safetensors]
    Writes the model's initializers, perturbed, as safetensors (for `vknn export --weights`),
    and optionally two files that must be refused: one tensor of the wrong shape, one missing.
usage: export_check.py same MODEL.onnx WEIGHTS.safetensors
    Every initializer equals the safetensors tensor of its name, bit for bit.
Exit 77 when onnx, torch or numpy is missing (the test is then skipped).
"""
import json
import struct
import sys

try:
    import numpy as np
    import onnx
    import onnx.numpy_helper
    import torch
    import torch.nn.functional as F
except ImportError as e:
    print(f"skipping: {e}")
    sys.exit(77)


def attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def pads2d(a):
    p = a.get("pads", [0, 0, 0, 0])
    assert p[0] == p[2] and p[1] == p[3], f"asymmetric pads {p}"
    return (p[0], p[1])


def run(model, x):
    """Evaluates the model's graph on x (the first input) with torch, op by op."""
    g = model.graph
    v = {t.name: torch.from_numpy(onnx.numpy_helper.to_array(t).copy()) for t in g.initializer}
    v[g.input[0].name] = torch.from_numpy(x)
    for n in g.node:
        a = attrs(n)
        i = [v[name] if name else None for name in n.input]
        op = n.op_type
        if op == "Constant":
            y = torch.from_numpy(onnx.numpy_helper.to_array(a["value"]).copy())
        elif op == "Conv":
            y = F.conv2d(i[0], i[1], i[2] if len(i) > 2 else None, stride=tuple(a.get("strides", [1, 1])),
                         padding=pads2d(a), groups=a.get("group", 1))
        elif op == "BatchNormalization":
            y = F.batch_norm(i[0], i[3], i[4], i[1], i[2], training=False, eps=a.get("epsilon", 1e-5))
        elif op == "Relu":
            y = F.relu(i[0])
        elif op in ("MaxPool", "AveragePool"):
            kw = dict(kernel_size=tuple(a["kernel_shape"]), stride=tuple(a.get("strides", [1, 1])),
                      padding=pads2d(a), ceil_mode=bool(a.get("ceil_mode", 0)))
            if op == "MaxPool":
                y = F.max_pool2d(i[0], **kw)
            else:
                y = F.avg_pool2d(i[0], count_include_pad=bool(a.get("count_include_pad", 0)), **kw)
        elif op == "ReduceMean":
            y = i[0].mean(dim=tuple(a["axes"]), keepdim=bool(a.get("keepdims", 1)))
        elif op == "Reshape":
            shape = [int(s) for s in i[1]]
            shape = [i[0].shape[k] if s == 0 else s for k, s in enumerate(shape)]
            y = i[0].reshape(shape)
        elif op == "Gemm":
            assert a.get("transB", 0) == 1 and a.get("transA", 0) == 0
            y = F.linear(i[0], i[1], i[2] if len(i) > 2 else None)
        elif op in ("Add", "Sub", "Mul", "Div"):
            y = {"Add": torch.add, "Sub": torch.sub, "Mul": torch.mul, "Div": torch.div}[op](i[0], i[1])
        elif op == "Concat":
            y = torch.cat(i, dim=a["axis"])
        elif op == "Identity":
            y = i[0]
        else:
            raise SystemExit(f"FAIL: the checker's interpreter has no op {op} (node {n.name})")
        v[n.output[0]] = y
    return v[g.output[0].name].numpy()


def check(path, x_path=None, y_path=None):
    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    opsets = {o.domain: o.version for o in model.opset_import}
    print(f"{path}: checker (full_check) passed; ir_version {model.ir_version}, opsets {opsets}, "
          f"{len(model.graph.node)} nodes, {len(model.graph.initializer)} initializers, producer "
          f"{model.producer_name} {model.producer_version}")
    assert model.ir_version == 7, model.ir_version
    assert opsets.get("", opsets.get("ai.onnx")) == 14, opsets
    out = model.graph.output[0].type.tensor_type.shape.dim
    print("output dims:", [d.dim_param or d.dim_value for d in out])
    if x_path:
        x, want = np.load(x_path), np.load(y_path)
        with torch.no_grad():
            got = run(model, x)
        assert got.shape == want.shape, (got.shape, want.shape)
        rel = float(np.linalg.norm(got - want) / np.linalg.norm(want))
        print(f"torch interpreter vs vknn: shape {got.shape}, relative (normwise) difference {rel:.3g}")
        assert rel <= 1e-5, rel
        assert (np.argsort(-got, axis=1)[:, :5] == np.argsort(-want, axis=1)[:, :5]).all(), "top-5 differ"


def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name, a in tensors.items():
        b = np.ascontiguousarray(a, dtype="<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + len(b)]}
        offset += len(b)
        blobs.append(b)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    n = struct.unpack("<Q", data[:8])[0]
    header = json.loads(data[8:8 + n])
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        out[name] = np.frombuffer(data[8 + n + b:8 + n + end], dtype="<f4").reshape(e["shape"])
    return out


def weights(path, out, bad=None, missing=None):
    model = onnx.load(path)
    rng = np.random.default_rng(3)
    t = {i.name: onnx.numpy_helper.to_array(i) for i in model.graph.initializer}
    t = {k: (a + rng.uniform(-0.1, 0.1, a.shape)).astype(np.float32) for k, a in t.items()}
    write_safetensors(out, t)
    first = sorted(t)[0]
    if bad:
        write_safetensors(bad, {**t, first: np.zeros((3, 1), np.float32)})
    if missing:
        write_safetensors(missing, {k: a for k, a in t.items() if k != first})
    print(f"wrote {len(t)} tensors; '{first}' is the wrong shape in the bad file and absent from the other")


def same(path, weights_path):
    model = onnx.load(path)
    w = read_safetensors(weights_path)
    names = set()
    for i in model.graph.initializer:
        a = onnx.numpy_helper.to_array(i)
        assert i.name in w, f"initializer {i.name} not in {weights_path}"
        assert a.shape == w[i.name].shape and (a.view(np.uint32) == w[i.name].view(np.uint32)).all(), i.name
        names.add(i.name)
    assert names == set(w), set(w) ^ names
    print(f"{len(names)} initializers equal the weights file bit for bit")


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    {"check": check, "weights": weights, "same": same}[cmd](*args)
