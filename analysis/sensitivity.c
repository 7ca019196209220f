/* One-at-a-time sensitivity (PyTorch's numeric-suite recipe): for each layer, the float graph
 * with only that layer quantized. Everything upstream of the layer stays float, so the layer's
 * output there is "this layer in int8 fed float inputs" (inputs, weights and output quantized
 * with the chosen qparams): its own error (act_sqnr); the model output of the same run gives the
 * sensitivity (sens_sqnr, and top-1 on an eval set). Weight SQNR compares the float weight
 * with the dequantized int8 weight of that graph, per output channel. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"

/* Per-channel sums in double; exact channels count as +inf and stay out of the mean. */
void oq_weight_sqnr(const float *wf, const float *wq, const oq_shape *ws, int axis, float *min,
                    float *mean)
{
    int64_t n = oq_shape_numel(ws), C = axis >= 0 && axis < ws->rank ? ws->dim[axis] : 1;
    int64_t inner = 1;
    for (int i = axis + 1; axis >= 0 && i < ws->rank; i++)
        inner *= ws->dim[i];
    double *sig = calloc((size_t)(2 * C + 1), sizeof *sig);
    *min = *mean = NAN;
    if (!sig || n <= 0)
        goto out;
    double *err = sig + C;
    for (int64_t i = 0; i < n; i++) {
        int64_t c = (i / inner) % C;
        double e = (double)wf[i] - (double)wq[i];
        sig[c] += (double)wf[i] * wf[i];
        err[c] += e * e;
    }
    double sum = 0, lo = INFINITY;
    int64_t nfin = 0;
    for (int64_t c = 0; c < C; c++) {
        if (err[c] == 0)
            continue;          /* exact channel: +inf, left out of the mean */
        double db = sig[c] > 0 ? 10.0 * log10(sig[c] / err[c]) : -INFINITY;
        lo = db < lo ? db : lo;
        sum += db;
        nfin++;
    }
    *min = (float)lo;
    *mean = nfin ? (float)(sum / (double)nfin) : INFINITY;
out:
    free(sig);
}

/* Node called name in g, OQ_NONE if none. */
static uint32_t find_node(const oq_graph *g, const char *name, oq_op op)
{
    for (uint32_t i = 0; i < g->nnode; i++)
        if (!g->nodes[i].dead && g->nodes[i].op == op && strcmp(g->nodes[i].name, name) == 0)
            return i;
    return OQ_NONE;
}

/* Zero point i of constant zv (u8 / i8 / i32), 0 when absent. */
static int32_t zp_at(const oq_graph *g, uint32_t zv, int64_t i)
{
    if (zv == OQ_NONE || !g->values[zv].data)
        return 0;
    switch (g->values[zv].dtype) {
    case OQ_DT_UINT8: return ((const uint8_t *)g->values[zv].data)[i];
    case OQ_DT_INT8: return ((const int8_t *)g->values[zv].data)[i];
    case OQ_DT_INT32: return ((const int32_t *)g->values[zv].data)[i];
    default: return 0;
    }
}

/* Weight figures of layer node fn (float graph) against the dequantized weight of node qn of
 * quantized graph qg (a DequantizeLinear of a constant int8/uint8 tensor feeding input 1): SQNR
 * per output channel (worst / mean) and the range of the weight scales. NAN when qn has no such
 * weight or its shape differs. */
