/* qu8-eltwise/avx512.c: AVX-512 (F/BW/VL) element-wise kernels, bit-identical to the scalar
 * references: Add in double (8 lanes; each product is exact, so fmadd rounds the exact sum once,
 * like the scalar sum of two exact products), Mul/rescale/Quantize in float, vcvtpd2dq/vcvtps2dq
 * round half to even under the default MXCSR like nearbyint/lrintf; min/max operand order as
 * the scalar ternaries (NaN -> the bound). Tails use masked loads/stores, so no scalar loop. */
#include "../../target.h"
#if defined(__x86_64__) && OQ_WITH_AVX512 /* x86-64, avx512 kernels built; else an empty unit */
#include <immintrin.h>
#include <math.h>
#include <stdbool.h>

#include "qu8-eltwise.h"

#define T512 __attribute__((target("avx512f,avx512bw,avx512vl,avx2,fma")))

/* 16 bytes (masked on the tail) widened to int32; full loads fold into vpmovzxbd/vpmovsxbd. */
T512 static inline __m512i ld16(const void *p, __mmask16 m, int s8)
{
    __m128i b = m == 0xffff ? _mm_loadu_si128((const __m128i *)p) : _mm_maskz_loadu_epi8(m, p);
    return s8 ? _mm512_cvtepi8_epi32(b) : _mm512_cvtepu8_epi32(b);
}

/* Stores the low bytes of 16 int32 lanes (values already in the dtype range). */
T512 static inline void st16(void *p, __mmask16 m, __m512i v)
{
    if (m == 0xffff)
        _mm_storeu_si128((__m128i *)p, _mm512_cvtepi32_epi8(v));
    else
        _mm_mask_storeu_epi8(p, m, _mm512_cvtepi32_epi8(v));
}

/* Prefetch of a stream 1 KiB ahead, once per 64 bytes at offset i (activations written by an
 * earlier layer or the caller's float input are often out of L2; measured in the models). */
T512 static inline void ahead(const void *p, size_t i)
{
    if (!(i & 63))
        _mm_prefetch((const char *)((uintptr_t)p + i + 1024), _MM_HINT_T0); /* may pass the end */
}

T512 static inline __mmask16 tail16(size_t n)
{
    return n >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << n) - 1);
}

/* clamp(d) -> round half even -> int32, for two halves of 16 lanes. */
T512 static inline __m512i round2(__m512d d0, __m512d d1, __m512d lo, __m512d hi)
{
    d0 = _mm512_min_pd(_mm512_max_pd(d0, lo), hi);
    d1 = _mm512_min_pd(_mm512_max_pd(d1, lo), hi);
    return _mm512_inserti64x4(_mm512_castsi256_si512(_mm512_cvtpd_epi32(d0)),
                              _mm512_cvtpd_epi32(d1), 1);
}

T512 static inline __m512d lo_pd(__m512i v)
{
    return _mm512_cvtepi32_pd(_mm512_castsi512_si256(v));
}

T512 static inline __m512d hi_pd(__m512i v)
{
    return _mm512_cvtepi32_pd(_mm512_extracti64x4_epi64(v, 1));
}

