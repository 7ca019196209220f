/* kparams.c: IR node -> runtime/f32 parameters (see kparams.h). */
#include "kparams.h"

#include <math.h>
#include <string.h>

#include "ops.h"

oq_status oq_kparams_pool(const oq_graph *g, uint32_t node, oq_f32_pool *p, oq_diag *d)
{
    const oq_node *nd = &g->nodes[node];
    const oq_shape *x = &g->values[nd->in[0]].shape, *y = &g->values[nd->out[0]].shape;
    if (x->rank < 3 || x->rank > 5)
        return oq_errorf(d, g, node, OQ_ERR_UNSUPPORTED_ATTR,
                         "only 1D, 2D and 3D pooling is supported (input rank %d)", x->rank);
    oq_conv_geom cg;
    oq_status st = ir_conv_geom(g, node, &cg, d);
    if (st)
        return st;
    memset(p, 0, sizeof *p);
    int off = 3 - cg.nsp;
    for (int i = 0; i < 3; i++) {
        int j = i - off;
        bool real = j >= 0;
        p->in[i] = real ? x->dim[2 + j] : 1;
        p->out[i] = real ? y->dim[2 + j] : 1;
        p->k[i] = real ? cg.k[j] : 1;
        p->s[i] = real ? cg.stride[j] : 1;
        p->dl[i] = real ? cg.dil[j] : 1;
        p->pb[i] = real ? cg.pad[j] : 0;
        p->pe[i] = real ? cg.pad[cg.nsp + j] : 0;
    }
    p->nc = x->dim[0] * x->dim[1];
    p->include_pad = ir_attr_i(nd, OQ_A_AveragePool_count_include_pad) != 0;
    return OQ_OK;
}

oq_status oq_kparams_conv(const oq_graph *g, uint32_t node, oq_f32_conv_params *p, oq_diag *d)
{
    const oq_node *nd = &g->nodes[node];
    bool tr = nd->op == OQ_OP_ConvTranspose;
    const oq_shape *x = &g->values[nd->in[0]].shape, *w = &g->values[nd->in[1]].shape;
    const oq_shape *y = &g->values[nd->out[0]].shape;
    int nsp = x->rank - 2;
    if (nsp < 1 || nsp > 3)
        return oq_errorf(d, g, node, OQ_ERR_UNSUPPORTED_ATTR,
                         "only 1D, 2D and 3D convolutions are supported (input rank %d)",
                         x->rank);
    oq_conv_geom cg;
    oq_status st = ir_conv_geom(g, node, &cg, d);
    if (st)
        return st;
    oq_f32_conv_params_init(p);
    p->nspatial = nsp;
    p->N = x->dim[0], p->C = x->dim[1], p->group = cg.group, p->M = y->dim[1];
    for (int i = 0; i < nsp; i++) {
        p->in[i] = x->dim[2 + i], p->k[i] = w->dim[2 + i], p->out[i] = y->dim[2 + i];
        p->stride[i] = cg.stride[i], p->dil[i] = cg.dil[i];
        p->pad_begin[i] = cg.pad[i], p->pad_end[i] = cg.pad[nsp + i];
    }
    /* weights: Conv [M][C/group][k...], ConvTranspose [C][M/group][k...] */
    int64_t wo = tr ? p->C : p->M, wi = tr ? p->M : p->C;
    if (p->C % p->group || p->M % p->group || w->dim[0] != wo || w->dim[1] * p->group != wi)
        return oq_errorf(d, g, node, OQ_ERR_SHAPE, "weight shape does not match input/groups");
    return OQ_OK;
}

