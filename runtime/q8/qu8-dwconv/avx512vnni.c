/* qu8-dwconv/avx512vnni.c: AVX-512 VNNI depthwise micro-kernels, 16 channels per zmm: inputs
 * zero-extended, weights sign-extended to int32 lanes, vpdpwssd accumulates x*w exactly (the
 * high int16 of each input lane is 0). Channel tails use masked loads/stores (no scalar tail). */
#include "../qu8-gemm/x86-epilogue.h"
#include "qu8-dwconv.h"

#define T512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))

T512 static inline __attribute__((always_inline)) void
dw(size_t channels, size_t taps, const uint8_t *const *in, const void *packed, void *out,
   const oq_q8_requant *rq)
{
    assert(channels >= 1 && taps >= 1);
    const size_t cp = (channels + 15) / 16 * 16, es = rq->mode == OQ_Q8_RQ_S32 ? 4 : 1;
    const uint8_t *pb = packed;
    const int8_t *w = (const int8_t *)packed + cp * 4;
    for (size_t c = 0; c < channels; c += 16) {
        const size_t nn = channels - c < 16 ? channels - c : 16;
        const __mmask16 m = nn == 16 ? (__mmask16)0xffff : (__mmask16)((1u << nn) - 1);
        __m512i acc = _mm512_loadu_si512(pb + 4 * c);
        for (size_t t = 0; t < taps; t++) {
            __m128i x = _mm_maskz_loadu_epi8(m, in[t] + c);
            __m128i k = _mm_loadu_si128((const __m128i *)(w + t * cp + c));
            acc = _mm512_dpwssd_epi32(acc, _mm512_cvtepu8_epi32(x), _mm512_cvtepi8_epi32(k));
        }
        float tmp[16];
        const float *sc = rq->mode == OQ_Q8_RQ_FP32 ? oq_q8_scales16(rq, c, nn, tmp) : tmp;
        epi16_512(acc, (uint8_t *)out + c * es, nn, c, rq, sc);
    }
}

T512 void oq_qu8_dwconv_minmax_ukernel_up16xN__avx512vnni(size_t channels, size_t taps,
                                                          const uint8_t *const *in,
                                                          const void *packed, void *out,
                                                          const oq_q8_requant *rq)
{
    dw(channels, taps, in, packed, out, rq);
}

T512 void oq_qu8_dwconv_minmax_ukernel_up16x9__avx512vnni(size_t channels, size_t taps,
                                                          const uint8_t *const *in,
                                                          const void *packed, void *out,
                                                          const oq_q8_requant *rq)
{
    assert(taps == 9);
    dw(channels, 9, in, packed, out, rq);
}

T512 void oq_qu8_dwconv_minmax_ukernel_up16x25__avx512vnni(size_t channels, size_t taps,
                                                           const uint8_t *const *in,
                                                           const void *packed, void *out,
                                                           const oq_q8_requant *rq)
{
    assert(taps == 25);
    dw(channels, 25, in, packed, out, rq);
}
