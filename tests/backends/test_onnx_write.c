/* backends/onnx writer, checked on the written bytes: hand-built graphs are written to memory
 * and unpacked again with protobuf-c, then fields, opset-specific forms and the atomic file
 * write (refusal to overwrite the input, no partial files) are checked. No ONNX Runtime here. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include <dirent.h>

#include "backends/onnx/onnx_write.h"
#include "gb.h"
#include "onnx.pb-c.h"

/* Writes g with options o into memory and unpacks it (cr_assert on failure). */
static Onnx__ModelProto *write_unpack(const oq_graph *g, const oq_write_opts *o)
{
    oq_diag d = {0};
    void *buf;
    size_t len;
    oq_status st = oq_write_onnx_mem(g, o, &buf, &len, &d);
    cr_assert_eq(st, OQ_OK, "write failed: %s", d.msg);
    Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, len, buf);
    free(buf);
    cr_assert_not_null(m, "written bytes do not parse as a ModelProto");
    return m;
}

/* Writes g with options o into memory expecting a failure: no output, *d holds the message. */
static oq_status write_fails(const oq_graph *g, const oq_write_opts *o, oq_diag *d)
{
    *d = (oq_diag){0};
    void *buf = NULL;
    size_t len;
    oq_status st = oq_write_onnx_mem(g, o, &buf, &len, d);
    cr_expect_null(buf, "a failed write returned bytes");
    free(buf);
    return st;
}

static int64_t opset_of(const Onnx__ModelProto *m)
{
    for (size_t i = 0; i < m->n_opset_import; i++)
        if (!m->opset_import[i]->domain || !m->opset_import[i]->domain[0])
            return m->opset_import[i]->version;
    return -1;
}

/* g is written at opset `want` when none is asked for, and asking for want - 1 fails with a
 * message holding `words` and "needs opset <want>". */
static void expect_min_opset(const oq_graph *g, int64_t want, const char *words)
{
    Onnx__ModelProto *m = write_unpack(g, NULL);
    cr_expect_eq(opset_of(m), want);
    onnx__model_proto__free_unpacked(m, NULL);
    oq_write_opts o = {.opset = want - 1};
    oq_diag d;
    char needs[32];
    snprintf(needs, sizeof needs, "needs opset %lld", (long long)want);
    cr_expect_eq(write_fails(g, &o, &d), OQ_ERR_USAGE);
    cr_expect(strstr(d.msg, words) && strstr(d.msg, needs), "msg: %s", d.msg);
}

static const Onnx__NodeProto *find_node(const Onnx__ModelProto *m, const char *op_type)
{
    for (size_t i = 0; i < m->graph->n_node; i++)
        if (strcmp(m->graph->node[i]->op_type, op_type) == 0)
            return m->graph->node[i];
    return NULL;
}

static const Onnx__AttributeProto *find_attr(const Onnx__NodeProto *n, const char *name)
{
    for (size_t i = 0; i < n->n_attribute; i++)
        if (strcmp(n->attribute[i]->name, name) == 0)
            return n->attribute[i];
    return NULL;
}

static const Onnx__TensorProto *find_init(const Onnx__ModelProto *m, const char *name)
{
    for (size_t i = 0; i < m->graph->n_initializer; i++)
        if (strcmp(m->graph->initializer[i]->name, name) == 0)
            return m->graph->initializer[i];
    return NULL;
}

/* x[1,3] -> MatMul(W[3,2]) -> y -> Relu -> z */
static oq_graph *matmul_relu(int64_t opset)
{
    oq_graph *g = gb_new(opset);
    uint32_t x = gb_input(g, "x", OQ_DT_FLOAT, GB_SHAPE(1, 3));
    float wd[6] = {1, 2, 3, 4, 5, 6};
    uint32_t w = gb_const(g, "W", OQ_DT_FLOAT, GB_SHAPE(3, 2), wd);
    uint32_t y = gb_value(g, "y", OQ_DT_FLOAT, GB_SHAPE(1, 2));
    uint32_t z = gb_value(g, "z", OQ_DT_FLOAT, GB_SHAPE(1, 2));
    GB_NODE(g, MatMul, "mm0", GB_L(x, w), GB_L(y));
    GB_NODE(g, Relu, "relu0", GB_L(y), GB_L(z));
    gb_output(g, z);
    return g;
}

