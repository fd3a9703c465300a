#!/usr/bin/python3
"""Writes the fuzz targets' seed corpora (fuzz/<name>/seeds/) and the known bomb inputs
(fuzz/<name>/regressions/). The seeds are committed; rerun this only to change them.
Needs numpy, PIL and onnx (Debian's python3-numpy, python3-pil, python3-onnx)."""
import gzip
import io
import json
import os
import struct
import sys
import zlib

import numpy as np
from PIL import Image

ROOT = os.path.dirname(os.path.abspath(__file__))


def put(target, kind, name, data):
    d = os.path.join(ROOT, target, kind)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def safetensors(tensors, metadata=None, header_override=None):
    header, blobs, off = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, dtype, shape, raw in tensors:
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header_override if header_override is not None else header).encode()
    h += b" " * ((8 - (8 + len(h)) % 8) % 8)
    return struct.pack("<Q", len(h)) + h + b"".join(blobs)


def idx_pair(n, rows, cols, gz):
    images = struct.pack(">IIII", 0x803, n, rows, cols) + bytes((i * 7 + 3) % 256 for i in range(n * rows * cols))
    labels = struct.pack(">II", 0x801, n) + bytes(i % 10 for i in range(n))
    if gz:
        images, labels = gzip.compress(images, mtime=0), gzip.compress(labels, mtime=0)
    return struct.pack("<H", len(labels)) + labels + images


def npy(arr, version=(1, 0)):
    buf = io.BytesIO()
    np.lib.format.write_array(buf, arr, version=version)
    return buf.getvalue()


