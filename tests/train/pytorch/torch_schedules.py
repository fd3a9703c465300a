#!/usr/bin/python3
"""The learning-rate schedules against torch.optim.lr_scheduler (Debian's python3-torch):
computes each case's per-epoch rates with PyTorch, stepping the scheduler once per epoch, and
runs train_tests' "pytorch:" cases on them.

  torch_schedules.py TRAIN_TESTS

Writes a temporary file with one line per case: schedule, epochs, warmup epochs, step epochs,
base rate, then the rate of every epoch (repr of the double). Exits 77 (skipped) without
torch; otherwise with the status of train_tests.
"""
import os
import subprocess
import sys
import tempfile

CASES = [  # schedule, epochs, warmup, step_epochs, lr
    ("cosine", 10, 0, 30, 0.1),
    ("cosine", 10, 3, 30, 0.1),
    ("cosine", 7, 1, 30, 0.05),
    ("cosine", 200, 5, 30, 0.4),
    ("step", 10, 0, 3, 0.1),
    ("step", 12, 2, 4, 0.01),
    ("step", 90, 0, 30, 0.1),
]


def rates(torch, schedule, epochs, warmup, step_epochs, lr):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=lr)
    if schedule == "cosine":
        main = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=epochs - warmup, eta_min=0)
    else:
        main = torch.optim.lr_scheduler.StepLR(opt, step_size=step_epochs, gamma=0.1)
    sched = main
    if warmup > 0:
        warm = torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.01, end_factor=1.0, total_iters=warmup)
        sched = torch.optim.lr_scheduler.SequentialLR(opt, [warm, main], milestones=[warmup])
    out = []
    for _ in range(epochs):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        sched.step()
    return out


def main():
    tests = sys.argv[1]
    try:
        import warnings
        import torch
        warnings.simplefilter("ignore")
    except ImportError as e:
        print(f"skipped: {e}")
        return 77
    with tempfile.TemporaryDirectory(prefix="vknn-schedules-") as d:
        path = os.path.join(d, "schedules.txt")
        with open(path, "w") as f:
            for case in CASES:
                f.write(" ".join([str(v) for v in case] + [repr(r) for r in rates(torch, *case)]) + "\n")
        env = dict(os.environ, VKNN_TORCH_SCHEDULES=path)
        return subprocess.run([tests, "--no-skip", "-tc=pytorch: *"], env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
