#!/usr/bin/python3
"""Writes the small models the CLI tests give to --model FILE.onnx:

    onnx_cli_export.py OUT_DIR

OUT_DIR/small.onnx        a conv net (conv, batch norm, relu, max pool, global average pool,
                          linear; 1x28x28 in like the CLI tests' IDX data, 10 classes out),
                          batch axis dynamic
OUT_DIR/input.npy         (3,1,28,28) float32 under a fixed seed
OUT_DIR/expected.npy      PyTorch's eval-mode outputs for it, (3,10) float32
OUT_DIR/input.f32, expected.f32  the same as raw float32 (for the embedding-API tests)
OUT_DIR/unsupported.onnx  the same net with two nodes vknn cannot import (Sin and Cos)
OUT_DIR/two_outputs.onnx  the same net returning (logits, pooled features), and
OUT_DIR/expected_features.npy PyTorch's features, (3,16)
OUT_DIR/train.onnx        the same net under another seed, exported in training mode (its
                          batch norm kept, so that it trains), and
OUT_DIR/train_initial.safetensors its parameters and running statistics as exported (the
                          embedding API's tests train the same network defined in code from them)

Weights are PyTorch's initialization under a fixed seed, batch-norm statistics randomized.
Exits 77 (a skip for CTest) without torch.
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


class Small(torch.nn.Module):
    def __init__(self, odd=False, features=False):
        super().__init__()
        self.odd = odd
        self.features = features
        self.conv1 = torch.nn.Conv2d(1, 8, 3, padding=1)
        self.bn1 = torch.nn.BatchNorm2d(8)
        self.conv2 = torch.nn.Conv2d(8, 16, 3, stride=2, padding=1)
        self.fc = torch.nn.Linear(16, 10)

    def forward(self, x):
        x = torch.relu(self.bn1(self.conv1(x)))
        if self.odd:
            x = torch.sin(x)
        x = torch.nn.functional.max_pool2d(x, 2)
        x = torch.relu(self.conv2(x))
        if self.odd:
            x = torch.cos(x)
        x = torch.nn.functional.adaptive_avg_pool2d(x, 1).flatten(1)
        return (self.fc(x), x) if self.features else self.fc(x)


def export(model, x, path, outputs=("logits",), **training):
    axes = {name: {0: "N"} for name in ("input",) + outputs}
    torch.onnx.export(model, x[:1], path, input_names=["input"], output_names=list(outputs), opset_version=13,
                      dynamic_axes=axes, **training)


def export_for_training(x, out):
    torch.manual_seed(1)
    model = Small()
    initial = {k: v.clone() for k, v in model.state_dict().items() if v.is_floating_point()}
    model.train()
    export(model, x, os.path.join(out, "train.onnx"), training=torch.onnx.TrainingMode.TRAINING,
           do_constant_folding=False)
    write_safetensors(os.path.join(out, "train_initial.safetensors"), initial)


def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name, t in tensors.items():
        a = np.ascontiguousarray(t.detach().numpy(), dtype=np.float32)
        header[name] = {"dtype": "F32", "shape": list(a.shape), "data_offsets": [offset, offset + a.nbytes]}
        offset += a.nbytes
        blobs.append(a.tobytes())
    text = json.dumps(header).encode()
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text + b"".join(blobs))


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    torch.manual_seed(0)
    torch.set_num_threads(1)
    model = Small().eval()
    with torch.no_grad():
        model.bn1.running_mean.uniform_(-0.2, 0.2)
        model.bn1.running_var.uniform_(0.5, 2.0)
    x = torch.randn(3, 1, 28, 28, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        y = model(x)
    export(model, x, os.path.join(out, "small.onnx"))
    np.save(os.path.join(out, "input.npy"), x.numpy().astype(np.float32))
    np.save(os.path.join(out, "expected.npy"), y.numpy().astype(np.float32))
    x.numpy().astype(np.float32).tofile(os.path.join(out, "input.f32"))
    y.numpy().astype(np.float32).tofile(os.path.join(out, "expected.f32"))
    np.save(os.path.join(out, "wrong_shape.npy"), np.zeros((2, 3, 28, 28), np.float32))
    two = Small(features=True).eval()
    two.load_state_dict(model.state_dict())
    with torch.no_grad():
        _, features = two(x)
    export(two, x, os.path.join(out, "two_outputs.onnx"), ("logits", "features"))
    np.save(os.path.join(out, "expected_features.npy"), features.numpy().astype(np.float32))
    odd = Small(odd=True).eval()
    export(odd, x, os.path.join(out, "unsupported.onnx"))
    export_for_training(x, out)


if __name__ == "__main__":
    main()
