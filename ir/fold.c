/* Constant evaluation at shape inference: a node flagged FOLD in ir/ops.def whose inputs are
 * constant and whose output has at most FOLD_MAX elements gets its output computed into
 * value->data (shape arithmetic: Shape, Gather, Concat, Slice, Cast, Add, ...), so that the
 * shapes that depend on it become static. Integer arithmetic that would overflow, and float to
 * int casts out of range, are left to run time. */
#include <math.h>
#include <string.h>

#include "ir.h"

#define FOLD_MAX 4096          /* largest output (elements) evaluated at inference time */

static bool dt_float(oq_dtype t) { return t == OQ_DT_FLOAT || t == OQ_DT_DOUBLE; }

static bool foldable_dtype(oq_dtype t)
{
    return dt_float(t) || t == OQ_DT_INT64 || t == OQ_DT_INT32 || t == OQ_DT_INT16 ||
           t == OQ_DT_INT8 || t == OQ_DT_UINT8 || t == OQ_DT_UINT16 || t == OQ_DT_UINT32 ||
           t == OQ_DT_UINT64 || t == OQ_DT_BOOL;
}

/* Is op evaluated at inference time when its inputs are constant? (ops.def flag FOLD) */
static bool fold_op(oq_op op) { return oq_op_info(op)->flags & OQ_OPF_FOLD; }

/* Shape: the known dims of input 0 from attribute start on. */
static oq_status fold_shape(oq_graph *g, uint32_t n, int64_t cnt, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    uint32_t yv = nd->out[0];
    const oq_value *x = ir_in_val(g, nd, 0);
    int r = x->shape.rank;
    if (r < 0)             /* unknown rank: nothing to fold */
        return OQ_OK;
    int64_t s = ir_attr_i(nd, OQ_A_Shape_start);
    s = s < 0 ? s + r : s;
    s = s < 0 ? 0 : (s > r ? r : s);
    if (s + cnt > r)       /* output shape inconsistent with the input's rank */
        return OQ_OK;
    for (int64_t i = 0; i < cnt; i++)
        if (x->shape.dim[s + i] < 0)
            return OQ_OK;
    int64_t *p = ir_set_const(g, yv, NULL);
    if (!p)
        return oq_errorf(d, g, n, OQ_ERR_NOMEM, "out of memory evaluating shape");
    for (int64_t i = 0; i < cnt; i++)
        p[i] = x->shape.dim[s + i];
    return OQ_OK;
}

/* Add/Sub/Mul/Div/Equal with numpy broadcasting into tmp; false when left to run time
 * (integer overflow, division by zero). */
static bool eval_binary(oq_graph *g, const oq_node *nd, void *tmp, int64_t cnt)
{
    const oq_value *x = ir_in_val(g, nd, 0), *y = &g->values[nd->out[0]];
    oq_dtype dt = y->dtype;
    int64_t idx[OQ_MAX_RANK];
    const oq_value *b = ir_in_val(g, nd, 1);
    bool cf = dt_float(x->dtype) || dt_float(b->dtype);
    for (int64_t i = 0; i < cnt; i++) {
        ir_unravel(i, &y->shape, idx);
        int64_t ia = ir_bcast_off(&x->shape, &y->shape, idx);
        int64_t ib = ir_bcast_off(&b->shape, &y->shape, idx);
        if (cf) {
            double p = oq_elem_f64(x->data, x->dtype, ia), r = 0;
            double q = oq_elem_f64(b->data, b->dtype, ib);
            switch (nd->op) {
            case OQ_OP_Add: r = p + q; break;
            case OQ_OP_Sub: r = p - q; break;
            case OQ_OP_Mul: r = p * q; break;
            case OQ_OP_Div: r = p / q; break;
            default: r = p == q; break;
            }
            oq_elem_set_f64(tmp, dt, i, r);
        } else {
            int64_t p = oq_elem_i64(x->data, x->dtype, ia), r = 0;
            int64_t q = oq_elem_i64(b->data, b->dtype, ib);
            switch (nd->op) {
            case OQ_OP_Add:
                if (__builtin_add_overflow(p, q, &r))
                    return false;
                break;
            case OQ_OP_Sub:
                if (__builtin_sub_overflow(p, q, &r))
                    return false;
                break;
            case OQ_OP_Mul:
                if (__builtin_mul_overflow(p, q, &r))
                    return false;
                break;
            case OQ_OP_Div:
                if (q == 0 || (p == INT64_MIN && q == -1))
                    return false;   /* leave to run time */
                r = p / q;          /* truncation, like C and ONNX Runtime */
                break;
            default: r = p == q; break;
            }
            oq_elem_set_i64(tmp, dt, i, r);
        }
    }
    return true;
}

