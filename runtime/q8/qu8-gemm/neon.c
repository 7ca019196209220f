/* qu8-gemm/neon.c: aarch64 GEMM micro-kernels on the N16K4 layout (4 columns x 4 k per q
 * register). neondot: sdot on activations shifted to s8 (a ^ 0x80 = a - 128), the shift folded
 * back by adding 128 * colsum (block header) to the packed bias; i8mm: sudot multiplies the
 * s8 weights by the u8 activations directly; neon: smull s8 x s8 products (|p| <= 16384 fits
 * int16) pairwise-accumulated by sadalp, then pairwise-added per column. Epilogue in NEON for
 * both modes, bit-identical to requant.h (fp32: scvtf/fcvtns; q31: sqshl, sqrdmulh, srshl with the
 * TFLite ties-away fixup). */
#include "../../target.h"
#if defined(__aarch64__) && OQ_WITH_NEON /* aarch64, neon kernels built; else an empty unit */
#include <arm_neon.h>
#include <string.h>

#include "../q8.h"
#include "../requant.h"
#include "load.h"
#include "neon-epilogue.h"
#include "qu8-gemm.h"

/* Initial accumulators: bias' (+ 128 * colsum when the activations are shifted to s8). */
static inline void init_acc(const uint8_t *blk, bool shifted, int32x4_t *acc)
{
    for (int q = 0; q < 4; q++) {
        int32x4_t b = vld1q_s32((const int32_t *)(blk + 16 * q));
        if (shifted)
            b = vaddq_s32(b, vshlq_n_s32(vld1q_s32((const int32_t *)(blk + 64 + 16 * q)), 7));
        acc[q] = b;
    }
}

#define DOT_BODY(DOTQ, AVEC_T, LOADA, MAKEA1)                                                     \
    assert(mr >= 1 && mr <= 4 && nc >= 1 && kc >= 1);                                              \
    const size_t bb = oq_q8_block_bytes(OQ_Q8_LAYOUT_N16K4, kc), kg = kc / 4, kt = kc % 4;         \
    const size_t es = rq->mode == OQ_Q8_RQ_S32 ? 4 : 1;                                            \
    const uint8_t *ar[4];                                                                          \
    for (size_t i = 0; i < 4; i++)                                                                 \
        ar[i] = a + (i < mr ? i : mr - 1) * a_stride;                                              \
    for (size_t nb = 0; nb < nc; nb += 16) {                                                       \
        const size_t nn = nc - nb < 16 ? nc - nb : 16;                                             \
        const uint8_t *blk = (const uint8_t *)w + nb / 16 * bb;                                    \
        const int8_t *wt = (const int8_t *)(blk + 128);                                            \
        int32x4_t acc[4][4];                                                                       \
        for (int i = 0; i < 4; i++)                                                                \
            init_acc(blk, SHIFTED, acc[i]);                                                        \
        size_t g = 0;                                                                              \
        for (; g + 4 <= kg; g += 4) {                                                              \
            AVEC_T va[4];                                                                          \
            for (int i = 0; i < 4; i++)                                                            \
                va[i] = LOADA(ar[i] + 4 * g);                                                      \
            for (int q = 0; q < 4; q++) {                                                          \
                int8x16_t w0 = vld1q_s8(wt + (g + 0) * 64 + 16 * q);                               \
                int8x16_t w1 = vld1q_s8(wt + (g + 1) * 64 + 16 * q);                               \
                int8x16_t w2 = vld1q_s8(wt + (g + 2) * 64 + 16 * q);                               \
                int8x16_t w3 = vld1q_s8(wt + (g + 3) * 64 + 16 * q);                               \
                for (int i = 0; i < 4; i++) {                                                      \
                    acc[i][q] = DOTQ(acc[i][q], w0, va[i], 0);                                     \
                    acc[i][q] = DOTQ(acc[i][q], w1, va[i], 1);                                     \
                    acc[i][q] = DOTQ(acc[i][q], w2, va[i], 2);                                     \
                    acc[i][q] = DOTQ(acc[i][q], w3, va[i], 3);                                     \
                }                                                                                  \
            }                                                                                      \
        }                                                                                          \
        for (; g < kg + (kt ? 1 : 0); g++) {                                                       \
            AVEC_T va[4];                                                                          \
            for (int i = 0; i < 4; i++)                                                            \
                va[i] = MAKEA1(g < kg ? ld4(ar[i] + 4 * g) : ldn(ar[i] + 4 * g, kt));              \
            for (int q = 0; q < 4; q++) {                                                          \
                int8x16_t w0 = vld1q_s8(wt + g * 64 + 16 * q);                                     \
                for (int i = 0; i < 4; i++)                                                        \
                    acc[i][q] = DOTQ(acc[i][q], w0, va[i], 0);                                     \
            }                                                                                      \
        }                                                                                          \
        for (size_t i = 0; i < mr; i++)                                                            \
            store_row(acc[i], (uint8_t *)c + (i * c_stride + nb) * es, nn, n0 + nb, rq);           \
    }

