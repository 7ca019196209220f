/* Sample sets in memory for the analyses: the calibration data (files resolved by
 * passes/calib_data.c's oq_calib_files: files or sorted directories of .npy / .pb, NAME=PATH or
 * a directory per input for several inputs, a file holding one sample or a batch along dim 0)
 * and a labelled
 * eval set (.npy rows packed `batch` per graph run). Each sample is copied, so memory is
 * samples x input bytes: keep large models' sets small with --calib-limit. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "../frontend/frontend.h"
#include "analysis.h"

/* Samples of graph input v in file t: 0 when the shape does not fit. */
static int64_t samples_in(const oq_graph *g, uint32_t v, const oq_tensor_file *t)
{
    const oq_shape *ms = &g->values[v].shape, *fs = &t->shape;
    if (fs->rank == ms->rank) {
        for (int i = 1; i < ms->rank; i++)
            if (fs->dim[i] != ms->dim[i])
                return 0;
        if (ms->rank == 0)
            return 1;
        if (ms->dim[0] <= 0 || fs->dim[0] <= 0 || fs->dim[0] % ms->dim[0])
            return 0;
        return fs->dim[0] / ms->dim[0];
    }
    if (fs->rank + 1 == ms->rank && ms->dim[0] == 1) {
        for (int i = 0; i < fs->rank; i++)
            if (fs->dim[i] != ms->dim[i + 1])
                return 0;
        return 1;
    }
    return 0;
}

/* True if p ends with e (and is longer). */
static bool has_ext(const char *p, const char *e)
{
    size_t n = strlen(p), k = strlen(e);
    return n > k && strcmp(p + n - k, e) == 0;
}

/* Reads a .npy or .pb tensor into a; ERR_DATA for other extensions. */
static oq_status read_tensor(const char *path, oq_arena *a, oq_tensor_file *t, oq_diag *d)
{
    if (has_ext(path, ".npy"))
        return oq_read_npy(path, a, t, d);
    if (has_ext(path, ".pb"))
        return oq_read_tensor_pb(path, a, t, d);
    return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_DATA, "%s: not a .npy or .pb file", path);
}

/* ERR_DATA naming the element when a float tensor holds NaN or Inf. */
static oq_status check_finite(const char *path, const oq_tensor_file *t, oq_diag *d)
{
    if (t->dtype != OQ_DT_FLOAT)
        return OQ_OK;
    const float *x = t->data;
    int64_t n = oq_shape_numel(&t->shape);
    for (int64_t e = 0; e < n; e++)
        if (!isfinite(x[e]))
            return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_DATA, "%s: element %lld is %s", path,
                             (long long)e, isnan(x[e]) ? "NaN" : "Inf");
    return OQ_OK;
}

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

oq_status oq_samples_load_calib(const oq_graph *g, const oq_calib_data *data, uint32_t limit,
                                oq_samples *s, oq_diag *d)
{
    uint32_t nin = g->ninput, cap = 16;
    memset(s, 0, sizeof *s);
    if (nin == 0)
        return oq_errorf(d, g, OQ_NONE, OQ_ERR_USAGE, "the model has no inputs");
    oq_file_list *l = calloc(nin, sizeof *l);
    oq_tensor_file *tf = calloc(nin, sizeof *tf);
    oq_status st = OQ_OK;
    if (!l || !tf || !samples_init(s, g, cap)) {
        st = oq_errorf(d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
        goto out;
    }
    for (uint32_t k = 0; k < data->nmem && (!limit || s->n < limit); k++) {
        if (!samples_grow(s, &cap, s->n + 1)) {  /* samples in memory, checked by the caller */
            st = oq_errorf(d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory for samples");
            goto out;
        }
        for (uint32_t i = 0; i < nin; i++)
            memcpy(s->data[i] + (size_t)s->n * s->bytes[i], data->mem[(size_t)k * nin + i].data,
                   s->bytes[i]);
        s->n++;
    }
    if (data->nmem)
        goto out;
    if ((st = oq_calib_files(g, data, l, d)))
        goto out;
    for (uint32_t f = 0; f < l[0].n && (!limit || s->n < limit) && st == OQ_OK; f++) {
        oq_arena a;
        oq_arena_init(&a, NULL, NULL);
        int64_t k = -1;
        for (uint32_t i = 0; i < nin && st == OQ_OK; i++) {
            const char *path = l[i].path[f];
            const oq_value *in = &g->values[g->inputs[i]];
            if ((st = read_tensor(path, &a, &tf[i], d)))
                break;
            int64_t ki = tf[i].dtype == in->dtype ? samples_in(g, g->inputs[i], &tf[i]) : 0;
            if (ki == 0 || (k >= 0 && ki != k))
                st = oq_errorf(d, g, OQ_NONE, OQ_ERR_DATA,
                               "%s: dtype / shape does not fit model input '%s' (or holds a "
                               "different number of samples than the other inputs' files)",
                               path, in->name);
            else
                st = check_finite(path, &tf[i], d);
            k = ki;
        }
        for (int64_t j = 0; st == OQ_OK && j < k && (!limit || s->n < limit); j++) {
            if (!samples_grow(s, &cap, s->n + 1)) {
                st = oq_errorf(d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory for samples");
                break;
            }
            for (uint32_t i = 0; i < nin; i++)
                memcpy(s->data[i] + (size_t)s->n * s->bytes[i],
                       (const uint8_t *)tf[i].data + (size_t)j * s->bytes[i], s->bytes[i]);
            s->n++;
        }
        oq_arena_free(&a);
    }
out:
    if (l)
        for (uint32_t i = 0; i < nin; i++)
            oq_file_list_free(&l[i]);
    free(l);
    free(tf);
    if (st != OQ_OK)
        oq_samples_free(s);
    return st;
}

/* Label i of an integer tensor (-1 for other dtypes). */
static int64_t label_at(const oq_tensor_file *t, int64_t i)
{
    switch (t->dtype) {
    case OQ_DT_INT64: return ((const int64_t *)t->data)[i];
    case OQ_DT_INT32: return ((const int32_t *)t->data)[i];
    case OQ_DT_UINT8: return ((const uint8_t *)t->data)[i];
    case OQ_DT_INT8: return ((const int8_t *)t->data)[i];
    default: return -1;
    }
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
    oq_status st = oq_read_npy(x, &a, &tx, d);
    if (st == OQ_OK)
        st = oq_read_npy(labels, &a, &ty, d);
    if (st != OQ_OK)
        goto out;
    bool fits = tx.dtype == in->dtype && tx.shape.rank == in->shape.rank && ty.shape.rank == 1 &&
                ty.shape.dim[0] == tx.shape.dim[0] && tx.shape.dim[0] > 0 && label_at(&ty, 0) >= 0;
    for (int i = 1; fits && i < in->shape.rank; i++)
        fits = tx.shape.dim[i] == in->shape.dim[i];
    if (!fits) {
        st = oq_errorf(d, g, OQ_NONE, OQ_ERR_DATA, "%s / %s: want data [N, ...] fitting input "
                       "'%s' (%s) and integer labels [N]", x, labels, in->name,
                       oq_dtype_name(in->dtype));
        goto out;
    }
    if ((st = check_finite(x, &tx, d)))
        goto out;
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
        s->labels[i] = i < rows ? label_at(&ty, i) : -1;
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
