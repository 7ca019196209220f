/* analysis/ compute side: figures against independent computations. A hand-made one-Conv graph
 * (an outlier output channel) checks weight SQNR per channel and per tensor and the layer's own
 * error against an emulation of QuantizeLinear / DequantizeLinear done here; the bundled
 * Fashion-MNIST CNN checks sensitivity ordering (one layer made bad by an --override with a
 * terrible scale) and mixed precision reaching an SQNR target that full int8 misses, with the
 * reached figure re-measured here. Floats compare with stated tolerances (dB). */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis/analysis.h"
#include "frontend/frontend.h"

#ifndef OQ_SOURCE_ROOT
#define OQ_SOURCE_ROOT "."
#endif
#define EX OQ_SOURCE_ROOT "/examples/"

/* ---------------------------------------------------------------- a one-Conv graph */

/* 1x1 Conv, 2 -> 3 channels; channel 2 holds an outlier (per-tensor scales hurt 0 and 1). */
static const char *tiny_ir =
    "graph \"tiny\" opset=13 ir_version=7\n"
    "input %x:f32[1,2,4,4]\n"
    "const %w:f32[3,2,1,1] = {0.31, -0.77, 0.052, 0.113, 9.5, -0.4}\n"
    "const %b:f32[3] = {0.1, -0.25, 0.03}\n"
    "%y = Conv(%x, %w, %b) {kernel_shape=[1,1]} # conv\n"
    "output %y\n";
static const float tiny_w[6] = {0.31f, -0.77f, 0.052f, 0.113f, 9.5f, -0.4f};
static const float tiny_b[3] = {0.1f, -0.25f, 0.03f};
#define TN 16                  /* samples */
#define TX 32                  /* elements per sample */

static uint32_t lcg(uint32_t *s)
{
    *s = *s * 1664525u + 1013904223u;
    return *s >> 8;
}

/* The tiny graph (inferred), TN random samples in s, calibrated into *c. */
static oq_graph *tiny(oq_samples *s, oq_calib **c)
{
    oq_diag d = {0};
    oq_graph *g = NULL;
    cr_assert_eq(ir_parse(tiny_ir, &g, &d), OQ_OK, "%s", d.msg);
    cr_assert_eq(ir_infer(g, &d), OQ_OK, "%s", d.msg);
    ir_fill_uses(g);
    memset(s, 0, sizeof *s);
    s->n = TN;
    s->ninput = 1;
    s->batch = 1;
    s->bytes = calloc(1, sizeof *s->bytes);
    s->data = calloc(1, sizeof *s->data);
    s->bytes[0] = TX * sizeof(float);
    s->data[0] = malloc(TN * TX * sizeof(float));
    uint32_t seed = 7;
    float *x = (float *)s->data[0];
    for (int i = 0; i < TN * TX; i++)
        x[i] = (float)((double)(lcg(&seed) % 20001) / 10000.0 - 0.6);   /* [-0.6, 1.4] */
    oq_options o = {0};
    cr_assert_eq(oq_calib_new(g, &o, c, &d), OQ_OK, "%s", d.msg);
    for (uint32_t i = 0; i < TN; i++) {
        oq_rt_tensor in = {OQ_DT_FLOAT, g->values[g->inputs[0]].shape, x + i * TX};
        cr_assert_eq(oq_calib_feed(*c, g, &in, &d), OQ_OK, "%s", d.msg);
    }
    oq_calib_done(*c);
    return g;
}

static double dbl_db(double sig, double err) { return 10.0 * log10(sig / err); }

/* q = clamp(round_half_even(x / s) + zp, lo, hi) then (q - zp) * s, as ONNX defines them. */
static float qdq(float x, float s, int32_t zp, int lo, int hi)
{
    float r = nearbyintf(x / s) + (float)zp;
    r = r < (float)lo ? (float)lo : r > (float)hi ? (float)hi : r;
    return (r - (float)zp) * s;
}

/* Expected per-channel weight SQNR (symmetric int8 [-127,127], scale max|w|/127 per channel or
 * over the whole tensor). */
