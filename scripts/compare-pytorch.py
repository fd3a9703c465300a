#!/usr/bin/python3
"""The same architectures at the same batch in PyTorch (on the CPU) and in vknn, interleaved,
with the ratio of their median step times.

  compare-pytorch.py [--vknn PATH] [--quick] [--rounds R] [--iters N] [--threads T]
                     [--only TEXT] [--json FILE]

Rows (what the README's performance table shows):
  inference: AlexNet, ResNet-18, ResNet-50 at batch 1 and 8;
  training steps (forward, backward, SGD with momentum 0.9 and weight decay 5e-4, softmax
  cross-entropy): CIFAR ResNet-20 at batch 128, AlexNet at batch 8, ResNet-18 at batch 8.

Interleaving: each row runs R rounds; a round is one `vknn bench --model M --batch B
[--train] --json` process (its own median of N timed steps after a warm-up, read from the
JSON) followed by N timed PyTorch steps after one warm-up, so a shared machine's load falls
on both alike. A row's figure is the median over its rounds. PyTorch runs with T threads
(default 2, `torch.set_num_threads`); lavapipe uses every core (LP_NUM_THREADS is left as
the environment sets it).

The PyTorch models are written to match vknn's: torchvision's ResNet-18/50 (vknn uses its
layout and names), the 2012 paper's two-column AlexNet as one network with grouped
convolutions (conv2, conv4, conv5 in two groups; conv1, conv3, fc6-8 see both columns;
LRN after conv1 and conv2; 227x227 input), and the CIFAR ResNet-20 of He et al. with
option-A shortcuts (stride-2 subsampling, zero channels). Weights are random: the
step time does not depend on them.

Needs Debian's python3-torch and python3-torchvision. --quick: one round of 2 steps per row.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

ROWS = [
    # (label, vknn model, batch, train)
    ("AlexNet inference", "alexnet", 1, False),
    ("AlexNet inference", "alexnet", 8, False),
    ("ResNet-18 inference", "resnet18", 1, False),
    ("ResNet-18 inference", "resnet18", 8, False),
    ("ResNet-50 inference", "resnet50", 1, False),
    ("ResNet-50 inference", "resnet50", 8, False),
    ("CIFAR ResNet-20 training step", "cifar-resnet20", 128, True),
    ("AlexNet training step", "alexnet", 8, True),
    ("ResNet-18 training step", "resnet18", 8, True),
]


class AlexNet2012(nn.Module):
    """The two-column AlexNet of Krizhevsky et al. (2012) as grouped convolutions."""

    def __init__(self, classes=1000):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 96, 11, stride=4)
        self.conv2 = nn.Conv2d(96, 256, 5, padding=2, groups=2)
        self.conv3 = nn.Conv2d(256, 384, 3, padding=1)
        self.conv4 = nn.Conv2d(384, 384, 3, padding=1, groups=2)
        self.conv5 = nn.Conv2d(384, 256, 3, padding=1, groups=2)
        self.lrn = nn.LocalResponseNorm(5, alpha=1e-4, beta=0.75, k=2.0)
        self.fc6 = nn.Linear(9216, 4096)
        self.fc7 = nn.Linear(4096, 4096)
        self.fc8 = nn.Linear(4096, classes)
        self.drop = nn.Dropout(0.5)

    def forward(self, x):
        x = F.max_pool2d(self.lrn(F.relu(self.conv1(x))), 3, 2)
        x = F.max_pool2d(self.lrn(F.relu(self.conv2(x))), 3, 2)
        x = F.relu(self.conv3(x))
        x = F.relu(self.conv4(x))
        x = F.max_pool2d(F.relu(self.conv5(x)), 3, 2)
        x = torch.flatten(x, 1)
        x = self.drop(F.relu(self.fc6(x)))
        x = self.drop(F.relu(self.fc7(x)))
        return self.fc8(x)


class CifarBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.stride, self.pad = stride, cout - cin

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        s = x[:, :, :: self.stride, :: self.stride] if self.stride > 1 else x
        if self.pad:  # option A: the extra channels are zero
            s = F.pad(s, (0, 0, 0, 0, 0, self.pad))
        return F.relu(y + s)


class CifarResNet(nn.Module):
    """He et al. (2016) section 4.2: 6n+2 layers, option-A shortcuts."""

    def __init__(self, depth=20, classes=10):
        super().__init__()
        n = (depth - 2) // 6
        self.conv1 = nn.Conv2d(3, 16, 3, 1, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(16)
        blocks, cin = [], 16
        for stage in range(3):
            width = 16 << stage
            for i in range(n):
                blocks.append(CifarBlock(cin, width, 2 if stage > 0 and i == 0 else 1))
                cin = width
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(64, classes)

    def forward(self, x):
        x = self.blocks(F.relu(self.bn1(self.conv1(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def torch_model(name):
    if name == "alexnet":
        return AlexNet2012(), 227, 1000
    if name == "resnet18":
        return torchvision.models.resnet18(), 224, 1000
    if name == "resnet50":
        return torchvision.models.resnet50(), 224, 1000
    if name == "cifar-resnet20":
        return CifarResNet(20), 32, 10
    raise ValueError(name)


class TorchRow:
    """One row's PyTorch model, inputs and step function, built once and timed per round."""

    def __init__(self, name, batch, train):
        torch.manual_seed(1)
        self.model, size, classes = torch_model(name)
        self.x = torch.rand(batch, 3, size, size) * 2 - 1
        self.y = torch.randint(0, classes, (batch,))
        self.train = train
        if train:
            self.model.train()
            self.opt = torch.optim.SGD(self.model.parameters(), lr=0.01, momentum=0.9, weight_decay=5e-4)
        else:
            self.model.eval()

    def step(self):
        if self.train:
            self.opt.zero_grad(set_to_none=True)
            F.cross_entropy(self.model(self.x), self.y).backward()
            self.opt.step()
        else:
            with torch.inference_mode():
                self.model(self.x)

    def time(self, iters):
        self.step()  # warm-up
        ms = []
        for _ in range(iters):
            t0 = time.perf_counter()
            self.step()
            ms.append((time.perf_counter() - t0) * 1e3)
        return statistics.median(ms)


