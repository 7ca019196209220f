/* The real consumer: graphs built by hand through the IR API are written by backends/onnx and
 * run in ONNX Runtime (node + onnxruntime-node, one thread); outputs are compared with
 * references computed here. Covers QDQ Conv with int8 per-channel weights and uint8
 * activations, the same Conv as QLinearConv (QOperator form), and the opset-specific forms of
 * Unsqueeze/ReduceMean/Clip/Pad/Split/Softmax written at opsets 10 to 18. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "backends/onnx/onnx_write.h"
#include "gb.h"
#include "ort_util.h"

static char tdir[64];

static void setup(void)
{
    char why[256];
    if (!ort_available(why, sizeof why))
        cr_skip_test("%s", why);
    strcpy(tdir, "/tmp/oq_ortw_XXXXXX");
    cr_assert_not_null(mkdtemp(tdir));
}

static void teardown(void)
{
    if (!tdir[0])
        return;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tdir);
    cr_assert_eq(system(cmd), 0);
}

static uint32_t rng = 12345;
static float frand(float lo, float hi)   /* deterministic LCG in [lo, hi) */
{
    rng = rng * 1664525u + 1013904223u;
    return lo + (hi - lo) * (float)(rng >> 8) / (float)(1u << 24);
}

static int32_t quant(float x, float s, int32_t zp, int32_t lo, int32_t hi)
{
    float q = nearbyintf(x / s) + (float)zp;   /* round half to even (default mode) */
    return q < lo ? lo : q > hi ? hi : (int32_t)q;
}

/* ------------------------------------------------------------------ quantized Conv */

enum { CI = 3, CO = 4, H = 8, W = 8, K = 3 };

typedef struct qconv {
    float x[CI * H * W];
    float sx, sy;
    int32_t zx, zy;
    int8_t wq[CO * CI * K * K];
    float sw[CO];
    int32_t bq[CO];
    float sb[CO];
    float ref[CO * H * W];         /* dequantized reference output */
    uint8_t refq[CO * H * W];      /* its uint8 codes */
} qconv;

/* Random float data, per-channel int8 weights, int32 bias; reference by float math on the
 * dequantized values (what QDQ means), then quantized with round-half-even. */
static void qconv_make(qconv *c)
{
    float w[CO * CI * K * K], b[CO];
    for (int i = 0; i < CI * H * W; i++)
        c->x[i] = frand(-1, 1);
    for (int i = 0; i < CO * CI * K * K; i++)
        w[i] = frand(-0.5f, 0.5f) * (float)(1 + i / (CI * K * K)); /* channel ranges differ */
    for (int o = 0; o < CO; o++)
        b[o] = frand(-0.2f, 0.2f);
    c->sx = 2.0f / 255.0f;
    c->zx = 128;
    for (int o = 0; o < CO; o++) {
        float m = 0;
        for (int i = 0; i < CI * K * K; i++)
            m = fmaxf(m, fabsf(w[o * CI * K * K + i]));
        c->sw[o] = m / 127.0f;
        for (int i = 0; i < CI * K * K; i++)
            c->wq[o * CI * K * K + i] =
                (int8_t)quant(w[o * CI * K * K + i], c->sw[o], 0, -127, 127);
        c->sb[o] = c->sx * c->sw[o];
        c->bq[o] = quant(b[o], c->sb[o], 0, INT32_MIN + 1, INT32_MAX);
    }
    float xd[CI * H * W], y[CO * H * W];
    for (int i = 0; i < CI * H * W; i++)
        xd[i] = (float)(quant(c->x[i], c->sx, c->zx, 0, 255) - c->zx) * c->sx;
    float ymin = 0, ymax = 0;
    for (int o = 0; o < CO; o++)
        for (int oy = 0; oy < H; oy++)
            for (int ox = 0; ox < W; ox++) {
                double acc = (double)c->bq[o] * c->sb[o];
                for (int i = 0; i < CI; i++)
                    for (int ky = 0; ky < K; ky++)
                        for (int kx = 0; kx < K; kx++) {
                            int iy = oy + ky - 1, ix = ox + kx - 1;
                            if (iy < 0 || iy >= H || ix < 0 || ix >= W)
                                continue;
                            acc += (double)xd[(i * H + iy) * W + ix] *
                                   (double)c->wq[((o * CI + i) * K + ky) * K + kx] * c->sw[o];
                        }
                y[(o * H + oy) * W + ox] = (float)acc;
                ymin = fminf(ymin, (float)acc);
                ymax = fmaxf(ymax, (float)acc);
            }
    c->sy = (ymax - ymin) / 255.0f;
    c->zy = quant(-ymin, c->sy, 0, 0, 255);
    for (int i = 0; i < CO * H * W; i++) {
        c->refq[i] = (uint8_t)quant(y[i], c->sy, c->zy, 0, 255);
        c->ref[i] = (float)(c->refq[i] - c->zy) * c->sy;
    }
}

