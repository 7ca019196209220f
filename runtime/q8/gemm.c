/* gemm.c: GEMM and batched MatMul drivers over a micro-kernel (cache blocking over N so a panel
 * of packed weights stays in L2 while all rows stream by), plus the unpacked oracles
 * oq_q8_gemm_ref and the general ONNX QLinearMatMul reference. */
#include <string.h>

#include "q8.h"
#include "requant.h"

#define PANEL_BYTES (24u * 1024u) /* packed weights kept hot per N panel */

static size_t esize(const oq_q8_requant *rq) { return rq->mode == OQ_Q8_RQ_S32 ? 4 : 1; }

void oq_q8_gemm_run(const oq_q8_gemm_kernel *k, size_t M, size_t N, size_t K, const uint8_t *a,
                    size_t lda, const void *packed, void *c, size_t ldc, size_t n0,
                    const oq_q8_requant *rq)
{
    assert(k && K >= 1);
    if (!M || !N)
        return;
    size_t bb = oq_q8_block_bytes(k->layout, K), es = esize(rq);
    size_t nblk = PANEL_BYTES / bb / 2 * 2 * OQ_Q8_NR; /* multiple of 32 columns */
    if (nblk < 2 * OQ_Q8_NR)
        nblk = 2 * OQ_Q8_NR;
    for (size_t n = 0; n < N; n += nblk) {
        size_t nc = N - n < nblk ? N - n : nblk;
        const uint8_t *w = (const uint8_t *)packed + n / OQ_Q8_NR * bb;
        for (size_t m = 0; m < M; m += k->mr) {
            size_t mr = M - m < k->mr ? M - m : k->mr;
            k->fn(mr, nc, K, a + m * lda, lda, w, (uint8_t *)c + (m * ldc + n) * es, ldc, n0 + n,
                  rq);
        }
    }
}

void oq_q8_gemm(oq_q8_layout layout, size_t M, size_t N, size_t K, const uint8_t *a, size_t lda,
                const void *packed, void *c, size_t ldc, const oq_q8_requant *rq)
{
    oq_q8_gemm_run(oq_q8_gemm_select(layout), M, N, K, a, lda, packed, c, ldc, 0, rq);
}

void oq_q8_matmul(oq_q8_layout layout, size_t batch, size_t M, size_t N, size_t K,
                  const uint8_t *a, const void *packed, size_t packed_count, void *c,
                  const oq_q8_requant *rq)
{
    assert(packed_count >= 1);
    const oq_q8_gemm_kernel *k = oq_q8_gemm_select(layout);
    size_t ps = oq_q8_packed_size(layout, K, N), es = esize(rq);
    for (size_t b = 0; b < batch; b++)
        oq_q8_gemm_run(k, M, N, K, a + b * M * K, K,
                       (const uint8_t *)packed + b % packed_count * ps,
                       (uint8_t *)c + b * M * N * es, N, 0, rq);
}

void oq_q8_gemm_ref(size_t M, size_t N, size_t K, const uint8_t *a, size_t lda, int32_t a_zp,
                    const int8_t *w, const int32_t *bias, void *c, size_t ldc,
                    const oq_q8_requant *rq)
{
    for (size_t m = 0; m < M; m++)
        for (size_t n = 0; n < N; n++) {
            int32_t acc = bias ? bias[n] : 0;
            for (size_t k = 0; k < K; k++)
                acc += ((int32_t)a[m * lda + k] - a_zp) * w[k * N + n];
            oq_q8_store(rq, c, m * ldc + n, n, acc);
        }
}

void oq_q8_qlinear_matmul_ref(size_t M, size_t N, size_t K, const void *a, oq_q8_dtype a_dt,
                              int32_t a_zp, const void *b, oq_q8_dtype b_dt, const int32_t *b_zp,
                              size_t b_zp_stride, const float *scale, size_t scale_stride,
                              void *y, oq_q8_dtype y_dt, int32_t y_zp)
{
    int32_t lo = y_dt == OQ_Q8_S8 ? -128 : 0, hi = y_dt == OQ_Q8_S8 ? 127 : 255;
    for (size_t m = 0; m < M; m++)
        for (size_t n = 0; n < N; n++) {
            int32_t acc = 0, bz = b_zp[n * b_zp_stride];
            for (size_t k = 0; k < K; k++)
                acc += (oq_q8_ld(a, m * K + k, a_dt) - a_zp) * (oq_q8_ld(b, k * N + n, b_dt) - bz);
            oq_q8_st(y, m * N + n,
                     oq_requantize_fp32(acc, scale[n * scale_stride], y_zp, lo, hi), y_dt);
        }
}
