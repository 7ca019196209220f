/* qu8-eltwise/avx2.c: AVX2 element-wise kernels, bit-identical to the scalar references: Add in
 * double (4 lanes; exact products, so fmadd rounds the exact sum once, like the scalar code),
 * Mul/rescale/Quantize in float, vcvtpd2dq/vcvtps2dq round half to even under the default MXCSR
 * like nearbyint/lrintf; min/max operand order as the scalar ternaries. Results are in range
 * before packing, so the saturating packs never saturate. Tails run the scalar table. */
#include "../../target.h"
#if defined(__x86_64__) && OQ_WITH_AVX2 /* x86-64, avx2 kernels built; else an empty unit */
#include <immintrin.h>

#include "qu8-eltwise.h"

#define TAVX2 __attribute__((target("avx2,fma")))

/* Prefetch of a stream 1 KiB ahead, once per 64 bytes at offset i (activations written by an
 * earlier layer or the caller's float input are often out of L2; measured in the models). */
TAVX2 static inline void ahead(const void *p, size_t i)
{
    if (!(i & 63))
        _mm_prefetch((const char *)((uintptr_t)p + i + 1024), _MM_HINT_T0); /* may pass the end */
}

/* 8 bytes widened to int32. */
TAVX2 static inline __m256i ld8(const uint8_t *p, int s8)
{
    __m128i b = _mm_loadl_epi64((const __m128i *)p);
    return s8 ? _mm256_cvtepi8_epi32(b) : _mm256_cvtepu8_epi32(b);
}

/* 16 bytes widened to two int32 vectors. */
TAVX2 static inline void ld16(const uint8_t *p, int s8, __m256i *v0, __m256i *v1)
{
    __m128i b = _mm_loadu_si128((const __m128i *)p);
    *v0 = s8 ? _mm256_cvtepi8_epi32(b) : _mm256_cvtepu8_epi32(b);
    b = _mm_unpackhi_epi64(b, b);
    *v1 = s8 ? _mm256_cvtepi8_epi32(b) : _mm256_cvtepu8_epi32(b);
}

/* Packs two vectors of in-range int32 into 16 bytes. */
TAVX2 static inline __m128i pack16(__m256i v0, __m256i v1, int s8)
{
    __m256i w = _mm256_packs_epi32(v0, v1); /* per lane: v0 lo, v1 lo, v0 hi, v1 hi */
    w = _mm256_permute4x64_epi64(w, 0xd8);
    __m128i l = _mm256_castsi256_si128(w), h = _mm256_extracti128_si256(w, 1);
    return s8 ? _mm_packs_epi16(l, h) : _mm_packus_epi16(l, h);
}

TAVX2 static inline __m128i clamp_round_pd(__m256d d, __m256d lo, __m256d hi)
{
    return _mm256_cvtpd_epi32(_mm256_min_pd(_mm256_max_pd(d, lo), hi));
}

/* 8 int32 -> exact add -> 8 rounded int32 (+zy). */
TAVX2 static inline __m256i add8(__m256i xa, __m256d e0, __m256d e1, __m256d ra, __m256d lo,
                                 __m256d hi, __m256i zy)
{
    __m256d d0 = _mm256_fmadd_pd(_mm256_cvtepi32_pd(_mm256_castsi256_si128(xa)), ra, e0);
    __m256d d1 = _mm256_fmadd_pd(_mm256_cvtepi32_pd(_mm256_extracti128_si256(xa, 1)), ra, e1);
    __m256i r = _mm256_inserti128_si256(_mm256_castsi128_si256(clamp_round_pd(d0, lo, hi)),
                                        clamp_round_pd(d1, lo, hi), 1);
    return _mm256_add_epi32(r, zy);
}

