/* resize.c: ONNX Resize (see ops.h): modes nearest (round_prefer_floor, round_prefer_ceil,
 * floor, ceil), linear (n-linear) and cubic (cubic_coeff_a, exclude_outside); coordinate
 * transformations half_pixel, asymmetric, align_corners, pytorch_half_pixel,
 * tf_half_pixel_for_nn, tf_crop_and_resize (roi, extrapolation_value). Each output coordinate
 * gets, per dim, up to 4 taps (input index, weight), computed in double into the caller's
 * scratch; the value is the sum over the product of the taps of all dims in double (indices
 * clamped to the edge, as ONNX does); nearest copies the element. A dim whose length and scale
 * stay (1) maps each index to itself under every mode but tf_crop_and_resize, as ONNX Runtime
 * does (tf_half_pixel_for_nn with a ceil rounding would otherwise shift it by one). */
#include "ops.h"

#include <math.h>
#include <string.h>

typedef struct taps {
    int n;                     /* taps per output coordinate: 1, 2 or 4 */
    int64_t *idx;              /* out * n input indices */
    double *w;                 /* out * n weights */
    unsigned char *outside;    /* out: tf_crop_and_resize coordinate outside the input */
} taps;

/* Taps per coordinate of the mode. */
static int ntaps(const oq_f32_resize *p)
{
    return p->mode == OQ_RESIZE_NEAREST ? 1 : p->mode == OQ_RESIZE_LINEAR ? 2 : 4;
}

size_t oq_f32_resize_workspace_size(const oq_f32_resize *p)
{
    size_t s = 64;
    for (int i = 0; i < p->rank; i++)
        s += ((size_t)p->out[i] * (size_t)ntaps(p) * 16 + (size_t)p->out[i] + 15) / 8 * 8;
    return s;
}

/* Input coordinate of output index o along one dim. align_corners and tf_crop_and_resize use
 * the unrounded resized length in * scale, as the ONNX reference does (equal to the output
 * length when sizes were given). */
static double in_coord(const oq_f32_resize *p, int64_t o, int64_t in, int64_t out, double scale,
                       double r0, double r1)
{
    double olen = scale * (double)in;
    switch (p->ctm) {
    case OQ_RESIZE_HALF_PIXEL: return ((double)o + 0.5) / scale - 0.5;
    case OQ_RESIZE_ASYMMETRIC: return (double)o / scale;
    case OQ_RESIZE_ALIGN_CORNERS:
        return olen == 1 ? 0.0 : (double)o * (double)(in - 1) / (olen - 1);
    case OQ_RESIZE_PYTORCH_HALF_PIXEL: return out > 1 ? ((double)o + 0.5) / scale - 0.5 : 0.0;
    case OQ_RESIZE_TF_HALF_PIXEL_FOR_NN: return ((double)o + 0.5) / scale;
    case OQ_RESIZE_TF_CROP_AND_RESIZE:
        return olen == 1 ? 0.5 * (r0 + r1) * (double)(in - 1)
                         : r0 * (double)(in - 1) +
                               (double)o * (r1 - r0) * (double)(in - 1) / (olen - 1);
    }
    return 0;
}

