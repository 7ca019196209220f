#!/usr/bin/python3
"""Writes the hostile-input corpus for tests/hostile/hostile.sh into DIR: small models that are
broken in the ways users and attackers break them, and calibration/data files to match.
usage: /usr/bin/python3 make_corpus.py DIR"""
import os, sys
import numpy as np
import onnx
from onnx import helper as h, TensorProto as T, numpy_helper as nh

d = sys.argv[1]
os.makedirs(d, exist_ok=True)


def conv_model(path, w=None, b=None, attrs=None):
    rng = np.random.RandomState(0)
    w = rng.randn(4, 1, 3, 3).astype(np.float32) if w is None else w
    b = rng.randn(4).astype(np.float32) if b is None else b
    node = h.make_node("Conv", ["x", "w", "b"], ["c"], name="conv0", pads=[1, 1, 1, 1], **(attrs or {}))
    g = h.make_graph([node, h.make_node("Relu", ["c"], ["y"], name="relu0")], "g",
                     [h.make_tensor_value_info("x", T.FLOAT, [1, 1, 8, 8])],
                     [h.make_tensor_value_info("y", T.FLOAT, [1, 4, 8, 8])],
                     [nh.from_array(w, "w"), nh.from_array(b, "b")])
    m = h.make_model(g, opset_imports=[h.make_opsetid("", 13)])
    m.ir_version = 8
    onnx.save(m, os.path.join(d, path))


conv_model("good.onnx")
w = np.random.RandomState(1).randn(4, 1, 3, 3).astype(np.float32)
w[2, 0, 1, 1] = np.nan
conv_model("nan_weight.onnx", w=w)
b = np.ones(4, np.float32)
b[3] = np.inf
conv_model("inf_bias.onnx", b=b)
wg = np.random.RandomState(3).randn(10, 64).astype(np.float32)
wg[5, 7] = np.nan
gm = h.make_model(h.make_graph(
    [h.make_node("Flatten", ["x"], ["f"], name="flat0"),
     h.make_node("Gemm", ["f", "wg", "bg"], ["y"], name="fc0", transB=1)], "g",
    [h.make_tensor_value_info("x", T.FLOAT, [1, 1, 8, 8])], [h.make_tensor_value_info("y", T.FLOAT, [1, 10])],
    [nh.from_array(wg, "wg"), nh.from_array(np.zeros(10, np.float32), "bg")]),
    opset_imports=[h.make_opsetid("", 13)])
gm.ir_version = 8
onnx.save(gm, os.path.join(d, "nan_gemm.onnx"))
ni = h.make_model(h.make_graph(
    [h.make_node("Constant", [], ["y"], name="const0",
                 value=nh.from_array(np.ones((1, 4), np.float32), "v"))], "g", [],
    [h.make_tensor_value_info("y", T.FLOAT, [1, 4])]), opset_imports=[h.make_opsetid("", 13)])
ni.ir_version = 8
onnx.save(ni, os.path.join(d, "no_inputs.onnx"))
two = h.make_model(h.make_graph(
    [h.make_node("Relu", ["x"], ["a/b"], name="r0"), h.make_node("Neg", ["x"], ["a_b"], name="n0")],
    "g", [h.make_tensor_value_info("x", T.FLOAT, [1, 1, 8, 8])],
    [h.make_tensor_value_info("a/b", T.FLOAT, [1, 1, 8, 8]),
     h.make_tensor_value_info("a_b", T.FLOAT, [1, 1, 8, 8])]), opset_imports=[h.make_opsetid("", 13)])
two.ir_version = 8
onnx.save(two, os.path.join(d, "two_outputs.onnx"))
# Slice steps at the int64 limits: one output row each, so the step is never taken (shape
# inference, the interpreter and the C emitter must not overflow computing it).
for name, start, step in (("slice_step_min.onnx", 7, -2**63), ("slice_step_max.onnx", 0, 2**63 - 1)):
    sm = h.make_model(h.make_graph(
        [h.make_node("Slice", ["x", "st", "en", "ax", "sp"], ["y"], name="slice0")], "g",
        [h.make_tensor_value_info("x", T.FLOAT, [1, 1, 8, 8])],
        [h.make_tensor_value_info("y", T.FLOAT, [1, 1, 1, 8])],
        [nh.from_array(np.array([start], np.int64), "st"), nh.from_array(np.array([step], np.int64), "en"),
         nh.from_array(np.array([2], np.int64), "ax"), nh.from_array(np.array([step], np.int64), "sp")]),
        opset_imports=[h.make_opsetid("", 13)])
    sm.ir_version = 8
    onnx.save(sm, os.path.join(d, name))
