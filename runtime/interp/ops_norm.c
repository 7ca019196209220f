/* Normalization: BatchNormalization (inference form), LayerNormalization (optional Mean and
 * InvStdDev outputs), InstanceNormalization (float, runtime/f32/ops), Softmax and LogSoftmax (opset >= 13: one axis, default -1; with the
 * importer's onnxq_legacy_2d=1: the input coerced to 2D at axis, default 1, and normalized
 * over the whole second dim). Statistics are accumulated in double. */
#include <math.h>

#include "ops.h"

/* Rejects training mode and training outputs. */
oq_status oq_prep_batchnorm(const oq_graph *g, uint32_t node, void **state, oq_diag *d)
{
    const oq_node *nd = &g->nodes[node];
    if (ir_attr_i(nd, OQ_A_BatchNormalization_training_mode))
        return oq_errorf(d, g, node, OQ_ERR_UNSUPPORTED_ATTR, "training_mode=1 not supported");
    for (uint32_t i = 1; i < nd->nout; i++)
        if (nd->out[i] != OQ_NONE)
            return oq_errorf(d, g, node, OQ_ERR_UNSUPPORTED_ATTR,
                             "training outputs (running mean/var) not supported");
    if (g->values[nd->in[0]].shape.rank < 2)
        return oq_errorf(d, g, node, OQ_ERR_SHAPE, "input needs a channel dim");
    return OQ_OK;
}

/* y = (x - mean) / sqrt(var + eps) * scale + B per channel. */
oq_status oq_exec_batchnorm(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                            oq_rt_tensor *out, void *state, oq_diag *d)
{
    double eps = ir_attr_f(&g->nodes[node], OQ_A_BatchNormalization_epsilon);
    for (int k = 0; k < 5; k++)
        if (!oq_dtype_is_float(in[k].dtype))
            return oq_bad_dtype(g, node, d, in[k].dtype);
    const oq_rt_tensor *x = &in[0];
    int64_t N = x->shape.dim[0], C = x->shape.dim[1], sp = 1;
    for (int i = 2; i < x->shape.rank; i++)
        sp *= x->shape.dim[i];
    for (int64_t c = 0; c < C; c++) {
        double sc = oq_rt_get_f64(&in[1], c), b = oq_rt_get_f64(&in[2], c);
        double mean = oq_rt_get_f64(&in[3], c), var = oq_rt_get_f64(&in[4], c);
        double inv = 1.0 / sqrt(var + eps);
        float a = (float)(sc * inv), bb = (float)(b - mean * sc * inv);
        for (int64_t n = 0; n < N; n++) {
            int64_t base = (n * C + c) * sp;
            if (x->dtype == OQ_DT_FLOAT) {
                const float *xp = (const float *)x->data + base;
                float *yp = (float *)out[0].data + base;
                for (int64_t i = 0; i < sp; i++)
                    yp[i] = xp[i] * a + bb;
            } else {
                for (int64_t i = 0; i < sp; i++)
                    oq_rt_set_f64(&out[0], base + i,
                                  (oq_rt_get_f64(x, base + i) - mean) * inv * sc + b);
            }
        }
    }
    return OQ_OK;
}

/* The values of t (float) broadcast to ns by strides st, in C order: t's data itself when it
 * already is that, else a malloc'ed copy in *own. NULL when out of memory. */
static const float *dense_param(const oq_rt_tensor *t, const oq_shape *ns, const int64_t *st,
                                float **own)
{
    int64_t n = oq_shape_numel(ns), dst[OQ_MAX_RANK];
    *own = NULL;
    if (oq_rt_numel(t) == n)
        return t->data;
    *own = malloc((size_t)n * sizeof **own);
    if (!*own)
        return NULL;
    oq_strides(ns, dst);
    oq_x_copy__scalar(ns->rank, ns->dim, t->data, st, *own, dst, sizeof(float));
    return *own;
}

/* LayerNormalization on float32 tensors: runtime/f32/ops oq_f32_layernorm__scalar (the emitted
 * C's kernel) after Scale and B are made dense over X[axis:]. bst NULL: no B. */
