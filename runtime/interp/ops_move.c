/* Data movement: Identity, Reshape, Flatten, Squeeze, Unsqueeze (a copy: shapes are static),
 * Dropout (inference, or training with ratio 0), Transpose, Concat, Split, Slice, Gather,
 * Expand, Pad (constant, reflect, edge; negative pads crop; optional axes input), Shape
 * (start/end), ConstantOfShape, Constant and Cast. Everything is type-agnostic (element-size
 * copies) except Cast; Transpose, Slice, Concat, Split and Pad run the strided copy and the
 * pad of runtime/f32/ops. */
#include "ops.h"

/* Copies the input bytes (ops that only change the static shape). */
oq_status oq_exec_copy(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                       oq_rt_tensor *out, void *state, oq_diag *d)
{
    if (oq_rt_numel(&in[0]) != oq_rt_numel(&out[0]))
        return oq_errorf(d, g, node, OQ_ERR_SHAPE, "element count changes");
    oq_rt_copy(&out[0], &in[0]);
    return OQ_OK;
}

/* Identity in inference (mask all true); training only with ratio 0. */
oq_status oq_exec_dropout(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                          oq_rt_tensor *out, void *state, oq_diag *d)
{
    const oq_node *nd = &g->nodes[node];
    bool ratio0 = nd->nin > 1 && in[1].data && oq_rt_get_f64(&in[1], 0) == 0.0;
    if (nd->nin > 2 && in[2].data && oq_rt_get_i64(&in[2], 0) && !ratio0)
        return oq_errorf(d, g, node, OQ_ERR_UNSUPPORTED_ATTR,
                         "training_mode=true with ratio > 0 (random dropout) is not supported");
    oq_rt_copy(&out[0], &in[0]);
    if (nd->nout > 1 && out[1].data)
        memset(out[1].data, 1, (size_t)oq_rt_numel(&out[1]));
    return OQ_OK;
}

/* Permutes dims (perm attribute, default reversed). */
oq_status oq_exec_transpose(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                            oq_rt_tensor *out, void *state, oq_diag *d)
{
    const oq_node *nd = &g->nodes[node];
    int r = in[0].shape.rank;
    int64_t perm[OQ_MAX_RANK];
    const int64_t *pa;
    int np = ir_attr_is(nd, OQ_A_Transpose_perm, &pa);
    if (np >= 0 && np != r)
        return oq_errorf(d, g, node, OQ_ERR_INVALID_MODEL, "perm has %d entries for rank %d", np,
                         r);
    for (int i = 0; i < r; i++) {
        perm[i] = np >= 0 ? pa[i] : r - 1 - i;
        if (perm[i] < 0 || perm[i] >= r)
            return oq_errorf(d, g, node, OQ_ERR_INVALID_MODEL, "bad perm entry %lld",
                             (long long)perm[i]);
    }
    int64_t ist[OQ_MAX_RANK], st[OQ_MAX_RANK], ost[OQ_MAX_RANK];
    oq_strides(&in[0].shape, ist);
    oq_strides(&out[0].shape, ost);
    for (int i = 0; i < r; i++)
        st[i] = ist[perm[i]];  /* input stride of output dim i */
    if (oq_rt_numel(&out[0]) > 0)
        oq_x_copy__scalar(r, out[0].shape.dim, in[0].data, st, out[0].data, ost,
                          oq_dtype_size(in[0].dtype));
    return OQ_OK;
}