void oq_dq_weight_figures(const oq_graph *fg, uint32_t fn, const oq_graph *qg, uint32_t qn,
                          float *min, float *mean, float *smin, float *smax)
{
    *min = *mean = *smin = *smax = NAN;
    const oq_node *f = &fg->nodes[fn];
    if (qn == OQ_NONE || f->nin < 2 || f->in[1] == OQ_NONE || !fg->values[f->in[1]].data ||
        fg->values[f->in[1]].dtype != OQ_DT_FLOAT || qg->nodes[qn].nin < 2)
        return;
    uint32_t wd = qg->nodes[qn].in[1];
    uint32_t p = wd != OQ_NONE ? qg->values[wd].producer : OQ_NONE;
    if (p == OQ_NONE || qg->nodes[p].op != OQ_OP_DequantizeLinear)
        return;
    const oq_node *dq = &qg->nodes[p];
    uint32_t wq = dq->in[0], sv = dq->in[1], zv = dq->nin > 2 ? dq->in[2] : OQ_NONE;
    const oq_value *W = &fg->values[f->in[1]], *Q = &qg->values[wq];
    int64_t n = oq_shape_numel(&W->shape);
    if (sv == OQ_NONE || qg->values[sv].dtype != OQ_DT_FLOAT)
        return;
    int64_t ns = oq_shape_numel(&qg->values[sv].shape);
    if (!Q->data || !qg->values[sv].data || oq_shape_numel(&Q->shape) != n || n <= 0 || ns < 1 ||
        (Q->dtype != OQ_DT_INT8 && Q->dtype != OQ_DT_UINT8))
        return;
    int64_t ax = ir_attr_i(dq, OQ_A_DequantizeLinear_axis);
    if (ax < 0)
        ax += Q->shape.rank;
    if (ns > 1 && (ax < 0 || ax >= Q->shape.rank || Q->shape.dim[ax] != ns))
        return;
    int64_t inner = 1;
    for (int i = (int)ax + 1; ns > 1 && i < Q->shape.rank; i++)
        inner *= Q->shape.dim[i];
    float *deq = malloc((size_t)n * sizeof *deq);
    if (!deq)
        return;
    const float *sc = qg->values[sv].data;
    for (int64_t i = 0; i < n; i++) {
        int64_t c = ns > 1 ? (i / inner) % ns : 0;
        int32_t q = Q->dtype == OQ_DT_INT8 ? ((const int8_t *)Q->data)[i]
                                           : ((const uint8_t *)Q->data)[i];
        deq[i] = (float)(q - zp_at(qg, zv, c)) * sc[c];
    }
    float lo = INFINITY, hi = -INFINITY;
    for (int64_t c = 0; c < ns; c++) {
        lo = sc[c] < lo ? sc[c] : lo;
        hi = sc[c] > hi ? sc[c] : hi;
    }
    *smin = lo;
    *smax = hi;
    oq_weight_sqnr(W->data, deq, &W->shape, ir_weight_axis(fg, f), min, mean);
    free(deq);
}

/* Weight SQNR of layer node fn (float graph) against its dequantized weight in qg. */
static void layer_weight_sqnr(const oq_graph *fg, uint32_t fn, const oq_graph *qg, float *min,
                              float *mean)
{
    float smin, smax;
    const oq_node *f = &fg->nodes[fn];
    oq_dq_weight_figures(fg, fn, qg, find_node(qg, f->name, f->op), min, mean, &smin, &smax);
}

/* The qparams of value name in qg when a DequantizeLinear with constant scale writes it. */
static void output_qparams(const oq_graph *qg, const char *name, float *s, int32_t *z)
{
    *s = NAN;
    *z = 0;
    uint32_t v = ir_find_value(qg, name);
    uint32_t p = v != OQ_NONE ? qg->values[v].producer : OQ_NONE;
    if (p == OQ_NONE || qg->nodes[p].op != OQ_OP_DequantizeLinear)
        return;
    const oq_node *dq = &qg->nodes[p];
    if (dq->in[1] != OQ_NONE && qg->values[dq->in[1]].data)
        *s = ((const float *)qg->values[dq->in[1]].data)[0];
    *z = zp_at(qg, dq->nin > 2 ? dq->in[2] : OQ_NONE, 0);
}

/* Public wrapper of output_qparams. */
void oq_layer_output_qparams(const oq_graph *qg, const char *name, float *s, int32_t *z)
{
    output_qparams(qg, name, s, z);
}

/* Node hook: copies value `want` into dst (if ref is NULL) or accumulates its SQNR against ref;
 * stops the run after it when stop. */
typedef struct capture {
    uint32_t want;             /* value id */
    float *dst;                /* copy target (or NULL) */
    const float *ref;          /* compare against (or NULL) */
    oq_sqnr_acc *acc;
    int64_t n;                 /* elements */
    bool stop, got;
} capture;

static bool cap_hook(void *ctx, const oq_graph *g, uint32_t node, const oq_rt_tensor *outs)
{
    capture *c = ctx;
    const oq_node *nd = &g->nodes[node];
    for (uint32_t i = 0; i < nd->nout; i++) {
        if (nd->out[i] != c->want || !outs[i].data || outs[i].dtype != OQ_DT_FLOAT)
            continue;
        if (c->dst)
            memcpy(c->dst, outs[i].data, (size_t)c->n * sizeof(float));
        if (c->ref)
            oq_sqnr_add(c->acc, c->ref, outs[i].data, c->n);
        c->got = true;
        return !c->stop;
    }
    return true;
}

