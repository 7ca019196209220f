/* Opset adapters: every old form comes out in the canonical form (attribute
 * operands as constant inputs, Upsample/Resize-10 as Resize(X, NONE, scales, NONE), explicit
 * legacy Softmax flag, Constant nodes folded into values, legacy broadcast made numpy). */
#include <criterion/criterion.h>
#include <float.h>
#include <string.h>

#include "fe_test.h"

#define MODEL(rel) OQ_TESTDATA "/" rel "/model.onnx"

static oq_graph *load(const char *path)
{
    oq_diag d = {0};
    oq_graph *g = NULL;
    cr_assert_eq(oq_import_onnx(path, NULL, &g, &d), OQ_OK, "%s: %s", path, d.msg);
    return g;
}

static oq_graph *import_ok(fm *m)
{
    oq_diag d = {0};
    oq_graph *g = NULL;
    cr_assert_eq(fm_import(m, NULL, &g, &d), OQ_OK, "%s", d.msg);
    return g;
}

/* Asserts node input k is an int64 constant holding want[0..n). */
static void expect_i64_input(const oq_graph *g, const oq_node *nd, uint32_t k, int n,
                             const int64_t *want)
{
    cr_assert_gt(nd->nin, k, "%s: no input %u", nd->name, k);
    uint32_t v = nd->in[k];
    cr_assert_neq(v, OQ_NONE, "%s: input %u absent", nd->name, k);
    const oq_value *val = &g->values[v];
    cr_assert_not_null(val->data, "%s: input %u is not constant", nd->name, k);
    cr_assert_eq(val->dtype, OQ_DT_INT64);
    cr_assert_eq(val->shape.rank, 1);
    cr_assert_eq(val->shape.dim[0], n, "%s: input %u has %lld values, want %d", nd->name, k,
                 (long long)val->shape.dim[0], n);
    for (int i = 0; i < n; i++)
        cr_expect_eq(((const int64_t *)val->data)[i], want[i], "%s: input %u at [%d]: got %lld "
                     "want %lld", nd->name, k, i, (long long)((const int64_t *)val->data)[i],
                     (long long)want[i]);
}

/* Asserts node input k is a float scalar constant equal to want. */
static void expect_f32_scalar(const oq_graph *g, const oq_node *nd, uint32_t k, float want)
{
    cr_assert_gt(nd->nin, k);
    uint32_t v = nd->in[k];
    cr_assert_neq(v, OQ_NONE, "%s: input %u absent", nd->name, k);
    cr_assert_not_null(g->values[v].data);
    cr_assert_eq(g->values[v].dtype, OQ_DT_FLOAT);
    cr_assert_eq(g->values[v].shape.rank, 0);
    cr_expect_eq(*(const float *)g->values[v].data, want);
}

/* pytorch-operator test_operator_clip: Clip-6 with min/max attributes. */
Test(frontend, clip6_attrs_become_inputs)
{
    oq_graph *g = load(MODEL("pytorch-operator/test_operator_clip"));
    cr_assert_eq(g->opset, 6);
    const oq_node *n = &g->nodes[fe_node_of_op(g, OQ_OP_Clip, 0)];
    cr_assert_eq(n->nin, 3);
    expect_f32_scalar(g, n, 1, -0.5f);
    expect_f32_scalar(g, n, 2, 0.5f);
    cr_expect_null(ir_attr(n, "min"));
    cr_expect_null(ir_attr(n, "max"));
    oq_graph_free(g);
}

Test(frontend, clip6_missing_bound_is_none)
{
    fm *m = fm_new(3, 6);
    fm_input(m, "x", 1, 1, (int64_t[]){4});
    fm_attr_float(m, fm_node(m, "Clip", "c", "x", "y"), "max", 6.0f);
    fm_output(m, "y");
    oq_graph *g = import_ok(m);
    const oq_node *n = &g->nodes[0];
    cr_assert_eq(n->nin, 3);
    cr_expect_eq(n->in[1], OQ_NONE);
    expect_f32_scalar(g, n, 2, 6.0f);
    oq_graph_free(g);
    fm_free(m);
}

/* opset >= 11 files already have the canonical form: untouched (test_clip_default_min). */
Test(frontend, clip13_untouched)
{
    oq_graph *g = load(MODEL("node/test_clip_default_min"));
    const oq_node *n = &g->nodes[0];
    cr_assert_eq(n->nin, 2);
    cr_expect(g->values[n->in[1]].is_input);
    oq_graph_free(g);
}

