/* x86-dw8.h: the AVX2 and AVX-VNNI depthwise micro-kernels, written once and included by avx2.c
 * and avxvnni.c, which define DW_TARGET (target attribute string), DW_ISA (name suffix) and
 * DW_MAC(acc, x, w) (AVX2: vpmaddwd + vpaddd; AVX-VNNI: vpdpwssd). 8 channels per ymm, one tap
 * per multiply: the tap's u8 inputs are zero-extended to int32 lanes (vpmovzxbd) and the weight
 * sits in the low int16 of each int32 lane (the packed pair as is for even taps, shifted right by
 * 16 for odd taps), so (x, 0) . (w, w') = x * w, exact. The 3x3 kernels keep the 9 weight
 * vectors of a channel block in registers across the row; channel tails (< 8) run the scalar
 * formula. Pointer kernels (up8x*) and row kernels (row8x*) share one body. */
#include "../qu8-gemm/x86-epilogue.h"
#include "qu8-dwconv.h"

#define DW_CAT2(a, b) a##b
#define DW_CAT(a, b) DW_CAT2(a, b)
#define DW_FN(kind) DW_CAT(DW_CAT(oq_qu8_dwconv_minmax_ukernel_, kind), DW_CAT(__, DW_ISA))
#define DW_ATTR __attribute__((target(DW_TARGET)))

/* Weight vector of tap t for channels c.. (int32 lanes, the weight in the low int16). */
DW_ATTR static inline __attribute__((always_inline)) __m256i wtap8(const uint8_t *w, size_t cp,
                                                                   size_t c, size_t t)
{
    __m256i v = _mm256_loadu_si256((const __m256i *)(w + ((t / 2) * cp + c) * 4));
    return t % 2 ? _mm256_srli_epi32(v, 16) : v;
}

/* The 8 u8 inputs of channels c.. of tap t of the current pixel as int32 lanes. */
#define XIN8(t)                                                                                   \
    _mm256_cvtepu8_epi32(_mm_loadl_epi64((const __m128i *)((row ? xp + off[t] : ip[t]) + c)))

DW_ATTR static inline __attribute__((always_inline)) void
dw8(size_t channels, size_t pixels, const size_t taps, const uint8_t *const *in, const uint8_t *x,
    size_t px_step, const size_t *off, const void *packed, void *out, const oq_q8_requant *rq,
    const bool hold, const bool row)
{
    assert(channels >= 1 && taps >= 1);
    const size_t cp = (channels + 15) / 16 * 16, es = rq->mode == OQ_Q8_RQ_S32 ? 4 : 1;
    const uint8_t *pb = packed, *w = pb + cp * 4;
    const bool fp32 = rq->mode == OQ_Q8_RQ_FP32, s8 = rq->out_dtype == OQ_Q8_S8;
    const __m256 lo = _mm256_set1_ps((float)(rq->qmin - rq->out_zp));
    const __m256 hi = _mm256_set1_ps((float)(rq->qmax - rq->out_zp));
    const __m256i zp = _mm256_set1_epi32(rq->out_zp);
    size_t c = 0;
    for (; c + 8 <= channels; c += 8) {
        const __m256i bias = _mm256_loadu_si256((const __m256i *)(pb + 4 * c));
        __m256 sc = lo;
        if (fp32) {
            float tmp[16];
            sc = _mm256_loadu_ps(oq_q8_scales16(rq, c, 8, tmp));
        }
        __m256i wr[25];
        if (hold)
#pragma GCC unroll 25
            for (size_t t = 0; t < taps; t++)
                wr[t] = wtap8(w, cp, c, t);
        const uint8_t *const *ip = in, *xp = x;
        uint8_t *op = (uint8_t *)out + c * es;
        for (size_t px = 0; px < pixels; px++, op += channels * es) {
            __m256i a0 = bias, a1 = _mm256_setzero_si256();
            size_t t = 0;
#pragma GCC unroll 13
            for (; t + 2 <= taps; t += 2) {
                a0 = DW_MAC(a0, XIN8(t), hold ? wr[t] : wtap8(w, cp, c, t));
                a1 = DW_MAC(a1, XIN8(t + 1), hold ? wr[t + 1] : wtap8(w, cp, c, t + 1));
            }
            if (t < taps)
                a0 = DW_MAC(a0, XIN8(t), hold ? wr[t] : wtap8(w, cp, c, t));
            a0 = _mm256_add_epi32(a0, a1);
            if (fp32) {
                __m256i i = rq8_fp32_avx2(a0, sc, lo, hi, zp);
                _mm_storel_epi64((__m128i *)op, pack16_avx2(i, i, s8));
            } else {
                epi16_avx2(a0, a0, op, 8, c, rq, NULL);
            }
            if (row)
                xp += px_step;
            else
                ip += taps;
        }
    }
    if (c == channels)
        return;
    /* channel tail: the scalar formula */
    const int16_t *w16 = (const int16_t *)w;
    const uint8_t *const *ip = in, *xp = x;
    for (size_t px = 0; px < pixels; px++) {
        for (size_t ch = c; ch < channels; ch++) {
            int32_t acc;
            memcpy(&acc, pb + 4 * ch, 4);
            for (size_t t = 0; t < taps; t++)
                acc += (int32_t)(row ? xp + off[t] : ip[t])[ch] *
                       w16[((t / 2) * cp + ch) * 2 + t % 2];
            oq_q8_store(rq, out, px * channels + ch, ch, acc);
        }
        if (row)
            xp += px_step;
        else
            ip += taps;
    }
}