TAVX2 static inline __attribute__((always_inline)) void
add_dt(size_t n, const void *a, const void *b, size_t bs, void *y, const oq_q8_binary *p, int s8)
{
    const __m256i za = _mm256_set1_epi32(p->a_zp), zb = _mm256_set1_epi32(p->b_zp);
    const __m256i zy = _mm256_set1_epi32(p->y_zp);
    const __m256d ra = _mm256_set1_pd(p->a_mul), rb = _mm256_set1_pd(p->b_mul);
    const __m256d lo = _mm256_set1_pd(p->qmin - p->y_zp), hi = _mm256_set1_pd(p->qmax - p->y_zp);
    const uint8_t *pa = a, *pb = b;
    uint8_t *py = y;
    const int32_t b0 = s8 ? (int32_t)(int8_t)pb[0] : (int32_t)pb[0];
    const __m256d cb = _mm256_set1_pd((double)(b0 - p->b_zp) * (double)p->b_mul);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256i a0, a1, r0, r1;
        ahead(pa, i), ahead(pb, i * bs);
        ld16(pa + i, s8, &a0, &a1);
        a0 = _mm256_sub_epi32(a0, za), a1 = _mm256_sub_epi32(a1, za);
        if (bs) {
            __m256i b0v, b1v;
            ld16(pb + i, s8, &b0v, &b1v);
            b0v = _mm256_sub_epi32(b0v, zb), b1v = _mm256_sub_epi32(b1v, zb);
            r0 = add8(a0, _mm256_mul_pd(_mm256_cvtepi32_pd(_mm256_castsi256_si128(b0v)), rb),
                      _mm256_mul_pd(_mm256_cvtepi32_pd(_mm256_extracti128_si256(b0v, 1)), rb),
                      ra, lo, hi, zy);
            r1 = add8(a1, _mm256_mul_pd(_mm256_cvtepi32_pd(_mm256_castsi256_si128(b1v)), rb),
                      _mm256_mul_pd(_mm256_cvtepi32_pd(_mm256_extracti128_si256(b1v, 1)), rb),
                      ra, lo, hi, zy);
        } else {
            r0 = add8(a0, cb, cb, ra, lo, hi, zy);
            r1 = add8(a1, cb, cb, ra, lo, hi, zy);
        }
        _mm_storeu_si128((__m128i *)(py + i), pack16(r0, r1, s8));
    }
    if (i < n)
        oq_q8_elt_scalar.add(n - i, pa + i, pb + i * bs, bs, py + i, p);
}

TAVX2 static void oq_qu8_vadd_minmax_ukernel_x16__avx2(size_t n, const void *a, const void *b,
                                                       size_t bs, void *y, const oq_q8_binary *p)
{
    if (p->dt == OQ_Q8_S8)
        add_dt(n, a, b, bs, y, p, 1);
    else
        add_dt(n, a, b, bs, y, p, 0);
}

TAVX2 static inline __m256i round_ps(__m256 f, __m256 lo, __m256 hi, __m256i zp)
{
    f = _mm256_min_ps(_mm256_max_ps(f, lo), hi);
    return _mm256_add_epi32(_mm256_cvtps_epi32(f), zp);
}

TAVX2 static inline __attribute__((always_inline)) void
mul_dt(size_t n, const void *a, const void *b, size_t bs, void *y, const oq_q8_binary *p, int s8)
{
    const __m256i za = _mm256_set1_epi32(p->a_zp), zb = _mm256_set1_epi32(p->b_zp);
    const __m256i zy = _mm256_set1_epi32(p->y_zp);
    const __m256 r = _mm256_set1_ps(p->a_mul);
    const __m256 lo = _mm256_set1_ps((float)(p->qmin - p->y_zp));
    const __m256 hi = _mm256_set1_ps((float)(p->qmax - p->y_zp));
    const uint8_t *pa = a, *pb = b;
    uint8_t *py = y;
    const int32_t b0 = s8 ? (int32_t)(int8_t)pb[0] : (int32_t)pb[0];
    const __m256i cb = _mm256_set1_epi32(b0 - p->b_zp);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256i a0, a1, x0 = cb, x1 = cb;
        ahead(pa, i), ahead(pb, i * bs);
        ld16(pa + i, s8, &a0, &a1);
        if (bs) {
            ld16(pb + i, s8, &x0, &x1);
            x0 = _mm256_sub_epi32(x0, zb), x1 = _mm256_sub_epi32(x1, zb);
        }
        __m256i p0 = _mm256_mullo_epi32(_mm256_sub_epi32(a0, za), x0);
        __m256i p1 = _mm256_mullo_epi32(_mm256_sub_epi32(a1, za), x1);
        __m256i r0 = round_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(p0), r), lo, hi, zy);
        __m256i r1 = round_ps(_mm256_mul_ps(_mm256_cvtepi32_ps(p1), r), lo, hi, zy);
        _mm_storeu_si128((__m128i *)(py + i), pack16(r0, r1, s8));
    }
    if (i < n)
        oq_q8_elt_scalar.mul(n - i, pa + i, pb + i * bs, bs, py + i, p);
}

