/* Shape and dtype inference of data movement and shape ops: Reshape, Flatten, Transpose,
 * Concat, Split, Slice, Squeeze/Unsqueeze, Gather, Expand, Pad, Resize, Shape, Constant and
 * ConstantOfShape. Shape operands that are constants (or were folded into constants by
 * ir/fold.c) make the output static; see ir/infer.c for the driver and the conventions. */
#include <math.h>
#include <string.h>

#include "ir.h"

oq_status ir_infer_reshape(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    oq_status st = ir_need_in(g, n, d, 1);
    if (st)
        return st;
    const oq_value *x = ir_in_val(g, nd, 0);
    oq_value *y = ir_out_val(g, nd, 0);
    y->dtype = x->dtype;
    int64_t sh[OQ_MAX_RANK + 1];
    int k = ir_const_ints(g, nd->in[1], sh, OQ_MAX_RANK + 1);
    if (k < 0) {
        int64_t len = ir_vec_len(g, nd->in[1]);
        if (len > OQ_MAX_RANK)
            return ir_err_rank(g, n, d, (int)(len > 1000 ? 1000 : len));
        y->shape = len >= 0 ? ir_rank_shape((int)len) : ir_unknown_shape();
        return OQ_OK;
    }
    if (k > OQ_MAX_RANK)
        return ir_err_rank(g, n, d, k);
    bool allowzero = ir_attr_i(nd, OQ_A_Reshape_allowzero) != 0;
    oq_shape o = ir_rank_shape(k);
    int neg = -1;
    int64_t known = 1;         /* product of the known output dims */
    bool unk = false;
    for (int i = 0; i < k; i++) {
        int64_t v = sh[i];
        if (v == 0 && !allowzero) {
            if (x->shape.rank >= 0 && i >= x->shape.rank)
                return oq_errorf(d, g, n, OQ_ERR_SHAPE,
                                 "shape entry %d is 0 (copy) but input '%s' has rank %d", i,
                                 x->name, x->shape.rank);
            v = x->shape.rank >= 0 ? x->shape.dim[i] : -1;
        } else if (v == -1) {
            if (neg >= 0)
                return oq_errorf(d, g, n, OQ_ERR_SHAPE, "shape has more than one -1");
            neg = i;
            continue;
        } else if (v < -1) {
            return oq_errorf(d, g, n, OQ_ERR_SHAPE, "shape entry %d is %lld", i, (long long)v);
        }
        o.dim[i] = v;
        if (v < 0)
            unk = true;
        else if (v && known > INT64_MAX / v)
            return oq_errorf(d, g, n, OQ_ERR_SHAPE, "target shape overflows");
        else
            known *= v;
    }
    int64_t total = oq_shape_numel(&x->shape);
    if (neg >= 0 && unk && x->shape.rank >= 0) {
        /* unknown dims copied by 0 at the same position cancel out: [N,8,1,1] -> [0,-1] = [N,8] */
        bool cancel = true;
        int64_t rest_in = 1, rest_out = 1;
        for (int i = 0; i < x->shape.rank && cancel; i++) {
            bool copied = !allowzero && i < k && sh[i] == 0;
            if (copied)
                continue;
            if (x->shape.dim[i] < 0 || (x->shape.dim[i] && rest_in > INT64_MAX / x->shape.dim[i]))
                cancel = false;
            else
                rest_in *= x->shape.dim[i];
        }
        for (int i = 0; i < k && cancel; i++) {
            bool copied = !allowzero && sh[i] == 0;
            if (copied || i == neg)
                continue;
            if (o.dim[i] < 0 || (o.dim[i] && rest_out > INT64_MAX / o.dim[i]))
                cancel = false;
            else
                rest_out *= o.dim[i];
        }
        if (cancel && rest_out > 0 && rest_in % rest_out == 0)
            o.dim[neg] = rest_in / rest_out;
    }
    if (neg >= 0) {
        if (allowzero && known == 0 && !unk)
            return oq_errorf(d, g, n, OQ_ERR_SHAPE, "shape has both 0 (allowzero) and -1");
        if (!unk && total >= 0) {
            if (known == 0 || total % known)
                return oq_errorf(d, g, n, OQ_ERR_SHAPE,
                                 "cannot reshape %lld elements of '%s': not divisible by %lld",
                                 (long long)total, x->name, (long long)known);
            o.dim[neg] = total / known;
        }
    } else if (!unk && total >= 0 && total != known) {
        return oq_errorf(d, g, n, OQ_ERR_SHAPE,
                         "cannot reshape %lld elements of '%s' into %lld elements",
                         (long long)total, x->name, (long long)known);
    }
    y->shape = o;
    return OQ_OK;
}

