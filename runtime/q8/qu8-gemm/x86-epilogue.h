/* x86-epilogue.h: shared AVX2 / AVX-512 requantize epilogues of the x86 GEMM micro-kernels,
 * written to match requant.h exactly: cvtdq2ps and cvtps2dq round to nearest even under the
 * default MXCSR (like the C cast and lrintf), maxps/minps clamp in the same operand order; Q31
 * repeats the integer steps of oq_requantize_q31 with 64-bit products. */
#ifndef OQ_X86_EPILOGUE_H
#define OQ_X86_EPILOGUE_H
#include <immintrin.h>
#include <string.h>

#include "../q8.h"
#include "../requant.h"

/* Q31 parameters of nn <= 16 channels from ch as int32 lanes (padding: multiplier 0). */
static inline void q31_params16(const oq_q8_requant *rq, size_t ch, size_t nn, int32_t *m,
                                int32_t *sh)
{
    for (size_t j = 0; j < 16; j++) {
        size_t p = (ch + (j < nn ? j : 0)) * rq->channel_stride;
        m[j] = j < nn ? rq->multiplier[p] : 0;
        sh[j] = j < nn ? rq->shift[p] : 0;
    }
}

/* q31 requantization of 8 lanes (AVX2), the integer steps of oq_requantize_q31 in SIMD:
 * saturating left shift, rounding doubling high multiply (64-bit products of even/odd lanes,
 * nudge, truncating divide by 2^31), rounding divide by 2^right (ties away from zero), clamp,
 * + zp. Returns int32 lanes in [qmin, qmax]. */
__attribute__((target("avx2"))) static inline __m256i q31_avx2(__m256i x, __m256i m, __m256i sh,
                                                               const oq_q8_requant *rq)
{
    const __m256i zero = _mm256_setzero_si256();
    __m256i left = _mm256_max_epi32(sh, zero);
    __m256i right = _mm256_max_epi32(_mm256_sub_epi32(zero, sh), zero);
    /* saturating x << left */
    __m256i t = _mm256_sllv_epi32(x, left);
    __m256i fits = _mm256_cmpeq_epi32(_mm256_srav_epi32(t, left), x);
    __m256i sat = _mm256_xor_si256(_mm256_set1_epi32(INT32_MAX), _mm256_srai_epi32(x, 31));
    /* (no inverted mask here: GCC 12 drops the inversion of a blendv mask under AVX-512VL) */
    t = _mm256_blendv_epi8(sat, t, fits);
    /* srdhm(t, m): q = trunc((t*m + nudge) / 2^31), nudge = t*m >= 0 ? 2^30 : 1 - 2^30 */
    __m256i pe = _mm256_mul_epi32(t, m);
    __m256i po = _mm256_mul_epi32(_mm256_srli_epi64(t, 32), _mm256_srli_epi64(m, 32));
    const __m256i np = _mm256_set1_epi64x(1 << 30), nn = _mm256_set1_epi64x(1 - (1 << 30));
    const __m256i bias = _mm256_set1_epi64x((1ll << 31) - 1);
    __m256i ne = _mm256_cmpgt_epi64(zero, pe), no = _mm256_cmpgt_epi64(zero, po);
    pe = _mm256_add_epi64(pe, _mm256_blendv_epi8(np, nn, ne));
    po = _mm256_add_epi64(po, _mm256_blendv_epi8(np, nn, no));
    ne = _mm256_cmpgt_epi64(zero, pe), no = _mm256_cmpgt_epi64(zero, po);
    pe = _mm256_srli_epi64(_mm256_add_epi64(pe, _mm256_and_si256(ne, bias)), 31);
    po = _mm256_srli_epi64(_mm256_add_epi64(po, _mm256_and_si256(no, bias)), 31);
    __m256i q = _mm256_blend_epi32(pe, _mm256_slli_epi64(po, 32), 0xAA);
    /* rdbpot(q, right) */
    __m256i mask = _mm256_sub_epi32(_mm256_sllv_epi32(_mm256_set1_epi32(1), right),
                                    _mm256_set1_epi32(1));
    __m256i rem = _mm256_and_si256(q, mask);
    __m256i thr = _mm256_sub_epi32(_mm256_srli_epi32(mask, 1), _mm256_srai_epi32(q, 31));
    __m256i r = _mm256_sub_epi32(_mm256_srav_epi32(q, right), _mm256_cmpgt_epi32(rem, thr));
    /* clamp before adding zp (r may be near INT32_MAX; the scalar code adds in int64) */
    r = _mm256_max_epi32(r, _mm256_set1_epi32(rq->qmin - rq->out_zp));
    r = _mm256_min_epi32(r, _mm256_set1_epi32(rq->qmax - rq->out_zp));
    return _mm256_add_epi32(r, _mm256_set1_epi32(rq->out_zp));
}