/* Gather along attribute axis into tmp; *ok false when the axis is out of range. */
static oq_status eval_gather(oq_graph *g, uint32_t n, void *tmp, bool *ok, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    const oq_value *x = ir_in_val(g, nd, 0);
    oq_dtype dt = g->values[nd->out[0]].dtype;
    const oq_value *ix = ir_in_val(g, nd, 1);
    int r = x->shape.rank, ax;
    if (!ir_norm_axis(ir_attr_i(nd, OQ_A_Gather_axis), r, &ax)) {
        *ok = false;
        return OQ_OK;
    }
    int64_t outer = 1, inner = 1, dim = x->shape.dim[ax];
    for (int i = 0; i < ax; i++)
        outer *= x->shape.dim[i];
    for (int i = ax + 1; i < r; i++)
        inner *= x->shape.dim[i];
    int64_t ni = oq_shape_numel(&ix->shape);
    size_t es = oq_dtype_size(dt);
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < ni; j++) {
            int64_t k = oq_elem_i64(ix->data, ix->dtype, j);
            if (k < -dim || k >= dim)
                return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL,
                                 "index %lld of '%s' out of range [-%lld, %lld)", (long long)k,
                                 ix->name, (long long)dim, (long long)dim);
            if (k < 0)
                k += dim;
            memcpy((char *)tmp + ((o * ni + j) * inner) * es,
                   (const char *)x->data + ((o * dim + k) * inner) * es, (size_t)inner * es);
        }
    return OQ_OK;
}

/* Concat along attribute axis into tmp; false when the axis or an input's dtype is off. */
static bool eval_concat(oq_graph *g, const oq_node *nd, void *tmp)
{
    const oq_value *y = &g->values[nd->out[0]];
    oq_dtype dt = y->dtype;
    int r = y->shape.rank, ax;
    if (!ir_norm_axis(ir_attr_i(nd, OQ_A_Concat_axis), r, &ax))
        return false;
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < ax; i++)
        outer *= y->shape.dim[i];
    for (int i = ax + 1; i < r; i++)
        inner *= y->shape.dim[i];
    size_t es = oq_dtype_size(dt);
    int64_t off = 0;
    for (int64_t o = 0; o < outer; o++)
        for (uint32_t k = 0; k < nd->nin; k++) {
            const oq_value *v = ir_in_val(g, nd, k);
            if (!v)
                continue;
            if (v->dtype != dt)
                return false;
            int64_t blk = v->shape.dim[ax] * inner;
            memcpy((char *)tmp + off * es, (const char *)v->data + o * blk * es,
                   (size_t)blk * es);
            off += blk;
        }
    return true;
}

/* Evaluates node n into its output's data when every input is constant and small.
 * Leaves the output untouched when it cannot (not an error). */