oq_status ir_infer_flatten(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    const oq_value *x = ir_in_val(g, nd, 0);
    oq_value *y = ir_out_val(g, nd, 0);
    y->dtype = x->dtype;
    oq_shape o = ir_rank_shape(2);
    if (x->shape.rank < 0) {
        y->shape = o;
        return OQ_OK;
    }
    int64_t axis = ir_attr_i(nd, OQ_A_Flatten_axis);
    int r = x->shape.rank;
    if (axis < -r || axis > r)
        return ir_err_axis(g, n, d, "axis", axis, r);
    int ax = (int)(axis < 0 ? axis + r : axis);
    oq_shape lo = x->shape, hi = x->shape;
    lo.rank = ax;
    hi.rank = r - ax;
    memmove(hi.dim, x->shape.dim + ax, (size_t)(r - ax) * sizeof(int64_t));
    o.dim[0] = oq_shape_numel(&lo);
    o.dim[1] = oq_shape_numel(&hi);
    y->shape = o;
    return OQ_OK;
}

oq_status ir_infer_transpose(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    const oq_value *x = ir_in_val(g, nd, 0);
    oq_value *y = ir_out_val(g, nd, 0);
    y->dtype = x->dtype;
    const int64_t *perm;
    int np = ir_attr_is(nd, OQ_A_Transpose_perm, &perm);
    int r = x->shape.rank;
    if (r < 0) {
        y->shape = np >= 0 ? ir_rank_shape(np) : ir_unknown_shape();
        if (np > OQ_MAX_RANK)
            return ir_err_rank(g, n, d, np);
        return OQ_OK;
    }
    if (np >= 0 && np != r)
        return oq_errorf(d, g, n, OQ_ERR_SHAPE, "perm has %d entries for rank %d", np, r);
    oq_shape o = ir_rank_shape(r);
    bool seen[OQ_MAX_RANK] = {false};
    for (int i = 0; i < r; i++) {
        int64_t p = np >= 0 ? perm[i] : r - 1 - i;
        int pa;
        if (!ir_norm_axis(p, r, &pa) || seen[pa])
            return oq_errorf(d, g, n, OQ_ERR_SHAPE, "perm is not a permutation of 0..%d", r - 1);
        seen[pa] = true;
        o.dim[i] = x->shape.dim[pa];
    }
    y->shape = o;
    return OQ_OK;
}

oq_status ir_infer_concat(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    oq_value *y = ir_out_val(g, nd, 0);
    int64_t axis = ir_attr_i(nd, OQ_A_Concat_axis);
    if (!ir_attr_get(nd, OQ_A_Concat_axis))
        return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL, "attribute 'axis' is missing");
    int r = -1;
    y->dtype = OQ_DT_UNDEFINED;
    for (uint32_t i = 0; i < nd->nin; i++) {
        const oq_value *v = ir_in_val(g, nd, i);
        if (!v)
            continue;
        if (y->dtype == OQ_DT_UNDEFINED)
            y->dtype = v->dtype;
        else if (v->dtype != OQ_DT_UNDEFINED && v->dtype != y->dtype)
            return oq_errorf(d, g, n, OQ_ERR_DTYPE, "input '%s' is %s, others are %s", v->name,
                             oq_dtype_name(v->dtype), oq_dtype_name(y->dtype));
        if (v->shape.rank >= 0) {
            if (r >= 0 && v->shape.rank != r)
                return oq_errorf(d, g, n, OQ_ERR_SHAPE, "input '%s' has rank %d, others %d",
                                 v->name, v->shape.rank, r);
            r = v->shape.rank;
        }
    }
    if (r < 0) {
        y->shape = ir_unknown_shape();
        return OQ_OK;
    }
    int ax;
    if (!ir_norm_axis(axis, r, &ax))
        return ir_err_axis(g, n, d, "axis", axis, r);
    oq_shape o = ir_rank_shape(r);
    o.dim[ax] = 0;
    for (uint32_t i = 0; i < nd->nin; i++) {
        const oq_value *v = ir_in_val(g, nd, i);
        if (!v)
            continue;
        if (v->shape.rank < 0) {
            o.dim[ax] = -1;
            continue;
        }
        for (int k = 0; k < r; k++) {
            int64_t dk = v->shape.dim[k];
            if (k == ax) {
                if (dk < 0 || o.dim[ax] < 0)
                    o.dim[ax] = -1;
                else if (dk > INT64_MAX - o.dim[ax])
                    return oq_errorf(d, g, n, OQ_ERR_SHAPE, "concatenated dim overflows");
                else
                    o.dim[ax] += dk;
            } else if (dk >= 0) {
                if (o.dim[k] >= 0 && o.dim[k] != dk)
                    return oq_errorf(d, g, n, OQ_ERR_SHAPE,
                                     "input '%s' dim %d is %lld, others have %lld", v->name, k,
                                     (long long)dk, (long long)o.dim[k]);
                o.dim[k] = dk;
            }
        }
    }
    y->shape = o;
    return OQ_OK;
}