Test(frontend, pad2_attrs_become_inputs)
{
    oq_graph *g = load(MODEL("pytorch-operator/test_operator_pad"));
    const oq_node *n = &g->nodes[fe_node_of_op(g, OQ_OP_Pad, 0)];
    expect_i64_input(g, n, 1, 8, (int64_t[]){0, 0, 0, 2, 0, 0, 1, 3});
    cr_expect_str_eq(ir_attr_str(n, "mode", ""), "reflect");
    cr_expect_null(ir_attr(n, "pads"));
    oq_graph_free(g);

    fm *m = fm_new(3, 2);
    fm_input(m, "x", 1, 2, (int64_t[]){2, 2});
    Onnx__NodeProto *p = fm_node(m, "Pad", "p", "x", "y");
    fm_attr_ints(m, p, "pads", 4, (int64_t[]){1, 1, 1, 1});
    fm_attr_float(m, p, "value", 1.5f);
    fm_output(m, "y");
    g = import_ok(m);
    n = &g->nodes[0];
    expect_i64_input(g, n, 1, 4, (int64_t[]){1, 1, 1, 1});
    expect_f32_scalar(g, n, 2, 1.5f);
    cr_expect_null(ir_attr(n, "value"));
    oq_graph_free(g);
    fm_free(m);
}

/* test_operator_index: Slice-1 (starts/ends/axes attrs) then Squeeze-1 (axes attr). */
Test(frontend, slice1_and_squeeze1_attrs_become_inputs)
{
    oq_graph *g = load(MODEL("pytorch-operator/test_operator_index"));
    const oq_node *s = &g->nodes[fe_node_of_op(g, OQ_OP_Slice, 0)];
    cr_assert_geq(s->nin, 4);
    cr_expect_not_null(g->values[s->in[1]].data);
    cr_expect_not_null(g->values[s->in[2]].data);
    cr_expect_not_null(g->values[s->in[3]].data);
    cr_expect_eq(g->values[s->in[1]].dtype, OQ_DT_INT64);
    cr_expect_null(ir_attr(s, "starts"));
    const oq_node *q = &g->nodes[fe_node_of_op(g, OQ_OP_Squeeze, 0)];
    cr_assert_eq(q->nin, 2);
    cr_expect_not_null(g->values[q->in[1]].data);
    cr_expect_null(ir_attr(q, "axes"));
    oq_graph_free(g);

    fm *m = fm_new(4, 9);
    fm_input(m, "x", 1, 2, (int64_t[]){5, 6});
    Onnx__NodeProto *n = fm_node(m, "Slice", "sl", "x", "y");
    fm_attr_ints(m, n, "starts", 2, (int64_t[]){1, 0});
    fm_attr_ints(m, n, "ends", 2, (int64_t[]){3, 4});
    fm_output(m, "y");
    g = import_ok(m);
    s = &g->nodes[0];
    expect_i64_input(g, s, 1, 2, (int64_t[]){1, 0});
    expect_i64_input(g, s, 2, 2, (int64_t[]){3, 4});
    cr_expect(s->nin == 3 || s->in[3] == OQ_NONE, "no axes: absent");
    oq_graph_free(g);
    fm_free(m);
}

/* test_operator_chunk: Split-2 with a split attribute. */
Test(frontend, split2_attr_becomes_input)
{
    oq_graph *g = load(MODEL("pytorch-operator/test_operator_chunk"));
    const oq_node *n = &g->nodes[fe_node_of_op(g, OQ_OP_Split, 0)];
    cr_assert_eq(n->nin, 2);
    cr_expect_not_null(g->values[n->in[1]].data);
    cr_expect_eq(g->values[n->in[1]].dtype, OQ_DT_INT64);
    cr_expect_eq(g->values[n->in[1]].shape.dim[0], n->nout);
    cr_expect_null(ir_attr(n, "split"));
    cr_expect_not_null(ir_attr(n, "axis"));
    oq_graph_free(g);
    /* opset 13 without split: equal split, input absent */
    g = load(MODEL("node/test_split_equal_parts_1d"));
    cr_expect_eq(g->nodes[0].nin, 1);
    cr_expect_eq(g->nodes[0].nout, 3);
    oq_graph_free(g);
}

Test(frontend, unsqueeze11_and_squeeze13)
{
    fm *m = fm_new(6, 11);
    fm_input(m, "x", 1, 2, (int64_t[]){3, 4});
    fm_attr_ints(m, fm_node(m, "Unsqueeze", "u", "x", "y"), "axes", 2, (int64_t[]){0, 3});
    fm_output(m, "y");
    oq_graph *g = import_ok(m);
    expect_i64_input(g, &g->nodes[0], 1, 2, (int64_t[]){0, 3});
    oq_graph_free(g);
    fm_free(m);
    g = load(MODEL("node/test_squeeze"));
    cr_expect_eq(g->nodes[0].nin, 2);
    cr_expect(g->values[g->nodes[0].in[1]].is_input, "opset 13: axes stays the file's input");
    oq_graph_free(g);
}

