/* qu8-gemm/avx2.c: 2x16 AVX2 GEMM micro-kernels on the N16K4W16 layout (int16 weights, 4 per
 * column per k group) and on the s8 N16K4 layout (sign-extended in the loop, ~25% slower).
 * Exact over the full u8 x s8 range: activations are zero-extended to int16
 * and multiplied by vpmaddwd (|a0*w0 + a1*w1| <= 65280 fits int32), never vpmaddubsw (which
 * saturates at int16). Per row and k group: one broadcast of 4 activation bytes, one vpmovzxbw
 * giving int16 pairs (a0,a1),(a2,a3) in alternate lanes, and 4 vpmaddwd+vpaddd covering 16
 * columns; the two k-pair partial sums of each column are folded by vphaddd at the end. */
#include "../../target.h"
#if defined(__x86_64__) && OQ_WITH_AVX2 /* x86-64, avx2 kernels built; else an empty unit */
#include "x86-epilogue.h"
#include "load.h"
#include "qu8-gemm.h"

/* An empty asm that pins v in a register here: without it GCC reassociates the vpaddd chains
 * into trees that need more than 16 ymm registers and spill (halving speed at -O3). */
#define KEEP(v) __asm__("" : "+x"(v))

/* Row i: the 4 activation bytes of a k group zero-extended to int16 (a0 a1 a2 a3, repeated),
 * times 4 columns x 4 k of int16 weights per vector (vpmaddwd: one k pair per int32 lane). */
