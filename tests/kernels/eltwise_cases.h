/* eltwise_cases.h: random cases for the element-wise int8 kernels, shared by the Criterion suite
 * (test_eltwise.c) and the self-contained driver cross-built for aarch64 (xtest_eltwise.c). Each
 * case runs one kernel table (qu8-eltwise/) through the public *_with entry points and compares
 * the bytes with the scalar references (*_ref) exactly; on a difference it writes the case and
 * the first differing element into msg and returns false. Edge cases: n not a multiple of any
 * vector width and n = 1, zero points at the ends of the range, tie-producing scales (x.5),
 * extreme scales (everything on the zero point; saturation at both ends), in-place operation. */
#ifndef OQ_TEST_ELTWISE_CASES_H
#define OQ_TEST_ELTWISE_CASES_H
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/q8/q8.h"
#include "runtime/q8/qu8-eltwise/qu8-eltwise.h"

static uint64_t elt_rng = 0x2545f4914f6cdd1dull;

static inline uint32_t elt_rnd(void)
{
    elt_rng ^= elt_rng << 13;
    elt_rng ^= elt_rng >> 7;
    elt_rng ^= elt_rng << 17;
    return (uint32_t)(elt_rng >> 16);
}

/* Uniform in [lo, hi]. */
static inline int32_t elt_in(int32_t lo, int32_t hi)
{
    return lo + (int32_t)(elt_rnd() % (uint32_t)(hi - lo + 1));
}

static inline size_t elt_pick(const size_t *v, size_t n)
{
    return v[elt_rnd() % n];
}

static inline void *elt_alloc(size_t n)
{
    void *p = calloc(n ? n : 1, 1);
    if (!p)
        abort();
    return p;
}

/* Lengths: 1, around every vector width (8, 16, 32, 64 bytes) and a few large ones. */
static const size_t elt_lens[] = {1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 100,
                                  127, 129, 1000, 4099};
#define ELT_NLENS (sizeof elt_lens / sizeof elt_lens[0])

/* Random bytes; mode 0 random, 1 all 255, 2 all 0, 3 only {0, 1, 254, 255}. */
static inline void elt_fill(uint8_t *p, size_t n, int mode)
{
    for (size_t i = 0; i < n; i++)
        p[i] = mode == 1   ? 255
               : mode == 2 ? 0
               : mode == 3 ? (uint8_t)((elt_rnd() & 1) * 254 + (elt_rnd() & 1))
                           : (uint8_t)elt_rnd();
}

static inline oq_q8_dtype elt_dt(void)
{
    return elt_rnd() % 2 ? OQ_Q8_S8 : OQ_Q8_U8;
}

/* A zero point of dt: the ends of the range, the middle, or random. */
static inline int32_t elt_zp(oq_q8_dtype dt)
{
    static const int32_t u[] = {0, 128, 255, 1, 254}, s[] = {-128, 0, 127, -1, 64};
    if (elt_rnd() % 3 == 0)
        return dt == OQ_Q8_S8 ? elt_in(-128, 127) : elt_in(0, 255);
    return dt == OQ_Q8_S8 ? s[elt_rnd() % 5] : u[elt_rnd() % 5];
}

/* A scale: mostly ordinary, sometimes a power of two (ties), tiny or huge. */
static inline float elt_scale(void)
{
    switch (elt_rnd() % 8) {
    case 0: return 0.5f;
    case 1: return ldexpf(1.0f, elt_in(-12, 4));
    case 2: return 1e-9f;
    case 3: return 3e4f;
    default: return (float)(elt_in(1, 100000)) * 1e-5f;
    }
}

static inline int32_t elt_get(const void *p, size_t i, oq_q8_dtype dt)
{
    return dt == OQ_Q8_S8 ? ((const int8_t *)p)[i] : ((const uint8_t *)p)[i];
}

