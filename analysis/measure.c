/* Measuring with the reference interpreter: SQNR accumulators (double sums, so the figure does
 * not depend on how samples are grouped), model output SQNR of one graph against another over
 * a sample set, and top-1 accuracy on a labelled eval set. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "analysis.h"

/* Adds n elements of reference ref and approximation x to a (double sums). */
void oq_sqnr_add(oq_sqnr_acc *a, const float *ref, const float *x, int64_t n)
{
    double s = 0, e = 0;
    for (int64_t i = 0; i < n; i++) {
        double r = ref[i], dx = (double)ref[i] - (double)x[i];
        s += r * r;
        e += dx * dx;
    }
    a->signal += s;
    a->noise += e;
    a->n += n;
}

/* The SQNR of a in dB (special values: analysis.h). */
float oq_sqnr_db(const oq_sqnr_acc *a)
{
    if (a->n == 0)
        return NAN;
    if (a->noise == 0)
        return INFINITY;
    if (a->signal == 0)
        return -INFINITY;
    return (float)(10.0 * log10(a->signal / a->noise));
}

/* Points rt[k] at sample i of input k, with g's dtype and shape. */
void oq_samples_bind(const oq_graph *g, const oq_samples *s, uint32_t i, oq_rt_tensor *rt)
{
    for (uint32_t k = 0; k < g->ninput && k < s->ninput; k++) {
        const oq_value *v = &g->values[g->inputs[k]];
        rt[k].dtype = v->dtype;
        rt[k].shape = v->shape;
        rt[k].data = s->data[k] + (size_t)i * s->bytes[k];
    }
}

/* Total float elements over g's outputs (the pooled model output). */
static int64_t output_floats(const oq_graph *g)
{
    int64_t n = 0;
    for (uint32_t i = 0; i < g->noutput; i++)
        if (g->values[g->outputs[i]].dtype == OQ_DT_FLOAT)
            n += oq_shape_numel(&g->values[g->outputs[i]].shape);
    return n;
}

int64_t oq_output_floats(const oq_graph *g) { return output_floats(g); }

/* Copies g's float outputs, in order, into dst (oq_output_floats elements). */
void oq_copy_outputs(const oq_graph *g, const oq_rt_tensor *outs, float *dst)
{
    for (uint32_t i = 0; i < g->noutput; i++) {
        if (g->values[g->outputs[i]].dtype != OQ_DT_FLOAT)
            continue;
        int64_t n = oq_shape_numel(&outs[i].shape);
        memcpy(dst, outs[i].data, (size_t)n * sizeof(float));
        dst += n;
    }
}

/* Runs f and q on every sample; *db = pooled output SQNR of q against f. */
oq_status oq_measure_sqnr(const oq_graph *f, const oq_graph *q, const oq_samples *s, float *db,
                          oq_diag *d)
{
    oq_interp *fi = NULL, *qi = NULL;
    int64_t nf = output_floats(f);
    float *ref = malloc((size_t)(nf + 1) * sizeof *ref), *got = malloc((size_t)(nf + 1) * 4);
    oq_rt_tensor *in = calloc(f->ninput + 1, sizeof *in);
    oq_rt_tensor *outs = calloc(f->noutput + 1, sizeof *outs);
    oq_sqnr_acc acc = {0};
    oq_status st = OQ_OK;
    if (!ref || !got || !in || !outs || output_floats(q) != nf || q->noutput != f->noutput) {
        st = oq_errorf(d, q, OQ_NONE, ref && got && in && outs ? OQ_ERR_INTERNAL : OQ_ERR_NOMEM,
                       "cannot compare the model outputs");
        goto out;
    }
    if ((st = oq_interp_new(f, &fi, d)) || (st = oq_interp_new(q, &qi, d)))
        goto out;
    for (uint32_t i = 0; i < s->n && st == OQ_OK; i++) {
        oq_samples_bind(f, s, i, in);
        if ((st = oq_interp_run(fi, in, outs, NULL, NULL, d)))
            break;
        oq_copy_outputs(f, outs, ref);
        if ((st = oq_interp_run(qi, in, outs, NULL, NULL, d)))
            break;
        oq_copy_outputs(q, outs, got);
        oq_sqnr_add(&acc, ref, got, nf);
    }
    *db = oq_sqnr_db(&acc);
out:
    oq_interp_free(fi);
    oq_interp_free(qi);
    free(ref);
    free(got);
    free(in);
    free(outs);
    return st;
}

/* Rows of out0 whose argmax equals the label (padding rows, label -1, skipped). */
int64_t oq_top1_correct(const oq_graph *g, const oq_rt_tensor *out0, const oq_samples *e,
                        uint32_t i)
{
    int64_t n = oq_shape_numel(&out0->shape), b = e->batch ? e->batch : 1;
    int64_t classes = n / b, correct = 0;
    const float *p = out0->data;
    (void)g;
    for (int64_t r = 0; r < b && classes > 0; r++) {
        int64_t lab = e->labels[(size_t)i * (size_t)b + (size_t)r];
        if (lab < 0)
            continue;
        int64_t best = 0;
        for (int64_t c = 1; c < classes; c++)
            if (p[r * classes + c] > p[r * classes + best])
                best = c;
        correct += best == lab;
    }
    return correct;
}

/* Top-1 % of g over the labelled rows of e (NAN without labels). */
oq_status oq_measure_accuracy(const oq_graph *g, const oq_samples *e, float *pct, oq_diag *d)
{
    *pct = NAN;
    if (!e || !e->labels || e->rows == 0)
        return OQ_OK;
    if (g->noutput < 1 || g->values[g->outputs[0]].dtype != OQ_DT_FLOAT)
        return oq_errorf(d, g, OQ_NONE, OQ_ERR_USAGE, "accuracy wants a float first output "
                         "[batch, classes]");
    oq_interp *it = NULL;
    oq_rt_tensor *in = calloc(g->ninput + 1, sizeof *in);
    oq_rt_tensor *outs = calloc(g->noutput + 1, sizeof *outs);
    oq_status st = in && outs ? oq_interp_new(g, &it, d)
                              : oq_errorf(d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
    int64_t correct = 0;
    for (uint32_t i = 0; st == OQ_OK && i < e->n; i++) {
        oq_samples_bind(g, e, i, in);
        if ((st = oq_interp_run(it, in, outs, NULL, NULL, d)) == OQ_OK)
            correct += oq_top1_correct(g, &outs[0], e, i);
    }
    if (st == OQ_OK)
        *pct = (float)(100.0 * (double)correct / (double)e->rows);
    oq_interp_free(it);
    free(in);
    free(outs);
    return st;
}