oq_status ir_fold(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    if (!fold_op(nd->op) || nd->nout < 1 || nd->out[0] == OQ_NONE)
        return OQ_OK;
    uint32_t yv = nd->out[0];
    oq_value *y = &g->values[yv];
    int64_t cnt = oq_shape_numel(&y->shape);
    if (cnt < 0 || cnt > FOLD_MAX || !foldable_dtype(y->dtype))
        return OQ_OK;
    if (nd->op == OQ_OP_Shape)
        return fold_shape(g, n, cnt, d);
    uint32_t used = nd->nin;
    if (nd->op == OQ_OP_Reshape || nd->op == OQ_OP_Expand || nd->op == OQ_OP_Unsqueeze ||
        nd->op == OQ_OP_Squeeze)
        used = 1;              /* the shape/axes input is already folded into y->shape */
    for (uint32_t i = 0; i < nd->nin; i++) {
        const oq_value *v = ir_in_val(g, nd, i);
        if (!v)
            continue;
        if (i < used && (!v->data || !foldable_dtype(v->dtype) || oq_shape_numel(&v->shape) < 0))
            return OQ_OK;
        if (i >= used && !v->data)
            return OQ_OK;
    }
    if (nd->op == OQ_OP_ConstantOfShape) {
        const oq_attr *va = ir_attr_get(nd, OQ_A_ConstantOfShape_value);
        void *p = ir_set_const(g, yv, NULL);
        if (!p)
            return oq_errorf(d, g, n, OQ_ERR_NOMEM, "out of memory evaluating constant");
        size_t es = oq_dtype_size(y->dtype);
        if (va && va->type == OQ_ATTR_TENSOR && va->t && va->t->data)
            for (int64_t i = 0; i < cnt; i++)
                memcpy((char *)p + i * es, va->t->data, es);
        return OQ_OK;
    }
    const oq_value *x = ir_in_val(g, nd, 0);
    void *tmp = oq_arena_alloc(&g->arena, (size_t)(cnt ? cnt : 1) * 8);
    if (!tmp)
        return oq_errorf(d, g, n, OQ_ERR_NOMEM, "out of memory evaluating constant");
    oq_dtype dt = y->dtype;
    bool fl = dt_float(dt);
    int64_t idx[OQ_MAX_RANK];
    switch (nd->op) {
    case OQ_OP_Identity: case OQ_OP_Reshape: case OQ_OP_Flatten: case OQ_OP_Squeeze:
    case OQ_OP_Unsqueeze:
        if (oq_shape_numel(&x->shape) != cnt || x->dtype != dt)
            return OQ_OK;
        memcpy(tmp, x->data, (size_t)cnt * oq_dtype_size(dt));
        break;
    case OQ_OP_Cast:
        for (int64_t i = 0; i < cnt; i++) {
            if (dt_float(x->dtype) && !fl) {
                double v = oq_elem_f64(x->data, x->dtype, i);
                if (dt == OQ_DT_BOOL) {
                    oq_elem_set_i64(tmp, dt, i, v != 0);
                    continue;
                }
                if (!(v > -9.2e18 && v < 9.2e18))
                    return OQ_OK;   /* out-of-range float to int: leave to run time */
                oq_elem_set_i64(tmp, dt, i, (int64_t)v);
            } else if (fl) {
                oq_elem_set_f64(tmp, dt, i, oq_elem_f64(x->data, x->dtype, i));
            } else {
                oq_elem_set_i64(tmp, dt, i, oq_elem_i64(x->data, x->dtype, i));
            }
        }
        break;
    case OQ_OP_Neg: case OQ_OP_Abs:
        for (int64_t i = 0; i < cnt; i++) {
            if (fl) {
                double v = oq_elem_f64(x->data, x->dtype, i);
                oq_elem_set_f64(tmp, dt, i, nd->op == OQ_OP_Neg ? -v : fabs(v));
            } else {
                int64_t v = oq_elem_i64(x->data, x->dtype, i);
                if (v == INT64_MIN)
                    return OQ_OK;
                oq_elem_set_i64(tmp, dt, i, nd->op == OQ_OP_Neg ? -v : (v < 0 ? -v : v));
            }
        }
        break;
    case OQ_OP_Add: case OQ_OP_Sub: case OQ_OP_Mul: case OQ_OP_Div: case OQ_OP_Equal:
        if (!eval_binary(g, nd, tmp, cnt))
            return OQ_OK;
        break;
    case OQ_OP_Where: {
        const oq_value *a = ir_in_val(g, nd, 1), *b = ir_in_val(g, nd, 2);
        size_t es = oq_dtype_size(dt);
        if (a->dtype != dt || b->dtype != dt)
            return OQ_OK;
        for (int64_t i = 0; i < cnt; i++) {
            ir_unravel(i, &y->shape, idx);
            bool c = oq_elem_i64(x->data, x->dtype, ir_bcast_off(&x->shape, &y->shape, idx)) != 0;
            const oq_value *s = c ? a : b;
            memcpy((char *)tmp + i * es,
                   (const char *)s->data + ir_bcast_off(&s->shape, &y->shape, idx) * es, es);
        }
        break;
    }
    case OQ_OP_Expand: {
        size_t es = oq_dtype_size(dt);
        for (int64_t i = 0; i < cnt; i++) {
            ir_unravel(i, &y->shape, idx);
            memcpy((char *)tmp + i * es,
                   (const char *)x->data + ir_bcast_off(&x->shape, &y->shape, idx) * es, es);
        }
        break;
    }
    case OQ_OP_Gather: {
        bool ok = true;
        oq_status st = eval_gather(g, n, tmp, &ok, d);
        if (st || !ok)
            return st;
        break;
    }
    case OQ_OP_Concat:
        if (!eval_concat(g, nd, tmp))
            return OQ_OK;
        break;
    case OQ_OP_Slice: {
        oq_slice_plan p;
        bool ok;
        oq_status st = ir_plan_slice(g, n, d, &p, &ok);
        if (st || !ok)
            return st;
        size_t es = oq_dtype_size(dt);
        for (int64_t i = 0; i < cnt; i++) {
            ir_unravel(i, &y->shape, idx);
            int64_t off = 0;
            for (int k = 0; k < x->shape.rank; k++)
                off = off * x->shape.dim[k] + p.start[k] + idx[k] * p.step[k];
            memcpy((char *)tmp + i * es, (const char *)x->data + off * es, es);
        }
        break;
    }
    default:
        return OQ_OK;
    }
    if (!ir_set_const(g, yv, tmp))
        return oq_errorf(d, g, n, OQ_ERR_NOMEM, "out of memory evaluating constant");
    return OQ_OK;
}