/* Compares n bytes; false with "what: at [i]: got g want w" in msg. */
static inline bool elt_same(const void *got, const void *want, size_t n, oq_q8_dtype dt,
                            const char *what, char *msg)
{
    for (size_t i = 0; i < n; i++)
        if (((const uint8_t *)got)[i] != ((const uint8_t *)want)[i]) {
            snprintf(msg, 400, "%s: at [%zu] of %zu: got %d want %d", what, i, n,
                     elt_get(got, i, dt), elt_get(want, i, dt));
            return false;
        }
    return true;
}

/* Add or Mul (is_mul) with random strides (1,1), (1,0), (0,1), (0,0), (2,1) and in place. */
static inline bool elt_case_binary(const oq_q8_elt_ukernels *k, bool is_mul, char *msg)
{
    static const size_t strides[][2] = {{1, 1}, {1, 1}, {1, 0}, {0, 1}, {0, 0}, {2, 1}, {1, 3}};
    size_t n = elt_pick(elt_lens, ELT_NLENS), si = elt_rnd() % 7;
    size_t as = strides[si][0], bs = strides[si][1];
    oq_q8_dtype dt = elt_dt();
    oq_q8_binary p;
    float sa = elt_scale(), sb = elt_scale(), sy = elt_scale();
    int32_t za = elt_zp(dt), zb = elt_zp(dt), zy = elt_zp(dt);
    int tie = elt_rnd() % 4;
    if (tie == 0) /* sa/sy = 0.5, sb/sy = 0.25 or 0.5: exact halves everywhere */
        sy = 1.0f, sa = 0.5f, sb = elt_rnd() % 2 ? 0.25f : 0.5f;
    if (is_mul)
        oq_q8_mul_init(&p, dt, sa, za, sb, zb, sy, zy);
    else
        oq_q8_add_init(&p, dt, sa, za, sb, zb, sy, zy);
    if (elt_rnd() % 5 == 0) { /* a fused clamp narrower than the dtype */
        p.qmin = dt == OQ_Q8_S8 ? elt_in(-128, 0) : elt_in(0, 128);
        p.qmax = p.qmin + elt_in(0, 127);
    }
    size_t na = as ? n * as : 1, nb = bs ? n * bs : 1;
    uint8_t *a = elt_alloc(na), *b = elt_alloc(nb), *want = elt_alloc(n), *got = elt_alloc(n);
    int mode = elt_rnd() % 6;
    elt_fill(a, na, mode > 3 ? 0 : mode), elt_fill(b, nb, mode > 3 ? 0 : (int)(elt_rnd() % 4));
    bool inplace = as == 1 && elt_rnd() % 4 == 0;
    if (is_mul)
        oq_q8_mul_ref(n, a, as, b, bs, want, &p);
    else
        oq_q8_add_ref(n, a, as, b, bs, want, &p);
    void *y = got;
    if (inplace) {
        memcpy(got, a, n);
        y = got;
    }
    if (is_mul)
        oq_q8_mul_with(k, n, inplace ? got : a, as, b, bs, y, &p);
    else
        oq_q8_add_with(k, n, inplace ? got : a, as, b, bs, y, &p);
    char what[200];
    snprintf(what, sizeof what, "%s %s n=%zu strides=(%zu,%zu) dt=%d za=%d zb=%d zy=%d ra=%a rb=%a "
             "clamp=[%d,%d]%s", k->name, is_mul ? "mul" : "add", n, as, bs, (int)dt, za, zb, zy,
             (double)p.a_mul, (double)p.b_mul, p.qmin, p.qmax, inplace ? " in place" : "");
    bool ok = elt_same(got, want, n, dt, what, msg);
    free(a), free(b), free(want), free(got);
    return ok;
}