static void expected_weight_sqnr(bool per_tensor, double *min, double *mean)
{
    double gmax = 0;
    for (int i = 0; i < 6; i++)
        gmax = fmax(gmax, fabs(tiny_w[i]));
    *min = INFINITY;
    *mean = 0;
    for (int c = 0; c < 3; c++) {
        double m = per_tensor ? gmax : fmax(fabs(tiny_w[2 * c]), fabs(tiny_w[2 * c + 1]));
        float s = (float)(m / 127.0);
        double sig = 0, err = 0;
        for (int k = 0; k < 2; k++) {
            float w = tiny_w[2 * c + k];
            double e = (double)w - (double)qdq(w, s, 0, -127, 127);
            sig += (double)w * w;
            err += e * e;
        }
        double db = dbl_db(sig, err);
        *min = fmin(*min, db);
        *mean += db / 3;
    }
}

Test(analysis, weight_sqnr_per_channel_and_per_tensor)
{
    for (int pt = 0; pt < 2; pt++) {
        oq_samples s;
        oq_calib *c;
        oq_graph *g = tiny(&s, &c);
        oq_options o = {.per_tensor = pt == 1};
        oq_layer *l;
        uint32_t nl;
        oq_diag d = {0};
        cr_assert_eq(oq_find_layers(g, &l, &nl, &d), OQ_OK, "%s", d.msg);
        cr_assert_eq(nl, 1u, "one layer");
        oq_sensitivity sens;
        cr_assert_eq(oq_layer_sensitivity(g, NULL, c, &o, l, nl, NULL, &s, NULL, &sens, &d), OQ_OK,
                     "%s", d.msg);
        double emin, emean;
        expected_weight_sqnr(pt == 1, &emin, &emean);
        cr_expect(sens.quantizable);
        cr_expect(fabs(sens.w_sqnr_min - emin) < 1e-3, "%s: weight SQNR min %.5f want %.5f",
                  pt ? "per tensor" : "per channel", sens.w_sqnr_min, emin);
        cr_expect(fabs(sens.w_sqnr_mean - emean) < 1e-3, "%s: weight SQNR mean %.5f want %.5f",
                  pt ? "per tensor" : "per channel", sens.w_sqnr_mean, emean);
        if (pt == 1)
            cr_expect(emin < 30, "the outlier channel makes per-tensor weights bad: %.2f", emin);
        free(l);
        oq_calib_free(c);
        oq_samples_free(&s);
        oq_graph_free(g);
    }
}

Test(analysis, weight_sqnr_helper_exact_and_axis)
{
    /* channels along axis 1 of a [2,3] weight; channel 1 exact (zeros) */
    const float wf[6] = {1, 0, 2, 3, 0, 4};
    const float wq[6] = {1.1f, 0, 2, 2.9f, 0, 4.2f};   /* channel c = i % 3 */
    float mn, mean;
    oq_shape s = {.rank = 2, .dim = {2, 3}};
    oq_weight_sqnr(wf, wq, &s, 1, &mn, &mean);
    double c0 = dbl_db(1 + 9, 0.01 + 0.01), c2 = dbl_db(4 + 16, 0.04);
    cr_expect(fabs(mn - fmin(c0, c2)) < 1e-4, "min %.5f want %.5f", mn, fmin(c0, c2));
    cr_expect(fabs(mean - (c0 + c2) / 2) < 1e-4, "mean %.5f want %.5f (exact channel left out)",
              mean, (c0 + c2) / 2);
    oq_weight_sqnr(wf, wf, &s, 1, &mn, &mean);
    cr_expect(isinf(mean) && mean > 0, "all exact: +inf mean");
}