/* ReduceSum < 13 and ReduceMean/ReduceMax < 18 take axes as attributes. */
Test(frontend, reduce_axes_attr_becomes_input)
{
    oq_graph *g = load(MODEL("pytorch-operator/test_operator_reduced_sum"));
    const oq_node *n = &g->nodes[fe_node_of_op(g, OQ_OP_ReduceSum, 0)];
    cr_assert_eq(n->nin, 2);
    cr_expect_not_null(g->values[n->in[1]].data);
    cr_expect_null(ir_attr(n, "axes"));
    cr_expect_not_null(ir_attr(n, "keepdims"));
    oq_graph_free(g);

    fm *m = fm_new(8, 13);
    fm_input(m, "x", 1, 3, (int64_t[]){2, 3, 4});
    Onnx__NodeProto *r = fm_node(m, "ReduceMean", "rm", "x", "y");
    fm_attr_ints(m, r, "axes", 1, (int64_t[]){-1});
    fm_attr_int(m, r, "keepdims", 0);
    Onnx__NodeProto *mx = fm_node(m, "ReduceMax", "rx", "y", "z");
    fm_attr_ints(m, mx, "axes", 1, (int64_t[]){1});
    fm_node(m, "ReduceSum", "rs", "z,", "w");  /* opset 13: input form, absent axes */
    fm_output(m, "w");
    g = import_ok(m);
    expect_i64_input(g, &g->nodes[fe_node_of_op(g, OQ_OP_ReduceMean, 0)], 1, 1, (int64_t[]){-1});
    expect_i64_input(g, &g->nodes[fe_node_of_op(g, OQ_OP_ReduceMax, 0)], 1, 1, (int64_t[]){1});
    const oq_node *rs = &g->nodes[fe_node_of_op(g, OQ_OP_ReduceSum, 0)];
    cr_expect_eq(rs->in[1], OQ_NONE);
    oq_graph_free(g);
    fm_free(m);
}

/* node/test_upsample_nearest (Upsample-9, scales input). */
Test(frontend, upsample9_becomes_resize)
{
    oq_graph *g = load(MODEL("node/test_upsample_nearest"));
    const oq_node *n = &g->nodes[0];
    cr_assert_eq(n->op, OQ_OP_Resize);
    cr_assert_eq(n->nin, 4);
    cr_expect_eq(n->in[1], OQ_NONE);
    cr_expect_eq(n->in[2], fe_value(g, "scales"));
    cr_expect_eq(n->in[3], OQ_NONE);
    cr_expect_str_eq(ir_attr_str(n, "mode", ""), "nearest");
    cr_expect_str_eq(ir_attr_str(n, "coordinate_transformation_mode", ""), "asymmetric");
    cr_expect_str_eq(ir_attr_str(n, "nearest_mode", ""), "floor");
    oq_graph_free(g);
}

Test(frontend, upsample7_scales_attr_and_resize10)
{
    fm *m = fm_new(3, 7);
    fm_input(m, "x", 1, 4, (int64_t[]){1, 1, 2, 2});
    Onnx__NodeProto *u = fm_node(m, "Upsample", "up", "x", "y");
    fm_attr_floats(m, u, "scales", 4, (float[]){1, 1, 2, 3});
    fm_attr_str(m, u, "mode", "linear");
    fm_output(m, "y");
    oq_graph *g = import_ok(m);
    const oq_node *n = &g->nodes[0];
    cr_assert_eq(n->op, OQ_OP_Resize);
    cr_assert_eq(n->nin, 4);
    uint32_t s = n->in[2];
    cr_assert_neq(s, OQ_NONE);
    cr_assert_not_null(g->values[s].data);
    const float *sc = g->values[s].data;
    cr_expect(sc[0] == 1 && sc[1] == 1 && sc[2] == 2 && sc[3] == 3);
    cr_expect_str_eq(ir_attr_str(n, "mode", ""), "linear");
    cr_expect_null(ir_attr(n, "scales"));
    oq_graph_free(g);
    fm_free(m);

    float scales[4] = {1, 1, 2, 2};
    m = fm_new(5, 10);
    fm_input(m, "x", 1, 4, (int64_t[]){1, 1, 2, 2});
    fm_init(m, "sc", 1, 1, (int64_t[]){4}, scales, sizeof scales);
    fm_node(m, "Resize", "rs", "x,sc", "y");
    fm_output(m, "y");
    g = import_ok(m);
    n = &g->nodes[0];
    cr_assert_eq(n->nin, 4);
    cr_expect_eq(n->in[1], OQ_NONE);
    cr_expect_eq(n->in[2], fe_value(g, "sc"));
    cr_expect_str_eq(ir_attr_str(n, "coordinate_transformation_mode", ""), "asymmetric");
    oq_graph_free(g);
    fm_free(m);
}

/* Resize-11 with Constant-node roi and scales that are empty: both become absent. */
Test(frontend, resize11_empty_operands_absent)
{
    oq_graph *g = load(MODEL("node/test_resize_downsample_sizes_nearest_tf_half_pixel_for_nn"));
    const oq_node *n = &g->nodes[fe_node_of_op(g, OQ_OP_Resize, 0)];
    cr_assert_eq(fe_node_of_op(g, OQ_OP_Constant, 0), OQ_NONE, "Constant nodes folded");
    cr_expect_eq(n->in[1], OQ_NONE);
    cr_expect_eq(n->in[2], OQ_NONE);
    cr_expect_neq(n->in[3], OQ_NONE);
    oq_graph_free(g);
}

