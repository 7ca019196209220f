/* tests/report/synth.h: a synthetic oq_report for the renderer tests and the sample program:
 * n layers with plausible, deterministic figures (Gaussian or ReLU-shaped histograms, observer
 * ranges derived from them) and the edge cases the renderers must handle: names with <>&"',
 * NAN (no weights), +inf (exact), a negative SQNR, a layer left in float, an empty histogram
 * (layer 6) and a constant output (layer 9). */
#ifndef OQ_TEST_SYNTH_H
#define OQ_TEST_SYNTH_H
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/report.h"

/* xorshift32: a deterministic uniform in (0, 1). */
static double synth_uniform(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return ((*s >> 8) + 0.5) / 16777216.0;
}

/* Fills layer i's histogram and observer ranges from 20000 samples of N(mu, sigma), ReLU'd when
 * relu; a long tail of a few outliers makes the observers disagree. */
static void synth_hist(oq_layer_report *L, uint32_t seed, double mu, double sigma, int relu)
{
    enum { N = 20000 };
    static float x[N];
    uint32_t s = seed * 2654435761u + 1;
    float lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < N; i++) {
        double u1 = synth_uniform(&s), u2 = synth_uniform(&s);
        double v = mu + sigma * sqrt(-2 * log(u1)) * cos(6.283185307179586 * u2);
        if (i % 997 == 0)
            v *= 3.5;          /* outliers */
        if (relu && v < 0)
            v = 0;
        x[i] = (float)v;
        lo = x[i] < lo ? x[i] : lo;
        hi = x[i] > hi ? x[i] : hi;
    }
    L->hist_lo = lo;
    L->hist_hi = hi;
    memset(L->hist, 0, sizeof L->hist);
    for (int i = 0; i < N; i++) {
        int b = (int)((x[i] - lo) / (hi - lo) * OQ_REPORT_BINS);
        L->hist[b < OQ_REPORT_BINS ? b : OQ_REPORT_BINS - 1] += 1;
    }
    /* percentile 99.9 from the cumulative histogram (both tails) */
    double c = 0, plo = lo, phi = hi;
    for (int b = 0; b < OQ_REPORT_BINS; b++) {
        c += L->hist[b];
        if (c <= 0.001 * N)
            plo = lo + (b + 1) * (hi - lo) / OQ_REPORT_BINS;
        if (c >= 0.999 * N) {
            phi = lo + (b + 1) * (hi - lo) / OQ_REPORT_BINS;
            break;
        }
    }
    if (relu)
        plo = 0;
    L->range_lo[OQ_OBS_MINMAX] = lo;
    L->range_hi[OQ_OBS_MINMAX] = hi;
    L->range_lo[OQ_OBS_MOVING_AVG] = lo * 0.9f;
    L->range_hi[OQ_OBS_MOVING_AVG] = hi * 0.9f;
    L->range_lo[OQ_OBS_PERCENTILE] = (float)plo;
    L->range_hi[OQ_OBS_PERCENTILE] = (float)phi;
    L->range_lo[OQ_OBS_ENTROPY] = (float)(relu ? 0 : mu - 3.2 * sigma);
    L->range_hi[OQ_OBS_ENTROPY] = (float)(mu + 3.2 * sigma);
    L->range_lo[OQ_OBS_MSE] = (float)(relu ? 0 : mu - 2.6 * sigma);
    L->range_hi[OQ_OBS_MSE] = (float)(mu + 2.6 * sigma);
    float rlo = L->range_lo[OQ_OBS_MINMAX] < 0 ? L->range_lo[OQ_OBS_MINMAX] : 0;
    L->scale = (L->range_hi[OQ_OBS_MINMAX] - rlo) / 255.0f;
    L->zero_point = (int32_t)lrintf(-rlo / L->scale);
}

/* A report with n layers (n >= 0), model name `model`. Caller frees r->layers. */
static void synth_report(oq_report *r, uint32_t n, const char *model)
{
    memset(r, 0, sizeof *r);
    snprintf(r->model, sizeof r->model, "%s", model);
    snprintf(r->observer, sizeof r->observer, "minmax");
    r->samples = 64;
    r->model_sqnr = 27.5f;
    r->acc_fp32 = 91.25f;
    r->acc_int8 = 90.5f;
    r->eval_samples = 400;
    r->nlayers = n;
    r->layers = n ? calloc(n, sizeof *r->layers) : NULL;
    static const char *const ops[] = {"Conv", "Conv", "MatMul", "Gemm", "Add"};
    for (uint32_t i = 0; i < n; i++) {
        oq_layer_report *L = &r->layers[i];
        const char *op = ops[i % 5];
        snprintf(L->op, sizeof L->op, "%s", op);
        if (i == 1)
            snprintf(L->name, sizeof L->name, "conv<b>&\"q'%u", i);
        else if (i == 4)
            snprintf(L->name, sizeof L->name, "/features/features.%u/conv/conv.0/Conv_very_long_"
                                              "name_\xc3\xa9t\xc3\xa9", i);
        else
            snprintf(L->name, sizeof L->name, "%s_%u", op, i);
        snprintf(L->output, sizeof L->output, "%.100s_out<%u>", L->name, i);
        L->quantized = i != 3;
        bool weights = strcmp(op, "Conv") == 0 || strcmp(op, "Gemm") == 0;
        L->weight_sqnr_mean = weights ? 38.0f + (float)(i % 7) * 1.5f : NAN;
        L->weight_sqnr_min = weights ? L->weight_sqnr_mean - 6.0f - (float)(i % 3) : NAN;
        L->act_sqnr = i == 2 ? INFINITY : 30.0f - (float)(i % 5) * 2.25f;
        L->cum_sqnr = 32.0f - (float)i * 0.75f;
        L->sens_sqnr = i == 5 ? -3.5f : 40.0f - (float)(i % 4) * 3.0f;
        L->sens_acc = 91.0f - (float)(i % 4) * 0.25f;
        if (i == 6) {      /* never observed */
            L->hist_lo = L->hist_hi = 0;
            for (int k = 0; k < OQ_OBS_COUNT; k++)
                L->range_lo[k] = L->range_hi[k] = NAN;
            L->scale = 1;
            continue;
        }
        if (i == 9) {      /* constant output (all zeros) */
            L->hist_lo = L->hist_hi = 0;
            L->hist[0] = 500;
            for (int k = 0; k < OQ_OBS_COUNT; k++)
                L->range_lo[k] = L->range_hi[k] = 0;
            L->scale = 1;
            continue;
        }
        synth_hist(L, i + 1, i % 2 ? 0.4 : 0.0, 0.5 + 0.1 * (i % 3), i % 2 == 0);
    }
}
#endif