Test(analysis, one_layer_error_matches_emulation)
{
    oq_samples s;
    oq_calib *c;
    oq_graph *g = tiny(&s, &c);
    oq_options o = {0};
    oq_report r;
    oq_diag d = {0};
    cr_assert_eq(oq_report_build(g, NULL, c, &o, &s, NULL, "tiny", NULL, NULL, &r, &d), OQ_OK,
                 "%s", d.msg);
    cr_assert_eq(r.nlayers, 1u);
    const oq_layer_report *L = &r.layers[0];
    cr_expect_str_eq(L->name, "conv");
    cr_expect_str_eq(L->op, "Conv");
    cr_expect_str_eq(L->output, "y");
    cr_expect(L->quantized);
    /* emulate: input and output qparams from the calibration (u8 affine), per-channel weights,
     * int32 bias with scale s_in * s_w */
    const oq_qscheme u8 = {OQ_DT_UINT8, false, false, false};
    float lo, hi, s_in, s_out;
    int32_t z_in, z_out;
    cr_assert(oq_calib_range(c, g->inputs[0], OQ_OBS_MINMAX, 0, &lo, &hi));
    oq_calc_qparams(&u8, &lo, &hi, 1, &s_in, &z_in);
    cr_assert(oq_calib_range(c, g->outputs[0], OQ_OBS_MINMAX, 0, &lo, &hi));
    oq_calc_qparams(&u8, &lo, &hi, 1, &s_out, &z_out);
    cr_expect_eq(L->zero_point, z_out, "output zero point");
    cr_expect(fabsf(L->scale - s_out) <= 1e-7f * s_out, "output scale %g want %g", L->scale, s_out);
    float wq[6], bq[3];
    for (int ch = 0; ch < 3; ch++) {
        float sw = fmaxf(fabsf(tiny_w[2 * ch]), fabsf(tiny_w[2 * ch + 1])) / 127.0f;
        for (int k = 0; k < 2; k++)
            wq[2 * ch + k] = qdq(tiny_w[2 * ch + k], sw, 0, -127, 127);
        float sb = s_in * sw;
        bq[ch] = (float)nearbyint((double)tiny_b[ch] / (double)sb) * sb;
    }
    double sig = 0, err = 0;
    const float *x = (const float *)s.data[0];
    for (int i = 0; i < TN; i++)
        for (int ch = 0; ch < 3; ch++)
            for (int p = 0; p < 16; p++) {
                const float *xs = x + i * TX;
                double yf = (double)tiny_w[2 * ch] * xs[p] +
                            (double)tiny_w[2 * ch + 1] * xs[16 + p] + tiny_b[ch];
                float a = qdq(xs[p], s_in, z_in, 0, 255), b = qdq(xs[16 + p], s_in, z_in, 0, 255);
                float yq = wq[2 * ch] * a + wq[2 * ch + 1] * b + bq[ch];
                float y8 = qdq(yq, s_out, z_out, 0, 255);
                sig += yf * yf;
                err += (yf - y8) * (yf - y8);
            }
    double want = dbl_db(sig, err);
    cr_expect(fabs(L->act_sqnr - want) < 0.05, "activation SQNR %.4f want %.4f (emulated)",
              L->act_sqnr, want);
    /* one layer: its own error is the cumulative one, the sensitivity and the model's */
    cr_expect(fabsf(L->cum_sqnr - L->act_sqnr) < 1e-3f, "cum %.4f act %.4f", L->cum_sqnr,
              L->act_sqnr);
    cr_expect(fabsf(L->sens_sqnr - L->act_sqnr) < 1e-3f, "sens %.4f", L->sens_sqnr);
    cr_expect(fabsf(r.model_sqnr - L->act_sqnr) < 1e-3f, "model %.4f", r.model_sqnr);
    cr_expect(isnan(L->sens_acc) && isnan(r.acc_fp32), "no eval set: NAN accuracy");
    /* histogram over min..max holds every element of every sample */
    double tot = 0;
    for (int b = 0; b < OQ_REPORT_BINS; b++)
        tot += L->hist[b];
    cr_expect_eq((int64_t)tot, (int64_t)TN * 48, "histogram count %.0f", tot);
    cr_expect_eq(L->hist_lo, L->range_lo[OQ_OBS_MINMAX]);
    cr_expect_eq(L->hist_hi, L->range_hi[OQ_OBS_MINMAX]);
    /* every observer's range lies within min..max, up to the histogram observers' bin edges
     * (1% of the span here) */
    float span = L->hist_hi - L->hist_lo, tol = 0.01f * span;
    for (int k = 0; k < OQ_OBS_COUNT; k++)
        cr_expect(isfinite(L->range_lo[k]) && L->range_lo[k] <= L->range_hi[k] &&
                  L->range_hi[k] <= L->hist_hi + tol && L->range_lo[k] >= L->hist_lo - tol,
                  "observer %d range [%g, %g] inside min/max [%g, %g]", k, L->range_lo[k],
                  L->range_hi[k], L->hist_lo, L->hist_hi);
    oq_report_free(&r);
    oq_calib_free(c);
    oq_samples_free(&s);
    oq_graph_free(g);
}

