/* qu8-gemm/avx2.c: 3x16 AVX2 GEMM micro-kernels on the N16K4W16 layout (int16 weights, 4 per
 * column per k group) and on the s8 N16K4 layout (sign-extended in the loop, ~25% slower).
 * Exact over the full u8 x s8 range: activations are zero-extended to int16
 * and multiplied by vpmaddwd (|a0*w0 + a1*w1| <= 65280 fits int32), never vpmaddubsw (which
 * saturates at int16). Per row and k group: one broadcast of 4 activation bytes, one vpunpcklbw
 * giving int16 pairs (a0,a1),(a2,a3) in alternate lanes, and 4 vpmaddwd+vpaddd covering 16
 * columns; the two k-pair partial sums of each column are folded by vphaddd at the end. */
#include "x86-epilogue.h"
#include "load.h"
#include "qu8-gemm.h"

#define ROW(i, av)                                                                                \
    do {                                                                                          \
        __m256i p_ = _mm256_unpacklo_epi8(_mm256_set1_epi32(av), zero);                           \
        c##i##0 = _mm256_add_epi32(c##i##0, _mm256_madd_epi16(p_, w0));                          \
        c##i##1 = _mm256_add_epi32(c##i##1, _mm256_madd_epi16(p_, w1));                          \
        c##i##2 = _mm256_add_epi32(c##i##2, _mm256_madd_epi16(p_, w2));                          \
        c##i##3 = _mm256_add_epi32(c##i##3, _mm256_madd_epi16(p_, w3));                          \
    } while (0)

/* Weights of 4 columns x 4 k as int16: stored (W16) or sign-extended from s8 (N16K4). */
#define W16(off, q) _mm256_loadu_si256((const __m256i *)((off) + 32 * (q)))
#define W8(off, q) _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)((off) + 16 * (q))))

#define STEP(LW, off, A0, A1, A2)                                                                 \
    do {                                                                                          \
        const __m256i w0 = LW(off, 0), w1 = LW(off, 1), w2 = LW(off, 2), w3 = LW(off, 3);         \
        ROW(0, A0);                                                                               \
        ROW(1, A1);                                                                               \
        ROW(2, A2);                                                                               \
    } while (0)

/* Folds the (column, k-pair) lanes of x (columns 0-3) and y (4-7) into 8 column sums. */
__attribute__((target("avx2"))) static inline __m256i fold(__m256i x, __m256i y)
{
    return _mm256_permute4x64_epi64(_mm256_hadd_epi32(x, y), 0xD8);
}

/* The kernel on layout W16 (w8 false) or N16K4 (w8 true); inlined into both entry points. */
__attribute__((target("avx2,fma"), always_inline)) static inline void
gemm3x16(size_t mr, size_t nc, size_t kc, const uint8_t *a, size_t a_stride, const void *w,
         void *c, size_t c_stride, size_t n0, const oq_q8_requant *rq, const bool w8)
{
    assert(mr >= 1 && mr <= 3 && nc >= 1 && kc >= 1);
    const oq_q8_layout layout = w8 ? OQ_Q8_LAYOUT_N16K4 : OQ_Q8_LAYOUT_N16K4W16;
    const size_t bb = oq_q8_block_bytes(layout, kc), kg = kc / 4, kt = kc % 4;
    const size_t es = rq->mode == OQ_Q8_RQ_S32 ? 4 : 1;
    const uint8_t *a0 = a, *a1 = mr > 1 ? a0 + a_stride : a0, *a2 = mr > 2 ? a1 + a_stride : a1;
    const __m256i zero = _mm256_setzero_si256();
    for (size_t nb = 0; nb < nc; nb += 16) {
        const size_t nn = nc - nb < 16 ? nc - nb : 16;
        const uint8_t *blk = (const uint8_t *)w + nb / 16 * bb, *wt = blk + 128;
        __m256i c00 = zero, c01 = zero, c02 = zero, c03 = zero;
        __m256i c10 = zero, c11 = zero, c12 = zero, c13 = zero;
        __m256i c20 = zero, c21 = zero, c22 = zero, c23 = zero;
        for (size_t g = 0; g < kg; g++, wt += w8 ? 64 : 128) {
            if (w8)
                STEP(W8, wt, ld4(a0 + 4 * g), ld4(a1 + 4 * g), ld4(a2 + 4 * g));
            else
                STEP(W16, wt, ld4(a0 + 4 * g), ld4(a1 + 4 * g), ld4(a2 + 4 * g));
        }
        if (kt && w8)
            STEP(W8, wt, ldn(a0 + 4 * kg, kt), ldn(a1 + 4 * kg, kt), ldn(a2 + 4 * kg, kt));
        else if (kt)
            STEP(W16, wt, ldn(a0 + 4 * kg, kt), ldn(a1 + 4 * kg, kt), ldn(a2 + 4 * kg, kt));
        const __m256i b0 = _mm256_loadu_si256((const __m256i *)blk);
        const __m256i b1 = _mm256_loadu_si256((const __m256i *)(blk + 32));
        float tmp[16];
        const float *sc = rq->mode == OQ_Q8_RQ_FP32 ? oq_q8_scales16(rq, n0 + nb, nn, tmp) : tmp;
        uint8_t *cp = (uint8_t *)c + nb * es;
        epi16_avx2(_mm256_add_epi32(fold(c00, c01), b0), _mm256_add_epi32(fold(c02, c03), b1), cp,
                   nn, n0 + nb, rq, sc);
        if (mr > 1)
            epi16_avx2(_mm256_add_epi32(fold(c10, c11), b0), _mm256_add_epi32(fold(c12, c13), b1),
                       cp + c_stride * es, nn, n0 + nb, rq, sc);
        if (mr > 2)
            epi16_avx2(_mm256_add_epi32(fold(c20, c21), b0), _mm256_add_epi32(fold(c22, c23), b1),
                       cp + 2 * c_stride * es, nn, n0 + nb, rq, sc);
    }
}

__attribute__((target("avx2,fma"))) void
oq_qu8_gemm_minmax_ukernel_3x16c4w16__avx2(size_t mr, size_t nc, size_t kc, const uint8_t *a,
                                           size_t a_stride, const void *w, void *c,
                                           size_t c_stride, size_t n0, const oq_q8_requant *rq)
{
    gemm3x16(mr, nc, kc, a, a_stride, w, c, c_stride, n0, rq, false);
}

/* The same on the s8 N16K4 layout (weights sign-extended in the loop), so a model packed once
 * for VNNI/NEON still runs vectorized on AVX2-only CPUs. */
__attribute__((target("avx2,fma"))) void
oq_qu8_gemm_minmax_ukernel_3x16c4__avx2(size_t mr, size_t nc, size_t kc, const uint8_t *a,
                                        size_t a_stride, const void *w, void *c, size_t c_stride,
                                        size_t n0, const oq_q8_requant *rq)
{
    gemm3x16(mr, nc, kc, a, a_stride, w, c, c_stride, n0, rq, true);
}