/* Nearest input index of coordinate x per nearest_mode (before clamping). */
static int64_t nearest(const oq_f32_resize *p, double x)
{
    switch (p->near) {
    case OQ_RESIZE_ROUND_PREFER_FLOOR:
        return x == floor(x) + 0.5 ? (int64_t)floor(x) : (int64_t)llround(x);
    case OQ_RESIZE_ROUND_PREFER_CEIL:
        return x == floor(x) + 0.5 ? (int64_t)ceil(x) : (int64_t)llround(x);
    case OQ_RESIZE_FLOOR: return (int64_t)floor(x);
    case OQ_RESIZE_CEIL: return (int64_t)ceil(x);
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

/* Fills the taps of dim i. */
static void dim_taps(const oq_f32_resize *p, int i, taps *t)
{
    int64_t in = p->in[i], out = p->out[i];
    t->n = ntaps(p);
    if (in == out && p->scale[i] == 1.0 && p->ctm != OQ_RESIZE_TF_CROP_AND_RESIZE) {
        for (int64_t o = 0; o < out; o++) { /* a dim left as it is maps to itself (as ORT) */
            for (int k = 0; k < t->n; k++) {
                t->idx[o * t->n + k] = o;
                t->w[o * t->n + k] = k == 0;
            }
            t->outside[o] = 0;
        }
        return;
    }
    for (int64_t o = 0; o < out; o++) {
        double x = in_coord(p, o, in, out, p->scale[i], p->r0[i], p->r1[i]);
        int64_t *ix = &t->idx[o * t->n];
        double *w = &t->w[o * t->n];
        t->outside[o] = p->ctm == OQ_RESIZE_TF_CROP_AND_RESIZE && (x < 0 || x > (double)(in - 1));
        if (p->mode == OQ_RESIZE_NEAREST) {
            int64_t k = nearest(p, x);
            ix[0] = k < 0 ? 0 : k >= in ? in - 1 : k;
            w[0] = 1;
            continue;
        }
        double f = floor(x), r = x - f;
        int64_t x0 = (int64_t)f;
        if (p->mode == OQ_RESIZE_LINEAR) {
            ix[0] = x0;
            ix[1] = x0 + 1;
            w[0] = 1 - r;
            w[1] = r;
        } else {
            for (int k = 0; k < 4; k++)
                ix[k] = x0 - 1 + k;
            cubic_w(r, p->cubic_a, w);
            if (p->exclude_outside) {
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

/* The taps of every dim, carved out of ws (oq_f32_resize_workspace_size bytes); in-strides. */
static void all_taps(const oq_f32_resize *p, void *ws, taps *t, int64_t *ist)
{
    char *b = (char *)(((uintptr_t)ws + 7) & ~(uintptr_t)7);
    int n = ntaps(p);
    for (int i = 0; i < p->rank; i++) {
        size_t on = (size_t)p->out[i];
        t[i].idx = (int64_t *)b;
        t[i].w = (double *)(b + on * (size_t)n * 8);
        t[i].outside = (unsigned char *)(b + on * (size_t)n * 16);
        b += (on * (size_t)n * 16 + on + 15) / 8 * 8;
        dim_taps(p, i, &t[i]);
        compact_taps(&t[i], p->out[i]);
    }
    int64_t acc = 1;
    for (int i = p->rank - 1; i >= 0; i--) {
        ist[i] = acc;
        acc *= p->in[i];
    }
}

/* True if output index oidx falls outside the crop box of tf_crop_and_resize. */
static int outside(const oq_f32_resize *p, const taps *t, const int64_t *oidx)
{
    int o = 0;
    for (int i = 0; i < p->rank; i++)
        o |= t[i].outside[oidx[i]];
    return o;
}

/* Input offset of the first tap of every dim at output index oidx. */
static int64_t first_off(const oq_f32_resize *p, const taps *t, const int64_t *oidx,
                         const int64_t *ist)
{
    int64_t off = 0;
    for (int i = 0; i < p->rank; i++)
        off += t[i].idx[oidx[i] * t[i].n] * ist[i];
    return off;
}

/* Steps the output odometer; false after the last index. */
static int next_index(const oq_f32_resize *p, int64_t *oidx)
{
    for (int i = p->rank - 1; i >= 0; i--) {
        if (++oidx[i] < p->out[i])
            return 1;
        oidx[i] = 0;
    }
    return 0;
}

/* Defines oq_<T>_resize__scalar for float element type T. */
#define OQ_RESIZE_FLOAT(NAME, T)                                                               \
    void NAME(const oq_f32_resize *p, const T *x, T *y, void *ws)                              \
    {                                                                                          \
        taps t[OQ_F32_MAX_RANK];                                                               \
        int64_t ist[OQ_F32_MAX_RANK], oidx[OQ_F32_MAX_RANK] = {0};                             \
        all_taps(p, ws, t, ist);                                                               \
        do {                                                                                   \
            if (outside(p, t, oidx)) {                                                         \
                *y++ = (T)p->extrap;                                                           \
                continue;                                                                      \
            }                                                                                  \
            if (p->mode == OQ_RESIZE_NEAREST) {                                                \
                *y++ = x[first_off(p, t, oidx, ist)];                                          \
                continue;                                                                      \
            }                                                                                  \
            int k[OQ_F32_MAX_RANK] = {0};                                                      \
            double acc = 0;                                                                    \
            for (;;) { /* the product of the taps: odometer over tap indices */               \
                int64_t off = 0;                                                               \
                double w = 1;                                                                  \
                for (int i = 0; i < p->rank; i++) {                                            \
                    int64_t j = oidx[i] * t[i].n + k[i];                                       \
                    off += t[i].idx[j] * ist[i];                                               \
                    w *= t[i].w[j];                                                            \
                }                                                                              \
                if (w != 0)                                                                    \
                    acc += w * (double)x[off];                                                 \
                int i = p->rank - 1;                                                           \
                for (; i >= 0; i--) {                                                          \
                    if (++k[i] < t[i].n)                                                       \
                        break;                                                                 \
                    k[i] = 0;                                                                  \
                }                                                                              \
                if (i < 0)                                                                     \
                    break;                                                                     \
            }                                                                                  \
            *y++ = (T)acc;                                                                     \
        } while (next_index(p, oidx));                                                         \
    }

OQ_RESIZE_FLOAT(oq_f32_resize__scalar, float)
OQ_RESIZE_FLOAT(oq_f64_resize__scalar, double)

void oq_x_resize_nearest__scalar(const oq_f32_resize *p, const void *x, void *y, size_t es,
                                 const void *cval, void *ws)
{
    taps t[OQ_F32_MAX_RANK];
    int64_t ist[OQ_F32_MAX_RANK], oidx[OQ_F32_MAX_RANK] = {0};
    all_taps(p, ws, t, ist);
    char *d = y;
    do {
        const void *src = outside(p, t, oidx) ? cval
                        : (const char *)x + (size_t)first_off(p, t, oidx, ist) * es;
        memcpy(d, src, es);
        d += es;
    } while (next_index(p, oidx));
}
