/* qu8-dwconv/avx512vnni.c: AVX-512 VNNI depthwise micro-kernels, 16 channels per zmm, one tap
 * per vpdpbusd: the u8 inputs of a tap are zero-extended to int32 lanes (vpmovzxbd) and the
 * tap's weight sits in the low byte of each int32 weight lane (the packed int16 pair as is for
 * even taps, shifted right by 16 for odd taps), so each lane accumulates exactly x * w in int32.
 * Channel blocks are the outer loop: the 3x3 / 5x5 kernels keep a block's 9 / 25 weight vectors,
 * bias and scales in registers across the row's pixels; the fp32 epilogue is inlined. Channel
 * tails use masked loads and stores (no scalar tail). */
#include "../../target.h"
#if defined(__x86_64__) && OQ_WITH_AVX512VNNI /* x86-64, avx512vnni kernels built; else an empty unit */
#include "../qu8-gemm/x86-epilogue.h"
#include "qu8-dwconv.h"

#define T512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512vnni")))

/* Weight vector of tap t for channels c.. (int32 lanes, the weight in the low byte). */
T512 static inline __attribute__((always_inline)) __m512i wtap(const uint8_t *w, size_t cp,
                                                               size_t c, size_t t)
{
    __m512i v = _mm512_loadu_si512(w + ((t / 2) * cp + c) * 4);
    return t % 2 ? _mm512_srli_epi32(v, 16) : v;
}

/* u8 inputs of channels c.. of tap t of the current pixel as int32 lanes: a plain vpmovzxbd
 * from memory on full blocks, a masked byte load first on the channel tail (mask m). */
#define XIN(t)                                                                                    \
    _mm512_cvtepu8_epi32(full ? _mm_loadu_si128((const __m128i *)(TAP(t) + c))                   \
                              : _mm_maskz_loadu_epi8(m, TAP(t) + c))
/* Input of tap t of the current pixel: pointer list, or (row kernels) kw-wide windows addressed
 * by strides when the window is a compile-time 3x3 / 5x5, else through off[]. */
#define TAP(t)                                                                                    \
    (!row    ? ip[t]                                                                              \
     : hold ? xp + (t) / kwc * row_step + (t) % kwc * tap_step                                    \
            : xp + off[t])

/* Constants of the requantization shared by a kernel call. */
typedef struct epi {
    __m512 lo, hi;               /* clamp bounds minus zp */
    __m512i zp;                  /* output zero point */
    bool fp32, s8;               /* mode and output dtype */
} epi;

/* The pixels of one block of 16 channels from c (nn valid: full when 16); inlined for full and
 * tail blocks so full blocks load with plain vpmovzxbd. */
T512 static inline __attribute__((always_inline)) void
block(size_t channels, size_t c, size_t nn, size_t pixels, const size_t taps,
      const uint8_t *const *in, const uint8_t *x, size_t px_step, const size_t *off,
      size_t row_step, size_t tap_step, const uint8_t *pb, const uint8_t *w, size_t cp,
      size_t es, void *out, const oq_q8_requant *rq, const epi *e, const bool hold,
      const bool row, const bool full)
{
    const size_t kwc = taps == 9 ? 3 : 5; /* window width of the held (3x3 / 5x5) kernels */
    const __mmask16 m = nn == 16 ? (__mmask16)0xffff : (__mmask16)((1u << nn) - 1);
    const __m512i bias = _mm512_loadu_si512(pb + 4 * c);
    const __m512 sc = e->fp32 ? scales16_512(rq, c, nn) : e->lo;
    __m512i wr[25];
    if (hold)
#pragma GCC unroll 25
        for (size_t t = 0; t < taps; t++)
            wr[t] = wtap(w, cp, c, t);
    const uint8_t *const *ip = in, *xp = x;
    uint8_t *op = (uint8_t *)out + c * es;
    for (size_t px = 0; px < pixels; px++, op += channels * es) {
        __m512i a0 = bias, a1 = _mm512_setzero_si512();
        size_t t = 0;
#pragma GCC unroll 13
        for (; t + 2 <= taps; t += 2) {
            a0 = _mm512_dpbusd_epi32(a0, XIN(t), hold ? wr[t] : wtap(w, cp, c, t));
            a1 = _mm512_dpbusd_epi32(a1, XIN(t + 1), hold ? wr[t + 1] : wtap(w, cp, c, t + 1));
        }
        if (t < taps)
            a0 = _mm512_dpbusd_epi32(a0, XIN(t), hold ? wr[t] : wtap(w, cp, c, t));
        if (row)
            xp += px_step;
        else
            ip += taps;
        a0 = _mm512_add_epi32(a0, a1);
        if (e->fp32) {
            __m128i b = rq16_fp32_512(a0, sc, e->lo, e->hi, e->zp, e->s8);
            if (full)
                _mm_storeu_si128((__m128i *)op, b);
            else
                _mm_mask_storeu_epi8(op, m, b);
        } else {
            epi16_512(a0, op, nn, c, rq, NULL);
        }
    }
}

/* The kernel body; `taps` is a compile-time constant in the fast paths (9, 25; weights held in
 * registers) and a variable in the generic one (weights reloaded per tap). Pointer form (row
 * false: in, taps pointers per pixel) or row form (x, px_step, tap offsets off[]). */