oq_status ir_infer_split(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    const oq_value *x = ir_in_val(g, nd, 0);
    int r = x->shape.rank;
    int64_t axis = ir_attr_i(nd, OQ_A_Split_axis);
    int ax = 0;
    if (r >= 0 && !ir_norm_axis(axis, r, &ax))
        return ir_err_axis(g, n, d, "axis", axis, r);
    uint32_t no = nd->nout;
    int64_t dim = r >= 0 ? x->shape.dim[ax] : -1;
    const oq_value *sv = ir_in_val(g, nd, 1);
    const int64_t *sattr = NULL;
    int nsattr = sv ? -1 : ir_attr_is(nd, OQ_A_Split_split, &sattr);
    int64_t nout_attr = ir_attr_i(nd, OQ_A_Split_num_outputs);
    bool sizes_known = false;
    if (sv && (!sv->data || !ir_dt_int(sv->dtype)))
        sizes_known = false;
    else if (sv || nsattr >= 0)
        sizes_known = true;
    if (sv && sv->data) {
        int64_t cnt = oq_shape_numel(&sv->shape);
        if (cnt != (int64_t)no)
            return oq_errorf(d, g, n, OQ_ERR_SHAPE, "split '%s' has %lld sizes for %u outputs",
                             sv->name, (long long)cnt, no);
    } else if (nsattr >= 0 && nsattr != (int)no) {
        return oq_errorf(d, g, n, OQ_ERR_SHAPE, "split has %d sizes for %u outputs", nsattr, no);
    }
    if (nout_attr && nout_attr != (int64_t)no)
        return oq_errorf(d, g, n, OQ_ERR_SHAPE, "num_outputs=%lld but the node has %u outputs",
                         (long long)nout_attr, no);
    int64_t sum = 0;
    for (uint32_t i = 0; i < no; i++) {
        oq_value *y = ir_out_val(g, nd, i);
        int64_t sz = -1;
        if (sizes_known) {
            sz = sv ? oq_elem_i64(sv->data, sv->dtype, i) : sattr[i];
            if (sz < 0)
                return oq_errorf(d, g, n, OQ_ERR_SHAPE, "split size %u is %lld", i, (long long)sz);
            if (sz > INT64_MAX - sum)
                return oq_errorf(d, g, n, OQ_ERR_SHAPE, "split sizes overflow");
            sum += sz;
        } else if (!sv && dim >= 0) {
            if (nout_attr) {   /* opset 18: ceil chunks, the last one smaller */
                int64_t c = dim / no + (dim % no != 0);
                sz = i + 1 < no ? c : dim - c * (no - 1);
                if (sz < 0)
                    return oq_errorf(d, g, n, OQ_ERR_SHAPE, "cannot split %lld into %u outputs",
                                     (long long)dim, no);
            } else {
                if (dim % no)
                    return oq_errorf(d, g, n, OQ_ERR_SHAPE,
                                     "dim %d of '%s' (%lld) does not split evenly into %u outputs",
                                     ax, x->name, (long long)dim, no);
                sz = dim / no;
            }
        }
        if (!y)
            continue;
        y->dtype = x->dtype;
        y->shape = x->shape;
        if (r >= 0)
            y->shape.dim[ax] = sz;
    }
    if (sizes_known && dim >= 0 && sum != dim)
        return oq_errorf(d, g, n, OQ_ERR_SHAPE,
                         "split sizes sum to %lld but dim %d of '%s' is %lld",
                         (long long)sum, ax, x->name, (long long)dim);
    return OQ_OK;
}

