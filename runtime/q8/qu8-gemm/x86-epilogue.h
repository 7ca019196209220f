/* x86-epilogue.h: shared AVX2 / AVX-512 requantize epilogues of the x86 GEMM micro-kernels,
 * written to match requant.h exactly: cvtdq2ps and cvtps2dq round to nearest even under the
 * default MXCSR (like the C cast and lrintf), maxps/minps clamp in the same operand order. Q31
 * goes through the scalar reference (integer-only mode is for FPU-less targets). */
#ifndef OQ_X86_EPILOGUE_H
#define OQ_X86_EPILOGUE_H
#include <immintrin.h>
#include <string.h>

#include "../q8.h"
#include "../requant.h"

/* Scalar fallback for one row segment of nn <= 32 accumulators. */
static inline void epi_scalar(const int32_t *acc, void *crow, size_t nn, size_t ch,
                              const oq_q8_requant *rq)
{
    for (size_t j = 0; j < nn; j++)
        oq_q8_store(rq, crow, j, ch + j, acc[j]);
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
        return;
    }
    int32_t acc[16];
    _mm256_storeu_si256((__m256i *)acc, x0);
    _mm256_storeu_si256((__m256i *)(acc + 8), x1);
    if (rq->mode == OQ_Q8_RQ_S32)
        memcpy(crow, acc, nn * 4);
    else
        epi_scalar(acc, crow, nn, ch, rq);
}
/* Requantizes 16 accumulators into nn <= 16 outputs at crow (element size 1, or 4 for S32). */
__attribute__((target("avx512f,avx512bw,avx512vl"))) static inline void
epi16_512(__m512i x, void *crow, size_t nn, size_t ch,
                                  const oq_q8_requant *rq, const float *sc)
{
    __mmask16 m = nn >= 16 ? (__mmask16)0xffff : (__mmask16)((1u << nn) - 1);
    if (rq->mode == OQ_Q8_RQ_FP32) {
        __m512 f = _mm512_mul_ps(_mm512_cvtepi32_ps(x), _mm512_loadu_ps(sc));
        f = _mm512_max_ps(f, _mm512_set1_ps((float)(rq->qmin - rq->out_zp)));
        f = _mm512_min_ps(f, _mm512_set1_ps((float)(rq->qmax - rq->out_zp)));
        __m512i i = _mm512_add_epi32(_mm512_cvtps_epi32(f), _mm512_set1_epi32(rq->out_zp));
        __m128i b = rq->out_dtype == OQ_Q8_S8 ? _mm512_cvtsepi32_epi8(i)
                                              : _mm512_cvtusepi32_epi8(i);
        _mm_mask_storeu_epi8(crow, m, b);
    } else if (rq->mode == OQ_Q8_RQ_S32) {
        _mm512_mask_storeu_epi32(crow, m, x);
    } else {
        int32_t acc[16];
        _mm512_storeu_si512(acc, x);
        epi_scalar(acc, crow, nn, ch, rq);
    }
}

#endif