Test(backends, writes_model_graph_and_initializers)
{
    oq_graph *g = matmul_relu(13);
    Onnx__ModelProto *m = write_unpack(g, NULL);
    cr_expect_eq(m->ir_version, 7);
    cr_expect_eq(opset_of(m), 13);
    cr_expect_str_eq(m->producer_name, "onnxq");
    Onnx__GraphProto *gp = m->graph;
    cr_assert_eq(gp->n_input, 1);
    cr_expect_str_eq(gp->input[0]->name, "x");
    cr_expect_eq(gp->input[0]->type->tensor_type->elem_type, 1);
    cr_assert_eq(gp->input[0]->type->tensor_type->shape->n_dim, 2);
    cr_expect_eq(gp->input[0]->type->tensor_type->shape->dim[1]->dim_value, 3);
    cr_assert_eq(gp->n_output, 1);
    cr_expect_str_eq(gp->output[0]->name, "z");
    cr_assert_eq(gp->n_node, 2);
    cr_expect_str_eq(gp->node[0]->op_type, "MatMul");
    cr_expect_str_eq(gp->node[0]->name, "mm0");
    cr_expect_str_eq(gp->node[0]->input[1], "W");
    cr_expect_str_eq(gp->node[1]->name, "relu0");
    const Onnx__TensorProto *w = find_init(m, "W");
    cr_assert_not_null(w);
    cr_expect_eq(w->data_type, 1);
    cr_assert_eq(w->n_dims, 2);
    cr_expect_eq(w->dims[0], 3);
    cr_assert_eq(w->raw_data.len, 24);
    const uint8_t le6[4] = {0x00, 0x00, 0xc0, 0x40}; /* 6.0f little-endian */
    cr_expect_eq(memcmp(w->raw_data.data + 20, le6, 4), 0);
    cr_assert_eq(gp->n_value_info, 1);
    cr_expect_str_eq(gp->value_info[0]->name, "y");
    cr_expect_eq(gp->value_info[0]->type->tensor_type->shape->dim[1]->dim_value, 2);
    onnx__model_proto__free_unpacked(m, NULL);
    oq_write_opts o = {.no_value_info = true, .producer_name = "tool"};
    m = write_unpack(g, &o);
    cr_expect_eq(m->graph->n_value_info, 0);
    cr_expect_str_eq(m->producer_name, "tool");
    onnx__model_proto__free_unpacked(m, NULL);
    oq_graph_free(g);
}

Test(backends, skips_dead_nodes_and_their_constants)
{
    oq_graph *g = matmul_relu(13);
    uint32_t x = g->inputs[0];
    float bd[3] = {1, 1, 1};
    uint32_t b = gb_const(g, "dead_bias", OQ_DT_FLOAT, GB_SHAPE(1, 3), bd);
    uint32_t t = gb_value(g, "t", OQ_DT_FLOAT, GB_SHAPE(1, 3));
    uint32_t n = GB_NODE(g, Add, "dead_add", GB_L(x, b), GB_L(t));
    g->nodes[n].dead = true;
    Onnx__ModelProto *m = write_unpack(g, NULL);
    cr_expect_eq(m->graph->n_node, 2);
    cr_expect_null(find_node(m, "Add"));
    cr_expect_null(find_init(m, "dead_bias"));
    cr_expect_eq(m->graph->n_initializer, 1);
    onnx__model_proto__free_unpacked(m, NULL);
    oq_graph_free(g);
}