Test(analysis, clone_is_identical)
{
    oq_samples s;
    oq_calib *c;
    oq_graph *g = tiny(&s, &c);
    oq_graph *k = oq_graph_clone(g);
    cr_assert_not_null(k);
    cr_expect_eq(ir_hash_graph(k), ir_hash_graph(g), "same hash");
    cr_expect_eq(k->nvalue, g->nvalue);
    cr_expect_eq(k->nnode, g->nnode);
    float db;
    oq_diag d = {0};
    cr_assert_eq(oq_measure_sqnr(g, k, &s, &db, &d), OQ_OK, "%s", d.msg);
    cr_expect(isinf(db) && db > 0, "clone runs bit-identically: SQNR %g", db);
    oq_graph_free(k);
    oq_calib_free(c);
    oq_samples_free(&s);
    oq_graph_free(g);
}

/* ---------------------------------------------------------------- Fashion-MNIST CNN */

static void skip_without_examples(void)
{
    if (access(EX "fashion_cnn.onnx", R_OK) != 0 || access(EX "calib", R_OK) != 0)
        cr_skip_test("examples/ not present");
}

/* fashion_cnn at batch 1 after the float passes, calibrated and loaded on `limit` samples. */
static oq_graph *fashion(const oq_options *o, uint32_t limit, oq_calib **c, oq_samples *s)
{
    oq_diag d = {0};
    oq_input_shape is = {"input", {.rank = 4, .dim = {1, 1, 28, 28}}};
    oq_import_opts io = {.shapes = &is, .nshapes = 1};
    oq_graph *g = NULL;
    cr_assert_eq(oq_import_onnx(EX "fashion_cnn.onnx", &io, &g, &d), OQ_OK, "%s", d.msg);
    cr_assert_eq(oq_run_passes(g, o, &d), OQ_OK, "%s", d.msg);
    const char *spec[] = {EX "calib"};
    oq_calib_data data = {.spec = spec, .nspec = 1};
    oq_options oo = *o;
    oo.calib_limit = limit;
    cr_assert_eq(oq_calib_new(g, o, c, &d), OQ_OK, "%s", d.msg);
    cr_assert_eq(oq_calibrate(*c, g, &data, &oo, &d), OQ_OK, "%s", d.msg);
    cr_assert_eq(oq_samples_load_calib(g, &data, limit, s, &d), OQ_OK, "%s", d.msg);
    cr_assert_eq(s->n, limit);
    return g;
}

static uint32_t layer_named(const oq_graph *g, const oq_layer *l, uint32_t n, const char *name)
{
    for (uint32_t i = 0; i < n; i++)
        if (strcmp(g->nodes[l[i].node].name, name) == 0)
            return i;
    cr_assert_fail("no layer %s", name);
    return 0;
}

Test(analysis, samples_match_files)
{
    skip_without_examples();
    oq_options o = {0};
    oq_calib *c;
    oq_samples s;
    oq_graph *g = fashion(&o, 5, &c, &s);
    cr_expect_eq(s.bytes[0], 784 * sizeof(float));
    oq_arena a;
    oq_arena_init(&a, NULL, NULL);
    oq_tensor_file t;
    oq_diag d = {0};
    cr_assert_eq(oq_read_npy(EX "calib/sample_004.npy", &a, &t, &d), OQ_OK, "%s", d.msg);
    cr_expect(memcmp(s.data[0] + 4 * s.bytes[0], t.data, s.bytes[0]) == 0, "sample 4 = file 4");
    oq_samples e;
    cr_assert_eq(oq_samples_load_eval(g, EX "test100_input.npy", EX "test100_labels.npy", 30, &e,
                                      &d), OQ_OK, "%s", d.msg);
    cr_expect_eq(e.n, 30u);
    cr_expect_eq(e.rows, 30u);
    cr_assert_eq(oq_read_npy(EX "test100_labels.npy", &a, &t, &d), OQ_OK, "%s", d.msg);
    for (int i = 0; i < 30; i++)
        cr_expect_eq(e.labels[i], ((const int64_t *)t.data)[i], "label %d", i);
    oq_samples_free(&e);
    oq_arena_free(&a);
    oq_calib_free(c);
    oq_samples_free(&s);
    oq_graph_free(g);
}

