#!/usr/bin/python3
"""The reference of the ONNX training checks: torchvision resnet18 (random weights, fixed seed)
exported in training mode, then 3 steps of torch.optim.SGD on one batch:

    train_reference.py OUT_DIR SIZE BATCH [MODEL]

MODEL is resnet18 (the default) or matmul: a small network of matrix products that PyTorch
exports as MatMul with weight initializers (a plain one, and a batched one whose weight is
shared over the batch) and a Gemm with alpha, beta and transB.

OUT_DIR/model.onnx             exported before the first step (BatchNormalization kept)
OUT_DIR/input.npy, labels.npy  the batch (labels as float32 class indices)
OUT_DIR/step<k>/loss.npy       the loss of step k (1..3), computed before its update
OUT_DIR/step<k>/grad/<p>.npy   each parameter's gradient in step k
OUT_DIR/step<k>/weight/<p>.npy each parameter after step k
Exits 77 (a skip for CTest) without torch.
"""
import os
import sys

try:
    import numpy as np
    import torch
    import torchvision
except ImportError as e:
    print(f"skipping: {e}", file=sys.stderr)
    sys.exit(77)

# lr 0.01 at 64x64, batch 4: there PyTorch's own fp32 and fp64 runs agree to 1.1e-5 over the
# 3 steps (at lr 0.05 they differ by 1.5e-3 in step 2: the steps are too chaotic for any fp32
# implementation to agree within 1e-4).
LR, MOMENTUM, WEIGHT_DECAY, STEPS = 0.01, 0.9, 5e-4, 3


class MatmulNet(torch.nn.Module):
    def __init__(self, inputs, hidden=16, classes=10):
        super().__init__()
        self.w1 = torch.nn.Parameter(torch.randn(inputs, hidden) / inputs ** 0.5)
        self.b1 = torch.nn.Parameter(torch.randn(hidden) * 0.1)
        self.w2 = torch.nn.Parameter(torch.randn(hidden, hidden) / hidden ** 0.5)
        self.w3 = torch.nn.Parameter(torch.randn(classes, hidden) / hidden ** 0.5)
        self.b3 = torch.nn.Parameter(torch.randn(1, classes) * 0.1)

    def forward(self, x):
        h = torch.relu(torch.matmul(x.flatten(1), self.w1) + self.b1)  # MatMul, Add
        h = torch.relu(torch.matmul(h.unsqueeze(1), self.w2).squeeze(1))  # (N,1,H)·(H,H)
        return torch.addmm(self.b3, h, self.w3.t(), beta=0.5, alpha=2.0)  # Gemm transB alpha beta


def build(name, size):
    if name == "matmul":
        return MatmulNet(3 * size * size)
    return torchvision.models.resnet18(weights=None, num_classes=10)


def main():
    out, size, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    name = sys.argv[4] if len(sys.argv) > 4 else "resnet18"
    torch.manual_seed(0)
    torch.set_num_threads(1)
    model = build(name, size)
    x = torch.randn(batch, 3, size, size, generator=torch.Generator().manual_seed(2))
    labels = torch.randint(0, 10, (batch,), generator=torch.Generator().manual_seed(3))
    os.makedirs(out, exist_ok=True)
    model.train()
    torch.onnx.export(model, x, os.path.join(out, "model.onnx"), input_names=["input"], output_names=["logits"],
                      opset_version=14, training=torch.onnx.TrainingMode.TRAINING, do_constant_folding=False)
    # The export ran the model once in training mode: restore the running statistics it moved.
    torch.manual_seed(0)
    model = build(name, size)
    model.train()
    np.save(os.path.join(out, "input.npy"), x.numpy())
    np.save(os.path.join(out, "labels.npy"), labels.numpy().astype(np.float32))
    opt = torch.optim.SGD(model.parameters(), lr=LR, momentum=MOMENTUM, weight_decay=WEIGHT_DECAY)
    loss_fn = torch.nn.CrossEntropyLoss()
    for step in range(1, STEPS + 1):
        opt.zero_grad()
        loss = loss_fn(model(x), labels)
        loss.backward()
        d = os.path.join(out, f"step{step}")
        os.makedirs(os.path.join(d, "grad"), exist_ok=True)
        os.makedirs(os.path.join(d, "weight"), exist_ok=True)
        np.save(os.path.join(d, "loss.npy"), np.array([loss.item()], dtype=np.float32))
        for name, p in model.named_parameters():
            np.save(os.path.join(d, "grad", name + ".npy"), p.grad.numpy())
        opt.step()
        for name, p in model.named_parameters():
            np.save(os.path.join(d, "weight", name + ".npy"), p.detach().numpy())


if __name__ == "__main__":
    main()