T512 static inline __attribute__((always_inline)) void
dw(size_t channels, size_t pixels, const size_t taps, const uint8_t *const *in, const uint8_t *x,
   size_t px_step, const size_t *off, size_t row_step, size_t tap_step, const void *packed,
   void *out, const oq_q8_requant *rq, const bool hold, const bool row)
{
    assert(channels >= 1 && taps >= 1);
    const size_t cp = (channels + 15) / 16 * 16, es = rq->mode == OQ_Q8_RQ_S32 ? 4 : 1;
    const uint8_t *pb = packed, *w = pb + cp * 4;
    epi e;
    e.fp32 = rq->mode == OQ_Q8_RQ_FP32, e.s8 = rq->out_dtype == OQ_Q8_S8;
    e.lo = _mm512_set1_ps((float)(rq->qmin - rq->out_zp));
    e.hi = _mm512_set1_ps((float)(rq->qmax - rq->out_zp));
    e.zp = _mm512_set1_epi32(rq->out_zp);
    size_t c = 0;
    for (; c + 16 <= channels; c += 16)
        block(channels, c, 16, pixels, taps, in, x, px_step, off, row_step, tap_step, pb, w, cp,
              es, out, rq, &e, hold, row, true);
    if (c < channels)
        block(channels, c, channels - c, pixels, taps, in, x, px_step, off, row_step, tap_step,
              pb, w, cp, es, out, rq, &e, hold, row, false);
}

T512 void oq_qu8_dwconv_minmax_ukernel_up16xN__avx512vnni(size_t channels, size_t pixels,
                                                          size_t taps, const uint8_t *const *in,
                                                          const void *packed, void *out,
                                                          const oq_q8_requant *rq)
{
    dw(channels, pixels, taps, in, NULL, 0, NULL, 0, 0, packed, out, rq, false, false);
}

T512 void oq_qu8_dwconv_minmax_ukernel_up16x9__avx512vnni(size_t channels, size_t pixels,
                                                          size_t taps, const uint8_t *const *in,
                                                          const void *packed, void *out,
                                                          const oq_q8_requant *rq)
{
    assert(taps == 9);
    dw(channels, pixels, 9, in, NULL, 0, NULL, 0, 0, packed, out, rq, true, false);
}

T512 void oq_qu8_dwconv_minmax_ukernel_up16x25__avx512vnni(size_t channels, size_t pixels,
                                                           size_t taps, const uint8_t *const *in,
                                                           const void *packed, void *out,
                                                           const oq_q8_requant *rq)
{
    assert(taps == 25);
    dw(channels, pixels, 25, in, NULL, 0, NULL, 0, 0, packed, out, rq, true, false);
}

/* Tap offsets of a kh x kw window (tap t = ky*kw + kx). */
static inline void offsets(size_t kh, size_t kw, size_t row_step, size_t tap_step, size_t *off)
{
    for (size_t ky = 0; ky < kh; ky++)
        for (size_t kx = 0; kx < kw; kx++)
            off[ky * kw + kx] = ky * row_step + kx * tap_step;
}

/* Row kernels (kh*kw <= OQ_Q8_DW_ROW_MAX_TAPS, checked by the driver). */
T512 void oq_qu8_dwconv_minmax_ukernel_row16xN__avx512vnni(
    size_t channels, size_t pixels, size_t kh, size_t kw, const uint8_t *x, size_t px_step,
    size_t row_step, size_t tap_step, const void *packed, void *out, const oq_q8_requant *rq)
{
    size_t off[OQ_Q8_DW_ROW_MAX_TAPS];
    assert(kh * kw <= OQ_Q8_DW_ROW_MAX_TAPS);
    offsets(kh, kw, row_step, tap_step, off);
    dw(channels, pixels, kh * kw, NULL, x, px_step, off, 0, 0, packed, out, rq, false, true);
}

T512 void oq_qu8_dwconv_minmax_ukernel_row16x9__avx512vnni(
    size_t channels, size_t pixels, size_t kh, size_t kw, const uint8_t *x, size_t px_step,
    size_t row_step, size_t tap_step, const void *packed, void *out, const oq_q8_requant *rq)
{
    assert(kh * kw == 9);
    if (kh != 3) { /* a 1x9 or 9x1 window: the generic row path */
        oq_qu8_dwconv_minmax_ukernel_row16xN__avx512vnni(channels, pixels, kh, kw, x, px_step,
                                                         row_step, tap_step, packed, out, rq);
        return;
    }
    dw(channels, pixels, 9, NULL, x, px_step, NULL, row_step, tap_step, packed, out, rq, true,
       true);
}

T512 void oq_qu8_dwconv_minmax_ukernel_row16x25__avx512vnni(
    size_t channels, size_t pixels, size_t kh, size_t kw, const uint8_t *x, size_t px_step,
    size_t row_step, size_t tap_step, const void *packed, void *out, const oq_q8_requant *rq)
{
    assert(kh * kw == 25);
    if (kh != 5) { /* a 1x25 or 25x1 window: the generic row path */
        oq_qu8_dwconv_minmax_ukernel_row16xN__avx512vnni(channels, pixels, kh, kw, x, px_step,
                                                         row_step, tap_step, packed, out, rq);
        return;
    }
    dw(channels, pixels, 25, NULL, x, px_step, NULL, row_step, tap_step, packed, out, rq, true,
       true);
}
#else
typedef int oq_rt_empty_unit; /* ISO C: no empty file */
#endif