Test(frontend, softmax_legacy_flag)
{
    oq_graph *g = load(MODEL("pytorch-converted/test_Softmax"));
    cr_expect_eq(ir_attr_int(&g->nodes[0], "onnxq_legacy_2d", 0), 1);
    cr_expect_eq(ir_attr(&g->nodes[0], "onnxq_legacy_2d")->type, OQ_ATTR_INT);
    oq_graph_free(g);
    g = load(MODEL("pytorch-converted/test_LogSoftmax"));
    cr_expect_eq(ir_attr_int(&g->nodes[0], "onnxq_legacy_2d", 0), 1);
    oq_graph_free(g);
    g = load(MODEL("node/test_softmax_axis_0"));
    cr_expect_null(ir_attr(&g->nodes[0], "onnxq_legacy_2d"));
    oq_graph_free(g);
}

/* node/test_constant: the Constant node disappears, its output is a constant value. */
Test(frontend, constant_node_folded)
{
    oq_graph *g = load(MODEL("node/test_constant"));
    cr_expect_eq(g->nnode, 0);
    cr_assert_eq(g->noutput, 1);
    const oq_value *v = &g->values[g->outputs[0]];
    cr_expect_not_null(v->data);
    cr_expect_eq(v->producer, OQ_NONE);
    cr_expect_eq(v->dtype, OQ_DT_FLOAT);
    cr_expect_eq(v->shape.rank, 2);
    oq_graph_free(g);
}

Test(frontend, constant_value_forms)
{
    fm *m = fm_new(8, 13);
    fm_input(m, "x", 1, 1, (int64_t[]){3});
    fm_attr_float(m, fm_node(m, "Constant", "cf", "", "f"), "value_float", 2.5f);
    fm_attr_floats(m, fm_node(m, "Constant", "cfs", "", "fs"), "value_floats", 3,
                   (float[]){1, 2, 3});
    fm_attr_int(m, fm_node(m, "Constant", "ci", "", "i"), "value_int", -7);
    fm_attr_ints(m, fm_node(m, "Constant", "cis", "", "is"), "value_ints", 2, (int64_t[]){4, 5});
    int32_t t[2] = {9, -9};
    fm_attr_tensor(m, fm_node(m, "Constant", "ct", "", "t"), "value",
                   fm_tensor(m, 6, 1, (int64_t[]){2}, t, sizeof t));
    fm_node(m, "Mul", "mul", "x,fs", "y");
    fm_output(m, "y");
    fm_output(m, "f");
    fm_output(m, "i");
    fm_output(m, "is");
    fm_output(m, "t");
    oq_graph *g = import_ok(m);
    cr_expect_eq(g->nnode, 1);
    cr_expect_eq(fe_node_of_op(g, OQ_OP_Constant, 0), OQ_NONE);
    const oq_value *f = &g->values[fe_value(g, "f")];
    cr_expect(f->dtype == OQ_DT_FLOAT && f->shape.rank == 0 && *(float *)f->data == 2.5f);
    const oq_value *fs = &g->values[fe_value(g, "fs")];
    cr_expect(fs->shape.rank == 1 && fs->shape.dim[0] == 3 && ((float *)fs->data)[2] == 3);
    const oq_value *i = &g->values[fe_value(g, "i")];
    cr_expect(i->dtype == OQ_DT_INT64 && i->shape.rank == 0 && *(int64_t *)i->data == -7);
    const oq_value *is = &g->values[fe_value(g, "is")];
    cr_expect(is->dtype == OQ_DT_INT64 && is->shape.dim[0] == 2 && ((int64_t *)is->data)[1] == 5);
    const oq_value *tv = &g->values[fe_value(g, "t")];
    cr_expect(tv->dtype == OQ_DT_INT32 && ((int32_t *)tv->data)[1] == -9);
    oq_graph_free(g);
    fm_free(m);
}

/* BatchNormalization-6 (is_test) from pytorch-converted: flag dropped, one output. */
Test(frontend, batchnorm6_inference_form)
{
    oq_graph *g = load(MODEL("pytorch-converted/test_BatchNorm2d_eval"));
    const oq_node *n = &g->nodes[fe_node_of_op(g, OQ_OP_BatchNormalization, 0)];
    cr_expect_null(ir_attr(n, "is_test"));
    cr_expect_eq(n->nout, 1);
    cr_expect_eq(n->nin, 5);
    oq_graph_free(g);

    oq_diag d = {0};
    cr_assert_eq(oq_import_onnx(MODEL("node/test_batchnorm_example_training_mode"), NULL, &g, &d),
                 OQ_ERR_UNSUPPORTED_ATTR);
    cr_expect(strstr(d.msg, "training_mode"), "%s", d.msg);
}