def vknn_median(vknn, model, batch, train, iters):
    cmd = [vknn, "bench", "--model", model, "--batch", str(batch), "--iters", str(iters), "--warmup", "1", "--json"]
    if train:
        cmd.append("--train")
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return json.loads(out.strip().splitlines()[-1])["latency_ms"]["median"]


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--vknn", default=os.path.join(here, "..", "build", "tools", "vknn"), help="the vknn binary")
    ap.add_argument("--quick", action="store_true", help="one round of 2 steps per row")
    ap.add_argument("--rounds", type=int, default=3, help="alternations of vknn and PyTorch per row")
    ap.add_argument("--iters", type=int, default=3, help="timed steps per round and side")
    ap.add_argument("--threads", type=int, default=2, help="PyTorch CPU threads")
    ap.add_argument("--only", default="", help='rows whose "label bBATCH" or model contains this text')
    ap.add_argument("--json", default="", help="also write the results to this file")
    args = ap.parse_args()
    if args.quick:
        args.rounds, args.iters = 1, 2
    if args.rounds < 1 or args.iters < 1 or args.threads < 1:
        ap.error("--rounds, --iters and --threads must be positive")
    if not os.access(args.vknn, os.X_OK):
        ap.error(f"{args.vknn} is not an executable vknn (build it, or pass --vknn)")
    torch.set_num_threads(args.threads)

    print(f"PyTorch {torch.__version__} on the CPU, {args.threads} threads; vknn: {args.vknn}")
    print(f"{args.rounds} round(s) of {args.iters} timed steps per side, vknn and PyTorch alternating\n")
    header = f"{'row':<32} {'batch':>5} {'vknn ms':>10} {'PyTorch ms':>11} {'vknn / PyTorch':>15}"
    print(header)
    print("-" * len(header))
    results = []
    for label, model, batch, train in ROWS:
        if args.only and args.only not in f"{label} b{batch}" and args.only not in model:
            continue
        row = TorchRow(model, batch, train)
        v_ms, t_ms = [], []
        for _ in range(args.rounds):
            v_ms.append(vknn_median(args.vknn, model, batch, train, args.iters))
            t_ms.append(row.time(args.iters))
        v, t = statistics.median(v_ms), statistics.median(t_ms)
        results.append({"row": label, "model": model, "batch": batch, "train": train, "vknn_ms": v,
                        "pytorch_ms": t, "ratio": v / t, "vknn_rounds_ms": v_ms, "pytorch_rounds_ms": t_ms})
        print(f"{label:<32} {batch:>5} {v:>10.1f} {t:>11.1f} {v / t:>14.2f}x", flush=True)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"threads": args.threads, "rounds": args.rounds, "iters": args.iters, "rows": results}, f,
                      indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
