#!/usr/bin/python3
"""Why float32 gradients of a CIFAR ResNet at batch 8 depend on the summation order.

Builds a CIFAR ResNet like vknn's cifar-resnet<depth> (option-A shortcuts: the identity
subsampled, extra channels zero; Kaiming-normal fan-out convs), random inputs in [-1, 1), batch
8, training-mode batch norm, and compares the first step's parameter gradients, each tensor by
max|a - b| / max(max|a|, max|b|) (dp_train_step compare's measure):
  - float32 against float64 (the same weights and inputs), and the ReLU inputs whose sign
    differs between the two passes;
  - float32 again with every ReLU's mask taken from the float64 pass;
  - float64 against float64 with the inputs moved by 2^-24 relative (the problem's own
    sensitivity, without float32).
  usage: relu-flips.py DEPTH SIZE SEED     e.g. relu-flips.py 20 32 0
"""
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F


class Block(nn.Module):
    def __init__(self, cin, cout, stride, relu):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.stride, self.pad, self.relu = stride, cout - cin, relu

    def forward(self, x):
        h = self.bn2(self.conv2(self.relu(self.bn1(self.conv1(x)))))
        sc = x[:, :, ::self.stride, ::self.stride] if self.stride > 1 else x
        if self.pad:
            sc = F.pad(sc, (0, 0, 0, 0, 0, self.pad))
        return self.relu(h + sc)


class Net(nn.Module):
    def __init__(self, depth, relu):
        super().__init__()
        n = (depth - 2) // 6
        self.relu = relu
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        cin, stages = 16, []
        for s in range(3):
            blocks = []
            for i in range(n):
                blocks.append(Block(cin, 16 << s, 2 if s > 0 and i == 0 else 1, relu))
                cin = 16 << s
            stages.append(nn.Sequential(*blocks))
        self.layer1, self.layer2, self.layer3 = stages
        self.fc = nn.Linear(64, 10)
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")

    def forward(self, x):
        x = self.layer3(self.layer2(self.layer1(self.relu(self.bn1(self.conv1(x))))))
        return self.fc(x.mean((2, 3)))


class Relu:
    """F.relu that records its inputs, or applies given masks instead."""

    def __init__(self):
        self.inputs, self.masks = [], None

    def __call__(self, t):
        self.inputs.append(t.detach().double())
        if self.masks is not None:
            return t * self.masks[len(self.inputs) - 1].to(t.dtype)
        return F.relu(t)


def gradients(net, x, y):
    net.zero_grad()
    F.cross_entropy(net(x), y).backward()
    return {k: p.grad.detach().double().clone() for k, p in net.named_parameters()}


def worst(a, b):
    def rel(k):
        return (a[k] - b[k]).abs().max().item() / max(a[k].abs().max().item(), b[k].abs().max().item(), 1e-30)
    k = max(a, key=rel)
    return f"{rel(k):.3g} ({k})"


def main():
    depth, size, seed = (int(v) for v in sys.argv[1:4])
    torch.manual_seed(seed)
    torch.set_num_threads(1)
    r32, r64 = Relu(), Relu()
    net32 = Net(depth, r32).train()
    x = torch.rand(8, 3, size, size) * 2 - 1
    y = torch.randint(0, 10, (8,))
    net64 = Net(depth, r64).double().train()
    net64.load_state_dict({k: v.double() for k, v in net32.state_dict().items()})
    g32, g64 = gradients(net32, x, y), gradients(net64, x.double(), y)
    n = (depth - 2) // 6
    names = ["relu after bn1"] + [f"layer{s + 1}.{i}'s {w} ReLU" for s in range(3) for i in range(n)
                                  for w in ("first", "output")]
    flips = [int(((a > 0) != (b > 0)).sum()) for a, b in zip(r32.inputs, r64.inputs)]
    print(f"cifar-resnet{depth}, {size}x{size}, batch 8, seed {seed}")
    print(f"  float32 vs float64: {worst(g32, g64)}; ReLU inputs whose sign differs: "
          + (", ".join(f"{f} at {names[i]}" for i, f in enumerate(flips) if f) or "none"))
    r32.masks, r32.inputs = [(t > 0) for t in r64.inputs], []
    print(f"  float32 with float64's ReLU masks vs float64: {worst(gradients(net32, x, y), g64)}")
    r32.masks = None
    gen = torch.Generator().manual_seed(seed + 1)
    xp = x.double() * (1 + (torch.rand(x.shape, generator=gen, dtype=torch.float64) * 2 - 1) * 2.0**-24)
    r64.inputs = []
    print(f"  float64, inputs moved by 2^-24: {worst(gradients(net64, xp, y), g64)}")
    bn = net64.layer1[-1].bn2
    dy = []
    h = bn.register_full_backward_hook(lambda m, gi, go: dy.append(go[0].detach()))
    gradients(net64, x.double(), y)
    h.remove()
    s, a = dy[0].sum((0, 2, 3)).abs(), dy[0].abs().sum((0, 2, 3))
    print(f"  layer1.{len(net64.layer1) - 1}.bn2: the bias gradient sums {dy[0].numel() // dy[0].shape[1]} dy per channel; "
          f"max sum|dy| / max |sum dy| = {(a.max() / s.max()).item():.3g}")


if __name__ == "__main__":
    main()
