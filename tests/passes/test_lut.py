#!/usr/bin/python3
"""Element-wise chains become lookup tables (passes/eltregion.c, passes/lower_lut.c).

1. One small network (Conv -> HardSwish -> Conv -> squeeze-excite with a HardSigmoid gate ->
   Conv), written in every exported spelling of HardSwish and HardSigmoid at opsets 9, 11, 13
   and 17: `quantize --format int` leaves no float op and the same integer op sequence for every
   spelling; the gate's Conv output is quantized only over the range where HardSigmoid is not
   constant; the QDQ file keeps the float ops between DequantizeLinear and QuantizeLinear (ONNX
   Runtime runs it, when node and onnxruntime-node are there); the emitted C equals `onnxq run`
   on the integer file, byte for byte.
2. Chains alone between the input and the output (Sigmoid, SiLU, Tanh, Exp, LeakyRelu, Clip,
   Pow, Gelu through Erf, scalar Add/Sub/Mul/Div, ...): each becomes one QLinearLookup whose
   outputs equal the QDQ model's in the interpreter exactly (the table is that float arithmetic).
usage: test_lut.py ONNXQ SOURCE_ROOT   (exit 77: skipped, no numpy/onnx)
"""
import os
import shutil
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper
except ImportError:
    print("skip: numpy/onnx missing")
    sys.exit(77)

ONNXQ, ROOT = sys.argv[1], sys.argv[2]
TMP = tempfile.mkdtemp(prefix="oq_lut_")
FAILS = []
rng = np.random.default_rng(7)


def check(cond, what):
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        FAILS.append(what)


