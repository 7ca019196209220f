"""Models for unsupported.sh: hand-built graphs whose ops onnxq refuses, several per model.
usage: make_unsupported.py OUTDIR
  import.onnx  Loop, Scan and two NonZero nodes: op types not in ir/ops.def
  cback.onnx   DynamicQuantizeLinear, ConvInteger, MatMulInteger and two Neg nodes on int32:
               ops the interpreter runs but the C backend has no kernel of
  calib/x.npy  one calibration sample for both"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

out = sys.argv[1]
os.makedirs(os.path.join(out, "calib"), exist_ok=True)
x = h.make_tensor_value_info("x", T.FLOAT, [1, 4, 8, 8])
opset = [h.make_opsetid("", 13)]
body = h.make_graph([], "body", [], [])
nodes = [h.make_node("Loop", ["", "", "x"], ["l"], name="loop0", body=body),
         h.make_node("Scan", ["l"], ["s"], name="scan0", num_scan_inputs=1, body=body),
         h.make_node("NonZero", ["s"], ["n1"], name="nz0"),
         h.make_node("NonZero", ["s"], ["n2"], name="nz1"),
         h.make_node("Add", ["n1", "n2"], ["y"], name="add")]
g = h.make_graph(nodes, "g", [x], [h.make_tensor_value_info("y", T.INT64, None)])
onnx.save(h.make_model(g, opset_imports=opset), os.path.join(out, "import.onnx"))

inits = [nh.from_array(np.ones((2, 4, 3, 3), np.uint8), "w"),
         nh.from_array(np.ones((4, 3), np.uint8), "b"),
         nh.from_array(np.array([64, 4], np.int64), "shp")]
nodes = [h.make_node("DynamicQuantizeLinear", ["x"], ["q", "s", "z"], name="dql0"),
         h.make_node("ConvInteger", ["q", "w", "z"], ["ci"], name="convi0"),
         h.make_node("Reshape", ["q", "shp"], ["q2"], name="rs"),
         h.make_node("MatMulInteger", ["q2", "b"], ["mi"], name="mmi0"),
         h.make_node("Neg", ["ci"], ["cn"], name="neg0"),
         h.make_node("Neg", ["mi"], ["mn"], name="neg1"),
         h.make_node("Cast", ["cn"], ["cf"], to=T.FLOAT, name="cast0"),
         h.make_node("Cast", ["mn"], ["mf"], to=T.FLOAT, name="cast1"),
         h.make_node("ReduceSum", ["cf"], ["s1"], keepdims=0, name="sum0"),
         h.make_node("ReduceSum", ["mf"], ["s2"], keepdims=0, name="sum1"),
         h.make_node("Add", ["s1", "s2"], ["y"], name="add")]
g = h.make_graph(nodes, "g", [x], [h.make_tensor_value_info("y", T.FLOAT, [])],
                 initializer=inits)
onnx.save(h.make_model(g, opset_imports=opset), os.path.join(out, "cback.onnx"))
np.save(os.path.join(out, "calib", "x.npy"),
        np.random.RandomState(0).randn(1, 4, 8, 8).astype(np.float32))