/* Slice along normalized parameters: computes (start, count) for one axis of size dim.
 * requires step != 0 and step > INT64_MIN; the clamped bounds differ by at most dim + 1, so
 * no intermediate overflows whatever the step's size. */
static void slice_axis(int64_t dim, int64_t st, int64_t en, int64_t step, int64_t *start,
                       int64_t *count)
{
    st = oq_slice_clamp(dim, st, step);
    en = oq_slice_clamp(dim, en, step);
    if (step > 0)
        *count = en > st ? (en - st - 1) / step + 1 : 0;
    else
        *count = st > en ? (st - en - 1) / -step + 1 : 0;
    *start = st;
}

/* Per-axis slice parameters (oq_slice_plan); *ok false when starts/ends/axes/steps are not
 * constant. */
oq_status ir_plan_slice(oq_graph *g, uint32_t n, oq_diag *d, oq_slice_plan *p, bool *ok)
{
    const oq_node *nd = &g->nodes[n];
    const oq_value *x = ir_in_val(g, nd, 0);
    int r = x->shape.rank;
    *ok = false;
    int64_t st[OQ_MAX_RANK], en[OQ_MAX_RANK], ax[OQ_MAX_RANK], sp[OQ_MAX_RANK];
    if (nd->nin < 3 || nd->in[1] == OQ_NONE || nd->in[2] == OQ_NONE)
        return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL, "starts and ends inputs are required");
    int ns = ir_const_ints(g, nd->in[1], st, OQ_MAX_RANK);
    int ne = ir_const_ints(g, nd->in[2], en, OQ_MAX_RANK);
    bool has_ax = nd->nin > 3 && nd->in[3] != OQ_NONE, has_sp = nd->nin > 4 && nd->in[4] != OQ_NONE;
    int na = has_ax ? ir_const_ints(g, nd->in[3], ax, OQ_MAX_RANK) : -2;
    int nsp = has_sp ? ir_const_ints(g, nd->in[4], sp, OQ_MAX_RANK) : -2;
    if (ns < 0 || ne < 0 || na == -1 || nsp == -1 || r < 0)
        return OQ_OK;
    if (ns != ne || (na >= 0 && na != ns) || (nsp >= 0 && nsp != ns))
        return oq_errorf(d, g, n, OQ_ERR_SHAPE, "starts/ends/axes/steps lengths differ");
    for (int i = 0; i < r; i++) {
        p->start[i] = 0;
        p->step[i] = 1;
        p->count[i] = x->shape.dim[i];
    }
    bool seen[OQ_MAX_RANK] = {false};
    for (int i = 0; i < ns; i++) {
        int a;
        int64_t axv = na >= 0 ? ax[i] : i;
        if (!ir_norm_axis(axv, r, &a))
            return ir_err_axis(g, n, d, "slice axis", axv, r);
        if (seen[a])
            return oq_errorf(d, g, n, OQ_ERR_SHAPE, "slice axis %d repeated", a);
        seen[a] = true;
        int64_t step = nsp >= 0 ? sp[i] : 1;
        if (step == 0)
            return oq_errorf(d, g, n, OQ_ERR_SHAPE, "slice step is 0");
        if (step == INT64_MIN)
            step = -INT64_MAX;
        p->step[a] = step;
        int64_t dim = x->shape.dim[a];
        if (dim < 0) {
            p->count[a] = -1;
            continue;
        }
        slice_axis(dim, st[i], en[i], step, &p->start[a], &p->count[a]);
    }
    *ok = true;
    return OQ_OK;
}

oq_status ir_infer_slice(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    const oq_value *x = ir_in_val(g, nd, 0);
    oq_value *y = ir_out_val(g, nd, 0);
    y->dtype = x->dtype;
    oq_slice_plan p;
    bool ok;
    oq_status st = ir_plan_slice(g, n, d, &p, &ok);
    if (st)
        return st;
    if (!ok) {
        /* axes known: other dims pass through */
        y->shape = x->shape.rank >= 0 ? ir_rank_shape(x->shape.rank) : ir_unknown_shape();
        int64_t ax[OQ_MAX_RANK];
        int na = nd->nin > 3 && nd->in[3] != OQ_NONE ? ir_const_ints(g, nd->in[3], ax, OQ_MAX_RANK)
                                                     : -1;
        if (na >= 0 && x->shape.rank >= 0) {
            y->shape = x->shape;
            for (int i = 0; i < na; i++) {
                int a;
                if (!ir_norm_axis(ax[i], x->shape.rank, &a))
                    return ir_err_axis(g, n, d, "slice axis", ax[i], x->shape.rank);
                y->shape.dim[a] = -1;
            }
        }
        return OQ_OK;
    }
    oq_shape o = ir_rank_shape(x->shape.rank);
    for (int i = 0; i < o.rank; i++)
        o.dim[i] = p.count[i];
    y->shape = o;
    return OQ_OK;
}