TAVX2 static void oq_qu8_vmul_minmax_ukernel_x16__avx2(size_t n, const void *a, const void *b,
                                                       size_t bs, void *y, const oq_q8_binary *p)
{
    if (p->dt == OQ_Q8_S8)
        mul_dt(n, a, b, bs, y, p, 1);
    else
        mul_dt(n, a, b, bs, y, p, 0);
}

TAVX2 static inline __attribute__((always_inline)) void
rescale_dt(size_t n, const void *x, void *y, const oq_q8_rescale_params *p, int s8)
{
    const __m256i zx = _mm256_set1_epi32(p->zx), zy = _mm256_set1_epi32(p->zy);
    const __m256 r = _mm256_set1_ps(p->r);
    const __m256 lo = _mm256_set1_ps((float)(p->lo - p->zy));
    const __m256 hi = _mm256_set1_ps((float)(p->hi - p->zy));
    const uint8_t *px = x;
    uint8_t *py = y;
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256i v0, v1;
        ahead(px, i);
        ld16(px + i, s8, &v0, &v1);
        __m256 f0 = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(v0, zx)), r);
        __m256 f1 = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(v1, zx)), r);
        _mm_storeu_si128((__m128i *)(py + i),
                         pack16(round_ps(f0, lo, hi, zy), round_ps(f1, lo, hi, zy), s8));
    }
    if (i < n)
        oq_q8_elt_scalar.rescale(n - i, px + i, py + i, p);
}

TAVX2 static void oq_qu8_vrescale_minmax_ukernel_x16__avx2(size_t n, const void *x, void *y,
                                                           const oq_q8_rescale_params *p)
{
    if (p->dt == OQ_Q8_S8)
        rescale_dt(n, x, y, p, 1);
    else
        rescale_dt(n, x, y, p, 0);
}

/* One pixel (its taps at in[t] + off). */
TAVX2 static inline void maxpool1(size_t c, size_t taps, const uint8_t *const *in, size_t off,
                                  uint8_t *o, oq_q8_dtype dt)
{
    size_t ch = 0;
    for (; ch + 32 <= c; ch += 32) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(in[0] + off + ch));
        if (dt == OQ_Q8_S8)
            for (size_t t = 1; t < taps; t++)
                v = _mm256_max_epi8(v, _mm256_loadu_si256((const __m256i *)(in[t] + off + ch)));
        else
            for (size_t t = 1; t < taps; t++)
                v = _mm256_max_epu8(v, _mm256_loadu_si256((const __m256i *)(in[t] + off + ch)));
        _mm256_storeu_si256((__m256i *)(o + ch), v);
    }
    for (; ch + 16 <= c; ch += 16) {
        __m128i v = _mm_loadu_si128((const __m128i *)(in[0] + off + ch));
        if (dt == OQ_Q8_S8)
            for (size_t t = 1; t < taps; t++)
                v = _mm_max_epi8(v, _mm_loadu_si128((const __m128i *)(in[t] + off + ch)));
        else
            for (size_t t = 1; t < taps; t++)
                v = _mm_max_epu8(v, _mm_loadu_si128((const __m128i *)(in[t] + off + ch)));
        _mm_storeu_si128((__m128i *)(o + ch), v);
    }
    if (ch < c) {
        const uint8_t *tp[256]; /* taps <= 256 (oq_q8_maxpool) */
        for (size_t t = 0; t < taps; t++)
            tp[t] = in[t] + off + ch;
        oq_q8_elt_scalar.maxpool(c - ch, 1, taps, tp, 0, o + ch, dt);
    }
}

