#!/usr/bin/python3
"""Saves a torchvision ResNet-18 state_dict with torch.save, converts it with
scripts/torchvision-to-safetensors.py, computes PyTorch's logits for a random batch, and
runs models_tests' case that loads the file into vknn's resnet18 and compares.

  torchvision_resnet18.py MODELS_TESTS CONVERTER

Exits 77 (skipped) when torch or torchvision is absent; otherwise with the test's status.
"""
import os
import subprocess
import sys
import tempfile


def main():
    tests, converter = sys.argv[1], sys.argv[2]
    try:
        import torch
        import torchvision
    except ImportError as e:
        print(f"skipped: {e}")
        return 77
    torch.manual_seed(18)
    model = torchvision.models.resnet18(weights=None)
    # Random BN statistics and affine parameters, so that loading them (not their defaults
    # 0, 1, 1, 0) is what makes the logits agree.
    with torch.no_grad():
        for mod in model.modules():
            if isinstance(mod, torch.nn.BatchNorm2d):
                mod.running_mean.normal_(0, 0.2)
                mod.running_var.uniform_(0.5, 2.0)
                mod.weight.uniform_(0.5, 1.5)
                mod.bias.normal_(0, 0.2)
                mod.num_batches_tracked.fill_(1234)
    model.eval()
    x = torch.randn(2, 3, 224, 224)
    with torch.no_grad():
        logits = model(x)
    with tempfile.TemporaryDirectory(prefix="vknn-torchvision-") as d:
        torch.save(model.state_dict(), os.path.join(d, "resnet18.pth"))
        subprocess.run([sys.executable, converter, os.path.join(d, "resnet18.pth"),
                        os.path.join(d, "resnet18.safetensors")], check=True)
        x.numpy().astype("<f4").tofile(os.path.join(d, "input.f32"))
        logits.numpy().astype("<f4").tofile(os.path.join(d, "logits.f32"))
        env = dict(os.environ, VKNN_TORCHVISION_DIR=d)
        return subprocess.run([tests, "--no-skip", "-tc=models: torchvision ResNet-18 weights give PyTorch's logits"],
                              env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
