/* pack.c: weight packing (run by the compiler at compile time, by the interpreter at load time)
 * for GEMM, conv and depthwise conv, plus requantization parameter helpers. The layouts are
 * documented in q8.h; zero-point correction terms are folded into the packed bias here. */
#include <math.h>
#include <string.h>

#include "q8.h"
#include "requant.h"

/* x rounded up to a multiple of m. */
static size_t round_up(size_t x, size_t m) { return (x + m - 1) / m * m; }

size_t oq_q8_block_bytes(oq_q8_layout layout, size_t K)
{
    size_t kp = round_up(K, OQ_Q8_KR);
    return 128 + kp * OQ_Q8_NR * (layout == OQ_Q8_LAYOUT_N16K4W16 ? 2 : 1);
}

size_t oq_q8_packed_size(oq_q8_layout layout, size_t K, size_t N)
{
    return (N + OQ_Q8_NR - 1) / OQ_Q8_NR * oq_q8_block_bytes(layout, K);
}

/* Where element (k, n) of the unpacked weights lives: plain strides or ONNX OIHW conv order. */
typedef struct wsrc {
    const int8_t *w;
    size_t ks, ns;               /* strides (conv == 0) */
    bool conv;                   /* k = (ky*kw+kx)*cg + c at n*cg*kh*kw + c*kh*kw + ky*kw+kx */
    size_t cg, khw;
} wsrc;

/* Weight (k, n) of the unpacked source. */
static int32_t w_at(const wsrc *s, size_t k, size_t n)
{
    if (!s->conv)
        return s->w[k * s->ks + n * s->ns];
    size_t c = k % s->cg, t = k / s->cg;
    return s->w[n * s->cg * s->khw + c * s->khw + t];
}

/* Packs K x N weights from s into `layout` with bias and activation zero point. */
static void pack(oq_q8_layout layout, size_t K, size_t N, const wsrc *s, const int32_t *bias,
                 int32_t a_zp, void *packed)
{
    size_t kp = round_up(K, OQ_Q8_KR), bb = oq_q8_block_bytes(layout, K);
    for (size_t b = 0; b * OQ_Q8_NR < N; b++) {
        uint8_t *blk = (uint8_t *)packed + b * bb;
        int32_t bs[OQ_Q8_NR], cs[OQ_Q8_NR];
        memset(blk, 0, bb);
        for (size_t j = 0; j < OQ_Q8_NR; j++) {
            size_t n = b * OQ_Q8_NR + j;
            int32_t sum = 0;
            for (size_t k = 0; n < N && k < K; k++) {
                int32_t v = w_at(s, k, n);
                sum += v;
                size_t g = k / 4, t = k % 4;
                if (layout == OQ_Q8_LAYOUT_N16K4W16) {
                    int16_t v16 = (int16_t)v;
                    memcpy(blk + 128 + ((g * OQ_Q8_NR + j) * 4 + t) * 2, &v16, 2);
                } else {
                    blk[128 + (g * OQ_Q8_NR + j) * 4 + t] = (uint8_t)(int8_t)v;
                }
            }
            cs[j] = sum;
            bs[j] = n < N ? (bias ? bias[n] : 0) - a_zp * sum : 0;
        }
        memcpy(blk, bs, sizeof bs);
        memcpy(blk + 64, cs, sizeof cs);
        (void)kp;
    }
}

void oq_q8_pack_gemm(oq_q8_layout layout, size_t K, size_t N, const int8_t *w, size_t w_k_stride,
                     size_t w_n_stride, const int32_t *bias, int32_t a_zp, void *packed)
{
    wsrc s = {w, w_k_stride, w_n_stride, false, 0, 0};
    pack(layout, K, N, &s, bias, a_zp, packed);
}

bool oq_q8_conv_init(oq_q8_conv_shape *s)
{
    if (!s->groups || s->in_c % s->groups || s->out_c % s->groups || !s->stride_h ||
        !s->stride_w || !s->dil_h || !s->dil_w || !s->kh || !s->kw)
        return false;
    size_t eh = (s->kh - 1) * s->dil_h + 1, ew = (s->kw - 1) * s->dil_w + 1;
    size_t ph = s->in_h + s->pad_top + s->pad_bottom, pw = s->in_w + s->pad_left + s->pad_right;
    if (ph < eh || pw < ew)
        return false;
    s->out_h = (ph - eh) / s->stride_h + 1;
    s->out_w = (pw - ew) / s->stride_w + 1;
    return true;
}

