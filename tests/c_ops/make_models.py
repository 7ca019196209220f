"""Hand-built ONNX graphs of the float ops the C backend runs through runtime/f32 (Pow, Log, Exp,
Floor, Ceil, Round, Min, Max, PRelu, Resize, ConvTranspose, InstanceNormalization, ReduceMean /
Sum / Max, GlobalMaxPool, LSTM, If with a constant condition; nearest Resize on int8 data between
two Convs), each op family at the opsets where its signature changed, for run.py.
usage: make_models.py OUTDIR
Writes OUTDIR/ops_op<opset>.onnx (one model per opset: input x [1, 4, 6, 6] float, one output
per tested node, named <family>_<output>), OUTDIR/x.npy (one sample) and OUTDIR/calib/x.npy."""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto as T
from onnx import helper as h
from onnx import numpy_helper as nh

OUT = sys.argv[1]
rng = np.random.RandomState(7)
XS = [1, 4, 6, 6]


def const(name, a):
    return nh.from_array(np.asarray(a), name)


GROUP = {}                     # opset -> [(family, nodes, outs, inits)]


def save(name, opset, nodes, outs, inits=()):
    """Adds one family's graph to the model of its opset (names prefixed by the family)."""
    GROUP.setdefault(opset, []).append((name, nodes, outs, list(inits)))


def write_all():
    for opset, fams in sorted(GROUP.items()):
        nodes, outs, inits = [], [], []
        for fam, fn, fo, fi in fams:
            ren = lambda v: v if v in ("x", "") else f"{fam}_{v}"
            for nd in fn:
                nd.input[:] = [ren(v) for v in nd.input]
                nd.output[:] = [ren(v) for v in nd.output]
                nd.name = ren(nd.output[0])
            for t in fi:
                t.name = ren(t.name)
            nodes += fn
            outs += [ren(o) for o in fo]
            inits += fi
        g = h.make_graph(nodes, f"ops{opset}", [h.make_tensor_value_info("x", T.FLOAT, XS)],
                         [h.make_tensor_value_info(o, T.FLOAT, None) for o in outs],
                         initializer=inits)
        m = h.make_model(g, opset_imports=[h.make_opsetid("", opset)])
        m.ir_version = 7 if opset < 15 else 8
        onnx.save(m, os.path.join(OUT, f"ops_op{opset}.onnx"))


def pow_model(opset):
    inits = [const("two", np.float32(2.0)), const("half", np.float32(0.5)),
             const("ev", rng.uniform(-2, 2, [6]).astype(np.float32))]
    nodes = [h.make_node("Abs", ["x"], ["ax"]),
             h.make_node("Pow", ["x", "two"], ["p2"]),
             h.make_node("Pow", ["ax", "half"], ["ph"]),
             h.make_node("Pow", ["ax", "ev"], ["pv"])]
    outs = ["p2", "ph", "pv"]
    if opset >= 12:            # Pow-12: the exponent may be an integer tensor
        inits.append(const("three", np.int64(3)))
        nodes.append(h.make_node("Pow", ["x", "three"], ["p3"]))
        outs.append("p3")
    save("pow", opset, nodes, outs, inits)


def unary_model(opset):
    inits = [const("one", np.float32(1.0)), const("k", np.float32(2.5))]
    nodes = [h.make_node("Abs", ["x"], ["ax"]),
             h.make_node("Add", ["ax", "one"], ["ax1"]),
             h.make_node("Log", ["ax1"], ["lg"]),
             h.make_node("Exp", ["x"], ["ex"]),
             h.make_node("Mul", ["x", "k"], ["xk"]),
             h.make_node("Floor", ["xk"], ["fl"]),
             h.make_node("Ceil", ["xk"], ["ce"])]
    outs = ["lg", "ex", "fl", "ce"]
    if opset >= 11:
        nodes.append(h.make_node("Round", ["xk"], ["rd"]))
        outs.append("rd")
    save("unary", opset, nodes, outs, inits)


def minmax_model(opset):
    inits = [const("c1", rng.randn(4, 1, 1).astype(np.float32)),
             const("c2", rng.randn(6).astype(np.float32))]
    nodes = [h.make_node("Min", ["x", "c1", "c2"], ["mn"]),
             h.make_node("Max", ["x", "c2"], ["mx"]),
             h.make_node("Max", ["c1", "x", "c2", "x"], ["mx4"])]
    outs = ["mn", "mx", "mx4"]
    if opset >= 8:
        nodes.append(h.make_node("Min", ["x"], ["m1"]))
        outs.append("m1")
    save("minmax", opset, nodes, outs, inits)


def prelu_model(opset):
    inits = [const("s1", rng.uniform(0, 0.5, [4, 1, 1]).astype(np.float32)),
             const("s2", np.array([0.2], np.float32))]
    nodes = [h.make_node("PRelu", ["x", "s1"], ["y1"]), h.make_node("PRelu", ["x", "s2"], ["y2"])]
    save("prelu", opset, nodes, ["y1", "y2"], inits)


