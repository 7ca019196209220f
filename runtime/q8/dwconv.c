/* dwconv.c: depthwise convolution driver (NHWC). For each output pixel it builds the kh*kw input
 * row pointers (indirection; taps in the padding point at a row of zero-point bytes held in the
 * workspace) and calls the micro-kernel, which covers every channel. Stride and dilation live
 * only here, so the kernels serve stride 1, 2 and any other. */
#include <string.h>

#include "q8.h"

size_t oq_q8_dw_workspace_size(const oq_q8_conv_shape *s)
{
    return (s->in_c + 63) / 64 * 64 + s->kh * s->kw * sizeof(const uint8_t *);
}

void oq_q8_dwconv(const oq_q8_dw_kernel *k, const oq_q8_conv_shape *s, const uint8_t *x,
                  int32_t x_zp, const void *packed, void *y, const oq_q8_requant *rq,
                  void *workspace)
{
    size_t C = s->in_c, taps = s->kh * s->kw, es = rq->mode == OQ_Q8_RQ_S32 ? 4 : 1;
    if (!k)
        k = oq_q8_dw_select(taps);
    uint8_t *zrow = workspace;
    const uint8_t **ptr = (const uint8_t **)(zrow + (C + 63) / 64 * 64);
    memset(zrow, x_zp, C);
    uint8_t *yp = y;
    for (size_t b = 0; b < s->batch; b++) {
        const uint8_t *xb = x + b * s->in_h * s->in_w * C;
        for (size_t oy = 0; oy < s->out_h; oy++)
            for (size_t ox = 0; ox < s->out_w; ox++, yp += C * es) {
                size_t t = 0;
                for (size_t ky = 0; ky < s->kh; ky++) {
                    size_t iy = oy * s->stride_h + ky * s->dil_h;
                    bool yin = iy >= s->pad_top && iy - s->pad_top < s->in_h;
                    for (size_t kx = 0; kx < s->kw; kx++, t++) {
                        size_t ix = ox * s->stride_w + kx * s->dil_w;
                        ptr[t] = yin && ix >= s->pad_left && ix - s->pad_left < s->in_w
                                     ? xb + ((iy - s->pad_top) * s->in_w + ix - s->pad_left) * C
                                     : zrow;
                    }
                }
                k->fn(C, taps, ptr, packed, yp, rq);
            }
    }
}
