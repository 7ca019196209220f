/* dwconv.c: depthwise convolution driver (NHWC). Output rows whose windows are inside the image
 * vertically run their horizontal interior through the kernel's row companion (taps addressed
 * by strides, no pointers) and their border pixels through the pointer micro-kernel; the other
 * rows build the kh*kw input pointers of every pixel (taps in the padding point at a row of
 * zero-point bytes held in the workspace). Stride and dilation are plain parameters, so the
 * kernels serve stride 1, 2 and any other. */
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

/* Fills the tap pointers of output pixels [x0, x1) of output row oy (padded taps -> zrow). */
static void pointers(const oq_q8_conv_shape *s, const uint8_t *xb, const uint8_t *zrow,
                     const ptrdiff_t *offs, size_t oy, size_t x0, size_t x1, const uint8_t **ptr)
{
    size_t C = s->in_c, taps = s->kh * s->kw;
    bool yin = inside(oy, s->stride_h, s->pad_top, s->kh, s->dil_h, s->in_h);
    for (size_t ox = x0; ox < x1; ox++) {
        const uint8_t **pp = ptr + (ox - x0) * taps;
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
    /* columns [xa, xb) have every tap inside the image horizontally */
    size_t xa = (s->pad_left + s->stride_w - 1) / s->stride_w, xe = 0;
    size_t span = (s->kw - 1) * s->dil_w;
    if (s->in_w + s->pad_left >= span + 1)
        xe = (s->in_w + s->pad_left - span - 1) / s->stride_w + 1;
    xe = xe < s->out_w ? xe : s->out_w;
    xa = xa < xe ? xa : xe;
    bool use_row = k->row && taps <= 64 && xe > xa;
    /* Border pixels are queued (ptr holds up to out_w of them) and run through the pointer
     * kernel in one call per contiguous output run: the right border of a row and the left
     * border of the next are adjacent in the output, so most calls cover 2+ pixels and the
     * kernel's per-call weight loads are shared. */
    uint8_t *yp = y, *qy = NULL;
    size_t qn = 0;
#define FLUSH()                                                                                   \
    do {                                                                                          \
        if (qn)                                                                                   \
            k->fn(C, qn, taps, ptr, packed, qy, rq);                                              \
        qn = 0;                                                                                   \
    } while (0)
#define QUEUE(oy, x0, x1)                                                                         \
    do {                                                                                          \
        if (qn + (x1) - (x0) > s->out_w)                                                          \
            FLUSH();                                                                              \
        if (!qn)                                                                                  \
            qy = yp + (x0) * C * es;                                                              \
        pointers(s, xb, zrow, offs, oy, x0, x1, ptr + qn * taps);                                 \
        qn += (x1) - (x0);                                                                        \
    } while (0)
    for (size_t b = 0; b < s->batch; b++) {
        const uint8_t *xb = x + b * s->in_h * s->in_w * C;
        for (size_t oy = 0; oy < s->out_h; oy++, yp += s->out_w * C * es) {
            if (!use_row || !inside(oy, s->stride_h, s->pad_top, s->kh, s->dil_h, s->in_h)) {
                QUEUE(oy, 0, s->out_w);
                continue;
            }
            if (xa > 0)
                QUEUE(oy, 0, xa);
            FLUSH();
            const uint8_t *x0 = xb + ((oy * s->stride_h - s->pad_top) * s->in_w +
                                      xa * s->stride_w - s->pad_left) * C;
            k->row(C, xe - xa, s->kh, s->kw, x0, s->stride_w * C, s->dil_h * s->in_w * C,
                   s->dil_w * C, packed, yp + xa * C * es, rq);
            if (xe < s->out_w)
                QUEUE(oy, xe, s->out_w);
        }
        FLUSH();
    }
#undef QUEUE
#undef FLUSH
}