def resize_model(opset):
    nodes, inits, outs = [], [], []

    def add(mode, scales=None, sizes=None, **attrs):
        k = len(outs)
        name = f"r{k}"
        if opset == 10:
            inits.append(const(f"s{k}", np.array(scales, np.float32)))
            nodes.append(h.make_node("Resize", ["x", f"s{k}"], [name], mode=mode))
        else:
            ins = ["x", "" if opset >= 13 else f"roi{k}"]
            if opset < 13:
                inits.append(const(f"roi{k}", np.zeros([0], np.float32)))
            if scales is not None:
                inits.append(const(f"s{k}", np.array(scales, np.float32)))
                ins.append(f"s{k}")
            else:
                inits.append(const(f"z{k}", np.array(sizes, np.int64)))
                ins += ["" if opset >= 13 else f"e{k}", f"z{k}"]
                if opset < 13:
                    inits.append(const(f"e{k}", np.zeros([0], np.float32)))
            nodes.append(h.make_node("Resize", ins, [name], mode=mode, **attrs))
        outs.append(name)

    if opset == 10:
        add("nearest", [1, 1, 2, 2])
        add("linear", [1, 1, 2, 1.5])
        add("nearest", [1, 1, 0.5, 0.5])
    else:
        for ctm in ["half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel",
                    "tf_half_pixel_for_nn"]:
            for nm in ["round_prefer_floor", "round_prefer_ceil", "floor", "ceil"]:
                add("nearest", [1, 1, 1.5, 2], coordinate_transformation_mode=ctm,
                    nearest_mode=nm)
        for ctm in ["half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel"]:
            add("linear", [1, 1, 2, 2], coordinate_transformation_mode=ctm)
            add("linear", sizes=[1, 4, 9, 4], coordinate_transformation_mode=ctm)
        add("cubic", [1, 1, 2, 2])
        add("cubic", [1, 1, 1.5, 1.5], exclude_outside=1, cubic_coeff_a=-0.5)
        add("nearest", sizes=[1, 4, 3, 12])
    if opset >= 18:            # axes, keep_aspect_ratio_policy
        inits.append(const("zax", np.array([12, 9], np.int64)))
        nodes.append(h.make_node("Resize", ["x", "", "", "zax"], ["rax"], mode="linear",
                                 axes=[2, 3], keep_aspect_ratio_policy="not_larger"))
        outs.append("rax")
    save("resize", opset, nodes, outs, inits)


def lstm_model(opset):
    """x reshaped to [seq 6, batch 4, input 6]; forward with every optional input, reverse with
    peepholes, clip and input_forget, bidirectional with only Y_h."""
    H = 5
    f = lambda *sh: (rng.randn(*sh) * 0.5).astype(np.float32)
    inits = [const("shp", np.array([6, 4, 6], np.int64)),
             const("w1", f(1, 4 * H, 6)), const("r1", f(1, 4 * H, H)), const("b1", f(1, 8 * H)),
             const("h1", f(1, 4, H)), const("c1", f(1, 4, H)),
             const("sl", np.full([4], 6, np.int32)), const("p2", f(1, 3 * H)),
             const("w3", f(2, 4 * H, 6)), const("r3", f(2, 4 * H, H))]
    nodes = [h.make_node("Reshape", ["x", "shp"], ["xs"]),
             h.make_node("LSTM", ["xs", "w1", "r1", "b1", "sl", "h1", "c1"], ["y1", "yh1", "yc1"],
                         hidden_size=H),
             h.make_node("LSTM", ["xs", "w1", "r1", "", "", "", "", "p2"], ["y2", "", "yc2"],
                         hidden_size=H, direction="reverse", clip=0.8, input_forget=1),
             h.make_node("LSTM", ["xs", "w3", "r3"], ["", "yh3"], hidden_size=H,
                         direction="bidirectional",
                         activations=["Sigmoid", "Tanh", "Tanh"] * 2)]
    save("lstm", opset, nodes, ["y1", "yh1", "yc1", "y2", "yc2", "yh3"], inits)


def if_model(opset):
    """If with a constant condition (an initializer; inside, a Constant node) is inlined on
    import: the taken branch, with a nested If, reads x from the outer scope."""
    vi = lambda n: h.make_tensor_value_info(n, T.FLOAT, None)
    k = h.make_node("Constant", [], ["ifk"], value=nh.from_array(np.float32(2.5), "v"))
    neg = h.make_graph([h.make_node("Neg", ["ift1"], ["ifu"])], "neg", [], [vi("ifu")])
    absg = h.make_graph([h.make_node("Abs", ["ift1"], ["ifu2"])], "abs", [], [vi("ifu2")])
    cf = h.make_node("Constant", [], ["ifcf"], value=nh.from_array(np.array(False), "v"))
    then = h.make_graph([k, h.make_node("Mul", ["x", "ifk"], ["ift1"]), cf,
                         h.make_node("If", ["ifcf"], ["ifu3"], then_branch=neg,
                                     else_branch=absg),
                         h.make_node("Log", ["ifu3"], ["ifl"])], "then", [], [vi("ifl")])
    other = h.make_graph([h.make_node("Relu", ["x"], ["ife"])], "else", [], [vi("ife")])
    nodes = [h.make_node("If", ["cond"], ["y"], then_branch=then, else_branch=other)]
    save("if", opset, nodes, ["y"], [const("cond", np.array(True))])


