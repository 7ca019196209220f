/* runtime/interp: op implementations on hand-built graphs (ir_add_value / ir_add_node), the
 * dispatch table's coverage of ir/ops.def, the hook, buffer reuse, and error reporting.
 * Floats compare with |got - want| <= 1e-5 unless stated; integers exactly. */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "runtime/interp/interp.h"

typedef struct tg {
    oq_graph *g;
    uint32_t in[8], out[8];
    uint32_t nin, nout;
} tg;

static tg newtg(void)
{
    tg t;
    memset(&t, 0, sizeof t);
    t.g = oq_graph_new(NULL, NULL);
    cr_assert_not_null(t.g);
    return t;
}

static oq_shape shp(int rank, const int64_t *dims)
{
    oq_shape s = {rank, {0}};
    for (int i = 0; i < rank; i++)
        s.dim[i] = dims[i];
    return s;
}

/* A value; data != NULL makes it a constant, input marks it a graph input. */
static uint32_t val(tg *t, const char *name, oq_dtype dt, int rank, const int64_t *dims,
                    const void *data, bool input)
{
    oq_shape s = shp(rank, dims);
    uint32_t v = ir_add_value(t->g, name, dt, &s);
    cr_assert_neq(v, OQ_NONE);
    if (data)
        cr_assert_not_null(ir_set_const(t->g, v, data));
    if (input) {
        t->g->values[v].is_input = true;
        t->in[t->nin++] = v;
    }
    return v;
}

static void output(tg *t, uint32_t v)
{
    t->g->values[v].is_output = true;
    t->out[t->nout++] = v;
}

static void finish(tg *t)
{
    t->g->inputs = t->in;
    t->g->ninput = t->nin;
    t->g->outputs = t->out;
    t->g->noutput = t->nout;
}

static uint32_t node(tg *t, oq_op op, const uint32_t *in, uint32_t nin, const uint32_t *out,
                     uint32_t nout)
{
    uint32_t n = ir_add_node(t->g, op, oq_op_info(op)->name, in, nin, out, nout);
    cr_assert_neq(n, OQ_NONE);
    return n;
}

static void attr_int(tg *t, uint32_t n, const char *name, int64_t v)
{
    oq_attr *a = ir_attr_add(t->g, n, name, OQ_ATTR_INT);
    cr_assert_not_null(a);
    a->i = v;
}

static void attr_ints(tg *t, uint32_t n, const char *name, const int64_t *v, uint32_t k)
{
    oq_attr *a = ir_attr_add(t->g, n, name, OQ_ATTR_INTS);
    cr_assert_not_null(a);
    a->ints = oq_arena_dup(&t->g->arena, v, k * sizeof *v);
    a->n = k;
}

static void attr_str(tg *t, uint32_t n, const char *name, const char *s)
{
    oq_attr *a = ir_attr_add(t->g, n, name, OQ_ATTR_STRING);
    cr_assert_not_null(a);
    a->s = oq_arena_strdup(&t->g->arena, s);
}

/* Builds the interpreter, runs with the given input tensors, returns outputs in outs. */
static oq_interp *run(tg *t, oq_rt_tensor *ins, oq_rt_tensor *outs)
{
    finish(t);
    oq_interp *it = NULL;
    oq_diag d = {0};
    oq_status st = oq_interp_new(t->g, &it, &d);
    cr_assert_eq(st, OQ_OK, "interp_new: %s", d.msg);
    st = oq_interp_run(it, ins, outs, NULL, NULL, &d);
    cr_assert_eq(st, OQ_OK, "run: %s", d.msg);
    return it;
}

static oq_rt_tensor tin(oq_dtype dt, int rank, const int64_t *dims, const void *data)
{
    oq_rt_tensor r = {dt, shp(rank, dims), (void *)data};
    return r;
}