def picture(w, h, mode="RGB"):
    y, x = np.mgrid[0:h, 0:w]
    rgb = np.stack([x * 255 // max(1, w - 1), y * 255 // max(1, h - 1), (x ^ y) * 16 % 256], -1).astype(np.uint8)
    return Image.fromarray(rgb, "RGB").convert(mode)


def encoded(img, fmt, **kw):
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def png_claiming(w, h):
    b = bytearray(encoded(picture(4, 4), "PNG"))
    b[16:24] = struct.pack(">II", w, h)
    b[29:33] = struct.pack(">I", zlib.crc32(bytes(b[12:29])))
    return bytes(b)


def jpeg_claiming(w, h):
    b = bytearray(encoded(picture(16, 16), "JPEG", quality=75))
    i = b.index(b"\xff\xc0")
    b[i + 5:i + 9] = struct.pack(">HH", h, w)
    return bytes(b)


def onnx_models():
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    rng = np.random.default_rng(0)
    w = lambda name, *shape: numpy_helper.from_array(rng.standard_normal(shape).astype(np.float32), name)
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 3, 8, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 4])
    g1 = helper.make_graph([
        helper.make_node("Conv", ["x", "c.w", "c.b"], ["c"], kernel_shape=[3, 3], pads=[1, 1, 1, 1], name="conv"),
        helper.make_node("Relu", ["c"], ["r"], name="relu"),
        helper.make_node("GlobalAveragePool", ["r"], ["p"], name="pool"),
        helper.make_node("Flatten", ["p"], ["f"], axis=1, name="flatten"),
        helper.make_node("Gemm", ["f", "fc.w", "fc.b"], ["y"], transB=1, name="fc"),
    ], "small_cnn", [x], [y], [w("c.w", 5, 3, 3, 3), w("c.b", 5), w("fc.w", 4, 5), w("fc.b", 4)])
    g2 = helper.make_graph([
        helper.make_node("Conv", ["x", "c.w"], ["c"], kernel_shape=[1, 1], name="conv"),
        helper.make_node("BatchNormalization", ["c", "bn.s", "bn.b", "bn.m", "bn.v"], ["b"], name="bn"),
        helper.make_node("MaxPool", ["b"], ["m"], kernel_shape=[2, 2], strides=[2, 2], name="pool"),
        helper.make_node("Add", ["m", "m"], ["a"], name="add"),
        helper.make_node("Shape", ["a"], ["s"], name="shape"),
        helper.make_node("Gather", ["s", "zero"], ["n"], axis=0, name="gather"),
        helper.make_node("Unsqueeze", ["n", "axes"], ["n1"], name="unsq"),
        helper.make_node("Concat", ["n1", "minus1"], ["shape2"], axis=0, name="concat"),
        helper.make_node("Reshape", ["a", "shape2"], ["flat"], name="reshape"),
        helper.make_node("MatMul", ["flat", "mm.w"], ["y"], name="matmul"),
    ], "bn_reshape", [x], [y], [
        w("c.w", 4, 3, 1, 1), w("bn.s", 4), w("bn.b", 4), w("bn.m", 4),
        numpy_helper.from_array(np.ones(4, np.float32), "bn.v"),
        numpy_helper.from_array(np.array(0, np.int64), "zero"),
        numpy_helper.from_array(np.array([0], np.int64), "axes"),
        numpy_helper.from_array(np.array([-1], np.int64), "minus1"),
        w("mm.w", 64, 4)])
    # Pad folded into a Conv, a ceil-mode pool, Tanh, a channel shuffle (Reshape, Transpose,
    # Reshape) and ReduceMean over H and W.
    g3 = helper.make_graph([
        helper.make_node("Pad", ["x", "pads"], ["pd"], name="pad"),
        helper.make_node("Conv", ["pd", "c3.w"], ["c"], kernel_shape=[3, 3], name="conv"),
        helper.make_node("MaxPool", ["c"], ["m"], kernel_shape=[3, 3], strides=[2, 2], ceil_mode=1, name="pool"),
        helper.make_node("Tanh", ["m"], ["t"], name="tanh"),
        helper.make_node("Reshape", ["t", "s5"], ["r5"], name="view"),
        helper.make_node("Transpose", ["r5"], ["t5"], perm=[0, 2, 1, 3, 4], name="shuffle"),
        helper.make_node("Reshape", ["t5", "s4"], ["r4"], name="unview"),
        helper.make_node("AveragePool", ["r4"], ["a"], kernel_shape=[2, 2], strides=[2, 2], ceil_mode=1, name="avg"),
        helper.make_node("ReduceMean", ["a"], ["y"], axes=[2, 3], keepdims=0, name="mean"),
    ], "shuffle_pad", [x], [y], [
        numpy_helper.from_array(np.array([0, 0, 1, 1, 0, 0, 1, 1], np.int64), "pads"),
        w("c3.w", 4, 3, 3, 3),
        numpy_helper.from_array(np.array([0, 2, 2, 4, 4], np.int64), "s5"),
        numpy_helper.from_array(np.array([0, 4, 4, 4], np.int64), "s4")])
    # Pads no consumer takes: before a MaxPool (H and W, cropping W), and of channels before
    # an Add (the graph's pad node).
    g4 = helper.make_graph([
        helper.make_node("Pad", ["x", "pads"], ["pd"], name="pad_hw"),
        helper.make_node("MaxPool", ["pd"], ["m"], kernel_shape=[3, 3], strides=[2, 2], name="pool"),
        helper.make_node("Pad", ["m", "cpads"], ["pc"], name="pad_c"),
        helper.make_node("Conv", ["m", "c.w"], ["c"], kernel_shape=[1, 1], name="conv"),
        helper.make_node("Add", ["pc", "c"], ["a"], name="add"),
        helper.make_node("GlobalAveragePool", ["a"], ["p"], name="gap"),
        helper.make_node("Flatten", ["p"], ["y"], axis=1, name="flatten"),
    ], "pad_nodes", [x], [y], [
        numpy_helper.from_array(np.array([0, 0, 1, 0, 0, 0, 2, -1], np.int64), "pads"),
        numpy_helper.from_array(np.array([0, 0, 0, 0, 0, 1, 0, 0], np.int64), "cpads"),
        w("c.w", 4, 3, 1, 1)])
    for name, g in (("small_cnn.onnx", g1), ("bn_reshape.onnx", g2), ("shuffle_pad.onnx", g3),
                    ("pad_nodes.onnx", g4)):
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)], producer_name="vknn-fuzz-seeds")
        onnx.checker.check_model(m)
        put("onnx", "seeds", name, m.SerializeToString())