oq_status ir_infer_squeeze(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    const oq_value *x = ir_in_val(g, nd, 0);
    oq_value *y = ir_out_val(g, nd, 0);
    y->dtype = x->dtype;
    int64_t axes[OQ_MAX_RANK * 2];
    int na;
    bool known;
    ir_infer_axes(g, nd, axes, &na, &known, OQ_MAX_RANK * 2);
    int r = x->shape.rank;
    if (r < 0 || !known) {
        y->shape = (r >= 0 && na >= 0 && na <= r) ? ir_rank_shape(r - na) : ir_unknown_shape();
        return OQ_OK;
    }
    bool drop[OQ_MAX_RANK] = {false};
    if (na <= 0) {             /* absent (or empty, as ONNX Runtime reads it): every 1-dim */
        for (int i = 0; i < r; i++) {
            if (x->shape.dim[i] < 0) {
                y->shape = ir_unknown_shape();
                return OQ_OK;
            }
            drop[i] = x->shape.dim[i] == 1;
        }
    } else {
        for (int i = 0; i < na; i++) {
            int a;
            if (!ir_norm_axis(axes[i], r, &a))
                return ir_err_axis(g, n, d, "squeeze axis", axes[i], r);
            if (x->shape.dim[a] >= 0 && x->shape.dim[a] != 1)
                return oq_errorf(d, g, n, OQ_ERR_SHAPE, "cannot squeeze dim %d of '%s' (size %lld)",
                                 a, x->name, (long long)x->shape.dim[a]);
            drop[a] = true;
        }
    }
    oq_shape o = ir_rank_shape(0);
    for (int i = 0; i < r; i++)
        if (!drop[i])
            o.dim[o.rank++] = x->shape.dim[i];
    y->shape = o;
    return OQ_OK;
}

oq_status ir_infer_unsqueeze(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    const oq_value *x = ir_in_val(g, nd, 0);
    oq_value *y = ir_out_val(g, nd, 0);
    y->dtype = x->dtype;
    int64_t axes[OQ_MAX_RANK + 1];
    int na;
    bool known;
    ir_infer_axes(g, nd, axes, &na, &known, OQ_MAX_RANK + 1);
    if (na < 0 && known)
        return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL, "axes are missing");
    int r = x->shape.rank;
    if (r >= 0 && na >= 0 && r + na > OQ_MAX_RANK)
        return ir_err_rank(g, n, d, r + na);
    if (r < 0 || !known) {
        y->shape = (r >= 0 && na >= 0) ? ir_rank_shape(r + na) : ir_unknown_shape();
        return OQ_OK;
    }
    int ro = r + na;
    bool ins[OQ_MAX_RANK] = {false};
    for (int i = 0; i < na; i++) {
        int a;
        if (!ir_norm_axis(axes[i], ro, &a))
            return ir_err_axis(g, n, d, "unsqueeze axis", axes[i], ro);
        if (ins[a])
            return oq_errorf(d, g, n, OQ_ERR_SHAPE, "unsqueeze axis %d repeated", a);
        ins[a] = true;
    }
    oq_shape o = ir_rank_shape(ro);
    int k = 0;
    for (int i = 0; i < ro; i++)
        o.dim[i] = ins[i] ? 1 : x->shape.dim[k++];
    y->shape = o;
    return OQ_OK;
}