/* Shared constants of both forms. */
typedef struct qconv_vals {
    uint32_t x, xq, sx, zx, wq, sw, zw, bq, sb, zb, sy, zy;
} qconv_vals;

static void qconv_consts(oq_graph *g, const qconv *c, qconv_vals *v)
{
    uint8_t zx = (uint8_t)c->zx, zy = (uint8_t)c->zy;
    int8_t zw[CO] = {0};
    int32_t zb[CO] = {0};
    v->x = gb_input(g, "input", OQ_DT_FLOAT, GB_SHAPE(1, CI, H, W));
    v->sx = gb_f32(g, "x_scale", c->sx);
    v->zx = gb_const(g, "x_zp", OQ_DT_UINT8, GB_SCALAR, &zx);
    v->wq = gb_const(g, "w_q", OQ_DT_INT8, GB_SHAPE(CO, CI, K, K), c->wq);
    v->sw = gb_const(g, "w_scale", OQ_DT_FLOAT, GB_SHAPE(CO), c->sw);
    v->zw = gb_const(g, "w_zp", OQ_DT_INT8, GB_SHAPE(CO), zw);
    v->bq = gb_const(g, "b_q", OQ_DT_INT32, GB_SHAPE(CO), c->bq);
    v->sb = gb_const(g, "b_scale", OQ_DT_FLOAT, GB_SHAPE(CO), c->sb);
    v->zb = gb_const(g, "b_zp", OQ_DT_INT32, GB_SHAPE(CO), zb);
    v->sy = gb_f32(g, "y_scale", c->sy);
    v->zy = gb_const(g, "y_zp", OQ_DT_UINT8, GB_SCALAR, &zy);
    v->xq = gb_value(g, "input_q", OQ_DT_UINT8, GB_SHAPE(1, CI, H, W));
    GB_NODE(g, QuantizeLinear, "input_quant", GB_L(v->x, v->sx, v->zx), GB_L(v->xq));
}

/* QDQ form: Q -> DQ -> Conv(DQ(w), DQ(b)) -> Q -> (yq output, DQ -> y output) */
static oq_graph *qconv_qdq(const qconv *c)
{
    oq_graph *g = gb_new(11);          /* per-axis DQ must raise this to 13 */
    qconv_vals v;
    qconv_consts(g, c, &v);
    oq_shape xs = GB_SHAPE(1, CI, H, W), ys = GB_SHAPE(1, CO, H, W);
    uint32_t xd = gb_value(g, "input_dq", OQ_DT_FLOAT, xs);
    uint32_t wd = gb_value(g, "w_dq", OQ_DT_FLOAT, GB_SHAPE(CO, CI, K, K));
    uint32_t bd = gb_value(g, "b_dq", OQ_DT_FLOAT, GB_SHAPE(CO));
    uint32_t y = gb_value(g, "conv_out", OQ_DT_FLOAT, ys);
    uint32_t yq = gb_value(g, "out_q", OQ_DT_UINT8, ys);
    uint32_t out = gb_value(g, "output", OQ_DT_FLOAT, ys);
    GB_NODE(g, DequantizeLinear, "input_dequant", GB_L(v.xq, v.sx, v.zx), GB_L(xd));
    uint32_t n = GB_NODE(g, DequantizeLinear, "w_dequant", GB_L(v.wq, v.sw, v.zw), GB_L(wd));
    gb_attr_int(g, n, "axis", 0);
    n = GB_NODE(g, DequantizeLinear, "b_dequant", GB_L(v.bq, v.sb, v.zb), GB_L(bd));
    gb_attr_int(g, n, "axis", 0);
    n = GB_NODE(g, Conv, "conv0", GB_L(xd, wd, bd), GB_L(y));
    gb_attr_ints(g, n, "pads", 4, (int64_t[]){1, 1, 1, 1});
    gb_attr_ints(g, n, "kernel_shape", 2, (int64_t[]){K, K});
    GB_NODE(g, QuantizeLinear, "out_quant", GB_L(y, v.sy, v.zy), GB_L(yq));
    GB_NODE(g, DequantizeLinear, "out_dequant", GB_L(yq, v.sy, v.zy), GB_L(out));
    gb_output(g, out);
    gb_output(g, yq);
    return g;
}