/* PRelu-6 per-channel slope [C] on NCHW: reshaped to [C,1,1] for numpy broadcasting. */
Test(frontend, prelu6_slope_per_channel)
{
    oq_graph *g = load(MODEL("pytorch-converted/test_PReLU_2d_multiparam"));
    const oq_node *n = &g->nodes[0];
    const oq_value *s = &g->values[n->in[1]];
    cr_assert_eq(s->shape.rank, 3);
    cr_expect(s->shape.dim[0] == 3 && s->shape.dim[1] == 1 && s->shape.dim[2] == 1);
    cr_expect_not_null(s->data);
    oq_graph_free(g);
}

/* Add-6 with broadcast=1, axis=0: B [2] on A [2,3] gets a trailing 1 -> [2,1]. */
Test(frontend, legacy_broadcast_axis)
{
    float b[2] = {1, 2};
    fm *m = fm_new(3, 6);
    fm_input(m, "a", 1, 2, (int64_t[]){2, 3});
    fm_init(m, "b", 1, 1, (int64_t[]){2}, b, sizeof b);
    Onnx__NodeProto *n = fm_node(m, "Add", "add", "a,b", "y");
    fm_attr_int(m, n, "broadcast", 1);
    fm_attr_int(m, n, "axis", 0);
    fm_output(m, "y");
    oq_graph *g = import_ok(m);
    const oq_node *nd = &g->nodes[0];
    cr_expect_null(ir_attr(nd, "broadcast"));
    cr_expect_null(ir_attr(nd, "axis"));
    const oq_value *bv = &g->values[nd->in[1]];
    cr_assert_eq(bv->shape.rank, 2);
    cr_expect(bv->shape.dim[0] == 2 && bv->shape.dim[1] == 1);
    cr_expect_eq(((float *)bv->data)[1], 2.0f);
    cr_expect(g->values[nd->out[0]].shape.rank == 2 && g->values[nd->out[0]].shape.dim[1] == 3);
    oq_graph_free(g);
    fm_free(m);
}

Test(frontend, cast1_string_to)
{
    fm *m = fm_new(3, 1);
    fm_input(m, "x", 1, 1, (int64_t[]){3});
    fm_attr_str(m, fm_node(m, "Cast", "c", "x", "y"), "to", "INT32");
    fm_output(m, "y");
    oq_graph *g = import_ok(m);
    cr_expect_eq(ir_attr(&g->nodes[0], "to")->type, OQ_ATTR_INT);
    cr_expect_eq(ir_attr_int(&g->nodes[0], "to", 0), OQ_DT_INT32);
    oq_graph_free(g);
    fm_free(m);
}

/* QDQ model with constant scales: value->q mirrors them (per-tensor and per-axis). */
Test(frontend, qdq_qparams_mirrored)
{
    float xs = 0.5f, ws[3] = {0.1f, 0.2f, 0.4f};
    uint8_t xz = 128;
    int8_t wz[3] = {0, 0, 0}, w[3 * 2] = {1, -1, 2, -2, 3, -3};
    fm *m = fm_new(8, 13);
    fm_input(m, "x", 1, 2, (int64_t[]){4, 2});
    fm_init(m, "xs", 1, 0, NULL, &xs, sizeof xs);
    fm_init(m, "xz", 2, 0, NULL, &xz, 1);
    fm_init(m, "ws", 1, 1, (int64_t[]){3}, ws, sizeof ws);
    fm_init(m, "wz", 3, 1, (int64_t[]){3}, wz, sizeof wz);
    fm_init(m, "w", 3, 2, (int64_t[]){3, 2}, w, sizeof w);
    fm_node(m, "QuantizeLinear", "q", "x,xs,xz", "xq");
    fm_node(m, "DequantizeLinear", "dq", "xq,xs,xz", "xd");
    Onnx__NodeProto *dw = fm_node(m, "DequantizeLinear", "dqw", "w,ws,wz", "wd");
    fm_attr_int(m, dw, "axis", 0);
    fm_attr_int(m, fm_node(m, "Gemm", "gemm", "xd,wd", "y"), "transB", 1);
    fm_output(m, "y");
    oq_diag d = {0};
    oq_graph *g = NULL;
    cr_assert_eq(fm_import(m, NULL, &g, &d), OQ_OK, "%s", d.msg);
    const oq_value *xq = &g->values[fe_value(g, "xq")];
    cr_assert_eq(xq->q.n, 1);
    cr_expect_eq(xq->q.dtype, OQ_DT_UINT8);
    cr_expect_eq(xq->q.scale[0], 0.5f);
    cr_expect_eq(xq->q.zero_point[0], 128);
    const oq_value *wv = &g->values[fe_value(g, "w")];
    cr_assert_eq(wv->q.n, 3);
    cr_expect_eq(wv->q.dtype, OQ_DT_INT8);
    cr_expect_eq(wv->q.axis, 0);
    for (int i = 0; i < 3; i++)
        cr_expect(wv->q.scale[i] == ws[i] && wv->q.zero_point[i] == 0, "at [%d]", i);
    cr_expect_eq(g->values[fe_value(g, "x")].q.n, 0, "float input stays unquantized");
    oq_diag v = {0};
    cr_expect_eq(ir_verify(g, &v), OQ_OK, "%s", v.msg);
    oq_graph_free(g);
    fm_free(m);
}

