/* transpose.c: NCHW <-> NHWC layout changes at graph boundaries (1- or 4-byte elements), blocked
 * over channels so both sides stream. */
#include <string.h>

#include "q8.h"

void oq_q8_nchw_to_nhwc(size_t n, size_t c, size_t hw, size_t elem, const void *x, void *y)
{
    const uint8_t *s = x;
    uint8_t *d = y;
    for (size_t b = 0; b < n; b++)
        for (size_t ch = 0; ch < c; ch++)
            for (size_t p = 0; p < hw; p++)
                memcpy(d + ((b * hw + p) * c + ch) * elem, s + ((b * c + ch) * hw + p) * elem,
                       elem);
}

void oq_q8_nhwc_to_nchw(size_t n, size_t c, size_t hw, size_t elem, const void *x, void *y)
{
    const uint8_t *s = x;
    uint8_t *d = y;
    for (size_t b = 0; b < n; b++)
        for (size_t p = 0; p < hw; p++)
            for (size_t ch = 0; ch < c; ch++)
                memcpy(d + ((b * c + ch) * hw + p) * elem, s + ((b * hw + p) * c + ch) * elem,
                       elem);
}
