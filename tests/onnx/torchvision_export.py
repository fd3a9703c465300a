#!/usr/bin/python3
"""Writes a torchvision model with random weights as ONNX, with an input batch and PyTorch's
outputs for it, for the ONNX import tests:

    torchvision_export.py MODEL OUT_DIR SIZE OPSET [eval|train|preserve]

OUT_DIR/model.onnx   the model, batch axis dynamic ("N")
OUT_DIR/input.npy    (2,3,SIZE,SIZE) float32, a fixed seed
OUT_DIR/expected.npy PyTorch's eval-mode outputs for it (float32)

Weights are torchvision's initialization under a fixed seed; batch-norm statistics and affine
parameters are randomized too, so that folding them (or not) is tested. With "train" the
model is exported in training mode (BatchNormalization and Dropout kept, no constant
folding), as a model to be trained is. With "preserve" it is exported in eval mode but without
PyTorch's own folding of BatchNormalization into the convolutions (TrainingMode.PRESERVE), so
that vknn's inference-graph optimizer has BatchNormalization nodes to fold. Exits 77 (a skip
for CTest) without torch.
"""
import os
import sys

try:
    import numpy as np
    import torch
    import torchvision
except ImportError as e:  # the tests that need these are skipped, not failed
    print(f"skipping: {e}", file=sys.stderr)
    sys.exit(77)


def build(name):
    kwargs = {"weights": None}
    if name == "googlenet":
        kwargs.update(aux_logits=False, init_weights=True)
    if name == "alexnet_small":  # the fc layers at a test's size
        name = "alexnet"
    model = getattr(torchvision.models, name)(**kwargs)
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.copy_(torch.rand(m.num_features, generator=gen) * 0.4 - 0.2)
                m.running_var.copy_(torch.rand(m.num_features, generator=gen) * 1.5 + 0.5)
                m.weight.copy_(torch.rand(m.num_features, generator=gen) + 0.5)
                m.bias.copy_(torch.rand(m.num_features, generator=gen) * 0.4 - 0.2)
    return model


def main():
    name, out, size, opset = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    mode = sys.argv[5] if len(sys.argv) > 5 else "eval"
    torch.manual_seed(0)
    torch.set_num_threads(1)
    model = build(name).eval()
    x = torch.randn(2, 3, size, size, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        y = model(x)
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "model.onnx")
    kwargs = dict(input_names=["input"], output_names=["logits"], opset_version=opset)
    if mode == "train":
        model.train()
        kwargs.update(training=torch.onnx.TrainingMode.TRAINING, do_constant_folding=False)
    else:
        kwargs.update(dynamic_axes={"input": {0: "N"}, "logits": {0: "N"}})
    if mode == "preserve":
        kwargs.update(training=torch.onnx.TrainingMode.PRESERVE)
    torch.onnx.export(model, x[:1], path, **kwargs)
    np.save(os.path.join(out, "input.npy"), x.numpy().astype(np.float32))
    np.save(os.path.join(out, "expected.npy"), y.numpy().astype(np.float32))


if __name__ == "__main__":
    main()
