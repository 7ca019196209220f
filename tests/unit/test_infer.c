/* ir/infer.c: dtype and shape inference of every op in ops.def on the canonical forms,
 * constant evaluation of shape arithmetic, unknown-dim propagation, ir_require_static messages,
 * hostile sizes. Graphs are written in the text form of ir/print.c. Expected shapes follow the
 * ONNX operator specs (worked by hand in the comments). */
#include <stdlib.h>
#include "util.h"

Test(infer, broadcast_binary_and_equal_is_bool)
{
    oq_graph *g = tu_infer("input %a:f32[2,1,4]\n input %b:f32[3,1]\n"
                           "%c = Add(%a, %b)\n %e = Equal(%a, %b)\n %p = Pow(%a, %b)\n"
                           "%w = Where(%e, %a, %b)\n");
    TU_TYPE(g, "c", "f32[2,3,4]");
    TU_TYPE(g, "e", "bool[2,3,4]");
    TU_TYPE(g, "p", "f32[2,3,4]");
    TU_TYPE(g, "w", "f32[2,3,4]");
    oq_graph_free(g);
}

Test(infer, broadcast_mismatch_names_node_and_dims)
{
    char msg[1024];
    tu_infer_fails("input %a:f32[2,3]\n input %b:f32[4]\n %c = Mul(%a, %b) # mul_7\n",
                   OQ_ERR_SHAPE, msg, sizeof msg);
    cr_expect(strstr(msg, "node 'mul_7' (Mul)") != NULL, "message: %s", msg);
    cr_expect(strstr(msg, "3 vs 4") != NULL, "message: %s", msg);
}

Test(infer, mixed_dtypes_rejected)
{
    char msg[1024];
    tu_infer_fails("input %a:f32[2]\n input %b:i64[2]\n %c = Add(%a, %b)\n", OQ_ERR_DTYPE, msg,
                   sizeof msg);
    cr_expect(strstr(msg, "'a'") && strstr(msg, "'b'"), "message: %s", msg);
}

Test(infer, unary_chain_and_prelu)
{
    oq_graph *g = tu_infer("input %x:f32[1,5]\n const %lo:f32[] = {0.0}\n const %hi:f32[] = {6.0}\n"
                           "const %sl:f32[5] = {0.1, 0.1, 0.1, 0.1, 0.1}\n"
                           "%a = Relu(%x)\n %b = Clip(%a, %lo, %hi)\n %c = Sigmoid(%b)\n"
                           "%d = HardSwish(%c)\n %e = Erf(%d)\n %f = Softmax(%e) {axis=1}\n"
                           "%h = LogSoftmax(%f)\n %i = PRelu(%h, %sl)\n %j = LeakyRelu(%i)\n"
                           "%k = Tanh(%j)\n %l = Exp(%k)\n %m = Sqrt(%l)\n %n = Reciprocal(%m)\n"
                           "%o = Neg(%n)\n %p = Abs(%o)\n %q = HardSigmoid(%p)\n %r = Identity(%q)\n");
    TU_TYPE(g, "b", "f32[1,5]");
    TU_TYPE(g, "i", "f32[1,5]");
    TU_TYPE(g, "r", "f32[1,5]");
    oq_graph_free(g);
}

Test(infer, conv_pads_strides_dilations_group)
{
    /* 28: (28 + 1 + 1 - 3) / 1 + 1 = 28; stride 2, dil 2: eff 5, (28+2-5)/2+1 = 13 */
    oq_graph *g = tu_infer(
        "input %x:f32[1,8,28,28]\n const %w:f32[16,8,3,3]\n const %b:f32[16]\n"
        "const %dw:f32[16,1,3,3]\n"
        "%y = Conv(%x, %w, %b) {kernel_shape=[3,3], pads=[1,1,1,1]}\n"
        "%z = Conv(%x, %w) {strides=[2,2], dilations=[2,2], pads=[1,1,1,1]}\n"
        "%d = Conv(%y, %dw) {group=16, pads=[1,1,1,1]}\n");
    TU_TYPE(g, "y", "f32[1,16,28,28]");
    TU_TYPE(g, "z", "f32[1,16,13,13]");
    TU_TYPE(g, "d", "f32[1,16,28,28]");
    oq_graph_free(g);
}

Test(infer, conv_auto_pad_same_upper_lower_valid)
{
    /* SAME: ceil(7/2) = 4; VALID: (7-3)/2+1 = 3 */
    oq_graph *g = tu_infer(
        "input %x:f32[2,3,7,7]\n const %w:f32[4,3,3,3]\n"
        "%u = Conv(%x, %w) {auto_pad=\"SAME_UPPER\", strides=[2,2]}\n"
        "%l = Conv(%x, %w) {auto_pad=\"SAME_LOWER\", strides=[2,2]}\n"
        "%v = Conv(%x, %w) {auto_pad=\"VALID\", strides=[2,2]}\n");
    TU_TYPE(g, "u", "f32[2,4,4,4]");
    TU_TYPE(g, "l", "f32[2,4,4,4]");
    TU_TYPE(g, "v", "f32[2,4,3,3]");
    /* resolved pads: total = (4-1)*2 + 3 - 7 = 2 -> 1/1 for both; use 8 for an odd total */
    oq_conv_geom geo;
    oq_diag d = {0};
    cr_assert_eq(ir_conv_geom(g, 0, &geo, &d), OQ_OK, "%s", d.msg);
    cr_expect_eq(geo.pad[0], 1);
    cr_expect_eq(geo.pad[2], 1);
    oq_graph_free(g);
    g = tu_infer("input %x:f32[1,1,8]\n const %w:f32[1,1,4]\n"
                 "%u = Conv(%x, %w) {auto_pad=\"SAME_UPPER\"}\n"
                 "%l = Conv(%x, %w) {auto_pad=\"SAME_LOWER\"}\n");
    TU_TYPE(g, "u", "f32[1,1,8]");
    /* total = 7 + 4 - 8 = 3: SAME_UPPER puts the extra one at the end */
    cr_assert_eq(ir_conv_geom(g, 0, &geo, &d), OQ_OK);
    cr_expect_eq(geo.pad[0], 1);
    cr_expect_eq(geo.pad[1], 2);
    cr_assert_eq(ir_conv_geom(g, 1, &geo, &d), OQ_OK);
    cr_expect_eq(geo.pad[0], 2);
    cr_expect_eq(geo.pad[1], 1);
    oq_graph_free(g);
}

