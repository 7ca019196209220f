/* qu8-gemm/avx2.c: 4x16 AVX2 GEMM micro-kernel on the N16K4W16 layout (int16 weights packed in
 * k-pairs). Exact over the full u8 x s8 range: activations are widened to int16 pairs with
 * vpshufb and multiplied by vpmaddwd (|a0*w0 + a1*w1| <= 65280 fits int32), never vpmaddubsw
 * (which saturates at int16). Per 4-deep k group: 1 broadcast + 2 shuffles per row, 4 vpmaddwd. */
#include "x86-epilogue.h"
#include "qu8-gemm.h"

static inline int32_t ld4(const uint8_t *p)
{
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

static inline int32_t ldn(const uint8_t *p, size_t n)
{
    int32_t v = 0;
    memcpy(&v, p, n);
    return v;
}

#define ROW(i, av)                                                                                \
    do {                                                                                          \
        __m256i va_ = _mm256_set1_epi32(av);                                                      \
        __m256i p01_ = _mm256_shuffle_epi8(va_, m01), p23_ = _mm256_shuffle_epi8(va_, m23);       \
        c##i##0 = _mm256_add_epi32(c##i##0, _mm256_add_epi32(_mm256_madd_epi16(p01_, w00),        \
                                                              _mm256_madd_epi16(p23_, w10)));     \
        c##i##1 = _mm256_add_epi32(c##i##1, _mm256_add_epi32(_mm256_madd_epi16(p01_, w01),        \
                                                              _mm256_madd_epi16(p23_, w11)));     \
    } while (0)

__attribute__((target("avx2,fma"))) void
oq_qu8_gemm_minmax_ukernel_4x16c4w16__avx2(size_t mr, size_t nc, size_t kc, const uint8_t *a,
                                           size_t a_stride, const void *w, void *c,
                                           size_t c_stride, size_t n0, const oq_q8_requant *rq)
{
    assert(mr >= 1 && mr <= 4 && nc >= 1 && kc >= 1);
    const size_t bb = oq_q8_block_bytes(OQ_Q8_LAYOUT_N16K4W16, kc), kg = kc / 4, kt = kc % 4;
    const size_t es = rq->mode == OQ_Q8_RQ_S32 ? 4 : 1;
    const uint8_t *a0 = a, *a1 = mr > 1 ? a0 + a_stride : a0, *a2 = mr > 2 ? a1 + a_stride : a1,
                  *a3 = mr > 3 ? a2 + a_stride : a2;
    const __m256i m01 = _mm256_set1_epi32((int)0x80018000u), m23 = _mm256_set1_epi32((int)0x80038002u);
    for (size_t nb = 0; nb < nc; nb += 16) {
        const size_t nn = nc - nb < 16 ? nc - nb : 16;
        const uint8_t *blk = (const uint8_t *)w + nb / 16 * bb, *wt = blk + 128;
        __m256i c00 = _mm256_loadu_si256((const __m256i *)blk);
        __m256i c01 = _mm256_loadu_si256((const __m256i *)(blk + 32));
        __m256i c10 = c00, c11 = c01, c20 = c00, c21 = c01, c30 = c00, c31 = c01;
        for (size_t g = 0; g < kg; g++, wt += 128) {
            const __m256i w00 = _mm256_loadu_si256((const __m256i *)wt);
            const __m256i w01 = _mm256_loadu_si256((const __m256i *)(wt + 32));
            const __m256i w10 = _mm256_loadu_si256((const __m256i *)(wt + 64));
            const __m256i w11 = _mm256_loadu_si256((const __m256i *)(wt + 96));
            ROW(0, ld4(a0 + 4 * g));
            ROW(1, ld4(a1 + 4 * g));
            ROW(2, ld4(a2 + 4 * g));
            ROW(3, ld4(a3 + 4 * g));
        }
        if (kt) {
            const __m256i w00 = _mm256_loadu_si256((const __m256i *)wt);
            const __m256i w01 = _mm256_loadu_si256((const __m256i *)(wt + 32));
            const __m256i w10 = _mm256_loadu_si256((const __m256i *)(wt + 64));
            const __m256i w11 = _mm256_loadu_si256((const __m256i *)(wt + 96));
            ROW(0, ldn(a0 + 4 * kg, kt));
            ROW(1, ldn(a1 + 4 * kg, kt));
            ROW(2, ldn(a2 + 4 * kg, kt));
            ROW(3, ldn(a3 + 4 * kg, kt));
        }
        float sc[16];
        if (rq->mode == OQ_Q8_RQ_FP32)
            oq_q8_load_scales(rq, n0 + nb, nn, sc);
        uint8_t *cp = (uint8_t *)c + nb * es;
        epi16_avx2(c00, c01, cp, nn, n0 + nb, rq, sc);
        if (mr > 1)
            epi16_avx2(c10, c11, cp + c_stride * es, nn, n0 + nb, rq, sc);
        if (mr > 2)
            epi16_avx2(c20, c21, cp + 2 * c_stride * es, nn, n0 + nb, rq, sc);
        if (mr > 3)
            epi16_avx2(c30, c31, cp + 3 * c_stride * es, nn, n0 + nb, rq, sc);
    }
}
