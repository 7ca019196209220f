/* lib/eval.c: onnxq_eval, top-1 accuracy of a classifier on a labeled .npy set with the
 * reference interpreter (fp32 or quantized graphs alike). Samples run in batches along dim 0
 * when the model's batch dim is symbolic; the last batch is padded and the padding ignored. */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "internal.h"
#include "runtime/interp/interp.h"

ONNXQ_API onnxq_status onnxq_eval(onnxq_session *s, const char *path, const char *data,
                                  const char *labels, uint32_t batch_rows, uint32_t limit,
                                  onnxq_eval_result *r)
{
    lib_begin(s);
    memset(r, 0, sizeof *r);
    int64_t batch = batch_rows ? batch_rows : 100;
    oq_diag *d = &s->d;
    oq_status st = OQ_OK;
    oq_arena a;
    oq_arena_init(&a, NULL, NULL);
    oq_graph *g = NULL;
    oq_interp *it = NULL;
    oq_tensor_file x, y;
    if ((st = oq_read_labelled(data, labels, &a, &x, &y, d)) != OQ_OK)
        goto fail;
    int64_t n = x.shape.dim[0];
    if (limit > 0 && limit < n)
        n = limit;

    /* import once to learn the input's declared batch dim, then again with the batch fixed */
    oq_import_opts io = {0};
    if ((st = oq_import_onnx(path, &io, &g, d)) != OQ_OK)
        goto fail;
    if (g->ninput != 1 || g->noutput < 1) {
        st = oq_errorf(d, g, OQ_NONE, OQ_ERR_USAGE, "eval wants a model with one input");
        goto fail;
    }
    const oq_value *in = &g->values[g->inputs[0]];
    if (in->shape.rank >= 1 && in->shape.dim[0] > 0)
        batch = in->shape.dim[0];
    oq_input_shape is = {in->name, x.shape};
    is.shape.dim[0] = batch;
    char *name = strdup(in->name);
    is.name = name;
    oq_graph_free(g);
    g = NULL;
    io.shapes = &is;
    io.nshapes = 1;
    st = oq_import_onnx(path, &io, &g, d);
    free(name);
    if (st == OQ_OK)
        st = ir_require_static(g, d);
    if (st == OQ_OK)
        st = oq_interp_new(g, &it, d);
    if (st != OQ_OK)
        goto fail;
    const oq_value *out = &g->values[g->outputs[0]];
    int64_t classes = out->shape.rank >= 1 ? out->shape.dim[out->shape.rank - 1] : 0;
    int64_t per = oq_shape_numel(&x.shape) / x.shape.dim[0];
    if (out->dtype != OQ_DT_FLOAT || classes < 1 || oq_shape_numel(&out->shape) != batch * classes) {
        st = oq_errorf(d, g, OQ_NONE, OQ_ERR_USAGE, "eval wants a float output [batch, classes]");
        goto fail;
    }
    float *buf = oq_arena_alloc(&a, (size_t)(batch * per) * sizeof(float));
    if (!buf) {
        st = oq_errorf(d, NULL, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
        goto fail;
    }
    int64_t correct = 0;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int64_t b0 = 0; b0 < n; b0 += batch) {
        int64_t m = n - b0 < batch ? n - b0 : batch;
        memset(buf, 0, (size_t)(batch * per) * sizeof(float));
        memcpy(buf, (const float *)x.data + b0 * per, (size_t)(m * per) * sizeof(float));
        oq_rt_tensor tin = {OQ_DT_FLOAT, is.shape, buf}, tout;
        if ((st = oq_interp_run(it, &tin, &tout, NULL, NULL, d)) != OQ_OK)
            goto fail;
        const float *p = tout.data;
        for (int64_t i = 0; i < m; i++) {
            int64_t best = 0;
            for (int64_t c = 1; c < classes; c++)
                if (p[i * classes + c] > p[i * classes + best])
                    best = c;
            correct += best == oq_label_at(&y, b0 + i);
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    r->correct = (uint64_t)correct;
    r->total = (uint64_t)n;
    r->seconds = secs;
fail:
    oq_interp_free(it);
    oq_graph_free(g);
    oq_arena_free(&a);
    return lib_end(s, st);
}