TAVX2 static void oq_qu8_maxpool_ukernel_x32__avx2(size_t c, size_t pixels, size_t taps,
                                                   const uint8_t *const *in, size_t step, void *y,
                                                   oq_q8_dtype dt)
{
    for (size_t p = 0; p < pixels; p++)
        maxpool1(c, taps, in, p * step, (uint8_t *)y + p * c, dt);
}

/* round_sat((double)(sum + bias) * r / cnt) for 8 int32 sums. */
TAVX2 static inline __m256i avg8(__m256i sum, const oq_q8_avg_params *p)
{
    const __m256d r = _mm256_set1_pd(p->r), cnt = _mm256_set1_pd(p->cnt);
    const __m256d lo = _mm256_set1_pd(p->lo - p->zy), hi = _mm256_set1_pd(p->hi - p->zy);
    sum = _mm256_add_epi32(sum, _mm256_set1_epi32(p->bias));
    __m256d d0 = _mm256_div_pd(_mm256_mul_pd(_mm256_cvtepi32_pd(_mm256_castsi256_si128(sum)), r),
                               cnt);
    __m256d d1 = _mm256_div_pd(
        _mm256_mul_pd(_mm256_cvtepi32_pd(_mm256_extracti128_si256(sum, 1)), r), cnt);
    __m256i v = _mm256_inserti128_si256(_mm256_castsi128_si256(clamp_round_pd(d0, lo, hi)),
                                        clamp_round_pd(d1, lo, hi), 1);
    return _mm256_add_epi32(v, _mm256_set1_epi32(p->zy));
}

/* One pixel (its taps at in[t] + off). */
TAVX2 static inline void avgpool1(size_t c, size_t taps, const uint8_t *const *in, size_t off,
                                  void *y, const oq_q8_avg_params *p)
{
    const int s8 = p->dt == OQ_Q8_S8;
    uint8_t *o = y;
    size_t ch = 0;
    for (; ch + 16 <= c; ch += 16) {
        __m256i s0 = _mm256_setzero_si256(), s1 = s0;
        for (size_t t = 0; t < taps; t++) {
            __m256i v0, v1;
            ld16(in[t] + off + ch, s8, &v0, &v1);
            s0 = _mm256_add_epi32(s0, v0), s1 = _mm256_add_epi32(s1, v1);
        }
        _mm_storeu_si128((__m128i *)(o + ch), pack16(avg8(s0, p), avg8(s1, p), s8));
    }
    if (ch < c) {
        const uint8_t *tp[256]; /* taps <= 256 (oq_q8_avgpool) */
        for (size_t t = 0; t < taps; t++)
            tp[t] = in[t] + off + ch;
        oq_q8_elt_scalar.avgpool(c - ch, 1, taps, tp, 0, o + ch, p);
    }
}

TAVX2 static void oq_qu8_avgpool_minmax_ukernel_x16__avx2(size_t c, size_t pixels, size_t taps,
                                                          const uint8_t *const *in, size_t step,
                                                          void *y, const oq_q8_avg_params *p)
{
    for (size_t px = 0; px < pixels; px++)
        avgpool1(c, taps, in, px * step, (uint8_t *)y + px * c, p);
}