/* QOperator form: Q -> QLinearConv -> (yq output, DQ -> y output) */
static oq_graph *qconv_qop(const qconv *c)
{
    oq_graph *g = gb_new(13);
    qconv_vals v;
    qconv_consts(g, c, &v);
    oq_shape ys = GB_SHAPE(1, CO, H, W);
    uint32_t yq = gb_value(g, "out_q", OQ_DT_UINT8, ys);
    uint32_t out = gb_value(g, "output", OQ_DT_FLOAT, ys);
    uint32_t n = GB_NODE(g, QLinearConv, "conv0",
                         GB_L(v.xq, v.sx, v.zx, v.wq, v.sw, v.zw, v.sy, v.zy, v.bq), GB_L(yq));
    gb_attr_ints(g, n, "pads", 4, (int64_t[]){1, 1, 1, 1});
    GB_NODE(g, DequantizeLinear, "out_dequant", GB_L(yq, v.sy, v.zy), GB_L(out));
    gb_output(g, out);
    gb_output(g, yq);
    return g;
}

/* Checks ORT's outputs (float, uint8) against the reference within one step. */
static void check_qconv(const char *what, const qconv *c, const ort_job *j)
{
    cr_assert(j->ok, "%s: ONNX Runtime failed: %s", what, j->err);
    cr_assert_eq(j->nout, 2, "%s: %u outputs", what, j->nout);
    cr_assert_eq(j->out[0].dtype, OQ_DT_FLOAT);
    cr_assert_eq(j->out[1].dtype, OQ_DT_UINT8);
    cr_assert_eq(oq_shape_numel(&j->out[1].shape), CO * H * W);
    int exact = 0;
    for (int i = 0; i < CO * H * W; i++) {
        int got = ((const uint8_t *)j->out[1].data)[i];
        cr_assert_leq(abs(got - c->refq[i]), 1, "%s: at %d: got %d want %d", what, i, got,
                      c->refq[i]);
        exact += got == c->refq[i];
        float gf = ((const float *)j->out[0].data)[i];
        cr_assert_float_eq(gf, (float)(got - c->zy) * c->sy, 1e-6f, "%s: float output at %d", what,
                           i);
    }
    cr_expect_geq(exact, CO * H * W * 95 / 100, "%s: only %d of %d codes exact", what, exact,
                  CO * H * W);
}

Test(backends, ort_runs_qdq_and_qoperator_conv, .init = setup, .fini = teardown)
{
    static qconv c;
    qconv_make(&c);
    oq_graph *gq = qconv_qdq(&c), *go = qconv_qop(&c);
    char pq[128], po[128];
    snprintf(pq, sizeof pq, "%s/conv_qdq.onnx", tdir);
    snprintf(po, sizeof po, "%s/conv_qop.onnx", tdir);
    oq_diag d = {0};
    cr_assert_eq(oq_write_onnx(gq, pq, NULL, &d), OQ_OK, "%s", d.msg);
    cr_expect_eq(oq_onnx_write_opset(gq, NULL, &d), 13, "per-axis QDQ written at opset 13");
    oq_write_opts qop = {.format = OQ_FORMAT_QOP};
    cr_assert_eq(oq_write_onnx(go, po, &qop, &d), OQ_OK, "%s", d.msg);
    oq_shape xs = GB_SHAPE(1, CI, H, W);
    tb_tensor in = tb_make(OQ_DT_FLOAT, &xs, c.x);
    ort_job jobs[2] = {{.model = pq, .nin = 1, .in = &in}, {.model = po, .nin = 1, .in = &in}};
    char err[1024];
    if (onnx_checker_available(err, sizeof err)) {
        const char *paths[2] = {pq, po};
        size_t ok, skip, fail;
        char fails[2048] = "";
        cr_assert(onnx_check_models(paths, 2, &ok, &skip, &fail, fails, sizeof fails));
        cr_expect_eq(ok, 2, "onnx.checker rejects:%s", fails);
    }
    cr_assert(ort_run_batch(jobs, 2, err, sizeof err), "%s", err);
    check_qconv("QDQ", &c, &jobs[0]);
    check_qconv("QOp", &c, &jobs[1]);
    ort_job_free(&jobs[0]);
    ort_job_free(&jobs[1]);
    tb_free(&in);
    oq_graph_free(gq);
    oq_graph_free(go);
}

