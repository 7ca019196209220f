/* Sample sets in memory for the analyses: the calibration data (read by oq_for_each_sample,
 * passes/calib_data.c, the reader and acceptance rules calibration uses) and a labelled eval
 * set (.npy rows packed `batch` per graph run, read by oq_read_labelled as onnxq eval reads
 * it). Each sample is copied, so memory is samples x input bytes: keep large models' sets
 * small with --calib-limit. */
#include <stdlib.h>
#include <string.h>

#include "../frontend/frontend.h"
#include "analysis.h"

/* Allocates the per-input arrays of s for graph g and room for cap samples. */
static bool samples_init(oq_samples *s, const oq_graph *g, uint32_t cap)
{
    memset(s, 0, sizeof *s);
    s->ninput = g->ninput;
    s->batch = 1;
    s->bytes = calloc(g->ninput + 1, sizeof *s->bytes);
    s->data = calloc(g->ninput + 1, sizeof *s->data);
    if (!s->bytes || !s->data)
        return false;
    for (uint32_t i = 0; i < g->ninput; i++) {
        s->bytes[i] = ir_value_nbytes(g, g->inputs[i]);
        s->data[i] = malloc((size_t)cap * s->bytes[i] + 1);
        if (!s->data[i])
            return false;
    }
    return true;
}

/* Grows every input array of s to hold need samples; false on NOMEM. */
static bool samples_grow(oq_samples *s, uint32_t *cap, uint32_t need)
{
    if (need <= *cap)
        return true;
    uint32_t nc = *cap * 2 > need ? *cap * 2 : need;
    for (uint32_t i = 0; i < s->ninput; i++) {
        uint8_t *p = realloc(s->data[i], (size_t)nc * s->bytes[i] + 1);
        if (!p)
            return false;
        s->data[i] = p;
    }
    *cap = nc;
    return true;
}

typedef struct copy_job {      /* what copy_sample appends to */
    oq_samples *s;
    uint32_t cap;
} copy_job;

/* oq_sample_fn: appends one sample (every input) to the set. */
static oq_status copy_sample(void *ctx, const oq_graph *g, const oq_rt_tensor *in, oq_diag *d)
{
    copy_job *j = ctx;
    oq_samples *s = j->s;
    if (!samples_grow(s, &j->cap, s->n + 1))
        return oq_errorf(d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory for samples");
    for (uint32_t i = 0; i < s->ninput; i++)
        memcpy(s->data[i] + (size_t)s->n * s->bytes[i], in[i].data, s->bytes[i]);
    s->n++;
    return OQ_OK;
}

oq_status oq_samples_load_calib(const oq_graph *g, const oq_calib_data *data, uint32_t limit,
                                oq_samples *s, oq_diag *d)
{
    memset(s, 0, sizeof *s);
    if (g->ninput == 0)
        return oq_errorf(d, g, OQ_NONE, OQ_ERR_USAGE, "the model has no inputs");
    copy_job j = {s, 16};
    oq_status st = samples_init(s, g, j.cap)
                       ? oq_for_each_sample(g, data, limit, NULL, NULL, copy_sample, &j, d)
                       : oq_errorf(d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
    if (st != OQ_OK)
        oq_samples_free(s);
    return st;
}

oq_status oq_samples_load_eval(const oq_graph *g, const char *x, const char *labels,
                               uint32_t limit, oq_samples *s, oq_diag *d)
{
    memset(s, 0, sizeof *s);
    if (g->ninput != 1)
        return oq_errorf(d, g, OQ_NONE, OQ_ERR_USAGE, "--eval wants a model with one input");
    const oq_value *in = &g->values[g->inputs[0]];
    if (in->shape.rank < 1 || in->shape.dim[0] < 1)
        return oq_errorf(d, g, OQ_NONE, OQ_ERR_USAGE, "--eval: input '%s' has no batch dim",
                         in->name);
    oq_arena a;
    oq_arena_init(&a, NULL, NULL);
    oq_tensor_file tx, ty;
    oq_status st = oq_read_labelled(x, labels, &a, &tx, &ty, d);
    if (st != OQ_OK)
        goto out;
    bool fits = tx.dtype == in->dtype && tx.shape.rank == in->shape.rank;
    for (int i = 1; fits && i < in->shape.rank; i++)
        fits = tx.shape.dim[i] == in->shape.dim[i];
    if (!fits) {
        st = oq_errorf(d, g, OQ_NONE, OQ_ERR_DATA, "%s / %s: want data [N, ...] fitting input "
                       "'%s' (%s) and integer labels [N]", x, labels, in->name,
                       oq_dtype_name(in->dtype));
        goto out;
    }
    int64_t rows = tx.shape.dim[0], batch = in->shape.dim[0];
    if (limit && rows > limit)
        rows = limit;
    uint32_t n = (uint32_t)((rows + batch - 1) / batch);
    if (!samples_init(s, g, n) || !(s->labels = malloc((size_t)n * (size_t)batch * 8))) {
        st = oq_errorf(d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory for the eval set");
        goto out;
    }
    size_t row = s->bytes[0] / (size_t)batch;
    memset(s->data[0], 0, (size_t)n * s->bytes[0]);
    memcpy(s->data[0], tx.data, (size_t)rows * row);
    for (int64_t i = 0; i < (int64_t)n * batch; i++)
        s->labels[i] = i < rows ? oq_label_at(&ty, i) : -1;
    s->n = n;
    s->batch = (uint32_t)batch;
    s->rows = (uint32_t)rows;
out:
    oq_arena_free(&a);
    if (st != OQ_OK)
        oq_samples_free(s);
    return st;
}

/* Frees what a load made and zeroes s (safe on a zeroed s). */
void oq_samples_free(oq_samples *s)
{
    if (!s)
        return;
    for (uint32_t i = 0; s->data && i < s->ninput; i++)
        free(s->data[i]);
    free(s->data);
    free(s->bytes);
    free(s->labels);
    memset(s, 0, sizeof *s);
}
