/* Bias correction (passes/biascorrect.c) on a hand-built Conv (4 -> 6 channels, 3x3, pad 1,
 * stride 1 and 2) whose channel 0 has 40x the range of the others, so per-tensor int8 weights
 * round the small channels coarsely, fed inputs with mean 1. Measured on the calibration samples
 * (the mean output error per channel, mean over channels of |E[y_q - y_float]|):
 *  - weight-only (the layer with W_q = dequant(quant(W)), float input): after correction the
 *    error is at most 1 % of the uncorrected one (the correction is exact in expectation, the
 *    zero padding included);
 *  - whole int8 graph (calibrated, oq_quantize per tensor): at most half the uncorrected error;
 *  - a Gemm without bias gets one, with the same weight-only effect;
 *  - reading .npy files (oq_bias_correct) equals feeding the same samples. */
#include "build_util.h"

enum { NS = 16 };              /* calibration samples */

/* Conv x[1,4,8,8] -> y; stride 1 or 2; with or without bias. */
static oq_graph *build_conv(int64_t stride, bool bias)
{
    oq_graph *g = oq_graph_new(NULL, NULL);
    uint32_t s = 4242;
    float w[6 * 4 * 9], b[6];
    bu_fill(w, 6 * 36, &s, -0.5f, 0.5f);
    bu_fill(b, 6, &s, -0.2f, 0.2f);
    for (int i = 0; i < 36; i++)
        w[i] *= 40;            /* channel 0 dominates the per-tensor range */
    const int64_t xd[] = {1, 4, 8, 8}, wd[] = {6, 4, 3, 3}, bd[] = {6};
    const int64_t pads[] = {1, 1, 1, 1}, st[] = {stride, stride};
    uint32_t x = bu_input(g, "x", 4, xd);
    uint32_t W = bu_const(g, "W", 4, wd, w), B = bias ? bu_const(g, "B", 1, bd, b) : OQ_NONE;
    uint32_t y = bu_node(g, OQ_OP_Conv, "conv", (uint32_t[]){x, W, B}, bias ? 3 : 2);
    bu_attr_ints(g, "conv", "pads", pads, 4);
    bu_attr_ints(g, "conv", "strides", st, 2);
    bu_output(g, y);
    bu_finish(g);
    return g;
}

/* Gemm x[2,16] * W[16,5] (no bias) -> y. */
static oq_graph *build_gemm(void)
{
    oq_graph *g = oq_graph_new(NULL, NULL);
    uint32_t s = 99;
    float w[16 * 5];
    bu_fill(w, 80, &s, -0.5f, 0.5f);
    for (int k = 0; k < 16; k++)
        w[k * 5] *= 40;
    const int64_t xd[] = {2, 16}, wd[] = {16, 5};
    uint32_t x = bu_input(g, "x", 2, xd), W = bu_const(g, "W", 2, wd, w);
    bu_output(g, bu_node(g, OQ_OP_Gemm, "fc", (uint32_t[]){x, W}, 2));
    bu_finish(g);
    return g;
}

/* Sample i: uniform [0, 2) (mean 1), n elements. */
static void sample(int i, float *x, int64_t n)
{
    uint32_t s = 1000u + (uint32_t)i * 7919u;
    bu_fill(x, n, &s, 0, 2);
}

/* Per-tensor symmetric int8 [-127, 127] as the quantizer makes it, in place. */
static void fake_quant_per_tensor(float *w, int64_t n)
{
    float amax = 0;
    for (int64_t i = 0; i < n; i++)
        amax = fmaxf(amax, fabsf(w[i]));
    float s = amax / 127.0f;
    for (int64_t i = 0; i < n; i++)
        w[i] = fminf(fmaxf(nearbyintf(w[i] / s), -127), 127) * s;
}

/* Outputs of g on the NS samples, concatenated (malloc); *per = elements per sample. */
static float *run_all(const oq_graph *g, int64_t *per)
{
    const oq_value *in = &g->values[g->inputs[0]];
    int64_t n = oq_shape_numel(&in->shape);
    float *x = malloc((size_t)n * sizeof *x), *all = NULL;
    for (int i = 0; i < NS; i++) {
        sample(i, x, n);
        oq_rt_tensor t = {OQ_DT_FLOAT, in->shape, x};
        pt_outs o = {0};
        pt_run(g, &t, &o);
        if (!all) {
            *per = o.numel[0];
            all = malloc((size_t)(NS * *per) * sizeof *all);
        }
        memcpy(all + i * *per, o.data[0], (size_t)*per * sizeof *all);
        pt_outs_free(&o);
    }
    free(x);
    return all;
}