/* ------------------------------------------------------------------ opset forms */

enum { A = 2, B = 3, C = 4 };

/* x[2,3,4]: sm = Softmax(legacy 2-D, axis 1); r = ReduceMean(sm, axes [2]) -> [2,3,1];
 * u = Unsqueeze(r, axes [0]) -> [1,2,3,1]; out0 = Clip(u, 0.05, 0.09);
 * out1, out2 = Split(x, axis 2, [1, 3]); out3 = Pad(x, [0,0,1,0,0,2], 0.5) -> [2,3,7] */
static oq_graph *forms_graph(void)
{
    oq_graph *g = gb_new(11);
    uint32_t x = gb_input(g, "x", OQ_DT_FLOAT, GB_SHAPE(A, B, C));
    uint32_t sm = gb_value(g, "sm", OQ_DT_FLOAT, GB_SHAPE(A, B, C));
    uint32_t r = gb_value(g, "r", OQ_DT_FLOAT, GB_SHAPE(A, B, 1));
    uint32_t u = gb_value(g, "u", OQ_DT_FLOAT, GB_SHAPE(1, A, B, 1));
    uint32_t o0 = gb_value(g, "clipped", OQ_DT_FLOAT, GB_SHAPE(1, A, B, 1));
    uint32_t o1 = gb_value(g, "first", OQ_DT_FLOAT, GB_SHAPE(A, B, 1));
    uint32_t o2 = gb_value(g, "rest", OQ_DT_FLOAT, GB_SHAPE(A, B, 3));
    uint32_t o3 = gb_value(g, "padded", OQ_DT_FLOAT, GB_SHAPE(A, B, C + 3));
    uint32_t o4 = gb_value(g, "sliced", OQ_DT_FLOAT, GB_SHAPE(A, B, 2));
    uint32_t n = GB_NODE(g, Softmax, "softmax", GB_L(x), GB_L(sm));
    gb_attr_int(g, n, "axis", 1);
    gb_attr_int(g, n, "onnxq_legacy_2d", 1);
    GB_NODE(g, ReduceMean, "mean", GB_L(sm, gb_i64(g, "mean_axes", 1, (int64_t[]){2})), GB_L(r));
    GB_NODE(g, Unsqueeze, "unsq", GB_L(r, gb_i64(g, "unsq_axes", 1, (int64_t[]){0})), GB_L(u));
    GB_NODE(g, Clip, "clip", GB_L(u, gb_f32(g, "lo", 0.05f), gb_f32(g, "hi", 0.09f)), GB_L(o0));
    n = GB_NODE(g, Split, "split", GB_L(x, gb_i64(g, "split_sizes", 2, (int64_t[]){1, 3})),
                GB_L(o1, o2));
    gb_attr_int(g, n, "axis", 2);
    n = GB_NODE(g, Pad, "pad",
                GB_L(x, gb_i64(g, "pads", 6, (int64_t[]){0, 0, 1, 0, 0, 2}), gb_f32(g, "pv", 0.5f)),
                GB_L(o3));
    gb_attr_str(g, n, "mode", "constant");
    GB_NODE(g, Slice, "slice",
            GB_L(x, gb_i64(g, "starts", 1, (int64_t[]){1}), gb_i64(g, "ends", 1, (int64_t[]){3}),
                 gb_i64(g, "axes", 1, (int64_t[]){2}), OQ_NONE),
            GB_L(o4));
    gb_output(g, o0);
    gb_output(g, o1);
    gb_output(g, o2);
    gb_output(g, o3);
    gb_output(g, o4);
    return g;
}

static void forms_ref(const float *x, float *o0, float *o1, float *o2, float *o3, float *o4)
{
    float sm[A * B * C];
    for (int a = 0; a < A; a++) {        /* legacy: softmax over the B*C block of each a */
        float mx = -INFINITY, sum = 0;
        for (int i = 0; i < B * C; i++)
            mx = fmaxf(mx, x[a * B * C + i]);
        for (int i = 0; i < B * C; i++)
            sum += sm[a * B * C + i] = expf(x[a * B * C + i] - mx);
        for (int i = 0; i < B * C; i++)
            sm[a * B * C + i] /= sum;
    }
    for (int a = 0; a < A; a++)
        for (int b = 0; b < B; b++) {
            float m = 0;
            for (int c = 0; c < C; c++)
                m += sm[(a * B + b) * C + c];
            m /= C;
            o0[a * B + b] = fminf(fmaxf(m, 0.05f), 0.09f);
            o1[a * B + b] = x[(a * B + b) * C];
            for (int c = 0; c < 3; c++)
                o2[(a * B + b) * 3 + c] = x[(a * B + b) * C + 1 + c];
            for (int c = 0; c < C + 3; c++)
                o3[(a * B + b) * (C + 3) + c] =
                    c >= 1 && c <= C ? x[(a * B + b) * C + c - 1] : 0.5f;
            for (int c = 0; c < 2; c++)
                o4[(a * B + b) * 2 + c] = x[(a * B + b) * C + 1 + c];
        }
}

