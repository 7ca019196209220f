/* qu8-dwconv/neon.c: aarch64 depthwise micro-kernel, 16 channels per step: u8 inputs widened to
 * int16, the packed int16 weight pairs de-interleaved by ld2, smlal into four int32 accumulators
 * (exact); NEON epilogue (neon-epilogue.h); channel tails use the scalar formula. */
#include "../../target.h"
#if defined(__aarch64__) && OQ_WITH_NEON /* aarch64, neon kernels built; else an empty unit */
#include <arm_neon.h>
#include <string.h>

#include "../q8.h"
#include "../requant.h"
#include "../qu8-gemm/neon-epilogue.h"
#include "qu8-dwconv.h"

/* One output pixel, all channels. */
static inline void dw1(size_t channels, size_t taps, const uint8_t *const *in, const void *packed,
                       void *out, const oq_q8_requant *rq)
{
    assert(channels >= 1 && taps >= 1);
    const size_t cp = (channels + 15) / 16 * 16;
    const uint8_t *pb = packed;
    const int16_t *w = (const int16_t *)((const uint8_t *)packed + cp * 4);
    size_t c = 0;
    for (; c + 16 <= channels; c += 16) {
        int32x4_t acc[4];
        for (int q = 0; q < 4; q++)
            acc[q] = vld1q_s32((const int32_t *)(pb + 4 * (c + 4 * q)));
        for (size_t t = 0; t < taps; t++) {
            uint8x16_t x = vld1q_u8(in[t] + c);
            const int16_t *wp = w + ((t / 2) * cp + c) * 2;
            int16x8x2_t k0 = vld2q_s16(wp), k1 = vld2q_s16(wp + 16); /* val[i]: tap 2p+i */
            int16x8_t kl = k0.val[t % 2], kh = k1.val[t % 2];
            int16x8_t xl = vreinterpretq_s16_u16(vmovl_u8(vget_low_u8(x)));
            int16x8_t xh = vreinterpretq_s16_u16(vmovl_high_u8(x));
            acc[0] = vmlal_s16(acc[0], vget_low_s16(xl), vget_low_s16(kl));
            acc[1] = vmlal_high_s16(acc[1], xl, kl);
            acc[2] = vmlal_s16(acc[2], vget_low_s16(xh), vget_low_s16(kh));
            acc[3] = vmlal_high_s16(acc[3], xh, kh);
        }
        store_row(acc, (uint8_t *)out + c * (rq->mode == OQ_Q8_RQ_S32 ? 4 : 1), 16, c, rq);
    }
    for (; c < channels; c++) {
        int32_t acc;
        memcpy(&acc, pb + 4 * c, 4);
        for (size_t t = 0; t < taps; t++)
            acc += (int32_t)in[t][c] * w[((t / 2) * cp + c) * 2 + t % 2];
        oq_q8_store(rq, out, c, c, acc);
    }
}

void oq_qu8_dwconv_minmax_ukernel_up16xN__neon(size_t channels, size_t pixels, size_t taps,
                                               const uint8_t *const *in, const void *packed,
                                               void *out, const oq_q8_requant *rq)
{
    const size_t es = rq->mode == OQ_Q8_RQ_S32 ? 4 : 1;
    for (size_t px = 0; px < pixels; px++)
        dw1(channels, taps, in + px * taps, packed, (uint8_t *)out + px * channels * es, rq);
}
#else
typedef int oq_rt_empty_unit; /* ISO C: no empty file */
#endif
