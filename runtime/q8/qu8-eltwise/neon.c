/* qu8-eltwise/neon.c: aarch64 NEON element-wise kernels, bit-identical to the scalar references:
 * Add in float64x2 (exact products, one rounding of the sum; vfmaq rounds the same exact sum
 * once), Mul/rescale/Quantize in float32x4; vcvtn rounds half to even (= nearbyint/lrintf under
 * the default FPCR). Clamps use compare + select, as the scalar ternaries (NEON fmax would
 * propagate NaN). MaxPool with vmaxq; the averaging pools with int32 sums and float64x2 division
 * (IEEE, as the scalar code); LUT with four 64-byte vqtbl4q/vqtbx4q lookups; transposes with
 * vld3q/vst3q (3 channels) or 16x16 vtrn blocks (16+). Tails run the scalar table. */
#include "../../target.h"
#if defined(__aarch64__) && OQ_WITH_NEON /* aarch64, neon kernels built; else an empty unit */
#include <arm_neon.h>

#include "qu8-eltwise.h"

/* 16 bytes widened to four int32x4 (sign- or zero-extended). */
static inline void ld16(const uint8_t *p, int s8, int32x4_t v[4])
{
    uint8x16_t b = vld1q_u8(p);
    int16x8_t l, h;
    if (s8) {
        int8x16_t s = vreinterpretq_s8_u8(b);
        l = vmovl_s8(vget_low_s8(s)), h = vmovl_s8(vget_high_s8(s));
    } else {
        l = vreinterpretq_s16_u16(vmovl_u8(vget_low_u8(b)));
        h = vreinterpretq_s16_u16(vmovl_u8(vget_high_u8(b)));
    }
    v[0] = vmovl_s16(vget_low_s16(l)), v[1] = vmovl_s16(vget_high_s16(l));
    v[2] = vmovl_s16(vget_low_s16(h)), v[3] = vmovl_s16(vget_high_s16(h));
}

/* Four int32x4 in the dtype range -> 16 bytes. */
static inline void st16(uint8_t *p, const int32x4_t v[4], int s8)
{
    int16x8_t l = vcombine_s16(vmovn_s32(v[0]), vmovn_s32(v[1]));
    int16x8_t h = vcombine_s16(vmovn_s32(v[2]), vmovn_s32(v[3]));
    int8x16_t b = vcombine_s8(vmovn_s16(l), vmovn_s16(h));
    (void)s8; /* in range: truncation is the value in either dtype */
    vst1q_u8(p, vreinterpretq_u8_s8(b));
}

static inline float64x2_t clamp_d(float64x2_t d, float64x2_t lo, float64x2_t hi)
{
    d = vbslq_f64(vcgtq_f64(d, lo), d, lo);
    return vbslq_f64(vcltq_f64(d, hi), d, hi);
}

static inline float32x4_t clamp_f(float32x4_t f, float32x4_t lo, float32x4_t hi)
{
    f = vbslq_f32(vcgtq_f32(f, lo), f, lo);
    return vbslq_f32(vcltq_f32(f, hi), f, hi);
}

/* exact (xa * ra + e) for 4 lanes -> clamp -> rne -> int32 + zy. */
static inline int32x4_t add4(int32x4_t xa, float64x2_t e0, float64x2_t e1, float64x2_t ra,
                             float64x2_t lo, float64x2_t hi, int32x4_t zy)
{
    float64x2_t d0 = vfmaq_f64(e0, vcvtq_f64_s64(vmovl_s32(vget_low_s32(xa))), ra);
    float64x2_t d1 = vfmaq_f64(e1, vcvtq_f64_s64(vmovl_s32(vget_high_s32(xa))), ra);
    int64x2_t r0 = vcvtnq_s64_f64(clamp_d(d0, lo, hi)), r1 = vcvtnq_s64_f64(clamp_d(d1, lo, hi));
    return vaddq_s32(vcombine_s32(vmovn_s64(r0), vmovn_s64(r1)), zy);
}