static void expect_f(const oq_rt_tensor *o, const float *want, int n, float tol)
{
    for (int i = 0; i < n; i++)
        cr_expect(fabsf(((const float *)o->data)[i] - want[i]) <= tol,
                  "at [%d]: got %.8g want %.8g", i, ((const float *)o->data)[i], want[i]);
}

Test(interp, every_op_in_ops_def_is_implemented)
{
    for (int op = 0; op < OQ_OP_COUNT; op++)
        cr_expect(oq_interp_supports((oq_op)op), "op %s has no implementation",
                  oq_op_info((oq_op)op)->name);
    cr_expect(!oq_interp_supports(OQ_OP_UNKNOWN));
}

Test(interp, unknown_op_is_reported_by_name)
{
    tg t = newtg();
    int64_t d1[] = {2};
    uint32_t x = val(&t, "x", OQ_DT_FLOAT, 1, d1, NULL, true);
    uint32_t y = val(&t, "y", OQ_DT_FLOAT, 1, d1, NULL, false);
    uint32_t z = val(&t, "z", OQ_DT_FLOAT, 1, d1, NULL, false);
    uint32_t n = node(&t, OQ_OP_UNKNOWN, &x, 1, &y, 1);
    t.g->nodes[n].op_type = "Frobnicate";
    node(&t, OQ_OP_Relu, &y, 1, &z, 1);
    output(&t, z);
    finish(&t);
    oq_interp *it = NULL;
    oq_diag d = {0};
    cr_assert_eq(oq_interp_new(t.g, &it, &d), OQ_ERR_UNSUPPORTED_OP);
    cr_assert_null(it);
    cr_assert(strstr(d.msg, "Frobnicate") != NULL, "message: %s", d.msg);
    oq_graph_free(t.g);
}

Test(interp, add_broadcasts_and_relu_chain_reuses_buffers)
{
    tg t = newtg();
    int64_t d23[] = {2, 3}, d3[] = {3};
    float bias[] = {10, -20, 30};
    uint32_t x = val(&t, "x", OQ_DT_FLOAT, 2, d23, NULL, true);
    uint32_t b = val(&t, "b", OQ_DT_FLOAT, 1, d3, bias, false);
    uint32_t v[5];
    char nm[8];
    for (int i = 0; i < 5; i++) {
        snprintf(nm, sizeof nm, "v%d", i);
        v[i] = val(&t, nm, OQ_DT_FLOAT, 2, d23, NULL, false);
    }
    uint32_t ab[] = {x, b};
    node(&t, OQ_OP_Add, ab, 2, &v[0], 1);
    node(&t, OQ_OP_Neg, &v[0], 1, &v[1], 1);
    node(&t, OQ_OP_Relu, &v[1], 1, &v[2], 1);
    node(&t, OQ_OP_Neg, &v[2], 1, &v[3], 1);
    node(&t, OQ_OP_Abs, &v[3], 1, &v[4], 1);
    output(&t, v[4]);
    float xd[] = {1, 2, 3, -40, 50, -60};
    oq_rt_tensor in = tin(OQ_DT_FLOAT, 2, d23, xd), out;
    oq_interp *it = run(&t, &in, &out);
    /* x + b = {11, -18, 33, -30, 30, -30}; abs(-relu(-v)) = abs(min(v, 0)) */
    float want[] = {0, 18, 0, 30, 0, 30};
    expect_f(&out, want, 6, 0);
    oq_interp_free(it);
    oq_graph_free(t.g);
}

