/* oq_report_build: the figures of `onnxq report`. One pass over the samples runs the float
 * graph and the full int8 graph side by side (cumulative SQNR of every layer's output, model
 * output SQNR, activation histograms over the observed min..max); the one-at-a-time figures
 * come from oq_layer_sensitivity; each observer kind's range from the calibration state. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"

/* Frees r->layers; r may be NULL or already freed. */
void oq_report_free(oq_report *r)
{
    if (!r)
        return;
    free(r->layers);
    r->layers = NULL;
    r->nlayers = 0;
}

/* Per-sample state of the side-by-side pass. */
typedef struct side {
    const oq_graph *fg;
    uint32_t *lay_of;          /* value id (fg or qg) -> report layer index, OQ_NONE */
    uint32_t nval;
    float **buf;               /* per layer: the float output of the current sample */
    int64_t *len;              /* per layer: elements */
    oq_sqnr_acc *cum;          /* per layer */
    oq_sqnr_acc *acc;          /* where quant_hook adds: cum, or ocum for the --compare model */
    oq_sqnr_acc *ocum;         /* per layer: the --compare model */
    const oq_act_qp *qp, *oqp; /* per layer: onnxq's and the other model's output qparams */
    oq_sqnr_acc *out, *oout;   /* per layer: output quantization error with qp / oqp */
    oq_layer_report *rl;       /* report layers (histograms) */
} side;

/* Adds n values to l's histogram over [hist_lo, hist_hi] (outside values clamp to the ends). */
static void bin(oq_layer_report *l, const float *x, int64_t n)
{
    double w = (double)l->hist_hi - (double)l->hist_lo;
    for (int64_t i = 0; i < n; i++) {
        int64_t b = w > 0 ? (int64_t)(((double)x[i] - l->hist_lo) / w * OQ_REPORT_BINS) : 0;
        b = b < 0 ? 0 : b >= OQ_REPORT_BINS ? OQ_REPORT_BINS - 1 : b;
        l->hist[b] += 1;
    }
}

/* Float run: keeps each layer output of the sample and bins it. */
static bool float_hook(void *ctx, const oq_graph *g, uint32_t node, const oq_rt_tensor *outs)
{
    side *s = ctx;
    const oq_node *nd = &g->nodes[node];
    for (uint32_t i = 0; i < nd->nout; i++) {
        uint32_t v = nd->out[i];
        if (v == OQ_NONE || v >= s->nval || s->lay_of[v] == OQ_NONE || !outs[i].data)
            continue;
        uint32_t l = s->lay_of[v];
        memcpy(s->buf[l], outs[i].data, (size_t)s->len[l] * sizeof(float));
        bin(&s->rl[l], outs[i].data, s->len[l]);
        oq_fakequant_sqnr_add(&s->out[l], outs[i].data, s->len[l], &s->qp[l]);
        oq_fakequant_sqnr_add(&s->oout[l], outs[i].data, s->len[l], &s->oqp[l]);
    }
    return true;
}

/* Int8 run (onnxq's or the --compare model): accumulates each layer output's SQNR against the
 * float one kept. */
static bool quant_hook(void *ctx, const oq_graph *g, uint32_t node, const oq_rt_tensor *outs)
{
    side *s = ctx;
    const oq_node *nd = &g->nodes[node];
    for (uint32_t i = 0; i < nd->nout; i++) {
        uint32_t v = nd->out[i];
        if (v == OQ_NONE || v >= s->nval || s->lay_of[v] == OQ_NONE || !outs[i].data ||
            outs[i].dtype != OQ_DT_FLOAT)
            continue;
        uint32_t l = s->lay_of[v];
        oq_sqnr_add(&s->acc[l], s->buf[l], outs[i].data, s->len[l]);
    }
    return true;
}

/* Fills the layer name fields of rl from float-graph layer L. */
static void names(const oq_graph *fg, const oq_layer *L, uint32_t idx, oq_layer_report *rl)
{
    const oq_node *nd = &fg->nodes[L->node];
    if (nd->name && nd->name[0])
        snprintf(rl->name, sizeof rl->name, "%s", nd->name);
    else
        snprintf(rl->name, sizeof rl->name, "%s_%u", nd->op_type, idx);
    snprintf(rl->op, sizeof rl->op, "%s", nd->op_type);
    snprintf(rl->output, sizeof rl->output, "%s", fg->values[L->output].name);
}

/* One sample through quantized graph q (interpreter qi; lay: its value id -> layer): each
 * layer output's SQNR into acc, the model output's against ref (nf floats) into model. */
static oq_status quant_run(side *sd, oq_interp *qi, const oq_graph *q, uint32_t *lay,
                           oq_sqnr_acc *acc, const oq_rt_tensor *in, oq_rt_tensor *outs,
                           const float *ref, float *got, int64_t nf, oq_sqnr_acc *model,
                           oq_diag *d)
{
    uint32_t *fl = sd->lay_of;
    sd->lay_of = lay;
    sd->acc = acc;
    oq_status st = oq_interp_run(qi, in, outs, quant_hook, sd, d);
    sd->lay_of = fl;
    if (st == OQ_OK) {
        oq_copy_outputs(q, outs, got);
        oq_sqnr_add(model, ref, got, nf);
    }
    return st;
}