static inline void prod4(int32x4_t x, float64x2_t r, float64x2_t *e0, float64x2_t *e1)
{
    *e0 = vmulq_f64(vcvtq_f64_s64(vmovl_s32(vget_low_s32(x))), r);
    *e1 = vmulq_f64(vcvtq_f64_s64(vmovl_s32(vget_high_s32(x))), r);
}

static void oq_qu8_vadd_minmax_ukernel_x16__neon(size_t n, const void *a, const void *b, size_t bs,
                                                 void *y, const oq_q8_binary *p)
{
    const int s8 = p->dt == OQ_Q8_S8;
    const int32x4_t za = vdupq_n_s32(p->a_zp), zb = vdupq_n_s32(p->b_zp), zy = vdupq_n_s32(p->y_zp);
    const float64x2_t ra = vdupq_n_f64(p->a_mul), rb = vdupq_n_f64(p->b_mul);
    const float64x2_t lo = vdupq_n_f64(p->qmin - p->y_zp), hi = vdupq_n_f64(p->qmax - p->y_zp);
    const uint8_t *pa = a, *pb = b;
    uint8_t *py = y;
    const int32_t b0 = s8 ? (int32_t)(int8_t)pb[0] : (int32_t)pb[0];
    const float64x2_t cb = vdupq_n_f64((double)(b0 - p->b_zp) * (double)p->b_mul);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        int32x4_t xa[4], xb[4], r[4];
        ld16(pa + i, s8, xa);
        if (bs)
            ld16(pb + i, s8, xb);
        for (int q = 0; q < 4; q++) {
            float64x2_t e0 = cb, e1 = cb;
            if (bs)
                prod4(vsubq_s32(xb[q], zb), rb, &e0, &e1);
            r[q] = add4(vsubq_s32(xa[q], za), e0, e1, ra, lo, hi, zy);
        }
        st16(py + i, r, s8);
    }
    if (i < n)
        oq_q8_elt_scalar.add(n - i, pa + i, pb + i * bs, bs, py + i, p);
}

static inline int32x4_t round_f(float32x4_t f, float32x4_t lo, float32x4_t hi, int32x4_t zp)
{
    return vaddq_s32(vcvtnq_s32_f32(clamp_f(f, lo, hi)), zp);
}

static void oq_qu8_vmul_minmax_ukernel_x16__neon(size_t n, const void *a, const void *b, size_t bs,
                                                 void *y, const oq_q8_binary *p)
{
    const int s8 = p->dt == OQ_Q8_S8;
    const int32x4_t za = vdupq_n_s32(p->a_zp), zb = vdupq_n_s32(p->b_zp), zy = vdupq_n_s32(p->y_zp);
    const float32x4_t r = vdupq_n_f32(p->a_mul);
    const float32x4_t lo = vdupq_n_f32((float)(p->qmin - p->y_zp));
    const float32x4_t hi = vdupq_n_f32((float)(p->qmax - p->y_zp));
    const uint8_t *pa = a, *pb = b;
    uint8_t *py = y;
    const int32_t b0 = s8 ? (int32_t)(int8_t)pb[0] : (int32_t)pb[0];
    const int32x4_t cb = vdupq_n_s32(b0 - p->b_zp);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        int32x4_t xa[4], xb[4], o[4];
        ld16(pa + i, s8, xa);
        if (bs)
            ld16(pb + i, s8, xb);
        for (int q = 0; q < 4; q++) {
            int32x4_t m = vmulq_s32(vsubq_s32(xa[q], za), bs ? vsubq_s32(xb[q], zb) : cb);
            o[q] = round_f(vmulq_f32(vcvtq_f32_s32(m), r), lo, hi, zy);
        }
        st16(py + i, o, s8);
    }
    if (i < n)
        oq_q8_elt_scalar.mul(n - i, pa + i, pb + i * bs, bs, py + i, p);
}

