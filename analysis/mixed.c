/* Automatic mixed precision (--target-sqnr / --max-accuracy-drop): quantize everything; when
 * the target misses, rank the layers by one-at-a-time sensitivity (lowest model output SQNR
 * first, or lowest top-1 first for an accuracy target, SQNR breaking ties), find by bisection
 * the fewest most-sensitive layers to leave float, then try to bring each of those back to int8
 * with another observer on its output. Cost: the sensitivity of every quantized layer (see
 * analysis.h), about log2(layers) quantize + measure steps for the bisection and two per float
 * layer for the observer trial (up to OQ_MIXED_PRUNE_MAX float layers). The SQNR is measured on
 * the calibration samples, accuracy on the eval set. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"

/* oq_quantize_copy without the quantizer's warnings (they belong to the final graph); layers
 * left float get their reference biases back. */
static oq_status quiet_copy(const oq_graph *fg, const oq_graph *ref, const oq_calib *c,
                            const oq_options *o, const char *const *extra, uint32_t nextra,
                            oq_graph **out, oq_diag *d)
{
    oq_diag quiet = {.file = d->file};
    oq_status st = oq_quantize_copy(fg, c, o, extra, nextra, out, &quiet);
    if (st != OQ_OK)
        return oq_diag_forward(d, &quiet);
    if (ref && nextra)
        oq_restore_float_biases(*out, ref);
    return OQ_OK;
}

/* Matches nodes by name and op; refills uses when a bias changed. */
void oq_restore_float_biases(oq_graph *q, const oq_graph *ref)
{
    bool changed = false;
    for (uint32_t n = 0; n < q->nnode; n++) {
        oq_node *nd = &q->nodes[n];
        if (nd->dead || !(oq_op_info(nd->op)->flags & OQ_OPF_WEIGHTS) || nd->nin < 3 ||
            nd->in[2] == OQ_NONE || !q->values[nd->in[2]].data)
            continue;          /* a quantized bias is a DequantizeLinear output, not a constant */
        uint32_t w = nd->in[1], p = w != OQ_NONE ? q->values[w].producer : OQ_NONE;
        if (p != OQ_NONE && q->nodes[p].op == OQ_OP_DequantizeLinear)
            continue;
        for (uint32_t m = 0; m < ref->nnode; m++) {
            const oq_node *rn = &ref->nodes[m];
            if (rn->dead || rn->op != nd->op || rn->nin < 3 || strcmp(rn->name, nd->name) != 0)
                continue;
            uint32_t b = rn->in[2];
            if (b != OQ_NONE && b != nd->in[2] && b < q->nvalue && q->values[b].data &&
                strcmp(q->values[b].name, ref->values[b].name) == 0) {
                nd->in[2] = b;
                changed = true;
            }
            break;
        }
    }
    if (changed)
        ir_fill_uses(q);
}

static bool meets(const oq_mixed_target *t, float sqnr, float acc, float acc_fp32)
{
    if (t->by_sqnr && !(sqnr >= t->sqnr_db))
        return false;
    if (t->by_accuracy && !(acc_fp32 - acc <= t->max_drop))
        return false;
    return true;
}

/* Measures graph q: SQNR against fg on s; top-1 on e when the target needs it. */
static oq_status measure(const oq_graph *fg, const oq_graph *q, const oq_samples *s,
                         const oq_samples *e, const oq_mixed_target *t, float *sqnr, float *acc,
                         oq_diag *d)
{
    *acc = NAN;
    oq_status st = oq_measure_sqnr(fg, q, s, sqnr, d);
    if (st == OQ_OK && t->by_accuracy)
        st = oq_measure_accuracy(q, e, acc, d);
    return st;
}

/* Layer a is more sensitive than layer b (lower top-1 when ranking by accuracy, then lower
 * model SQNR); ties keep graph order. */
static bool before(const oq_sensitivity *sens, bool by_acc, uint32_t a, uint32_t b)
{
    const oq_sensitivity *x = &sens[a], *y = &sens[b];
    if (by_acc && x->sens_acc != y->sens_acc)
        return x->sens_acc < y->sens_acc;
    if (x->sens_sqnr != y->sens_sqnr)
        return x->sens_sqnr < y->sens_sqnr;
    return a < b;
}