/* The side-by-side pass: cumulative and output-quantization SQNR per layer, model SQNR,
 * histograms; the same figures for the --compare model og (layer k's output: its value
 * ovalue[k]) when given. */
static oq_status side_by_side(const oq_graph *fg, const oq_graph *qg, const oq_graph *og,
                              const uint32_t *ovalue, const oq_act_qp *qp, const oq_act_qp *oqp,
                              const oq_layer *layers, const uint32_t *keep, uint32_t nk,
                              const oq_samples *s, oq_report *r, oq_diag *d)
{
    side sd = {.fg = fg, .rl = r->layers, .qp = qp, .oqp = oqp};
    sd.nval = fg->nvalue > qg->nvalue ? fg->nvalue : qg->nvalue;
    if (og && og->nvalue > sd.nval)
        sd.nval = og->nvalue;
    sd.lay_of = malloc((sd.nval + 1) * sizeof *sd.lay_of);
    uint32_t *qlay = malloc((sd.nval + 1) * sizeof *qlay);
    uint32_t *olay = malloc((sd.nval + 1) * sizeof *olay);
    sd.buf = calloc(nk + 1, sizeof *sd.buf);
    sd.len = calloc(nk + 1, sizeof *sd.len);
    sd.cum = calloc(nk + 1, sizeof *sd.cum);
    sd.ocum = calloc(nk + 1, sizeof *sd.ocum);
    sd.out = calloc(nk + 1, sizeof *sd.out);
    sd.oout = calloc(nk + 1, sizeof *sd.oout);
    int64_t nf = oq_output_floats(fg);
    float *ref = malloc((size_t)(nf + 1) * sizeof *ref), *got = malloc((size_t)(nf + 1) * 4);
    oq_rt_tensor *in = calloc(fg->ninput + 1, sizeof *in);
    oq_rt_tensor *outs = calloc(fg->noutput + 1, sizeof *outs);
    oq_interp *fi = NULL, *qi = NULL, *oi = NULL;
    oq_sqnr_acc model = {0}, omodel = {0};
    oq_status st = OQ_OK;
    if (!sd.lay_of || !qlay || !olay || !sd.buf || !sd.len || !sd.cum || !sd.ocum || !sd.out ||
        !sd.oout || !ref || !got || !in || !outs)
        goto nomem;
    for (uint32_t v = 0; v <= sd.nval; v++)
        sd.lay_of[v] = qlay[v] = olay[v] = OQ_NONE;
    for (uint32_t k = 0; k < nk; k++) {
        uint32_t y = layers[keep[k]].output;
        sd.lay_of[y] = k;
        uint32_t qy = ir_find_value(qg, fg->values[y].name);
        if (qy != OQ_NONE)
            qlay[qy] = k;
        if (og && ovalue[k] != OQ_NONE)
            olay[ovalue[k]] = k;
        sd.len[k] = oq_shape_numel(&fg->values[y].shape);
        if (!(sd.buf[k] = malloc((size_t)(sd.len[k] + 1) * sizeof(float))))
            goto nomem;
    }
    if ((st = oq_interp_new(fg, &fi, d)) || (st = oq_interp_new(qg, &qi, d)) ||
        (og && (st = oq_interp_new(og, &oi, d))))
        goto out;
    for (uint32_t i = 0; i < s->n && st == OQ_OK; i++) {
        oq_samples_bind(fg, s, i, in);
        if ((st = oq_interp_run(fi, in, outs, float_hook, &sd, d)))
            break;
        oq_copy_outputs(fg, outs, ref);
        if ((st = quant_run(&sd, qi, qg, qlay, sd.cum, in, outs, ref, got, nf, &model, d)))
            break;
        if (oi && (st = quant_run(&sd, oi, og, olay, sd.ocum, in, outs, ref, got, nf, &omodel,
                                  d)))
            break;
    }
    for (uint32_t k = 0; k < nk; k++) {
        r->layers[k].cum_sqnr = oq_sqnr_db(&sd.cum[k]);
        r->layers[k].out_sqnr = oq_sqnr_db(&sd.out[k]);
        r->layers[k].cmp.out_sqnr = oq_sqnr_db(&sd.oout[k]);
        r->layers[k].cmp.cum_sqnr = oq_sqnr_db(&sd.ocum[k]);
    }
    r->model_sqnr = oq_sqnr_db(&model);
    r->cmp_model_sqnr = og ? oq_sqnr_db(&omodel) : NAN;
    goto out;
nomem:
    st = oq_errorf(d, fg, OQ_NONE, OQ_ERR_NOMEM, "out of memory for the report");
out:
    oq_interp_free(fi);
    oq_interp_free(qi);
    oq_interp_free(oi);
    for (uint32_t k = 0; sd.buf && k < nk; k++)
        free(sd.buf[k]);
    free(sd.buf);
    free(sd.len);
    free(sd.cum);
    free(sd.ocum);
    free(sd.out);
    free(sd.oout);
    free(sd.lay_of);
    free(qlay);
    free(olay);
    free(ref);
    free(got);
    free(in);
    free(outs);
    return st;
}