Test(interp, int64_mul_and_equal_and_where)
{
    tg t = newtg();
    int64_t d4[] = {4}, d1[] = {1};
    int64_t two[] = {2};
    uint32_t a = val(&t, "a", OQ_DT_INT64, 1, d4, NULL, true);
    uint32_t k = val(&t, "k", OQ_DT_INT64, 1, d1, two, false);
    uint32_t m = val(&t, "m", OQ_DT_INT64, 1, d4, NULL, false);
    uint32_t e = val(&t, "e", OQ_DT_BOOL, 1, d4, NULL, false);
    uint32_t w = val(&t, "w", OQ_DT_INT64, 1, d4, NULL, false);
    uint32_t in1[] = {a, k}, in2[] = {m, a}, in3[] = {e, a, m};
    node(&t, OQ_OP_Mul, in1, 2, &m, 1);
    node(&t, OQ_OP_Equal, in2, 2, &e, 1);   /* a*2 == a only for 0 */
    node(&t, OQ_OP_Where, in3, 3, &w, 1);
    output(&t, m);
    output(&t, w);
    int64_t ad[] = {(int64_t)1 << 40, 0, -3, 7};
    oq_rt_tensor in = tin(OQ_DT_INT64, 1, d4, ad), out[2];
    oq_interp *it = run(&t, &in, out);
    const int64_t *mo = out[0].data, *wo = out[1].data;
    int64_t wm[] = {(int64_t)1 << 41, 0, -6, 14}, ww[] = {(int64_t)1 << 41, 0, -6, 14};
    ww[1] = 0;                 /* where(true, a=0, ...) */
    for (int i = 0; i < 4; i++) {
        cr_expect_eq(mo[i], wm[i], "mul at [%d]: got %lld want %lld", i, (long long)mo[i],
                     (long long)wm[i]);
        cr_expect_eq(wo[i], ww[i], "where at [%d]: got %lld want %lld", i, (long long)wo[i],
                     (long long)ww[i]);
    }
    oq_interp_free(it);
    oq_graph_free(t.g);
}

Test(interp, maxpool_2d_with_indices_and_ceil_mode)
{
    tg t = newtg();
    int64_t dx[] = {1, 1, 3, 3}, dy[] = {1, 1, 2, 2}, k[] = {2, 2}, s[] = {2, 2};
    uint32_t x = val(&t, "x", OQ_DT_FLOAT, 4, dx, NULL, true);
    uint32_t y = val(&t, "y", OQ_DT_FLOAT, 4, dy, NULL, false);
    uint32_t ix = val(&t, "i", OQ_DT_INT64, 4, dy, NULL, false);
    uint32_t outs[] = {y, ix};
    uint32_t n = node(&t, OQ_OP_MaxPool, &x, 1, outs, 2);
    attr_ints(&t, n, "kernel_shape", k, 2);
    attr_ints(&t, n, "strides", s, 2);
    attr_int(&t, n, "ceil_mode", 1);
    output(&t, y);
    output(&t, ix);
    float xd[] = {1, 9, 2, 3, 4, 8, 7, 5, 6};
    oq_rt_tensor in = tin(OQ_DT_FLOAT, 4, dx, xd), out[2];
    oq_interp *it = run(&t, &in, out);
    float wy[] = {9, 8, 7, 6};
    int64_t wi[] = {1, 5, 6, 8};
    expect_f(&out[0], wy, 4, 0);
    for (int i = 0; i < 4; i++)
        cr_expect_eq(((int64_t *)out[1].data)[i], wi[i], "index at [%d]", i);
    oq_interp_free(it);
    oq_graph_free(t.g);
}

Test(interp, averagepool_count_include_pad)
{
    int64_t dx[] = {1, 1, 2, 2}, k[] = {2, 2}, p[] = {1, 1, 1, 1}, dy[] = {1, 1, 3, 3};
    for (int inc = 0; inc < 2; inc++) {
        tg u = newtg();
        uint32_t x = val(&u, "x", OQ_DT_FLOAT, 4, dx, NULL, true);
        uint32_t y = val(&u, "y", OQ_DT_FLOAT, 4, dy, NULL, false);
        uint32_t n = node(&u, OQ_OP_AveragePool, &x, 1, &y, 1);
        attr_ints(&u, n, "kernel_shape", k, 2);
        attr_ints(&u, n, "pads", p, 4);
        attr_int(&u, n, "count_include_pad", inc);
        output(&u, y);
        float xd[] = {1, 2, 3, 4};
        oq_rt_tensor in = tin(OQ_DT_FLOAT, 4, dx, xd), out;
        oq_interp *it = run(&u, &in, &out);
        float w0[] = {1, 1.5f, 2, 2, 2.5f, 3, 3, 3.5f, 4};
        float w1[] = {0.25f, 0.75f, 0.5f, 1, 2.5f, 1.5f, 0.75f, 1.75f, 1};
        expect_f(&out, inc ? w1 : w0, 9, 1e-6f);
        oq_interp_free(it);
        oq_graph_free(u.g);
    }
}

