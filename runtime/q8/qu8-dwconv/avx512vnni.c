/* qu8-dwconv/avx512vnni.c: AVX-512 VNNI depthwise micro-kernels, 16 channels per zmm, two taps
 * per vpdpwssd: the u8 inputs of taps 2p and 2p+1 are interleaved and zero-extended to int16
 * pairs, multiplied by the packed int16 weight pairs and accumulated in int32, exact. Channel
 * tails use masked loads/stores (no scalar tail). */
#include "../qu8-gemm/x86-epilogue.h"
#include "qu8-dwconv.h"

#define T512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))

T512 static inline __attribute__((always_inline)) void
dw(size_t channels, size_t taps, const uint8_t *const *in, const void *packed, void *out,
   const oq_q8_requant *rq)
{
    assert(channels >= 1 && taps >= 1);
    const size_t cp = (channels + 15) / 16 * 16, es = rq->mode == OQ_Q8_RQ_S32 ? 4 : 1;
    const uint8_t *pb = packed, *w = pb + cp * 4;
    for (size_t c = 0; c < channels; c += 16) {
        const size_t nn = channels - c < 16 ? channels - c : 16;
        const __mmask16 m = nn == 16 ? (__mmask16)0xffff : (__mmask16)((1u << nn) - 1);
        __m512i acc = _mm512_loadu_si512(pb + 4 * c), acc2 = _mm512_setzero_si512();
#pragma GCC unroll 13
        for (size_t t = 0; t < taps; t += 2) {
            __m128i x0 = _mm_maskz_loadu_epi8(m, in[t] + c);
            __m128i x1 = _mm_maskz_loadu_epi8(m, in[t + 1 < taps ? t + 1 : t] + c);
            __m256i x = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_unpacklo_epi8(x0, x1)),
                                                _mm_unpackhi_epi8(x0, x1), 1);
            __m512i wv = _mm512_loadu_si512(w + ((t / 2) * cp + c) * 4);
            if (t / 2 % 2)
                acc2 = _mm512_dpwssd_epi32(acc2, _mm512_cvtepu8_epi16(x), wv);
            else
                acc = _mm512_dpwssd_epi32(acc, _mm512_cvtepu8_epi16(x), wv);
        }
        acc = _mm512_add_epi32(acc, acc2);
        float tmp[16];
        const float *sc = rq->mode == OQ_Q8_RQ_FP32 ? oq_q8_scales16(rq, c, nn, tmp) : tmp;
        epi16_512(acc, (uint8_t *)out + c * es, nn, c, rq, sc);
    }
}

T512 void oq_qu8_dwconv_minmax_ukernel_up16xN__avx512vnni(size_t channels, size_t pixels, size_t taps,
                                                          const uint8_t *const *in,
                                                          const void *packed, void *out,
                                                          const oq_q8_requant *rq)
{
    const size_t es = rq->mode == OQ_Q8_RQ_S32 ? 4 : 1;
    for (size_t px = 0; px < pixels; px++)
        dw(channels, taps, in + px * taps, packed, (uint8_t *)out + px * channels * es, rq);
}

T512 void oq_qu8_dwconv_minmax_ukernel_up16x9__avx512vnni(size_t channels, size_t pixels, size_t taps,
                                                          const uint8_t *const *in,
                                                          const void *packed, void *out,
                                                          const oq_q8_requant *rq)
{
    assert(taps == 9);
    const size_t es = rq->mode == OQ_Q8_RQ_S32 ? 4 : 1;
    for (size_t px = 0; px < pixels; px++)
        dw(channels, 9, in + px * taps, packed, (uint8_t *)out + px * channels * es, rq);
}

T512 void oq_qu8_dwconv_minmax_ukernel_up16x25__avx512vnni(size_t channels, size_t pixels, size_t taps,
                                                           const uint8_t *const *in,
                                                           const void *packed, void *out,
                                                           const oq_q8_requant *rq)
{
    assert(taps == 25);
    const size_t es = rq->mode == OQ_Q8_RQ_S32 ? 4 : 1;
    for (size_t px = 0; px < pixels; px++)
        dw(channels, 25, in + px * taps, packed, (uint8_t *)out + px * channels * es, rq);
}