Test(backends, ort_runs_opset_specific_forms_from_7_to_18, .init = setup, .fini = teardown)
{
    static const int64_t opsets[] = {7, 9, 10, 11, 12, 13, 17, 18};
    enum { NOPS = sizeof opsets / sizeof opsets[0] };
    oq_graph *g = forms_graph();
    char paths[NOPS][128];
    float x[A * B * C];
    for (int i = 0; i < A * B * C; i++)
        x[i] = frand(-2, 2);
    oq_shape xs = GB_SHAPE(A, B, C);
    tb_tensor in = tb_make(OQ_DT_FLOAT, &xs, x);
    ort_job jobs[NOPS];
    memset(jobs, 0, sizeof jobs);
    for (int k = 0; k < NOPS; k++) {
        snprintf(paths[k], sizeof paths[k], "%s/forms_%lld.onnx", tdir, (long long)opsets[k]);
        oq_write_opts o = {.opset = opsets[k]};
        oq_diag d = {0};
        cr_assert_eq(oq_write_onnx(g, paths[k], &o, &d), OQ_OK, "opset %lld: %s",
                     (long long)opsets[k], d.msg);
        jobs[k] = (ort_job){.model = paths[k], .nin = 1, .in = &in};
    }
    char err[1024];
    if (onnx_checker_available(err, sizeof err)) {
        const char *pp[NOPS];
        for (int k = 0; k < NOPS; k++)
            pp[k] = paths[k];
        size_t ok, skip, fail;
        char fails[4096] = "";
        cr_assert(onnx_check_models(pp, NOPS, &ok, &skip, &fail, fails, sizeof fails));
        cr_expect_eq(fail, 0, "onnx.checker rejects:%s", fails);
        cr_expect_geq(ok, NOPS - 1, "checked %zu, skipped %zu", ok, skip);
    }
    cr_assert(ort_run_batch(jobs, NOPS, err, sizeof err), "%s", err);
    float ref0[A * B], ref1[A * B], ref2[A * B * 3], ref3[A * B * (C + 3)], ref4[A * B * 2];
    forms_ref(x, ref0, ref1, ref2, ref3, ref4);
    const float *refs[5] = {ref0, ref1, ref2, ref3, ref4};
    const int nref[5] = {A * B, A * B, A * B * 3, A * B * (C + 3), A * B * 2};
    for (int k = 0; k < NOPS; k++) {
        cr_assert(jobs[k].ok, "opset %lld: ONNX Runtime failed: %s", (long long)opsets[k],
                  jobs[k].err);
        cr_assert_eq(jobs[k].nout, 5);
        for (int o = 0; o < 5; o++) {
            cr_assert_eq(oq_shape_numel(&jobs[k].out[o].shape), nref[o], "opset %lld output %d",
                         (long long)opsets[k], o);
            for (int i = 0; i < nref[o]; i++)
                cr_assert_float_eq(((const float *)jobs[k].out[o].data)[i], refs[o][i], 1e-5f,
                                   "opset %lld output %d at %d", (long long)opsets[k], o, i);
        }
        ort_job_free(&jobs[k]);
    }
    tb_free(&in);
    oq_graph_free(g);
}

/* ------------------------------------------------------------------ Resize across opsets */

enum { RW = 4, RS = 2 };

/* x[1,2,3,4] -> Resize linear x2 along the width: asymmetric (expressible at opset 10) and,
 * with half_pixel, half (opset 11+). */