oq_status ir_infer_gather(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    oq_status st = ir_need_in(g, n, d, 1);
    if (st)
        return st;
    const oq_value *x = ir_in_val(g, nd, 0), *ix = ir_in_val(g, nd, 1);
    oq_value *y = ir_out_val(g, nd, 0);
    y->dtype = x->dtype;
    if (ix->dtype != OQ_DT_UNDEFINED && ix->dtype != OQ_DT_INT64 && ix->dtype != OQ_DT_INT32)
        return oq_errorf(d, g, n, OQ_ERR_DTYPE, "indices '%s' are %s; expected int32/int64",
                         ix->name, oq_dtype_name(ix->dtype));
    int r = x->shape.rank, q = ix->shape.rank;
    if (r < 0 || q < 0) {
        y->shape = ir_unknown_shape();
        return OQ_OK;
    }
    int64_t axis = ir_attr_i(nd, OQ_A_Gather_axis);
    int ax;
    if (!ir_norm_axis(axis, r, &ax))
        return ir_err_axis(g, n, d, "axis", axis, r);
    if (r - 1 + q > OQ_MAX_RANK)
        return ir_err_rank(g, n, d, r - 1 + q);
    oq_shape o = ir_rank_shape(r - 1 + q);
    int k = 0;
    for (int i = 0; i < ax; i++)
        o.dim[k++] = x->shape.dim[i];
    for (int i = 0; i < q; i++)
        o.dim[k++] = ix->shape.dim[i];
    for (int i = ax + 1; i < r; i++)
        o.dim[k++] = x->shape.dim[i];
    y->shape = o;
    return OQ_OK;
}

oq_status ir_infer_expand(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    oq_status st = ir_need_in(g, n, d, 1);
    if (st)
        return st;
    const oq_value *x = ir_in_val(g, nd, 0);
    oq_value *y = ir_out_val(g, nd, 0);
    y->dtype = x->dtype;
    int64_t sh[OQ_MAX_RANK + 1];
    int k = ir_const_ints(g, nd->in[1], sh, OQ_MAX_RANK + 1);
    oq_shape t;
    if (k < 0) {
        int64_t len = ir_vec_len(g, nd->in[1]);
        if (len < 0) {
            y->shape = ir_unknown_shape();
            return OQ_OK;
        }
        if (len > OQ_MAX_RANK)
            return ir_err_rank(g, n, d, (int)(len > 1000 ? 1000 : len));
        t = ir_rank_shape((int)len);
    } else {
        if (k > OQ_MAX_RANK)
            return ir_err_rank(g, n, d, k);
        t = ir_rank_shape(k);
        for (int i = 0; i < k; i++) {
            if (sh[i] < 0)
                return oq_errorf(d, g, n, OQ_ERR_SHAPE, "shape entry %d is %lld", i,
                                 (long long)sh[i]);
            t.dim[i] = sh[i];
        }
    }
    return ir_bcast2(g, n, &x->shape, &t, &y->shape, d);
}

oq_status ir_infer_pad(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    const oq_value *x = ir_in_val(g, nd, 0);
    oq_value *y = ir_out_val(g, nd, 0);
    y->dtype = x->dtype;
    int r = x->shape.rank;
    int64_t pads[2 * OQ_MAX_RANK];
    int np;
    const int64_t *pa;
    if (nd->nin > 1 && nd->in[1] != OQ_NONE) {
        np = ir_const_ints(g, nd->in[1], pads, 2 * OQ_MAX_RANK);
    } else if ((np = ir_attr_is(nd, OQ_A_Conv_pads, &pa)) >= 0 && np <= 2 * OQ_MAX_RANK) {
        memcpy(pads, pa, (size_t)np * sizeof *pa);
    } else {
        np = -1;
    }
    if (r < 0 || np < 0) {
        y->shape = r >= 0 ? ir_rank_shape(r) : ir_unknown_shape();
        return OQ_OK;
    }
    if (np != 2 * r)
        return oq_errorf(d, g, n, OQ_ERR_SHAPE, "pads has %d entries for rank %d", np, r);
    oq_shape o = ir_rank_shape(r);
    for (int i = 0; i < r; i++) {
        int64_t dm = x->shape.dim[i];
        if (pads[i] > (1LL << 40) || pads[r + i] > (1LL << 40) || pads[i] < -(1LL << 40) ||
            pads[r + i] < -(1LL << 40))
            return oq_errorf(d, g, n, OQ_ERR_SHAPE, "pads of dim %d out of range", i);
        if (dm < 0)
            continue;
        o.dim[i] = dm + pads[i] + pads[r + i];
        if (o.dim[i] < 0)
            return oq_errorf(d, g, n, OQ_ERR_SHAPE, "pads make dim %d negative", i);
    }
    y->shape = o;
    return OQ_OK;
}