/* Optional outputs nobody reads become absent; read ones stay. */
Test(frontend, unused_optional_outputs_dropped)
{
    fm *m = fm_new(8, 13);
    fm_input(m, "x", 1, 4, (int64_t[]){1, 1, 4, 4});
    fm_node(m, "Dropout", "drop", "x", "y,mask");
    Onnx__NodeProto *mp = fm_node(m, "MaxPool", "pool", "y", "z,idx");
    fm_attr_ints(m, mp, "kernel_shape", 2, (int64_t[]){2, 2});
    fm_output(m, "z");
    fm_output(m, "idx");
    oq_graph *g = import_ok(m);
    const oq_node *dr = &g->nodes[fe_node_of_op(g, OQ_OP_Dropout, 0)];
    cr_expect_eq(dr->nout, 1, "unused mask dropped");
    const oq_node *pl = &g->nodes[fe_node_of_op(g, OQ_OP_MaxPool, 0)];
    cr_expect_eq(pl->nout, 2, "indices are a graph output: kept");
    cr_expect_eq(pl->out[1], fe_value(g, "idx"));
    oq_diag v = {0};
    cr_expect_eq(ir_verify(g, &v), OQ_OK, "%s", v.msg);
    oq_graph_free(g);
    fm_free(m);
}

/* Opset 6: Conv then Add(bias, broadcast=1, axis=1): the Conv output's rank is only known by
 * inference, which the importer runs node by node for such old files. */
Test(frontend, legacy_broadcast_after_conv)
{
    float w[2 * 1 * 1 * 1] = {1, 2}, b[2] = {0.5f, -0.5f};
    fm *m = fm_new(3, 6);
    fm_input(m, "x", 1, 4, (int64_t[]){1, 1, 3, 3});
    fm_init(m, "w", 1, 4, (int64_t[]){2, 1, 1, 1}, w, sizeof w);
    fm_init(m, "b", 1, 1, (int64_t[]){2}, b, sizeof b);
    fm_attr_ints(m, fm_node(m, "Conv", "conv", "x,w", "c"), "kernel_shape", 2,
                 (int64_t[]){1, 1});
    Onnx__NodeProto *add = fm_node(m, "Add", "bias", "c,b", "y");
    fm_attr_int(m, add, "broadcast", 1);
    fm_attr_int(m, add, "axis", 1);
    fm_output(m, "y");
    oq_graph *g = import_ok(m);
    const oq_node *n = &g->nodes[fe_node_of_op(g, OQ_OP_Add, 0)];
    const oq_value *bv = &g->values[n->in[1]];
    cr_assert_eq(bv->shape.rank, 3);
    cr_expect(bv->shape.dim[0] == 2 && bv->shape.dim[1] == 1 && bv->shape.dim[2] == 1);
    const oq_value *y = &g->values[g->outputs[0]];
    cr_assert_eq(y->shape.rank, 4);
    cr_expect(y->shape.dim[1] == 2 && y->shape.dim[2] == 3 && y->shape.dim[3] == 3);
    oq_graph_free(g);
    fm_free(m);
}

/* Pad-18 with an axes input is refused by name; Resize keeps roi only for tf_crop_and_resize. */
Test(frontend, pad18_axes_and_resize_roi)
{
    int64_t pads[2] = {1, 1}, axes[1] = {1};
    fm *m = fm_new(8, 18);
    fm_input(m, "x", 1, 2, (int64_t[]){2, 2});
    fm_init(m, "pads", 7, 1, (int64_t[]){2}, pads, sizeof pads);
    fm_init(m, "axes", 7, 1, (int64_t[]){1}, axes, sizeof axes);
    fm_node(m, "Pad", "pad18", "x,pads,,axes", "y");
    fm_output(m, "y");
    oq_diag d = {0};
    oq_graph *g = NULL;
    cr_expect_eq(fm_import(m, NULL, &g, &d), OQ_ERR_UNSUPPORTED_ATTR, "%s", d.msg);
    cr_expect(strstr(d.msg, "'pad18' (Pad)") && strstr(d.msg, "axes"), "%s", d.msg);
    fm_free(m);

    float roi[8] = {0, 0, 0, 0, 1, 1, 1, 1}, sc[4] = {1, 1, 2, 2};
    for (int crop = 0; crop < 2; crop++) {
        m = fm_new(8, 13);
        fm_input(m, "x", 1, 4, (int64_t[]){1, 1, 2, 2});
        fm_init(m, "roi", 1, 1, (int64_t[]){8}, roi, sizeof roi);
        fm_init(m, "sc", 1, 1, (int64_t[]){4}, sc, sizeof sc);
        Onnx__NodeProto *r = fm_node(m, "Resize", "rs", "x,roi,sc", "y");
        if (crop)
            fm_attr_str(m, r, "coordinate_transformation_mode", "tf_crop_and_resize");
        fm_output(m, "y");
        g = import_ok(m);
        const oq_node *n = &g->nodes[0];
        if (crop)
            cr_expect_eq(n->in[1], fe_value(g, "roi"), "crop: roi kept");
        else
            cr_expect_eq(n->in[1], OQ_NONE, "half_pixel: roi unused, dropped");
        cr_expect_eq(n->in[2], fe_value(g, "sc"));
        oq_graph_free(g);
        fm_free(m);
    }
}