Test(infer, conv_channel_mismatch_is_error)
{
    char msg[1024];
    tu_infer_fails("input %x:f32[1,3,8,8]\n const %w:f32[4,2,3,3]\n %y = Conv(%x, %w) # c1\n",
                   OQ_ERR_SHAPE, msg, sizeof msg);
    cr_expect(strstr(msg, "'c1' (Conv)") && strstr(msg, "3 channels"), "message: %s", msg);
    tu_infer_fails("input %x:f32[1,3,8,8]\n const %w:f32[4,3,3,3]\n"
                   "%y = Conv(%x, %w) {auto_pad=\"SAME_MIDDLE\"}\n",
                   OQ_ERR_UNSUPPORTED_ATTR, msg, sizeof msg);
    tu_infer_fails("input %x:f32[1,3,2,2]\n const %w:f32[4,3,3,3]\n %y = Conv(%x, %w)\n",
                   OQ_ERR_SHAPE, msg, sizeof msg);
}

Test(infer, conv_transpose_output_padding_and_output_shape)
{
    /* out = 2*(3-1) + 1 + 3 - 1 - 1 = 6 ; channels = W[1]*group = 2*2 = 4 */
    oq_graph *g = tu_infer(
        "input %x:f32[1,4,3,3]\n const %w:f32[4,2,3,3]\n"
        "%y = ConvTranspose(%x, %w) {strides=[2,2], pads=[1,1,1,1], output_padding=[1,1], group=2}\n"
        "%z = ConvTranspose(%x, %w) {strides=[3,3], output_shape=[10,8]}\n"
        "%s = ConvTranspose(%x, %w) {strides=[2,2], auto_pad=\"SAME_UPPER\"}\n"
        "%n = ConvTranspose(%x, %w)\n");
    TU_TYPE(g, "y", "f32[1,4,6,6]");
    TU_TYPE(g, "z", "f32[1,2,10,8]");
    TU_TYPE(g, "s", "f32[1,2,6,6]");
    TU_TYPE(g, "n", "f32[1,2,5,5]");
    oq_graph_free(g);
}

Test(infer, pools_ceil_mode_indices_and_global)
{
    /* floor: (5-2)/2+1 = 2 ; ceil: ceil(3/2)+1 = 3 ; a window starting in the end padding is
     * dropped: in=4,k=2,s=2,p=(1,1): (4+2-2)/2+1 = 3 ceil 3, (3-1)*2=4 < 4+1 -> stays 3 */
    oq_graph *g = tu_infer(
        "input %x:f32[1,2,5,5]\n input %x4:f32[1,1,4]\n"
        "%f, %fi = MaxPool(%x) {kernel_shape=[2,2], strides=[2,2]}\n"
        "%c = MaxPool(%x) {kernel_shape=[2,2], strides=[2,2], ceil_mode=1}\n"
        "%a = AveragePool(%x) {kernel_shape=[3,3], pads=[1,1,1,1]}\n"
        "%p = MaxPool(%x4) {kernel_shape=[2], strides=[2], pads=[1,1], ceil_mode=1}\n"
        "%q = MaxPool(%x4) {kernel_shape=[3], strides=[2], pads=[1,1], ceil_mode=1}\n"
        "%s = MaxPool(%x) {kernel_shape=[3,3], strides=[2,2], auto_pad=\"SAME_UPPER\"}\n"
        "%ga = GlobalAveragePool(%x)\n %gm = GlobalMaxPool(%x)\n");
    TU_TYPE(g, "f", "f32[1,2,2,2]");
    TU_TYPE(g, "fi", "i64[1,2,2,2]");
    TU_TYPE(g, "c", "f32[1,2,3,3]");
    TU_TYPE(g, "a", "f32[1,2,5,5]");
    TU_TYPE(g, "p", "f32[1,1,3]");
    /* k3 s2 p1: num = 4+2-3 = 3 -> ceil(3/2)+1 = 3; (3-1)*2 = 4 >= 4+1? no -> 3 */
    TU_TYPE(g, "q", "f32[1,1,3]");
    TU_TYPE(g, "s", "f32[1,2,3,3]");
    TU_TYPE(g, "ga", "f32[1,2,1,1]");
    TU_TYPE(g, "gm", "f32[1,2,1,1]");
    oq_graph_free(g);
    /* the PyTorch rule: in=5, k=2, s=2, p=1 ceil: num=5, ceil(5/2)+1 = 4; (4-1)*2 = 6 >= 6 -> 3 */
    g = tu_infer("input %x:f32[1,1,5]\n"
                 "%p = MaxPool(%x) {kernel_shape=[2], strides=[2], pads=[1,1], ceil_mode=1}\n");
    TU_TYPE(g, "p", "f32[1,1,3]");
    oq_graph_free(g);
}