static oq_graph *resize_graph(bool half)
{
    oq_graph *g = gb_new(13);
    uint32_t x = gb_input(g, "x", OQ_DT_FLOAT, GB_SHAPE(1, 2, 3, RW));
    float sc[4] = {1, 1, 1, RS};
    uint32_t s = gb_const(g, "scales", OQ_DT_FLOAT, GB_SHAPE(4), sc);
    uint32_t ya = gb_value(g, "asym", OQ_DT_FLOAT, GB_SHAPE(1, 2, 3, RW * RS));
    uint32_t n = GB_NODE(g, Resize, "resize_asym", GB_L(x, OQ_NONE, s, OQ_NONE), GB_L(ya));
    gb_attr_str(g, n, "mode", "linear");
    gb_attr_str(g, n, "coordinate_transformation_mode", "asymmetric");
    gb_output(g, ya);
    if (half) {
        uint32_t yh = gb_value(g, "half", OQ_DT_FLOAT, GB_SHAPE(1, 2, 3, RW * RS));
        n = GB_NODE(g, Resize, "resize_half", GB_L(x, OQ_NONE, s, OQ_NONE), GB_L(yh));
        gb_attr_str(g, n, "mode", "linear");
        gb_output(g, yh);          /* default coordinate_transformation_mode: half_pixel */
    }
    return g;
}

/* Linear interpolation of row r at source coordinate xo (clamped to the row). */
static float lerp_row(const float *r, float xo)
{
    if (xo <= 0)
        return r[0];
    if (xo >= RW - 1)
        return r[RW - 1];
    int f = (int)floorf(xo);
    float t = xo - (float)f;
    return r[f] * (1 - t) + r[f + 1] * t;
}

Test(backends, ort_runs_resize_at_opsets_10_to_18, .init = setup, .fini = teardown)
{
    static const struct {
        bool half;
        int64_t opset;
    } cases[] = {{false, 10}, {false, 11}, {false, 13}, {false, 18},
                 {true, 11},  {true, 12},  {true, 13},  {true, 18}};
    enum { NC = sizeof cases / sizeof cases[0] };
    float x[6 * RW];
    for (int i = 0; i < 6 * RW; i++)
        x[i] = frand(-1, 1);
    oq_shape xs = GB_SHAPE(1, 2, 3, RW);
    tb_tensor in = tb_make(OQ_DT_FLOAT, &xs, x);
    char paths[NC][128];
    ort_job jobs[NC];
    for (int k = 0; k < NC; k++) {
        oq_graph *g = resize_graph(cases[k].half);
        snprintf(paths[k], sizeof paths[k], "%s/resize_%d_%lld.onnx", tdir, cases[k].half,
                 (long long)cases[k].opset);
        oq_write_opts o = {.opset = cases[k].opset};
        oq_diag d = {0};
        cr_assert_eq(oq_write_onnx(g, paths[k], &o, &d), OQ_OK, "%s", d.msg);
        jobs[k] = (ort_job){.model = paths[k], .nin = 1, .in = &in};
        oq_graph_free(g);
    }
    {   /* half_pixel cannot be written at opset 10 */
        oq_graph *g = resize_graph(true);
        oq_write_opts o = {.opset = 10};
        oq_diag d = {0};
        char p[160];
        snprintf(p, sizeof p, "%s/never.onnx", tdir);
        cr_expect_eq(oq_write_onnx(g, p, &o, &d), OQ_ERR_USAGE);
        cr_expect(strstr(d.msg, "resize_half"), "msg: %s", d.msg);
        cr_expect_eq(access(p, F_OK), -1, "a refused write left a file");
        oq_graph_free(g);
    }
    char err[1024];
    cr_assert(ort_run_batch(jobs, NC, err, sizeof err), "%s", err);
    for (int k = 0; k < NC; k++) {
        cr_assert(jobs[k].ok, "opset %lld: ONNX Runtime failed: %s", (long long)cases[k].opset,
                  jobs[k].err);
        cr_assert_eq(jobs[k].nout, cases[k].half ? 2u : 1u);
        for (uint32_t o = 0; o < jobs[k].nout; o++) {
            const float *got = jobs[k].out[o].data;
            cr_assert_eq(oq_shape_numel(&jobs[k].out[o].shape), 6 * RW * RS);
            for (int r = 0; r < 6; r++)
                for (int i = 0; i < RW * RS; i++) {
                    float xo = o == 0 ? (float)i / RS : ((float)i + 0.5f) / RS - 0.5f;
                    float want = lerp_row(x + r * RW, xo);
                    cr_assert_float_eq(got[r * RW * RS + i], want, 1e-5f,
                                       "opset %lld output %u row %d at %d",
                                       (long long)cases[k].opset, o, r, i);
                }
        }
        ort_job_free(&jobs[k]);
    }
    tb_free(&in);
}