static void oq_qu8_vrescale_minmax_ukernel_x16__neon(size_t n, const void *x, void *y,
                                                     const oq_q8_rescale_params *p)
{
    const int s8 = p->dt == OQ_Q8_S8;
    const int32x4_t zx = vdupq_n_s32(p->zx), zy = vdupq_n_s32(p->zy);
    const float32x4_t r = vdupq_n_f32(p->r);
    const float32x4_t lo = vdupq_n_f32((float)(p->lo - p->zy));
    const float32x4_t hi = vdupq_n_f32((float)(p->hi - p->zy));
    const uint8_t *px = x;
    uint8_t *py = y;
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        int32x4_t v[4];
        ld16(px + i, s8, v);
        for (int q = 0; q < 4; q++)
            v[q] = round_f(vmulq_f32(vcvtq_f32_s32(vsubq_s32(v[q], zx)), r), lo, hi, zy);
        st16(py + i, v, s8);
    }
    if (i < n)
        oq_q8_elt_scalar.rescale(n - i, px + i, py + i, p);
}

/* One pixel (its taps at in[t] + off). */
static inline void maxpool1(size_t c, size_t taps, const uint8_t *const *in, size_t off,
                            uint8_t *o, oq_q8_dtype dt)
{
    size_t ch = 0;
    for (; ch + 16 <= c; ch += 16) {
        uint8x16_t v = vld1q_u8(in[0] + off + ch);
        if (dt == OQ_Q8_S8)
            for (size_t t = 1; t < taps; t++)
                v = vreinterpretq_u8_s8(vmaxq_s8(vreinterpretq_s8_u8(v),
                                                 vreinterpretq_s8_u8(vld1q_u8(in[t] + off + ch))));
        else
            for (size_t t = 1; t < taps; t++)
                v = vmaxq_u8(v, vld1q_u8(in[t] + off + ch));
        vst1q_u8(o + ch, v);
    }
    if (ch < c) {
        const uint8_t *tp[256]; /* taps <= 256 (oq_q8_maxpool) */
        for (size_t t = 0; t < taps; t++)
            tp[t] = in[t] + off + ch;
        oq_q8_elt_scalar.maxpool(c - ch, 1, taps, tp, 0, o + ch, dt);
    }
}

static void oq_qu8_maxpool_ukernel_x16__neon(size_t c, size_t pixels, size_t taps,
                                             const uint8_t *const *in, size_t step, void *y,
                                             oq_q8_dtype dt)
{
    for (size_t p = 0; p < pixels; p++)
        maxpool1(c, taps, in, p * step, (uint8_t *)y + p * c, dt);
}

/* round_sat((double)(sum + bias) * r / cnt) + zy for 4 int32 sums (vdivq_f64 is IEEE). */
static inline int32x4_t avg4(int32x4_t sum, const oq_q8_avg_params *p)
{
    const float64x2_t r = vdupq_n_f64(p->r), cnt = vdupq_n_f64(p->cnt);
    const float64x2_t lo = vdupq_n_f64(p->lo - p->zy), hi = vdupq_n_f64(p->hi - p->zy);
    sum = vaddq_s32(sum, vdupq_n_s32(p->bias));
    float64x2_t d0 = vdivq_f64(vmulq_f64(vcvtq_f64_s64(vmovl_s32(vget_low_s32(sum))), r), cnt);
    float64x2_t d1 = vdivq_f64(vmulq_f64(vcvtq_f64_s64(vmovl_s32(vget_high_s32(sum))), r), cnt);
    int64x2_t r0 = vcvtnq_s64_f64(clamp_d(d0, lo, hi)), r1 = vcvtnq_s64_f64(clamp_d(d1, lo, hi));
    return vaddq_s32(vcombine_s32(vmovn_s64(r0), vmovn_s64(r1)), vdupq_n_s32(p->zy));
}