T512 static inline __attribute__((always_inline)) void
add_dt(size_t n, const void *a, const void *b, size_t bs, void *y, const oq_q8_binary *p, int s8)
{
    const __m512i za = _mm512_set1_epi32(p->a_zp), zb = _mm512_set1_epi32(p->b_zp);
    const __m512i zy = _mm512_set1_epi32(p->y_zp);
    const __m512d ra = _mm512_set1_pd(p->a_mul), rb = _mm512_set1_pd(p->b_mul);
    const __m512d lo = _mm512_set1_pd(p->qmin - p->y_zp), hi = _mm512_set1_pd(p->qmax - p->y_zp);
    const uint8_t *pa = a, *pb = b;
    uint8_t *py = y;
    /* b broadcast: its exact product is a constant */
    const int32_t b0 = s8 ? (int32_t)(int8_t)pb[0] : (int32_t)pb[0];
    const __m512d cb = _mm512_set1_pd((double)(b0 - p->b_zp) * (double)p->b_mul);
    for (size_t i = 0; i < n; i += 16) {
        const __mmask16 m = tail16(n - i);
        ahead(pa, i), ahead(pb, i * bs);
        __m512i xa = _mm512_sub_epi32(ld16(pa + i, m, s8), za);
        __m512d e0, e1;
        if (bs) {
            __m512i xb = _mm512_sub_epi32(ld16(pb + i, m, s8), zb);
            e0 = _mm512_mul_pd(lo_pd(xb), rb), e1 = _mm512_mul_pd(hi_pd(xb), rb);
        } else {
            e0 = e1 = cb;
        }
        __m512d d0 = _mm512_fmadd_pd(lo_pd(xa), ra, e0);
        __m512d d1 = _mm512_fmadd_pd(hi_pd(xa), ra, e1);
        st16(py + i, m, _mm512_add_epi32(round2(d0, d1, lo, hi), zy));
    }
}

/* 8 bytes (full, or the masked tail) as exact doubles x - z: sign- or zero-extended to int64 and
 * added to the bits of 1.5*2^52 (the sum stays in that binade, so the double is 1.5*2^52 + x),
 * then cz = 1.5*2^52 + z is subtracted (exact). Full loads fold into vpmovzxbq/vpmovsxbq. */
T512 static inline __m512d ld8_pd(const uint8_t *p, __mmask8 m, bool full, int s8, __m512d cz)
{
    __m128i b = full ? _mm_loadl_epi64((const __m128i *)p) : _mm_maskz_loadu_epi8((__mmask16)m, p);
    __m512i q = s8 ? _mm512_cvtepi8_epi64(b) : _mm512_cvtepu8_epi64(b);
    q = _mm512_add_epi64(q, _mm512_set1_epi64(0x4338000000000000));
    return _mm512_sub_pd(_mm512_castsi512_pd(q), cz);
}

/* 8 results of the Add fast path: d + 1.5*2^52 rounds d to an integer in the current mode (as
 * nearbyint; 1.5*2^52 is even, so ties keep their parity) and leaves it in the low mantissa
 * bits; zy is added and the clamp applied on those int64 lanes (clamping after rounding equals
 * rounding after clamping for integer bounds). */
T512 static inline __m512i add8(__m512d xa, __m512d e, __m512d ra, __m512i zy, __m512i lo,
                                __m512i hi)
{
    __m512d d = _mm512_fmadd_pd(xa, ra, e);
    __m512i k = _mm512_add_epi64(_mm512_castpd_si512(_mm512_add_pd(d, _mm512_set1_pd(0x1.8p52))),
                                 zy);
    return _mm512_min_epi64(_mm512_max_epi64(k, lo), hi);
}