Test(analysis, sensitivity_finds_the_layer_made_bad)
{
    skip_without_examples();
    oq_options o = {0};
    oq_calib *c;
    oq_samples s;
    oq_graph *g = fashion(&o, 32, &c, &s);
    oq_layer *l;
    uint32_t nl;
    oq_diag d = {0};
    cr_assert_eq(oq_find_layers(g, &l, &nl, &d), OQ_OK, "%s", d.msg);
    cr_assert_eq(nl, 4u, "conv1..3 (ReLU fused) and fc");
    uint32_t c2 = layer_named(g, l, nl, "/conv2/Conv");
    cr_expect_str_eq(g->values[l[c2].output].name, "/relu2/Relu_output_0", "output after fusion");
    oq_sensitivity good[4], bad[4];
    cr_assert_eq(oq_layer_sensitivity(g, NULL, c, &o, l, nl, NULL, &s, NULL, good, &d), OQ_OK, "%s",
                 d.msg);
    /* a terrible scale on conv2's output: 4.0 per step on ReLU outputs of a few units */
    oq_override ov;
    cr_assert_eq(oq_parse_override("/relu2/Relu_output_0=4.0:0", &ov, &d), OQ_OK, "%s", d.msg);
    oq_options ob = o;
    ob.overrides = &ov;
    ob.noverride = 1;
    cr_assert_eq(oq_layer_sensitivity(g, NULL, c, &ob, l, nl, NULL, &s, NULL, bad, &d), OQ_OK, "%s",
                 d.msg);
    for (uint32_t i = 0; i < nl; i++) {
        cr_expect(good[i].quantizable && good[i].sens_sqnr > 25,
                  "layer %u alone in int8: %.2f dB", i, good[i].sens_sqnr);
        if (i == c2)
            continue;
        cr_expect(bad[c2].sens_sqnr < bad[i].sens_sqnr - 10, "conv2 (%.2f dB) is the most "
                  "sensitive, by 10 dB over layer %u (%.2f dB)", bad[c2].sens_sqnr, i,
                  bad[i].sens_sqnr);
        cr_expect(fabsf(bad[i].sens_sqnr - good[i].sens_sqnr) < 1e-4f,
                  "the override touches only conv2's graph (layer %u)", i);
    }
    cr_expect(bad[c2].act_sqnr < good[c2].act_sqnr - 10, "conv2's own error: %.2f vs %.2f",
              bad[c2].act_sqnr, good[c2].act_sqnr);
    cr_expect(fabsf(bad[c2].scale - 4.0f) < 1e-6f && bad[c2].zero_point == 0, "the override's "
              "qparams: %g / %d", bad[c2].scale, bad[c2].zero_point);
    free(l);
    oq_calib_free(c);
    oq_samples_free(&s);
    oq_graph_free(g);
}

/* Model output SQNR of q against f over s, computed here. */
static double own_sqnr(const oq_graph *f, const oq_graph *q, const oq_samples *s)
{
    oq_diag d = {0};
    oq_interp *fi, *qi;
    cr_assert_eq(oq_interp_new(f, &fi, &d), OQ_OK, "%s", d.msg);
    cr_assert_eq(oq_interp_new(q, &qi, &d), OQ_OK, "%s", d.msg);
    double sig = 0, err = 0;
    for (uint32_t i = 0; i < s->n; i++) {
        oq_rt_tensor in = {OQ_DT_FLOAT, f->values[f->inputs[0]].shape,
                           s->data[0] + i * s->bytes[0]};
        oq_rt_tensor fo, qo;
        float ref[10];
        cr_assert_eq(oq_interp_run(fi, &in, &fo, NULL, NULL, &d), OQ_OK, "%s", d.msg);
        memcpy(ref, fo.data, sizeof ref);
        cr_assert_eq(oq_interp_run(qi, &in, &qo, NULL, NULL, &d), OQ_OK, "%s", d.msg);
        for (int k = 0; k < 10; k++) {
            double e = (double)ref[k] - ((const float *)qo.data)[k];
            sig += (double)ref[k] * ref[k];
            err += e * e;
        }
    }
    oq_interp_free(fi);
    oq_interp_free(qi);
    return dbl_db(sig, err);
}