/* One pixel (its taps at in[t] + off). */
static inline void avgpool1(size_t c, size_t taps, const uint8_t *const *in, size_t off, void *y,
                            const oq_q8_avg_params *p)
{
    const int s8 = p->dt == OQ_Q8_S8;
    uint8_t *o = y;
    size_t ch = 0;
    for (; ch + 16 <= c; ch += 16) {
        int32x4_t sum[4] = {vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0)};
        for (size_t t = 0; t < taps; t++) {
            int32x4_t v[4];
            ld16(in[t] + off + ch, s8, v);
            for (int q = 0; q < 4; q++)
                sum[q] = vaddq_s32(sum[q], v[q]);
        }
        for (int q = 0; q < 4; q++)
            sum[q] = avg4(sum[q], p);
        st16(o + ch, sum, s8);
    }
    if (ch < c) {
        const uint8_t *tp[256]; /* taps <= 256 (oq_q8_avgpool) */
        for (size_t t = 0; t < taps; t++)
            tp[t] = in[t] + off + ch;
        oq_q8_elt_scalar.avgpool(c - ch, 1, taps, tp, 0, o + ch, p);
    }
}

static void oq_qu8_avgpool_minmax_ukernel_x16__neon(size_t c, size_t pixels, size_t taps,
                                                    const uint8_t *const *in, size_t step, void *y,
                                                    const oq_q8_avg_params *p)
{
    for (size_t px = 0; px < pixels; px++)
        avgpool1(c, taps, in, px * step, (uint8_t *)y + px * c, p);
}


static void oq_qu8_gavgpool_minmax_ukernel_x16__neon(size_t rows, size_t c, const void *x, void *y,
                                                     const oq_q8_avg_params *p)
{
    const int s8 = p->dt == OQ_Q8_S8;
    const uint8_t *px = x;
    uint8_t *o = y;
    size_t ch = 0;
    for (; ch + 16 <= c; ch += 16) {
        int32x4_t sum[4] = {vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0), vdupq_n_s32(0)};
        for (size_t r = 0; r < rows; r++) {
            int32x4_t v[4];
            ld16(px + r * c + ch, s8, v);
            for (int q = 0; q < 4; q++)
                sum[q] = vaddq_s32(sum[q], v[q]);
        }
        for (int q = 0; q < 4; q++)
            sum[q] = avg4(sum[q], p);
        st16(o + ch, sum, s8);
    }
    const double lo = (double)(p->lo - p->zy), hi = (double)(p->hi - p->zy);
    for (; ch < c; ch++) { /* the remaining channels, one lane at a time */
        int32_t sum = 0;
        for (size_t r = 0; r < rows; r++)
            sum += s8 ? (int32_t)(int8_t)px[r * c + ch] : (int32_t)px[r * c + ch];
        float64x2_t d = vdupq_n_f64((double)(sum + p->bias) * p->r / p->cnt);
        d = clamp_d(d, vdupq_n_f64(lo), vdupq_n_f64(hi));
        o[ch] = (uint8_t)((int32_t)vgetq_lane_s64(vcvtnq_s64_f64(d), 0) + p->zy);
    }
}

static void oq_f32_qu8_vcvt_ukernel_x16__neon(size_t n, const float *x, float scale, int32_t zp,
                                              oq_q8_dtype dt, void *q)
{
    const int32_t qmin = dt == OQ_Q8_S8 ? -128 : 0, qmax = dt == OQ_Q8_S8 ? 127 : 255;
    const float32x4_t s = vdupq_n_f32(scale);
    const float32x4_t lo = vdupq_n_f32((float)(qmin - zp)), hi = vdupq_n_f32((float)(qmax - zp));
    const int32x4_t z = vdupq_n_s32(zp);
    uint8_t *o = q;
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        int32x4_t v[4];
        for (int k = 0; k < 4; k++)
            v[k] = round_f(vdivq_f32(vld1q_f32(x + i + 4 * k), s), lo, hi, z);
        st16(o + i, v, dt == OQ_Q8_S8);
    }
    if (i < n)
        oq_q8_elt_scalar.quantize(n - i, x + i, scale, zp, dt, o + i);
}

