#!/usr/bin/python3
"""Computes cases with PyTorch (Debian's python3-torch, in float64) and runs reference_tests'
"pytorch:" cases on them, which hold vknn's double-precision references against PyTorch.
The GPU tests hold the kernels against those references, so the chain ends at PyTorch.

  pytorch_cases.py REFERENCE_TESTS

Writes into a temporary folder `<case>.<array>.f64` files (raw little-endian float64) and a
manifest, `cases.txt`, with one line per array: name and shape. Exits 77 (skipped) when torch
is absent; otherwise with the status of reference_tests.
"""
import os
import subprocess
import sys
import tempfile


def softmax_xent_cases(torch, put):
    """torch.nn.CrossEntropyLoss(label_smoothing=eps), reduction 'mean', and its gradient."""
    shapes = [(1, 1, 0.1), (4, 10, 0.1), (3, 17, 0.25), (5, 3, 0.0), (2, 7, 1.0), (7, 1000, 0.2)]
    g = torch.Generator().manual_seed(15)
    for i, (n, k, eps) in enumerate(shapes):
        z = (torch.randn(n, k, generator=g, dtype=torch.float64) * 3).requires_grad_()
        y = torch.randint(0, k, (n,), generator=g)
        dloss = 1.7
        loss = torch.nn.CrossEntropyLoss(label_smoothing=eps)(z, y)
        (loss * dloss).backward()
        name = f"xent{i}"
        put(name, "logits", z.detach())
        put(name, "labels", y.to(torch.float64))
        put(name, "params", torch.tensor([eps, dloss], dtype=torch.float64))
        put(name, "loss", loss.detach().reshape(1))
        put(name, "dlogits", z.grad)


def activation_cases(torch, put):
    """The element-wise activations and their gradients, with the kinks among the inputs (so
    the one-sided derivative PyTorch takes there is checked too). params: kind, alpha, beta as
    in tests/reference/activation.h."""
    F = torch.nn.functional
    kinds = [  # (name, kind index of ref::Act, alpha, beta, function)
        ("sigmoid", 0, 0.0, 0.0, torch.sigmoid),
        ("hardsigmoid", 1, 1 / 6, 0.5, F.hardsigmoid),
        ("hardswish", 2, 0.0, 0.0, F.hardswish),
        ("silu", 3, 0.0, 0.0, F.silu),
        ("relu6", 4, 0.0, 6.0, F.relu6),
        ("hardtanh", 4, -0.5, 0.25, lambda x: F.hardtanh(x, -0.5, 0.25)),
        ("leaky_relu", 5, 0.01, 0.0, lambda x: F.leaky_relu(x, 0.01)),
        ("leaky_relu_neg", 5, -0.3, 0.0, lambda x: F.leaky_relu(x, -0.3)),
        ("tanh", 6, 0.0, 0.0, torch.tanh),
    ]
    g = torch.Generator().manual_seed(16)
    kinks = torch.tensor([-3.0, 0.0, 3.0, 6.0, -0.5, 0.25, -40.0, 40.0, 100.0, -100.0], dtype=torch.float64)
    for i, (_, kind, alpha, beta, f) in enumerate(kinds):
        x = torch.cat([torch.randn(501, generator=g, dtype=torch.float64) * 5, kinks]).requires_grad_()
        dy = torch.randn(x.shape, generator=g, dtype=torch.float64)
        y = f(x)
        y.backward(dy)
        name = f"act{i}"
        put(name, "params", torch.tensor([kind, alpha, beta], dtype=torch.float64))
        put(name, "x", x.detach())
        put(name, "dy", dy)
        put(name, "y", y.detach())
        put(name, "dx", x.grad)


def binary_cases(torch, put):
    """a op b with broadcasting (+ - * /) and both gradients; params: op index of ref::Bin."""
    shapes = [((2, 3, 4, 5), (2, 3, 1, 1)), ((2, 3, 1, 1), (2, 3, 4, 5)), ((3, 4, 5), (1,)), ((2, 1, 4), (3, 1)),
              ((4, 1), (1, 5)), ((2, 3), (2, 3))]
    g = torch.Generator().manual_seed(17)
    i = 0
    for op, f in enumerate([torch.add, torch.sub, torch.mul, torch.div]):
        for sa, sb in shapes:
            a = (torch.rand(sa, generator=g, dtype=torch.float64) * 1.5 + 0.5).requires_grad_()
            b = (torch.rand(sb, generator=g, dtype=torch.float64) * 1.5 + 0.5).requires_grad_()
            y = f(a, b)
            dy = torch.randn(y.shape, generator=g, dtype=torch.float64)
            y.backward(dy)
            name = f"bin{i}"
            i += 1
            put(name, "params", torch.tensor([op], dtype=torch.float64))
            put(name, "a", a.detach())
            put(name, "b", b.detach())
            put(name, "dy", dy)
            put(name, "y", y.detach())
            put(name, "da", a.grad)
            put(name, "db", b.grad)


