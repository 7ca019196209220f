/* qu8-gemm/avx512vnni.c: 8x32c4 AVX-512 VNNI GEMM micro-kernel (vpdpbusd zmm: 16 columns x 4 k
 * per instruction, exact int32) reading two consecutive N16K4 blocks (one when at most 16 columns
 * remain, so N = 16 layers do no wasted work; a 4-row tile when at most 4 rows remain); 16 zmm
 * accumulators hide the vpdpbusd latency. The fp32 epilogue is inlined with its constants
 * hoisted out of the column loop; q31 and int32 outputs take the shared epi16_512. Row and
 * column tails: duplicated row pointers and masked stores. */
#include "../../target.h"
#if defined(__x86_64__) && OQ_WITH_AVX512VNNI /* x86-64, avx512vnni kernels built; else an empty unit */
#include "x86-epilogue.h"
#include "load.h"
#include "qu8-gemm.h"

#define T512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))

#define ROW(i, av)                                                                                \
    do {                                                                                          \
        __m512i va_ = _mm512_set1_epi32(av);                                                      \
        c##i##0 = _mm512_dpbusd_epi32(c##i##0, va_, w0);                                          \
        if (two)                                                                                  \
            c##i##1 = _mm512_dpbusd_epi32(c##i##1, va_, w1);                                      \
    } while (0)

#define ROWS(LD, off)                                                                             \
    do {                                                                                          \
        ROW(0, LD(a0, off));                                                                      \
        ROW(1, LD(a1, off));                                                                      \
        ROW(2, LD(a2, off));                                                                      \
        ROW(3, LD(a3, off));                                                                      \
        if (R > 4) {                                                                              \
            ROW(4, LD(a4, off));                                                                  \
            ROW(5, LD(a5, off));                                                                  \
            ROW(6, LD(a6, off));                                                                  \
            ROW(7, LD(a7, off));                                                                  \
        }                                                                                         \
    } while (0)

#define LD4(p, g) ld4((p) + 4 * (g))
#define LDT(p, g) ldn((p) + 4 * (g), kt)