oq_status ir_infer_resize(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    const oq_value *x = ir_in_val(g, nd, 0);
    const oq_value *sc = ir_in_val(g, nd, 2), *sz = ir_in_val(g, nd, 3);
    oq_value *y = ir_out_val(g, nd, 0);
    y->dtype = x->dtype;
    int r = x->shape.rank;
    if (sc && sc->shape.rank >= 0 && oq_shape_numel(&sc->shape) == 0)
        sc = NULL;             /* empty scales: sizes decide */
    if (sz && sz->shape.rank >= 0 && oq_shape_numel(&sz->shape) == 0)
        sz = NULL;
    if (sc && sz)
        return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL, "both scales and sizes are given");
    if (!sc && !sz)
        return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL, "neither scales nor sizes is given");
    if (r < 0) {
        y->shape = ir_unknown_shape();
        return OQ_OK;
    }
    const int64_t *axv;
    int nax = ir_attr_is(nd, OQ_A_Resize_axes, &axv);
    int axes[OQ_MAX_RANK];
    int na = nax >= 0 ? nax : r;
    if (na > r)
        return oq_errorf(d, g, n, OQ_ERR_SHAPE, "axes has %d entries for rank %d", na, r);
    for (int i = 0; i < na; i++)
        if (nax < 0)
            axes[i] = i;
        else if (!ir_norm_axis(axv[i], r, &axes[i]))
            return ir_err_axis(g, n, d, "resize axis", axv[i], r);
    oq_shape o = x->shape;
    const oq_value *pv = sc ? sc : sz;
    if (!pv->data) {
        for (int i = 0; i < na; i++)
            o.dim[axes[i]] = -1;
        y->shape = o;
        return OQ_OK;
    }
    int64_t cnt = oq_shape_numel(&pv->shape);
    if (cnt != na)
        return oq_errorf(d, g, n, OQ_ERR_SHAPE, "'%s' has %lld entries for %d axes", pv->name,
                         (long long)cnt, na);
    if (sz) {
        if (!ir_dt_int(sz->dtype))
            return oq_errorf(d, g, n, OQ_ERR_DTYPE, "sizes must be int64");
        const char *pol = ir_attr_s(nd, OQ_A_Resize_keep_aspect_ratio_policy);
        bool nl = strcmp(pol, "not_larger") == 0, ns = strcmp(pol, "not_smaller") == 0;
        if (!nl && !ns && strcmp(pol, "stretch") != 0)
            return oq_errorf(d, g, n, OQ_ERR_UNSUPPORTED_ATTR,
                             "keep_aspect_ratio_policy=%s not supported", pol);
        double scale = nl ? INFINITY : 0;
        for (int i = 0; i < na; i++) {
            int64_t v = oq_elem_i64(sz->data, sz->dtype, i);
            if (v < 0 || v > (1LL << 40))
                return oq_errorf(d, g, n, OQ_ERR_SHAPE, "size %d is %lld", i, (long long)v);
            int64_t in = x->shape.dim[axes[i]];
            o.dim[axes[i]] = v;
            if ((nl || ns) && in > 0) {
                double s = (double)v / (double)in;
                scale = nl ? (s < scale ? s : scale) : (s > scale ? s : scale);
            } else if (nl || ns) {
                scale = NAN;
            }
        }
        if (nl || ns)
            for (int i = 0; i < na; i++) {
                int64_t in = x->shape.dim[axes[i]];
                o.dim[axes[i]] = isnan(scale) ? -1 : (int64_t)nearbyint(scale * (double)in);
            }
    } else {
        if (!ir_dt_float(sc->dtype))
            return oq_errorf(d, g, n, OQ_ERR_DTYPE, "scales must be float");
        bool crop = strcmp(ir_attr_s(nd, OQ_A_Resize_coordinate_transformation_mode),
                           "tf_crop_and_resize") == 0;
        const oq_value *roi = ir_in_val(g, nd, 1);
        for (int i = 0; i < na; i++) {
            double s = oq_elem_f64(sc->data, sc->dtype, i);
            int64_t in = x->shape.dim[axes[i]];
            if (!(s > 0) || s > 1e6)
                return oq_errorf(d, g, n, OQ_ERR_SHAPE, "scale %d is %g", i, s);
            if (in < 0) {
                o.dim[axes[i]] = -1;
                continue;
            }
            double ext = 1.0;
            if (crop && roi && roi->data && ir_dt_float(roi->dtype) &&
                oq_shape_numel(&roi->shape) == 2 * na)
                ext = oq_elem_f64(roi->data, roi->dtype, na + i) -
                      oq_elem_f64(roi->data, roi->dtype, i);
            double v = floor((double)in * ext * (double)(float)s);
            if (v < 0 || v > (double)(1LL << 40))
                return oq_errorf(d, g, n, OQ_ERR_SHAPE, "resized dim %d out of range", axes[i]);
            o.dim[axes[i]] = (int64_t)v;
        }
    }
    y->shape = o;
    return OQ_OK;
}