def pool_cases(torch, put):
    """max_pool2d and avg_pool2d (both count_include_pad) with and without ceil_mode, and their
    gradients; then asymmetric pads, pads up to kernel - 1 and dilation, which PyTorch's pools
    do not take, as F.pad (-inf for max, zeros for average) followed by an unpadded pool, the
    average not counting padding as sum / count of the padded ones. params: max (1) or avg (0),
    count_include_pad, ceil_mode, kh, kw, sh, sw, pad top, left, bottom, right, dh, dw."""
    F = torch.nn.functional
    geometries = [  # (kernel, stride, pad, ceil, (N,C,H,W))
        ((3, 3), (2, 2), (0, 0), True, (1, 2, 8, 6)),
        ((2, 2), (2, 2), (0, 0), True, (2, 1, 5, 7)),
        ((3, 3), (2, 2), (1, 1), True, (1, 2, 6, 9)),
        ((3, 3), (3, 3), (1, 1), True, (1, 1, 5, 7)),
        ((3, 2), (2, 3), (1, 1), True, (1, 2, 10, 11)),
        ((3, 3), (2, 2), (1, 1), False, (1, 2, 7, 6)),
        ((3, 3), (2, 2), (0, 0), True, (1, 3, 112, 112)),
    ]
    g = torch.Generator().manual_seed(18)
    i = 0

    def emit(kind, include_pad, ceil, k, s, pads, d, x, y, dy):
        nonlocal i
        y.backward(dy)
        name = f"pool{i}"
        i += 1
        put(name, "params", torch.tensor([kind, include_pad, int(ceil), *k, *s, *pads, *d], dtype=torch.float64))
        put(name, "x", x.detach())
        put(name, "dy", dy)
        put(name, "y", y.detach())
        put(name, "dx", x.grad)

    for k, s, pad, ceil, shape in geometries:
        for kind, include_pad in [(1, 0), (0, 1), (0, 0)]:
            x = torch.randn(shape, generator=g, dtype=torch.float64).requires_grad_()
            if kind == 1:
                y = F.max_pool2d(x, k, s, pad, ceil_mode=ceil)
            else:
                y = F.avg_pool2d(x, k, s, pad, ceil_mode=ceil, count_include_pad=bool(include_pad))
            dy = torch.randn(y.shape, generator=g, dtype=torch.float64)
            emit(kind, include_pad, ceil, k, s, (pad[0], pad[1], pad[0], pad[1]), (1, 1), x, y, dy)

    padded = [  # (kernel, stride, (top, left, bottom, right), dilation, (N,C,H,W)); floor mode
        ((3, 3), (2, 2), (0, 0, 1, 1), (1, 1), (1, 3, 5, 6)),    # SAME_UPPER
        ((3, 3), (2, 2), (1, 1, 0, 0), (1, 1), (2, 2, 5, 7)),    # SAME_LOWER
        ((3, 2), (2, 1), (0, 1, 2, 0), (1, 1), (1, 2, 9, 10)),
        ((3, 3), (1, 1), (2, 2, 2, 2), (1, 1), (1, 3, 4, 5)),    # pads of kernel - 1
        ((4, 3), (3, 2), (3, 0, 1, 2), (1, 1), (2, 3, 7, 6)),
        ((2, 2), (1, 1), (0, 0, 0, 0), (2, 2), (1, 1, 4, 4)),    # dilated (max only)
        ((3, 2), (2, 1), (1, 1, 0, 1), (2, 3), (2, 3, 9, 11)),
    ]
    for k, s, (t, l, b, r), d, shape in padded:
        kinds = [(1, 0)] if d != (1, 1) else [(1, 0), (0, 1), (0, 0)]
        for kind, include_pad in kinds:
            x = torch.randn(shape, generator=g, dtype=torch.float64).requires_grad_()
            if kind == 1:
                y = F.max_pool2d(F.pad(x, (l, r, t, b), value=float("-inf")), k, s, 0, dilation=d)
            elif include_pad:
                y = F.avg_pool2d(F.pad(x, (l, r, t, b)), k, s, 0)
            else:
                total = F.avg_pool2d(F.pad(x, (l, r, t, b)), k, s, 0, divisor_override=1)
                count = F.avg_pool2d(F.pad(torch.ones_like(x), (l, r, t, b)), k, s, 0, divisor_override=1)
                y = total / count
            dy = torch.randn(y.shape, generator=g, dtype=torch.float64)
            emit(kind, include_pad, False, k, s, (t, l, b, r), d, x, y, dy)