/* Rescale, and Concat of 1..4 inputs of which some share the output qparams (plain copy). */
static inline bool elt_case_rescale_concat(const oq_q8_elt_ukernels *k, char *msg)
{
    oq_q8_dtype dt = elt_dt();
    size_t n = elt_pick(elt_lens, ELT_NLENS);
    float sx = elt_scale(), sy = elt_scale();
    int32_t zx = elt_zp(dt), zy = elt_zp(dt);
    if (elt_rnd() % 4 == 0)
        sx = 1.0f, sy = 2.0f; /* r = 0.5: ties */
    uint8_t *x = elt_alloc(n), *want = elt_alloc(n), *got = elt_alloc(n);
    elt_fill(x, n, (int)(elt_rnd() % 4));
    oq_q8_rescale_ref(n, x, sx, zx, want, sy, zy, dt);
    oq_q8_rescale_with(k, n, x, sx, zx, got, sy, zy, dt);
    char what[200];
    snprintf(what, sizeof what, "%s rescale n=%zu dt=%d zx=%d zy=%d r=%a", k->name, n, (int)dt, zx,
             zy, (double)(sx / sy));
    bool ok = elt_same(got, want, n, dt, what, msg);
    free(x), free(want), free(got);
    if (!ok)
        return false;
    size_t outer = 1 + elt_rnd() % 9, count = 1 + elt_rnd() % 4, inner[4], row = 0;
    const void *xs[4];
    float sc[4];
    int32_t zp[4];
    for (size_t i = 0; i < count; i++) {
        inner[i] = elt_pick(elt_lens, 14);
        row += inner[i];
        bool same = elt_rnd() % 3 == 0;
        sc[i] = same ? sy : elt_scale(), zp[i] = same ? zy : elt_zp(dt);
        uint8_t *xi = elt_alloc(outer * inner[i]);
        elt_fill(xi, outer * inner[i], 0);
        xs[i] = xi;
    }
    want = elt_alloc(outer * row), got = elt_alloc(outer * row);
    oq_q8_concat_with(NULL, outer, count, xs, inner, sc, zp, want, sy, zy, dt);
    oq_q8_concat_with(k, outer, count, xs, inner, sc, zp, got, sy, zy, dt);
    snprintf(what, sizeof what, "%s concat outer=%zu count=%zu dt=%d", k->name, outer, count,
             (int)dt);
    ok = elt_same(got, want, outer * row, dt, what, msg);
    for (size_t i = 0; i < count; i++)
        free((void *)xs[i]);
    free(want), free(got);
    return ok;
}

/* A random pooling shape (channels around the vector widths, padding up to and past the
 * kernel, strides, dilations, ceil mode); false if oq_q8_pool_init rejects it. */
static inline bool elt_pool_shape(oq_q8_pool_shape *s)
{
    static const size_t cs[] = {1, 3, 7, 8, 15, 16, 17, 31, 32, 33, 64, 65, 96, 130};
    memset(s, 0, sizeof *s);
    s->batch = 1 + elt_rnd() % 2;
    s->c = elt_pick(cs, 14);
    s->in_h = 1 + elt_rnd() % 9, s->in_w = 1 + elt_rnd() % 9;
    s->kh = 1 + elt_rnd() % 4, s->kw = 1 + elt_rnd() % 4;
    s->stride_h = 1 + elt_rnd() % 3, s->stride_w = 1 + elt_rnd() % 3;
    s->dil_h = elt_rnd() % 4 ? 1 : 2, s->dil_w = elt_rnd() % 4 ? 1 : 2;
    s->pad_top = elt_rnd() % 4, s->pad_left = elt_rnd() % 4;
    s->pad_bottom = elt_rnd() % 3, s->pad_right = elt_rnd() % 3;
    s->ceil_mode = elt_rnd() % 2, s->count_include_pad = elt_rnd() % 2;
    return oq_q8_pool_init(s);
}

static inline bool elt_case_maxpool(const oq_q8_elt_ukernels *k, char *msg)
{
    oq_q8_pool_shape s;
    while (!elt_pool_shape(&s))
        ;
    oq_q8_dtype dt = elt_dt();
    size_t nx = s.batch * s.in_h * s.in_w * s.c, ny = s.batch * s.out_h * s.out_w * s.c;
    uint8_t *x = elt_alloc(nx), *want = elt_alloc(ny), *got = elt_alloc(ny);
    elt_fill(x, nx, elt_rnd() % 5 == 0 ? 3 : 0);
    oq_q8_maxpool_ref(&s, x, want, dt);
    oq_q8_maxpool_with(k, &s, x, got, dt);
    char what[200];
    snprintf(what, sizeof what, "%s maxpool in %zux%zux%zu k %zux%zu s %zu,%zu d %zu,%zu pads "
             "%zu,%zu,%zu,%zu ceil %d dt=%d", k->name, s.in_h, s.in_w, s.c, s.kh, s.kw, s.stride_h,
             s.stride_w, s.dil_h, s.dil_w, s.pad_top, s.pad_left, s.pad_bottom, s.pad_right,
             (int)s.ceil_mode, (int)dt);
    bool ok = elt_same(got, want, ny, dt, what, msg);
    free(x), free(want), free(got);
    return ok;
}

