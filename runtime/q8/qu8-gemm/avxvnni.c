/* qu8-gemm/avxvnni.c: 6x16c4 AVX-VNNI GEMM micro-kernel (VEX vpdpbusd on ymm: u8 x s8, four
 * products summed into int32 without intermediate saturation) on the N16K4 layout. The fp32
 * epilogue is inlined with its constants hoisted; q31 / int32 outputs use epi16_avx2. */
#include "../../target.h"
#if defined(__x86_64__) && OQ_WITH_AVXVNNI /* x86-64, avxvnni kernels built; else an empty unit */
#include "x86-epilogue.h"
#include "load.h"
#include "qu8-gemm.h"

#define ROW(i, av)                                                                                \
    do {                                                                                          \
        __m256i va_ = _mm256_set1_epi32(av);                                                      \
        c##i##0 = _mm256_dpbusd_avx_epi32(c##i##0, va_, w0);                                      \
        c##i##1 = _mm256_dpbusd_avx_epi32(c##i##1, va_, w1);                                      \
    } while (0)

__attribute__((target("avx2,fma,avxvnni"))) void
oq_qu8_gemm_minmax_ukernel_6x16c4__avxvnni(size_t mr, size_t nc, size_t kc, const uint8_t *a,
                                           size_t a_stride, const void *w, void *c,
                                           size_t c_stride, size_t n0, const oq_q8_requant *rq)
{
    assert(mr >= 1 && mr <= 6 && nc >= 1 && kc >= 1);
    const size_t bb = oq_q8_block_bytes(OQ_Q8_LAYOUT_N16K4, kc), kg = kc / 4, kt = kc % 4;
    const size_t es = rq->mode == OQ_Q8_RQ_S32 ? 4 : 1;
    const uint8_t *a0 = a, *a1 = mr > 1 ? a0 + a_stride : a0, *a2 = mr > 2 ? a1 + a_stride : a1,
                  *a3 = mr > 3 ? a2 + a_stride : a2, *a4 = mr > 4 ? a3 + a_stride : a3,
                  *a5 = mr > 5 ? a4 + a_stride : a4;
    const __m256 lo = _mm256_set1_ps((float)(rq->qmin - rq->out_zp));
    const __m256 hi = _mm256_set1_ps((float)(rq->qmax - rq->out_zp));
    const __m256i zp = _mm256_set1_epi32(rq->out_zp);
    for (size_t nb = 0; nb < nc; nb += 16) {
        const size_t nn = nc - nb < 16 ? nc - nb : 16;
        const uint8_t *blk = (const uint8_t *)w + nb / 16 * bb, *wt = blk + 128;
        __m256i c00 = _mm256_loadu_si256((const __m256i *)blk);
        __m256i c01 = _mm256_loadu_si256((const __m256i *)(blk + 32));
        __m256i c10 = c00, c11 = c01, c20 = c00, c21 = c01, c30 = c00, c31 = c01;
        __m256i c40 = c00, c41 = c01, c50 = c00, c51 = c01;
        for (size_t g = 0; g < kg; g++, wt += 64) {
            const __m256i w0 = _mm256_loadu_si256((const __m256i *)wt);
            const __m256i w1 = _mm256_loadu_si256((const __m256i *)(wt + 32));
            ROW(0, ld4(a0 + 4 * g));
            ROW(1, ld4(a1 + 4 * g));
            ROW(2, ld4(a2 + 4 * g));
            ROW(3, ld4(a3 + 4 * g));
            ROW(4, ld4(a4 + 4 * g));
            ROW(5, ld4(a5 + 4 * g));
        }
        if (kt) {
            const __m256i w0 = _mm256_loadu_si256((const __m256i *)wt);
            const __m256i w1 = _mm256_loadu_si256((const __m256i *)(wt + 32));
            ROW(0, ldn(a0 + 4 * kg, kt));
            ROW(1, ldn(a1 + 4 * kg, kt));
            ROW(2, ldn(a2 + 4 * kg, kt));
            ROW(3, ldn(a3 + 4 * kg, kt));
            ROW(4, ldn(a4 + 4 * kg, kt));
            ROW(5, ldn(a5 + 4 * kg, kt));
        }
        uint8_t *cp = (uint8_t *)c + nb * es;
        const size_t cs = c_stride * es;
        if (rq->mode == OQ_Q8_RQ_FP32) {
            float tmp[16];
            const float *sc = oq_q8_scales16(rq, n0 + nb, nn, tmp);
            const __m256 s0 = _mm256_loadu_ps(sc), s1 = _mm256_loadu_ps(sc + 8);
            const bool s8 = rq->out_dtype == OQ_Q8_S8;
#define ST(x0, x1, p)                                                                             \
    store_n16(p, pack16_avx2(rq8_fp32_avx2(x0, s0, lo, hi, zp), rq8_fp32_avx2(x1, s1, lo, hi, zp), \
                             s8),                                                                 \
              nn)
            ST(c00, c01, cp);
            if (mr > 1)
                ST(c10, c11, cp + cs);
            if (mr > 2)
                ST(c20, c21, cp + 2 * cs);
            if (mr > 3)
                ST(c30, c31, cp + 3 * cs);
            if (mr > 4)
                ST(c40, c41, cp + 4 * cs);
            if (mr > 5)
                ST(c50, c51, cp + 5 * cs);
#undef ST
            continue;
        }
        epi16_avx2(c00, c01, cp, nn, n0 + nb, rq, NULL);
        if (mr > 1)
            epi16_avx2(c10, c11, cp + cs, nn, n0 + nb, rq, NULL);
        if (mr > 2)
            epi16_avx2(c20, c21, cp + 2 * cs, nn, n0 + nb, rq, NULL);
        if (mr > 3)
            epi16_avx2(c30, c31, cp + 3 * cs, nn, n0 + nb, rq, NULL);
        if (mr > 4)
            epi16_avx2(c40, c41, cp + 4 * cs, nn, n0 + nb, rq, NULL);
        if (mr > 5)
            epi16_avx2(c50, c51, cp + 5 * cs, nn, n0 + nb, rq, NULL);
    }
}
#else
typedef int oq_rt_empty_unit; /* ISO C: no empty file */
#endif