/* Mean over the C channels (axis 1 of the output value) of |mean(test - ref)| per channel. */
static double mean_channel_error(const oq_graph *g, const float *ref, const float *test,
                                 int64_t per)
{
    const oq_shape *ys = &g->values[g->outputs[0]].shape;
    int64_t C = ys->dim[1], inner = per / (ys->dim[0] * C);
    double tot = 0;
    for (int64_t c = 0; c < C; c++) {
        double e = 0;
        int64_t cnt = 0;
        for (int i = 0; i < NS; i++)
            for (int64_t b = 0; b < ys->dim[0]; b++)
                for (int64_t k = 0; k < inner; k++) {
                    int64_t j = i * per + (b * C + c) * inner + k;
                    e += (double)test[j] - ref[j];
                    cnt++;
                }
        tot += fabs(e / (double)cnt);
    }
    return tot / (double)C;
}

static void correct(oq_graph *g, const oq_options *o)
{
    oq_biascorr *b = NULL;
    oq_diag d = {0};
    cr_assert_eq(oq_biascorr_new(g, o, &b, &d), OQ_OK, "%s", d.msg);
    const oq_value *in = &g->values[g->inputs[0]];
    int64_t n = oq_shape_numel(&in->shape);
    float *x = malloc((size_t)n * sizeof *x);
    for (int i = 0; i < NS; i++) {
        sample(i, x, n);
        oq_rt_tensor t = {OQ_DT_FLOAT, in->shape, x};
        cr_assert_eq(oq_biascorr_feed(b, g, &t, &d), OQ_OK, "%s", d.msg);
    }
    free(x);
    cr_assert_eq(oq_biascorr_apply(b, g, o, &d), OQ_OK, "%s", d.msg);
    oq_biascorr_free(b);
}

/* The weight constant of the only weight node, fake-quantized in place. */
static void quantize_weight_in_place(oq_graph *g)
{
    for (uint32_t n = 0; n < g->nnode; n++)
        if (g->nodes[n].op == OQ_OP_Conv || g->nodes[n].op == OQ_OP_Gemm) {
            oq_value *w = &g->values[g->nodes[n].in[1]];
            fake_quant_per_tensor(w->data, oq_shape_numel(&w->shape));
        }
}

/* Weight-only check for graph builder mk: returns (before, after) errors. */
static void weight_only(oq_graph *(*mk)(void), double *before, double *after)
{
    oq_options o = {.verify = true, .per_tensor = true};
    oq_graph *ref = mk(), *plain = mk(), *corr = mk();
    int64_t per;
    float *yr = run_all(ref, &per);
    quantize_weight_in_place(plain);
    float *yp = run_all(plain, &per);
    correct(corr, &o);
    quantize_weight_in_place(corr);
    float *yc = run_all(corr, &per);
    *before = mean_channel_error(ref, yr, yp, per);
    *after = mean_channel_error(ref, yr, yc, per);
    cr_log_info("weight-only: mean |E[y_q - y]| per channel %g -> %g", *before, *after);
    free(yr);
    free(yp);
    free(yc);
    oq_graph_free(ref);
    oq_graph_free(plain);
    oq_graph_free(corr);
}

static oq_graph *conv_s1(void) { return build_conv(1, true); }
static oq_graph *conv_s2_nobias(void) { return build_conv(2, false); }

Test(biascorrect, weight_only_error_removed_conv)
{
    double before, after;
    weight_only(conv_s1, &before, &after);
    cr_assert_gt(before, 1e-2, "per-tensor weights should shift the channel means (%g)", before);
    cr_expect_leq(after, 0.01 * before, "mean |E[y_q - y]| per channel: %g -> %g", before, after);
    weight_only(conv_s2_nobias, &before, &after);
    cr_assert_gt(before, 1e-2, "stride 2, no bias: %g", before);
    cr_expect_leq(after, 0.01 * before, "stride 2, no bias: %g -> %g", before, after);
}

Test(biascorrect, weight_only_error_removed_gemm_without_bias)
{
    double before, after;
    weight_only(build_gemm, &before, &after);
    cr_assert_gt(before, 1e-3, "%g", before);
    cr_expect_leq(after, 0.01 * before, "%g -> %g", before, after);
    oq_graph *g = build_gemm();
    oq_options o = {.verify = true, .per_tensor = true};
    correct(g, &o);
    cr_expect_eq(g->nodes[bu_find(g, "fc")].nin, 3u, "a bias was added");
    oq_graph_free(g);
}

/* Calibrates on the NS samples and quantizes (per-tensor weights). */
static void quantize(oq_graph *g, const oq_options *o)
{
    oq_calib *c = NULL;
    oq_diag d = {0};
    cr_assert_eq(oq_calib_new(g, o, &c, &d), OQ_OK, "%s", d.msg);
    const oq_value *in = &g->values[g->inputs[0]];
    int64_t n = oq_shape_numel(&in->shape);
    float *x = malloc((size_t)n * sizeof *x);
    for (int i = 0; i < NS; i++) {
        sample(i, x, n);
        oq_rt_tensor t = {OQ_DT_FLOAT, in->shape, x};
        cr_assert_eq(oq_calib_feed(c, g, &t, &d), OQ_OK, "%s", d.msg);
    }
    free(x);
    oq_calib_done(c);
    cr_assert_eq(oq_quantize(g, c, o, &d), OQ_OK, "%s", d.msg);
    oq_calib_free(c);
}