static inline bool elt_case_avgpool(const oq_q8_elt_ukernels *k, char *msg)
{
    oq_q8_pool_shape s;
    while (!elt_pool_shape(&s))
        ;
    oq_q8_dtype dt = elt_dt();
    float sx = elt_scale(), sy = elt_scale();
    int32_t zx = elt_zp(dt), zy = elt_zp(dt);
    if (elt_rnd() % 3 == 0) /* equal qparams: the integer mean rounded half to even */
        sy = sx, zy = zx;
    size_t nx = s.batch * s.in_h * s.in_w * s.c, ny = s.batch * s.out_h * s.out_w * s.c;
    uint8_t *x = elt_alloc(nx), *want = elt_alloc(ny), *got = elt_alloc(ny);
    elt_fill(x, nx, elt_rnd() % 5 == 0 ? 3 : 0);
    oq_q8_avgpool_ref(&s, x, sx, zx, want, sy, zy, dt);
    oq_q8_avgpool_with(k, &s, x, sx, zx, got, sy, zy, dt);
    char what[240];
    snprintf(what, sizeof what, "%s avgpool in %zux%zux%zu k %zux%zu s %zu,%zu d %zu,%zu pads "
             "%zu,%zu,%zu,%zu ceil %d incl %d dt=%d zx=%d zy=%d r=%a", k->name, s.in_h, s.in_w,
             s.c, s.kh, s.kw, s.stride_h, s.stride_w, s.dil_h, s.dil_w, s.pad_top, s.pad_left, s.pad_bottom,
             s.pad_right, (int)s.ceil_mode, (int)s.count_include_pad, (int)dt, zx, zy,
             (double)(sx / sy));
    bool ok = elt_same(got, want, ny, dt, what, msg);
    free(x), free(want), free(got);
    return ok;
}

static inline bool elt_case_gavgpool(const oq_q8_elt_ukernels *k, char *msg)
{
    static const size_t hws[] = {1, 2, 7, 49, 196, 1000}, cs[] = {1, 3, 15, 16, 17, 63, 64, 65,
                                                                  100, 129, 515};
    size_t batch = 1 + elt_rnd() % 2, hw = elt_pick(hws, 6), c = elt_pick(cs, 11);
    oq_q8_dtype dt = elt_dt();
    float sx = elt_scale(), sy = elt_scale();
    int32_t zx = elt_zp(dt), zy = elt_zp(dt);
    if (elt_rnd() % 3 == 0)
        sy = sx, zy = zx;
    size_t nx = batch * hw * c, ny = batch * c;
    uint8_t *x = elt_alloc(nx), *want = elt_alloc(ny), *got = elt_alloc(ny);
    elt_fill(x, nx, (int)(elt_rnd() % 4));
    oq_q8_global_avgpool_ref(batch, hw, c, x, sx, zx, want, sy, zy, dt);
    oq_q8_global_avgpool_with(k, batch, hw, c, x, sx, zx, got, sy, zy, dt);
    char what[200];
    snprintf(what, sizeof what, "%s global avgpool %zux%zux%zu dt=%d zx=%d zy=%d r=%a", k->name,
             batch, hw, c, (int)dt, zx, zy, (double)(sx / sy));
    bool ok = elt_same(got, want, ny, dt, what, msg);
    free(x), free(want), free(got);
    return ok;
}

