/* qu8-dwconv/avx2.c: AVX2 depthwise micro-kernels, 16 channels per step, two taps per
 * multiply: the u8 inputs of taps 2p and 2p+1 are interleaved (vpunpck[lh]bw) and zero-extended to
 * int16 pairs, then vpmaddwd with the packed int16 weight pairs gives x0*w0 + x1*w1 per channel,
 * exact. Channel tails run the scalar formula. The 3x3 and 5x5 entries are the same body with a
 * constant tap count (unrolled by the compiler). */
#include "../qu8-gemm/x86-epilogue.h"
#include "qu8-dwconv.h"

#define TAVX2 __attribute__((target("avx2,fma")))

TAVX2 static inline __attribute__((always_inline)) void
dw(size_t channels, size_t taps, const uint8_t *const *in, const void *packed, void *out,
   const oq_q8_requant *rq)
{
    assert(channels >= 1 && taps >= 1);
    const size_t cp = (channels + 15) / 16 * 16, es = rq->mode == OQ_Q8_RQ_S32 ? 4 : 1;
    const uint8_t *pb = packed, *w = pb + cp * 4;
    size_t c = 0;
    for (; c + 16 <= channels; c += 16) {
        __m256i a0 = _mm256_loadu_si256((const __m256i *)(pb + 4 * c));
        __m256i a1 = _mm256_loadu_si256((const __m256i *)(pb + 4 * c + 32));
#pragma GCC unroll 13
        for (size_t t = 0; t < taps; t += 2) {
            __m128i x0 = _mm_loadu_si128((const __m128i *)(in[t] + c));
            __m128i x1 = _mm_loadu_si128((const __m128i *)(in[t + 1 < taps ? t + 1 : t] + c));
            const uint8_t *wp = w + ((t / 2) * cp + c) * 4;
            __m256i lo = _mm256_cvtepu8_epi16(_mm_unpacklo_epi8(x0, x1));
            __m256i hi = _mm256_cvtepu8_epi16(_mm_unpackhi_epi8(x0, x1));
            __m256i w0 = _mm256_loadu_si256((const __m256i *)wp);
            __m256i w1 = _mm256_loadu_si256((const __m256i *)(wp + 32));
            a0 = _mm256_add_epi32(a0, _mm256_madd_epi16(lo, w0));
            a1 = _mm256_add_epi32(a1, _mm256_madd_epi16(hi, w1));
        }
        float tmp[16];
        const float *sc = rq->mode == OQ_Q8_RQ_FP32 ? oq_q8_scales16(rq, c, 16, tmp) : tmp;
        epi16_avx2(a0, a1, (uint8_t *)out + c * es, 16, c, rq, sc);
    }
    const int16_t *w16 = (const int16_t *)w;
    for (; c < channels; c++) {
        int32_t acc;
        memcpy(&acc, pb + 4 * c, 4);
        for (size_t t = 0; t < taps; t++)
            acc += (int32_t)in[t][c] * w16[((t / 2) * cp + c) * 2 + t % 2];
        oq_q8_store(rq, out, c, c, acc);
    }
}

TAVX2 void oq_qu8_dwconv_minmax_ukernel_up16xN__avx2(size_t channels, size_t pixels, size_t taps,
                                                     const uint8_t *const *in, const void *packed,
                                                     void *out, const oq_q8_requant *rq)
{
    const size_t es = rq->mode == OQ_Q8_RQ_S32 ? 4 : 1;
    for (size_t px = 0; px < pixels; px++)
        dw(channels, taps, in + px * taps, packed, (uint8_t *)out + px * channels * es, rq);
}

TAVX2 void oq_qu8_dwconv_minmax_ukernel_up16x9__avx2(size_t channels, size_t pixels, size_t taps,
                                                     const uint8_t *const *in, const void *packed,
                                                     void *out, const oq_q8_requant *rq)
{
    assert(taps == 9);
    const size_t es = rq->mode == OQ_Q8_RQ_S32 ? 4 : 1;
    for (size_t px = 0; px < pixels; px++)
        dw(channels, 9, in + px * taps, packed, (uint8_t *)out + px * channels * es, rq);
}

TAVX2 void oq_qu8_dwconv_minmax_ukernel_up16x25__avx2(size_t channels, size_t pixels, size_t taps,
                                                      const uint8_t *const *in, const void *packed,
                                                      void *out, const oq_q8_requant *rq)
{
    assert(taps == 25);
    const size_t es = rq->mode == OQ_Q8_RQ_S32 ? 4 : 1;
    for (size_t px = 0; px < pixels; px++)
        dw(channels, 25, in + px * taps, packed, (uint8_t *)out + px * channels * es, rq);
}
