/* Elementwise one-input ops and activations: Abs, Neg, Relu, LeakyRelu, Sigmoid, HardSigmoid,
 * HardSwish, Tanh, Erf, Exp, Log, Sqrt, Reciprocal, Floor, Ceil, Round (half to even), and Clip (min/max as optional inputs 1/2).
 * float runs the kernels of runtime/f32/ops; double and the integer types (Abs, Neg, Relu, Clip)
 * go through a generic double or int64 path. */
#include <math.h>

#include "ops.h"

/* f(x) in double for the double path. */
static inline double apply_d(oq_op op, double x, double alpha, double beta)
{
    switch (op) {
    case OQ_OP_Abs: return fabs(x);
    case OQ_OP_Neg: return -x;
    case OQ_OP_Relu: return x > 0 ? x : 0.0;
    case OQ_OP_LeakyRelu: return x >= 0 ? x : alpha * x;
    case OQ_OP_Sigmoid: return 1.0 / (1.0 + exp(-x));
    case OQ_OP_HardSigmoid: return fmax(0.0, fmin(1.0, alpha * x + beta));
    case OQ_OP_HardSwish: return x * fmax(0.0, fmin(1.0, x / 6.0 + 0.5));
    case OQ_OP_Tanh: return tanh(x);
    case OQ_OP_Erf: return erf(x);
    case OQ_OP_Exp: return exp(x);
    case OQ_OP_Sqrt: return sqrt(x);
    case OQ_OP_Reciprocal: return 1.0 / x;
    case OQ_OP_Log: return log(x);
    case OQ_OP_Floor: return floor(x);
    case OQ_OP_Ceil: return ceil(x);
    case OQ_OP_Round: return nearbyint(x);
    default: return x;
    }
}

/* Elementwise op chosen by node->op; float fast path, double and some integer ops. */
oq_status oq_exec_unary(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                        oq_rt_tensor *out, void *state, oq_diag *d)
{
    const oq_node *nd = &g->nodes[node];
    oq_op op = nd->op;
    float alpha = ir_attr_f(nd, OQ_A_LeakyRelu_alpha);
    float beta = ir_attr_f(nd, OQ_A_HardSigmoid_beta);
    int64_t n = oq_rt_numel(&in[0]);
    oq_dtype t = in[0].dtype;
    if (t == OQ_DT_FLOAT && oq_f32_kernel(op)->unary) {
        oq_f32_kernel(op)->unary((size_t)n, in[0].data, out[0].data, alpha, beta);
        return OQ_OK;
    }
    if (t == OQ_DT_DOUBLE) {
        const double *x = in[0].data;
        double *y = out[0].data;
        for (int64_t i = 0; i < n; i++)
            y[i] = apply_d(op, x[i], alpha, beta);
        return OQ_OK;
    }
    if (oq_dtype_is_int(t) && t != OQ_DT_BOOL &&
        (op == OQ_OP_Abs || op == OQ_OP_Neg || op == OQ_OP_Relu)) {
        for (int64_t i = 0; i < n; i++) {
            int64_t v = oq_rt_get_i64(&in[0], i);
            v = op == OQ_OP_Abs ? (v < 0 ? -v : v) : op == OQ_OP_Neg ? -v : (v > 0 ? v : 0);
            oq_rt_set_i64(&out[0], i, v);
        }
        return OQ_OK;
    }
    return oq_bad_dtype(g, node, d, t);
}

/* Clip to [min, max] (absent bounds: the type's range). */
oq_status oq_exec_clip(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                       oq_rt_tensor *out, void *state, oq_diag *d)
{
    const oq_node *nd = &g->nodes[node];
    int64_t n = oq_rt_numel(&in[0]);
    bool has_lo = nd->nin > 1 && in[1].data && oq_rt_numel(&in[1]) > 0;
    bool has_hi = nd->nin > 2 && in[2].data && oq_rt_numel(&in[2]) > 0;
    oq_dtype t = in[0].dtype;
    if (t == OQ_DT_FLOAT) {
        float lo = has_lo ? ((const float *)in[1].data)[0] : -INFINITY;
        float hi = has_hi ? ((const float *)in[2].data)[0] : INFINITY;
        oq_f32_kernel(nd->op)->unary((size_t)n, in[0].data, out[0].data, lo, hi);
        return OQ_OK;
    }
    if (t == OQ_DT_DOUBLE) {
        double lo = has_lo ? oq_rt_get_f64(&in[1], 0) : -INFINITY;
        double hi = has_hi ? oq_rt_get_f64(&in[2], 0) : INFINITY;
        for (int64_t i = 0; i < n; i++) {
            double v = oq_rt_get_f64(&in[0], i);
            v = v < lo ? lo : v;
            oq_rt_set_f64(&out[0], i, v > hi ? hi : v);
        }
        return OQ_OK;
    }
    if (oq_dtype_is_int(t) && t != OQ_DT_BOOL && t != OQ_DT_UINT64) {
        int64_t lo = has_lo ? oq_rt_get_i64(&in[1], 0) : INT64_MIN;
        int64_t hi = has_hi ? oq_rt_get_i64(&in[2], 0) : INT64_MAX;
        for (int64_t i = 0; i < n; i++) {
            int64_t v = oq_rt_get_i64(&in[0], i);
            v = v < lo ? lo : v;
            oq_rt_set_i64(&out[0], i, v > hi ? hi : v);
        }
        return OQ_OK;
    }
    return oq_bad_dtype(g, node, d, t);
}