size_t oq_q8_conv_packed_size(oq_q8_layout layout, const oq_q8_conv_shape *s)
{
    size_t cg = s->in_c / s->groups, mg = s->out_c / s->groups;
    return s->groups * oq_q8_packed_size(layout, s->kh * s->kw * cg, mg);
}

void oq_q8_pack_conv(oq_q8_layout layout, const oq_q8_conv_shape *s, const int8_t *w,
                     const int32_t *bias, int32_t x_zp, void *packed)
{
    size_t cg = s->in_c / s->groups, mg = s->out_c / s->groups, khw = s->kh * s->kw;
    size_t K = khw * cg, gb = oq_q8_packed_size(layout, K, mg);
    for (size_t g = 0; g < s->groups; g++) {
        wsrc src = {w + g * mg * cg * khw, 0, 0, true, cg, khw};
        pack(layout, K, mg, &src, bias ? bias + g * mg : NULL, x_zp, (uint8_t *)packed + g * gb);
    }
}

size_t oq_q8_dw_packed_size(size_t C, size_t kh, size_t kw)
{
    size_t cp = round_up(C, 16);
    return cp * 4 + (kh * kw + 1) / 2 * cp * 4;
}

void oq_q8_pack_dw(size_t C, size_t kh, size_t kw, const int8_t *w, const int32_t *bias,
                   int32_t x_zp, void *packed)
{
    size_t cp = round_up(C, 16), taps = kh * kw;
    memset(packed, 0, oq_q8_dw_packed_size(C, kh, kw));
    uint8_t *pw = (uint8_t *)packed + cp * 4;
    for (size_t c = 0; c < C; c++) {
        int32_t sum = 0;
        for (size_t t = 0; t < taps; t++) {
            int16_t v = w[c * taps + t];
            memcpy(pw + (((t / 2) * cp + c) * 2 + t % 2) * 2, &v, 2);
            sum += v;
        }
        int32_t b = (bias ? bias[c] : 0) - x_zp * sum;
        memcpy((uint8_t *)packed + c * 4, &b, 4);
    }
}

void oq_q8_quantize_multiplier(double m, int32_t *mult, int8_t *shift)
{
    assert(m >= 0.0 && m < 1073741824.0);
    if (m == 0.0) {
        *mult = 0, *shift = 0;
        return;
    }
    int e;
    double q = frexp(m, &e);
    int64_t qf = (int64_t)llround(q * 2147483648.0);
    if (qf == ((int64_t)1 << 31))
        qf /= 2, e++;
    if (e < -31)
        qf = 0, e = 0;
    *mult = (int32_t)qf;
    *shift = (int8_t)e;
}

void oq_q8_act_bounds(int act, float out_scale, int32_t out_zp, oq_q8_dtype dt, int32_t *qmin,
                      int32_t *qmax)
{
    int32_t lo = dt == OQ_Q8_S8 ? -128 : 0, hi = dt == OQ_Q8_S8 ? 127 : 255;
    if (act >= 1 && out_zp > lo)
        lo = out_zp > hi ? hi : out_zp;
    if (act == 2) {
        double six = nearbyint(6.0 / (double)out_scale) + out_zp;
        if (six < hi)
            hi = six < lo ? lo : (int32_t)six;
    }
    *qmin = lo, *qmax = hi;
}

void oq_q8_requant_fp32(oq_q8_requant *rq, const float *scale, size_t channel_stride,
                        int32_t out_zp, oq_q8_dtype out_dtype)
{
    memset(rq, 0, sizeof *rq);
    rq->mode = OQ_Q8_RQ_FP32;
    rq->out_dtype = out_dtype;
    rq->scale = scale;
    rq->channel_stride = channel_stride;
    rq->out_zp = out_zp;
    rq->qmin = out_dtype == OQ_Q8_S8 ? -128 : 0;
    rq->qmax = out_dtype == OQ_Q8_S8 ? 127 : 255;
}

void oq_q8_requant_q31(oq_q8_requant *rq, const int32_t *mult, const int8_t *shift,
                       size_t channel_stride, int32_t out_zp, oq_q8_dtype out_dtype)
{
    memset(rq, 0, sizeof *rq);
    rq->mode = OQ_Q8_RQ_Q31;
    rq->out_dtype = out_dtype;
    rq->multiplier = mult;
    rq->shift = shift;
    rq->channel_stride = channel_stride;
    rq->out_zp = out_zp;
    rq->qmin = out_dtype == OQ_Q8_S8 ? -128 : 0;
    rq->qmax = out_dtype == OQ_Q8_S8 ? 127 : 255;
}
