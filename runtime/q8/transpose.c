/* transpose.c: NCHW <-> NHWC layout changes at graph boundaries (1- or 4-byte elements). The
 * *_ref functions are the plain definition; the public ones move 1-byte elements with the
 * element-wise kernel table (64-pixel strips, so the c input rows and the output stream through
 * cache) and 4-byte elements with the same strips on uint32_t; one channel or one pixel is a
 * plain copy. */
#include <string.h>

#include "q8.h"
#include "qu8-eltwise/qu8-eltwise.h"

void oq_q8_nchw_to_nhwc_ref(size_t n, size_t c, size_t hw, size_t elem, const void *x, void *y)
{
    const uint8_t *s = x;
    uint8_t *d = y;
    for (size_t b = 0; b < n; b++)
        for (size_t ch = 0; ch < c; ch++)
            for (size_t p = 0; p < hw; p++)
                memcpy(d + ((b * hw + p) * c + ch) * elem, s + ((b * c + ch) * hw + p) * elem,
                       elem);
}

void oq_q8_nhwc_to_nchw_ref(size_t n, size_t c, size_t hw, size_t elem, const void *x, void *y)
{
    const uint8_t *s = x;
    uint8_t *d = y;
    for (size_t b = 0; b < n; b++)
        for (size_t p = 0; p < hw; p++)
            for (size_t ch = 0; ch < c; ch++)
                memcpy(d + ((b * c + ch) * hw + p) * elem, s + ((b * hw + p) * c + ch) * elem,
                       elem);
}

/* One image of 4-byte elements; to_hwc selects the direction. */
static void transpose32(size_t c, size_t hw, const uint8_t *x, uint8_t *y, bool to_hwc)
{
    for (size_t p0 = 0; p0 < hw; p0 += 64) {
        size_t pe = p0 + 64 < hw ? p0 + 64 : hw;
        for (size_t ch = 0; ch < c; ch++)
            for (size_t p = p0; p < pe; p++) {
                size_t chw = (ch * hw + p) * 4, hwc = (p * c + ch) * 4;
                memcpy(y + (to_hwc ? hwc : chw), x + (to_hwc ? chw : hwc), 4);
            }
    }
}

void oq_q8_nchw_to_nhwc_with(const oq_q8_elt_ukernels *k, size_t n, size_t c, size_t hw,
                             size_t elem, const void *x, void *y)
{
    if (c == 1 || hw == 1) { /* the same bytes in both layouts */
        memmove(y, x, n * c * hw * elem);
        return;
    }
    if (elem != 1 && elem != 4) {
        oq_q8_nchw_to_nhwc_ref(n, c, hw, elem, x, y);
        return;
    }
    for (size_t b = 0; b < n; b++) {
        const uint8_t *s = (const uint8_t *)x + b * c * hw * elem;
        uint8_t *d = (uint8_t *)y + b * c * hw * elem;
        if (elem == 1)
            k->chw_to_hwc8(c, hw, s, d);
        else
            transpose32(c, hw, s, d, true);
    }
}

void oq_q8_nhwc_to_nchw_with(const oq_q8_elt_ukernels *k, size_t n, size_t c, size_t hw,
                             size_t elem, const void *x, void *y)
{
    if (c == 1 || hw == 1) { /* the same bytes in both layouts */
        memmove(y, x, n * c * hw * elem);
        return;
    }
    if (elem != 1 && elem != 4) {
        oq_q8_nhwc_to_nchw_ref(n, c, hw, elem, x, y);
        return;
    }
    for (size_t b = 0; b < n; b++) {
        const uint8_t *s = (const uint8_t *)x + b * c * hw * elem;
        uint8_t *d = (uint8_t *)y + b * c * hw * elem;
        if (elem == 1)
            k->hwc_to_chw8(c, hw, s, d);
        else
            transpose32(c, hw, s, d, false);
    }
}

void oq_q8_nchw_to_nhwc(size_t n, size_t c, size_t hw, size_t elem, const void *x, void *y)
{
    oq_q8_nchw_to_nhwc_with(oq_q8_elt(), n, c, hw, elem, x, y);
}

void oq_q8_nhwc_to_nchw(size_t n, size_t c, size_t hw, size_t elem, const void *x, void *y)
{
    oq_q8_nhwc_to_nchw_with(oq_q8_elt(), n, c, hw, elem, x, y);
}