oq_status ir_infer_shape_of(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    const oq_value *x = ir_in_val(g, nd, 0);
    oq_value *y = ir_out_val(g, nd, 0);
    y->dtype = OQ_DT_INT64;
    int r = x->shape.rank;
    if (r < 0) {
        y->shape = ir_rank_shape(1);
        return OQ_OK;
    }
    int64_t s = ir_attr_i(nd, OQ_A_Shape_start);
    int64_t e = ir_attr_get(nd, OQ_A_Shape_end) ? ir_attr_i(nd, OQ_A_Shape_end) : r;
    s = s < 0 ? s + r : s;
    e = e < 0 ? e + r : e;
    s = s < 0 ? 0 : (s > r ? r : s);
    e = e < 0 ? 0 : (e > r ? r : e);
    y->shape = ir_rank_shape(1);
    y->shape.dim[0] = e > s ? e - s : 0;
    return OQ_OK;
}

oq_status ir_infer_constant_of_shape(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    oq_value *y = ir_out_val(g, nd, 0);
    const oq_attr *va = ir_attr_get(nd, OQ_A_ConstantOfShape_value);
    y->dtype = OQ_DT_FLOAT;
    if (va && va->type == OQ_ATTR_TENSOR && va->t) {
        if (oq_shape_numel(&va->t->shape) != 1)
            return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL,
                             "attribute 'value' must hold one element");
        y->dtype = va->t->dtype;
    }
    int64_t sh[OQ_MAX_RANK + 1];
    int k = ir_const_ints(g, nd->in[0], sh, OQ_MAX_RANK + 1);
    if (k < 0) {
        int64_t len = ir_vec_len(g, nd->in[0]);
        if (len > OQ_MAX_RANK)
            return ir_err_rank(g, n, d, (int)(len > 1000 ? 1000 : len));
        y->shape = len >= 0 ? ir_rank_shape((int)len) : ir_unknown_shape();
        return OQ_OK;
    }
    if (k > OQ_MAX_RANK)
        return ir_err_rank(g, n, d, k);
    oq_shape o = ir_rank_shape(k);
    for (int i = 0; i < k; i++) {
        if (sh[i] < 0)
            return oq_errorf(d, g, n, OQ_ERR_SHAPE, "shape entry %d is %lld", i, (long long)sh[i]);
        o.dim[i] = sh[i];
    }
    y->shape = o;
    return OQ_OK;
}

/* Constant (should be gone after import, but a parsed or hand-built graph may hold one). */
oq_status ir_infer_constant(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    uint32_t yv = nd->out[0];
    oq_value *y = &g->values[yv];
    const oq_attr *a = nd->nattr ? &nd->attr[0] : NULL;
    if (!a)
        return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL, "Constant has no value attribute");
    oq_shape s = ir_rank_shape(0);
    const void *src = NULL;
    int64_t lv;
    if (a->type == OQ_ATTR_TENSOR && a->t) {
        y->dtype = a->t->dtype;
        s = a->t->shape;
        src = a->t->data;
    } else if (a->type == OQ_ATTR_FLOAT) {
        y->dtype = OQ_DT_FLOAT;
        src = &a->f;
    } else if (a->type == OQ_ATTR_INT) {
        y->dtype = OQ_DT_INT64;
        lv = a->i;
        src = &lv;
    } else if (a->type == OQ_ATTR_INTS) {
        y->dtype = OQ_DT_INT64;
        s.rank = 1;
        s.dim[0] = a->n;
        src = a->ints;
    } else if (a->type == OQ_ATTR_FLOATS) {
        y->dtype = OQ_DT_FLOAT;
        s.rank = 1;
        s.dim[0] = a->n;
        src = a->floats;
    } else {
        return oq_errorf(d, g, n, OQ_ERR_UNSUPPORTED_ATTR, "Constant attribute '%s' not supported",
                         a->name);
    }
    y->shape = s;
    if (src && !y->data && ir_value_nbytes(g, yv) && !ir_set_const(g, yv, src))
        return oq_errorf(d, g, n, OQ_ERR_NOMEM, "out of memory");
    return OQ_OK;
}
