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
        OUT_DIR/<recipe>.npz PyTorch's numbers for STEPS epochs of each recipe on it:
                             loss_<k> (step k's loss, before its update) and every parameter
                             after the last step under its name. Recipes (RECIPES): sgd,
                             torch.optim.SGD at a fixed rate; adamw, torch.optim.AdamW with a
                             1-epoch LinearLR warmup, then CosineAnnealingLR, stepped per epoch
    train_onnx.py compare OUT_DIR RECIPE CHECKPOINT METRICS_CSV
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
# The flags train_onnx.sh gives `vknn train` for each recipe are these numbers.
# AdamW's eps is 1e-3, not torch's 1e-8: Adam divides each gradient element by its own RMS,
# so an element whose gradient is nearly zero (a sum that cancels, known only to fp32 rounding)
# still takes a step of about lr, whose sign and size are rounding noise. With eps 1e-6 such an
# element of conv2.weight (gradient -1.8e-7) moved 1.3e-5 apart in step 2, and the step-3
# gradients of bn1 then differed by 1.6% (vknn's and PyTorch's gradients from the same weights
# agree within 6e-6). eps 1e-3 keeps those elements' steps proportional to their gradients.
RECIPES = {
    "sgd": dict(lr=0.05, momentum=0.9, weight_decay=5e-4),
    "adamw": dict(lr=0.01, betas=(0.9, 0.99), eps=1e-3, weight_decay=0.05, warmup=1),
}
TOLERANCE = 1e-4


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        # No bias before a batch norm (as torchvision's nets): its gradient is zero but for
        # rounding, which AdamW would normalise into steps of the order of lr * noise / eps.
        self.conv1 = torch.nn.Conv2d(1, 8, 3, padding=1, bias=False)
        self.bn1 = torch.nn.BatchNorm2d(8)
        self.conv2 = torch.nn.Conv2d(8, 16, 3, stride=2, padding=1, bias=False)
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
    for recipe, r in RECIPES.items():
        model.load_state_dict(initial)
        sched = None
        if recipe == "sgd":
            opt = torch.optim.SGD(model.parameters(), lr=r["lr"], momentum=r["momentum"],
                                  weight_decay=r["weight_decay"])
        else:
            opt = torch.optim.AdamW(model.parameters(), lr=r["lr"], betas=r["betas"], eps=r["eps"],
                                    weight_decay=r["weight_decay"])
            warm = torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.01, total_iters=r["warmup"])
            cosine = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=STEPS - r["warmup"])
            sched = torch.optim.lr_scheduler.SequentialLR(opt, [warm, cosine], milestones=[r["warmup"]])
        loss_fn = torch.nn.CrossEntropyLoss()
        ref = {}
        for step in range(1, STEPS + 1):  # one step per epoch
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            if sched:
                sched.step()
            ref[f"loss_{step}"] = np.array(loss.item())
        for name, p in model.named_parameters():
            ref[name] = p.detach().numpy()
        np.savez(os.path.join(out, f"{recipe}.npz"), **ref)


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


def compare(out, recipe, checkpoint, metrics):
    ref = np.load(os.path.join(out, f"{recipe}.npz"))
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
    print(f"{recipe}: {len(names)} parameters after {STEPS} steps: worst relative error {worst:.2g} ({worst_name})")
    print(f"checkpoint model: {meta.get('model')}, file {meta.get('onnx_file')}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    if sys.argv[1] == "export":
        export(sys.argv[2])
    else:
        compare(*sys.argv[2:6])