/* Add without conversion instructions, for |result| < 2^50 (see add8). */
T512 static inline __attribute__((always_inline)) void
add_dt_fast(size_t n, const void *a, const void *b, size_t bs, void *y, const oq_q8_binary *p,
            int s8)
{
    const __m512d ca = _mm512_set1_pd(0x1.8p52 + (double)p->a_zp);
    const __m512d cb = _mm512_set1_pd(0x1.8p52 + (double)p->b_zp);
    const __m512d ra = _mm512_set1_pd(p->a_mul), rb = _mm512_set1_pd(p->b_mul);
    const __m512i zy = _mm512_set1_epi64((int64_t)p->y_zp - (int64_t)0x4338000000000000);
    const __m512i lo = _mm512_set1_epi64(p->qmin), hi = _mm512_set1_epi64(p->qmax);
    const uint8_t *pa = a, *pb = b;
    uint8_t *py = y;
    const int32_t b0 = s8 ? (int32_t)(int8_t)pb[0] : (int32_t)pb[0];
    const __m512d eb = _mm512_set1_pd((double)(b0 - p->b_zp) * (double)p->b_mul);
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        ahead(pa, i), ahead(pb, i * bs);
        __m512d e0 = eb, e1 = eb;
        if (bs) {
            e0 = _mm512_mul_pd(ld8_pd(pb + i, 0, true, s8, cb), rb);
            e1 = _mm512_mul_pd(ld8_pd(pb + i + 8, 0, true, s8, cb), rb);
        }
        __m512i k0 = add8(ld8_pd(pa + i, 0, true, s8, ca), e0, ra, zy, lo, hi);
        __m512i k1 = add8(ld8_pd(pa + i + 8, 0, true, s8, ca), e1, ra, zy, lo, hi);
        _mm_storel_epi64((__m128i *)(py + i), _mm512_cvtepi64_epi8(k0));
        _mm_storel_epi64((__m128i *)(py + i + 8), _mm512_cvtepi64_epi8(k1));
    }
    for (; i < n; i += 8) {
        const __mmask8 m = n - i >= 8 ? (__mmask8)0xff : (__mmask8)((1u << (n - i)) - 1);
        __m512d e = bs ? _mm512_mul_pd(ld8_pd(pb + i, m, false, s8, cb), rb) : eb;
        __m512i k = add8(ld8_pd(pa + i, m, false, s8, ca), e, ra, zy, lo, hi);
        _mm512_mask_cvtepi64_storeu_epi8(py + i, m, k);
    }
}

T512 static void oq_qu8_vadd_minmax_ukernel_x16__avx512(size_t n, const void *a, const void *b,
                                                        size_t bs, void *y, const oq_q8_binary *p)
{
    /* |(x - z) * r| <= 255 * r for both terms: the fast path needs |sum| < 2^50 */
    double bound = 255.0 * ((double)fabsf(p->a_mul) + (double)fabsf(p->b_mul));
    if (bound < 0x1p50) {
        if (p->dt == OQ_Q8_S8)
            add_dt_fast(n, a, b, bs, y, p, 1);
        else
            add_dt_fast(n, a, b, bs, y, p, 0);
        return;
    }
    if (p->dt == OQ_Q8_S8)
        add_dt(n, a, b, bs, y, p, 1);
    else
        add_dt(n, a, b, bs, y, p, 0);
}

/* clamp(f) -> round half even -> int32 + zp. */
T512 static inline __m512i round_ps(__m512 f, __m512 lo, __m512 hi, __m512i zp)
{
    f = _mm512_min_ps(_mm512_max_ps(f, lo), hi);
    return _mm512_add_epi32(_mm512_cvtps_epi32(f), zp);
}

T512 static inline __attribute__((always_inline)) void
mul_dt(size_t n, const void *a, const void *b, size_t bs, void *y, const oq_q8_binary *p, int s8)
{
    const __m512i za = _mm512_set1_epi32(p->a_zp), zy = _mm512_set1_epi32(p->y_zp);
    const __m512 r = _mm512_set1_ps(p->a_mul);
    const __m512 lo = _mm512_set1_ps((float)(p->qmin - p->y_zp));
    const __m512 hi = _mm512_set1_ps((float)(p->qmax - p->y_zp));
    const uint8_t *pa = a, *pb = b;
    uint8_t *py = y;
    const int32_t b0 = s8 ? (int32_t)(int8_t)pb[0] : (int32_t)pb[0];
    const __m512i cb = _mm512_set1_epi32(b0 - p->b_zp), zb = _mm512_set1_epi32(p->b_zp);
    for (size_t i = 0; i < n; i += 16) {
        const __mmask16 m = tail16(n - i);
        ahead(pa, i), ahead(pb, i * bs);
        __m512i xa = _mm512_sub_epi32(ld16(pa + i, m, s8), za);
        __m512i xb = bs ? _mm512_sub_epi32(ld16(pb + i, m, s8), zb) : cb;
        __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_mullo_epi32(xa, xb)), r);
        st16(py + i, m, round_ps(f, lo, hi, zy));
    }
}