/* Concatenates present inputs along axis. */
oq_status oq_exec_concat(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                         oq_rt_tensor *out, void *state, oq_diag *d)
{
    const oq_node *nd = &g->nodes[node];
    int r = out[0].shape.rank, ax;
    if (!oq_norm_axis(ir_attr_i(nd, OQ_A_Concat_axis), r, &ax))
        return oq_errorf(d, g, node, OQ_ERR_INVALID_MODEL, "axis out of range");
    size_t es = oq_dtype_size(out[0].dtype);
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < ax; i++)
        outer *= out[0].shape.dim[i];
    for (int i = ax + 1; i < r; i++)
        inner *= out[0].shape.dim[i];
    int64_t orow = out[0].shape.dim[ax] * inner, pos = 0;
    for (uint32_t k = 0; k < nd->nin; k++) {
        if (!in[k].data)
            continue;
        int64_t row = in[k].shape.dim[ax] * inner;
        int64_t dim[2] = {outer, row}, ss[2] = {row, 1}, ds[2] = {orow, 1};
        if (outer * row > 0)
            oq_x_copy__scalar(2, dim, in[k].data, ss, (char *)out[0].data + pos * (int64_t)es, ds,
                              es);
        pos += row;
    }
    return OQ_OK;
}

/* Splits along axis into the outputs' inferred extents. */
oq_status oq_exec_split(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                        oq_rt_tensor *out, void *state, oq_diag *d)
{
    const oq_node *nd = &g->nodes[node];
    int r = in[0].shape.rank, ax;
    if (!oq_norm_axis(ir_attr_i(nd, OQ_A_Split_axis), r, &ax))
        return oq_errorf(d, g, node, OQ_ERR_INVALID_MODEL, "axis out of range");
    size_t es = oq_dtype_size(in[0].dtype);
    int64_t outer = 1, inner = 1;
    for (int i = 0; i < ax; i++)
        outer *= in[0].shape.dim[i];
    for (int i = ax + 1; i < r; i++)
        inner *= in[0].shape.dim[i];
    int64_t irow = in[0].shape.dim[ax] * inner, pos = 0;
    for (uint32_t k = 0; k < nd->nout; k++) {
        /* every output's extent along the axis comes from its (inferred) shape */
        const oq_shape *os = &g->values[nd->out[k] != OQ_NONE ? nd->out[k] : nd->out[0]].shape;
        int64_t row = os->dim[ax] * inner;
        if (pos + row > irow)
            return oq_errorf(d, g, node, OQ_ERR_SHAPE, "split sizes exceed the input");
        int64_t dim[2] = {outer, row}, ss[2] = {irow, 1}, ds[2] = {row, 1};
        if (out[k].data && outer * row > 0)
            oq_x_copy__scalar(2, dim, (const char *)in[0].data + pos * (int64_t)es, ss,
                              out[k].data, ds, es);
        pos += row;
    }
    return OQ_OK;
}

/* Slice with starts/ends/axes/steps inputs, clamped as ONNX specifies. */
oq_status oq_exec_slice(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                        oq_rt_tensor *out, void *state, oq_diag *d)
{
    const oq_node *nd = &g->nodes[node];
    int r = in[0].shape.rank;
    int64_t start[OQ_MAX_RANK], step[OQ_MAX_RANK];
    for (int i = 0; i < r; i++) {
        start[i] = 0;
        step[i] = 1;
    }
    if (nd->nin < 3 || !in[1].data || !in[2].data)
        return oq_errorf(d, g, node, OQ_ERR_INVALID_MODEL, "starts and ends are required");
    int64_t n = oq_rt_numel(&in[1]);
    bool has_axes = nd->nin > 3 && in[3].data, has_steps = nd->nin > 4 && in[4].data;
    for (int64_t k = 0; k < n; k++) {
        int ax = (int)k;
        if (has_axes && !oq_norm_axis(oq_rt_get_i64(&in[3], k), r, &ax))
            return oq_errorf(d, g, node, OQ_ERR_INVALID_MODEL, "axis out of range");
        int64_t dim = in[0].shape.dim[ax];
        int64_t s = oq_rt_get_i64(&in[1], k);
        int64_t st = has_steps ? oq_rt_get_i64(&in[4], k) : 1;
        if (st == 0)
            return oq_errorf(d, g, node, OQ_ERR_INVALID_MODEL, "step 0");
        start[ax] = oq_slice_clamp(dim, s, st); /* -1 only when the output is empty */
        /* a step is taken only between two outputs, so |st| < dim there and st * stride fits */
        step[ax] = out[0].shape.dim[ax] > 1 ? st : 1;
    }
    int64_t ist[OQ_MAX_RANK], ss[OQ_MAX_RANK], ost[OQ_MAX_RANK], off = 0;
    oq_strides(&in[0].shape, ist);
    oq_strides(&out[0].shape, ost);
    if (oq_rt_numel(&out[0]) == 0)
        return OQ_OK;
    for (int i = 0; i < r; i++) {
        off += start[i] * ist[i];
        ss[i] = step[i] * ist[i];
    }
    size_t es = oq_dtype_size(in[0].dtype);
    oq_x_copy__scalar(r, out[0].shape.dim, (const char *)in[0].data + off * (int64_t)es, ss,
                      out[0].data, ost, es);
    return OQ_OK;
}