/* One refusal per adapter error path: status and a phrase of the message, naming the node. */
typedef void (*build_fn)(fm *m);

static void refuse(int64_t opset, build_fn build, oq_status st, const char *needle)
{
    fm *m = fm_new(opset < 7 ? 3 : 8, opset);
    fm_input(m, "x", 1, 4, (int64_t[]){1, 2, 2, 2});
    fm_input(m, "r", 1, 1, (int64_t[]){2});
    build(m);
    oq_diag d = {0};
    oq_graph *g = NULL;
    oq_status got = fm_import(m, NULL, &g, &d);
    cr_expect_eq(got, st, "want '%s' for '%s', got '%s': %s", oq_status_str(st), needle,
                 oq_status_str(got), d.msg);
    cr_expect(strstr(d.msg, needle) && strstr(d.msg, "node 'n'"), "message: %s", d.msg);
    if (g)
        oq_graph_free(g);
    fm_free(m);
}

static void b_sq_both(fm *m)
{
    int64_t ax[1] = {0};
    fm_init(m, "ax", 7, 1, (int64_t[]){1}, ax, sizeof ax);
    fm_attr_ints(m, fm_node(m, "Squeeze", "n", "x,ax", "y"), "axes", 1, ax);
    fm_output(m, "y");
}
static void b_sq_float(fm *m)
{
    fm_attr_float(m, fm_node(m, "Squeeze", "n", "x", "y"), "axes", 1.0f);
    fm_output(m, "y");
}
static void b_clip_str(fm *m)
{
    fm_attr_str(m, fm_node(m, "Clip", "n", "x", "y"), "min", "low");
    fm_output(m, "y");
}
static void b_clip_both(fm *m)
{
    fm_attr_float(m, fm_node(m, "Clip", "n", "x,r", "y"), "min", 0);
    fm_output(m, "y");
}
static void b_const_noattr(fm *m)
{
    fm_node(m, "Constant", "n", "", "y");
    fm_output(m, "y");
}
static void b_const_two_out(fm *m)
{
    fm_attr_float(m, fm_node(m, "Constant", "n", "", "y,z"), "value_float", 1);
    fm_output(m, "y");
}
static void b_up_cubic(fm *m)
{
    Onnx__NodeProto *n = fm_node(m, "Upsample", "n", "x", "y");
    fm_attr_floats(m, n, "scales", 4, (float[]){1, 1, 2, 2});
    fm_attr_str(m, n, "mode", "cubic");
    fm_output(m, "y");
}
static void b_up_both(fm *m)
{
    fm_attr_floats(m, fm_node(m, "Upsample", "n", "x,r", "y"), "scales", 4, (float[]){1, 1, 2, 2});
    fm_output(m, "y");
}
static void b_up_none(fm *m)
{
    fm_node(m, "Upsample", "n", "x", "y");
    fm_output(m, "y");
}
static void b_up_height(fm *m)
{
    Onnx__NodeProto *n = fm_node(m, "Upsample", "n", "x", "y");
    fm_attr_float(m, n, "height_scale", 2);
    fm_attr_floats(m, n, "scales", 4, (float[]){1, 1, 2, 2});
    fm_output(m, "y");
}
static void b_add_axis(fm *m)
{
    Onnx__NodeProto *n = fm_node(m, "Add", "n", "x,r", "y");
    fm_attr_int(m, n, "broadcast", 1);
    fm_attr_int(m, n, "axis", 0);
    fm_output(m, "y");
}
static void b_prelu_var(fm *m)
{
    fm_node(m, "PRelu", "n", "x,r", "y");
    fm_output(m, "y");
}
static void b_pad_nopads(fm *m)
{
    fm_node(m, "Pad", "n", "x", "y");
    fm_output(m, "y");
}
static void b_slice_noends(fm *m)
{
    fm_attr_ints(m, fm_node(m, "Slice", "n", "x", "y"), "starts", 1, (int64_t[]){0});
    fm_output(m, "y");
}
static void b_reshape_twice(fm *m)
{
    fm_attr_ints(m, fm_node(m, "Reshape", "n", "x,r", "y"), "shape", 1, (int64_t[]){8});
    fm_output(m, "y");
}
static void b_bn(fm *m, const char *outs)
{
    float v[2] = {1, 1};
    const char *nm[4] = {"s", "b", "mu", "var"};
    for (int i = 0; i < 4; i++)
        fm_init(m, nm[i], 1, 1, (int64_t[]){2}, v, sizeof v);
    Onnx__NodeProto *n = fm_node(m, "BatchNormalization", "n", "x,s,b,mu,var", outs);
    if (strchr(outs, ','))
        fm_output(m, "mean");
    else
        fm_attr_int(m, n, "spatial", 0);
    fm_output(m, "y");
}
static void b_bn_spatial(fm *m) { b_bn(m, "y"); }
static void b_bn_training(fm *m) { b_bn(m, "y,mean"); }
static void b_cast_bogus(fm *m)
{
    fm_attr_str(m, fm_node(m, "Cast", "n", "x", "y"), "to", "BOGUS");
    fm_output(m, "y");
}

