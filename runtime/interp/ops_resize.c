/* Resize (and Upsample, which the importer turns into Resize): modes nearest (nearest_mode
 * round_prefer_floor, round_prefer_ceil, floor, ceil), linear (n-linear) and cubic
 * (cubic_coeff_a, exclude_outside); coordinate_transformation_mode half_pixel, asymmetric,
 * align_corners, pytorch_half_pixel, tf_half_pixel_for_nn, tf_crop_and_resize (roi,
 * extrapolation_value); opset-18 axes and keep_aspect_ratio_policy. Graphs from opset < 11
 * (Upsample, Resize-10) default to asymmetric + floor, as those ops defined. Not supported
 * (UNSUPPORTED_ATTR): antialias=1, half_pixel_symmetric.
 * Each output coordinate gets, per dim, up to 4 taps (input index, weight); the value is the
 * sum over the product of the taps of all dims (indices clamped to the edge, as ONNX does). */
#include <math.h>

#include "ops.h"

typedef enum rmode { R_NEAREST, R_LINEAR, R_CUBIC } rmode;
typedef enum rctm { C_HALF, C_ASYM, C_ALIGN, C_PYTORCH, C_TFHALF, C_CROP } rctm;
typedef enum rnear { N_RPF, N_RPC, N_FLOOR, N_CEIL } rnear;

typedef struct resize_cfg {
    rmode mode;
    rctm ctm;
    rnear near;
    float cubic_a, extrap;
    bool exclude_outside;
    int keep_policy;           /* 0 stretch, 1 not_larger, 2 not_smaller */
} resize_cfg;

/* Index of s in names, or -1. */
static int pick(const char *s, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

/* Parses and validates the Resize attributes (opset < 11 defaults: asymmetric, floor). */
oq_status oq_prep_resize(const oq_graph *g, uint32_t node, void **state, oq_diag *d)
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
    const char *p = ir_attr_s(nd, OQ_A_Resize_keep_aspect_ratio_policy);
    int mi = pick(m, modes, 3), ci = pick(c, ctms, 6);
    int ni = pick(n, nears, 4), pi = pick(p, pols, 3);
    if (strcmp(m, "bilinear") == 0 || strcmp(m, "trilinear") == 0)
        mi = R_LINEAR;         /* Upsample-7 spellings */
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
                         "keep_aspect_ratio_policy '%s' not supported", p);
    if (ir_attr_i(nd, OQ_A_Resize_antialias))
        return oq_errorf(d, g, node, OQ_ERR_UNSUPPORTED_ATTR, "antialias=1 not supported");
    if (!oq_dtype_is_float(g->values[nd->in[0]].dtype) && mi != R_NEAREST)
        return oq_errorf(d, g, node, OQ_ERR_DTYPE, "%s resize of %s not supported", m,
                         oq_dtype_name(g->values[nd->in[0]].dtype));
    resize_cfg *cfg = malloc(sizeof *cfg);
    if (!cfg)
        return oq_errorf(d, g, node, OQ_ERR_NOMEM, "out of memory");
    cfg->mode = (rmode)mi;
    cfg->ctm = (rctm)ci;
    cfg->near = (rnear)ni;
    cfg->cubic_a = ir_attr_f(nd, OQ_A_Resize_cubic_coeff_a);
    cfg->extrap = ir_attr_f(nd, OQ_A_Resize_extrapolation_value);
    cfg->exclude_outside = ir_attr_i(nd, OQ_A_Resize_exclude_outside) != 0;
    cfg->keep_policy = pi;
    *state = cfg;
    return OQ_OK;
}

typedef struct taps {
    int n;                     /* taps per output coordinate: 1, 2 or 4 */
    int64_t *idx;              /* out_len * n input indices */
    double *w;                 /* out_len * n weights */
    bool *outside;             /* out_len: tf_crop_and_resize coordinate outside the input */
} taps;

/* Input coordinate of output index o along one dim. align_corners and tf_crop_and_resize use
 * the unrounded resized length in * scale, as the ONNX reference does (equal to the output
 * length when sizes were given). */
static double in_coord(const resize_cfg *c, int64_t o, int64_t in, int64_t out, double scale,
                       double r0, double r1)
{
    double olen = scale * (double)in;
    switch (c->ctm) {
    case C_HALF: return ((double)o + 0.5) / scale - 0.5;
    case C_ASYM: return (double)o / scale;
    case C_ALIGN: return olen == 1 ? 0.0 : (double)o * (double)(in - 1) / (olen - 1);
    case C_PYTORCH: return out > 1 ? ((double)o + 0.5) / scale - 0.5 : 0.0;
    case C_TFHALF: return ((double)o + 0.5) / scale;
    case C_CROP:
        return olen == 1 ? 0.5 * (r0 + r1) * (double)(in - 1)
                         : r0 * (double)(in - 1) +
                               (double)o * (r1 - r0) * (double)(in - 1) / (olen - 1);
    }
    return 0;
}