def main():
    f32 = lambda *v: np.array(v, np.float32).tobytes()
    put("safetensors", "seeds", "two_f32.safetensors",
        safetensors([("fc.weight", "F32", [2, 3], f32(1, 2, 3, 4, 5, 6)), ("fc.bias", "F32", [2], f32(-1, 0.5))],
                    {"format": "vknn-checkpoint-1", "step": "7"}))
    put("safetensors", "seeds", "mixed.safetensors",
        safetensors([("bn.num_batches_tracked", "I64", [], struct.pack("<q", 3)),
                     ("half", "F16", [2, 2], np.ones(4, np.float16).tobytes()), ("empty", "F32", [0, 4], b"")]))
    # The wrap of count * element size ([2^31, 2^31] F32 claimed 0 bytes), and an empty F32
    # tensor (read_f32 copied from a null pointer).
    put("safetensors", "regressions", "f32-2pow31x2pow31-zero-bytes.safetensors",
        safetensors([("a", "F32", [2**31, 2**31], b"")]))
    put("safetensors", "regressions", "empty-f32.safetensors", safetensors([("e", "F32", [0], b"")]))

    put("idx", "seeds", "plain.bin", idx_pair(3, 4, 3, False))
    put("idx", "seeds", "gzip.bin", idx_pair(2, 5, 5, True))
    put("idx", "regressions", "4294967295-images-of-65536x65536.bin",
        struct.pack("<H", 9) + struct.pack(">II", 0x801, 1) + b"\0" + struct.pack(">IIII", 0x803, 2**32 - 1, 65536, 65536))

    cifar = b"".join(bytes([r % 10]) + bytes((r * 31 + i) % 256 for i in range(3072)) for r in range(2))
    put("cifar", "seeds", "two_records.bin", cifar)

    put("npy", "seeds", "f4_2x3.npy", npy(np.arange(6, dtype="<f4").reshape(2, 3)))
    put("npy", "seeds", "i8_4.npy", npy(np.arange(4, dtype="<i8")))
    put("npy", "seeds", "f8_scalar_v2.npy", npy(np.array(2.5, "<f8"), (2, 0)))

    put("jpeg", "seeds", "rgb_16x12.jpg", encoded(picture(16, 12), "JPEG", quality=75))
    put("jpeg", "seeds", "grey_9x9.jpg", encoded(picture(9, 9, "L"), "JPEG", quality=90))
    put("jpeg", "seeds", "progressive_444_24x16.jpg",
        encoded(picture(24, 16), "JPEG", quality=80, progressive=True, subsampling=0))
    put("jpeg", "regressions", "bomb-16000x16000.jpg", jpeg_claiming(16000, 16000))

    put("png", "seeds", "rgb_8x6.png", encoded(picture(8, 6), "PNG"))
    put("png", "seeds", "grey_1bit_13x5.png", encoded(picture(13, 5, "1"), "PNG"))
    put("png", "seeds", "palette_7x7.png", encoded(picture(7, 7, "P"), "PNG"))
    put("png", "seeds", "rgba_5x4.png", encoded(picture(5, 4, "RGBA"), "PNG"))
    put("png", "seeds", "grey16_6x3.png", encoded(Image.fromarray((np.arange(18).reshape(3, 6) * 3000).astype(np.uint16)), "PNG"))
    put("png", "regressions", "bomb-16000x16000.png", png_claiming(16000, 16000))
    put("png", "regressions", "strip-100000x1.png", encoded(picture(100000, 1), "PNG"))

    uuid = bytes(range(16))
    put("pipeline_cache", "seeds", "matching.bin", struct.pack("<IIII", 32, 1, 0x10005, 0) + uuid + bytes(64))
    put("pipeline_cache", "seeds", "other_driver.bin", struct.pack("<IIII", 32, 1, 0x10005, 0) + bytes(16) + bytes(8))

    # The autotuner's file, for the device fuzz/tune_cache/fuzz.cpp checks against.
    me = '"device_uuid":"00112233445566778899aabbccddeeff","driver_version":42'
    put("tune_cache", "seeds", "matching.json", ('{"schema":"vknn-tune-1",' + me + ',"device_name":"seed","choices":{'
        '"conv2d_forward x(1,64,56,56) w(256,64,1,1) stride (1,1), pad (0,0), groups 1 bias":"gemm",'
        '"conv2d_forward x(1,3,224,224) w(64,3,7,7) stride (2,2), pad (3,3), groups 1 bias relu":"register"}}\n').encode())
    put("tune_cache", "seeds", "other_device.json",
        b'{"schema":"vknn-tune-1","device_uuid":"ffeeddccbbaa99887766554433221100","driver_version":7,"choices":{"k":"shared"}}\n')
    put("tune_cache", "seeds", "truncated.json", ('{"schema":"vknn-tune-1",' + me + ',"choices":{"k":1').encode())

    onnx_models()


if __name__ == "__main__":
    sys.exit(main())