TAVX2 static void oq_qu8_gavgpool_minmax_ukernel_x16__avx2(size_t rows, size_t c, const void *x,
                                                           void *y, const oq_q8_avg_params *p)
{
    const int s8 = p->dt == OQ_Q8_S8;
    const uint8_t *px = x;
    uint8_t *o = y;
    size_t ch = 0;
    for (; ch + 16 <= c; ch += 16) {
        __m256i s0 = _mm256_setzero_si256(), s1 = s0;
        for (size_t r = 0; r < rows; r++) {
            __m256i v0, v1;
            ld16(px + r * c + ch, s8, &v0, &v1);
            s0 = _mm256_add_epi32(s0, v0), s1 = _mm256_add_epi32(s1, v1);
        }
        _mm_storeu_si128((__m128i *)(o + ch), pack16(avg8(s0, p), avg8(s1, p), s8));
    }
    if (ch < c) { /* the remaining channels, as a narrower image with row stride c */
        const double lo = (double)(p->lo - p->zy), hi = (double)(p->hi - p->zy);
        for (; ch < c; ch++) {
            int32_t sum = 0;
            for (size_t r = 0; r < rows; r++)
                sum += s8 ? (int32_t)(int8_t)px[r * c + ch] : (int32_t)px[r * c + ch];
            double d = (double)(sum + p->bias) * p->r / p->cnt;
            d = d > lo ? d : lo;
            d = d < hi ? d : hi;
            __m128i v = _mm_cvtpd_epi32(_mm_set_sd(d));
            int32_t q = _mm_cvtsi128_si32(v) + p->zy;
            o[ch] = (uint8_t)q;
        }
    }
}

TAVX2 static void oq_f32_qu8_vcvt_ukernel_x16__avx2(size_t n, const float *x, float scale,
                                                    int32_t zp, oq_q8_dtype dt, void *q)
{
    const int32_t qmin = dt == OQ_Q8_S8 ? -128 : 0, qmax = dt == OQ_Q8_S8 ? 127 : 255;
    const __m256 s = _mm256_set1_ps(scale);
    const __m256 lo = _mm256_set1_ps((float)(qmin - zp)), hi = _mm256_set1_ps((float)(qmax - zp));
    const __m256i z = _mm256_set1_epi32(zp);
    uint8_t *o = q;
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        ahead(x, 4 * i);
        __m256i v0 = round_ps(_mm256_div_ps(_mm256_loadu_ps(x + i), s), lo, hi, z);
        __m256i v1 = round_ps(_mm256_div_ps(_mm256_loadu_ps(x + i + 8), s), lo, hi, z);
        _mm_storeu_si128((__m128i *)(o + i), pack16(v0, v1, dt == OQ_Q8_S8));
    }
    if (i < n)
        oq_q8_elt_scalar.quantize(n - i, x + i, scale, zp, dt, o + i);
}

TAVX2 static void oq_qu8_f32_vcvt_ukernel_x8__avx2(size_t n, const void *q, oq_q8_dtype dt,
                                                   float scale, int32_t zp, float *x)
{
    const int s8 = dt == OQ_Q8_S8;
    const __m256 s = _mm256_set1_ps(scale);
    const __m256i z = _mm256_set1_epi32(zp);
    const uint8_t *in = q;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256 f = _mm256_cvtepi32_ps(_mm256_sub_epi32(ld8(in + i, s8), z));
        _mm256_storeu_ps(x + i, _mm256_mul_ps(f, s));
    }
    if (i < n)
        oq_q8_elt_scalar.dequantize(n - i, in + i, dt, scale, zp, x + i);
}

/* 256-entry table: 16 rows of 16 bytes; a byte picks its row by its high nibble (compare,
 * blend) and its entry by the low nibble (vpshufb). */
TAVX2 static void oq_x8_lut_ukernel_x32__avx2(size_t n, const uint8_t *x, const uint8_t table[256],
                                              uint8_t *y)
{
    __m256i rows[16];
    for (int h = 0; h < 16; h++)
        rows[h] = _mm256_broadcastsi128_si256(_mm_loadu_si128((const __m128i *)(table + 16 * h)));
    const __m256i nib = _mm256_set1_epi8(0x0f);
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        __m256i v = _mm256_loadu_si256((const __m256i *)(x + i));
        __m256i lo = _mm256_and_si256(v, nib);
        __m256i hi = _mm256_and_si256(_mm256_srli_epi16(v, 4), nib);
        __m256i r = _mm256_shuffle_epi8(rows[0], lo);
        for (int h = 1; h < 16; h++) {
            __m256i k = _mm256_cmpeq_epi8(hi, _mm256_set1_epi8((char)h));
            r = _mm256_blendv_epi8(r, _mm256_shuffle_epi8(rows[h], lo), k);
        }
        _mm256_storeu_si256((__m256i *)(y + i), r);
    }
    if (i < n)
        oq_q8_elt_scalar.lut(n - i, x + i, table, y + i);
}