/* Nearest input index of coordinate x per nearest_mode (before clamping). */
static int64_t nearest(const resize_cfg *c, double x, double scale)
{
    switch (c->near) {
    case N_RPF: return x == floor(x) + 0.5 ? (int64_t)floor(x) : (int64_t)llround(x);
    case N_RPC: return x == floor(x) + 0.5 ? (int64_t)ceil(x) : (int64_t)llround(x);
    case N_FLOOR: return (int64_t)floor(x);
    case N_CEIL: return (int64_t)ceil(x);
    }
    return 0;
}

/* Cubic convolution weights of the 4 taps around fractional offset t (coefficient A). */
static void cubic_w(double t, double A, double *w)
{
    double u = 1 - t;
    w[0] = ((A * (t + 1) - 5 * A) * (t + 1) + 8 * A) * (t + 1) - 4 * A;
    w[1] = ((A + 2) * t - (A + 3)) * t * t + 1;
    w[2] = ((A + 2) * u - (A + 3)) * u * u + 1;
    w[3] = ((A * (u + 1) - 5 * A) * (u + 1) + 8 * A) * (u + 1) - 4 * A;
}

/* Fills the taps of one dim. */
static void dim_taps(const resize_cfg *c, int64_t in, int64_t out, double scale, double r0,
                     double r1, taps *t)
{
    t->n = c->mode == R_NEAREST ? 1 : c->mode == R_LINEAR ? 2 : 4;
    for (int64_t o = 0; o < out; o++) {
        double x = in_coord(c, o, in, out, scale, r0, r1);
        int64_t *ix = &t->idx[o * t->n];
        double *w = &t->w[o * t->n];
        t->outside[o] = c->ctm == C_CROP && (x < 0 || x > (double)(in - 1));
        if (c->mode == R_NEAREST) {
            int64_t k = nearest(c, x, scale);
            ix[0] = k < 0 ? 0 : k >= in ? in - 1 : k;
            w[0] = 1;
            continue;
        }
        double f = floor(x), r = x - f;
        int64_t x0 = (int64_t)f;
        if (c->mode == R_LINEAR) {
            ix[0] = x0;
            ix[1] = x0 + 1;
            w[0] = 1 - r;
            w[1] = r;
        } else {
            for (int k = 0; k < 4; k++)
                ix[k] = x0 - 1 + k;
            cubic_w(r, c->cubic_a, w);
            if (c->exclude_outside) {
                double s = 0;
                for (int k = 0; k < 4; k++) {
                    if (ix[k] < 0 || ix[k] >= in)
                        w[k] = 0;
                    s += w[k];
                }
                for (int k = 0; k < 4 && s != 0; k++)
                    w[k] /= s;
            }
        }
        for (int k = 0; k < t->n; k++)
            ix[k] = ix[k] < 0 ? 0 : ix[k] >= in ? in - 1 : ix[k];
    }
}

/* Drops to one tap per coordinate when every coordinate's first tap has weight 1 and the others
 * 0 (dims that are not resized), so the n-linear sum does not walk dead taps. */
static void compact_taps(taps *t, int64_t out)
{
    if (t->n == 1)
        return;
    for (int64_t o = 0; o < out; o++) {
        if (t->w[o * t->n] != 1.0)
            return;
        for (int k = 1; k < t->n; k++)
            if (t->w[o * t->n + k] != 0.0)
                return;
    }
    for (int64_t o = 0; o < out; o++) {
        t->idx[o] = t->idx[o * t->n];
        t->w[o] = 1.0;
    }
    t->n = 1;
}