def channel_shuffle_cases(torch, put):
    """torchvision's channel_shuffle (reshape, transpose(1, 2), reshape) and its gradient;
    params: groups."""
    shapes = [(2, (1, 6, 1, 1)), (3, (2, 9, 5, 7)), (2, (2, 48, 4, 3)), (4, (1, 8, 2, 2)), (1, (1, 3, 2, 2))]
    g = torch.Generator().manual_seed(19)
    for i, (groups, (n, c, h, w)) in enumerate(shapes):
        x = torch.randn(n, c, h, w, generator=g, dtype=torch.float64).requires_grad_()
        y = x.reshape(n, groups, c // groups, h, w).transpose(1, 2).contiguous().reshape(n, c, h, w)
        dy = torch.randn(y.shape, generator=g, dtype=torch.float64)
        y.backward(dy)
        name = f"shuffle{i}"
        put(name, "params", torch.tensor([groups], dtype=torch.float64))
        put(name, "x", x.detach())
        put(name, "dy", dy)
        put(name, "y", y.detach())
        put(name, "dx", x.grad)


def pad_cases(torch, put):
    """F.pad on C, H and W, each side on its own, negative counts cropping, with zeros or
    another value, and its gradient; params: begin (C,H,W), end (C,H,W), value."""
    F = torch.nn.functional
    cases = [  # (begin, end, value, (N,C,H,W))
        ((0, 1, 1), (0, 1, 1), 0.0, (1, 2, 3, 3)),
        ((0, 0, 1), (0, 2, 0), 0.0, (2, 3, 4, 5)),
        ((2, 0, 0), (1, 0, 0), 0.0, (1, 3, 2, 2)),
        ((1, -1, 2), (0, 2, -1), 0.0, (2, 2, 4, 3)),
        ((-1, -2, -1), (-1, 0, -2), 0.0, (1, 4, 5, 6)),
        ((0, 1, 3), (0, 2, 4), 1.25, (1, 3, 4, 5)),
    ]
    g = torch.Generator().manual_seed(20)
    for i, (begin, end, value, shape) in enumerate(cases):
        x = torch.randn(shape, generator=g, dtype=torch.float64).requires_grad_()
        y = F.pad(x, (begin[2], end[2], begin[1], end[1], begin[0], end[0]), value=value)
        dy = torch.randn(y.shape, generator=g, dtype=torch.float64)
        y.backward(dy)
        name = f"pad{i}"
        put(name, "params", torch.tensor([*begin, *end, value], dtype=torch.float64))
        put(name, "x", x.detach())
        put(name, "dy", dy)
        put(name, "y", y.detach())
        put(name, "dx", x.grad)


def adamw_cases(torch, put):
    """torch.optim.AdamW (amsgrad off) over 4 steps on given gradients, in float64."""
    settings = [(1e-3, 0.9, 0.999, 1e-8, 1e-2, 7), (0.05, 0.8, 0.99, 1e-6, 0.1, 33), (0.3, 0.0, 0.5, 1e-3, 0.0, 1)]
    g = torch.Generator().manual_seed(16)
    for i, (lr, b1, b2, eps, wd, n) in enumerate(settings):
        w = torch.randn(n, generator=g, dtype=torch.float64)
        grads = torch.randn(4, n, generator=g, dtype=torch.float64)
        name = f"adamw{i}"
        put(name, "w0", w.clone())
        put(name, "grads", grads)
        put(name, "params", torch.tensor([lr, b1, b2, eps, wd], dtype=torch.float64))
        p = torch.nn.Parameter(w.clone())
        opt = torch.optim.AdamW([p], lr=lr, betas=(b1, b2), eps=eps, weight_decay=wd)
        after = []
        for step in range(4):
            p.grad = grads[step].clone()
            opt.step()
            after.append(p.detach().clone())
        put(name, "w", torch.stack(after))


def matmul_cases(torch, put):
    """alpha * op(a) @ op(b) (torch.matmul on transposed views, with its batch broadcasting),
    plus beta * c broadcast (Gemm's C) where c is given, and every gradient; params: trans_a,
    trans_b, alpha, beta. The shapes a and b are stored in."""
    cases = [  # (a stored, b stored, trans_a, trans_b, alpha, c shape or None, beta)
        ((1, 1), (1, 1), 0, 0, 1.0, None, 1.0),
        ((5, 3), (3, 7), 0, 0, 1.0, None, 1.0),
        ((3, 5), (3, 7), 1, 0, 0.25, None, 1.0),
        ((5, 3), (7, 3), 0, 1, -1.5, None, 1.0),
        ((3, 5), (7, 3), 1, 1, 0.35, None, 1.0),
        ((2, 3, 4), (2, 4, 5), 0, 0, 1.0, None, 1.0),
        ((2, 3, 5, 4), (4, 6), 0, 0, 2.0, None, 1.0),
        ((4, 6), (3, 7, 6), 0, 1, 0.5, None, 1.0),
        ((2, 1, 4, 3), (3, 5, 4), 1, 1, -0.75, None, 1.0),
        ((4, 3), (5, 4), 1, 1, 0.25, (1, 5), 0.35),
        ((3, 5), (5, 4), 0, 0, 1.0, (3, 4), 1.0),
        ((2, 3), (3, 4), 0, 0, 1.0, (), 1.0),
        ((2, 7), (7, 4), 0, 0, 0.5, (4,), -2.0),
        ((5, 6), (3, 6), 0, 1, 1.0, (5, 1), 0.5),
    ]
    g = torch.Generator().manual_seed(21)
    for i, (sa, sb, ta, tb, alpha, sc, beta) in enumerate(cases):
        a = torch.randn(sa, generator=g, dtype=torch.float64).requires_grad_()
        b = torch.randn(sb, generator=g, dtype=torch.float64).requires_grad_()
        y = alpha * torch.matmul(a.transpose(-1, -2) if ta else a, b.transpose(-1, -2) if tb else b)
        if sc is not None:
            c = torch.randn(sc, generator=g, dtype=torch.float64).requires_grad_()
            y = y + beta * c
        dy = torch.randn(y.shape, generator=g, dtype=torch.float64)
        y.backward(dy)
        name = f"matmul{i}"
        put(name, "params", torch.tensor([ta, tb, alpha, beta], dtype=torch.float64))
        put(name, "a", a.detach())
        put(name, "b", b.detach())
        put(name, "dy", dy)
        put(name, "y", y.detach())
        put(name, "da", a.grad)
        put(name, "db", b.grad)
        if sc is not None:
            put(name, "c", c.detach())
            put(name, "dc", c.grad)


def softmax_cases(torch, put):
    """torch.softmax and torch.log_softmax over one dim, and their gradients. params: outer, K,
    inner (the (outer, K, inner) view of tests/reference/softmax.h) and log."""
    cases = [((1, 1), 1), ((3, 7), 1), ((3, 7), 0), ((2, 3, 5, 4), 1), ((2, 3, 5, 4), -1), ((4, 1000), 1)]
    g = torch.Generator().manual_seed(21)
    i = 0
    for shape, dim in cases:
        d = dim % len(shape)
        outer, inner = 1, 1
        for s in shape[:d]:
            outer *= s
        for s in shape[d + 1:]:
            inner *= s
        for log in (False, True):
            x = (torch.randn(shape, generator=g, dtype=torch.float64) * 4).requires_grad_()
            if i == 0:
                x = x.detach().add(1000).requires_grad_()  # far beyond exp's range
            y = (torch.log_softmax if log else torch.softmax)(x, dim)
            dy = torch.randn(y.shape, generator=g, dtype=torch.float64)
            y.backward(dy)
            name = f"softmax{i}"
            put(name, "params", torch.tensor([outer, shape[d], inner, float(log)], dtype=torch.float64))
            put(name, "x", x.detach())
            put(name, "dy", dy)
            put(name, "y", y.detach())
            put(name, "dx", x.grad)
            i += 1


def main():
    tests = sys.argv[1]
    try:
        import torch
    except ImportError as e:
        print(f"skipped: {e}")
        return 77
    with tempfile.TemporaryDirectory(prefix="vknn-pytorch-") as d:
        manifest = []

        def put(case, array, t):
            name = f"{case}.{array}"
            t.detach().contiguous().numpy().astype("<f8").tofile(os.path.join(d, name + ".f64"))
            manifest.append(" ".join([name] + [str(s) for s in t.shape]))

        softmax_xent_cases(torch, put)
        activation_cases(torch, put)
        binary_cases(torch, put)
        pool_cases(torch, put)
        channel_shuffle_cases(torch, put)
        pad_cases(torch, put)
        adamw_cases(torch, put)
        matmul_cases(torch, put)
        softmax_cases(torch, put)
        with open(os.path.join(d, "cases.txt"), "w") as f:
            f.write("\n".join(manifest) + "\n")
        env = dict(os.environ, VKNN_PYTORCH_CASES=d)
        return subprocess.run([tests, "--no-skip", "-tc=pytorch: *"], env=env).returncode


if __name__ == "__main__":
    sys.exit(main())