DW_ATTR void DW_FN(up8xN)(size_t channels, size_t pixels, size_t taps, const uint8_t *const *in,
                          const void *packed, void *out, const oq_q8_requant *rq)
{
    dw8(channels, pixels, taps, in, NULL, 0, NULL, packed, out, rq, false, false);
}

DW_ATTR void DW_FN(up8x9)(size_t channels, size_t pixels, size_t taps, const uint8_t *const *in,
                          const void *packed, void *out, const oq_q8_requant *rq)
{
    assert(taps == 9);
    dw8(channels, pixels, 9, in, NULL, 0, NULL, packed, out, rq, true, false);
}

DW_ATTR void DW_FN(up8x25)(size_t channels, size_t pixels, size_t taps, const uint8_t *const *in,
                           const void *packed, void *out, const oq_q8_requant *rq)
{
    assert(taps == 25);
    dw8(channels, pixels, 25, in, NULL, 0, NULL, packed, out, rq, false, false);
}

/* Tap offsets of a kh x kw window (tap t = ky*kw + kx). */
static inline void DW_CAT(offsets_, DW_ISA)(size_t kh, size_t kw, size_t row_step,
                                            size_t tap_step, size_t *off)
{
    for (size_t ky = 0; ky < kh; ky++)
        for (size_t kx = 0; kx < kw; kx++)
            off[ky * kw + kx] = ky * row_step + kx * tap_step;
}

DW_ATTR void DW_FN(row8xN)(size_t channels, size_t pixels, size_t kh, size_t kw,
                           const uint8_t *x, size_t px_step, size_t row_step, size_t tap_step,
                           const void *packed, void *out, const oq_q8_requant *rq)
{
    size_t off[OQ_Q8_DW_ROW_MAX_TAPS];
    assert(kh * kw <= OQ_Q8_DW_ROW_MAX_TAPS);
    DW_CAT(offsets_, DW_ISA)(kh, kw, row_step, tap_step, off);
    dw8(channels, pixels, kh * kw, NULL, x, px_step, off, packed, out, rq, false, true);
}

DW_ATTR void DW_FN(row8x9)(size_t channels, size_t pixels, size_t kh, size_t kw,
                           const uint8_t *x, size_t px_step, size_t row_step, size_t tap_step,
                           const void *packed, void *out, const oq_q8_requant *rq)
{
    size_t off[9];
    assert(kh * kw == 9);
    DW_CAT(offsets_, DW_ISA)(kh, kw, row_step, tap_step, off);
    dw8(channels, pixels, 9, NULL, x, px_step, off, packed, out, rq, true, true);
}

DW_ATTR void DW_FN(row8x25)(size_t channels, size_t pixels, size_t kh, size_t kw,
                            const uint8_t *x, size_t px_step, size_t row_step, size_t tap_step,
                            const void *packed, void *out, const oq_q8_requant *rq)
{
    size_t off[25];
    assert(kh * kw == 25);
    DW_CAT(offsets_, DW_ISA)(kh, kw, row_step, tap_step, off);
    dw8(channels, pixels, 25, NULL, x, px_step, off, packed, out, rq, false, true);
}