/* Resize: per-dim taps, then the weighted sum (or copy for nearest) per output. */
oq_status oq_exec_resize(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                         oq_rt_tensor *out, void *state, oq_diag *d)
{
    const resize_cfg *c = state;
    const oq_node *nd = &g->nodes[node];
    const oq_rt_tensor *x = &in[0];
    int r = x->shape.rank;
    double scale[OQ_MAX_RANK], r0[OQ_MAX_RANK], r1[OQ_MAX_RANK];
    int axes[OQ_MAX_RANK], na = r;
    const int64_t *aa;
    int naa = ir_attr_is(nd, OQ_A_Resize_axes, &aa);
    if (naa >= 0) {
        na = naa;
        for (int i = 0; i < na; i++)
            if (!oq_norm_axis(aa[i], r, &axes[i]))
                return oq_errorf(d, g, node, OQ_ERR_INVALID_MODEL, "axis out of range");
    } else {
        for (int i = 0; i < r; i++)
            axes[i] = i;
    }
    for (int i = 0; i < r; i++) {
        scale[i] = x->shape.dim[i] ? (double)out[0].shape.dim[i] / (double)x->shape.dim[i] : 1;
        r0[i] = 0;
        r1[i] = 1;
    }
    bool has_scales = nd->nin > 2 && in[2].data && oq_rt_numel(&in[2]) > 0;
    bool has_sizes = nd->nin > 3 && in[3].data && oq_rt_numel(&in[3]) > 0;
    if (has_scales) {
        if (oq_rt_numel(&in[2]) != na)
            return oq_errorf(d, g, node, OQ_ERR_INVALID_MODEL, "scales has the wrong length");
        for (int i = 0; i < na; i++)
            scale[axes[i]] = oq_rt_get_f64(&in[2], i);
    } else if (has_sizes && c->keep_policy) {
        double s = c->keep_policy == 1 ? INFINITY : 0;
        for (int i = 0; i < na; i++) {
            double si = (double)oq_rt_get_i64(&in[3], i) / (double)x->shape.dim[axes[i]];
            s = c->keep_policy == 1 ? fmin(s, si) : fmax(s, si);
        }
        for (int i = 0; i < na; i++)
            scale[axes[i]] = s;
    }
    if (c->ctm == C_CROP) {
        if (nd->nin < 2 || !in[1].data || oq_rt_numel(&in[1]) != 2 * na)
            return oq_errorf(d, g, node, OQ_ERR_INVALID_MODEL,
                             "tf_crop_and_resize needs roi with 2 entries per axis");
        for (int i = 0; i < na; i++) {
            r0[axes[i]] = oq_rt_get_f64(&in[1], i);
            r1[axes[i]] = oq_rt_get_f64(&in[1], na + i);
        }
    }
    taps t[OQ_MAX_RANK];
    oq_status st = OQ_OK;
    memset(t, 0, sizeof t);
    for (int i = 0; i < r; i++) {
        int64_t on = out[0].shape.dim[i];
        int n = c->mode == R_NEAREST ? 1 : c->mode == R_LINEAR ? 2 : 4;
        t[i].idx = malloc((size_t)(on * n + 1) * sizeof(int64_t));
        t[i].w = malloc((size_t)(on * n + 1) * sizeof(double));
        t[i].outside = malloc((size_t)on + 1);
        if (!t[i].idx || !t[i].w || !t[i].outside) {
            st = oq_errorf(d, g, node, OQ_ERR_NOMEM, "out of memory");
            goto done;
        }
        dim_taps(c, x->shape.dim[i], on, scale[i], r0[i], r1[i], &t[i]);
        compact_taps(&t[i], on);
    }
    int64_t ist[OQ_MAX_RANK], oidx[OQ_MAX_RANK] = {0}, nout = oq_rt_numel(&out[0]);
    oq_strides(&x->shape, ist);
    bool isf = oq_dtype_is_float(x->dtype);
    size_t es = oq_dtype_size(x->dtype);
    for (int64_t o = 0; o < nout; o++) {
        bool outside = false;
        for (int i = 0; i < r; i++)
            outside |= t[i].outside[oidx[i]];
        if (outside) {
            oq_rt_set_f64(&out[0], o, c->extrap);
        } else if (!isf || c->mode == R_NEAREST) {
            int64_t off = 0;
            for (int i = 0; i < r; i++)
                off += t[i].idx[oidx[i] * t[i].n] * ist[i];
            memcpy((char *)out[0].data + o * es, (const char *)x->data + off * es, es);
        } else {
            /* sum over the product of taps: odometer over tap indices */
            int k[OQ_MAX_RANK] = {0};
            double acc = 0;
            for (;;) {
                int64_t off = 0;
                double w = 1;
                for (int i = 0; i < r; i++) {
                    int64_t j = oidx[i] * t[i].n + k[i];
                    off += t[i].idx[j] * ist[i];
                    w *= t[i].w[j];
                }
                if (w != 0)
                    acc += w * oq_rt_get_f64(x, off);
                int i = r - 1;
                for (; i >= 0; i--) {
                    if (++k[i] < t[i].n)
                        break;
                    k[i] = 0;
                }
                if (i < 0)
                    break;
            }
            oq_rt_set_f64(&out[0], o, acc);
        }
        for (int i = r - 1; i >= 0; i--) {
            if (++oidx[i] < out[0].shape.dim[i])
                break;
            oidx[i] = 0;
        }
    }
done:
    for (int i = 0; i < r; i++) {
        free(t[i].idx);
        free(t[i].w);
        free(t[i].outside);
    }
    return st;
}