/* Gather along axis (runtime/f32/ops oq_x_gather__scalar; indices of other integer types are
 * widened to int64 first); negative indices wrap, out-of-range ones are a DATA error. */
oq_status oq_exec_gather(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                         oq_rt_tensor *out, void *state, oq_diag *d)
{
    const oq_node *nd = &g->nodes[node];
    int r = in[0].shape.rank, ax;
    if (!oq_norm_axis(ir_attr_i(nd, OQ_A_Gather_axis), r, &ax))
        return oq_errorf(d, g, node, OQ_ERR_INVALID_MODEL, "axis out of range");
    if (!oq_dtype_is_int(in[1].dtype) || in[1].dtype == OQ_DT_BOOL)
        return oq_bad_dtype(g, node, d, in[1].dtype);
    size_t es = oq_dtype_size(in[0].dtype);
    int64_t outer = 1, inner = 1, dim = in[0].shape.dim[ax], ni = oq_rt_numel(&in[1]);
    for (int i = 0; i < ax; i++)
        outer *= in[0].shape.dim[i];
    for (int i = ax + 1; i < r; i++)
        inner *= in[0].shape.dim[i];
    int it = oq_rt_xtype(in[1].dtype);
    const void *idx = in[1].data;
    int64_t *wide = NULL;
    if (it != OQ_X_I32 && it != OQ_X_I64) {
        wide = malloc((size_t)(ni ? ni : 1) * sizeof *wide);
        if (!wide)
            return oq_errorf(d, g, node, OQ_ERR_NOMEM, "out of memory");
        for (int64_t j = 0; j < ni; j++)
            wide[j] = oq_rt_get_i64(&in[1], j);
        idx = wide, it = OQ_X_I64;
    }
    int64_t bad = oq_x_gather__scalar(outer, dim, inner, in[0].data, idx, it, ni, out[0].data, es);
    int64_t k = bad >= 0 ? (it == OQ_X_I32 ? ((const int32_t *)idx)[bad]
                                           : ((const int64_t *)idx)[bad]) : 0;
    free(wide);
    if (bad >= 0)
        return oq_errorf(d, g, node, OQ_ERR_DATA, "index %lld (element %lld of '%s') out of "
                         "range [-%lld, %lld)", (long long)k, (long long)bad,
                         g->values[nd->in[1]].name, (long long)dim, (long long)dim);
    return OQ_OK;
}

/* Broadcasts the input to the output shape: a strided copy with stride 0 along broadcast dims. */
oq_status oq_exec_expand(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                         oq_rt_tensor *out, void *state, oq_diag *d)
{
    int64_t st[OQ_MAX_RANK], ost[OQ_MAX_RANK];
    if (!oq_bcast_strides(&in[0].shape, &out[0].shape, st))
        return oq_errorf(d, g, node, OQ_ERR_SHAPE, "input does not broadcast to the output");
    oq_strides(&out[0].shape, ost);
    if (oq_rt_numel(&out[0]) > 0)
        oq_x_copy__scalar(out[0].shape.rank, out[0].shape.dim, in[0].data, st, out[0].data, ost,
                          oq_dtype_size(in[0].dtype));
    return OQ_OK;
}

typedef int pad_mode;          /* OQ_X_PAD_* */