static void oq_qu8_f32_vcvt_ukernel_x16__neon(size_t n, const void *q, oq_q8_dtype dt, float scale,
                                              int32_t zp, float *x)
{
    const float32x4_t s = vdupq_n_f32(scale);
    const int32x4_t z = vdupq_n_s32(zp);
    const uint8_t *in = q;
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        int32x4_t v[4];
        ld16(in + i, dt == OQ_Q8_S8, v);
        for (int k = 0; k < 4; k++)
            vst1q_f32(x + i + 4 * k, vmulq_f32(vcvtq_f32_s32(vsubq_s32(v[k], z)), s));
    }
    if (i < n)
        oq_q8_elt_scalar.dequantize(n - i, in + i, dt, scale, zp, x + i);
}

/* Four 64-byte quarters of the table: the first lookup zeroes out-of-range indices, the next
 * three (index - 64k, wrapping) only replace the bytes whose index falls in their quarter. */
static void oq_x8_lut_ukernel_x16__neon(size_t n, const uint8_t *x, const uint8_t table[256],
                                        uint8_t *y)
{
    uint8x16x4_t t[4];
    for (int k = 0; k < 4; k++)
        t[k] = vld1q_u8_x4(table + 64 * k);
    const uint8x16_t d = vdupq_n_u8(64);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        uint8x16_t v = vld1q_u8(x + i);
        uint8x16_t r = vqtbl4q_u8(t[0], v);
        v = vsubq_u8(v, d);
        r = vqtbx4q_u8(r, t[1], v);
        v = vsubq_u8(v, d);
        r = vqtbx4q_u8(r, t[2], v);
        v = vsubq_u8(v, d);
        r = vqtbx4q_u8(r, t[3], v);
        vst1q_u8(y + i, r);
    }
    if (i < n)
        oq_q8_elt_scalar.lut(n - i, x + i, table, y + i);
}

/* In-register transpose of a 16x16 byte block (r[i] = row i -> column i): vtrn of 8, 16 and
 * 32 bits, then an exchange of 64-bit halves. */
static inline void tr16x16(uint8x16_t r[16])
{
    for (int i = 0; i < 16; i += 2) {
        uint8x16x2_t t = vtrnq_u8(r[i], r[i + 1]);
        r[i] = t.val[0], r[i + 1] = t.val[1];
    }
    for (int g = 0; g < 16; g += 4)
        for (int i = g; i < g + 2; i++) {
            uint16x8x2_t t = vtrnq_u16(vreinterpretq_u16_u8(r[i]), vreinterpretq_u16_u8(r[i + 2]));
            r[i] = vreinterpretq_u8_u16(t.val[0]), r[i + 2] = vreinterpretq_u8_u16(t.val[1]);
        }
    for (int g = 0; g < 16; g += 8)
        for (int i = g; i < g + 4; i++) {
            uint32x4x2_t t = vtrnq_u32(vreinterpretq_u32_u8(r[i]), vreinterpretq_u32_u8(r[i + 4]));
            r[i] = vreinterpretq_u8_u32(t.val[0]), r[i + 4] = vreinterpretq_u8_u32(t.val[1]);
        }
    for (int i = 0; i < 8; i++) {
        uint8x16_t lo = vcombine_u8(vget_low_u8(r[i]), vget_low_u8(r[i + 8]));
        uint8x16_t hi = vcombine_u8(vget_high_u8(r[i]), vget_high_u8(r[i + 8]));
        r[i] = lo, r[i + 8] = hi;
    }
}

/* y[j * ys + i] = x[i * xs + j] for i < rows, j < cols: 16x16 blocks in registers, the edges
 * byte by byte. */
