/* Calibration state and the observing run: one fp32 interpreter run per sample, the node hook
 * feeding each float output into its value's observers (graph inputs are observed before the
 * run). Per value: a running histogram (observers/histogram.c; it also keeps the exact min/max)
 * and a moving-average min/max, so every observer kind can be picked afterwards. Memory is
 * bounded by the number of values, not of samples. Deterministic: same samples in the same
 * order give the same bits. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../runtime/interp/interp.h"
#include "passes.h"
#include "calib_int.h"

/* True if v gets calibration state. */
static bool observed(const oq_graph *g, uint32_t v)
{
    const oq_value *val = &g->values[v];
    if (val->dtype != OQ_DT_FLOAT || val->data)
        return false;
    if (val->is_input)
        return true;
    if (val->producer == OQ_NONE)
        return false;
    const oq_node *p = &g->nodes[val->producer];
    if (p->op == OQ_OP_QuantizeLinear || p->op == OQ_OP_DynamicQuantizeLinear)
        return false;
    return !ir_attr_i(p, OQ_A_ANY_onnxq_fused);
}

oq_status oq_calib_new(const oq_graph *g, const oq_options *o, oq_calib **out, oq_diag *d)
{
    *out = NULL;
    oq_calib *c = calloc(1, sizeof *c);
    if (!c)
        return oq_errorf(d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory for calibration");
    c->nvalue = g->nvalue;
    c->slot = malloc((g->nvalue + 1) * sizeof *c->slot);
    if (!c->slot)
        goto nomem;
    uint32_t n = 0;
    for (uint32_t v = 0; v < g->nvalue; v++)
        c->slot[v] = observed(g, v) ? n++ : OQ_NONE;
    c->nstate = n;
    c->hist = calloc(n + 1, sizeof *c->hist);
    c->avg = calloc(n + 1, sizeof *c->avg);
    if (!c->hist || !c->avg)
        goto nomem;
    for (uint32_t i = 0; i < n; i++) {
        oq_status st = oq_observer_init(&c->hist[i], OQ_OBS_MSE, -1, 1, d);
        if (st == OQ_OK)
            st = oq_observer_init(&c->avg[i], OQ_OBS_MOVING_AVG, -1, 1, d);
        if (st != OQ_OK) {
            c->nstate = i + 1;
            oq_calib_free(c);
            return st;
        }
    }
    (void)o;
    *out = c;
    return OQ_OK;
nomem:
    oq_calib_free(c);
    return oq_errorf(d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory for calibration");
}

void oq_calib_free(oq_calib *c)
{
    if (!c)
        return;
    oq_interp_free(c->it);
    for (uint32_t i = 0; !c->borrowed && i < c->nstate; i++) {
        if (c->hist)
            oq_observer_free(&c->hist[i]);
        if (c->avg)
            oq_observer_free(&c->avg[i]);
    }
    if (!c->borrowed) {
        free(c->hist);
        free(c->avg);
    }
    free(c->slot);
    free(c);
}

oq_status oq_calib_view(const oq_calib *src, const oq_graph *gsrc, const oq_graph *dst,
                        oq_calib **out, oq_diag *d)
{
    *out = NULL;
    oq_calib *c = calloc(1, sizeof *c);
    if (!c || !(c->slot = malloc((dst->nvalue + 1) * sizeof *c->slot))) {
        free(c);
        return oq_errorf(d, dst, OQ_NONE, OQ_ERR_NOMEM, "out of memory for calibration");
    }
    c->nvalue = dst->nvalue;
    for (uint32_t v = 0; v < dst->nvalue; v++) {
        uint32_t w = ir_find_value(gsrc, dst->values[v].name);
        c->slot[v] = w != OQ_NONE && w < src->nvalue && dst->values[v].dtype == OQ_DT_FLOAT
                   ? src->slot[w] : OQ_NONE;
    }
    c->nstate = src->nstate;
    c->hist = src->hist;
    c->avg = src->avg;
    c->nsamples = src->nsamples;
    c->borrowed = true;
    *out = c;
    return OQ_OK;
}

static void observe(oq_calib *c, uint32_t v, const oq_rt_tensor *t)
{
    if (v == OQ_NONE || v >= c->nvalue || c->slot[v] == OQ_NONE || !t->data)
        return;
    uint32_t i = c->slot[v];
    c->hist[i].vt->observe(&c->hist[i], t->data, &t->shape);
    c->avg[i].vt->observe(&c->avg[i], t->data, &t->shape);
}

static bool hook(void *ctx, const oq_graph *g, uint32_t node, const oq_rt_tensor *outs)
{
    oq_calib *c = ctx;
    const oq_node *nd = &g->nodes[node];
    for (uint32_t i = 0; i < nd->nout; i++)
        if (outs[i].dtype == OQ_DT_FLOAT)
            observe(c, nd->out[i], &outs[i]);
    return true;
}

oq_status oq_calib_feed(oq_calib *c, const oq_graph *g, const oq_rt_tensor *in, oq_diag *d)
{
    if (g->nvalue != c->nvalue)
        return oq_errorf(d, g, OQ_NONE, OQ_ERR_INTERNAL, "calibration state is for another graph");
    if (!c->it || c->g != g) {
        oq_interp_free(c->it);
        c->it = NULL;
        oq_status st = oq_interp_new(g, &c->it, d);
        if (st != OQ_OK)
            return st;
        c->g = g;
    }
    for (uint32_t i = 0; i < g->ninput; i++)
        observe(c, g->inputs[i], &in[i]);
    oq_rt_tensor outs[64];
    oq_rt_tensor *op = g->noutput <= 64 ? outs : malloc(g->noutput * sizeof *op);
    if (!op)
        return oq_errorf(d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
    oq_status st = oq_interp_run(c->it, in, op, hook, c, d);
    if (op != outs)
        free(op);
    if (st == OQ_OK)
        c->nsamples++;
    return st;
}

bool oq_calib_range(const oq_calib *c, uint32_t v, oq_obs_kind k, float percentile, float *lo,
                    float *hi)
{
    if (!c || v >= c->nvalue || c->slot[v] == OQ_NONE)
        return false;
    const oq_observer *h = &c->hist[c->slot[v]];
    if (h->nobs == 0)
        return false;
    switch (k) {
    case OQ_OBS_MINMAX:
        *lo = h->min[0];
        *hi = h->max[0];
        break;
    case OQ_OBS_MOVING_AVG: {
        const oq_observer *a = &c->avg[c->slot[v]];
        *lo = a->min[0];
        *hi = a->max[0];
        break;
    }
    case OQ_OBS_MSE:
    case OQ_OBS_ENTROPY:
    case OQ_OBS_PERCENTILE: {
        oq_observer tmp = *h;               /* same histogram, another range choice */
        tmp.kind = k;
        tmp.vt = k == OQ_OBS_MSE ? &oq_obs_mse_vt
               : k == OQ_OBS_ENTROPY ? &oq_obs_entropy_vt : &oq_obs_percentile_vt;
        tmp.percentile = percentile > 0 ? percentile : 99.99f;
        tmp.vt->finalize(&tmp, lo, hi);
        break;
    }
    default:
        return false;
    }
    return isfinite(*lo) && isfinite(*hi);
}

uint32_t oq_calib_samples(const oq_calib *c) { return c ? c->nsamples : 0; }

void oq_calib_done(oq_calib *c)
{
    if (!c)
        return;
    oq_interp_free(c->it);
    c->it = NULL;
    c->g = NULL;
}