static oq_status layernorm_f32(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                               oq_rt_tensor *out, const oq_shape *ns, const int64_t *sst,
                               const int64_t *bst, int64_t outer, oq_diag *d)
{
    const oq_node *nd = &g->nodes[node];
    float *os = NULL, *ob = NULL;
    const float *sc = dense_param(&in[1], ns, sst, &os);
    const float *b = bst ? dense_param(&in[2], ns, bst, &ob) : NULL;
    if (!sc || (bst && !b)) {
        free(os);
        free(ob);
        return oq_errorf(d, g, node, OQ_ERR_NOMEM, "out of memory");
    }
    oq_f32_layernorm__scalar(outer, oq_shape_numel(ns), in[0].data, sc, b,
                             ir_attr_f(nd, OQ_A_LayerNormalization_epsilon), out[0].data,
                             nd->nout > 1 ? out[1].data : NULL, nd->nout > 2 ? out[2].data : NULL);
    free(os);
    free(ob);
    return OQ_OK;
}

/* Normalizes over dims [axis, rank); optional Mean / InvStdDev outputs. */
oq_status oq_exec_layernorm(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                            oq_rt_tensor *out, void *state, oq_diag *d)
{
    const oq_node *nd = &g->nodes[node];
    const oq_rt_tensor *x = &in[0];
    int r = x->shape.rank, ax;
    if (!oq_norm_axis(ir_attr_i(nd, OQ_A_LayerNormalization_axis), r, &ax))
        return oq_errorf(d, g, node, OQ_ERR_INVALID_MODEL, "axis out of range");
    if (!oq_dtype_is_float(x->dtype))
        return oq_bad_dtype(g, node, d, x->dtype);
    double eps = ir_attr_f(nd, OQ_A_LayerNormalization_epsilon);
    oq_shape ns = {r - ax, {0}};
    for (int i = ax; i < r; i++)
        ns.dim[i - ax] = x->shape.dim[i];
    int64_t sst[OQ_MAX_RANK], bst[OQ_MAX_RANK];
    bool hasb = nd->nin > 2 && in[2].data;
    if (!oq_bcast_strides(&in[1].shape, &ns, sst) ||
        (hasb && !oq_bcast_strides(&in[2].shape, &ns, bst)))
        return oq_errorf(d, g, node, OQ_ERR_SHAPE, "Scale/B do not broadcast to X[axis:]");
    int64_t inner = oq_shape_numel(&ns), outer = inner ? oq_rt_numel(x) / inner : 0;
    bool f32 = x->dtype == OQ_DT_FLOAT && in[1].dtype == OQ_DT_FLOAT &&
               (!hasb || in[2].dtype == OQ_DT_FLOAT) && out[0].dtype == OQ_DT_FLOAT &&
               (nd->nout < 2 || !out[1].data || out[1].dtype == OQ_DT_FLOAT) &&
               (nd->nout < 3 || !out[2].data || out[2].dtype == OQ_DT_FLOAT);
    if (f32 && inner > 0)
        return layernorm_f32(g, node, in, out, &ns, sst, hasb ? bst : NULL, outer, d);
    for (int64_t o = 0; o < outer; o++) {
        int64_t base = o * inner;
        double mean = 0, var = 0;
        for (int64_t i = 0; i < inner; i++)
            mean += oq_rt_get_f64(x, base + i);
        mean /= (double)inner;
        for (int64_t i = 0; i < inner; i++) {
            double t = oq_rt_get_f64(x, base + i) - mean;
            var += t * t;
        }
        var /= (double)inner;
        double inv = 1.0 / sqrt(var + eps);
        int64_t idx[OQ_MAX_RANK] = {0}, so = 0, bo = 0;
        for (int64_t i = 0; i < inner; i++) {
            double v = (oq_rt_get_f64(x, base + i) - mean) * inv * oq_rt_get_f64(&in[1], so);
            if (hasb)
                v += oq_rt_get_f64(&in[2], bo);
            oq_rt_set_f64(&out[0], base + i, v);
            for (int k = ns.rank - 1; k >= 0; k--) {
                idx[k]++;
                so += sst[k];
                bo += hasb ? bst[k] : 0;
                if (idx[k] < ns.dim[k])
                    break;
                so -= sst[k] * ns.dim[k];
                bo -= hasb ? bst[k] * ns.dim[k] : 0;
                idx[k] = 0;
            }
        }
        if (nd->nout > 1 && out[1].data)
            oq_rt_set_f64(&out[1], o, mean);
        if (nd->nout > 2 && out[2].data)
            oq_rt_set_f64(&out[2], o, inv);
    }
    return OQ_OK;
}