static void transpose8(size_t rows, size_t cols, const uint8_t *x, size_t xs, uint8_t *y,
                       size_t ys)
{
    size_t i0 = 0;
    for (; i0 + 16 <= rows; i0 += 16) {
        size_t j0 = 0;
        for (; j0 + 16 <= cols; j0 += 16) {
            uint8x16_t r[16];
            for (int i = 0; i < 16; i++)
                r[i] = vld1q_u8(x + (i0 + i) * xs + j0);
            tr16x16(r);
            for (int j = 0; j < 16; j++)
                vst1q_u8(y + (j0 + j) * ys + i0, r[j]);
        }
        for (; j0 < cols; j0++)
            for (size_t i = i0; i < i0 + 16; i++)
                y[j0 * ys + i] = x[i * xs + j0];
    }
    for (; i0 < rows; i0++)
        for (size_t j = 0; j < cols; j++)
            y[j * ys + i0] = x[i0 * xs + j];
}

/* 3 channels (images at the model's input): vst3q/vld3q interleave 16 pixels per step; 16
 * channels or more: 16x16 blocks; else the scalar strips. */
static void oq_x8_chw2hwc_ukernel_16x16__neon(size_t c, size_t hw, const uint8_t *x, uint8_t *y)
{
    if (c >= 16 && hw >= 16) {
        transpose8(c, hw, x, hw, y, c);
        return;
    }
    if (c != 3) {
        oq_q8_elt_scalar.chw_to_hwc8(c, hw, x, y);
        return;
    }
    size_t p = 0;
    for (; p + 16 <= hw; p += 16) {
        uint8x16x3_t v;
        v.val[0] = vld1q_u8(x + p), v.val[1] = vld1q_u8(x + hw + p);
        v.val[2] = vld1q_u8(x + 2 * hw + p);
        vst3q_u8(y + 3 * p, v);
    }
    for (; p < hw; p++)
        for (size_t ch = 0; ch < 3; ch++)
            y[3 * p + ch] = x[ch * hw + p];
}

static void oq_x8_hwc2chw_ukernel_16x16__neon(size_t c, size_t hw, const uint8_t *x, uint8_t *y)
{
    if (c >= 16 && hw >= 16) {
        transpose8(hw, c, x, c, y, hw);
        return;
    }
    if (c != 3) {
        oq_q8_elt_scalar.hwc_to_chw8(c, hw, x, y);
        return;
    }
    size_t p = 0;
    for (; p + 16 <= hw; p += 16) {
        uint8x16x3_t v = vld3q_u8(x + 3 * p);
        vst1q_u8(y + p, v.val[0]), vst1q_u8(y + hw + p, v.val[1]);
        vst1q_u8(y + 2 * hw + p, v.val[2]);
    }
    for (; p < hw; p++)
        for (size_t ch = 0; ch < 3; ch++)
            y[ch * hw + p] = x[3 * p + ch];
}

const oq_q8_elt_ukernels oq_q8_elt_neon = {
    OQ_ISA_NEON, "neon", oq_qu8_vadd_minmax_ukernel_x16__neon,
    oq_qu8_vmul_minmax_ukernel_x16__neon, oq_qu8_vrescale_minmax_ukernel_x16__neon,
    oq_qu8_maxpool_ukernel_x16__neon, oq_qu8_avgpool_minmax_ukernel_x16__neon,
    oq_qu8_gavgpool_minmax_ukernel_x16__neon, oq_f32_qu8_vcvt_ukernel_x16__neon,
    oq_qu8_f32_vcvt_ukernel_x16__neon, oq_x8_lut_ukernel_x16__neon,
    oq_x8_chw2hwc_ukernel_16x16__neon, oq_x8_hwc2chw_ukernel_16x16__neon,
};
#else
typedef int oq_rt_empty_unit; /* ISO C: no empty file */
#endif