Test(backends, typed_attributes_and_internal_ones_dropped)
{
    oq_graph *g = gb_new(13);
    uint32_t x = gb_input(g, "x", OQ_DT_FLOAT, GB_SHAPE(1, 1, 4, 4));
    float wd[9] = {0};
    uint32_t w = gb_const(g, "w", OQ_DT_FLOAT, GB_SHAPE(1, 1, 3, 3), wd);
    uint32_t y = gb_value(g, "y", OQ_DT_FLOAT, GB_SHAPE(1, 1, 4, 4));
    uint32_t n = GB_NODE(g, Conv, "conv", GB_L(x, w, OQ_NONE), GB_L(y));
    gb_attr_ints(g, n, "pads", 4, (int64_t[]){1, 1, 1, 1});
    gb_attr_str(g, n, "auto_pad", "NOTSET");
    gb_attr_int(g, n, "group", 1);
    gb_attr_int(g, n, "onnxq_fused", 1);
    gb_output(g, y);
    Onnx__ModelProto *m = write_unpack(g, NULL);
    const Onnx__NodeProto *c = find_node(m, "Conv");
    cr_assert_not_null(c);
    cr_assert_eq(c->n_input, 3, "absent bias kept as an empty name");
    cr_expect_str_eq(c->input[2], "");
    const Onnx__AttributeProto *a = find_attr(c, "pads");
    cr_assert_not_null(a);
    cr_expect_eq(a->type, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    cr_expect_eq(a->n_ints, 4);
    a = find_attr(c, "auto_pad");
    cr_assert_not_null(a);
    cr_expect_eq(a->type, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
    cr_expect_eq(a->s.len, 6);
    cr_expect_eq(memcmp(a->s.data, "NOTSET", 6), 0);
    a = find_attr(c, "group");
    cr_assert_not_null(a);
    cr_expect_eq(a->type, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    cr_expect_eq(a->i, 1);
    cr_expect_null(find_attr(c, "onnxq_fused"));
    onnx__model_proto__free_unpacked(m, NULL);
    oq_graph_free(g);
}

/* x[2,3] -> Unsqueeze(axes [0]) -> ReduceMean(axes [2]) -> out */
static oq_graph *axes_graph(int64_t opset)
{
    oq_graph *g = gb_new(opset);
    uint32_t x = gb_input(g, "x", OQ_DT_FLOAT, GB_SHAPE(2, 3));
    uint32_t a0 = gb_i64(g, "axes0", 1, (int64_t[]){0});
    uint32_t a2 = gb_i64(g, "axes2", 1, (int64_t[]){2});
    uint32_t u = gb_value(g, "u", OQ_DT_FLOAT, GB_SHAPE(1, 2, 3));
    uint32_t r = gb_value(g, "r", OQ_DT_FLOAT, GB_SHAPE(1, 2, 1));
    GB_NODE(g, Unsqueeze, "unsq", GB_L(x, a0), GB_L(u));
    GB_NODE(g, ReduceMean, "mean", GB_L(u, a2), GB_L(r));
    gb_output(g, r);
    return g;
}

Test(backends, axes_inputs_become_attributes_below_their_opset)
{
    static const struct {
        int64_t opset;
        size_t unsq_in, mean_in;
    } cases[] = {{11, 1, 1}, {12, 1, 1}, {13, 2, 1}, {17, 2, 1}, {18, 2, 2}};
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        oq_graph *g = axes_graph(cases[c].opset);
        Onnx__ModelProto *m = write_unpack(g, NULL);
        cr_expect_eq(opset_of(m), cases[c].opset);
        const Onnx__NodeProto *u = find_node(m, "Unsqueeze"), *r = find_node(m, "ReduceMean");
        cr_assert(u && r);
        cr_expect_eq(u->n_input, cases[c].unsq_in, "opset %lld: Unsqueeze inputs",
                     (long long)cases[c].opset);
        cr_expect_eq(r->n_input, cases[c].mean_in, "opset %lld: ReduceMean inputs",
                     (long long)cases[c].opset);
        const Onnx__AttributeProto *ua = find_attr(u, "axes"), *ra = find_attr(r, "axes");
        if (cases[c].unsq_in == 1) {
            cr_assert_not_null(ua);
            cr_expect_eq(ua->n_ints, 1);
            cr_expect_eq(ua->ints[0], 0);
            cr_expect_null(find_init(m, "axes0"), "unused axes constant written");
        } else {
            cr_expect_null(ua);
            cr_expect_str_eq(u->input[1], "axes0");
            cr_expect_not_null(find_init(m, "axes0"));
        }
        if (cases[c].mean_in == 1) {
            cr_assert_not_null(ra);
            cr_expect_eq(ra->ints[0], 2);
        } else {
            cr_expect_null(ra);
        }
        onnx__model_proto__free_unpacked(m, NULL);
        oq_graph_free(g);
    }
}

Test(backends, explicit_opset_rewrites_and_runtime_axes_need_newer_opset)
{
    oq_graph *g = axes_graph(18);
    oq_write_opts o = {.opset = 11};
    Onnx__ModelProto *m = write_unpack(g, &o);
    cr_expect_eq(opset_of(m), 11);
    cr_expect_eq(find_node(m, "ReduceMean")->n_input, 1);
    cr_expect_eq(m->ir_version, 7, "ir_version of the source model is kept when newer");
    onnx__model_proto__free_unpacked(m, NULL);
    /* axes computed at run time (a graph input) cannot become an attribute */
    uint32_t ax = gb_input(g, "axes_rt", OQ_DT_INT64, GB_SHAPE(1));
    g->nodes[1].in[1] = ax;
    oq_diag d;
    cr_expect_eq(write_fails(g, &o, &d), OQ_ERR_USAGE);
    cr_expect(strstr(d.msg, "operand computed at run time") &&
              strstr(d.msg, "'mean' (ReduceMean)") && strstr(d.msg, "needs opset 18"), "msg: %s",
              d.msg);
    g->opset = 11;
    cr_expect_eq(oq_onnx_write_opset(g, NULL, &d), 18);
    oq_graph_free(g);
}

Test(backends, clip_and_pad_inputs_become_attributes_below_11)
{
    oq_graph *g = gb_new(9);
    uint32_t x = gb_input(g, "x", OQ_DT_FLOAT, GB_SHAPE(2, 3));
    uint32_t lo = gb_f32(g, "lo", -0.5f), hi = gb_f32(g, "hi", 6.0f);
    uint32_t pads = gb_i64(g, "pads", 4, (int64_t[]){0, 1, 0, 2});
    uint32_t pv = gb_f32(g, "pv", 0.25f);
    uint32_t c = gb_value(g, "c", OQ_DT_FLOAT, GB_SHAPE(2, 3));
    uint32_t p = gb_value(g, "p", OQ_DT_FLOAT, GB_SHAPE(2, 6));
    GB_NODE(g, Clip, "clip", GB_L(x, lo, hi), GB_L(c));
    uint32_t pn = GB_NODE(g, Pad, "pad", GB_L(c, pads, pv), GB_L(p));
    gb_attr_str(g, pn, "mode", "constant");
    gb_output(g, p);
    Onnx__ModelProto *m = write_unpack(g, NULL);
    cr_expect_eq(opset_of(m), 9);
    const Onnx__NodeProto *cn = find_node(m, "Clip"), *pd = find_node(m, "Pad");
    cr_assert(cn && pd);
    cr_expect_eq(cn->n_input, 1);
    cr_assert_not_null(find_attr(cn, "min"));
    cr_expect_float_eq(find_attr(cn, "min")->f, -0.5f, 0);
    cr_expect_float_eq(find_attr(cn, "max")->f, 6.0f, 0);
    cr_expect_eq(pd->n_input, 1);
    const Onnx__AttributeProto *a = find_attr(pd, "pads");
    cr_assert_not_null(a);
    cr_assert_eq(a->n_ints, 4);
    cr_expect_eq(a->ints[3], 2);
    cr_expect_float_eq(find_attr(pd, "value")->f, 0.25f, 0);
    cr_expect_eq(m->graph->n_initializer, 0);
    onnx__model_proto__free_unpacked(m, NULL);
    g->opset = 11;
    m = write_unpack(g, NULL);
    cr_expect_eq(find_node(m, "Clip")->n_input, 3);
    cr_expect_eq(find_node(m, "Pad")->n_input, 3);
    cr_expect_null(find_attr(find_node(m, "Pad"), "pads"));
    onnx__model_proto__free_unpacked(m, NULL);
    oq_graph_free(g);
}

/* An operand computed at run time raises the opset to the one that made it an input (ops.def
 * column opset, ONNX_IN): Dropout's ratio 12, Clip's bounds 11 -- and a Clip on int32 with such
 * bounds needs 12 for its type, the higher of the two. */
Test(backends, runtime_operands_raise_opset_to_their_inputs_version)
{
    oq_graph *g = gb_new(9);
    uint32_t x = gb_input(g, "x", OQ_DT_FLOAT, GB_SHAPE(2, 3));
    uint32_t r = gb_input(g, "ratio", OQ_DT_FLOAT, GB_SCALAR);
    uint32_t y = gb_value(g, "y", OQ_DT_FLOAT, GB_SHAPE(2, 3));
    GB_NODE(g, Dropout, "drop", GB_L(x, r), GB_L(y));
    gb_output(g, y);
    expect_min_opset(g, 12, "'drop' (Dropout)");
    Onnx__ModelProto *m = write_unpack(g, NULL);
    cr_expect_eq(find_node(m, "Dropout")->n_input, 2, "the ratio stays an input");
    cr_expect_null(find_attr(find_node(m, "Dropout"), "ratio"));
    onnx__model_proto__free_unpacked(m, NULL);
    oq_graph_free(g);

    g = gb_new(9);
    x = gb_input(g, "x", OQ_DT_INT32, GB_SHAPE(2, 3));
    uint32_t hi = gb_input(g, "hi", OQ_DT_INT32, GB_SCALAR);
    y = gb_value(g, "y", OQ_DT_INT32, GB_SHAPE(2, 3));
    GB_NODE(g, Clip, "clip", GB_L(x, OQ_NONE, hi), GB_L(y));
    gb_output(g, y);
    expect_min_opset(g, 12, "Clip on a non-float type");
    m = write_unpack(g, NULL);
    cr_expect_eq(find_node(m, "Clip")->n_input, 3);
    onnx__model_proto__free_unpacked(m, NULL);
    oq_graph_free(g);
}

/* x float -> DequantizeLinear(w int8 [4,2], scale [n], zp [n]) with n = 4 (per-axis) or 1 */
static oq_graph *dq_graph(int64_t opset, bool per_axis)
{
    oq_graph *g = gb_new(opset);
    int8_t wd[8] = {1, -2, 3, -4, 5, -6, 7, -127};
    float sd[4] = {0.1f, 0.2f, 0.3f, 0.4f};
    int8_t zd[4] = {0};
    uint32_t w = gb_const(g, "w_q", OQ_DT_INT8, GB_SHAPE(4, 2), wd);
    oq_shape qs = per_axis ? GB_SHAPE(4) : GB_SCALAR;
    uint32_t s = gb_const(g, "w_scale", OQ_DT_FLOAT, qs, sd);
    uint32_t z = gb_const(g, "w_zp", OQ_DT_INT8, qs, zd);
    uint32_t x = gb_input(g, "x", OQ_DT_FLOAT, GB_SHAPE(3, 4));
    uint32_t wf = gb_value(g, "w_f", OQ_DT_FLOAT, GB_SHAPE(4, 2));
    uint32_t y = gb_value(g, "y", OQ_DT_FLOAT, GB_SHAPE(3, 2));
    uint32_t n = GB_NODE(g, DequantizeLinear, "w_dq", GB_L(w, s, z), GB_L(wf));
    gb_attr_int(g, n, "axis", 0);
    GB_NODE(g, MatMul, "mm", GB_L(x, wf), GB_L(y));
    gb_output(g, y);
    return g;
}

Test(backends, per_axis_quantization_raises_opset_to_13)
{
    oq_graph *g = dq_graph(11, true);
    Onnx__ModelProto *m = write_unpack(g, NULL);
    cr_expect_eq(opset_of(m), 13);
    cr_expect_geq(m->ir_version, 7);
    const Onnx__NodeProto *dq = find_node(m, "DequantizeLinear");
    cr_assert_not_null(dq);
    cr_expect_eq(dq->n_input, 3);
    cr_assert_not_null(find_attr(dq, "axis"));
    const Onnx__TensorProto *w = find_init(m, "w_q");
    cr_assert_not_null(w);
    cr_expect_eq(w->data_type, 3);
    cr_assert_eq(w->raw_data.len, 8);
    cr_expect_eq((int8_t)w->raw_data.data[7], -127);
    cr_expect_eq(find_init(m, "w_scale")->dims[0], 4);
    onnx__model_proto__free_unpacked(m, NULL);

    oq_write_opts o = {.opset = 12};
    oq_diag d;
    cr_expect_eq(write_fails(g, &o, &d), OQ_ERR_USAGE);
    cr_expect(strstr(d.msg, "per-axis") && strstr(d.msg, "w_dq"), "msg: %s", d.msg);
    oq_graph_free(g);

    g = dq_graph(11, false);           /* per-tensor: opset 11 kept, axis dropped */
    m = write_unpack(g, NULL);
    cr_expect_eq(opset_of(m), 11);
    cr_expect_null(find_attr(find_node(m, "DequantizeLinear"), "axis"));
    onnx__model_proto__free_unpacked(m, NULL);
    oq_graph_free(g);
}

/* The version that introduced an op (ops.def column opset) raises the written opset, and an
 * explicit older opset is an error naming the op; a contrib op is written in its own domain,
 * whose opset_import version comes from the same column. */
Test(backends, op_introduction_raises_opset_and_contrib_ops_keep_their_domain)
{
    oq_graph *g = gb_new(11);
    uint32_t x = gb_input(g, "x", OQ_DT_FLOAT, GB_SHAPE(1, 4));
    uint32_t y = gb_value(g, "y", OQ_DT_FLOAT, GB_SHAPE(1, 4));
    GB_NODE(g, HardSwish, "hs", GB_L(x), GB_L(y));
    gb_output(g, y);
    expect_min_opset(g, 14, "node 'hs' (HardSwish): cannot write opset 13: HardSwish needs");
    oq_graph_free(g);

    g = gb_new(13);
    uint8_t zd[1] = {128};
    uint32_t a = gb_input(g, "a", OQ_DT_UINT8, GB_SHAPE(1, 4));
    uint32_t b = gb_input(g, "b", OQ_DT_UINT8, GB_SHAPE(1, 4));
    uint32_t s = gb_f32(g, "s", 0.5f);
    uint32_t z = gb_const(g, "z", OQ_DT_UINT8, GB_SCALAR, zd);
    uint32_t c = gb_value(g, "c", OQ_DT_UINT8, GB_SHAPE(1, 4));
    GB_NODE(g, QLinearAdd, "qadd", GB_L(a, s, z, b, s, z, s, z), GB_L(c));
    gb_output(g, c);
    Onnx__ModelProto *m = write_unpack(g, NULL);
    cr_expect_eq(opset_of(m), 13);
    cr_expect_str_eq(find_node(m, "QLinearAdd")->domain, "com.microsoft");
    bool found = false;
    for (size_t i = 0; i < m->n_opset_import; i++)
        if (m->opset_import[i]->domain && strcmp(m->opset_import[i]->domain, "com.microsoft") == 0)
            found = m->opset_import[i]->version == oq_op_info(OQ_OP_QLinearAdd)->since;
    cr_expect(found, "com.microsoft opset_import at the column's version");
    onnx__model_proto__free_unpacked(m, NULL);
    oq_write_opts q = {.format = OQ_FORMAT_QOP};
    oq_diag d;
    cr_expect_eq(write_fails(g, &q, &d), OQ_ERR_UNSUPPORTED_OP);
    cr_expect(strstr(d.msg, "com.microsoft op"), "msg: %s", d.msg);
    oq_graph_free(g);
}

/* x[2,3,4] -> Softmax (legacy 2-D at axis, or single axis) -> y */
static oq_graph *softmax_graph(int64_t opset, bool legacy, int64_t axis)
{
    oq_graph *g = gb_new(opset);
    uint32_t x = gb_input(g, "x", OQ_DT_FLOAT, GB_SHAPE(2, 3, 4));
    uint32_t y = gb_value(g, "y", OQ_DT_FLOAT, GB_SHAPE(2, 3, 4));
    uint32_t n = GB_NODE(g, Softmax, "sm", GB_L(x), GB_L(y));
    gb_attr_int(g, n, "axis", axis);
    if (legacy)
        gb_attr_int(g, n, "onnxq_legacy_2d", 1);
    gb_output(g, y);
    return g;
}

Test(backends, softmax_semantics_kept_across_opsets)
{
    /* legacy, axis 1, written at 13: Flatten -> Softmax(axis 1) -> Reshape */
    oq_graph *g = softmax_graph(11, true, 1);
    oq_write_opts o = {.opset = 13};
    Onnx__ModelProto *m = write_unpack(g, &o);
    cr_assert_eq(m->graph->n_node, 3);
    cr_expect_str_eq(m->graph->node[0]->op_type, "Flatten");
    cr_expect_eq(find_attr(m->graph->node[0], "axis")->i, 1);
    cr_expect_str_eq(m->graph->node[1]->op_type, "Softmax");
    cr_expect_eq(find_attr(m->graph->node[1], "axis")->i, 1);
    cr_expect_str_eq(m->graph->node[2]->op_type, "Reshape");
    cr_expect_str_eq(m->graph->node[2]->output[0], "y");
    cr_expect_null(find_attr(m->graph->node[1], "onnxq_legacy_2d"));
    onnx__model_proto__free_unpacked(m, NULL);
    /* same graph at its own opset 11: one Softmax, axis 1 */
    m = write_unpack(g, NULL);
    cr_expect_eq(opset_of(m), 11);
    cr_assert_eq(m->graph->n_node, 1);
    cr_expect_eq(find_attr(m->graph->node[0], "axis")->i, 1);
    onnx__model_proto__free_unpacked(m, NULL);
    oq_graph_free(g);
    /* legacy over the last axis: identical in both semantics, one node */
    g = softmax_graph(11, true, 2);
    m = write_unpack(g, &o);
    cr_expect_eq(m->graph->n_node, 1);
    onnx__model_proto__free_unpacked(m, NULL);
    oq_graph_free(g);
    /* opset-13 semantics over an inner axis needs opset 13 */
    g = softmax_graph(11, false, 1);
    m = write_unpack(g, NULL);
    cr_expect_eq(opset_of(m), 13);
    cr_expect_eq(m->graph->n_node, 1);
    onnx__model_proto__free_unpacked(m, NULL);
    oq_graph_free(g);
    /* opset-13 semantics, default axis -1, written at 11: explicit last axis */
    g = softmax_graph(13, false, -1);
    o.opset = 11;
    m = write_unpack(g, &o);
    cr_expect_eq(opset_of(m), 11);
    cr_expect_eq(find_attr(m->graph->node[0], "axis")->i, 2);
    onnx__model_proto__free_unpacked(m, NULL);
    oq_graph_free(g);
}

Test(backends, split_forms_per_opset)
{
    oq_graph *g = gb_new(18);
    uint32_t x = gb_input(g, "x", OQ_DT_FLOAT, GB_SHAPE(2, 6));
    uint32_t a = gb_value(g, "a", OQ_DT_FLOAT, GB_SHAPE(2, 3));
    uint32_t b = gb_value(g, "b", OQ_DT_FLOAT, GB_SHAPE(2, 3));
    uint32_t n = GB_NODE(g, Split, "split", GB_L(x), GB_L(a, b));
    gb_attr_int(g, n, "axis", 1);
    gb_output(g, a);
    gb_output(g, b);
    Onnx__ModelProto *m = write_unpack(g, NULL);
    const Onnx__NodeProto *s = find_node(m, "Split");
    cr_assert_not_null(find_attr(s, "num_outputs"), "opset 18 equal split needs num_outputs");
    cr_expect_eq(find_attr(s, "num_outputs")->i, 2);
    onnx__model_proto__free_unpacked(m, NULL);
    /* explicit split sizes at 11: attribute */
    uint32_t sz = gb_i64(g, "sizes", 2, (int64_t[]){3, 3});
    oq_node *nd = &g->nodes[n];
    uint32_t *in2 = oq_arena_alloc(&g->arena, 2 * sizeof *in2);
    in2[0] = x;
    in2[1] = sz;
    nd->in = in2;
    nd->nin = 2;
    oq_write_opts o = {.opset = 11};
    m = write_unpack(g, &o);
    s = find_node(m, "Split");
    cr_expect_eq(s->n_input, 1);
    cr_assert_not_null(find_attr(s, "split"));
    cr_expect_eq(find_attr(s, "split")->n_ints, 2);
    onnx__model_proto__free_unpacked(m, NULL);
    o.opset = 13;
    m = write_unpack(g, &o);
    cr_expect_eq(find_node(m, "Split")->n_input, 2);
    onnx__model_proto__free_unpacked(m, NULL);
    oq_graph_free(g);
}

Test(backends, undefined_value_is_an_error)
{
    oq_graph *g = gb_new(13);
    uint32_t x = gb_value(g, "ghost", OQ_DT_FLOAT, GB_SHAPE(1));
    uint32_t y = gb_value(g, "y", OQ_DT_FLOAT, GB_SHAPE(1));
    GB_NODE(g, Relu, "r", GB_L(x), GB_L(y));
    gb_output(g, y);
    oq_diag d;
    cr_expect_eq(write_fails(g, NULL, &d), OQ_ERR_INVALID_MODEL);
    cr_expect(strstr(d.msg, "ghost") && strstr(d.msg, "'r'"), "msg: %s", d.msg);
    oq_graph_free(g);
}

Test(backends, empty_and_duplicate_names_made_unique)
{
    oq_graph *g = gb_new(13);
    uint32_t x = gb_input(g, "x", OQ_DT_FLOAT, GB_SHAPE(2));
    uint32_t t = gb_value(g, "", OQ_DT_FLOAT, GB_SHAPE(2));
    uint32_t u = gb_value(g, "dup", OQ_DT_FLOAT, GB_SHAPE(2));
    uint32_t v = gb_value(g, "dup", OQ_DT_FLOAT, GB_SHAPE(2));
    GB_NODE(g, Relu, "r1", GB_L(x), GB_L(t));
    GB_NODE(g, Neg, "r2", GB_L(t), GB_L(u));
    GB_NODE(g, Abs, "r3", GB_L(u), GB_L(v));
    gb_output(g, v);
    Onnx__ModelProto *m = write_unpack(g, NULL);
    const Onnx__NodeProto *n1 = m->graph->node[0], *n2 = m->graph->node[1], *n3 = m->graph->node[2];
    cr_expect_neq(n1->output[0][0], 0, "empty value name must be synthesized");
    cr_expect_str_eq(n2->input[0], n1->output[0]);
    cr_expect_str_neq(n2->output[0], n3->output[0]);
    cr_expect_str_eq(n3->input[0], n2->output[0]);
    cr_expect_str_eq(n3->output[0], "dup");
    cr_expect_str_eq(m->graph->output[0]->name, "dup");
    onnx__model_proto__free_unpacked(m, NULL);
    /* node names: a pass may give two nodes one name; ORT rejects that */
    g->nodes[1].name = "r1";
    g->nodes[2].name = "r1_1";
    m = write_unpack(g, NULL);
    cr_expect_str_eq(m->graph->node[0]->name, "r1");
    cr_expect_str_neq(m->graph->node[1]->name, "r1");
    cr_expect_str_neq(m->graph->node[1]->name, "r1_1");
    cr_expect_str_eq(m->graph->node[2]->name, "r1_1");
    onnx__model_proto__free_unpacked(m, NULL);
    oq_graph_free(g);
}

/* ------------------------------------------------------------------ atomic file write */

static char tdir[64];

static void mk_tdir(void)
{
    strcpy(tdir, "/tmp/oq_wtest_XXXXXX");
    cr_assert_not_null(mkdtemp(tdir));
}

static void rm_tdir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tdir);
    cr_assert_eq(system(cmd), 0);
}