/* pshufb masks of the 3-channel interleave: m[3j + ch] moves plane ch's bytes into output block
 * j (bytes 16j..16j+15 of 16 pixels) when to_hwc, else block j's bytes into plane ch. */
static void masks3(uint8_t m[9][16], bool to_hwc)
{
    for (int j = 0; j < 3; j++)
        for (int ch = 0; ch < 3; ch++)
            for (int k = 0; k < 16; k++) {
                int o = 16 * j + k, src = 3 * k + ch - 16 * j;
                if (to_hwc)
                    m[3 * j + ch][k] = o % 3 == ch ? (uint8_t)(o / 3) : 0x80;
                else
                    m[3 * j + ch][k] = src >= 0 && src < 16 ? (uint8_t)src : 0x80;
            }
}

/* In-register transpose of a 16x16 byte block: r[i] = row i -> r[j] = column j (unpacks of
 * 8, 16, 32 and 64 bits). */
TAVX2 static inline void tr16x16(__m128i r[16])
{
    __m128i a[16], b[16], c[16];
    for (int i = 0; i < 8; i++) {
        a[i] = _mm_unpacklo_epi8(r[2 * i], r[2 * i + 1]);     /* columns 0-7, rows 2i, 2i+1 */
        a[i + 8] = _mm_unpackhi_epi8(r[2 * i], r[2 * i + 1]); /* columns 8-15 */
    }
    for (int h = 0; h < 2; h++) /* h: columns 0-7 or 8-15 */
        for (int i = 0; i < 4; i++) {
            b[8 * h + i] = _mm_unpacklo_epi16(a[8 * h + 2 * i], a[8 * h + 2 * i + 1]);
            b[8 * h + i + 4] = _mm_unpackhi_epi16(a[8 * h + 2 * i], a[8 * h + 2 * i + 1]);
        }
    for (int g = 0; g < 16; g += 4) /* b[g + i]: 4 columns from g, rows 4i..4i+3 */
        for (int j = 0; j < 2; j++) {
            c[g + j] = _mm_unpacklo_epi32(b[g + 2 * j], b[g + 2 * j + 1]);
            c[g + j + 2] = _mm_unpackhi_epi32(b[g + 2 * j], b[g + 2 * j + 1]);
        }
    for (int g = 0; g < 16; g += 4) { /* c[g + j]: columns g, g+1 (j < 2) or g+2, g+3, rows 8j.. */
        r[g] = _mm_unpacklo_epi64(c[g], c[g + 1]);
        r[g + 1] = _mm_unpackhi_epi64(c[g], c[g + 1]);
        r[g + 2] = _mm_unpacklo_epi64(c[g + 2], c[g + 3]);
        r[g + 3] = _mm_unpackhi_epi64(c[g + 2], c[g + 3]);
    }
}

/* y[j * ys + i] = x[i * xs + j] for i < rows, j < cols: blocks of 16x16 in registers, the
 * edges byte by byte. */
TAVX2 static void transpose8(size_t rows, size_t cols, const uint8_t *x, size_t xs, uint8_t *y,
                             size_t ys)
{
    size_t i0 = 0;
    for (; i0 + 16 <= rows; i0 += 16) {
        size_t j0 = 0;
        for (; j0 + 16 <= cols; j0 += 16) {
            __m128i r[16];
            for (int i = 0; i < 16; i++)
                r[i] = _mm_loadu_si128((const __m128i *)(x + (i0 + i) * xs + j0));
            tr16x16(r);
            for (int j = 0; j < 16; j++)
                _mm_storeu_si128((__m128i *)(y + (j0 + j) * ys + i0), r[j]);
        }
        for (; j0 < cols; j0++)
            for (size_t i = i0; i < i0 + 16; i++)
                y[j0 * ys + i] = x[i * xs + j0];
    }
    for (; i0 < rows; i0++)
        for (size_t j = 0; j < cols; j++)
            y[j * ys + i0] = x[i0 * xs + j];
}