Test(infer, gemm_trans_and_bias)
{
    oq_graph *g = tu_infer("input %a:f32[4,3]\n const %b:f32[5,3]\n const %c:f32[5]\n"
                           "const %at:f32[3,4]\n"
                           "%y = Gemm(%a, %b, %c) {transB=1}\n"
                           "%z = Gemm(%at, %b) {transA=1, transB=1}\n");
    TU_TYPE(g, "y", "f32[4,5]");
    TU_TYPE(g, "z", "f32[4,5]");
    oq_graph_free(g);
    char msg[1024];
    tu_infer_fails("input %a:f32[4,3]\n const %b:f32[5,3]\n %y = Gemm(%a, %b)\n", OQ_ERR_SHAPE,
                   msg, sizeof msg);
    cr_expect(strstr(msg, "K=3") && strstr(msg, "K=5"), "message: %s", msg);
}

Test(infer, matmul_batched_broadcast_and_1d)
{
    oq_graph *g = tu_infer(
        "input %a:f32[2,1,4,3]\n input %b:f32[5,3,6]\n input %v:f32[3]\n input %u:f32[4]\n"
        "%y = MatMul(%a, %b)\n %av = MatMul(%a, %v)\n %ub = MatMul(%u, %a)\n %vv = MatMul(%v, %v)\n");
    TU_TYPE(g, "y", "f32[2,5,4,6]");
    TU_TYPE(g, "av", "f32[2,1,4]");
    TU_TYPE(g, "ub", "f32[2,1,3]");
    TU_TYPE(g, "vv", "f32[]");
    oq_graph_free(g);
}

Test(infer, reshape_zero_minus_one_allowzero)
{
    oq_graph *g = tu_infer(
        "input %x:f32[2,3,4]\n const %s1:i64[3] = {0, -1, 2}\n const %s2:i64[2] = {-1, 4}\n"
        "const %s3:i64[1] = {-1}\n input %e:f32[0,3]\n const %s4:i64[2] = {3, 0}\n"
        "%a = Reshape(%x, %s1)\n %b = Reshape(%x, %s2)\n %c = Reshape(%x, %s3)\n"
        "%d = Reshape(%e, %s4) {allowzero=1}\n");
    TU_TYPE(g, "a", "f32[2,6,2]");
    TU_TYPE(g, "b", "f32[6,4]");
    TU_TYPE(g, "c", "f32[24]");
    TU_TYPE(g, "d", "f32[3,0]");
    oq_graph_free(g);
    char msg[1024];
    tu_infer_fails("input %x:f32[2,3,4]\n const %s:i64[2] = {5, -1}\n %y = Reshape(%x, %s)\n",
                   OQ_ERR_SHAPE, msg, sizeof msg);
    tu_infer_fails("input %x:f32[2,3,4]\n const %s:i64[2] = {-1, -1}\n %y = Reshape(%x, %s)\n",
                   OQ_ERR_SHAPE, msg, sizeof msg);
    tu_infer_fails("input %x:f32[2,3]\n const %s:i64[2] = {4, 2}\n %y = Reshape(%x, %s)\n",
                   OQ_ERR_SHAPE, msg, sizeof msg);
}

Test(infer, flatten_transpose_concat)
{
    oq_graph *g = tu_infer(
        "input %x:f32[2,3,4,5]\n input %z:f32[2,7,4,5]\n"
        "%f = Flatten(%x)\n %f0 = Flatten(%x) {axis=0}\n %fn = Flatten(%x) {axis=-1}\n"
        "%t = Transpose(%x) {perm=[0,2,3,1]}\n %tr = Transpose(%x)\n"
        "%c = Concat(%x, %z) {axis=1}\n %cn = Concat(%x, %x, %z) {axis=-3}\n");
    TU_TYPE(g, "f", "f32[2,60]");
    TU_TYPE(g, "f0", "f32[1,120]");
    TU_TYPE(g, "fn", "f32[24,5]");
    TU_TYPE(g, "t", "f32[2,4,5,3]");
    TU_TYPE(g, "tr", "f32[5,4,3,2]");
    TU_TYPE(g, "c", "f32[2,10,4,5]");
    TU_TYPE(g, "cn", "f32[2,13,4,5]");
    oq_graph_free(g);
    char msg[1024];
    tu_infer_fails("input %x:f32[2,3]\n input %z:f32[3,3]\n %c = Concat(%x, %z) {axis=1}\n",
                   OQ_ERR_SHAPE, msg, sizeof msg);
    tu_infer_fails("input %x:f32[2,3]\n %t = Transpose(%x) {perm=[0,0]}\n", OQ_ERR_SHAPE, msg,
                   sizeof msg);
}