/* Softmax / LogSoftmax over one axis, or over the 2-D coerced row (legacy). */
oq_status oq_exec_softmax(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                          oq_rt_tensor *out, void *state, oq_diag *d)
{
    const oq_node *nd = &g->nodes[node];
    const oq_rt_tensor *x = &in[0];
    bool legacy = ir_attr_i(nd, OQ_A_Softmax_onnxq_legacy_2d) != 0;
    bool logsm = nd->op == OQ_OP_LogSoftmax;
    int r = x->shape.rank, ax;
    if (!oq_dtype_is_float(x->dtype))
        return oq_bad_dtype(g, node, d, x->dtype);
    int64_t a = ir_softmax_axis(nd);
    if (r == 0) {
        oq_rt_set_f64(&out[0], 0, logsm ? 0.0 : 1.0);
        return OQ_OK;
    }
    if (legacy && a == r) /* legacy allows axis == rank (everything in one row) */
        ax = r;
    else if (!oq_norm_axis(a, r, &ax))
        return oq_errorf(d, g, node, OQ_ERR_INVALID_MODEL, "axis %lld out of range",
                         (long long)a);
    int64_t outer = 1, n = 1, inner = 1;
    for (int i = 0; i < ax; i++)
        outer *= x->shape.dim[i];
    if (legacy) {
        for (int i = ax; i < r; i++)
            n *= x->shape.dim[i];
    } else {
        n = x->shape.dim[ax];
        for (int i = ax + 1; i < r; i++)
            inner *= x->shape.dim[i];
    }
    if (x->dtype == OQ_DT_FLOAT) {
        oq_f32_kernel(nd->op)->softmax(outer, n, inner, x->data, out[0].data);
        return OQ_OK;
    }
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < inner; j++) {
            int64_t base = o * n * inner + j;
            double mx = -INFINITY, sum = 0;
            for (int64_t i = 0; i < n; i++) {
                double v = oq_rt_get_f64(x, base + i * inner);
                mx = v > mx ? v : mx;
            }
            for (int64_t i = 0; i < n; i++)
                sum += exp(oq_rt_get_f64(x, base + i * inner) - mx);
            double ls = log(sum);
            for (int64_t i = 0; i < n; i++) {
                double v = oq_rt_get_f64(x, base + i * inner) - mx;
                oq_rt_set_f64(&out[0], base + i * inner, logsm ? v - ls : exp(v) / sum);
            }
        }
    return OQ_OK;
}

/* InstanceNormalization of float x [N, C, ...] with scale and B [C] (runtime/f32/ops). */
oq_status oq_exec_instancenorm(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                               oq_rt_tensor *out, void *state, oq_diag *d)
{
    for (int k = 0; k < 3; k++)
        if (in[k].dtype != OQ_DT_FLOAT)
            return oq_bad_dtype(g, node, d, in[k].dtype);
    const oq_shape *x = &in[0].shape;
    if (x->rank < 2 || oq_rt_numel(&in[1]) != x->dim[1] || oq_rt_numel(&in[2]) != x->dim[1])
        return oq_errorf(d, g, node, OQ_ERR_SHAPE, "input needs a channel dim that scale and B "
                         "match");
    int64_t sp = 1;
    for (int i = 2; i < x->rank; i++)
        sp *= x->dim[i];
    oq_f32_instancenormalization__scalar(x->dim[0], x->dim[1], sp, in[0].data, in[1].data,
                                         in[2].data,
                                         ir_attr_f(&g->nodes[node],
                                                   OQ_A_InstanceNormalization_epsilon),
                                         out[0].data);
    return OQ_OK;
}