#if OQ_WITH_NEONDOT
#define SHIFTED true
__attribute__((target("arch=armv8.2-a+dotprod"))) static inline int8x16_t lda_dot(const uint8_t *p)
{
    return vreinterpretq_s8_u8(veorq_u8(vld1q_u8(p), vdupq_n_u8(0x80)));
}
__attribute__((target("arch=armv8.2-a+dotprod"))) static inline int8x16_t mka_dot(int32_t v)
{
    return vreinterpretq_s8_u8(veorq_u8(vreinterpretq_u8_s32(vdupq_n_s32(v)), vdupq_n_u8(0x80)));
}

__attribute__((target("arch=armv8.2-a+dotprod"))) void
oq_qu8_gemm_minmax_ukernel_4x16c4__neondot(size_t mr, size_t nc, size_t kc, const uint8_t *a,
                                           size_t a_stride, const void *w, void *c,
                                           size_t c_stride, size_t n0, const oq_q8_requant *rq)
{
    DOT_BODY(vdotq_laneq_s32, int8x16_t, lda_dot, mka_dot)
}
#undef SHIFTED
#endif

#if OQ_WITH_I8MM
#define SHIFTED false
__attribute__((target("arch=armv8.2-a+i8mm"))) static inline uint8x16_t lda_mm(const uint8_t *p)
{
    return vld1q_u8(p);
}
__attribute__((target("arch=armv8.2-a+i8mm"))) static inline uint8x16_t mka_mm(int32_t v)
{
    return vreinterpretq_u8_s32(vdupq_n_s32(v));
}

__attribute__((target("arch=armv8.2-a+i8mm"))) void
oq_qu8_gemm_minmax_ukernel_4x16c4__i8mm(size_t mr, size_t nc, size_t kc, const uint8_t *a,
                                            size_t a_stride, const void *w, void *c,
                                            size_t c_stride, size_t n0, const oq_q8_requant *rq)
{
    DOT_BODY(vsudotq_laneq_s32, uint8x16_t, lda_mm, mka_mm)
}
#undef SHIFTED
#endif

void oq_qu8_gemm_minmax_ukernel_2x16c4__neon(size_t mr, size_t nc, size_t kc, const uint8_t *a,
                                             size_t a_stride, const void *w, void *c,
                                             size_t c_stride, size_t n0, const oq_q8_requant *rq)
{
    assert(mr >= 1 && mr <= 2 && nc >= 1 && kc >= 1);
    const size_t bb = oq_q8_block_bytes(OQ_Q8_LAYOUT_N16K4, kc), kg = kc / 4, kt = kc % 4;
    const size_t es = rq->mode == OQ_Q8_RQ_S32 ? 4 : 1;
    const uint8_t *ar[2] = {a, mr > 1 ? a + a_stride : a};
    for (size_t nb = 0; nb < nc; nb += 16) {
        const size_t nn = nc - nb < 16 ? nc - nb : 16;
        const uint8_t *blk = (const uint8_t *)w + nb / 16 * bb;
        const int8_t *wt = (const int8_t *)(blk + 128);
        int32x4_t lo[2][4], hi[2][4];
        for (int i = 0; i < 2; i++)
            for (int q = 0; q < 4; q++)
                lo[i][q] = hi[i][q] = vdupq_n_s32(0);
        for (size_t g = 0; g < kg + (kt ? 1 : 0); g++) {
            int8x16_t va[2];
            for (int i = 0; i < 2; i++) {
                int32_t v = g < kg ? ld4(ar[i] + 4 * g) : ldn(ar[i] + 4 * g, kt);
                va[i] = vreinterpretq_s8_u8(
                    veorq_u8(vreinterpretq_u8_s32(vdupq_n_s32(v)), vdupq_n_u8(0x80)));
            }
            for (int q = 0; q < 4; q++) {
                int8x16_t wq = vld1q_s8(wt + g * 64 + 16 * q);
                for (int i = 0; i < 2; i++) {
                    lo[i][q] = vpadalq_s16(lo[i][q], vmull_s8(vget_low_s8(wq), vget_low_s8(va[i])));
                    hi[i][q] = vpadalq_s16(hi[i][q], vmull_high_s8(wq, va[i]));
                }
            }
        }
        for (size_t i = 0; i < mr; i++) {
            int32x4_t acc[4];
            init_acc(blk, true, acc);
            for (int q = 0; q < 4; q++)
                acc[q] = vaddq_s32(acc[q], vpaddq_s32(lo[i][q], hi[i][q]));
            store_row(acc, (uint8_t *)c + (i * c_stride + nb) * es, nn, n0 + nb, rq);
        }
    }
}
#else
typedef int oq_rt_empty_unit; /* ISO C: no empty file */
#endif
