#!/usr/bin/python3
# Writes float_ops.onnx: one float graph that exercises every op the C backend's float fallback
# runs (tests/backends/test_c_float.c compares the emitted C with the interpreter bit for bit).
# onnx 1.12 helper, opset 14, fixed-seed weights, input x[1,4,6,6], five outputs.
# usage: /usr/bin/python3 make_float_ops_model.py OUT.onnx
import sys
import numpy as np
import onnx
from onnx import helper, TensorProto, numpy_helper

rng = np.random.default_rng(11)
def f32(*shape, s=0.5):
    return (rng.standard_normal(shape) * s).astype(np.float32)
def i64(v):
    return np.array(v, dtype=np.int64)
inits = {
    "w": f32(6, 4, 3, 3, s=0.3), "wb": f32(6, s=0.1), "sub": f32(1, 6, 1, 1), "two": np.float32(2.0),
    "lo": np.float32(-0.5), "hi": np.float32(0.5), "st": i64([0, 1]), "en": i64([1, 6]),
    "ax": i64([0, 2]), "sp": i64([1, 2]), "split": i64([2, 4]), "pads": i64([0, 0, 1, 1, 0, 0, 1, 1]),
    "cv": np.float32(0.25), "rax": i64([2, 3]), "gb": f32(5, 54), "gc": f32(5), "mb": f32(6, 3),
    "shape3": i64([1, 6, 36]), "bm": f32(1, 36, 4),
}
N = helper.make_node
nodes = [
    N("Conv", ["x", "w", "wb"], ["a"], pads=[1, 1, 1, 1]),
    N("Sigmoid", ["a"], ["b"]), N("Tanh", ["a"], ["c"]), N("Mul", ["b", "c"], ["d"]),
    N("Sub", ["d", "sub"], ["e"]), N("Div", ["e", "two"], ["f"]), N("Clip", ["f", "lo", "hi"], ["g"]),
    N("HardSigmoid", ["g"], ["h"], alpha=0.3), N("HardSwish", ["a"], ["i"]), N("Add", ["h", "i"], ["j"]),
    N("LeakyRelu", ["j"], ["j2"], alpha=0.1),
    N("Transpose", ["j2"], ["k"], perm=[0, 2, 3, 1]),
    N("Slice", ["k", "st", "en", "ax", "sp"], ["l"]),                 # [1,6,3,6]
    N("Split", ["j2", "split"], ["s0", "s1"], axis=1),
    N("Concat", ["s1", "s0"], ["cc"], axis=1),
    N("Pad", ["cc", "pads", "cv"], ["p"], mode="constant"),
    N("Pad", ["cc", "pads"], ["pr"], mode="reflect"),
    N("Add", ["p", "pr"], ["pp"]),
    N("MaxPool", ["pp"], ["mp"], kernel_shape=[3, 3], strides=[2, 2]),
    N("AveragePool", ["pp"], ["ap"], kernel_shape=[2, 2], strides=[2, 2], pads=[1, 1, 1, 1]),
    N("GlobalAveragePool", ["mp"], ["gap"]), N("GlobalMaxPool", ["ap"], ["gmp"]),
    N("Add", ["gap", "gmp"], ["g2"]),
    N("ReduceMean", ["pp"], ["rm"], axes=[2, 3], keepdims=0), N("ReduceSum", ["cc", "rax"], ["rs"], keepdims=1),
    N("ReduceMax", ["cc"], ["rx"], keepdims=0),
    N("Flatten", ["mp"], ["fl"]), N("Gemm", ["fl", "gb", "gc"], ["gm"], transB=1),
    N("Softmax", ["gm"], ["y0"]),
    N("MatMul", ["rm", "mb"], ["mm"]), N("LogSoftmax", ["mm"], ["y1"], axis=0),
    N("Reshape", ["j2", "shape3"], ["r3"]), N("MatMul", ["r3", "bm"], ["bmm"]),
    N("Abs", ["bmm"], ["ab"]), N("Sqrt", ["ab"], ["sq"]), N("Exp", ["bmm"], ["ex"]),
    N("Neg", ["ex"], ["ng"]), N("Reciprocal", ["ex"], ["rc"]), N("Erf", ["bmm"], ["er"]),
    N("Add", ["sq", "ng"], ["t0"]), N("Add", ["rc", "er"], ["t1"]), N("Mul", ["t0", "t1"], ["y2"]),
    N("Relu", ["l"], ["y3"]),
    N("Mul", ["g2", "rs"], ["y4a"]), N("Add", ["y4a", "rx"], ["y4"]),
]
outs = ["y0", "y1", "y2", "y3", "y4"]
OUT_SHAPES = [[1, 5], [1, 3], [1, 6, 4], [1, 6, 3, 6], [1, 6, 1, 1]]
graph = helper.make_graph(
    nodes, "float_ops", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 6, 6])],
    [helper.make_tensor_value_info(o, TensorProto.FLOAT, shp) for o, shp in zip(outs, OUT_SHAPES)],
    [numpy_helper.from_array(np.asarray(v), k) for k, v in inits.items()])
model = helper.make_model(graph, producer_name="onnxq-tests",
                          opset_imports=[helper.make_opsetid("", 14)])
model.ir_version = 7
onnx.checker.check_model(model)
model = onnx.shape_inference.infer_shapes(model)
print([(o.name, [d.dim_value for d in o.type.tensor_type.shape.dim]) for o in model.graph.output])
onnx.save(model, sys.argv[1])