/* Index of s in names, or -1. */
static int pick(const char *s, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

/* The attributes of a Resize node into p (mode, coordinate transformation, nearest_mode,
 * cubic, extrapolation); *keep: keep_aspect_ratio_policy (0 stretch, 1 not_larger,
 * 2 not_smaller). */
static oq_status resize_attrs(const oq_graph *g, uint32_t node, oq_f32_resize *p, int *keep,
                              oq_diag *d)
{
    static const char *const modes[] = {"nearest", "linear", "cubic"};
    static const char *const ctms[] = {"half_pixel", "asymmetric", "align_corners",
                                       "pytorch_half_pixel", "tf_half_pixel_for_nn",
                                       "tf_crop_and_resize"};
    static const char *const nears[] = {"round_prefer_floor", "round_prefer_ceil", "floor",
                                        "ceil"};
    static const char *const pols[] = {"stretch", "not_larger", "not_smaller"};
    const oq_node *nd = &g->nodes[node];
    const char *m = ir_attr_s(nd, OQ_A_Resize_mode);
    const char *c = ir_resize_str(g, nd, OQ_A_Resize_coordinate_transformation_mode);
    const char *n = ir_resize_str(g, nd, OQ_A_Resize_nearest_mode);
    const char *k = ir_attr_s(nd, OQ_A_Resize_keep_aspect_ratio_policy);
    int mi = pick(m, modes, 3), ci = pick(c, ctms, 6), ni = pick(n, nears, 4);
    int pi = pick(k, pols, 3);
    if (strcmp(m, "bilinear") == 0 || strcmp(m, "trilinear") == 0)
        mi = OQ_RESIZE_LINEAR;  /* Upsample-7 spellings */
    if (mi < 0)
        return oq_errorf(d, g, node, OQ_ERR_UNSUPPORTED_ATTR, "mode '%s' not supported", m);
    if (ci < 0)
        return oq_errorf(d, g, node, OQ_ERR_UNSUPPORTED_ATTR,
                         "coordinate_transformation_mode '%s' not supported", c);
    if (ni < 0)
        return oq_errorf(d, g, node, OQ_ERR_UNSUPPORTED_ATTR, "nearest_mode '%s' not supported",
                         n);
    if (pi < 0)
        return oq_errorf(d, g, node, OQ_ERR_UNSUPPORTED_ATTR,
                         "keep_aspect_ratio_policy '%s' not supported", k);
    if (ir_attr_i(nd, OQ_A_Resize_antialias))
        return oq_errorf(d, g, node, OQ_ERR_UNSUPPORTED_ATTR, "antialias=1 not supported");
    p->mode = mi, p->ctm = ci, p->near = ni;
    p->cubic_a = ir_attr_f(nd, OQ_A_Resize_cubic_coeff_a);
    p->extrap = ir_attr_f(nd, OQ_A_Resize_extrapolation_value);
    p->exclude_outside = ir_attr_i(nd, OQ_A_Resize_exclude_outside) != 0;
    *keep = pi;
    return OQ_OK;
}

/* Element i of input k of a Resize (a run-time tensor, or the graph's constant) as double. */
static double rin(const oq_graph *g, const oq_node *nd, const oq_rt_tensor *in, uint32_t k,
                  int64_t i)
{
    const oq_value *v = &g->values[nd->in[k]];
    oq_rt_tensor t = in ? in[k] : (oq_rt_tensor){v->dtype, v->shape, v->data};
    return oq_rt_get_f64(&t, i);
}

/* Element count of input k of a Resize that has data (run time or constant), else -1. */
static int64_t rlen(const oq_graph *g, const oq_node *nd, const oq_rt_tensor *in, uint32_t k)
{
    if (k >= nd->nin || nd->in[k] == OQ_NONE)
        return -1;
    const oq_value *v = &g->values[nd->in[k]];
    if (in ? !in[k].data : !v->data)
        return -1;
    int64_t n = in ? oq_shape_numel(&in[k].shape) : oq_shape_numel(&v->shape);
    return n > 0 ? n : -1;
}

oq_status oq_kparams_resize(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                            oq_f32_resize *p, oq_diag *d)
{
    const oq_node *nd = &g->nodes[node];
    const oq_shape *x = &g->values[nd->in[0]].shape, *y = &g->values[nd->out[0]].shape;
    memset(p, 0, sizeof *p);
    int keep = 0;
    oq_status st = resize_attrs(g, node, p, &keep, d);
    if (st)
        return st;
    int r = x->rank;
    if (r < 1 || r > OQ_F32_MAX_RANK || y->rank != r)
        return oq_errorf(d, g, node, OQ_ERR_SHAPE, "input rank %d not supported", r);
    p->rank = r;
    int axes[OQ_F32_MAX_RANK], na = r;
    const int64_t *aa;
    int naa = ir_attr_is(nd, OQ_A_Resize_axes, &aa);
    if (naa > r)
        return oq_errorf(d, g, node, OQ_ERR_INVALID_MODEL, "more axes than dims");
    for (int i = 0; i < (naa >= 0 ? naa : r); i++) {
        int64_t a = naa >= 0 ? (aa[i] < 0 ? aa[i] + r : aa[i]) : i;
        if (a < 0 || a >= r)
            return oq_errorf(d, g, node, OQ_ERR_INVALID_MODEL, "axis out of range");
        axes[i] = (int)a;
    }
    if (naa >= 0)
        na = naa;
    for (int i = 0; i < r; i++) {
        p->in[i] = x->dim[i], p->out[i] = y->dim[i];
        p->scale[i] = x->dim[i] ? (double)y->dim[i] / (double)x->dim[i] : 1;
        p->r0[i] = 0, p->r1[i] = 1;
    }
    bool run_time = false; /* roi, scales or sizes computed at run time */
    for (uint32_t k = 1; k < nd->nin && k < 4; k++)
        run_time |= nd->in[k] != OQ_NONE && !g->values[nd->in[k]].data;
    if (!in && run_time)
        return OQ_OK;      /* attributes only */
    int64_t ns = rlen(g, nd, in, 2), nz = rlen(g, nd, in, 3);
    if (ns > 0) {
        if (ns != na)
            return oq_errorf(d, g, node, OQ_ERR_INVALID_MODEL, "scales has the wrong length");
        for (int i = 0; i < na; i++)
            p->scale[axes[i]] = rin(g, nd, in, 2, i);
    } else if (nz > 0 && keep) {
        double s = keep == 1 ? INFINITY : 0;
        for (int i = 0; i < na && i < nz; i++) {
            double si = rin(g, nd, in, 3, i) / (double)x->dim[axes[i]];
            s = keep == 1 ? fmin(s, si) : fmax(s, si);
        }
        for (int i = 0; i < na; i++)
            p->scale[axes[i]] = s;
    }
    if (p->ctm == OQ_RESIZE_TF_CROP_AND_RESIZE) {
        if (rlen(g, nd, in, 1) != 2 * na)
            return oq_errorf(d, g, node, OQ_ERR_INVALID_MODEL,
                             "tf_crop_and_resize needs roi with 2 entries per axis");
        for (int i = 0; i < na; i++) {
            p->r0[axes[i]] = rin(g, nd, in, 1, i);
            p->r1[axes[i]] = rin(g, nd, in, 1, na + i);
        }
    }
    return OQ_OK;
}

/* Dims of input k of an LSTM are dims[0..r) (or the input is absent); false otherwise. */
static bool lstm_shape(const oq_graph *g, const oq_node *nd, uint32_t k, int r,
                       const int64_t *dims)
{
    if (k >= nd->nin || nd->in[k] == OQ_NONE)
        return true;
    const oq_shape *s = &g->values[nd->in[k]].shape;
    if (s->rank != r)
        return false;
    for (int i = 0; i < r; i++)
        if (s->dim[i] != dims[i])
            return false;
    return true;
}

oq_status oq_kparams_lstm(const oq_graph *g, uint32_t node, oq_f32_lstm *p, oq_diag *d)
{
    static const char *const acts[] = {"Sigmoid", "Tanh", "Tanh"};
    const oq_node *nd = &g->nodes[node];
    const oq_shape *x = &g->values[nd->in[0]].shape, *w = &g->values[nd->in[1]].shape;
    memset(p, 0, sizeof *p);
    if (ir_attr_i(nd, OQ_A_LSTM_layout) != 0)
        return oq_errorf(d, g, node, OQ_ERR_UNSUPPORTED_ATTR, "layout=1 not supported");
    const char *dir = ir_attr_s(nd, OQ_A_LSTM_direction);
    p->ndir = strcmp(dir, "bidirectional") == 0 ? 2 : 1;
    p->reverse = strcmp(dir, "reverse") == 0;
    if (p->ndir == 1 && !p->reverse && strcmp(dir, "forward") != 0)
        return oq_errorf(d, g, node, OQ_ERR_UNSUPPORTED_ATTR, "direction '%s' not supported",
                         dir);
    const oq_attr *a = ir_attr_get(nd, OQ_A_LSTM_activations);
    for (uint32_t i = 0; a && i < a->n; i++)
        if (a->n != 3u * (uint32_t)p->ndir || strcmp(a->strings[i], acts[i % 3]) != 0)
            return oq_errorf(d, g, node, OQ_ERR_UNSUPPORTED_ATTR, "activations other than "
                             "Sigmoid, Tanh, Tanh not supported ('%s')", a->strings[i]);
    if (x->rank != 3 || w->rank != 3 || w->dim[0] != p->ndir || w->dim[1] % 4 != 0)
        return oq_errorf(d, g, node, OQ_ERR_SHAPE, "X [seq, batch, input] and W [%d, 4 * hidden, "
                         "input] expected", p->ndir);
    p->seq = x->dim[0], p->batch = x->dim[1], p->input = x->dim[2], p->hidden = w->dim[1] / 4;
    int64_t H = p->hidden, nd2 = p->ndir;
    const int64_t wd[] = {nd2, 4 * H, p->input}, rd[] = {nd2, 4 * H, H}, bd[] = {nd2, 8 * H};
    const int64_t sd[] = {nd2, p->batch, H}, pd[] = {nd2, 3 * H};
    if (w->dim[2] != p->input || !lstm_shape(g, nd, 2, 3, rd) || !lstm_shape(g, nd, 1, 3, wd) ||
        !lstm_shape(g, nd, 3, 2, bd) || !lstm_shape(g, nd, 5, 3, sd) ||
        !lstm_shape(g, nd, 6, 3, sd) || !lstm_shape(g, nd, 7, 2, pd) ||
        (ir_attr_get(nd, OQ_A_LSTM_hidden_size) && ir_attr_i(nd, OQ_A_LSTM_hidden_size) != H))
        return oq_errorf(d, g, node, OQ_ERR_SHAPE, "W, R, B, initial_h, initial_c or P do not "
                         "match X and hidden_size %lld", (long long)H);
    if (nd->nin > 4 && nd->in[4] != OQ_NONE) {
        const oq_value *sl = &g->values[nd->in[4]];
        bool full = sl->data != NULL;
        for (int64_t i = 0; full && i < oq_shape_numel(&sl->shape); i++)
            full = oq_elem_f64(sl->data, sl->dtype, i) == (double)p->seq;
        if (!full)
            return oq_errorf(d, g, node, OQ_ERR_UNSUPPORTED_ATTR, "sequence_lens other than a "
                             "constant of the full length %lld not supported", (long long)p->seq);
    }
    p->clip = ir_attr_get(nd, OQ_A_LSTM_clip) ? ir_attr_f(nd, OQ_A_LSTM_clip) : 0.0f;
    p->input_forget = ir_attr_i(nd, OQ_A_LSTM_input_forget) != 0;
    return OQ_OK;
}