Test(interp, quantize_rounds_half_to_even_and_saturates)
{
    tg t = newtg();
    int64_t d6[] = {6};
    float one = 1.0f;
    uint8_t zp = 10;
    uint32_t x = val(&t, "x", OQ_DT_FLOAT, 1, d6, NULL, true);
    uint32_t s = val(&t, "s", OQ_DT_FLOAT, 0, NULL, &one, false);
    uint32_t z = val(&t, "z", OQ_DT_UINT8, 0, NULL, &zp, false);
    uint32_t q = val(&t, "q", OQ_DT_UINT8, 1, d6, NULL, false);
    uint32_t y = val(&t, "y", OQ_DT_FLOAT, 1, d6, NULL, false);
    uint32_t qi[] = {x, s, z}, di[] = {q, s, z};
    node(&t, OQ_OP_QuantizeLinear, qi, 3, &q, 1);
    node(&t, OQ_OP_DequantizeLinear, di, 3, &y, 1);
    output(&t, q);
    output(&t, y);
    float xd[] = {0.5f, 1.5f, 2.5f, -0.5f, -20.0f, 300.0f};
    oq_rt_tensor in = tin(OQ_DT_FLOAT, 1, d6, xd), out[2];
    oq_interp *it = run(&t, &in, out);
    uint8_t wq[] = {10, 12, 12, 10, 0, 255};
    for (int i = 0; i < 6; i++)
        cr_expect_eq(((uint8_t *)out[0].data)[i], wq[i], "q at [%d]: got %d want %d", i,
                     ((uint8_t *)out[0].data)[i], wq[i]);
    float wy[] = {0, 2, 2, 0, -10, 245};
    expect_f(&out[1], wy, 6, 0);
    oq_interp_free(it);
    oq_graph_free(t.g);
}

Test(interp, qlinear_matmul_matches_onnx_example)
{
    /* the example of the ONNX QLinearMatMul documentation */
    tg t = newtg();
    int64_t da[] = {2, 4}, db[] = {4, 3}, dy[] = {2, 3};
    float as = 0.0066f, bs = 0.00705f, ys = 0.0107f;
    uint8_t azp = 113, bzp = 114, yzp = 118;
    uint8_t ad[] = {208, 236, 0, 238, 3, 214, 255, 29};
    uint8_t bd[] = {152, 51, 244, 60, 26, 255, 0, 127, 246, 127, 254, 247};
    uint32_t a = val(&t, "a", OQ_DT_UINT8, 2, da, NULL, true);
    uint32_t vas = val(&t, "as", OQ_DT_FLOAT, 0, NULL, &as, false);
    uint32_t vaz = val(&t, "az", OQ_DT_UINT8, 0, NULL, &azp, false);
    uint32_t b = val(&t, "b", OQ_DT_UINT8, 2, db, bd, false);
    uint32_t vbs = val(&t, "bs", OQ_DT_FLOAT, 0, NULL, &bs, false);
    uint32_t vbz = val(&t, "bz", OQ_DT_UINT8, 0, NULL, &bzp, false);
    uint32_t vys = val(&t, "ys", OQ_DT_FLOAT, 0, NULL, &ys, false);
    uint32_t vyz = val(&t, "yz", OQ_DT_UINT8, 0, NULL, &yzp, false);
    uint32_t y = val(&t, "y", OQ_DT_UINT8, 2, dy, NULL, false);
    uint32_t ins[] = {a, vas, vaz, b, vbs, vbz, vys, vyz};
    node(&t, OQ_OP_QLinearMatMul, ins, 8, &y, 1);
    output(&t, y);
    oq_rt_tensor in = tin(OQ_DT_UINT8, 2, da, ad), out;
    oq_interp *it = run(&t, &in, &out);
    uint8_t want[] = {168, 115, 255, 1, 66, 151};
    for (int i = 0; i < 6; i++)
        cr_expect_eq(((uint8_t *)out.data)[i], want[i], "at [%d]: got %d want %d", i,
                     ((uint8_t *)out.data)[i], want[i]);
    oq_interp_free(it);
    oq_graph_free(t.g);
}