static int count_entries(const char *dir)
{
    DIR *dp = opendir(dir);
    int n = 0;
    struct dirent *e;
    while (dp && (e = readdir(dp)))
        if (e->d_name[0] != '.' || (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")))
            n++;
    if (dp)
        closedir(dp);
    return n;
}

static void put_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
}

static bool file_is(const char *path, const char *text)
{
    char buf[256] = {0};
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    return n == strlen(text) && memcmp(buf, text, n) == 0;
}

Test(backends, atomic_write_replaces_output_and_leaves_no_temp, .init = mk_tdir, .fini = rm_tdir)
{
    char out[128];
    snprintf(out, sizeof out, "%s/m.onnx", tdir);
    put_file(out, "old contents");
    oq_graph *g = matmul_relu(13);
    oq_diag d = {0};
    mode_t old = umask(022);
    cr_assert_eq(oq_write_onnx(g, out, NULL, &d), OQ_OK, "%s", d.msg);
    umask(old);
    cr_expect_eq(count_entries(tdir), 1, "temporary file left behind");
    struct stat st;
    cr_assert_eq(stat(out, &st), 0);
    cr_expect_eq(st.st_mode & 0777, 0644);
    void *buf;
    size_t len;
    cr_assert_eq(oq_write_onnx_mem(g, NULL, &buf, &len, &d), OQ_OK);
    cr_expect_eq((size_t)st.st_size, len);
    FILE *f = fopen(out, "rb");
    void *disk = malloc(len);
    cr_assert_eq(fread(disk, 1, len, f), len);
    fclose(f);
    cr_expect_eq(memcmp(disk, buf, len), 0, "file differs from the in-memory model");
    free(disk);
    free(buf);
    oq_graph_free(g);
}

Test(backends, refuses_to_overwrite_the_input_model, .init = mk_tdir, .fini = rm_tdir)
{
    char in[128], link_path[128], sym[128], rel[160];
    snprintf(in, sizeof in, "%s/in.onnx", tdir);
    snprintf(link_path, sizeof link_path, "%s/hard.onnx", tdir);
    snprintf(sym, sizeof sym, "%s/sym.onnx", tdir);
    snprintf(rel, sizeof rel, "%s/./in.onnx", tdir);
    put_file(in, "original");
    cr_assert_eq(link(in, link_path), 0);
    cr_assert_eq(symlink(in, sym), 0);
    oq_graph *g = matmul_relu(13);
    g->path = in;
    const char *targets[] = {in, link_path, sym, rel};
    for (size_t i = 0; i < 4; i++) {
        oq_diag d = {0};
        cr_expect_eq(oq_write_onnx(g, targets[i], NULL, &d), OQ_ERR_USAGE, "%s", targets[i]);
        cr_expect(strstr(d.msg, "refusing to overwrite the input"), "msg: %s", d.msg);
    }
    /* also through opts.input_path when the graph has no path */
    g->path = NULL;
    oq_write_opts o = {.input_path = sym};
    oq_diag d = {0};
    cr_expect_eq(oq_write_onnx(g, in, &o, &d), OQ_ERR_USAGE);
    cr_expect(file_is(in, "original"), "input model was modified");
    cr_expect_eq(count_entries(tdir), 3);
    oq_graph_free(g);
}

Test(backends, io_errors_leave_nothing_half_written, .init = mk_tdir, .fini = rm_tdir)
{
    oq_graph *g = matmul_relu(13);
    char out[160];
    oq_diag d = {0};
    snprintf(out, sizeof out, "%s/missing/m.onnx", tdir);
    cr_expect_eq(oq_write_onnx(g, out, NULL, &d), OQ_ERR_IO);
    cr_expect(strstr(d.msg, "missing/m.onnx"), "msg: %s", d.msg);
    d = (oq_diag){0};
    cr_expect_eq(oq_write_onnx(g, tdir, NULL, &d), OQ_ERR_USAGE, "a directory as output");

    /* a write that fails half way (file size limit): the old file stays, no temp file */
    snprintf(out, sizeof out, "%s/m.onnx", tdir);
    put_file(out, "old");
    float big[64 * 64];
    for (int i = 0; i < 64 * 64; i++)
        big[i] = (float)i;
    uint32_t w = gb_const(g, "big", OQ_DT_FLOAT, GB_SHAPE(64, 64), big);
    uint32_t x2 = gb_input(g, "x2", OQ_DT_FLOAT, GB_SHAPE(1, 64));
    uint32_t y2 = gb_value(g, "y2", OQ_DT_FLOAT, GB_SHAPE(1, 64));
    GB_NODE(g, MatMul, "mm_big", GB_L(x2, w), GB_L(y2));
    gb_output(g, y2);
    signal(SIGXFSZ, SIG_IGN);
    struct rlimit rl;
    getrlimit(RLIMIT_FSIZE, &rl);
    struct rlimit small = {4096, rl.rlim_max};
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &small), 0);
    d = (oq_diag){0};
    oq_status st = oq_write_onnx(g, out, NULL, &d);
    setrlimit(RLIMIT_FSIZE, &rl);
    cr_expect_eq(st, OQ_ERR_IO, "status %d: %s", st, d.msg);
    cr_expect(file_is(out, "old"), "the previous output was damaged");
    cr_expect_eq(count_entries(tdir), 1, "temporary file left behind");
    oq_graph_free(g);
}