Test(frontend, adapter_refusals)
{
    refuse(11, b_sq_both, OQ_ERR_INVALID_MODEL, "given both as attribute and as input");
    refuse(11, b_sq_float, OQ_ERR_INVALID_MODEL, "must be a list of ints");
    refuse(6, b_clip_str, OQ_ERR_INVALID_MODEL, "must be a float");
    refuse(11, b_clip_both, OQ_ERR_INVALID_MODEL, "given both as attributes and as inputs");
    refuse(13, b_const_noattr, OQ_ERR_INVALID_MODEL, "exactly one value attribute");
    refuse(13, b_const_two_out, OQ_ERR_INVALID_MODEL, "one output");
    refuse(7, b_up_cubic, OQ_ERR_UNSUPPORTED_ATTR, "mode 'cubic'");
    refuse(9, b_up_both, OQ_ERR_INVALID_MODEL, "bad 'scales'");
    refuse(9, b_up_none, OQ_ERR_INVALID_MODEL, "has no scales");
    refuse(7, b_up_height, OQ_ERR_UNSUPPORTED_ATTR, "height_scale");
    refuse(6, b_add_axis, OQ_ERR_UNSUPPORTED_ATTR, "legacy broadcast");
    refuse(6, b_prelu_var, OQ_ERR_UNSUPPORTED_ATTR, "constant slope");
    refuse(2, b_pad_nopads, OQ_ERR_INVALID_MODEL, "'pads'");
    refuse(9, b_slice_noends, OQ_ERR_INVALID_MODEL, "'starts' and 'ends'");
    refuse(5, b_reshape_twice, OQ_ERR_INVALID_MODEL, "shape given twice");
    refuse(9, b_bn_spatial, OQ_ERR_UNSUPPORTED_ATTR, "spatial=0");
    refuse(9, b_bn_training, OQ_ERR_UNSUPPORTED_ATTR, "training output 1 ('mean')");
    refuse(1, b_cast_bogus, OQ_ERR_DTYPE, "'BOGUS'");
}

/* Forms that are accepted: Reshape-1, Concat-1 default axis, Upsample 'bilinear', Pad-18
 * with an empty axes slot. */
Test(frontend, adapter_old_forms_accepted)
{
    fm *m = fm_new(3, 1);
    fm_input(m, "x", 1, 2, (int64_t[]){2, 3});
    fm_attr_ints(m, fm_node(m, "Reshape", "rs", "x", "a"), "shape", 2, (int64_t[]){3, 2});
    fm_node(m, "Concat", "cc", "a,a", "b");
    fm_output(m, "b");
    oq_graph *g = import_ok(m);
    expect_i64_input(g, &g->nodes[fe_node_of_op(g, OQ_OP_Reshape, 0)], 1, 2, (int64_t[]){3, 2});
    cr_expect_eq(ir_attr_int(&g->nodes[fe_node_of_op(g, OQ_OP_Concat, 0)], "axis", -9), 1);
    const oq_value *b = &g->values[g->outputs[0]];
    cr_expect(b->shape.rank == 2 && b->shape.dim[0] == 3 && b->shape.dim[1] == 4);
    oq_graph_free(g);
    fm_free(m);

    m = fm_new(3, 7);
    fm_input(m, "x", 1, 4, (int64_t[]){1, 1, 2, 2});
    Onnx__NodeProto *u = fm_node(m, "Upsample", "up", "x", "y");
    fm_attr_floats(m, u, "scales", 4, (float[]){1, 1, 2, 2});
    fm_attr_str(m, u, "mode", "bilinear");
    fm_output(m, "y");
    g = import_ok(m);
    cr_expect_str_eq(ir_attr_str(&g->nodes[0], "mode", ""), "linear");
    oq_graph_free(g);
    fm_free(m);

    int64_t pads[4] = {0, 1, 0, 1};
    m = fm_new(8, 18);
    fm_input(m, "x", 1, 2, (int64_t[]){2, 2});
    fm_init(m, "pads", 7, 1, (int64_t[]){4}, pads, sizeof pads);
    fm_node(m, "Pad", "p", "x,pads,,", "y");
    fm_output(m, "y");
    g = import_ok(m);
    cr_expect_eq(g->nodes[0].nin, 3);
    cr_expect_eq(g->nodes[0].in[2], OQ_NONE);
    oq_graph_free(g);
    fm_free(m);
}