T512 static void oq_qu8_vmul_minmax_ukernel_x16__avx512(size_t n, const void *a, const void *b,
                                                        size_t bs, void *y, const oq_q8_binary *p)
{
    if (p->dt == OQ_Q8_S8)
        mul_dt(n, a, b, bs, y, p, 1);
    else
        mul_dt(n, a, b, bs, y, p, 0);
}

T512 static inline __attribute__((always_inline)) void
rescale_dt(size_t n, const void *x, void *y, const oq_q8_rescale_params *p, int s8)
{
    const __m512i zx = _mm512_set1_epi32(p->zx), zy = _mm512_set1_epi32(p->zy);
    const __m512 r = _mm512_set1_ps(p->r);
    const __m512 lo = _mm512_set1_ps((float)(p->lo - p->zy));
    const __m512 hi = _mm512_set1_ps((float)(p->hi - p->zy));
    const uint8_t *px = x;
    uint8_t *py = y;
    for (size_t i = 0; i < n; i += 16) {
        const __mmask16 m = tail16(n - i);
        ahead(px, i);
        __m512i v = _mm512_sub_epi32(ld16(px + i, m, s8), zx);
        st16(py + i, m, round_ps(_mm512_mul_ps(_mm512_cvtepi32_ps(v), r), lo, hi, zy));
    }
}

T512 static void oq_qu8_vrescale_minmax_ukernel_x16__avx512(size_t n, const void *x, void *y,
                                                            const oq_q8_rescale_params *p)
{
    if (p->dt == OQ_Q8_S8)
        rescale_dt(n, x, y, p, 1);
    else
        rescale_dt(n, x, y, p, 0);
}

T512 static void oq_qu8_maxpool_ukernel_x64__avx512(size_t c, size_t pixels, size_t taps,
                                                    const uint8_t *const *in, size_t step, void *y,
                                                    oq_q8_dtype dt)
{
    uint8_t *o = y;
    for (size_t p = 0; p < pixels; p++, o += c) {
        const size_t off = p * step;
        size_t ch = 0;
        for (; ch + 64 <= c; ch += 64) { /* full vectors: plain loads */
            __m512i v = _mm512_loadu_si512(in[0] + off + ch);
            if (dt == OQ_Q8_S8)
                for (size_t t = 1; t < taps; t++)
                    v = _mm512_max_epi8(v, _mm512_loadu_si512(in[t] + off + ch));
            else
                for (size_t t = 1; t < taps; t++)
                    v = _mm512_max_epu8(v, _mm512_loadu_si512(in[t] + off + ch));
            _mm512_storeu_si512(o + ch, v);
        }
        for (; ch < c; ch += 64) {
            const __mmask64 m = (((__mmask64)1 << (c - ch)) - 1);
            __m512i v = _mm512_maskz_loadu_epi8(m, in[0] + off + ch);
            if (dt == OQ_Q8_S8)
                for (size_t t = 1; t < taps; t++)
                    v = _mm512_max_epi8(v, _mm512_maskz_loadu_epi8(m, in[t] + off + ch));
            else
                for (size_t t = 1; t < taps; t++)
                    v = _mm512_max_epu8(v, _mm512_maskz_loadu_epi8(m, in[t] + off + ch));
            _mm512_mask_storeu_epi8(o + ch, m, v);
        }
    }
}

/* round_sat((double)(sum + bias) * r / cnt) for 16 int32 sums. */
T512 static inline __m512i avg16(__m512i sum, const oq_q8_avg_params *p)
{
    const __m512d r = _mm512_set1_pd(p->r), cnt = _mm512_set1_pd(p->cnt);
    const __m512d lo = _mm512_set1_pd(p->lo - p->zy), hi = _mm512_set1_pd(p->hi - p->zy);
    sum = _mm512_add_epi32(sum, _mm512_set1_epi32(p->bias));
    __m512d d0 = _mm512_div_pd(_mm512_mul_pd(lo_pd(sum), r), cnt);
    __m512d d1 = _mm512_div_pd(_mm512_mul_pd(hi_pd(sum), r), cnt);
    return _mm512_add_epi32(round2(d0, d1, lo, hi), _mm512_set1_epi32(p->zy));
}