/* Sensitivity first (it decides which layers exist), then the side-by-side pass. */
oq_status oq_report_build(const oq_graph *fg, const oq_graph *ref, const oq_calib *c,
                          const oq_options *o,
                          const oq_samples *s, const oq_samples *e, const char *model,
                          const oq_graph *og, const char *other, oq_report *r, oq_diag *d)
{
    memset(r, 0, sizeof *r);
    snprintf(r->model, sizeof r->model, "%s", model ? model : "");
    snprintf(r->observer, sizeof r->observer, "%s", oq_observer_name(o->observer));
    r->samples = s->n;
    snprintf(r->compare, sizeof r->compare, "%s", og && other ? other : "");
    r->model_sqnr = r->acc_fp32 = r->acc_int8 = r->cmp_model_sqnr = r->acc_cmp = NAN;
    r->eval_samples = e ? e->rows : 0;
    oq_layer *layers = NULL;
    uint32_t nl = 0, nk = 0;
    oq_sensitivity *sens = NULL;
    uint32_t *keep = NULL, *ovalue = NULL;
    oq_act_qp *qp = NULL, *oqp = NULL;
    oq_graph *qg = NULL;
    oq_status st = oq_find_layers(fg, &layers, &nl, d);
    if (st != OQ_OK)
        return st;
    sens = calloc(nl + 1, sizeof *sens);
    keep = calloc(nl + 1, sizeof *keep);
    r->layers = calloc(nl + 1, sizeof *r->layers);
    ovalue = calloc(nl + 1, sizeof *ovalue);
    qp = calloc(nl + 1, sizeof *qp);
    oqp = calloc(nl + 1, sizeof *oqp);
    if (!sens || !keep || !r->layers || !ovalue || !qp || !oqp) {
        st = oq_errorf(d, fg, OQ_NONE, OQ_ERR_NOMEM, "out of memory for the report");
        goto out;
    }
    if ((st = oq_layer_sensitivity(fg, ref, c, o, layers, nl, NULL, s, e, sens, d)))
        goto out;
    if ((st = oq_quantize_copy(fg, c, o, NULL, 0, &qg, d)))
        goto out;
    for (uint32_t l = 0; l < nl; l++) {
        if (!sens[l].quantizable)
            continue;          /* the quantizer never turns it into an integer kernel */
        oq_layer_report *rl = &r->layers[nk];
        names(fg, &layers[l], l, rl);
        rl->quantized = oq_layer_quantized(qg, rl->output);
        rl->weight_sqnr_min = sens[l].w_sqnr_min;
        rl->weight_sqnr_mean = sens[l].w_sqnr_mean;
        rl->act_sqnr = sens[l].act_sqnr;
        rl->sens_sqnr = sens[l].sens_sqnr;
        rl->sens_acc = sens[l].sens_acc;
        rl->cum_sqnr = NAN;
        rl->scale = sens[l].scale;
        rl->zero_point = sens[l].zero_point;
        if (rl->quantized)
            oq_layer_output_qparams(qg, rl->output, &rl->scale, &rl->zero_point);
        for (int k = 0; k < OQ_OBS_COUNT; k++) {
            rl->range_lo[k] = rl->range_hi[k] = NAN;
            oq_calib_range(c, layers[l].output, (oq_obs_kind)k, o->percentile, &rl->range_lo[k],
                           &rl->range_hi[k]);
        }
        rl->hist_lo = rl->range_lo[OQ_OBS_MINMAX];
        rl->hist_hi = rl->range_hi[OQ_OBS_MINMAX];
        if (!isfinite(rl->hist_lo) || !isfinite(rl->hist_hi))
            rl->hist_lo = rl->hist_hi = 0;
        keep[nk++] = l;
    }
    r->nlayers = nk;
    oq_compare_match(fg, qg, og, layers, keep, nk, r, ovalue, qp, oqp);
    if (og && nk > 0 && r->cmp_matched == 0) {
        st = oq_errorf(d, NULL, OQ_NONE, OQ_ERR_INVALID_MODEL, "--compare %s: none of the %u "
                       "layers of %s has a counterpart there (same node name and op, or as many "
                       "nodes of the op): not the same network?", other, nk, r->model);
        goto out;
    }
    if ((st = side_by_side(ref ? ref : fg, qg, og, ovalue, qp, oqp, layers, keep, nk, s, r, d)))
        goto out;
    if (e && (st = oq_measure_accuracy(ref ? ref : fg, e, &r->acc_fp32, d)) == OQ_OK)
        st = oq_measure_accuracy(qg, e, &r->acc_int8, d);
    if (e && og && st == OQ_OK)
        st = oq_measure_accuracy(og, e, &r->acc_cmp, d);
out:
    oq_graph_free(qg);
    free(layers);
    free(sens);
    free(keep);
    free(ovalue);
    free(qp);
    free(oqp);
    if (st != OQ_OK)
        oq_report_free(r);
    return st;
}