/* Parses the mode attribute (constant, reflect, edge). */
oq_status oq_prep_pad(const oq_graph *g, uint32_t node, void **state, oq_diag *d)
{
    const char *m = ir_attr_s(&g->nodes[node], OQ_A_Pad_mode);
    pad_mode *p = malloc(sizeof *p);
    if (!p)
        return oq_errorf(d, g, node, OQ_ERR_NOMEM, "out of memory");
    if (strcmp(m, "constant") == 0)
        *p = OQ_X_PAD_CONSTANT;
    else if (strcmp(m, "reflect") == 0)
        *p = OQ_X_PAD_REFLECT;
    else if (strcmp(m, "edge") == 0)
        *p = OQ_X_PAD_EDGE;
    else {
        free(p);
        return oq_errorf(d, g, node, OQ_ERR_UNSUPPORTED_ATTR, "pad mode '%s' not supported", m);
    }
    *state = p;
    return OQ_OK;
}

/* Pads (or crops, for negative pads) each dim per the mode. */
oq_status oq_exec_pad(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                      oq_rt_tensor *out, void *state, oq_diag *d)
{
    const oq_node *nd = &g->nodes[node];
    pad_mode mode = *(const pad_mode *)state;
    int r = in[0].shape.rank;
    int64_t pb[OQ_MAX_RANK] = {0};
    if (nd->nin < 2 || !in[1].data)
        return oq_errorf(d, g, node, OQ_ERR_INVALID_MODEL, "pads input is required");
    int64_t np = oq_rt_numel(&in[1]);
    bool has_axes = nd->nin > 3 && in[3].data;
    int64_t na = has_axes ? oq_rt_numel(&in[3]) : r;
    if (np != 2 * na)
        return oq_errorf(d, g, node, OQ_ERR_INVALID_MODEL, "pads has %lld entries for %lld axes",
                         (long long)np, (long long)na);
    for (int64_t k = 0; k < na; k++) {
        int ax = (int)k;
        if (has_axes && !oq_norm_axis(oq_rt_get_i64(&in[3], k), r, &ax))
            return oq_errorf(d, g, node, OQ_ERR_INVALID_MODEL, "axis out of range");
        pb[ax] = oq_rt_get_i64(&in[1], k);
    }
    size_t es = oq_dtype_size(in[0].dtype);
    char cval[16] = {0};
    if (mode == OQ_X_PAD_CONSTANT && nd->nin > 2 && in[2].data && oq_rt_numel(&in[2]) > 0)
        memcpy(cval, in[2].data, es);
    for (int i = 0; i < r; i++)
        if (mode != OQ_X_PAD_CONSTANT && in[0].shape.dim[i] == 0 && out[0].shape.dim[i] > 0)
            return oq_errorf(d, g, node, OQ_ERR_SHAPE, "cannot %s-pad an empty dim",
                             mode == OQ_X_PAD_EDGE ? "edge" : "reflect");
    oq_x_pad__scalar(mode, r, in[0].shape.dim, out[0].shape.dim, pb, in[0].data, out[0].data, es,
                     cval);
    return OQ_OK;
}

/* Writes the input's dims [start, end) as int64. */
oq_status oq_exec_shape(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                        oq_rt_tensor *out, void *state, oq_diag *d)
{
    const oq_node *nd = &g->nodes[node];
    int r = in[0].shape.rank;
    int64_t s = ir_attr_i(nd, OQ_A_Shape_start);
    int64_t e = ir_attr_get(nd, OQ_A_Shape_end) ? ir_attr_i(nd, OQ_A_Shape_end) : r;
    if (s < 0)
        s += r;
    if (e < 0)
        e += r;
    s = s < 0 ? 0 : s > r ? r : s;
    e = e < 0 ? 0 : e > r ? r : e;
    int64_t *y = out[0].data;
    for (int64_t i = s; i < e; i++)
        y[i - s] = in[0].shape.dim[i];
    return OQ_OK;
}