Test(infer, split_sizes_equal_and_num_outputs)
{
    oq_graph *g = tu_infer(
        "input %x:f32[2,10]\n const %s:i64[3] = {2, 3, 5}\n"
        "%a, %b, %c = Split(%x, %s) {axis=1}\n"
        "%e, %f = Split(%x) {axis=-1}\n"
        "%p, %q, %r = Split(%x) {axis=1, num_outputs=3}\n");
    TU_TYPE(g, "a", "f32[2,2]");
    TU_TYPE(g, "b", "f32[2,3]");
    TU_TYPE(g, "c", "f32[2,5]");
    TU_TYPE(g, "e", "f32[2,5]");
    TU_TYPE(g, "p", "f32[2,4]");
    TU_TYPE(g, "r", "f32[2,2]");
    oq_graph_free(g);
    char msg[1024];
    tu_infer_fails("input %x:f32[2,10]\n const %s:i64[2] = {2, 3}\n %a, %b = Split(%x, %s) {axis=1}\n",
                   OQ_ERR_SHAPE, msg, sizeof msg);
    tu_infer_fails("input %x:f32[2,10]\n %a, %b, %c = Split(%x) {axis=1}\n", OQ_ERR_SHAPE, msg,
                   sizeof msg);
}

Test(infer, slice_negative_clamped_steps)
{
    oq_graph *g = tu_infer(
        "input %x:f32[10,20,5]\n"
        "const %st:i64[2] = {1, -4}\n const %en:i64[2] = {1000, -1}\n const %ax:i64[2] = {0, 1}\n"
        "const %st2:i64[1] = {-1}\n const %en2:i64[1] = {-9223372036854775807}\n"
        "const %ax2:i64[1] = {1}\n const %sp2:i64[1] = {-3}\n"
        "const %s0:i64[1] = {0}\n const %e0:i64[1] = {3}\n const %sp0:i64[1] = {2}\n"
        "%a = Slice(%x, %st, %en, %ax)\n"
        "%b = Slice(%x, %st2, %en2, %ax2, %sp2)\n"
        "%c = Slice(%x, %s0, %e0, _, %sp0)\n");
    TU_TYPE(g, "a", "f32[9,3,5]");
    /* from 19 down to 0 by -3: 19,16,13,10,7,4,1 = 7 */
    TU_TYPE(g, "b", "f32[10,7,5]");
    TU_TYPE(g, "c", "f32[2,20,5]");
    oq_graph_free(g);
}

Test(infer, squeeze_unsqueeze_axes_inputs)
{
    oq_graph *g = tu_infer(
        "input %x:f32[1,3,1,5]\n const %a:i64[1] = {2}\n const %u:i64[2] = {0, -1}\n"
        "%s = Squeeze(%x, %a)\n %sa = Squeeze(%x)\n %un = Unsqueeze(%x, %u)\n");
    TU_TYPE(g, "s", "f32[1,3,5]");
    TU_TYPE(g, "sa", "f32[3,5]");
    TU_TYPE(g, "un", "f32[1,1,3,1,5,1]");
    oq_graph_free(g);
    char msg[1024];
    tu_infer_fails("input %x:f32[1,3]\n const %a:i64[1] = {1}\n %s = Squeeze(%x, %a)\n",
                   OQ_ERR_SHAPE, msg, sizeof msg);
}

Test(infer, reduce_keepdims_noop_and_axes)
{
    oq_graph *g = tu_infer(
        "input %x:f32[2,3,4]\n const %a:i64[2] = {1, -1}\n const %e:i64[0] = {}\n"
        "%k = ReduceMean(%x, %a)\n %n = ReduceSum(%x, %a) {keepdims=0}\n"
        "%all = ReduceMax(%x) {keepdims=0}\n %alk = ReduceMax(%x)\n"
        "%noop = ReduceSum(%x, %e) {noop_with_empty_axes=1}\n %emp = ReduceSum(%x, %e)\n");
    TU_TYPE(g, "k", "f32[2,1,1]");
    TU_TYPE(g, "n", "f32[2]");
    TU_TYPE(g, "all", "f32[]");
    TU_TYPE(g, "alk", "f32[1,1,1]");
    TU_TYPE(g, "noop", "f32[2,3,4]");
    TU_TYPE(g, "emp", "f32[1,1,1]");
    oq_graph_free(g);
}

Test(infer, gather_expand_pad)
{
    oq_graph *g = tu_infer(
        "input %x:f32[5,6,7]\n input %i:i64[2,3]\n const %s:i64[] = {1}\n"
        "const %sh:i64[4] = {2, 1, 6, 7}\n const %p:i64[6] = {0, 1, 2, 0, 3, 4}\n"
        "%g = Gather(%x, %i) {axis=1}\n %gs = Gather(%x, %s)\n"
        "%e = Expand(%x, %sh)\n %pd = Pad(%x, %p) {mode=\"reflect\"}\n");
    TU_TYPE(g, "g", "f32[5,2,3,7]");
    TU_TYPE(g, "gs", "f32[6,7]");
    TU_TYPE(g, "e", "f32[2,5,6,7]");
    TU_TYPE(g, "pd", "f32[5,10,13]");
    oq_graph_free(g);
}

Test(infer, resize_scales_and_sizes)
{
    oq_graph *g = tu_infer(
        "input %x:f32[1,3,10,15]\n const %sc:f32[4] = {1.0, 1.0, 2.0, 0.5}\n"
        "const %sz:i64[4] = {1, 3, 7, 9}\n const %sz2:i64[2] = {20, 20}\n"
        "%a = Resize(%x, _, %sc) {mode=\"nearest\"}\n %b = Resize(%x, _, _, %sz)\n"
        "%c = Resize(%x, _, _, %sz2) {axes=[2,3], keep_aspect_ratio_policy=\"not_larger\"}\n");
    TU_TYPE(g, "a", "f32[1,3,20,7]");
    TU_TYPE(g, "b", "f32[1,3,7,9]");
    /* scale = min(20/10, 20/15) = 4/3: round(13.33) = 13, round(20) = 20 */
    TU_TYPE(g, "c", "f32[1,3,13,20]");
    oq_graph_free(g);
}

