/* ReduceSum, ReduceMean, ReduceMax over the axes given as input 1 (canonical form; absent or
 * empty = all axes, or identity when noop_with_empty_axes=1), keepdims default 1.
 * Floats accumulate in double (float: runtime/f32/ops), integers in int64 (exact); Mean of
 * integers truncates. */
#include <math.h>

#include "ops.h"

/* ReduceSum/Mean/Max over the axes input (all axes when absent). */
oq_status oq_exec_reduce(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                         oq_rt_tensor *out, void *state, oq_diag *d)
{
    const oq_node *nd = &g->nodes[node];
    const oq_rt_tensor *x = &in[0];
    int r = x->shape.rank;
    bool red[OQ_MAX_RANK] = {false};
    int64_t naxes = nd->nin > 1 && in[1].data ? oq_rt_numel(&in[1]) : 0;
    if (naxes == 0) {
        if (ir_attr_i(nd, OQ_A_ReduceSum_noop_with_empty_axes)) {
            oq_rt_copy(&out[0], x);
            return OQ_OK;
        }
        for (int i = 0; i < r; i++)
            red[i] = true;
    }
    for (int64_t k = 0; k < naxes; k++) {
        int ax;
        if (!oq_norm_axis(oq_rt_get_i64(&in[1], k), r, &ax))
            return oq_errorf(d, g, node, OQ_ERR_INVALID_MODEL, "axis %lld out of range",
                             (long long)oq_rt_get_i64(&in[1], k));
        red[ax] = true;
    }
    bool isf = oq_dtype_is_float(x->dtype);
    if (!isf && !oq_dtype_is_int(x->dtype))
        return oq_bad_dtype(g, node, d, x->dtype);
    /* output strides over the input's dims (0 along reduced dims) */
    int64_t ost[OQ_MAX_RANK], acc = 1, nout = 1;
    for (int i = r - 1; i >= 0; i--) {
        ost[i] = red[i] ? 0 : acc;
        if (!red[i]) {
            acc *= x->shape.dim[i];
            nout *= x->shape.dim[i];
        }
    }
    int64_t n = oq_rt_numel(x), cnt = nout ? n / nout : 0;
    oq_op op = nd->op;
    double *ad = isf ? malloc((size_t)(nout ? nout : 1) * sizeof *ad) : NULL;
    int64_t *ai = isf ? NULL : malloc((size_t)(nout ? nout : 1) * sizeof *ai);
    if (!ad && !ai)
        return oq_errorf(d, g, node, OQ_ERR_NOMEM, "out of memory");
    if (x->dtype == OQ_DT_FLOAT) {
        oq_f32_kernel(op)->reduce(r, x->shape.dim, ost, nout, cnt, x->data, out[0].data, ad);
        free(ad);
        return OQ_OK;
    }
    for (int64_t j = 0; j < nout; j++) {
        if (isf)
            ad[j] = op == OQ_OP_ReduceMax ? -INFINITY : 0.0;
        else
            ai[j] = op == OQ_OP_ReduceMax ? INT64_MIN : 0;
    }
    int64_t idx[OQ_MAX_RANK] = {0}, o = 0;
    for (int64_t i = 0; i < n; i++) {
        if (isf) {
            double v = oq_rt_get_f64(x, i);
            if (op == OQ_OP_ReduceMax)
                ad[o] = (v > ad[o] || isnan(v)) ? v : ad[o];
            else
                ad[o] += v;
        } else {
            int64_t v = oq_rt_get_i64(x, i);
            if (op == OQ_OP_ReduceMax)
                ai[o] = v > ai[o] ? v : ai[o];
            else
                ai[o] += v;
        }
        for (int k = r - 1; k >= 0; k--) {
            idx[k]++;
            o += ost[k];
            if (idx[k] < x->shape.dim[k])
                break;
            o -= ost[k] * x->shape.dim[k];
            idx[k] = 0;
        }
    }
    for (int64_t j = 0; j < nout; j++) {
        if (isf) {
            double v = op == OQ_OP_ReduceMean && cnt ? ad[j] / (double)cnt : ad[j];
            oq_rt_set_f64(&out[0], j, v);
        } else {
            int64_t v = op == OQ_OP_ReduceMean && cnt ? ai[j] / cnt : ai[j];
            oq_rt_set_i64(&out[0], j, v);
        }
    }
    free(ad);
    free(ai);
    return OQ_OK;
}