Test(analysis, mixed_precision_reaches_a_target_full_int8_misses)
{
    skip_without_examples();
    oq_options o = {0};
    oq_calib *c;
    oq_samples s;
    oq_graph *g = fashion(&o, 64, &c, &s);
    oq_diag d = {0};
    /* the target: 3 dB over what full int8 reaches here (38.9 dB when written) */
    oq_graph *q8 = NULL;
    cr_assert_eq(oq_quantize_copy(g, c, &o, NULL, 0, &q8, &d), OQ_OK, "%s", d.msg);
    double full = own_sqnr(g, q8, &s);
    const float target = (float)full + 3.0f;
    oq_mixed_target t = {.by_sqnr = true, .sqnr_db = target};
    oq_mixed_result res;
    cr_assert_eq(oq_mixed_precision(g, NULL, c, &o, &s, NULL, &t, &res, &d), OQ_OK, "%s", d.msg);
    cr_expect(res.int8_sqnr < target, "full int8 misses the target: %.2f dB", res.int8_sqnr);
    cr_expect(res.met && res.sqnr >= target, "reached %.2f dB", res.sqnr);
    cr_expect(res.nfloat >= 1 && res.nfloat < res.nlayers, "%u of %u layers float", res.nfloat,
              res.nlayers);
    cr_expect_eq(res.nlayers, 4u);
    /* re-measure: the same excludes through the plain quantizer, SQNR computed here */
    const char *names[4];
    for (uint32_t i = 0; i < res.nfloat; i++)
        names[i] = g->nodes[res.float_nodes[i]].name;
    oq_graph *q = NULL;
    cr_assert_eq(oq_quantize_copy(g, c, &o, names, res.nfloat, &q, &d), OQ_OK, "%s", d.msg);
    double mine = own_sqnr(g, q, &s);
    cr_expect(fabs(mine - res.sqnr) < 1e-3, "re-measured %.4f dB, reported %.4f", mine, res.sqnr);
    cr_expect(mine >= target, "the mixed graph meets %.1f dB: %.2f", target, mine);
    cr_expect(fabs(full - res.int8_sqnr) < 1e-3, "full int8 %.4f dB, reported %.4f", full,
              res.int8_sqnr);
    cr_expect(full < target, "full int8 misses %.1f dB: %.2f", target, full);
    oq_layer *l;
    uint32_t nl;
    cr_assert_eq(oq_find_layers(g, &l, &nl, &d), OQ_OK, "%s", d.msg);
    for (uint32_t i = 0; i < nl; i++) {
        bool fl = false;
        for (uint32_t k = 0; k < res.nfloat; k++)
            fl |= res.float_nodes[k] == l[i].node;
        cr_expect_eq(oq_layer_quantized(q, g->values[l[i].output].name), !fl, "%s: %s",
                     g->nodes[l[i].node].name, fl ? "float" : "int8");
    }
    free(l);
    oq_graph_free(q);
    oq_graph_free(q8);
    /* a target already met: nothing left float */
    t.sqnr_db = 20;
    oq_mixed_result_free(&res);
    cr_assert_eq(oq_mixed_precision(g, NULL, c, &o, &s, NULL, &t, &res, &d), OQ_OK, "%s", d.msg);
    cr_expect(res.met && res.nfloat == 0, "20 dB needs no float layer (%u)", res.nfloat);
    oq_mixed_result_free(&res);
    oq_calib_free(c);
    oq_samples_free(&s);
    oq_graph_free(g);
}

Test(analysis, mixed_precision_leaves_the_bad_layer_float_first)
{
    skip_without_examples();
    oq_options o = {0};
    oq_calib *c;
    oq_samples s;
    oq_graph *g = fashion(&o, 32, &c, &s);
    oq_override ov;
    oq_diag d = {0};
    cr_assert_eq(oq_parse_override("/relu2/Relu_output_0=4.0:0", &ov, &d), OQ_OK, "%s", d.msg);
    o.overrides = &ov;
    o.noverride = 1;
    oq_mixed_target t = {.by_sqnr = true, .sqnr_db = 30};
    oq_mixed_result res;
    cr_assert_eq(oq_mixed_precision(g, NULL, c, &o, &s, NULL, &t, &res, &d), OQ_OK, "%s", d.msg);
    cr_expect(res.int8_sqnr < 30, "the override ruins full int8: %.2f dB", res.int8_sqnr);
    cr_assert(res.nfloat >= 1);
    cr_expect_str_eq(g->nodes[res.float_nodes[0]].name, "/conv2/Conv", "first float layer");
    cr_expect(res.met && res.sqnr >= 30, "reached %.2f dB", res.sqnr);
    oq_mixed_result_free(&res);
    oq_calib_free(c);
    oq_samples_free(&s);
    oq_graph_free(g);
}

