/* qu8-gemm/avx512vnni.c: 8x32c4 AVX-512 VNNI GEMM micro-kernel (vpdpbusd zmm: 16 columns x 4 k
 * per instruction, exact int32) reading two consecutive N16K4 blocks; 16 zmm accumulators hide
 * the vpdpbusd latency. Row and column tails: duplicated row pointers and masked stores. */
#include "x86-epilogue.h"
#include "load.h"
#include "qu8-gemm.h"

#define T512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))

#define ROW(i, av)                                                                                \
    do {                                                                                          \
        __m512i va_ = _mm512_set1_epi32(av);                                                      \
        c##i##0 = _mm512_dpbusd_epi32(c##i##0, va_, w0);                                          \
        c##i##1 = _mm512_dpbusd_epi32(c##i##1, va_, w1);                                          \
    } while (0)

#define STORE_ROW(i)                                                                              \
    do {                                                                                          \
        if (mr > i) {                                                                             \
            uint8_t *r_ = cp + i * cs;                                                            \
            epi16_512(c##i##0, r_, nn < 16 ? nn : 16, n0 + nb, rq, sc);                           \
            if (nn > 16)                                                                          \
                epi16_512(c##i##1, r_ + 16 * es, nn - 16, n0 + nb + 16, rq, sc + 16);             \
        }                                                                                         \
    } while (0)

T512 void oq_qu8_gemm_minmax_ukernel_8x32c4__avx512vnni(size_t mr, size_t nc, size_t kc,
                                                        const uint8_t *a, size_t a_stride,
                                                        const void *w, void *c, size_t c_stride,
                                                        size_t n0, const oq_q8_requant *rq)
{
    assert(mr >= 1 && mr <= 8 && nc >= 1 && kc >= 1);
    const size_t bb = oq_q8_block_bytes(OQ_Q8_LAYOUT_N16K4, kc), kg = kc / 4, kt = kc % 4;
    const size_t es = rq->mode == OQ_Q8_RQ_S32 ? 4 : 1, cs = c_stride * es;
    const uint8_t *a0 = a, *a1 = mr > 1 ? a0 + a_stride : a0, *a2 = mr > 2 ? a1 + a_stride : a1,
                  *a3 = mr > 3 ? a2 + a_stride : a2, *a4 = mr > 4 ? a3 + a_stride : a3,
                  *a5 = mr > 5 ? a4 + a_stride : a4, *a6 = mr > 6 ? a5 + a_stride : a5,
                  *a7 = mr > 7 ? a6 + a_stride : a6;
    for (size_t nb = 0; nb < nc; nb += 32) {
        const size_t nn = nc - nb < 32 ? nc - nb : 32;
        const uint8_t *b0 = (const uint8_t *)w + nb / 16 * bb, *b1 = nn > 16 ? b0 + bb : b0;
        const uint8_t *wt0 = b0 + 128, *wt1 = b1 + 128;
        __m512i c00 = _mm512_loadu_si512(b0), c01 = _mm512_loadu_si512(b1);
        __m512i c10 = c00, c11 = c01, c20 = c00, c21 = c01, c30 = c00, c31 = c01;
        __m512i c40 = c00, c41 = c01, c50 = c00, c51 = c01, c60 = c00, c61 = c01;
        __m512i c70 = c00, c71 = c01;
        for (size_t g = 0; g < kg; g++) {
            const __m512i w0 = _mm512_loadu_si512(wt0 + 64 * g);
            const __m512i w1 = _mm512_loadu_si512(wt1 + 64 * g);
            ROW(0, ld4(a0 + 4 * g));
            ROW(1, ld4(a1 + 4 * g));
            ROW(2, ld4(a2 + 4 * g));
            ROW(3, ld4(a3 + 4 * g));
            ROW(4, ld4(a4 + 4 * g));
            ROW(5, ld4(a5 + 4 * g));
            ROW(6, ld4(a6 + 4 * g));
            ROW(7, ld4(a7 + 4 * g));
        }
        if (kt) {
            const __m512i w0 = _mm512_loadu_si512(wt0 + 64 * kg);
            const __m512i w1 = _mm512_loadu_si512(wt1 + 64 * kg);
            ROW(0, ldn(a0 + 4 * kg, kt));
            ROW(1, ldn(a1 + 4 * kg, kt));
            ROW(2, ldn(a2 + 4 * kg, kt));
            ROW(3, ldn(a3 + 4 * kg, kt));
            ROW(4, ldn(a4 + 4 * kg, kt));
            ROW(5, ldn(a5 + 4 * kg, kt));
            ROW(6, ldn(a6 + 4 * kg, kt));
            ROW(7, ldn(a7 + 4 * kg, kt));
        }
        float sc[32];
        if (rq->mode == OQ_Q8_RQ_FP32) {
            oq_q8_load_scales(rq, n0 + nb, nn < 16 ? nn : 16, sc);
            oq_q8_load_scales(rq, n0 + nb + 16, nn > 16 ? nn - 16 : 0, sc + 16);
        }
        uint8_t *cp = (uint8_t *)c + nb * es;
        STORE_ROW(0);
        STORE_ROW(1);
        STORE_ROW(2);
        STORE_ROW(3);
        STORE_ROW(4);
        STORE_ROW(5);
        STORE_ROW(6);
        STORE_ROW(7);
    }
}