/* Insertion sort of order[n] (a few hundred layers at most), most sensitive first. */
static void rank(uint32_t *order, uint32_t n, const oq_sensitivity *sens, bool by_acc)
{
    for (uint32_t i = 1; i < n; i++) {
        uint32_t x = order[i], j = i;
        for (; j > 0 && before(sens, by_acc, x, order[j - 1]); j--)
            order[j] = order[j - 1];
        order[j] = x;
    }
}

#define OQ_MIXED_PRUNE_MAX 48   /* float layers the observer trial still tries, at most */

typedef struct search {
    const oq_graph *fg, *ref, *fr;
    const oq_calib *c;
    const oq_options *o;
    const oq_samples *s, *e;
    const oq_mixed_target *t;
    oq_mixed_result *res;
    oq_diag *d;
    uint32_t step, steps;      /* progress within the phase */
} search;

static void phase(search *x, const char *name, uint32_t steps)
{
    x->step = 0;
    x->steps = steps;
    if (x->t->phase)
        x->t->phase(x->t->phase_ctx, name, steps);
}

/* Quantizes with the first n names float and the extra overrides ov (nov) added to o's;
 * *met and the figures of the result. A quantizer refusal of an override is *ok false. */
static oq_status try_set(search *x, const char *const *names, uint32_t n, const oq_override *ov,
                         uint32_t nov, bool *ok, float *sqnr, float *acc)
{
    oq_options o = *x->o;
    oq_override *all = NULL;
    *ok = false;
    if (nov) {
        all = calloc(x->o->noverride + nov, sizeof *all);
        if (!all)
            return oq_errorf(x->d, x->fg, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
        if (x->o->noverride)
            memcpy(all, x->o->overrides, x->o->noverride * sizeof *all);
        memcpy(all + x->o->noverride, ov, nov * sizeof *all);
        for (uint32_t i = x->o->noverride; i < x->o->noverride + nov; i++)
            all[i].tensor = all[i].buf;
        o.overrides = all;
        o.noverride = x->o->noverride + nov;
    }
    oq_graph *q = NULL;
    oq_diag quiet = {.file = x->d->file};
    oq_status st = quiet_copy(x->fg, x->ref, x->c, &o, names, n, &q, nov ? &quiet : x->d);
    if (st != OQ_OK && nov) {   /* the override does not apply: not a candidate */
        free(all);
        return OQ_OK;
    }
    if (st == OQ_OK)
        st = measure(x->fr, q, x->s, x->e, x->t, sqnr, acc, x->d);
    *ok = st == OQ_OK;
    oq_graph_free(q);
    free(all);
    x->res->measured++;
    if (x->o->progress && x->steps)
        x->o->progress(x->o->progress_ctx, ++x->step < x->steps ? x->step : x->steps, x->steps);
    return st;
}

/* Bisection over k, the number of most sensitive layers (order[0..k)) left float: the least k
 * in [1, n] that meets the target, assuming more float layers never lower the figure (the
 * result is measured, so a non-monotone model costs float layers, not the target). */
static oq_status bisect(search *x, const uint32_t *order, const oq_layer *layers, uint32_t n,
                        const char **names, uint32_t *kout)
{
    oq_mixed_result *res = x->res;
    for (uint32_t k = 0; k < n; k++)
        names[k] = x->fg->nodes[layers[order[k]].node].name;
    uint32_t steps = 1;
    while ((1u << steps) < n && steps < 31)
        steps++;
    phase(x, "search", steps + 1);
    bool ok;
    float sq, acc;
    oq_status st = try_set(x, names, n, NULL, 0, &ok, &sq, &acc);
    if (st != OQ_OK)
        return st;
    float best_sq = sq, best_acc = acc;
    if (!meets(x->t, sq, acc, res->acc_fp32)) {
        res->sqnr = sq, res->acc = acc;
        *kout = n;
        return OQ_OK;
    }
    uint32_t lo = 0, hi = n;   /* lo misses (full int8), hi meets */
    while (hi - lo > 1 && st == OQ_OK) {
        uint32_t mid = lo + (hi - lo) / 2;
        if ((st = try_set(x, names, mid, NULL, 0, &ok, &sq, &acc)) != OQ_OK)
            break;
        if (meets(x->t, sq, acc, res->acc_fp32))
            hi = mid, best_sq = sq, best_acc = acc;
        else
            lo = mid;
    }
    res->sqnr = best_sq, res->acc = best_acc, res->met = true;
    *kout = hi;
    return st;
}

/* For the float layers names[0..*k), least sensitive first: keep the target with the layer
 * int8 under another observer for its output (percentile, then MSE)? Then it leaves the float
 * list and its override joins res->overrides. */
static oq_status observer_trial(search *x, const oq_layer *layers, const uint32_t *order,
                                const char **names, uint32_t *k)
{
    static const oq_obs_kind kinds[] = {OQ_OBS_PERCENTILE, OQ_OBS_MSE};
    oq_mixed_result *res = x->res;
    uint32_t n = *k;
    if (n == 0 || n > OQ_MIXED_PRUNE_MAX)
        return OQ_OK;
    uint32_t *idx = malloc(n * sizeof *idx);   /* layer index of names[i] */
    const char **set = calloc(n + 1, sizeof *set);
    res->overrides = calloc(n, sizeof *res->overrides);
    if (!idx || !set || !res->overrides) {
        free(idx);
        free((void *)set);
        return oq_errorf(x->d, x->fg, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
    }
    for (uint32_t i = 0; i < n; i++)
        idx[i] = order[i];
    phase(x, "observers", n * 2);
    oq_status st = OQ_OK;
    for (uint32_t j = n; j-- > 0 && st == OQ_OK;) {
        uint32_t m = 0;        /* the float set without layer j */
        for (uint32_t i = 0; i < *k; i++)
            if (i != j)
                set[m++] = names[i];
        const char *y = x->fg->values[layers[idx[j]].output].name;
        for (size_t q = 0; q < sizeof kinds / sizeof *kinds && st == OQ_OK; q++) {
            oq_override *ov = &res->overrides[res->noverride];
            memset(ov, 0, sizeof *ov);
            snprintf(ov->buf, sizeof ov->buf, "%s", y);
            ov->tensor = ov->buf;
            ov->observer = kinds[q];
            bool ok;
            float sq, acc;
            st = try_set(x, set, m, res->overrides, res->noverride + 1, &ok, &sq, &acc);
            if (st != OQ_OK || !ok || !meets(x->t, sq, acc, res->acc_fp32))
                continue;
            res->noverride++;  /* layer j goes back to int8 with this observer */
            res->sqnr = sq, res->acc = acc;
            memmove(&names[j], &names[j + 1], (*k - j - 1) * sizeof *names);
            memmove(&idx[j], &idx[j + 1], (*k - j - 1) * sizeof *idx);
            (*k)--;
            break;
        }
    }
    free(idx);
    free((void *)set);
    return st;
}

/* Full int8 first; sensitivities only when the target misses. */
oq_status oq_mixed_precision(const oq_graph *fg, const oq_graph *ref, const oq_calib *c,
                             const oq_options *o,
                             const oq_samples *s, const oq_samples *e, const oq_mixed_target *t,
                             oq_mixed_result *res, oq_diag *d)
{
    memset(res, 0, sizeof *res);
    res->int8_sqnr = res->sqnr = res->acc_fp32 = res->int8_acc = res->acc = NAN;
    if (t->by_accuracy && (!e || !e->labels || !e->rows))
        return oq_errorf(d, fg, OQ_NONE, OQ_ERR_USAGE,
                         "--max-accuracy-drop needs --eval X.npy --labels Y.npy");
    if (!s || s->n == 0)
        return oq_errorf(d, fg, OQ_NONE, OQ_ERR_USAGE, "mixed precision needs samples");
    oq_layer *layers = NULL;
    oq_sensitivity *sens = NULL;
    bool *skip = NULL;
    uint32_t *order = NULL, nl = 0, nrank = 0;
    const char **names = NULL;
    oq_graph *q = NULL;
    oq_status st = OQ_OK;
    const oq_graph *fr = ref ? ref : fg;    /* the float reference */
    search x = {fg, ref, fr, c, o, s, e, t, res, d, 0, 0};
    if (t->by_accuracy && (st = oq_measure_accuracy(fr, e, &res->acc_fp32, d)))
        return st;
    if ((st = quiet_copy(fg, ref, c, o, NULL, 0, &q, d)) ||
        (st = measure(fr, q, s, e, t, &res->int8_sqnr, &res->int8_acc, d)))
        goto out;
    res->sqnr = res->int8_sqnr;
    res->acc = res->int8_acc;
    if ((st = oq_find_layers(fg, &layers, &nl, d)))
        goto out;
    sens = calloc(nl + 1, sizeof *sens);
    skip = calloc(nl + 1, sizeof *skip);
    order = calloc(nl + 1, sizeof *order);
    names = calloc(nl + 1, sizeof *names);
    res->float_nodes = calloc(nl + 1, sizeof *res->float_nodes);
    if (!sens || !skip || !order || !names || !res->float_nodes) {
        st = oq_errorf(d, fg, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (uint32_t l = 0; l < nl; l++) {   /* only layers the full int8 graph quantizes */
        skip[l] = !oq_layer_quantized(q, fg->values[layers[l].output].name);
        res->nlayers += !skip[l];
    }
    res->met = meets(t, res->sqnr, res->acc, res->acc_fp32);
    if (res->met)
        goto out;
    phase(&x, "sensitivity", res->nlayers);
    if ((st = oq_layer_sensitivity(fg, ref, c, o, layers, nl, skip, s, t->by_accuracy ? e : NULL,
                                   sens, d)))
        goto out;
    for (uint32_t l = 0; l < nl; l++)
        if (!skip[l] && sens[l].quantizable)
            order[nrank++] = l;
    rank(order, nrank, sens, t->by_accuracy);
    uint32_t k = 0;
    if (nrank && (st = bisect(&x, order, layers, nrank, names, &k)) == OQ_OK && res->met)
        st = observer_trial(&x, layers, order, names, &k);
    if (st != OQ_OK)
        goto out;
    for (uint32_t i = 0; i < k; i++)   /* names[] is a subsequence of the ranked layers */
        for (uint32_t r = 0; r < nrank; r++)
            if (fg->nodes[layers[order[r]].node].name == names[i]) {
                res->float_nodes[res->nfloat++] = layers[order[r]].node;
                break;
            }
    if (!res->met) {
        if (t->by_accuracy)
            st = oq_errorf(d, fg, OQ_NONE, OQ_ERR_DATA,
                           "mixed precision: even with all %u quantized layers left in float, "
                           "top-1 %.2f%% is %.2f points below fp32 %.2f%% (target: at most "
                           "%.2f)", nrank, res->acc, res->acc_fp32 - res->acc, res->acc_fp32,
                           t->max_drop);
        else
            st = oq_errorf(d, fg, OQ_NONE, OQ_ERR_DATA,
                           "mixed precision: even with all %u quantized layers left in float, "
                           "the output SQNR is %.2f dB, below the target %.2f dB", nrank,
                           res->sqnr, t->sqnr_db);
    }
out:
    oq_graph_free(q);
    free(layers);
    free(sens);
    free(skip);
    free(order);
    free((void *)names);
    if (st != OQ_OK)
        oq_mixed_result_free(res);
    return st;
}

/* Frees the float layer list (res may be NULL). */
void oq_mixed_result_free(oq_mixed_result *res)
{
    if (!res)
        return;
    free(res->float_nodes);
    res->float_nodes = NULL;
    res->nfloat = 0;
    free(res->overrides);
    res->overrides = NULL;
    res->noverride = 0;
}