/* 3 channels (images at the model's input): 16 pixels per step, 9 vpshufb; 16 channels or more:
 * 16x16 blocks; else the scalar strips. */
TAVX2 static void oq_x8_chw2hwc_ukernel_16x16__avx2(size_t c, size_t hw, const uint8_t *x,
                                                    uint8_t *y)
{
    if (c >= 16 && hw >= 16) {
        transpose8(c, hw, x, hw, y, c);
        return;
    }
    if (c != 3) {
        oq_q8_elt_scalar.chw_to_hwc8(c, hw, x, y);
        return;
    }
    uint8_t mb[9][16];
    masks3(mb, true);
    __m128i m[9];
    for (int i = 0; i < 9; i++)
        m[i] = _mm_loadu_si128((const __m128i *)mb[i]);
    size_t p = 0;
    for (; p + 16 <= hw; p += 16) {
        __m128i r = _mm_loadu_si128((const __m128i *)(x + p));
        __m128i g = _mm_loadu_si128((const __m128i *)(x + hw + p));
        __m128i b = _mm_loadu_si128((const __m128i *)(x + 2 * hw + p));
        for (int j = 0; j < 3; j++) {
            __m128i o = _mm_or_si128(_mm_shuffle_epi8(r, m[3 * j]),
                                     _mm_shuffle_epi8(g, m[3 * j + 1]));
            o = _mm_or_si128(o, _mm_shuffle_epi8(b, m[3 * j + 2]));
            _mm_storeu_si128((__m128i *)(y + 3 * p + 16 * j), o);
        }
    }
    for (; p < hw; p++)
        for (size_t ch = 0; ch < 3; ch++)
            y[3 * p + ch] = x[ch * hw + p];
}

TAVX2 static void oq_x8_hwc2chw_ukernel_16x16__avx2(size_t c, size_t hw, const uint8_t *x,
                                                    uint8_t *y)
{
    if (c >= 16 && hw >= 16) {
        transpose8(hw, c, x, c, y, hw);
        return;
    }
    if (c != 3) {
        oq_q8_elt_scalar.hwc_to_chw8(c, hw, x, y);
        return;
    }
    uint8_t mb[9][16];
    masks3(mb, false);
    __m128i m[9];
    for (int i = 0; i < 9; i++)
        m[i] = _mm_loadu_si128((const __m128i *)mb[i]);
    size_t p = 0;
    for (; p + 16 <= hw; p += 16) {
        __m128i in[3];
        for (int j = 0; j < 3; j++)
            in[j] = _mm_loadu_si128((const __m128i *)(x + 3 * p + 16 * j));
        for (int ch = 0; ch < 3; ch++) {
            __m128i o = _mm_or_si128(_mm_shuffle_epi8(in[0], m[ch]),
                                     _mm_shuffle_epi8(in[1], m[3 + ch]));
            o = _mm_or_si128(o, _mm_shuffle_epi8(in[2], m[6 + ch]));
            _mm_storeu_si128((__m128i *)(y + ch * hw + p), o);
        }
    }
    for (; p < hw; p++)
        for (size_t ch = 0; ch < 3; ch++)
            y[ch * hw + p] = x[3 * p + ch];
}

const oq_q8_elt_ukernels oq_q8_elt_avx2 = {
    OQ_ISA_AVX2, "avx2", oq_qu8_vadd_minmax_ukernel_x16__avx2,
    oq_qu8_vmul_minmax_ukernel_x16__avx2, oq_qu8_vrescale_minmax_ukernel_x16__avx2,
    oq_qu8_maxpool_ukernel_x32__avx2, oq_qu8_avgpool_minmax_ukernel_x16__avx2,
    oq_qu8_gavgpool_minmax_ukernel_x16__avx2, oq_f32_qu8_vcvt_ukernel_x16__avx2,
    oq_qu8_f32_vcvt_ukernel_x8__avx2, oq_x8_lut_ukernel_x32__avx2,
    oq_x8_chw2hwc_ukernel_16x16__avx2, oq_x8_hwc2chw_ukernel_16x16__avx2,
};
#else
typedef int oq_rt_empty_unit; /* ISO C: no empty file */
#endif