Test(infer, shape_start_end_folds_to_constant)
{
    oq_graph *g = tu_infer("input %x:f32[2,3,4,5]\n %s = Shape(%x)\n %t = Shape(%x) {start=1, end=-1}\n"
                           "%u = Shape(%x) {start=-2}\n");
    TU_TYPE(g, "s", "i64[4]");
    TU_TYPE(g, "t", "i64[2]");
    const int64_t *s = tu_i64(g, "s"), *t = tu_i64(g, "t"), *u = tu_i64(g, "u");
    cr_expect(s[0] == 2 && s[1] == 3 && s[2] == 4 && s[3] == 5);
    cr_expect(t[0] == 3 && t[1] == 4, "got %lld %lld", (long long)t[0], (long long)t[1]);
    cr_expect(u[0] == 4 && u[1] == 5);
    oq_graph_free(g);
}

Test(infer, shape_arithmetic_makes_reshape_static)
{
    /* Reshape(x, Concat(Unsqueeze(Gather(Shape(x), 0)), [-1])) : the torch.flatten pattern */
    oq_graph *g = tu_infer(
        "input %x:f32[8,4,3,3]\n const %zero:i64[] = {0}\n const %ax:i64[1] = {0}\n"
        "const %m1:i64[1] = {-1}\n const %two:i64[] = {2}\n"
        "%s = Shape(%x)\n %n = Gather(%s, %zero)\n %nn = Mul(%n, %two)\n %q = Div(%nn, %two)\n"
        "%u = Unsqueeze(%q, %ax)\n %c = Concat(%u, %m1) {axis=0}\n %y = Reshape(%x, %c)\n"
        "%cf = Cast(%c) {to=1}\n %c32 = Cast(%c) {to=6}\n");
    TU_TYPE(g, "n", "i64[]");
    TU_TYPE(g, "c", "i64[2]");
    TU_TYPE(g, "y", "f32[8,36]");
    TU_TYPE(g, "cf", "f32[2]");
    const int64_t *c = tu_i64(g, "c");
    cr_expect(c[0] == 8 && c[1] == -1);
    const float *cf = tu_val(g, "cf")->data;
    cr_assert_not_null(cf);
    cr_expect(cf[0] == 8.0f && cf[1] == -1.0f);
    const int32_t *c32 = tu_val(g, "c32")->data;
    cr_assert_not_null(c32);
    cr_expect(c32[0] == 8 && c32[1] == -1);
    oq_graph_free(g);
}

Test(infer, constant_of_shape_expand_where_slice_fold)
{
    oq_graph *g = tu_infer(
        "input %x:f32[2,3]\n const %st:i64[1] = {1}\n const %en:i64[1] = {2}\n"
        "%s = Shape(%x)\n %sl = Slice(%s, %st, %en)\n"
        "%z = ConstantOfShape(%s) {value=tensor(i64[1] {7})}\n"
        "%zf = ConstantOfShape(%s)\n"
        "%e = Equal(%z, %z)\n const %neg:i64[2,3] = {-1,-2,-3,-4,-5,-6}\n"
        "%w = Where(%e, %neg, %z)\n const %one:i64[1] = {1}\n const %sh:i64[2] = {2, 3}\n"
        "%ex = Expand(%one, %sh)\n %sub = Sub(%w, %ex)\n %id = Identity(%sub)\n");
    TU_TYPE(g, "sl", "i64[1]");
    cr_expect_eq(tu_i64(g, "sl")[0], 3);
    TU_TYPE(g, "z", "i64[2,3]");
    TU_TYPE(g, "zf", "f32[2,3]");
    const int64_t *z = tu_i64(g, "z");
    for (int i = 0; i < 6; i++)
        cr_expect_eq(z[i], 7, "at [%d]: got %lld want 7", i, (long long)z[i]);
    const int64_t *id = tu_i64(g, "id");
    for (int i = 0; i < 6; i++)
        cr_expect_eq(id[i], -i - 2, "at [%d]: got %lld want %d", i, (long long)id[i], -i - 2);
    cr_expect_null(tu_val(g, "x")->data);
    oq_graph_free(g);
}

Test(infer, integer_div_truncates_and_div_by_zero_not_folded)
{
    oq_graph *g = tu_infer("const %a:i64[2] = {-7, 7}\n const %b:i64[2] = {2, 0}\n"
                           "const %c:i64[1] = {2}\n %q = Div(%a, %c)\n %z = Div(%a, %b)\n");
    const int64_t *q = tu_i64(g, "q");
    cr_expect_eq(q[0], -3);
    cr_expect_eq(q[1], 3);
    cr_expect_null(tu_val(g, "z")->data, "division by zero must be left to run time");
    oq_graph_free(g);
}

Test(infer, cast_and_constant_of_shape_types)
{
    oq_graph *g = tu_infer("input %x:f32[2,3]\n %a = Cast(%x) {to=7}\n %b = Cast(%x) {to=9}\n");
    TU_TYPE(g, "a", "i64[2,3]");
    TU_TYPE(g, "b", "bool[2,3]");
    oq_graph_free(g);
    char msg[1024];
    tu_infer_fails("input %x:f32[2]\n %a = Cast(%x) {to=99}\n", OQ_ERR_UNSUPPORTED_ATTR, msg,
                   sizeof msg);
}