/* Quantize (ties x = (j + 0.5) * scale, out of range, +-inf, NaN, -0) and Dequantize. */
static inline bool elt_case_quant(const oq_q8_elt_ukernels *k, char *msg)
{
    size_t n = elt_pick(elt_lens, ELT_NLENS);
    oq_q8_dtype dt = elt_dt();
    float scale = elt_scale();
    int32_t zp = elt_zp(dt);
    float *x = elt_alloc(n * 4), *fw = elt_alloc(n * 4), *fg = elt_alloc(n * 4);
    uint8_t *want = elt_alloc(n), *got = elt_alloc(n);
    for (size_t i = 0; i < n; i++) {
        switch (elt_rnd() % 8) {
        case 0: x[i] = ((float)elt_in(-300, 300) + 0.5f) * scale; break;
        case 1: x[i] = (float)elt_in(-1000000, 1000000) * scale; break;
        case 2: x[i] = elt_rnd() % 2 ? INFINITY : -INFINITY; break;
        case 3: x[i] = elt_rnd() % 2 ? NAN : -0.0f; break;
        default: x[i] = (float)elt_in(-400000, 400000) * 1e-3f * scale; break;
        }
    }
    oq_q8_quantize_ref(n, x, scale, zp, dt, want);
    k->quantize(n, x, scale, zp, dt, got);
    char what[200];
    snprintf(what, sizeof what, "%s quantize n=%zu dt=%d zp=%d scale=%a", k->name, n, (int)dt, zp,
             (double)scale);
    bool ok = elt_same(got, want, n, dt, what, msg);
    if (ok) {
        elt_fill(got, n, 0);
        oq_q8_dequantize_ref(n, got, dt, scale, zp, fw);
        k->dequantize(n, got, dt, scale, zp, fg);
        for (size_t i = 0; i < n && ok; i++)
            if (memcmp(&fw[i], &fg[i], 4)) {
                snprintf(msg, 400,
                         "%s dequantize n=%zu dt=%d zp=%d scale=%a: at [%zu]: got %a want %a",
                         k->name, n, (int)dt, zp, (double)scale, i, (double)fg[i], (double)fw[i]);
                ok = false;
            }
    }
    free(x), free(fw), free(fg), free(want), free(got);
    return ok;
}

/* LUT on a random table (and in place). */
static inline bool elt_case_lut(const oq_q8_elt_ukernels *k, char *msg)
{
    size_t n = elt_pick(elt_lens, ELT_NLENS);
    uint8_t table[256], *x = elt_alloc(n), *want = elt_alloc(n), *got = elt_alloc(n);
    elt_fill(table, 256, 0);
    elt_fill(x, n, elt_rnd() % 4 == 0 ? 3 : 0);
    oq_q8_lut_apply_ref(n, x, table, want);
    bool inplace = elt_rnd() % 3 == 0;
    if (inplace)
        memcpy(got, x, n);
    k->lut(n, inplace ? got : x, table, got);
    char what[100];
    snprintf(what, sizeof what, "%s lut n=%zu%s", k->name, n, inplace ? " in place" : "");
    bool ok = elt_same(got, want, n, OQ_Q8_U8, what, msg);
    free(x), free(want), free(got);
    return ok;
}

/* NCHW <-> NHWC with 1- and 4-byte elements. */
static inline bool elt_case_transpose(const oq_q8_elt_ukernels *k, char *msg)
{
    static const size_t cs[] = {1, 3, 4, 16, 17, 64}, hws[] = {1, 7, 63, 64, 65, 200, 3136};
    size_t n = 1 + elt_rnd() % 2, c = elt_pick(cs, 6), hw = elt_pick(hws, 7);
    size_t elem = elt_rnd() % 2 ? 4 : 1, bytes = n * c * hw * elem;
    uint8_t *x = elt_alloc(bytes), *want = elt_alloc(bytes), *got = elt_alloc(bytes);
    elt_fill(x, bytes, 0);
    char what[100];
    snprintf(what, sizeof what, "%s nchw_to_nhwc n=%zu c=%zu hw=%zu elem=%zu", k->name, n, c, hw,
             elem);
    oq_q8_nchw_to_nhwc_ref(n, c, hw, elem, x, want);
    oq_q8_nchw_to_nhwc_with(k, n, c, hw, elem, x, got);
    bool ok = elt_same(got, want, bytes, OQ_Q8_U8, what, msg);
    if (ok) {
        what[0] = 0;
        snprintf(what, sizeof what, "%s nhwc_to_nchw n=%zu c=%zu hw=%zu elem=%zu", k->name, n, c,
                 hw, elem);
        oq_q8_nhwc_to_nchw_ref(n, c, hw, elem, x, want);
        oq_q8_nhwc_to_nchw_with(k, n, c, hw, elem, x, got);
        ok = elt_same(got, want, bytes, OQ_Q8_U8, what, msg);
    }
    free(x), free(want), free(got);
    return ok;
}