#define ROW(i, av)                                                                                \
    do {                                                                                          \
        __m256i p_ = _mm256_cvtepu8_epi16(_mm_set1_epi32(av));                                    \
        c##i##0 = _mm256_add_epi32(c##i##0, _mm256_madd_epi16(p_, w0));                          \
        c##i##1 = _mm256_add_epi32(c##i##1, _mm256_madd_epi16(p_, w1));                          \
        c##i##2 = _mm256_add_epi32(c##i##2, _mm256_madd_epi16(p_, w2));                          \
        c##i##3 = _mm256_add_epi32(c##i##3, _mm256_madd_epi16(p_, w3));                          \
        KEEP(c##i##0); KEEP(c##i##1); KEEP(c##i##2); KEEP(c##i##3);                               \
    } while (0)

/* Weights of 4 columns x 4 k as int16: stored (W16) or sign-extended from s8 (N16K4). */
#define W16(off, q) _mm256_loadu_si256((const __m256i *)((off) + 32 * (q)))
#define W8(off, q) _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i *)((off) + 16 * (q))))

#define STEP(LW, off, A0, A1)                                                                     \
    do {                                                                                          \
        const __m256i w0 = LW(off, 0), w1 = LW(off, 1), w2 = LW(off, 2), w3 = LW(off, 3);         \
        ROW(0, A0);                                                                               \
        ROW(1, A1);                                                                               \
    } while (0)

/* The same as STEP with the two rows' int16 activation vectors already formed. */
#define MAC4(i, p)                                                                                \
    do {                                                                                          \
        c##i##0 = _mm256_add_epi32(c##i##0, _mm256_madd_epi16(p, w0));                           \
        c##i##1 = _mm256_add_epi32(c##i##1, _mm256_madd_epi16(p, w1));                           \
        c##i##2 = _mm256_add_epi32(c##i##2, _mm256_madd_epi16(p, w2));                           \
        c##i##3 = _mm256_add_epi32(c##i##3, _mm256_madd_epi16(p, w3));                           \
        KEEP(c##i##0); KEEP(c##i##1); KEEP(c##i##2); KEEP(c##i##3);                               \
    } while (0)
#define STEP16(LW, off, P0, P1)                                                                   \
    do {                                                                                          \
        const __m256i w0 = LW(off, 0), w1 = LW(off, 1), w2 = LW(off, 2), w3 = LW(off, 3);         \
        const __m256i p0_ = P0, p1_ = P1;                                                         \
        MAC4(0, p0_);                                                                             \
        MAC4(1, p1_);                                                                             \
    } while (0)

/* Folds the (column, k-pair) lanes of x (columns 0-3) and y (4-7) into 8 column sums. */
__attribute__((target("avx2"))) static inline __m256i fold(__m256i x, __m256i y)
{
    return _mm256_permute4x64_epi64(_mm256_hadd_epi32(x, y), 0xD8);
}

/* Requantizes and stores one row of 16 accumulators (x0: columns 0-7, x1: 8-15). */
__attribute__((target("avx2,fma"), always_inline)) static inline void
store_row(__m256i x0, __m256i x1, uint8_t *cp, size_t nn, size_t ch, const oq_q8_requant *rq,
          __m256 s0, __m256 s1, __m256 lo, __m256 hi, __m256i zp)
{
    if (rq->mode == OQ_Q8_RQ_FP32)
        store_n16(cp, pack16_avx2(rq8_fp32_avx2(x0, s0, lo, hi, zp),
                                  rq8_fp32_avx2(x1, s1, lo, hi, zp), rq->out_dtype == OQ_Q8_S8),
                  nn);
    else
        epi16_avx2(x0, x1, cp, nn, ch, rq, NULL);
}

/* The kernel on layout W16 (w8 false) or N16K4 (w8 true); inlined into both entry points.
 * 2 rows x 16 columns: 8 accumulators + 4 weight vectors fit the 16 ymm registers at any -O
 * level (the former 3-row tile needed 18 and spilled at -O3, halving its speed). */
__attribute__((target("avx2,fma"), always_inline)) static inline void
gemm2x16(size_t mr, size_t nc, size_t kc, const uint8_t *a, size_t a_stride, const void *w,
         void *c, size_t c_stride, size_t n0, const oq_q8_requant *rq, const bool w8)
{
    assert(mr >= 1 && mr <= 2 && nc >= 1 && kc >= 1);
    const oq_q8_layout layout = w8 ? OQ_Q8_LAYOUT_N16K4 : OQ_Q8_LAYOUT_N16K4W16;
    const size_t bb = oq_q8_block_bytes(layout, kc), kg = kc / 4, kt = kc % 4;
    const size_t es = rq->mode == OQ_Q8_RQ_S32 ? 4 : 1;
    const uint8_t *a0 = a, *a1 = mr > 1 ? a0 + a_stride : a0;
    const __m256 lo = _mm256_set1_ps((float)(rq->qmin - rq->out_zp));
    const __m256 hi = _mm256_set1_ps((float)(rq->qmax - rq->out_zp));
    const __m256i zp = _mm256_set1_epi32(rq->out_zp);
    for (size_t nb = 0; nb < nc; nb += 16) {
        const size_t nn = nc - nb < 16 ? nc - nb : 16;
        const uint8_t *blk = (const uint8_t *)w + nb / 16 * bb, *wt = blk + 128;
        __m256i c00 = _mm256_setzero_si256(), c01 = c00, c02 = c00, c03 = c00;
        __m256i c10 = c00, c11 = c00, c12 = c00, c13 = c00;
        size_t g = 0;
        /* 4 k groups per step: 16 activation bytes per row widened once (vpmovzxbw), each
         * group's 4 int16 broadcast with vpermq */
        for (; g + 4 <= kg; g += 4) {
            const __m256i x0 = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(a0 + 4 * g)));
            const __m256i x1 = _mm256_cvtepu8_epi16(_mm_loadu_si128((const __m128i *)(a1 + 4 * g)));
#define G(j)                                                                                      \
    do {                                                                                          \
        if (w8)                                                                                   \
            STEP16(W8, wt, _mm256_permute4x64_epi64(x0, 0x55 * j),                                \
                   _mm256_permute4x64_epi64(x1, 0x55 * j));                                       \
        else                                                                                      \
            STEP16(W16, wt, _mm256_permute4x64_epi64(x0, 0x55 * j),                               \
                   _mm256_permute4x64_epi64(x1, 0x55 * j));                                       \
        wt += w8 ? 64 : 128;                                                                      \
    } while (0)
            G(0);
            G(1);
            G(2);
            G(3);
#undef G
        }
        for (; g < kg; g++, wt += w8 ? 64 : 128) {
            if (w8)
                STEP(W8, wt, ld4(a0 + 4 * g), ld4(a1 + 4 * g));
            else
                STEP(W16, wt, ld4(a0 + 4 * g), ld4(a1 + 4 * g));
        }
        if (kt && w8)
            STEP(W8, wt, ldn(a0 + 4 * kg, kt), ldn(a1 + 4 * kg, kt));
        else if (kt)
            STEP(W16, wt, ldn(a0 + 4 * kg, kt), ldn(a1 + 4 * kg, kt));
        const __m256i b0 = _mm256_loadu_si256((const __m256i *)blk);
        const __m256i b1 = _mm256_loadu_si256((const __m256i *)(blk + 32));
        __m256 s0 = lo, s1 = lo;
        if (rq->mode == OQ_Q8_RQ_FP32) {
            float tmp[16];
            const float *sc = oq_q8_scales16(rq, n0 + nb, nn, tmp);
            s0 = _mm256_loadu_ps(sc), s1 = _mm256_loadu_ps(sc + 8);
        }
        uint8_t *cp = (uint8_t *)c + nb * es;
        store_row(_mm256_add_epi32(fold(c00, c01), b0), _mm256_add_epi32(fold(c02, c03), b1), cp,
                  nn, n0 + nb, rq, s0, s1, lo, hi, zp);
        if (mr > 1)
            store_row(_mm256_add_epi32(fold(c10, c11), b0), _mm256_add_epi32(fold(c12, c13), b1),
                      cp + c_stride * es, nn, n0 + nb, rq, s0, s1, lo, hi, zp);
    }
}

__attribute__((target("avx2,fma"))) void
oq_qu8_gemm_minmax_ukernel_2x16c4w16__avx2(size_t mr, size_t nc, size_t kc, const uint8_t *a,
                                           size_t a_stride, const void *w, void *c,
                                           size_t c_stride, size_t n0, const oq_q8_requant *rq)
{
    gemm2x16(mr, nc, kc, a, a_stride, w, c, c_stride, n0, rq, false);
}

/* The same on the s8 N16K4 layout (weights sign-extended in the loop), so a model packed once
 * for VNNI/NEON still runs vectorized on AVX2-only CPUs. */
__attribute__((target("avx2,fma"))) void
oq_qu8_gemm_minmax_ukernel_2x16c4__avx2(size_t mr, size_t nc, size_t kc, const uint8_t *a,
                                        size_t a_stride, const void *w, void *c, size_t c_stride,
                                        size_t n0, const oq_q8_requant *rq)
{
    gemm2x16(mr, nc, kc, a, a_stride, w, c, c_stride, n0, rq, true);
}
#else
typedef int oq_rt_empty_unit; /* ISO C: no empty file */
#endif