/* Float outputs once, then per layer: its "only this layer" graph over the samples. */
oq_status oq_layer_sensitivity(const oq_graph *fg, const oq_graph *ref, const oq_calib *c,
                               const oq_options *o,
                               const oq_layer *layers, uint32_t nlayers, const bool *skip,
                               const oq_samples *s, const oq_samples *e, oq_sensitivity *sens,
                               oq_diag *d)
{
    int64_t nf = oq_output_floats(fg);
    float *fout = malloc((size_t)(nf * (int64_t)s->n + 1) * sizeof *fout);
    float *qout = malloc((size_t)(nf + 1) * sizeof *qout);
    oq_rt_tensor *in = calloc(fg->ninput + 1, sizeof *in);
    oq_rt_tensor *outs = calloc(fg->noutput + 1, sizeof *outs);
    float *yref = NULL;
    oq_interp *fi = NULL, *qi = NULL;
    oq_graph *qg = NULL;
    oq_status st = OQ_OK;
    if (!fout || !qout || !in || !outs) {
        st = oq_errorf(d, fg, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((st = oq_interp_new(ref ? ref : fg, &fi, d)))
        goto out;
    for (uint32_t i = 0; i < s->n && st == OQ_OK; i++) {   /* the float model outputs */
        oq_samples_bind(fg, s, i, in);
        if ((st = oq_interp_run(fi, in, outs, NULL, NULL, d)) == OQ_OK)
            oq_copy_outputs(fg, outs, fout + (size_t)i * (size_t)nf);
    }
    uint32_t done = 0, todo = 0;
    for (uint32_t l = 0; l < nlayers; l++)
        todo += !(skip && skip[l]);
    for (uint32_t l = 0; l < nlayers && st == OQ_OK; l++) {
        oq_sensitivity *r = &sens[l];
        *r = (oq_sensitivity){false, NAN, NAN, NAN, NAN, NAN, NAN, 0};
        if (skip && skip[l])
            continue;
        if (o->progress)       /* layers measured so far, of those not skipped */
            o->progress(o->progress_ctx, ++done, todo);
        if ((st = oq_quantize_only(fg, c, o, layers, nlayers, l, &qg, d)) || !qg)
            continue;
        r->quantizable = true;
        const char *yname = fg->values[layers[l].output].name;
        layer_weight_sqnr(fg, layers[l].node, qg, &r->w_sqnr_min, &r->w_sqnr_mean);
        output_qparams(qg, yname, &r->scale, &r->zero_point);
        int64_t ny = oq_shape_numel(&fg->values[layers[l].output].shape);
        free(yref);
        yref = malloc((size_t)(ny + 1) * sizeof *yref);
        if (!yref) {
            st = oq_errorf(d, fg, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
            break;
        }
        if ((st = oq_interp_new(qg, &qi, d)))
            break;
        oq_sqnr_acc act = {0}, model = {0};
        for (uint32_t i = 0; i < s->n && st == OQ_OK; i++) {
            oq_samples_bind(fg, s, i, in);
            capture fc = {layers[l].output, yref, NULL, NULL, ny, true, false};
            if ((st = oq_interp_run(fi, in, outs, cap_hook, &fc, d)))
                break;
            capture qc = {ir_find_value(qg, yname), NULL, yref, &act, ny, false, false};
            if ((st = oq_interp_run(qi, in, outs, cap_hook, &qc, d)))
                break;
            oq_copy_outputs(qg, outs, qout);
            oq_sqnr_add(&model, fout + (size_t)i * (size_t)nf, qout, nf);
        }
        r->act_sqnr = oq_sqnr_db(&act);
        r->sens_sqnr = oq_sqnr_db(&model);
        oq_interp_free(qi);
        qi = NULL;
        if (st == OQ_OK && e)
            st = oq_measure_accuracy(qg, e, &r->sens_acc, d);
        oq_graph_free(qg);
        qg = NULL;
    }
out:
    oq_interp_free(fi);
    oq_interp_free(qi);
    oq_graph_free(qg);
    free(yref);
    free(fout);
    free(qout);
    free(in);
    free(outs);
    return st;
}