Test(interp, conv_with_pads_uses_f32_kernels)
{
    tg t = newtg();
    int64_t dx[] = {1, 1, 3, 3}, dw[] = {2, 1, 2, 2}, db[] = {2}, dy[] = {1, 2, 2, 2};
    int64_t pads[] = {0, 0, 0, 0};
    float wd[] = {1, 0, 0, 1, 0, 1, 1, 0}, bd[] = {0.5f, -1};
    uint32_t x = val(&t, "x", OQ_DT_FLOAT, 4, dx, NULL, true);
    uint32_t w = val(&t, "w", OQ_DT_FLOAT, 4, dw, wd, false);
    uint32_t b = val(&t, "b", OQ_DT_FLOAT, 1, db, bd, false);
    uint32_t y = val(&t, "y", OQ_DT_FLOAT, 4, dy, NULL, false);
    uint32_t ins[] = {x, w, b};
    uint32_t n = node(&t, OQ_OP_Conv, ins, 3, &y, 1);
    attr_ints(&t, n, "pads", pads, 4);
    output(&t, y);
    float xd[] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
    oq_rt_tensor in = tin(OQ_DT_FLOAT, 4, dx, xd), out;
    oq_interp *it = run(&t, &in, &out);
    /* channel 0: x[i][j] + x[i+1][j+1] + 0.5; channel 1: x[i][j+1] + x[i+1][j] - 1 */
    float want[] = {6.5f, 8.5f, 12.5f, 14.5f, 5, 7, 11, 13};
    expect_f(&out, want, 8, 1e-5f);
    oq_interp_free(it);
    oq_graph_free(t.g);
}

Test(interp, softmax_legacy_2d_vs_single_axis)
{
    int64_t d[] = {1, 2, 2};
    float xd[] = {0, 1, 2, 3};
    for (int legacy = 0; legacy < 2; legacy++) {
        tg t = newtg();
        uint32_t x = val(&t, "x", OQ_DT_FLOAT, 3, d, NULL, true);
        uint32_t y = val(&t, "y", OQ_DT_FLOAT, 3, d, NULL, false);
        uint32_t n = node(&t, OQ_OP_Softmax, &x, 1, &y, 1);
        if (legacy)
            attr_int(&t, n, "onnxq_legacy_2d", 1);    /* axis 1: one row of 4 */
        output(&t, y);
        oq_rt_tensor in = tin(OQ_DT_FLOAT, 3, d, xd), out;
        oq_interp *it = run(&t, &in, &out);
        double s4 = 1 + exp(1) + exp(2) + exp(3), s2 = 1 + exp(1);
        float w0[] = {(float)(1 / s2), (float)(exp(1) / s2), (float)(1 / s2),
                      (float)(exp(1) / s2)};
        float w1[] = {(float)(1 / s4), (float)(exp(1) / s4), (float)(exp(2) / s4),
                      (float)(exp(3) / s4)};
        expect_f(&out, legacy ? w1 : w0, 4, 1e-6f);
        oq_interp_free(it);
        oq_graph_free(t.g);
    }
}

