/* Automatic mixed precision (--target-sqnr / --max-accuracy-drop): quantize everything; while
 * the target misses, leave the most sensitive remaining layer in float as well (one at a time,
 * in the order of the one-at-a-time sensitivity: lowest model output SQNR first, or lowest
 * top-1 first for an accuracy target, SQNR breaking ties) and measure again. Cost: the
 * sensitivity of every quantized layer (see analysis.h) plus one quantize + measure per layer
 * left float. The SQNR is measured on the calibration samples, accuracy on the eval set. */
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
    if ((st = oq_layer_sensitivity(fg, ref, c, o, layers, nl, skip, s, t->by_accuracy ? e : NULL,
                                   sens, d)))
        goto out;
    for (uint32_t l = 0; l < nl; l++)
        if (!skip[l] && sens[l].quantizable)
            order[nrank++] = l;
    rank(order, nrank, sens, t->by_accuracy);
    for (uint32_t k = 0; k < nrank && !res->met; k++) {
        names[k] = fg->nodes[layers[order[k]].node].name;
        res->float_nodes[res->nfloat++] = layers[order[k]].node;
        oq_graph_free(q);
        q = NULL;
        if ((st = quiet_copy(fg, ref, c, o, names, k + 1, &q, d)) ||
            (st = measure(fr, q, s, e, t, &res->sqnr, &res->acc, d)))
            goto out;
        res->met = meets(t, res->sqnr, res->acc, res->acc_fp32);
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
}