/* Fills the output with the value attribute (default float 0). */
oq_status oq_exec_constant_of_shape(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                                    oq_rt_tensor *out, void *state, oq_diag *d)
{
    const oq_attr *a = ir_attr_get(&g->nodes[node], OQ_A_ConstantOfShape_value);
    size_t es = oq_dtype_size(out[0].dtype);
    char v[16] = {0};
    if (a && a->type == OQ_ATTR_TENSOR && a->t) {
        if (a->t->dtype != out[0].dtype)
            return oq_errorf(d, g, node, OQ_ERR_DTYPE, "value is %s, output is %s",
                             oq_dtype_name(a->t->dtype), oq_dtype_name(out[0].dtype));
        memcpy(v, a->t->data, es);
    }
    int64_t n = oq_rt_numel(&out[0]);
    for (int64_t i = 0; i < n; i++)
        memcpy((char *)out[0].data + i * es, v, es);
    return OQ_OK;
}

/* Writes the Constant node's value attribute (tensor or scalar/list forms). */
oq_status oq_exec_constant(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                           oq_rt_tensor *out, void *state, oq_diag *d)
{
    const oq_node *nd = &g->nodes[node];
    const oq_attr *a = nd->nattr ? &nd->attr[0] : NULL;
    int64_t n = oq_rt_numel(&out[0]);
    if (a && a->type == OQ_ATTR_TENSOR && a->t && a->t->dtype == out[0].dtype) {
        memcpy(out[0].data, a->t->data, (size_t)n * oq_dtype_size(out[0].dtype));
    } else if (a && a->type == OQ_ATTR_FLOAT && n == 1) {
        oq_rt_set_f64(&out[0], 0, a->f);
    } else if (a && a->type == OQ_ATTR_INT && n == 1) {
        oq_rt_set_i64(&out[0], 0, a->i);
    } else if (a && a->type == OQ_ATTR_FLOATS && (int64_t)a->n == n) {
        for (int64_t i = 0; i < n; i++)
            oq_rt_set_f64(&out[0], i, a->floats[i]);
    } else if (a && a->type == OQ_ATTR_INTS && (int64_t)a->n == n) {
        for (int64_t i = 0; i < n; i++)
            oq_rt_set_i64(&out[0], i, a->ints[i]);
    } else {
        return oq_errorf(d, g, node, OQ_ERR_UNSUPPORTED_ATTR,
                         "value attribute missing or of an unsupported kind");
    }
    return OQ_OK;
}

/* Converts element by element (C conversions; float to int truncates). */
oq_status oq_exec_cast(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                       oq_rt_tensor *out, void *state, oq_diag *d)
{
    oq_dtype from = in[0].dtype, to = out[0].dtype;
    if (!(oq_dtype_is_float(from) || oq_dtype_is_int(from) || from == OQ_DT_FLOAT16))
        return oq_bad_dtype(g, node, d, from);
    if (!(oq_dtype_is_float(to) || oq_dtype_is_int(to) || to == OQ_DT_FLOAT16))
        return oq_bad_dtype(g, node, d, to);
    int64_t n = oq_rt_numel(&in[0]);
    if (from == to) {
        oq_rt_copy(&out[0], &in[0]);
        return OQ_OK;
    }
    if (oq_rt_xtype(from) >= 0 && oq_rt_xtype(to) >= 0) {   /* the emitted C's types */
        oq_x_cast__scalar((size_t)n, in[0].data, oq_rt_xtype(from), out[0].data, oq_rt_xtype(to));
        return OQ_OK;
    }
    for (int64_t i = 0; i < n; i++) {
        if (oq_dtype_is_float(from) || from == OQ_DT_FLOAT16)
            oq_rt_set_f64(&out[0], i, oq_rt_get_f64(&in[0], i));
        else if (from == OQ_DT_UINT64)
            oq_rt_set_f64(&out[0], i, (double)((const uint64_t *)in[0].data)[i]);
        else
            oq_rt_set_i64(&out[0], i, oq_rt_get_i64(&in[0], i));
    }
    return OQ_OK;
}