Test(analysis, mixed_precision_unreachable_target_is_an_error)
{
    skip_without_examples();
    oq_options o = {0};
    oq_calib *c;
    oq_samples s, e;
    oq_graph *g = fashion(&o, 16, &c, &s);
    oq_diag d = {0};
    cr_assert_eq(oq_samples_load_eval(g, EX "test100_input.npy", EX "test100_labels.npy", 50, &e,
                                      &d), OQ_OK, "%s", d.msg);
    /* demanding a gain over fp32: even all-float (drop 0) misses it */
    oq_mixed_target t = {.by_accuracy = true, .max_drop = -1.0f};
    oq_mixed_result res;
    cr_expect_eq(oq_mixed_precision(g, NULL, c, &o, &s, &e, &t, &res, &d), OQ_ERR_DATA);
    cr_expect(strstr(d.msg, "even with all 4 quantized layers left in float") != NULL, "%s",
              d.msg);
    /* accuracy target without an eval set */
    oq_diag d2 = {0};
    cr_expect_eq(oq_mixed_precision(g, NULL, c, &o, &s, NULL, &t, &res, &d2), OQ_ERR_USAGE);
    oq_samples_free(&e);
    oq_calib_free(c);
    oq_samples_free(&s);
    oq_graph_free(g);
}

Test(analysis, report_accuracy_figures_on_eval_set)
{
    skip_without_examples();
    oq_options o = {0};
    oq_calib *c;
    oq_samples s, e;
    oq_graph *g = fashion(&o, 16, &c, &s);
    oq_diag d = {0};
    cr_assert_eq(oq_samples_load_eval(g, EX "test100_input.npy", EX "test100_labels.npy", 0, &e,
                                      &d), OQ_OK, "%s", d.msg);
    oq_report r;
    cr_assert_eq(oq_report_build(g, NULL, c, &o, &s, &e, "fashion_cnn.onnx", NULL, NULL, &r, &d),
                 OQ_OK, "%s",
                 d.msg);
    cr_expect_eq(r.eval_samples, 100u);
    cr_expect_eq(r.samples, 16u);
    cr_expect_eq(r.nlayers, 4u);
    float acc;
    cr_assert_eq(oq_measure_accuracy(g, &e, &acc, &d), OQ_OK, "%s", d.msg);
    cr_expect(r.acc_fp32 == acc && acc > 80, "fp32 top-1 %.2f", r.acc_fp32);
    cr_expect(fabsf(r.acc_int8 - r.acc_fp32) <= 3, "int8 %.2f vs fp32 %.2f", r.acc_int8,
              r.acc_fp32);
    for (uint32_t i = 0; i < r.nlayers; i++) {
        const oq_layer_report *L = &r.layers[i];
        cr_expect(L->quantized && isfinite(L->sens_acc) && fabsf(L->sens_acc - acc) <= 3,
                  "%s alone: top-1 %.2f", L->name, L->sens_acc);
        cr_expect(L->weight_sqnr_min <= L->weight_sqnr_mean && L->weight_sqnr_min > 20,
                  "%s weights %.2f / %.2f dB", L->name, L->weight_sqnr_min, L->weight_sqnr_mean);
        cr_expect(isfinite(L->cum_sqnr) && isfinite(L->act_sqnr), "%s", L->name);
    }
    /* the last layer's cumulative SQNR is the model's (its output is the model output) */
    cr_expect(fabsf(r.layers[3].cum_sqnr - r.model_sqnr) < 1e-3f, "fc cum %.4f model %.4f",
              r.layers[3].cum_sqnr, r.model_sqnr);
    cr_expect(fabsf(r.layers[0].cum_sqnr - r.layers[0].act_sqnr) < 1e-3f,
              "first layer: cumulative == own error (%.4f / %.4f)", r.layers[0].cum_sqnr,
              r.layers[0].act_sqnr);
    oq_report_free(&r);
    oq_samples_free(&e);
    oq_calib_free(c);
    oq_samples_free(&s);
    oq_graph_free(g);
}