Test(infer, quantize_dequantize_per_tensor_and_per_axis)
{
    oq_graph *g = tu_infer(
        "input %x:f32[1,4,2,2]\n const %s:f32[] = {0.1}\n const %zu:u8[] = {128}\n"
        "const %zi:i8[] = {0}\n const %w:i8[4,3,1,1]\n const %ws:f32[4] = {0.1,0.2,0.3,0.4}\n"
        "const %wz:i8[4] = {0,0,0,0}\n const %b:i32[4] = {1,2,3,4}\n const %bs:f32[4] = {1.0,1.0,1.0,1.0}\n"
        "%q = QuantizeLinear(%x, %s, %zu)\n %qi = QuantizeLinear(%x, %s, %zi)\n"
        "%qd = QuantizeLinear(%x, %s)\n %d = DequantizeLinear(%q, %s, %zu)\n"
        "%wd = DequantizeLinear(%w, %ws, %wz) {axis=0}\n %bd = DequantizeLinear(%b, %bs) {axis=0}\n");
    TU_TYPE(g, "q", "u8[1,4,2,2]");
    TU_TYPE(g, "qi", "i8[1,4,2,2]");
    TU_TYPE(g, "qd", "u8[1,4,2,2]");
    TU_TYPE(g, "d", "f32[1,4,2,2]");
    TU_TYPE(g, "wd", "f32[4,3,1,1]");
    TU_TYPE(g, "bd", "f32[4]");
    oq_graph_free(g);
    char msg[1024];
    tu_infer_fails("const %w:i8[4,3] \n const %ws:f32[3] = {0.1,0.2,0.3}\n"
                   "%wd = DequantizeLinear(%w, %ws) {axis=0}\n", OQ_ERR_SHAPE, msg, sizeof msg);
    cr_expect(strstr(msg, "per-axis") != NULL, "message: %s", msg);
}

Test(infer, qlinear_and_integer_ops)
{
    oq_graph *g = tu_infer(
        "input %x:u8[1,3,8,8]\n const %xs:f32[] = {0.1}\n const %xz:u8[] = {128}\n"
        "const %w:i8[6,3,3,3]\n const %ws:f32[6] = {1.0,1.0,1.0,1.0,1.0,1.0}\n"
        "const %wz:i8[6] = {0,0,0,0,0,0}\n const %ys:f32[] = {0.2}\n const %yz:i8[] = {0}\n"
        "const %b:i32[6]\n input %a:u8[2,5,3]\n const %bm:i8[3,7]\n const %bz:i8[] = {0}\n"
        "%y = QLinearConv(%x, %xs, %xz, %w, %ws, %wz, %ys, %yz, %b) {pads=[1,1,1,1]}\n"
        "%ci = ConvInteger(%x, %w, %xz) {strides=[2,2]}\n"
        "%m = QLinearMatMul(%a, %xs, %xz, %bm, %xs, %bz, %ys, %xz)\n"
        "%mi = MatMulInteger(%a, %bm, %xz, %bz)\n"
        "input %f:f32[4,5]\n %dq, %dqs, %dqz = DynamicQuantizeLinear(%f)\n");
    TU_TYPE(g, "y", "i8[1,6,8,8]");
    TU_TYPE(g, "ci", "i32[1,6,3,3]");
    TU_TYPE(g, "m", "u8[2,5,7]");
    TU_TYPE(g, "mi", "i32[2,5,7]");
    TU_TYPE(g, "dq", "u8[4,5]");
    TU_TYPE(g, "dqs", "f32[]");
    TU_TYPE(g, "dqz", "u8[]");
    oq_graph_free(g);
}

Test(infer, norms_dropout_and_batchnorm)
{
    oq_graph *g = tu_infer(
        "input %x:f32[2,4,6]\n const %sc:f32[6]\n const %bi:f32[6]\n const %c:f32[4]\n"
        "%ln, %mean, %inv = LayerNormalization(%x, %sc, %bi) {axis=-1}\n"
        "%ln1, _, %inv1 = LayerNormalization(%x, %sc) {axis=1}\n"
        "%dr, %mask = Dropout(%x)\n %bn = BatchNormalization(%x, %c, %c, %c, %c)\n");
    TU_TYPE(g, "ln", "f32[2,4,6]");
    TU_TYPE(g, "mean", "f32[2,4,1]");
    TU_TYPE(g, "inv1", "f32[2,1,1]");
    TU_TYPE(g, "dr", "f32[2,4,6]");
    TU_TYPE(g, "mask", "bool[2,4,6]");
    TU_TYPE(g, "bn", "f32[2,4,6]");
    oq_graph_free(g);
    char msg[1024];
    tu_infer_fails("input %x:f32[2,4,6]\n const %c:f32[4]\n"
                   "%bn = BatchNormalization(%x, %c, %c, %c, %c) {training_mode=1}\n",
                   OQ_ERR_UNSUPPORTED_ATTR, msg, sizeof msg);
}