def run(*args):
    r = subprocess.run([ONNXQ, *args], capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("onnxq %s: %s" % (" ".join(args), r.stderr.strip()[-800:]))
    return r


class Net:
    """A graph under construction: nodes, initializers, fresh names."""

    def __init__(self, opset):
        self.opset, self.nodes, self.inits, self.k = opset, [], [], 0

    def name(self, base):
        self.k += 1
        return "%s_%d" % (base, self.k)

    def const(self, arr):
        n = self.name("c")
        self.inits.append(numpy_helper.from_array(np.asarray(arr, dtype=np.float32), n))
        return n

    def op(self, typ, ins, **attrs):
        out = self.name(typ.lower())
        self.nodes.append(helper.make_node(typ, ins, [out], name=out, **attrs))
        return out

    def conv(self, x, cin, cout, k=1, gain=1.0):
        w = self.const(rng.standard_normal((cout, cin, k, k)) * (gain / np.sqrt(cin * k * k)))
        b = self.const(rng.standard_normal(cout) * 0.1)
        return self.op("Conv", [x, w, b], pads=[k // 2] * 4)

    def clip(self, x, lo, hi):
        if self.opset < 11:
            return self.op("Clip", [x], min=float(lo), max=float(hi))
        return self.op("Clip", [x, self.const(lo), self.const(hi)])

    def model(self, x, y, shape):
        g = helper.make_graph(self.nodes, "lut", [helper.make_tensor_value_info(
            x, TensorProto.FLOAT, shape)], [helper.make_tensor_value_info(
                y, TensorProto.FLOAT, None)], self.inits)
        m = helper.make_model(g, opset_imports=[helper.make_opsetid("", self.opset)])
        m.ir_version = 7
        return m


def hsig(n, x, how):
    """HardSigmoid(x) = Clip(x + 3, 0, 6) / 6 in spelling `how`."""
    if how == "op":
        return n.op("HardSigmoid", [x], alpha=1.0 / 6, beta=0.5)
    c = n.clip(n.op("Add", [x, n.const(3.0)]), 0.0, 6.0)
    if how == "div":
        return n.op("Div", [c, n.const(6.0)])
    return n.op("Mul", [c, n.const(1.0 / 6)])


def hswish(n, x, how):
    if how == "op":
        return n.op("HardSwish", [x])
    if how == "hsig":                         # torch: x * HardSigmoid(x)
        return n.op("Mul", [x, hsig(n, x, "op")])
    if how == "div_last":                     # (x * Clip(x + 3, 0, 6)) / 6
        c = n.clip(n.op("Add", [x, n.const(3.0)]), 0.0, 6.0)
        return n.op("Div", [n.op("Mul", [x, c]), n.const(6.0)])
    return n.op("Mul", [x, hsig(n, x, how)])  # x * (Clip(x + 3, 0, 6) / 6 or * (1/6))


def network(opset, sw, sg):
    n = Net(opset)
    h = hswish(n, n.conv("input", 3, 8, 3), sw)
    h = n.conv(h, 8, 8)
    s = n.op("GlobalAveragePool", [h])
    s = n.op("Relu", [n.conv(s, 8, 4)])
    gate = hsig(n, n.conv(s, 4, 8, gain=30.0), sg)   # its output spans well beyond [-3, 3]
    y = n.conv(n.op("Mul", [h, gate]), 8, 4)
    return n.model("input", y, [1, 3, 8, 8])


def write_calib(shape, d, scale=2.0):
    os.makedirs(d, exist_ok=True)
    for i in range(8):
        np.save(os.path.join(d, "s%d.npy" % i), (rng.standard_normal(shape) * scale).astype(np.float32))


def op_list(path):
    return [nd.op_type for nd in onnx.load(path).graph.node]


def gate_scale(path):
    """Output scale of the QLinearConv feeding the lookup table that feeds the QLinearMul."""
    g = onnx.load(path).graph
    init = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    prod = {o: nd for nd in g.node for o in nd.output}
    mul = [nd for nd in g.node if nd.op_type == "QLinearMul"][0]
    for x in (mul.input[0], mul.input[3]):
        lut = prod.get(x)
        if lut is not None and lut.op_type == "QLinearLookup":
            conv = prod[lut.input[0]]
            return float(init[conv.input[6]])
    return float("inf")


def build_c(cdir):
    rt = sorted(os.path.relpath(os.path.join(dp, f), cdir) for dp, _, fs in os.walk(os.path.join(cdir, "onnxq_rt"))
                for f in fs if f.endswith(".c"))
    subprocess.run(["gcc", "-std=c99", "-O1", "-Wall", "-Wextra", "-Werror", "-o", "net_main", "net.c",
                    "net_weights.c", "net_main.c", *rt, "-lpthread", "-lm"], cwd=cdir, check=True)


def npy_tail(path, nbytes):
    with open(path, "rb") as f:
        return f.read()[-nbytes:]


def ort_runs(model, x):
    """ONNX Runtime loads and runs model (None when node or onnxruntime-node is missing)."""
    js = os.path.join(ROOT, "tests", "backends", "ort_check.js")
    if not shutil.which("node") or not os.path.isdir(os.path.join(ROOT, "node_modules", "onnxruntime-node")):
        return None
    os.makedirs(os.path.join(TMP, "ort_out"), exist_ok=True)
    r = subprocess.run(["node", js, model, os.path.join(TMP, "ort_out"), x], capture_output=True, text=True)
    return r.returncode == 0


FLOAT_OPS = {"HardSwish", "HardSigmoid", "Clip", "Add", "Mul", "Div", "Relu", "Sigmoid", "Conv",
             "GlobalAveragePool"}


def spellings():
    calib = os.path.join(TMP, "calib")
    write_calib((1, 3, 8, 8), calib)
    x = os.path.join(calib, "s0.npy")
    ref = None
    combos = [("hsig", "op"), ("div", "div"), ("mul", "mul"), ("div_last", "div"), ("op", "op")]
    for opset in (9, 11, 13, 17):
        for sw, sg in combos:
            if sw == "op" and opset < 14:
                continue                      # HardSwish is opset 14
            tag = "opset %d, HardSwish as %s, HardSigmoid as %s" % (opset, sw, sg)
            base = os.path.join(TMP, "net_%d_%s_%s" % (opset, sw, sg))
            onnx.save(network(opset, sw, sg), base + ".onnx")
            try:
                run("quantize", base + ".onnx", "--calib", calib, "--format", "int", "-o", base + ".int.onnx")
                run("quantize", base + ".onnx", "--calib", calib, "-o", base + ".qdq.onnx")
            except RuntimeError as e:
                check(False, "%s: quantize (%s)" % (tag, e))
                continue
            ops = op_list(base + ".int.onnx")
            left = sorted(set(ops) & FLOAT_OPS)
            check(not left, "%s: no float op left in the integer graph %s" % (tag, left or ""))
            if ref is None:
                ref = ops
                print("     integer op sequence: " + " ".join(ops))
            check(ops == ref, "%s: same integer op sequence as the first spelling" % tag)
            check(gate_scale(base + ".int.onnx") <= 6.1 / 255,  # a grid step of slack
                  "%s: the gate's Conv output is quantized over HardSigmoid's 6-wide active range "
                  "only (scale %.4g)" % (tag, gate_scale(base + ".int.onnx")))
            orig = [t for t in op_list(base + ".onnx") if t not in ("Conv", "GlobalAveragePool")]
            qdq = [t for t in op_list(base + ".qdq.onnx") if t not in ("Conv", "GlobalAveragePool",
                                                                       "QuantizeLinear", "DequantizeLinear")]
            # (an Add of 3 right after a Conv folds into its bias: compare the op types)
            check(set(orig) == set(qdq), "%s: the QDQ file keeps the float ops between Q/DQ" % tag)
            if opset in (11, 17):
                ok = ort_runs(base + ".qdq.onnx", x)
                if ok is not None:
                    check(ok, "%s: ONNX Runtime runs the QDQ file" % tag)
            if opset != 13:
                continue
            cdir = base + "_c"
            run("compile", base + ".onnx", "--calib", calib, "--emit-c", cdir, "--name", "net")
            build_c(cdir)
            run("run", base + ".int.onnx", "--input", x, "--output", cdir + "/ref")
            subprocess.run([os.path.join(cdir, "net_main"), x, cdir + "/c.npy"], check=True,
                           capture_output=True)
            refnpy = os.path.join(cdir, "ref", os.listdir(cdir + "/ref")[0])
            check(npy_tail(cdir + "/c.npy", 4 * 4 * 64) == npy_tail(refnpy, 4 * 4 * 64),
                  "%s: emitted C == onnxq run on the integer file, bit for bit" % tag)


def chain_models():
    """name -> builder(n, x) of an element-wise chain."""
    return {
        "Sigmoid": lambda n, x: n.op("Sigmoid", [x]),
        "SiLU": lambda n, x: n.op("Mul", [x, n.op("Sigmoid", [x])]),
        "Tanh": lambda n, x: n.op("Tanh", [x]),
        "Exp": lambda n, x: n.op("Mul", [n.op("Exp", [x]), n.const(0.5)]),
        "LeakyRelu": lambda n, x: n.op("LeakyRelu", [x], alpha=0.1),
        "Clip": lambda n, x: n.clip(x, -1.0, 2.5),
        "Pow": lambda n, x: n.op("Mul", [n.op("Pow", [x, n.const(2.0)]), n.const(1.0)]),
        "Gelu": lambda n, x: n.op("Mul", [n.op("Mul", [x, n.const(0.5)]), n.op("Add", [
            n.op("Erf", [n.op("Div", [x, n.const(1.4142135)])]), n.const(1.0)])]),
        "scalar Add/Sub/Mul/Div": lambda n, x: n.op("Div", [n.op("Sub", [n.op("Mul", [
            n.op("Add", [x, n.const(0.25)]), n.const(3.0)]), n.const(1.0)]), n.const(4.0)]),
        "HardSigmoid x Mul": lambda n, x: n.op("Mul", [x, n.op("HardSigmoid", [x])]),
        "Relu": lambda n, x: n.op("Relu", [x]),
    }


def chains():
    calib = os.path.join(TMP, "calib4")
    write_calib((1, 4, 4, 4), calib)
    for name, build in chain_models().items():
        n = Net(13)
        y = build(n, "input")
        base = os.path.join(TMP, "chain_" + name.replace(" ", "_").replace("/", "_"))
        onnx.save(n.model("input", y, [1, 4, 4, 4]), base + ".onnx")
        try:
            run("quantize", base + ".onnx", "--calib", calib, "--format", "int", "-o", base + ".int.onnx")
            run("quantize", base + ".onnx", "--calib", calib, "-o", base + ".qdq.onnx")
        except RuntimeError as e:
            check(False, "%s: quantize (%s)" % (name, e))
            continue
        ops = op_list(base + ".int.onnx")
        check(ops == ["QuantizeLinear", "QLinearLookup", "DequantizeLinear"],
              "%s: one QLinearLookup between the input's Q and the output's DQ (%s)" % (name, " ".join(ops)))
        same = True
        for i in range(8):
            xi = os.path.join(calib, "s%d.npy" % i)
            run("run", base + ".int.onnx", "--input", xi, "--output", base + "_int")
            run("run", base + ".qdq.onnx", "--input", xi, "--output", base + "_qdq")
            a = np.load(os.path.join(base + "_int", os.listdir(base + "_int")[0]))
            b = np.load(os.path.join(base + "_qdq", os.listdir(base + "_qdq")[0]))
            same &= a.tobytes() == b.tobytes()
        check(same, "%s: the table gives exactly the QDQ model's outputs (8 samples)" % name)


try:
    spellings()
    chains()
finally:
    shutil.rmtree(TMP, ignore_errors=True)
print("test_lut: %d failed" % len(FAILS))
sys.exit(1 if FAILS else 0)