Test(analysis, bias_corrected_graph_is_measured_against_the_original_float)
{
    skip_without_examples();
    oq_options o = {.bias_correct = true};
    oq_diag d = {0};
    oq_input_shape is = {"input", {.rank = 4, .dim = {1, 1, 28, 28}}};
    oq_import_opts io = {.shapes = &is, .nshapes = 1};
    oq_graph *g = NULL;
    cr_assert_eq(oq_import_onnx(EX "fashion_cnn.onnx", &io, &g, &d), OQ_OK, "%s", d.msg);
    cr_assert_eq(oq_run_passes(g, &o, &d), OQ_OK, "%s", d.msg);
    oq_graph *ref = oq_graph_clone(g);
    cr_assert_not_null(ref);
    const char *spec[] = {EX "calib"};
    oq_calib_data data = {.spec = spec, .nspec = 1};
    o.calib_limit = 16;
    cr_assert_eq(oq_bias_correct(g, &data, &o, &d), OQ_OK, "%s", d.msg);
    oq_calib *c;
    oq_samples s;
    cr_assert_eq(oq_calib_new(g, &o, &c, &d), OQ_OK, "%s", d.msg);
    cr_assert_eq(oq_calibrate(c, g, &data, &o, &d), OQ_OK, "%s", d.msg);
    cr_assert_eq(oq_samples_load_calib(g, &data, 16, &s, &d), OQ_OK, "%s", d.msg);
    double moved = own_sqnr(ref, g, &s);
    cr_expect(isfinite(moved), "bias correction changed the float graph (%.2f dB vs the original)",
              moved);
    oq_graph *q = NULL;
    cr_assert_eq(oq_quantize_copy(g, c, &o, NULL, 0, &q, &d), OQ_OK, "%s", d.msg);
    double want = own_sqnr(ref, q, &s);
    oq_mixed_target t = {.by_sqnr = true, .sqnr_db = 10};
    oq_mixed_result res;
    cr_assert_eq(oq_mixed_precision(g, ref, c, &o, &s, NULL, &t, &res, &d), OQ_OK, "%s", d.msg);
    cr_expect(fabs(res.int8_sqnr - want) < 1e-3, "mixed: int8 %.4f dB vs the original float, "
              "re-measured %.4f", res.int8_sqnr, want);
    oq_report r;
    cr_assert_eq(oq_report_build(g, ref, c, &o, &s, NULL, "fashion_cnn.onnx", NULL, NULL, &r, &d),
                 OQ_OK, "%s",
                 d.msg);
    cr_expect(fabs(r.model_sqnr - want) < 1e-3, "report: model %.4f dB, re-measured %.4f",
              r.model_sqnr, want);
    /* a layer left float reads its float bias again, quantized layers keep theirs */
    const char *one[] = {"/conv1/Conv"};
    oq_graph *m = NULL;
    cr_assert_eq(oq_quantize_copy(g, c, &o, one, 1, &m, &d), OQ_OK, "%s", d.msg);
    oq_restore_float_biases(m, ref);
    for (uint32_t n = 0; n < m->nnode; n++) {
        const oq_node *nd = &m->nodes[n];
        if (nd->op != OQ_OP_Conv)
            continue;
        const oq_value *b = &m->values[nd->in[2]];
        if (strcmp(nd->name, "/conv1/Conv") == 0)
            cr_expect_str_eq(b->name, "/conv1/Conv_bnfold_bias", "float conv1 bias");
        else
            cr_expect(b->producer != OQ_NONE &&
                          m->nodes[b->producer].op == OQ_OP_DequantizeLinear,
                      "%s keeps its quantized (corrected) bias", nd->name);
    }
    oq_graph_free(m);
    oq_report_free(&r);
    oq_mixed_result_free(&res);
    oq_graph_free(q);
    oq_calib_free(c);
    oq_samples_free(&s);
    oq_graph_free(ref);
    oq_graph_free(g);
}