/* One pixel (its taps at in[t] + off). */
T512 static inline void avgpool1(size_t c, size_t taps, const uint8_t *const *in, size_t off,
                                 void *y, const oq_q8_avg_params *p)
{
    const int s8 = p->dt == OQ_Q8_S8;
    uint8_t *o = y;
    for (size_t ch = 0; ch < c; ch += 16) {
        const __mmask16 m = tail16(c - ch);
        __m512i sum = _mm512_setzero_si512();
        for (size_t t = 0; t < taps; t++)
            sum = _mm512_add_epi32(sum, ld16(in[t] + off + ch, m, s8));
        st16(o + ch, m, avg16(sum, p));
    }
}

T512 static void oq_qu8_avgpool_minmax_ukernel_x16__avx512(size_t c, size_t pixels, size_t taps,
                                                           const uint8_t *const *in, size_t step,
                                                           void *y, const oq_q8_avg_params *p)
{
    for (size_t px = 0; px < pixels; px++)
        avgpool1(c, taps, in, px * step, (uint8_t *)y + px * c, p);
}


T512 static void oq_qu8_gavgpool_minmax_ukernel_x64__avx512(size_t rows, size_t c, const void *x,
                                                            void *y, const oq_q8_avg_params *p)
{
    const int s8 = p->dt == OQ_Q8_S8;
    const uint8_t *px = x;
    uint8_t *o = y;
    size_t ch = 0;
    for (; ch + 64 <= c; ch += 64) { /* four accumulators, one full-width load per row */
        __m512i s0 = _mm512_setzero_si512(), s1 = s0, s2 = s0, s3 = s0;
        for (size_t r = 0; r < rows; r++) {
            __m512i v = _mm512_loadu_si512(px + r * c + ch);
            __m128i q0 = _mm512_castsi512_si128(v), q1 = _mm512_extracti32x4_epi32(v, 1);
            __m128i q2 = _mm512_extracti32x4_epi32(v, 2), q3 = _mm512_extracti32x4_epi32(v, 3);
            s0 = _mm512_add_epi32(s0, s8 ? _mm512_cvtepi8_epi32(q0) : _mm512_cvtepu8_epi32(q0));
            s1 = _mm512_add_epi32(s1, s8 ? _mm512_cvtepi8_epi32(q1) : _mm512_cvtepu8_epi32(q1));
            s2 = _mm512_add_epi32(s2, s8 ? _mm512_cvtepi8_epi32(q2) : _mm512_cvtepu8_epi32(q2));
            s3 = _mm512_add_epi32(s3, s8 ? _mm512_cvtepi8_epi32(q3) : _mm512_cvtepu8_epi32(q3));
        }
        st16(o + ch, 0xffff, avg16(s0, p));
        st16(o + ch + 16, 0xffff, avg16(s1, p));
        st16(o + ch + 32, 0xffff, avg16(s2, p));
        st16(o + ch + 48, 0xffff, avg16(s3, p));
    }
    for (; ch < c; ch += 16) {
        const __mmask16 m = tail16(c - ch);
        __m512i sum = _mm512_setzero_si512();
        for (size_t r = 0; r < rows; r++)
            sum = _mm512_add_epi32(sum, ld16(px + r * c + ch, m, s8));
        st16(o + ch, m, avg16(sum, p));
    }
}

T512 static void oq_f32_qu8_vcvt_ukernel_x16__avx512(size_t n, const float *x, float scale,
                                                     int32_t zp, oq_q8_dtype dt, void *q)
{
    const int32_t qmin = dt == OQ_Q8_S8 ? -128 : 0, qmax = dt == OQ_Q8_S8 ? 127 : 255;
    const __m512 s = _mm512_set1_ps(scale);
    const __m512 lo = _mm512_set1_ps((float)(qmin - zp)), hi = _mm512_set1_ps((float)(qmax - zp));
    const __m512i z = _mm512_set1_epi32(zp);
    uint8_t *o = q;
    for (size_t i = 0; i < n; i += 16) {
        const __mmask16 m = tail16(n - i);
        ahead(x, 4 * i);
        __m512 f = _mm512_div_ps(_mm512_maskz_loadu_ps(m, x + i), s);
        st16(o + i, m, round_ps(f, lo, hi, z));
    }
}