/* Packs 16 requantized int32 lanes (i0: columns 0-7, i1: 8-15, already in range) to bytes and
 * stores nn <= 16 of them. */
__attribute__((target("avx2"))) static inline void store16_avx2(__m256i i0, __m256i i1, void *crow,
                                                                size_t nn, const oq_q8_requant *rq)
{
    __m128i w0 = _mm_packs_epi32(_mm256_castsi256_si128(i0), _mm256_extracti128_si256(i0, 1));
    __m128i w1 = _mm_packs_epi32(_mm256_castsi256_si128(i1), _mm256_extracti128_si256(i1, 1));
    __m128i b = rq->out_dtype == OQ_Q8_S8 ? _mm_packs_epi16(w0, w1) : _mm_packus_epi16(w0, w1);
    if (nn == 16) {
        _mm_storeu_si128((__m128i *)crow, b);
    } else {
        uint8_t tmp[16];
        _mm_storeu_si128((__m128i *)tmp, b);
        memcpy(crow, tmp, nn);
    }
}

/* Requantizes 16 accumulators (x0: columns 0-7, x1: 8-15) into nn <= 16 outputs at crow. */
__attribute__((target("avx2"))) static inline void epi16_avx2(__m256i x0, __m256i x1, void *crow,
                                                              size_t nn, size_t ch,
                                                              const oq_q8_requant *rq,
                                                              const float *sc)
{
    if (rq->mode == OQ_Q8_RQ_FP32) {
        __m256 lo = _mm256_set1_ps((float)(rq->qmin - rq->out_zp));
        __m256 hi = _mm256_set1_ps((float)(rq->qmax - rq->out_zp));
        __m256i zp = _mm256_set1_epi32(rq->out_zp);
        __m256 f0 = _mm256_mul_ps(_mm256_cvtepi32_ps(x0), _mm256_loadu_ps(sc));
        __m256 f1 = _mm256_mul_ps(_mm256_cvtepi32_ps(x1), _mm256_loadu_ps(sc + 8));
        f0 = _mm256_min_ps(_mm256_max_ps(f0, lo), hi);
        f1 = _mm256_min_ps(_mm256_max_ps(f1, lo), hi);
        __m256i i0 = _mm256_add_epi32(_mm256_cvtps_epi32(f0), zp);
        __m256i i1 = _mm256_add_epi32(_mm256_cvtps_epi32(f1), zp);
        store16_avx2(i0, i1, crow, nn, rq);
        return;
    }
    if (rq->mode == OQ_Q8_RQ_Q31) {
        int32_t m[16], sh[16];
        q31_params16(rq, ch, nn, m, sh);
        __m256i i0 = q31_avx2(x0, _mm256_loadu_si256((const __m256i *)m),
                              _mm256_loadu_si256((const __m256i *)sh), rq);
        __m256i i1 = q31_avx2(x1, _mm256_loadu_si256((const __m256i *)(m + 8)),
                              _mm256_loadu_si256((const __m256i *)(sh + 8)), rq);
        store16_avx2(i0, i1, crow, nn, rq);
        return;
    }
    int32_t acc[16];
    _mm256_storeu_si256((__m256i *)acc, x0);
    _mm256_storeu_si256((__m256i *)(acc + 8), x1);
    memcpy(crow, acc, nn * 4);
}
#if OQ_WITH_AVX512VNNI /* the AVX-512 helpers, for the kernels of that level and AMX */
/* Requantizes 16 accumulators into nn <= 16 outputs at crow (element size 1, or 4 for S32). */
__attribute__((target("avx512f,avx512bw,avx512vl"))) static inline void
epi16_512(__m512i x, void *crow, size_t nn, size_t ch,
                                  const oq_q8_requant *rq, const float *sc)
{
    __mmask16 m = nn >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << nn) - 1);
    if (rq->mode != OQ_Q8_RQ_S32) {
        __m512i i;
        if (rq->mode == OQ_Q8_RQ_FP32) {
            __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(x), _mm512_loadu_ps(sc));
            f = _mm512_max_ps(f, _mm512_set1_ps((float)(rq->qmin - rq->out_zp)));
            f = _mm512_min_ps(f, _mm512_set1_ps((float)(rq->qmax - rq->out_zp)));
            i = _mm512_add_epi32(_mm512_cvtps_epi32(f), _mm512_set1_epi32(rq->out_zp));
        } else { /* Q31: two AVX2 halves */
            int32_t mu[16], sh[16];
            q31_params16(rq, ch, nn, mu, sh);
            __m256i i0 = q31_avx2(_mm512_castsi512_si256(x), _mm256_loadu_si256((const __m256i *)mu),
                                  _mm256_loadu_si256((const __m256i *)sh), rq);
            __m256i i1 = q31_avx2(_mm512_extracti64x4_epi64(x, 1),
                                  _mm256_loadu_si256((const __m256i *)(mu + 8)),
                                  _mm256_loadu_si256((const __m256i *)(sh + 8)), rq);
            i = _mm512_inserti64x4(_mm512_castsi256_si512(i0), i1, 1);
        }
        __m128i b = rq->out_dtype == OQ_Q8_S8 ? _mm512_cvtsepi32_epi8(i)
                                              : _mm512_cvtusepi32_epi8(i);
        _mm_mask_storeu_epi8(crow, m, b);
    } else {
        _mm512_mask_storeu_epi32(crow, m, x);
    }
}

