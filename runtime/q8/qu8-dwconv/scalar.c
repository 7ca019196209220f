/* qu8-dwconv/scalar.c: the scalar depthwise micro-kernel, the oracle of the family: one output
 * pixel, every channel, acc = bias'[c] + sum_t in[t][c] * w[t][c], then oq_q8_store. */
#include <string.h>

#include "../q8.h"
#include "../requant.h"
#include "qu8-dwconv.h"

void oq_qu8_dwconv_minmax_ukernel_up1xN__scalar(size_t channels, size_t pixels, size_t taps,
                                                const uint8_t *const *in, const void *packed,
                                                void *out, const oq_q8_requant *rq)
{
    assert(channels >= 1 && taps >= 1);
    size_t cp = (channels + 15) / 16 * 16;
    const int16_t *w = (const int16_t *)((const uint8_t *)packed + cp * 4);
    for (size_t px = 0; px < pixels; px++, in += taps)
        for (size_t c = 0; c < channels; c++) {
            int32_t acc;
            memcpy(&acc, (const uint8_t *)packed + 4 * c, 4);
            for (size_t t = 0; t < taps; t++)
                acc += (int32_t)in[t][c] * w[((t / 2) * cp + c) * 2 + t % 2];
            oq_q8_store(rq, out, px * channels + c, c, acc);
        }
}
