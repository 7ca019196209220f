#!/usr/bin/python3
# Writes custom_op.onnx: a small float CNN with two custom operators of domain com.example
# (onnx 1.12 helper, fixed-seed weights):  x[1,3,8,8] -> Conv(3->4, 3x3, pad 1) -> Relu
#   -> com.example:Swish2(alpha=1.5)          (no value_info: shape from the library)
#   -> com.example:ScaleShift(scale=[..4..], shift=0.25)   (value_info gives its shape)
#   -> Conv(4->2, 1x1) -> y[1,2,8,8]
# usage: /usr/bin/python3 make_custom_model.py OUT.onnx
import sys
import numpy as np
import onnx
from onnx import helper, TensorProto, numpy_helper

rng = np.random.default_rng(7)
w1 = (rng.standard_normal((4, 3, 3, 3)) * 0.3).astype(np.float32)
b1 = (rng.standard_normal(4) * 0.1).astype(np.float32)
w2 = (rng.standard_normal((2, 4, 1, 1)) * 0.5).astype(np.float32)
b2 = (rng.standard_normal(2) * 0.1).astype(np.float32)
nodes = [
    helper.make_node("Conv", ["x", "w1", "b1"], ["c1"], name="conv1", pads=[1, 1, 1, 1]),
    helper.make_node("Relu", ["c1"], ["r1"], name="relu1"),
    helper.make_node("Swish2", ["r1"], ["s1"], name="swish", domain="com.example", alpha=1.5),
    helper.make_node("ScaleShift", ["s1"], ["t1"], name="scaleshift", domain="com.example",
                     scale=[0.5, 1.0, 1.5, 2.0], shift=0.25),
    helper.make_node("Conv", ["t1", "w2", "b2"], ["y"], name="conv2"),
]
graph = helper.make_graph(
    nodes, "custom_op",
    [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
    [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2, 8, 8])],
    [numpy_helper.from_array(w1, "w1"), numpy_helper.from_array(b1, "b1"),
     numpy_helper.from_array(w2, "w2"), numpy_helper.from_array(b2, "b2")],
    value_info=[helper.make_tensor_value_info("t1", TensorProto.FLOAT, [1, 4, 8, 8])])
model = helper.make_model(graph, producer_name="onnxq-tests",
                          opset_imports=[helper.make_opsetid("", 13),
                                         helper.make_opsetid("com.example", 1)])
model.ir_version = 7
onnx.save(model, sys.argv[1])