Test(biascorrect, int8_graph_mean_error_halved)
{
    oq_options o = {.verify = true, .per_tensor = true};
    oq_graph *ref = build_conv(1, true), *plain = build_conv(1, true), *corr = build_conv(1, true);
    int64_t per;
    float *yr = run_all(ref, &per);
    quantize(plain, &o);
    float *yp = run_all(plain, &per);
    correct(corr, &o);
    quantize(corr, &o);
    float *yc = run_all(corr, &per);
    double before = mean_channel_error(ref, yr, yp, per);
    double after = mean_channel_error(ref, yr, yc, per);
    cr_log_info("int8 graph: mean |E[y_q - y]| per channel %g -> %g", before, after);
    cr_assert_gt(before, 1e-2, "%g", before);
    cr_expect_leq(after, 0.5 * before, "int8 graph, mean |E[y_q - y]| per channel: %g -> %g",
                  before, after);
    free(yr);
    free(yp);
    free(yc);
    oq_graph_free(ref);
    oq_graph_free(plain);
    oq_graph_free(corr);
}

Test(biascorrect, needs_samples)
{
    oq_graph *g = build_conv(1, true);
    oq_biascorr *b = NULL;
    oq_diag d = {0};
    cr_assert_eq(oq_biascorr_new(g, NULL, &b, &d), OQ_OK, "%s", d.msg);
    cr_expect_eq(oq_biascorr_apply(b, g, NULL, &d), OQ_ERR_DATA);
    oq_biascorr_free(b);
    oq_graph_free(g);
}

/* oq_bias_correct reads the samples from .npy files (a directory, calib_limit honoured) and gives
 * the same biases as feeding those samples by hand. */
Test(biascorrect, from_files_matches_feed)
{
    char dir[] = "/tmp/oq_bc_XXXXXX", path[64];
    cr_assert_not_null(mkdtemp(dir));
    oq_graph *g = build_conv(1, true), *h = build_conv(1, true);
    const oq_value *in = &g->values[g->inputs[0]];
    int64_t n = oq_shape_numel(&in->shape);
    float *x = malloc((size_t)n * sizeof *x);
    oq_diag d = {0};
    for (int i = 0; i < 3; i++) {
        sample(i, x, n);
        snprintf(path, sizeof path, "%s/s%d.npy", dir, i);
        cr_assert_eq(oq_write_npy(path, OQ_DT_FLOAT, &in->shape, x, &d), OQ_OK, "%s", d.msg);
    }
    free(x);
    const char *spec[] = {dir};
    oq_calib_data data = {.spec = spec, .nspec = 1};
    oq_options o = {.verify = true, .per_tensor = true, .calib_limit = 2};
    cr_assert_eq(oq_bias_correct(g, &data, &o, &d), OQ_OK, "%s", d.msg);
    /* by hand: the first two samples (NS would feed 16; feed 2 here) */
    oq_biascorr *b = NULL;
    cr_assert_eq(oq_biascorr_new(h, &o, &b, &d), OQ_OK, "%s", d.msg);
    x = malloc((size_t)n * sizeof *x);
    for (int i = 0; i < 2; i++) {
        sample(i, x, n);
        oq_rt_tensor t = {OQ_DT_FLOAT, h->values[h->inputs[0]].shape, x};
        cr_assert_eq(oq_biascorr_feed(b, h, &t, &d), OQ_OK, "%s", d.msg);
    }
    free(x);
    cr_assert_eq(oq_biascorr_apply(b, h, &o, &d), OQ_OK, "%s", d.msg);
    oq_biascorr_free(b);
    const float *bg = g->values[g->nodes[bu_find(g, "conv")].in[2]].data;
    const float *bh = h->values[h->nodes[bu_find(h, "conv")].in[2]].data;
    const float *b0 = NULL;
    oq_graph *orig = build_conv(1, true);
    b0 = orig->values[orig->nodes[bu_find(orig, "conv")].in[2]].data;
    bool changed = false;
    for (int c = 0; c < 6; c++) {
        cr_expect_eq(bg[c], bh[c], "bias[%d]: from files %.9g, by hand %.9g", c, bg[c], bh[c]);
        changed |= bg[c] != b0[c];
    }
    cr_expect(changed, "the biases were corrected");
    oq_graph_free(orig);
    oq_graph_free(g);
    oq_graph_free(h);
    for (int i = 0; i < 3; i++) {
        snprintf(path, sizeof path, "%s/s%d.npy", dir, i);
        unlink(path);
    }
    rmdir(dir);
}