Test(interp, resize_nearest_asymmetric_floor)
{
    tg t = newtg();
    int64_t dx[] = {1, 1, 1, 3}, dy[] = {1, 1, 1, 6}, ds[] = {4};
    float sc[] = {1, 1, 1, 2};
    uint32_t x = val(&t, "x", OQ_DT_FLOAT, 4, dx, NULL, true);
    uint32_t s = val(&t, "s", OQ_DT_FLOAT, 1, ds, sc, false);
    uint32_t y = val(&t, "y", OQ_DT_FLOAT, 4, dy, NULL, false);
    uint32_t ins[] = {x, OQ_NONE, s};
    uint32_t n = node(&t, OQ_OP_Resize, ins, 3, &y, 1);
    attr_str(&t, n, "coordinate_transformation_mode", "asymmetric");
    attr_str(&t, n, "nearest_mode", "floor");
    output(&t, y);
    float xd[] = {1, 2, 3};
    oq_rt_tensor in = tin(OQ_DT_FLOAT, 4, dx, xd), out;
    oq_interp *it = run(&t, &in, &out);
    float want[] = {1, 1, 2, 2, 3, 3};
    expect_f(&out, want, 6, 0);
    oq_interp_free(it);
    oq_graph_free(t.g);
}

typedef struct hookrec {
    int calls;
    float first;
} hookrec;

static bool stop_after_two(void *ctx, const oq_graph *g, uint32_t node, const oq_rt_tensor *outs)
{
    hookrec *h = ctx;
    if (h->calls++ == 0)
        h->first = ((const float *)outs[0].data)[0];
    return h->calls < 2;
}

Test(interp, hook_sees_each_node_output_and_can_stop)
{
    tg t = newtg();
    int64_t d1[] = {1};
    uint32_t x = val(&t, "x", OQ_DT_FLOAT, 1, d1, NULL, true);
    uint32_t a = val(&t, "a", OQ_DT_FLOAT, 1, d1, NULL, false);
    uint32_t b = val(&t, "b", OQ_DT_FLOAT, 1, d1, NULL, false);
    uint32_t c = val(&t, "c", OQ_DT_FLOAT, 1, d1, NULL, false);
    node(&t, OQ_OP_Neg, &x, 1, &a, 1);
    node(&t, OQ_OP_Exp, &a, 1, &b, 1);
    node(&t, OQ_OP_Sqrt, &b, 1, &c, 1);
    output(&t, c);
    finish(&t);
    oq_interp *it = NULL;
    oq_diag d = {0};
    cr_assert_eq(oq_interp_new(t.g, &it, &d), OQ_OK, "%s", d.msg);
    float xd[] = {3};
    oq_rt_tensor in = tin(OQ_DT_FLOAT, 1, d1, xd), out;
    hookrec h = {0, 0};
    cr_assert_eq(oq_interp_run(it, &in, &out, stop_after_two, &h, &d), OQ_OK);
    cr_expect_eq(h.calls, 2);
    cr_expect_eq(h.first, -3.0f);
    /* a wrong input shape is a data error naming the input */
    int64_t d2[] = {2};
    oq_rt_tensor bad = tin(OQ_DT_FLOAT, 1, d2, xd);
    cr_expect_eq(oq_interp_run(it, &bad, &out, NULL, NULL, &d), OQ_ERR_DATA);
    cr_expect(strstr(d.msg, "'x'") != NULL, "message: %s", d.msg);
    oq_interp_free(it);
    oq_graph_free(t.g);
}

/* Builds QLinearConv(x u8/s8 [1,C,7,9], w s8 const [M,C/g,3,3] zp 0, per-channel scales, bias)
 * with pads 1, stride 2 (or depthwise), runs it, and returns the output bytes (malloc). */