T512 static void oq_qu8_f32_vcvt_ukernel_x16__avx512(size_t n, const void *q, oq_q8_dtype dt,
                                                     float scale, int32_t zp, float *x)
{
    const int s8 = dt == OQ_Q8_S8;
    const __m512 s = _mm512_set1_ps(scale);
    const __m512i z = _mm512_set1_epi32(zp);
    const uint8_t *in = q;
    for (size_t i = 0; i < n; i += 16) {
        const __mmask16 m = tail16(n - i);
        __m512i v = _mm512_sub_epi32(ld16(in + i, m, s8), z);
        _mm512_mask_storeu_ps(x + i, m, _mm512_mul_ps(_mm512_cvtepi32_ps(v), s));
    }
}

/* 256-entry table: 16 rows of 16 bytes, each broadcast; a byte picks its row by its high
 * nibble (compare mask) and its entry by the low nibble (vpshufb). */
T512 static void oq_x8_lut_ukernel_x64__avx512(size_t n, const uint8_t *x, const uint8_t table[256],
                                               uint8_t *y)
{
    __m512i rows[16];
    for (int h = 0; h < 16; h++)
        rows[h] = _mm512_broadcast_i32x4(_mm_loadu_si128((const __m128i *)(table + 16 * h)));
    const __m512i nib = _mm512_set1_epi8(0x0f);
    for (size_t i = 0; i < n; i += 64) {
        const __mmask64 m = n - i >= 64 ? ~(__mmask64)0 : (((__mmask64)1 << (n - i)) - 1);
        __m512i v = _mm512_maskz_loadu_epi8(m, x + i);
        __m512i lo = _mm512_and_si512(v, nib);
        __m512i hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), nib);
        __m512i r = _mm512_shuffle_epi8(rows[0], lo);
        for (int h = 1; h < 16; h++) {
            __mmask64 k = _mm512_cmpeq_epi8_mask(hi, _mm512_set1_epi8((char)h));
            r = _mm512_mask_shuffle_epi8(r, k, rows[h], lo);
        }
        _mm512_mask_storeu_epi8(y + i, m, r);
    }
}

/* Transposes: the AVX2 table's (vpshufb interleave for 3 channels, 16x16 blocks for 16+). */
static void oq_x8_chw2hwc_ukernel_16x16__avx512(size_t c, size_t hw, const uint8_t *x, uint8_t *y)
{
    oq_q8_elt_avx2.chw_to_hwc8(c, hw, x, y);
}

static void oq_x8_hwc2chw_ukernel_16x16__avx512(size_t c, size_t hw, const uint8_t *x, uint8_t *y)
{
    oq_q8_elt_avx2.hwc_to_chw8(c, hw, x, y);
}

const oq_q8_elt_ukernels oq_q8_elt_avx512 = {
    OQ_ISA_AVX512, "avx512", oq_qu8_vadd_minmax_ukernel_x16__avx512,
    oq_qu8_vmul_minmax_ukernel_x16__avx512, oq_qu8_vrescale_minmax_ukernel_x16__avx512,
    oq_qu8_maxpool_ukernel_x64__avx512, oq_qu8_avgpool_minmax_ukernel_x16__avx512,
    oq_qu8_gavgpool_minmax_ukernel_x64__avx512, oq_f32_qu8_vcvt_ukernel_x16__avx512,
    oq_qu8_f32_vcvt_ukernel_x16__avx512, oq_x8_lut_ukernel_x64__avx512,
    oq_x8_chw2hwc_ukernel_16x16__avx512, oq_x8_hwc2chw_ukernel_16x16__avx512,
};
#else
typedef int oq_rt_empty_unit; /* ISO C: no empty file */
#endif