/* ------------------------------------------------------------------ out of memory */

typedef struct failalloc {
    long left;                 /* allocations still allowed (-1 = unlimited) */
} failalloc;

static void *fail_alloc(void *ctx, void *p, size_t old, size_t n)
{
    failalloc *fa = ctx;
    (void)old;
    if (n == 0) {
        free(p);
        return NULL;
    }
    if (fa->left == 0)
        return NULL;
    if (fa->left > 0)
        fa->left--;
    return realloc(p, n);
}

Test(backends, every_failed_allocation_reports_nomem)
{
    failalloc fa = {-1};
    oq_graph *g = oq_graph_new(fail_alloc, &fa);
    g->opset = 11;
    /* a graph that takes every writer path that allocates: per-axis DQ (opset raise), legacy
     * Softmax rewrite (extra nodes + constant), attributes, value_info */
    uint32_t x = gb_input(g, "x", OQ_DT_FLOAT, GB_SHAPE(2, 3, 4));
    int8_t wd[12] = {1, 2, 3};
    float sd[3] = {0.1f, 0.2f, 0.3f};
    uint32_t w = gb_const(g, "wq", OQ_DT_INT8, GB_SHAPE(3, 4), wd);
    uint32_t s = gb_const(g, "ws", OQ_DT_FLOAT, GB_SHAPE(3), sd);
    uint32_t wf = gb_value(g, "wf", OQ_DT_FLOAT, GB_SHAPE(3, 4));
    uint32_t sm = gb_value(g, "sm", OQ_DT_FLOAT, GB_SHAPE(2, 3, 4));
    uint32_t y = gb_value(g, "y", OQ_DT_FLOAT, GB_SHAPE(2, 3, 4));
    uint32_t n = GB_NODE(g, DequantizeLinear, "dq", GB_L(w, s), GB_L(wf));
    gb_attr_int(g, n, "axis", 0);
    n = GB_NODE(g, Softmax, "softmax", GB_L(x), GB_L(sm));
    gb_attr_int(g, n, "onnxq_legacy_2d", 1);
    GB_NODE(g, Add, "add", GB_L(sm, wf), GB_L(y));
    gb_output(g, y);
    int nomem = 0;
    for (long k = 0;; k++) {
        fa.left = k;
        oq_diag d = {0};
        void *buf = NULL;
        size_t len;
        oq_status st = oq_write_onnx_mem(g, NULL, &buf, &len, &d);
        fa.left = -1;
        if (st == OQ_OK) {
            free(buf);
            break;
        }
        cr_assert_eq(st, OQ_ERR_NOMEM, "allocation %ld: status %d (%s)", k, st, d.msg);
        cr_assert_null(buf);
        nomem++;
        cr_assert_lt(k, 100000);
    }
    cr_expect_gt(nomem, 0, "the writer allocates through the graph's allocator");
    oq_graph_free(g);
}