def qresize_model(opset):
    """Nearest Resize between two Convs: quantized, lowered to a Resize on int8 data (NHWC in
    the C backend: runtime/q8/resize.c where its index rule applies, else runtime/f32/ops)."""
    inits = [const("w1", rng.randn(4, 4, 1, 1).astype(np.float32)),
             const("w2", rng.randn(3, 4, 1, 1).astype(np.float32))]
    nodes = [h.make_node("Conv", ["x", "w1"], ["c1"])]
    outs = []
    cases = [([1, 1, 2, 2], "half_pixel", "round_prefer_floor"),
             ([1, 1, 2, 3], "asymmetric", "floor"),
             ([1, 1, 0.5, 0.5], "pytorch_half_pixel", "round_prefer_ceil"),
             ([1, 1, 1.5, 2], "align_corners", "round_prefer_floor"),
             ([1, 1, 1, 2], "tf_half_pixel_for_nn", "ceil"),
             ([1, 1, 1.5, 1.5], "tf_half_pixel_for_nn", "round_prefer_floor")]
    for k, (sc, ctm, nm) in enumerate(cases):
        inits.append(const(f"s{k}", np.array(sc, np.float32)))
        nodes.append(h.make_node("Resize", ["c1", "", f"s{k}"], [f"r{k}"], mode="nearest",
                                 coordinate_transformation_mode=ctm, nearest_mode=nm))
        nodes.append(h.make_node("Conv", [f"r{k}", "w2"], [f"y{k}"]))
        outs.append(f"y{k}")
    save("qresize", opset, nodes, outs, inits)


def convt_model(opset):
    inits = [const("w1", rng.randn(4, 3, 3, 3).astype(np.float32) * 0.3),
             const("b1", rng.randn(3).astype(np.float32)),
             const("w2", rng.randn(4, 2, 2, 2).astype(np.float32) * 0.3)]
    nodes = [h.make_node("ConvTranspose", ["x", "w1", "b1"], ["t1"], strides=[2, 2],
                         pads=[1, 1, 1, 1], output_padding=[1, 1]),
             h.make_node("ConvTranspose", ["x", "w2"], ["t2"], strides=[2, 2], group=2),
             h.make_node("ConvTranspose", ["x", "w1"], ["t3"], dilations=[2, 1])]
    save("convtranspose", opset, nodes, ["t1", "t2", "t3"], inits)


def norm_model(opset):
    inits = [const("sc", rng.randn(4).astype(np.float32)), const("bi", rng.randn(4).astype(np.float32))]
    nodes = [h.make_node("InstanceNormalization", ["x", "sc", "bi"], ["in1"], epsilon=1e-3),
             h.make_node("GlobalMaxPool", ["x"], ["gm"])]
    save("norm", opset, nodes, ["in1", "gm"], inits)


def reduce_model(opset):
    nodes, inits, outs = [], [], []
    for op in ["ReduceMean", "ReduceSum", "ReduceMax"]:
        for axes, keep in [([1], 1), ([2, 3], 0), ([-1, 0], 1), (None, 0)]:
            name = f"{op}{len(outs)}"
            as_input = opset >= 18 or (op == "ReduceSum" and opset >= 13)
            if axes is None:
                nodes.append(h.make_node(op, ["x"], [name], keepdims=keep))
            elif as_input:
                inits.append(const(f"a_{name}", np.array(axes, np.int64)))
                nodes.append(h.make_node(op, ["x", f"a_{name}"], [name], keepdims=keep))
            else:
                nodes.append(h.make_node(op, ["x"], [name], axes=axes, keepdims=keep))
            outs.append(name)
    save("reduce", opset, nodes, outs, inits)


os.makedirs(os.path.join(OUT, "calib"), exist_ok=True)
for o in [7, 12, 13, 15]:      # Pow-7, Pow-12 (integer exponents), Pow-13, Pow-15
    pow_model(o)
for o in [9, 13, 17]:
    unary_model(o)
for o in [8, 13]:              # Min/Max-8 broadcast, -13
    minmax_model(o)
for o in [9, 13]:
    prelu_model(o)
for o in [10, 11, 13, 18]:     # Resize-10 (scales), -11 (roi, scales, sizes), -13, -18 (axes)
    resize_model(o)
for o in [11, 17]:
    convt_model(o)
qresize_model(13)
for o in [7, 14]:              # LSTM-7, LSTM-14 (layout)
    lstm_model(o)
for o in [11, 13]:             # If-11 (outputs of any shape), If-13
    if_model(o)
for o in [9, 17]:
    norm_model(o)
for o in [11, 13, 18]:         # axes attribute (ReduceSum input from 13), axes input at 18
    reduce_model(o)
write_all()
x = rng.randn(*XS).astype(np.float32)
np.save(os.path.join(OUT, "x.npy"), x)
np.save(os.path.join(OUT, "calib", "x.npy"), x)
