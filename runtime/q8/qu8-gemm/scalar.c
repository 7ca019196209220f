/* qu8-gemm/scalar.c: the scalar GEMM micro-kernels, the oracle every ISA variant matches bit for
 * bit. Readable on purpose: one accumulator per output element, weights read through the packed
 * layout of q8.h (so they also check the packers), epilogue = oq_q8_store (requant.h). */
#include <string.h>

#include "../q8.h"
#include "../requant.h"
#include "qu8-gemm.h"

/* Weight (k, j) of a packed block's weight area. */
static int32_t wget(const uint8_t *wt, size_t k, size_t j, bool w16)
{
    size_t g = k / 4, t = k % 4;
    if (!w16)
        return (int8_t)wt[(g * OQ_Q8_NR + j) * 4 + t];
    int16_t v;
    memcpy(&v, wt + ((g * OQ_Q8_NR + j) * 4 + t) * 2, 2);
    return v;
}

/* Any mr, nc, kc on either layout. */
static void gemm(size_t mr, size_t nc, size_t kc, const uint8_t *a, size_t a_stride,
                 const void *w, void *c, size_t c_stride, size_t n0, const oq_q8_requant *rq,
                 oq_q8_layout layout)
{
    assert(mr >= 1 && nc >= 1 && kc >= 1);
    size_t bb = oq_q8_block_bytes(layout, kc);
    for (size_t nb = 0; nb < nc; nb += OQ_Q8_NR) {
        const uint8_t *blk = (const uint8_t *)w + nb / OQ_Q8_NR * bb;
        for (size_t j = 0; j < OQ_Q8_NR && nb + j < nc; j++) {
            int32_t bias;
            memcpy(&bias, blk + 4 * j, 4);
            for (size_t i = 0; i < mr; i++) {
                int32_t acc = bias;
                for (size_t k = 0; k < kc; k++)
                    acc += (int32_t)a[i * a_stride + k] *
                           wget(blk + 128, k, j, layout == OQ_Q8_LAYOUT_N16K4W16);
                oq_q8_store(rq, c, i * c_stride + nb + j, n0 + nb + j, acc);
            }
        }
    }
}

void oq_qu8_gemm_minmax_ukernel_4x16c4__scalar(size_t mr, size_t nc, size_t kc, const uint8_t *a,
                                               size_t a_stride, const void *w, void *c,
                                               size_t c_stride, size_t n0, const oq_q8_requant *rq)
{
    gemm(mr, nc, kc, a, a_stride, w, c, c_stride, n0, rq, OQ_Q8_LAYOUT_N16K4);
}

void oq_qu8_gemm_minmax_ukernel_4x16c4w16__scalar(size_t mr, size_t nc, size_t kc,
                                                  const uint8_t *a, size_t a_stride, const void *w,
                                                  void *c, size_t c_stride, size_t n0,
                                                  const oq_q8_requant *rq)
{
    gemm(mr, nc, kc, a, a_stride, w, c, c_stride, n0, rq, OQ_Q8_LAYOUT_N16K4W16);
}
