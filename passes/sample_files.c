/* Calibration samples for the data-aware passes (bias correction, equalization across Relu6):
 * the files of an oq_calib_data spec (oq_calib_files), read as oq_calibrate reads them for a one-input model (each
 * entry a .npy / .pb file or a directory of them in byte-wise name order, NAME=PATH accepted; a
 * file holds one sample or a batch along dim 0), each sample handed to a callback. */
#include <stdlib.h>
#include <string.h>

#include "../frontend/frontend.h"
#include "passes.h"

/* p ends with ext. */
static bool has_ext(const char *p, const char *ext)
{
    size_t n = strlen(p), e = strlen(ext);
    return n > e && strcmp(p + n - e, ext) == 0;
}

/* Calls fn on every sample of file path (one sample, or a batch along dim 0). */
static oq_status feed_file(const oq_graph *g, const char *path, uint32_t limit, uint32_t *fed,
                           oq_sample_fn fn, void *ctx, oq_diag *d)
{
    oq_arena a;
    oq_arena_init(&a, NULL, NULL);
    oq_tensor_file t;
    oq_status st = has_ext(path, ".pb") ? oq_read_tensor_pb(path, &a, &t, d)
                                        : oq_read_npy(path, &a, &t, d);
    const oq_value *in = &g->values[g->inputs[0]];
    int64_t per = oq_shape_numel(&in->shape), n = st == OQ_OK ? oq_shape_numel(&t.shape) : 0;
    if (st == OQ_OK && (t.dtype != in->dtype || per <= 0 || n <= 0 || n % per))
        st = oq_errorf(d, g, OQ_NONE, OQ_ERR_DATA,
                       "%s: dtype %s / %lld elements do not fit input '%s' (%lld elements)", path,
                       oq_dtype_name(t.dtype), (long long)n, in->name, (long long)per);
    size_t bytes = ir_value_nbytes(g, g->inputs[0]);
    for (int64_t s = 0; st == OQ_OK && s < n / per && (!limit || *fed < limit); s++) {
        oq_rt_tensor x = {in->dtype, in->shape, (char *)t.data + (size_t)s * bytes};
        st = fn(ctx, g, &x, d);
        (*fed)++;
    }
    oq_arena_free(&a);
    return st;
}

oq_status oq_for_each_sample(const oq_graph *g, const oq_calib_data *data, uint32_t limit,
                             oq_sample_fn fn, void *ctx, oq_diag *d)
{
    if (g->ninput != 1)
        return oq_errorf(d, g, OQ_NONE, OQ_ERR_USAGE,
                         "--bias-correct / --equalize across Relu6: models with %u inputs are not "
                         "supported (one input)", g->ninput);
    if (data->nmem) {          /* samples in memory (passes.h: exactly the input's shape) */
        oq_status st = OQ_OK;
        for (uint32_t k = 0; st == OQ_OK && k < data->nmem && (!limit || k < limit); k++)
            st = fn(ctx, g, &data->mem[k], d);
        return st;
    }
    oq_file_list files = {0};
    uint32_t fed = 0;
    oq_status st = oq_calib_files(g, data, &files, d);
    for (uint32_t f = 0; st == OQ_OK && f < files.n && (!limit || fed < limit); f++)
        st = feed_file(g, files.path[f], limit, &fed, fn, ctx, d);
    oq_file_list_free(&files);
    return st;
}
