/* Helpers for the pass tests: import a model with a static batch, load a test input, run the
 * interpreter and compare outputs. Header-only (static functions), one copy per test binary. */
#ifndef OQ_PT_UTIL_H
#define OQ_PT_UTIL_H
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "frontend/frontend.h"
#include "passes/passes.h"
#include "runtime/interp/interp.h"

#define PT_DATA "/usr/share/libonnx-testdata/data/pytorch-converted/"
#ifndef OQ_SOURCE_ROOT
#define OQ_SOURCE_ROOT "."
#endif
#define PT_EX OQ_SOURCE_ROOT "/examples/"

typedef struct pt_outs {
    uint32_t n;
    float *data[8];            /* malloc copies */
    int64_t numel[8];
} pt_outs;

static inline void pt_outs_free(pt_outs *o)
{
    for (uint32_t i = 0; i < o->n; i++)
        free(o->data[i]);
    o->n = 0;
}

/* Imports path; batch > 0 overrides dim 0 of the first input (named by its graph input). */
static inline oq_graph *pt_import(const char *path, const char *input, int64_t batch, const int64_t *rest,
                           int rrank)
{
    oq_diag d = {0};
    oq_import_opts io = {0};
    oq_input_shape is;
    if (batch > 0) {
        is.name = input;
        is.shape.rank = rrank + 1;
        is.shape.dim[0] = batch;
        for (int i = 0; i < rrank; i++)
            is.shape.dim[i + 1] = rest[i];
        io.shapes = &is;
        io.nshapes = 1;
    }
    oq_graph *g = NULL;
    oq_status st = oq_import_onnx(path, &io, &g, &d);
    cr_assert_eq(st, OQ_OK, "import %s: %s", path, d.msg);
    return g;
}

/* Runs g on the given float input tensors (one per graph input), copying the float outputs. */
static inline void pt_run(const oq_graph *g, const oq_rt_tensor *in, pt_outs *out)
{
    oq_diag d = {0};
    oq_interp *it = NULL;
    cr_assert_eq(oq_interp_new(g, &it, &d), OQ_OK, "interp_new: %s", d.msg);
    oq_rt_tensor res[8];
    cr_assert(g->noutput <= 8);
    cr_assert_eq(oq_interp_run(it, in, res, NULL, NULL, &d), OQ_OK, "run: %s", d.msg);
    out->n = g->noutput;
    for (uint32_t i = 0; i < g->noutput; i++) {
        int64_t n = oq_shape_numel(&res[i].shape);
        cr_assert(res[i].dtype == OQ_DT_FLOAT, "output %u is not float", i);
        out->numel[i] = n;
        out->data[i] = malloc((size_t)(n ? n : 1) * sizeof(float));
        memcpy(out->data[i], res[i].data, (size_t)n * sizeof(float));
    }
    oq_interp_free(it);
}

/* |a - b| <= rel * |b| + rel * 0.01 * max|b| for every element (1e-4 relative, with an absolute
 * floor for elements near zero). */
static inline void pt_compare(const pt_outs *a, const pt_outs *b, double rel, const char *what)
{
    cr_assert_eq(a->n, b->n, "%s: output count", what);
    for (uint32_t i = 0; i < a->n; i++) {
        cr_assert_eq(a->numel[i], b->numel[i], "%s: output %u size", what, i);
        double mx = 0;
        for (int64_t k = 0; k < b->numel[i]; k++)
            mx = fmax(mx, fabs(b->data[i][k]));
        for (int64_t k = 0; k < b->numel[i]; k++) {
            double x = a->data[i][k], y = b->data[i][k];
            if (!(fabs(x - y) <= rel * fabs(y) + rel * 0.01 * mx))
                cr_assert_fail("%s: output %u at [%lld]: got %.9g want %.9g", what, i,
                               (long long)k, x, y);
        }
    }
}

/* Reads a .pb or .npy tensor into a (arena-backed by g). */
static inline oq_rt_tensor pt_load(oq_graph *g, const char *path)
{
    oq_diag d = {0};
    oq_tensor_file t;
    size_t n = strlen(path);
    oq_status st = n > 4 && strcmp(path + n - 4, ".npy") == 0
                       ? oq_read_npy(path, &g->arena, &t, &d)
                       : oq_read_tensor_pb(path, &g->arena, &t, &d);
    cr_assert_eq(st, OQ_OK, "%s: %s", path, d.msg);
    oq_rt_tensor r = {t.dtype, t.shape, t.data};
    return r;
}

static inline int pt_count_op(const oq_graph *g, oq_op op)
{
    int c = 0;
    for (uint32_t n = 0; n < g->nnode; n++)
        c += !g->nodes[n].dead && g->nodes[n].op == op;
    return c;
}
#endif
