#!/usr/bin/python3
"""The PyTorch side of `vknn train --model FILE.onnx` (tests/cli/train_onnx.sh):

    train_onnx.py export OUT_DIR
        OUT_DIR/model.onnx   a small conv net (conv, batch norm, relu, max pool, conv, batch
                             norm, relu, global average pool, linear; 1x28x28 in, 10 classes),
                             exported in training mode so that its BatchNormalization nodes
                             are kept and train; random weights under a fixed seed
        OUT_DIR/data/        an IDX data set of BATCH training and BATCH test images
                             (random bytes, fixed seed), so that one epoch is one batch
        OUT_DIR/initial.safetensors  the parameters as exported
        OUT_DIR/reference.npz  PyTorch's numbers for STEPS epochs of torch.optim.SGD on it:
                             loss_<k> (step k's loss, before its update) and every parameter
                             after the last step under its name
    train_onnx.py compare OUT_DIR CHECKPOINT METRICS_CSV
        Exit 0 when vknn's checkpoint and per-epoch losses (metrics.csv) agree with the
        reference within TOLERANCE (relative, normwise per tensor); prints the worst errors.

A batch holds the whole training set, so vknn's shuffled order changes only the order of the
sum over the batch, and both sides take the same steps. Exits 77 (a skip for CTest) without
torch.
"""
import json
import os
import struct
import sys

try:
    import numpy as np
    import torch
except ImportError as e:
    print(f"skipping: {e}", file=sys.stderr)
    sys.exit(77)

BATCH, STEPS = 32, 3
LR, MOMENTUM, WEIGHT_DECAY = 0.05, 0.9, 5e-4
TOLERANCE = 1e-4


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = torch.nn.Conv2d(1, 8, 3, padding=1)
        self.bn1 = torch.nn.BatchNorm2d(8)
        self.conv2 = torch.nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.bn2 = torch.nn.BatchNorm2d(16)
        self.fc = torch.nn.Linear(16, 10)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        x = torch.nn.functional.max_pool2d(x, 2)
        x = torch.relu(self.bn2(self.conv2(x)))
        return self.fc(torch.nn.functional.adaptive_avg_pool2d(x, 1).flatten(1))


def write_idx(path, array):
    """IDX as Debian's Fashion-MNIST has it: magic 0x0803 (images) or 0x0801 (labels), big-endian dims."""
    with open(path, "wb") as f:
        f.write(struct.pack(">I", 0x0800 + array.ndim))
        for d in array.shape:
            f.write(struct.pack(">I", d))
        f.write(array.astype(np.uint8).tobytes())


def export(out):
    os.makedirs(os.path.join(out, "data"), exist_ok=True)
    rng = np.random.default_rng(5)
    for split in ("train", "t10k"):
        images = rng.integers(0, 256, (BATCH, 28, 28), dtype=np.uint8)
        labels = np.arange(BATCH) % 10
        write_idx(os.path.join(out, "data", f"{split}-images-idx3-ubyte"), images)
        write_idx(os.path.join(out, "data", f"{split}-labels-idx1-ubyte"), labels)
        if split == "train":
            x = torch.from_numpy(images.astype(np.float32) * np.float32(1 / 255)).reshape(BATCH, 1, 28, 28)
            y = torch.from_numpy(labels.astype(np.int64))
    torch.manual_seed(0)
    torch.set_num_threads(1)
    model = Net()
    initial = {k: v.clone() for k, v in model.state_dict().items()}
    model.train()
    torch.onnx.export(model, x[:1], os.path.join(out, "model.onnx"), input_names=["input"], output_names=["logits"],
                      opset_version=13, training=torch.onnx.TrainingMode.TRAINING, do_constant_folding=False,
                      dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}})
    model.load_state_dict(initial)  # the export ran the model once: undo its running statistics
    write_safetensors(os.path.join(out, "initial.safetensors"),
                      {name: p.detach().numpy() for name, p in model.named_parameters()})
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM, weight_decay=WEIGHT_DECAY)
    loss_fn = torch.nn.CrossEntropyLoss()
    ref = {}
    for step in range(1, STEPS + 1):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        ref[f"loss_{step}"] = np.array(loss.item())
    for name, p in model.named_parameters():
        ref[name] = p.detach().numpy()
    np.savez(os.path.join(out, "reference.npz"), **ref)


def write_safetensors(path, tensors):
    header, offset = {}, 0
    for name, a in tensors.items():
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
    text = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        for a in tensors.values():
            f.write(np.ascontiguousarray(a, dtype=np.float32).tobytes())


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop("__metadata__", {})
    data = raw[8 + n:]
    out = {}
    for k, v in header.items():
        assert v["dtype"] == "F32", (k, v["dtype"])
        a, b = v["data_offsets"]
        out[k] = np.frombuffer(data[a:b], dtype=np.float32).reshape(v["shape"])
    return out, meta


def compare(out, checkpoint, metrics):
    ref = np.load(os.path.join(out, "reference.npz"))
    got, meta = read_safetensors(checkpoint)
    ok = True
    with open(metrics) as f:
        rows = [line.strip().split(",") for line in f][1:]
    if len(rows) != STEPS:
        sys.exit(f"{metrics}: {len(rows)} epochs, expected {STEPS} (one step each)")
    for step, row in enumerate(rows, 1):
        want = float(ref[f"loss_{step}"])
        err = abs(float(row[2]) - want) / abs(want)
        print(f"step {step}: loss {row[2]} (PyTorch {want:.6f}, relative error {err:.2g})")
        ok = ok and err <= TOLERANCE
    worst, worst_name = 0.0, ""
    names = [k for k in ref.files if not k.startswith("loss_")]
    for name in names:
        if name not in got:
            sys.exit(f"{checkpoint}: no tensor '{name}' (it has {sorted(got)})")
        w = ref[name]
        err = float(np.linalg.norm(got[name].astype(np.float64) - w) / max(np.linalg.norm(w), 1e-30))
        if err > worst:
            worst, worst_name = err, name
        if err > TOLERANCE:
            print(f"{name}: relative error {err:.3g} after {STEPS} steps")
            ok = False
    print(f"{len(names)} parameters after {STEPS} SGD steps: worst relative error {worst:.2g} ({worst_name})")
    print(f"checkpoint model: {meta.get('model')}, file {meta.get('onnx_file')}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    if sys.argv[1] == "export":
        export(sys.argv[2])
    else:
        compare(*sys.argv[2:5])