/* Resize nearest (not table-dispatched: memory moves) vs the per-pixel reference, every
 * coordinate transformation and nearest mode, up- and downscaling, explicit scales or 0. */
static inline bool elt_case_resize(const oq_q8_elt_ukernels *k, char *msg)
{
    static const size_t cs[] = {1, 2, 3, 16, 33}, ws[] = {1, 2, 3, 5, 7, 13, 600};
    static const float scs[] = {0.0f, 2.0f, 0.5f, 1.7f, 3.0f, 0.3f};
    size_t batch = 1 + elt_rnd() % 2, c = elt_pick(cs, 5);
    size_t ih = elt_pick(ws, 6), iw = elt_pick(ws, elt_rnd() % 8 ? 6 : 7);
    float fh = scs[elt_rnd() % 6], fw = scs[elt_rnd() % 6];
    size_t oh = fh > 0 ? (size_t)floorf((float)ih * fh) : elt_pick(ws, 6);
    size_t ow = fw > 0 ? (size_t)floorf((float)iw * fw) : elt_pick(ws, 7);
    if (oh == 0 || ow == 0)
        oh = ow = 1, fh = fw = 0.0f;
    int coord = (int)(elt_rnd() % 5), nearest = (int)(elt_rnd() % 4);
    size_t nx = batch * ih * iw * c, ny = batch * oh * ow * c;
    uint8_t *x = elt_alloc(nx), *want = elt_alloc(ny), *got = elt_alloc(ny);
    elt_fill(x, nx, 0);
    oq_q8_resize_nearest_ref(batch, ih, iw, c, oh, ow, fh, fw, coord, nearest, x, want);
    oq_q8_resize_nearest(batch, ih, iw, c, oh, ow, fh, fw, coord, nearest, x, got);
    char what[200];
    snprintf(what, sizeof what,
             "%s resize %zux%zux%zux%zu -> %zux%zu scales %g,%g coord %d nearest %d",
             k->name, batch, ih, iw, c, oh, ow, (double)fh, (double)fw, coord, nearest);
    bool ok = elt_same(got, want, ny, OQ_Q8_U8, what, msg);
    free(x), free(want), free(got);
    return ok;
}

/* Exhaustive Add over every (a, b) byte pair for one parameter set (ties and saturation). */
static inline bool elt_case_add_all_pairs(const oq_q8_elt_ukernels *k, oq_q8_dtype dt, float ra,
                                          float rb, int32_t za, int32_t zb, int32_t zy, char *msg)
{
    uint8_t *a = elt_alloc(65536), *b = elt_alloc(65536), *want = elt_alloc(65536),
            *got = elt_alloc(65536);
    for (size_t i = 0; i < 65536; i++)
        a[i] = (uint8_t)(i >> 8), b[i] = (uint8_t)i;
    oq_q8_binary p;
    oq_q8_add_init(&p, dt, ra, za, rb, zb, 1.0f, zy);
    oq_q8_add_ref(65536, a, 1, b, 1, want, &p);
    oq_q8_add_with(k, 65536, a, 1, b, 1, got, &p);
    char what[200];
    snprintf(what, sizeof what, "%s add all pairs dt=%d ra=%a rb=%a za=%d zb=%d zy=%d", k->name,
             (int)dt, (double)ra, (double)rb, za, zb, zy);
    bool ok = elt_same(got, want, 65536, dt, what, msg);
    free(a), free(b), free(want), free(got);
    return ok;
}
#endif
