/* dwconv.c: depthwise convolution driver (NHWC). For each output pixel it builds the kh*kw input
 * row pointers (indirection; taps in the padding point at a row of zero-point bytes held in the
 * workspace), for a whole output row, and calls the micro-kernel once per row. Stride and
 * dilation live only here, so the kernels serve stride 1, 2 and any other. */
#include <stddef.h>
#include <string.h>

#include "q8.h"

size_t oq_q8_dw_workspace_size(const oq_q8_conv_shape *s)
{
    return (s->in_c + 63) / 64 * 64 + (s->out_w + 1) * s->kh * s->kw * sizeof(const uint8_t *);
}

/* True if output coordinate o reads only in-image rows/columns along one axis. */
static bool inside(size_t o, size_t stride, size_t pad, size_t k, size_t dil, size_t in)
{
    size_t lo = o * stride, hi = lo + (k - 1) * dil;
    return lo >= pad && hi - pad < in;
}

void oq_q8_dwconv(const oq_q8_dw_kernel *k, const oq_q8_conv_shape *s, const uint8_t *x,
                  int32_t x_zp, const void *packed, void *y, const oq_q8_requant *rq,
                  void *workspace)
{
    size_t C = s->in_c, taps = s->kh * s->kw, es = rq->mode == OQ_Q8_RQ_S32 ? 4 : 1;
    if (!k)
        k = oq_q8_dw_select(taps);
    uint8_t *zrow = workspace;
    const uint8_t **ptr = (const uint8_t **)(zrow + (C + 63) / 64 * 64); /* out_w x taps */
    ptrdiff_t *offs = (ptrdiff_t *)(ptr + s->out_w * taps); /* tap offsets of an interior window */
    memset(zrow, x_zp, C);
    for (size_t ky = 0, t = 0; ky < s->kh; ky++)
        for (size_t kx = 0; kx < s->kw; kx++, t++)
            offs[t] = (ptrdiff_t)((ky * s->dil_h * s->in_w + kx * s->dil_w) * C);
    uint8_t *yp = y;
    for (size_t b = 0; b < s->batch; b++) {
        const uint8_t *xb = x + b * s->in_h * s->in_w * C;
        for (size_t oy = 0; oy < s->out_h; oy++, yp += s->out_w * C * es) {
            bool yin = inside(oy, s->stride_h, s->pad_top, s->kh, s->dil_h, s->in_h);
            for (size_t ox = 0; ox < s->out_w; ox++) {
                const uint8_t **pp = ptr + ox * taps;
                if (yin && inside(ox, s->stride_w, s->pad_left, s->kw, s->dil_w, s->in_w)) {
                    const uint8_t *base = xb + ((oy * s->stride_h - s->pad_top) * s->in_w +
                                                ox * s->stride_w - s->pad_left) * C;
                    for (size_t t = 0; t < taps; t++)
                        pp[t] = base + offs[t];
                    continue;
                }
                size_t t = 0;
                for (size_t ky = 0; ky < s->kh; ky++) {
                    size_t iy = oy * s->stride_h + ky * s->dil_h;
                    bool rin = iy >= s->pad_top && iy - s->pad_top < s->in_h;
                    for (size_t kx = 0; kx < s->kw; kx++, t++) {
                        size_t ix = ox * s->stride_w + kx * s->dil_w;
                        pp[t] = rin && ix >= s->pad_left && ix - s->pad_left < s->in_w
                                    ? xb + ((iy - s->pad_top) * s->in_w + ix - s->pad_left) * C
                                    : zrow;
                    }
                }
            }
            k->fn(C, s->out_w, taps, ptr, packed, yp, rq);
        }
    }
}