Test(infer, unknown_dims_propagate_without_error)
{
    oq_graph *g = tu_infer(
        "input %x:f32[?,3,32,32]\n const %w:f32[8,3,3,3]\n const %s:i64[2] = {0, -1}\n"
        "%c = Conv(%x, %w) {pads=[1,1,1,1]}\n %r = Relu(%c)\n %p = GlobalAveragePool(%r)\n"
        "%f = Reshape(%p, %s)\n %sh = Shape(%f)\n %u = Flatten(%x)\n input %any:f32\n"
        "%v = Relu(%any)\n");
    TU_TYPE(g, "c", "f32[?,8,32,32]");
    TU_TYPE(g, "f", "f32[?,8]");
    TU_TYPE(g, "sh", "i64[2]");
    cr_expect_null(tu_val(g, "sh")->data, "Shape with an unknown dim must not fold");
    TU_TYPE(g, "u", "f32[?,3072]");
    TU_TYPE(g, "v", "f32");
    oq_diag d = {0};
    cr_assert_eq(ir_require_static(g, &d), OQ_ERR_SHAPE);
    cr_expect(strstr(d.msg, "output 'c' dim 0 unknown") != NULL, "message: %s", d.msg);
    cr_expect(strstr(d.msg, "input 'x' has symbolic dim 0") != NULL, "message: %s", d.msg);
    cr_expect(strstr(d.msg, "--input-shape") != NULL, "message: %s", d.msg);
    oq_graph_free(g);
}

Test(infer, require_static_passes_when_known_and_names_runtime_shapes)
{
    oq_graph *g = tu_infer("input %x:f32[1,3]\n %y = Relu(%x)\n output %y\n");
    oq_diag d = {0};
    cr_expect_eq(ir_require_static(g, &d), OQ_OK, "%s", d.msg);
    oq_graph_free(g);
    /* Reshape to a shape computed from data (not from shapes): stays unknown */
    g = tu_infer("input %x:f32[4]\n input %s:i64[2]\n %y = Reshape(%x, %s) # rs\n");
    TU_TYPE(g, "y", "f32[?,?]");
    cr_expect_eq(ir_require_static(g, &d), OQ_ERR_SHAPE);
    cr_expect(strstr(d.msg, "'rs' (Reshape)") != NULL, "message: %s", d.msg);
    oq_graph_free(g);
}

Test(infer, declared_shapes_fill_unknown_dims)
{
    oq_graph *g = tu_infer("input %x:f32[4]\n input %s:i64[2]\n %y:f32[2,2] = Reshape(%x, %s)\n");
    TU_TYPE(g, "y", "f32[2,2]");
    oq_graph_free(g);
}

Test(infer, hostile_ranks_and_sizes_are_errors)
{
    char msg[1024];
    tu_infer_fails("input %x:f32[1,1,1,1,1,1,1]\n const %a:i64[2] = {0, 1}\n"
                   "%y = Unsqueeze(%x, %a)\n", OQ_ERR_SHAPE, msg, sizeof msg);
    cr_expect(strstr(msg, "rank") != NULL, "message: %s", msg);
    tu_infer_fails("input %x:f32[1]\n const %s:i64[3] = {4611686018427387904, 4, 4}\n"
                   "%y = Expand(%x, %s)\n", OQ_ERR_SHAPE, msg, sizeof msg);
    tu_infer_fails("input %x:f32[2]\n const %s:i64[2] = {3037000500, 3037000500}\n"
                   "%y = ConstantOfShape(%s)\n", OQ_ERR_SHAPE, msg, sizeof msg);
    tu_infer_fails("input %x:f32[1,1,4,4]\n %y = MaxPool(%x) {kernel_shape=[2,2], strides=[0,1]}\n",
                   OQ_ERR_SHAPE, msg, sizeof msg);
    tu_infer_fails("input %x:f32[3,4]\n const %i:i64[1] = {3}\n const %d:i64[3,4]\n"
                   "%y = Gather(%d, %i)\n", OQ_ERR_INVALID_MODEL, msg, sizeof msg);
    cr_expect(strstr(msg, "index 3") != NULL, "message: %s", msg);
}

Test(infer, every_op_in_ops_def_has_inference)
{
    /* each op with a minimal node: the result is either OK or a SHAPE/INVALID_MODEL error about
     * the made-up inputs, never UNSUPPORTED_OP */
    for (int op = 0; op < OQ_OP_COUNT; op++) {
        if (op == OQ_OP_Constant)
            continue;
        const oq_opinfo *oi = oq_op_info(op);
        oq_graph *g = oq_graph_new(NULL, NULL);
        oq_shape s = {2, {2, 2}};
        uint32_t in[16], out[4];
        int nin = oi->min_in > 16 ? 16 : oi->min_in, nout = oi->min_out;
        for (int i = 0; i < nin; i++) {
            char nm[16];
            snprintf(nm, sizeof nm, "i%d", i);
            in[i] = ir_add_value(g, nm, OQ_DT_FLOAT, &s);
        }
        for (int i = 0; i < nout; i++) {
            char nm[16];
            snprintf(nm, sizeof nm, "o%d", i);
            out[i] = ir_add_value(g, nm, OQ_DT_UNDEFINED, NULL);
        }
        ir_add_node(g, op, "n", in, nin, out, nout);
        oq_diag d = {0};
        oq_status st = ir_infer(g, &d);
        cr_expect_neq(st, OQ_ERR_UNSUPPORTED_OP, "op %s: %s", oi->name, d.msg);
        oq_graph_free(g);
    }
}

