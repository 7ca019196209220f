/* neon-epilogue.h: the NEON requantize epilogue shared by the aarch64 GEMM and depthwise
 * micro-kernels: 16 int32 accumulators (4 q registers, lanes = consecutive channels) to u8/s8 (or
 * int32) bit-identical to requant.h. Included only from aarch64 files. */
#ifndef OQ_NEON_EPILOGUE_H
#define OQ_NEON_EPILOGUE_H
#include <arm_neon.h>
#include <string.h>

#include "../q8.h"
#include "../requant.h"

/* Narrows 16 requantized lanes (already within the dtype) to bytes and stores nn of them. */
static inline void store_bytes(const int32x4_t *r, void *crow, size_t nn, const oq_q8_requant *rq)
{
    int16x8_t h0 = vcombine_s16(vqmovn_s32(r[0]), vqmovn_s32(r[1]));
    int16x8_t h1 = vcombine_s16(vqmovn_s32(r[2]), vqmovn_s32(r[3]));
    uint8x16_t b = rq->out_dtype == OQ_Q8_S8
                       ? vreinterpretq_u8_s8(vcombine_s8(vqmovn_s16(h0), vqmovn_s16(h1)))
                       : vcombine_u8(vqmovun_s16(h0), vqmovun_s16(h1));
    if (nn == 16) {
        vst1q_u8(crow, b);
    } else {
        uint8_t t8[16];
        vst1q_u8(t8, b);
        memcpy(crow, t8, nn);
    }
}

/* Requantizes and stores the 16 accumulators of one row (acc[q] = columns 4q..4q+3). fp32 mode
 * in NEON, matching requant.h: scvtf and fcvtns round to nearest even (default FPCR), max/min
 * clamp (no NaN can occur), saturating narrows are exact since values are already in range.
 * q31: the gemmlowp steps (vqrdmulh is SaturatingRoundingDoublingHighMul). */
static inline void store_row(const int32x4_t *acc, void *crow, size_t nn, size_t ch,
                             const oq_q8_requant *rq)
{
    if (rq->mode == OQ_Q8_RQ_FP32) {
        float tmpf[16];
        const float *sc = oq_q8_scales16(rq, ch, nn, tmpf);
        const float32x4_t lo = vdupq_n_f32((float)(rq->qmin - rq->out_zp));
        const float32x4_t hi = vdupq_n_f32((float)(rq->qmax - rq->out_zp));
        const int32x4_t zp = vdupq_n_s32(rq->out_zp);
        int32x4_t r[4];
        for (int q = 0; q < 4; q++) {
            float32x4_t f = vmulq_f32(vcvtq_f32_s32(acc[q]), vld1q_f32(sc + 4 * q));
            f = vminq_f32(vmaxq_f32(f, lo), hi);
            r[q] = vaddq_s32(vcvtnq_s32_f32(f), zp);
        }
        store_bytes(r, crow, nn, rq);
        return;
    }
    if (rq->mode == OQ_Q8_RQ_Q31) {
        int32_t m[16], sh[16];
        for (size_t j = 0; j < 16; j++) {
            size_t p = (ch + (j < nn ? j : 0)) * rq->channel_stride;
            m[j] = j < nn ? rq->multiplier[p] : 0;
            sh[j] = j < nn ? rq->shift[p] : 0;
        }
        const int32x4_t lo = vdupq_n_s32(rq->qmin - rq->out_zp);
        const int32x4_t hi = vdupq_n_s32(rq->qmax - rq->out_zp);
        const int32x4_t zp = vdupq_n_s32(rq->out_zp), zero = vdupq_n_s32(0);
        int32x4_t r[4];
        for (int q = 0; q < 4; q++) {
            int32x4_t shv = vld1q_s32(sh + 4 * q);
            int32x4_t left = vmaxq_s32(shv, zero), negr = vminq_s32(shv, zero); /* -right */
            /* saturating << left, then vqrdmulh == gemmlowp SaturatingRoundingDoublingHighMul */
            int32x4_t x = vqrdmulhq_s32(vqshlq_s32(acc[q], left), vld1q_s32(m + 4 * q));
            /* RoundingDivideByPOT: rounding shift right with the ties-away-from-zero fixup */
            int32x4_t fix = vshrq_n_s32(vandq_s32(x, negr), 31);
            x = vrshlq_s32(vqaddq_s32(x, fix), negr);
            r[q] = vaddq_s32(vminq_s32(vmaxq_s32(x, lo), hi), zp);
        }
        store_bytes(r, crow, nn, rq);
        return;
    }
    int32_t t[16];
    for (int q = 0; q < 4; q++)
        vst1q_s32(t + 4 * q, acc[q]);
    memcpy(crow, t, nn * 4);
}
#endif
