#!/usr/bin/python3
# Writes int8_moves.onnx: data movement on int8 tensors that the C backend keeps NHWC inside
# (tests/backends/test_c_float.c): x[1,4,5,6] -> QuantizeLinear(u8) -> Transpose(0,1,3,2)
#   -> Slice(h 1..5 step 2) -> Pad(constant = zero point, spatial 1) -> Concat(itself, axis 1)
#   -> Split(axis 1, [3, 5]) -> DequantizeLinear each -> y0, y1;  also a 5-D channel shuffle
#   (Reshape -> Transpose -> Reshape) on the quantized input -> y2. opset 13, onnx 1.12 helper.
# usage: /usr/bin/python3 make_int8_moves_model.py OUT.onnx
import sys
import numpy as np
import onnx
from onnx import helper, TensorProto, numpy_helper

def i64(v):
    return np.array(v, dtype=np.int64)
inits = {"s": np.float32(0.05), "z": np.uint8(128), "st": i64([1]), "en": i64([5]),
         "ax": i64([2]), "sp": i64([2]), "pads": i64([0, 0, 1, 1, 0, 0, 1, 1]),
         "split": i64([3, 5]), "sh5": i64([1, 2, 2, 5, 6]), "sh4": i64([1, 4, 5, 6])}
N = helper.make_node
nodes = [
    N("QuantizeLinear", ["x", "s", "z"], ["q"]),
    N("Transpose", ["q"], ["t"], perm=[0, 1, 3, 2]),                # [1,4,6,5]
    N("Slice", ["t", "st", "en", "ax", "sp"], ["sl"]),              # [1,4,2,5]
    N("Pad", ["sl", "pads", "z"], ["p"], mode="constant"),          # [1,4,4,7]
    N("Concat", ["p", "p"], ["c"], axis=1),                         # [1,8,4,7]
    N("Split", ["c", "split"], ["c0", "c1"], axis=1),               # [1,3,4,7], [1,5,4,7]
    N("DequantizeLinear", ["c0", "s", "z"], ["y0"]),
    N("DequantizeLinear", ["c1", "s", "z"], ["y1"]),
    N("Reshape", ["q", "sh5"], ["r5"]),
    N("Transpose", ["r5"], ["t5"], perm=[0, 2, 1, 3, 4]),
    N("Reshape", ["t5", "sh4"], ["r4"]),
    N("DequantizeLinear", ["r4", "s", "z"], ["y2"]),
]
graph = helper.make_graph(
    nodes, "int8_moves", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4, 5, 6])],
    [helper.make_tensor_value_info("y0", TensorProto.FLOAT, [1, 3, 4, 7]),
     helper.make_tensor_value_info("y1", TensorProto.FLOAT, [1, 5, 4, 7]),
     helper.make_tensor_value_info("y2", TensorProto.FLOAT, [1, 4, 5, 6])],
    [numpy_helper.from_array(np.asarray(v), k) for k, v in inits.items()])
model = helper.make_model(graph, producer_name="onnxq-tests",
                          opset_imports=[helper.make_opsetid("", 13)])
model.ir_version = 7
onnx.checker.check_model(model)
onnx.shape_inference.infer_shapes(model, strict_mode=True)
onnx.save(model, sys.argv[1])