# Attributes the verifier refuses: a kernel_shape that contradicts the weight (the interpreter
# and the emitted C would compute different convolutions), one of the wrong type, a group that
# does not divide the channels.
conv_model("kernel_vs_weight.onnx", attrs={"kernel_shape": [5, 5]})
conv_model("float_kernel.onnx", attrs={"kernel_shape": [3.0, 3.0]})
conv_model("string_strides.onnx", attrs={"strides": "1,1"})
conv_model("bad_group.onnx", attrs={"group": 3})
good = open(os.path.join(d, "good.onnx"), "rb").read()
open(os.path.join(d, "truncated.onnx"), "wb").write(good[: len(good) // 2])
open(os.path.join(d, "empty.onnx"), "wb").close()
open(os.path.join(d, "garbage.onnx"), "wb").write(bytes(range(256)) * 8)
os.makedirs(os.path.join(d, "calib"), exist_ok=True)
rng = np.random.RandomState(2)
for i in range(4):
    np.save(os.path.join(d, "calib", "s%d.npy" % i), rng.randn(1, 1, 8, 8).astype(np.float32))
os.makedirs(os.path.join(d, "calib_rank"), exist_ok=True)
np.save(os.path.join(d, "calib_rank", "a.npy"), rng.randn(1, 1, 8, 8).astype(np.float32))
np.save(os.path.join(d, "calib_rank", "b.npy"), rng.randn(8, 8).astype(np.float32))
os.makedirs(os.path.join(d, "calib_nan"), exist_ok=True)
x = rng.randn(1, 1, 8, 8).astype(np.float32)
x[0, 0, 0, 0] = np.nan
np.save(os.path.join(d, "calib_nan", "a.npy"), x)
np.save(os.path.join(d, "x.npy"), rng.randn(1, 1, 8, 8).astype(np.float32))
np.save(os.path.join(d, "x_wrong.npy"), rng.randn(1, 3, 8, 8).astype(np.float32))
np.save(os.path.join(d, "empty_x.npy"), np.zeros((0, 1, 8, 8), np.float32))
hdr = b"{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 8, 4), 'shape': (1, 1, 8, 8), }"
hdr += b" " * ((64 - (10 + len(hdr) + 1) % 64) % 64) + b"\n"
with open(os.path.join(d, "dup_key.npy"), "wb") as f:   # numpy reads the last 'shape'
    f.write(b"\x93NUMPY\x01\x00" + len(hdr).to_bytes(2, "little") + hdr)
    f.write(np.zeros(64, np.float32).tobytes())
np.save(os.path.join(d, "e28.npy"), np.zeros((0, 1, 28, 28), np.float32))


def npy_raw(name, header, data, version=1):
    """A .npy file with exactly this header text and data (no padding or checks)."""
    hl = len(header).to_bytes(2 if version == 1 else 4, "little")
    with open(os.path.join(d, name), "wb") as f:
        f.write(b"\x93NUMPY" + bytes([version, 0]) + hl + header + data)


# For the emitted NAME_main: truncated data, a header length past the end, a shape whose
# element count overflows, an odd data offset (valid: must be read, not misaligned), int64
# labels of the wrong count.
x64 = rng.randn(64).astype(np.float32).tobytes()
npy_raw("npy_trunc.npy", b"{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 8, 8), }\n", x64[:40])
with open(os.path.join(d, "npy_hlen.npy"), "wb") as f:
    f.write(b"\x93NUMPY\x01\x00\xff\xff{'descr': '<f4', 'shape': (1,), }")
npy_raw("npy_bigshape.npy", b"{'descr': '<f4', 'fortran_order': False, 'shape': (4611686018427387904, 4, 64), }\n", x64)
npy_raw("npy_odd.npy", b"{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 8, 8), } \n", x64)
npy_raw("npy_v2.npy", b"{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 8, 8), }\n", x64, version=2)
np.save(os.path.join(d, "y3.npy"), np.zeros(3, np.int64))
np.save(os.path.join(d, "x100.npy"), np.zeros(100, np.float32))
np.save(os.path.join(d, "empty_y.npy"), np.zeros((0,), np.int64))