/* fp32: requantize row i (32 or 16 columns) and store nn bytes with one masked store. */
#define STORE_FP32(i)                                                                             \
    do {                                                                                          \
        if (mr > i) {                                                                             \
            __m128i b0_ = rq16_fp32_512(c##i##0, s0, lo, hi, zp, s8);                             \
            if (two) {                                                                            \
                __m128i b1_ = rq16_fp32_512(c##i##1, s1, lo, hi, zp, s8);                         \
                _mm256_mask_storeu_epi8(cp + i * cs, m32,                                         \
                                        _mm256_inserti128_si256(_mm256_castsi128_si256(b0_),      \
                                                                b1_, 1));                         \
            } else {                                                                              \
                _mm_mask_storeu_epi8(cp + i * cs, (__mmask16)m32, b0_);                           \
            }                                                                                     \
        }                                                                                         \
    } while (0)

/* q31 / int32 output: the shared (out-of-line) epilogue. */
#define STORE_ROW(i)                                                                              \
    do {                                                                                          \
        if (mr > i) {                                                                             \
            uint8_t *r_ = cp + i * cs;                                                            \
            epi16_512(c##i##0, r_, nn < 16 ? nn : 16, n0 + nb, rq, NULL);                         \
            if (two)                                                                              \
                epi16_512(c##i##1, r_ + 16 * es, nn - 16, n0 + nb + 16, rq, NULL);                \
        }                                                                                         \
    } while (0)

/* One tile of R (8, or 4 when mr <= 4) rows and nn columns (two blocks when `two`, else one);
 * inlined four times. */
T512 static inline __attribute__((always_inline)) void
tile(size_t mr, size_t nn, size_t kc, const uint8_t *const *ar, const uint8_t *b0,
     const uint8_t *b1, uint8_t *cp, size_t cs, size_t es, size_t n0, size_t nb,
     const oq_q8_requant *rq, const bool two, const unsigned R)
{
    const size_t kg = kc / 4, kt = kc % 4;
    const uint8_t *a0 = ar[0], *a1 = ar[1], *a2 = ar[2], *a3 = ar[3], *a4 = ar[4], *a5 = ar[5],
                  *a6 = ar[6], *a7 = ar[7];
    const uint8_t *wt0 = b0 + 128, *wt1 = b1 + 128;
    __m512i c00 = _mm512_loadu_si512(b0), c01 = two ? _mm512_loadu_si512(b1) : c00;
    __m512i c10 = c00, c11 = c01, c20 = c00, c21 = c01, c30 = c00, c31 = c01;
    __m512i c40 = c00, c41 = c01, c50 = c00, c51 = c01, c60 = c00, c61 = c01;
    __m512i c70 = c00, c71 = c01;
    for (size_t g = 0; g < kg; g++) {
        const __m512i w0 = _mm512_loadu_si512(wt0 + 64 * g);
        const __m512i w1 = two ? _mm512_loadu_si512(wt1 + 64 * g) : w0;
        ROWS(LD4, g);
    }
    if (kt) {
        const __m512i w0 = _mm512_loadu_si512(wt0 + 64 * kg);
        const __m512i w1 = two ? _mm512_loadu_si512(wt1 + 64 * kg) : w0;
        ROWS(LDT, kg);
    }
    if (rq->mode == OQ_Q8_RQ_FP32) {
        const __m512 lo = _mm512_set1_ps((float)(rq->qmin - rq->out_zp));
        const __m512 hi = _mm512_set1_ps((float)(rq->qmax - rq->out_zp));
        const __m512i zp = _mm512_set1_epi32(rq->out_zp);
        const bool s8 = rq->out_dtype == OQ_Q8_S8;
        const __m512 s0 = scales16_512(rq, n0 + nb, nn < 16 ? nn : 16);
        const __m512 s1 = two ? scales16_512(rq, n0 + nb + 16, nn - 16) : s0;
        const __mmask32 m32 = nn >= 32 ? (__mmask32)0xffffffffu : (__mmask32)((1u << nn) - 1);
        STORE_FP32(0);
        STORE_FP32(1);
        STORE_FP32(2);
        STORE_FP32(3);
        STORE_FP32(4);
        STORE_FP32(5);
        STORE_FP32(6);
        STORE_FP32(7);
        return;
    }
    STORE_ROW(0);
    STORE_ROW(1);
    STORE_ROW(2);
    STORE_ROW(3);
    STORE_ROW(4);
    STORE_ROW(5);
    STORE_ROW(6);
    STORE_ROW(7);
}

T512 void oq_qu8_gemm_minmax_ukernel_8x32c4__avx512vnni(size_t mr, size_t nc, size_t kc,
                                                        const uint8_t *a, size_t a_stride,
                                                        const void *w, void *c, size_t c_stride,
                                                        size_t n0, const oq_q8_requant *rq)
{
    assert(mr >= 1 && mr <= 8 && nc >= 1 && kc >= 1);
    const size_t bb = oq_q8_block_bytes(OQ_Q8_LAYOUT_N16K4, kc);
    const size_t es = rq->mode == OQ_Q8_RQ_S32 ? 4 : 1, cs = c_stride * es;
    const uint8_t *ar[8];
    for (size_t i = 0; i < 8; i++)
        ar[i] = a + (i < mr ? i : mr - 1) * a_stride;
    for (size_t nb = 0; nb < nc; nb += 32) {
        const size_t nn = nc - nb < 32 ? nc - nb : 32;
        const uint8_t *b0 = (const uint8_t *)w + nb / 16 * bb;
        uint8_t *cp = (uint8_t *)c + nb * es;
        if (mr > 4) {
            if (nn > 16)
                tile(mr, nn, kc, ar, b0, b0 + bb, cp, cs, es, n0, nb, rq, true, 8);
            else
                tile(mr, nn, kc, ar, b0, b0, cp, cs, es, n0, nb, rq, false, 8);
        } else {
            if (nn > 16)
                tile(mr, nn, kc, ar, b0, b0 + bb, cp, cs, es, n0, nb, rq, true, 4);
            else
                tile(mr, nn, kc, ar, b0, b0, cp, cs, es, n0, nb, rq, false, 4);
        }
    }
}
#else
typedef int oq_rt_empty_unit; /* ISO C: no empty file */
#endif