Test(infer, squeeze_empty_axes_and_legacy_attributes)
{
    oq_graph *g = tu_infer("input %x:f32[1,3,1]\n const %e:i64[0] = {}\n"
                           "%a = Squeeze(%x, %e)\n %b = Squeeze(%x) {axes=[0]}\n"
                           "%c = ReduceSum(%x) {axes=[1], keepdims=0}\n"
                           "%p, %q = Split(%x) {axis=1, split=[1,2]}\n");
    TU_TYPE(g, "a", "f32[3]");
    TU_TYPE(g, "b", "f32[3,1]");
    TU_TYPE(g, "c", "f32[1,1]");
    TU_TYPE(g, "p", "f32[1,1,1]");
    TU_TYPE(g, "q", "f32[1,2,1]");
    oq_graph_free(g);
}

Test(infer, data_bound_inputs_make_runtime_shapes_static)
{
    /* the interpreter binds a graph input's data (conformance tests feed shapes as inputs);
     * inference then treats it as constant */
    oq_graph *g = tu_parse("input %x:f32[2,3,4]\n input %s:i64[2]\n %y = Reshape(%x, %s)\n");
    int64_t sh[2] = {6, -1};
    cr_assert_not_null(ir_set_const(g, ir_find_value(g, "s"), sh));
    oq_diag d = {0};
    cr_assert_eq(ir_infer(g, &d), OQ_OK, "%s", d.msg);
    TU_TYPE(g, "y", "f32[6,4]");
    cr_expect_eq(ir_require_static(g, &d), OQ_OK, "%s", d.msg);
    oq_graph_free(g);
}

Test(infer, reinference_is_stable_and_refolds)
{
    oq_graph *g = tu_infer("input %x:f32[2,3]\n %s = Shape(%x)\n %c = Cast(%s) {to=1}\n");
    const float *c = tu_val(g, "c")->data;
    cr_assert_not_null(c);
    cr_expect(c[0] == 2.0f && c[1] == 3.0f);
    /* the input shape changes (as after --input-shape): folded values follow */
    g->values[ir_find_value(g, "x")].shape.dim[0] = 5;
    oq_diag d = {0};
    cr_assert_eq(ir_infer(g, &d), OQ_OK, "%s", d.msg);
    c = tu_val(g, "c")->data;
    cr_assert_not_null(c);
    cr_expect_eq(c[0], 5.0f);
    oq_graph_free(g);
}

Test(infer, require_static_names_the_symbolic_dim)
{
    oq_graph *g = tu_infer("input %x:f32[?,3]\n %y = Relu(%x) # relu\n");
    cr_assert(ir_set_dim_param(g, ir_find_value(g, "x"), 0, "batch"));
    cr_expect_str_eq(ir_dim_param(g, ir_find_value(g, "x"), 0), "batch");
    cr_expect_null(ir_dim_param(g, ir_find_value(g, "x"), 1));
    oq_diag d = {0};
    cr_assert_eq(ir_require_static(g, &d), OQ_ERR_SHAPE);
    cr_expect(strstr(d.msg, "output 'y' dim 0 unknown: input 'x' has symbolic dim 'batch'") != NULL,
              "message: %s", d.msg);
    oq_graph_free(g);
}

Test(infer, conv_transpose_same_upper_pads_like_the_backend_tests)
{
    /* test_convtranspose_autopad_same: 3 -> 6 with stride 2, kernel 3: the full output is 7,
     * total pad 1, and the expected data drops the last row: pad begin 0, end 1 */
    oq_graph *g = tu_infer("input %x:f32[1,1,3,3]\n const %w:f32[1,2,3,3]\n"
                           "%y = ConvTranspose(%x, %w) {auto_pad=\"SAME_UPPER\", strides=[2,2]}\n"
                           "%z = ConvTranspose(%x, %w) {auto_pad=\"SAME_LOWER\", strides=[2,2]}\n");
    TU_TYPE(g, "y", "f32[1,2,6,6]");
    oq_conv_geom geo;
    oq_diag d = {0};
    cr_assert_eq(ir_conv_geom(g, 0, &geo, &d), OQ_OK, "%s", d.msg);
    cr_expect_eq(geo.pad[0], 0);
    cr_expect_eq(geo.pad[2], 1);
    cr_assert_eq(ir_conv_geom(g, 1, &geo, &d), OQ_OK, "%s", d.msg);
    cr_expect_eq(geo.pad[0], 1);
    cr_expect_eq(geo.pad[2], 0);
    oq_graph_free(g);
}

Test(infer, require_static_is_linear_on_residual_chains, .timeout = 20)
{
    /* 300 residual blocks (2^300 paths) then a Reshape to a run-time shape: the search for the
     * source of the unknown dim must stop at static values */
    size_t cap = 1 << 16, k = 0;
    char *t = malloc(cap);
    cr_assert_not_null(t);
    k += (size_t)snprintf(t + k, cap - k, "input %%y0:f32[2,2]\n input %%s:i64[2]\n");
    for (int i = 0; i < 300; i++)
        k += (size_t)snprintf(t + k, cap - k, "%%r%d = Relu(%%y%d)\n %%y%d = Add(%%r%d, %%y%d)\n",
                              i, i, i + 1, i, i);
    snprintf(t + k, cap - k, "%%z = Reshape(%%y300, %%s) # rs\n");
    oq_graph *g = tu_infer(t);
    free(t);
    oq_diag d = {0};
    cr_expect_eq(ir_require_static(g, &d), OQ_ERR_SHAPE);
    cr_expect(strstr(d.msg, "'rs' (Reshape)") && strstr(d.msg, "run time"), "message: %s", d.msg);
    oq_graph_free(g);
}
