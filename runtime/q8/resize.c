/* resize.c: Resize (mode nearest) over NHWC 1-byte tensors: source index per output coordinate
 * with the ONNX coordinate_transformation_mode and nearest_mode, computed in double. The
 * reference computes it per output pixel; oq_q8_resize_nearest computes the column indices once
 * per call (in chunks of 512 on the stack), copies a repeated source row as a whole output row
 * and moves one-byte pixels without memcpy: the same bytes, memory bound. */
#include <math.h>
#include <string.h>

#include "q8.h"

/* Source index along one axis (ONNX Resize reference semantics). */
static size_t src_index(size_t o, size_t in, size_t out, double scale, int coord, int nearest)
{
    double x;
    switch (coord) {
    case 1: x = o / scale; break;                                           /* asymmetric */
    case 2: x = out > 1 ? (double)o * (in - 1) / (out - 1) : 0.0; break;    /* align_corners */
    case 3: x = out > 1 ? (o + 0.5) / scale - 0.5 : 0.0; break;             /* pytorch_half_pixel */
    case 4: x = (o + 0.5) / scale; break;                                /* tf_half_pixel_for_nn */
    default: x = (o + 0.5) / scale - 0.5; break;                            /* half_pixel */
    }
    double r;
    switch (nearest) {
    case 1: r = ceil(x - 0.5) == x - 0.5 ? ceil(x) : round(x); break;        /* round_prefer_ceil */
    case 2: r = floor(x); break;
    case 3: r = ceil(x); break;
    default: r = x - floor(x) == 0.5 ? floor(x) : round(x); break;      /* round_prefer_floor */
    }
    if (r < 0)
        r = 0;
    if (r > (double)(in - 1))
        r = (double)(in - 1);
    return (size_t)r;
}

void oq_q8_resize_nearest_ref(size_t batch, size_t in_h, size_t in_w, size_t c, size_t out_h,
                              size_t out_w, float scale_h, float scale_w, int coord, int nearest,
                              const void *x, void *y)
{
    double sh = scale_h > 0 ? scale_h : (double)out_h / in_h;
    double sw = scale_w > 0 ? scale_w : (double)out_w / in_w;
    uint8_t *dst = y;
    for (size_t b = 0; b < batch; b++)
        for (size_t oy = 0; oy < out_h; oy++) {
            size_t iy = src_index(oy, in_h, out_h, sh, coord, nearest);
            for (size_t ox = 0; ox < out_w; ox++, dst += c) {
                size_t ix = src_index(ox, in_w, out_w, sw, coord, nearest);
                memcpy(dst, (const uint8_t *)x + ((b * in_h + iy) * in_w + ix) * c, c);
            }
        }
}

#define OQ_RESIZE_CHUNK 512

/* One output row from source row `src`: columns [0, out_w) via the source column table. */
static void resize_row(const uint8_t *src, uint8_t *dst, size_t c, size_t out_w, size_t in_w,
                       double sw, int coord, int nearest, size_t *ix, bool ix_full)
{
    for (size_t o0 = 0; o0 < out_w; o0 += OQ_RESIZE_CHUNK) {
        size_t m = out_w - o0 < OQ_RESIZE_CHUNK ? out_w - o0 : OQ_RESIZE_CHUNK;
        if (!ix_full)
            for (size_t j = 0; j < m; j++)
                ix[j] = src_index(o0 + j, in_w, out_w, sw, coord, nearest);
        uint8_t *d = dst + o0 * c;
        if (c == 1)
            for (size_t j = 0; j < m; j++)
                d[j] = src[ix[j]];
        else
            for (size_t j = 0; j < m; j++)
                memcpy(d + j * c, src + ix[j] * c, c);
    }
}

void oq_q8_resize_nearest(size_t batch, size_t in_h, size_t in_w, size_t c, size_t out_h,
                          size_t out_w, float scale_h, float scale_w, int coord, int nearest,
                          const void *x, void *y)
{
    double sh = scale_h > 0 ? scale_h : (double)out_h / in_h;
    double sw = scale_w > 0 ? scale_w : (double)out_w / in_w;
    size_t ix[OQ_RESIZE_CHUNK];
    bool ix_full = out_w <= OQ_RESIZE_CHUNK; /* the table covers every row: fill it once */
    if (ix_full)
        for (size_t j = 0; j < out_w; j++)
            ix[j] = src_index(j, in_w, out_w, sw, coord, nearest);
    const size_t row = out_w * c;
    uint8_t *dst = y;
    for (size_t b = 0; b < batch; b++) {
        size_t prev = (size_t)-1;
        for (size_t oy = 0; oy < out_h; oy++, dst += row) {
            size_t iy = src_index(oy, in_h, out_h, sh, coord, nearest);
            if (iy == prev) {
                memcpy(dst, dst - row, row);
                continue;
            }
            prev = iy;
            resize_row((const uint8_t *)x + (b * in_h + iy) * in_w * c, dst, c, out_w, in_w, sw,
                       coord, nearest, ix, ix_full);
        }
    }
}