static uint8_t *qconv_once(bool s8x, int64_t C, int64_t M, int64_t group, unsigned seed)
{
    tg t = newtg();
    int64_t dx[] = {1, C, 7, 9}, dw[] = {M, C / group, 3, 3}, dy[] = {1, M, 4, 5}, dm[] = {M};
    int64_t nw = M * (C / group) * 9, nx = C * 63;
    int8_t *w = malloc((size_t)nw), wz[64] = {0};
    uint8_t *x = malloc((size_t)nx);
    int32_t bias[64];
    float ws[64], xs = 0.02f, ys = 0.05f;
    srand(seed);
    for (int64_t i = 0; i < nw; i++)
        w[i] = (int8_t)(rand() % 255 - 127);
    for (int64_t i = 0; i < nx; i++)
        x[i] = (uint8_t)(rand() % 256);
    for (int64_t m = 0; m < M; m++) {
        bias[m] = rand() % 2001 - 1000;
        ws[m] = 0.001f + 0.0001f * (float)(rand() % 50);
    }
    uint8_t xz = s8x ? 0 : 128, yz = 7;
    int8_t xz8 = -3;
    uint32_t vx = val(&t, "x", s8x ? OQ_DT_INT8 : OQ_DT_UINT8, 4, dx, NULL, true);
    uint32_t vxs = val(&t, "xs", OQ_DT_FLOAT, 0, NULL, &xs, false);
    uint32_t vxz = s8x ? val(&t, "xz", OQ_DT_INT8, 0, NULL, &xz8, false)
                       : val(&t, "xz", OQ_DT_UINT8, 0, NULL, &xz, false);
    uint32_t vw = val(&t, "w", OQ_DT_INT8, 4, dw, w, false);
    uint32_t vws = val(&t, "ws", OQ_DT_FLOAT, 1, dm, ws, false);
    uint32_t vwz = val(&t, "wz", OQ_DT_INT8, 1, dm, wz, false);
    uint32_t vys = val(&t, "ys", OQ_DT_FLOAT, 0, NULL, &ys, false);
    uint32_t vyz = val(&t, "yz", OQ_DT_UINT8, 0, NULL, &yz, false);
    uint32_t vb = val(&t, "b", OQ_DT_INT32, 1, dm, bias, false);
    uint32_t vy = val(&t, "y", OQ_DT_UINT8, 4, dy, NULL, false);
    uint32_t ins[] = {vx, vxs, vxz, vw, vws, vwz, vys, vyz, vb};
    uint32_t n = node(&t, OQ_OP_QLinearConv, ins, 9, &vy, 1);
    int64_t pads[] = {1, 1, 1, 1}, st[] = {2, 2};
    attr_ints(&t, n, "pads", pads, 4);
    attr_ints(&t, n, "strides", st, 2);
    attr_int(&t, n, "group", group);
    output(&t, vy);
    oq_rt_tensor in = tin(s8x ? OQ_DT_INT8 : OQ_DT_UINT8, 4, dx, x), out;
    oq_interp *it = run(&t, &in, &out);
    uint8_t *r = malloc((size_t)(M * 20));
    memcpy(r, out.data, (size_t)(M * 20));
    oq_interp_free(it);
    oq_graph_free(t.g);
    free(w);
    free(x);
    return r;
}

Test(interp, qlinear_conv_q8_kernels_match_reference_loops)
{
    struct { bool s8x; int64_t C, M, group; } cases[] = {
        {false, 8, 16, 1}, {true, 8, 16, 1}, {false, 12, 12, 12}, {true, 16, 16, 16},
        {false, 6, 4, 2}};
    for (unsigned k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        unsetenv("ONNXQ_INTERP_REFERENCE");
        uint8_t *fast = qconv_once(cases[k].s8x, cases[k].C, cases[k].M, cases[k].group, k + 1);
        setenv("ONNXQ_INTERP_REFERENCE", "1", 1);
        uint8_t *ref = qconv_once(cases[k].s8x, cases[k].C, cases[k].M, cases[k].group, k + 1);
        for (int64_t i = 0; i < cases[k].M * 20; i++)
            cr_expect_eq(fast[i], ref[i], "case %u at [%lld]: kernels %d, reference %d", k,
                         (long long)i, fast[i], ref[i]);
        free(fast);
        free(ref);
    }
}