/* fp32 requantization of 16 lanes with the constants hoisted by the caller (lo/hi: the clamp
 * bounds minus zp as floats, zp: output zero point), narrowed to 16 bytes (s8 or u8: lanes are
 * already in range, so the saturating narrow is exact). Same operation order as requant.h. */
__attribute__((target("avx512f,avx512bw,avx512vl"), always_inline)) static inline __m128i
rq16_fp32_512(__m512i x, __m512 sc, __m512 lo, __m512 hi, __m512i zp, bool s8)
{
    __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(x), sc);
    f = _mm512_min_ps(_mm512_max_ps(f, lo), hi);
    __m512i i = _mm512_add_epi32(_mm512_cvtps_epi32(f), zp);
    return s8 ? _mm512_cvtsepi32_epi8(i) : _mm512_cvtusepi32_epi8(i);
}

/* 16 fp32 scales of channels ch.. (nn <= 16 valid; others 0 or the per-tensor scale). */
__attribute__((target("avx512f,avx512bw,avx512vl"), always_inline)) static inline __m512
scales16_512(const oq_q8_requant *rq, size_t ch, size_t nn)
{
    if (rq->channel_stride == 0)
        return _mm512_set1_ps(rq->scale[0]);
    __mmask16 m = nn >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << nn) - 1);
    return _mm512_maskz_loadu_ps(m, rq->scale + ch);
}
#endif

/* fp32 requantization of 8 lanes with hoisted constants (AVX2), as int32 lanes in range. */
__attribute__((target("avx2"), always_inline)) static inline __m256i
rq8_fp32_avx2(__m256i x, __m256 sc, __m256 lo, __m256 hi, __m256i zp)
{
    __m256 f = _mm256_mul_ps(_mm256_cvtepi32_ps(x), sc);
    f = _mm256_min_ps(_mm256_max_ps(f, lo), hi);
    return _mm256_add_epi32(_mm256_cvtps_epi32(f), zp);
}

/* Narrows 16 in-range int32 lanes (i0: 0-7, i1: 8-15) to 16 bytes (s8 or u8). */
__attribute__((target("avx2"), always_inline)) static inline __m128i pack16_avx2(__m256i i0,
                                                                                __m256i i1,
                                                                                bool s8)
{
    __m128i w0 = _mm_packs_epi32(_mm256_castsi256_si128(i0), _mm256_extracti128_si256(i0, 1));
    __m128i w1 = _mm_packs_epi32(_mm256_castsi256_si128(i1), _mm256_extracti128_si256(i1, 1));
    return s8 ? _mm_packs_epi16(w0, w1) : _mm_packus_epi16(w0, w1);
}

/* Stores the first nn <= 16 bytes of b at p (no access past p + nn). */
__attribute__((target("avx2"), always_inline)) static inline void store_n16(void *p, __m128i b,
                                                                           size_t nn)
{
    if (nn == 16) {
        _mm_storeu_si128((__m128i *)p, b);
    } else {
        uint8_t tmp[16];
        _mm_storeu_si128((__m128i *)tmp, b);
        memcpy(p, tmp, nn);
    }
}

#endif