/* QLinearMatMul(a [2,3,K] u8/s8, b const s8 [K,N] zp 0, per-column scales) output bytes. */
static uint8_t *qmatmul_once(bool s8a, unsigned seed)
{
    enum { K = 37, N = 21 };
    tg t = newtg();
    int64_t da[] = {2, 3, K}, db[] = {K, N}, dn[] = {N}, dy[] = {2, 3, N};
    int8_t b[K * N], bz[N] = {0};
    uint8_t a[6 * K];
    float bs[N], as = 0.03f, ys = 0.2f;
    srand(seed);
    for (int i = 0; i < K * N; i++)
        b[i] = (int8_t)(rand() % 255 - 127);
    for (int i = 0; i < 6 * K; i++)
        a[i] = (uint8_t)(rand() % 256);
    for (int i = 0; i < N; i++)
        bs[i] = 0.002f + 0.0003f * (float)(rand() % 40);
    uint8_t az = 100, yz = 120;
    int8_t az8 = 5;
    uint32_t va = val(&t, "a", s8a ? OQ_DT_INT8 : OQ_DT_UINT8, 3, da, NULL, true);
    uint32_t vas = val(&t, "as", OQ_DT_FLOAT, 0, NULL, &as, false);
    uint32_t vaz = s8a ? val(&t, "az", OQ_DT_INT8, 0, NULL, &az8, false)
                       : val(&t, "az", OQ_DT_UINT8, 0, NULL, &az, false);
    uint32_t vb = val(&t, "b", OQ_DT_INT8, 2, db, b, false);
    uint32_t vbs = val(&t, "bs", OQ_DT_FLOAT, 1, dn, bs, false);
    uint32_t vbz = val(&t, "bz", OQ_DT_INT8, 1, dn, bz, false);
    uint32_t vys = val(&t, "ys", OQ_DT_FLOAT, 0, NULL, &ys, false);
    uint32_t vyz = val(&t, "yz", OQ_DT_UINT8, 0, NULL, &yz, false);
    uint32_t vy = val(&t, "y", OQ_DT_UINT8, 3, dy, NULL, false);
    uint32_t ins[] = {va, vas, vaz, vb, vbs, vbz, vys, vyz};
    node(&t, OQ_OP_QLinearMatMul, ins, 8, &vy, 1);
    output(&t, vy);
    oq_rt_tensor in = tin(s8a ? OQ_DT_INT8 : OQ_DT_UINT8, 3, da, a), out;
    oq_interp *it = run(&t, &in, &out);
    uint8_t *r = malloc(6 * N);
    memcpy(r, out.data, 6 * N);
    oq_interp_free(it);
    oq_graph_free(t.g);
    return r;
}

Test(interp, qlinear_matmul_q8_kernels_match_reference_loops)
{
    for (int s8a = 0; s8a < 2; s8a++) {
        unsetenv("ONNXQ_INTERP_REFERENCE");
        uint8_t *fast = qmatmul_once(s8a, 11u + (unsigned)s8a);
        setenv("ONNXQ_INTERP_REFERENCE", "1", 1);
        uint8_t *ref = qmatmul_once(s8a, 11u + (unsigned)s8a);
        for (int i = 0; i < 6 * 21; i++)
            cr_expect_eq(fast[i], ref[i], "s8a=%d at [%d]: kernels %d, reference %d", s8a, i,
                         fast[i], ref[i]);
        free(fast);
        free(ref);
    }
}
