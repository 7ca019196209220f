/* Scalar fp32 micro-kernels: the 4x8 GEMM tile, a generic mr x nr tile (for panels packed for
 * another ISA) and the depthwise channel kernel. Portable C; these are the oracles the vector
 * variants are tested against (with a tolerance: summation order differs). */
#include "f32_internal.h"

/* acc[i][j] = sum_k a[k*mr+i] * b[k*nr+j], then the epilogue of oq_f32_ukparams. */
static inline void tile_impl(unsigned mr, unsigned nr, size_t kc, const float *a, const float *b,
                             float *c, size_t ldc, const oq_f32_ukparams *p)
{
    float acc[OQ_F32_MAX_MR][OQ_F32_MAX_NR];
    for (unsigned i = 0; i < mr; i++)
        for (unsigned j = 0; j < nr; j++)
            acc[i][j] = 0.0f;
    for (size_t k = 0; k < kc; k++, a += mr, b += nr)
        for (unsigned i = 0; i < mr; i++)
            for (unsigned j = 0; j < nr; j++)
                acc[i][j] += a[i] * b[j];
    for (unsigned i = 0; i < mr; i++)
        for (unsigned j = 0; j < nr; j++) {
            float v = acc[i][j];
            if (p->alpha != 1.0f)
                v *= p->alpha;
            if (p->first) {
                if (p->beta != 0.0f)
                    v += p->beta * c[i * ldc + j];
                if (p->bias_m)
                    v += p->bias_m[i];
                if (p->bias_n)
                    v += p->bias_n[j];
            } else {
                v += c[i * ldc + j];
            }
            if (p->clamp)
                v = v < p->lo ? p->lo : v > p->hi ? p->hi : v;
            c[i * ldc + j] = v;
        }
}

/* 4x8 tile: accumulators in a tile-sized local array (kept in registers), then the epilogue. */
static void oq_f32_gemm_minmax_ukernel_4x8__scalar(size_t kc, const float *a, const float *b,
                                                   float *c, size_t ldc, const oq_f32_ukparams *p)
{
    float acc[4][8] = {{0}};
    for (size_t k = 0; k < kc; k++, a += 4, b += 8)
        for (int i = 0; i < 4; i++)
            for (int j = 0; j < 8; j++)
                acc[i][j] += a[i] * b[j];
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 8; j++) {
            float v = acc[i][j];
            if (p->alpha != 1.0f)
                v *= p->alpha;
            if (p->first) {
                if (p->beta != 0.0f)
                    v += p->beta * c[i * ldc + j];
                if (p->bias_m)
                    v += p->bias_m[i];
                if (p->bias_n)
                    v += p->bias_n[j];
            } else {
                v += c[i * ldc + j];
            }
            if (p->clamp)
                v = v < p->lo ? p->lo : v > p->hi ? p->hi : v;
            c[i * ldc + j] = v;
        }
}

/* Any mr x nr tile up to the maxima. */
void oq_f32_gemm_minmax_ukernel_mrxnr__scalar(unsigned mr, unsigned nr, size_t kc, const float *a,
                                              const float *b, float *c, size_t ldc,
                                              const oq_f32_ukparams *p)
{
    tile_impl(mr, nr, kc, a, b, c, ldc, p);
}

/* Depthwise channel, plain loops over (oh, ow, tap). */
void oq_f32_dwconv_minmax_ukernel_1x1__scalar(const oq_f32_dw_args *a)
{
    for (size_t oh = 0; oh < a->OH; oh++) {
        const float *base = a->planes + oh * a->rstride;
        for (size_t ow = 0; ow < a->OW; ow++) {
            float v = a->bias;
            for (size_t t = 0; t < a->ntaps; t++)
                v += a->w[t] * base[a->toff[t] + ow];
            if (a->clamp)
                v = v < a->lo ? a->lo : v > a->hi ? a->hi : v;
            a->y[oh * a->OW + ow] = v;
        }
    }
}

/* Stride-2 row split, plain loops. */
void oq_f32_deint2_ukernel_x1__scalar(const float *src, float *even, size_t ne, float *odd,
                                      size_t no)
{
    for (size_t i = 0; i < ne; i++)
        even[i] = src[2 * i];
    for (size_t i = 0; i < no; i++)
        odd[i] = src[2 * i + 1];
}

/* Row -> B panels, plain loops. */
void oq_f32_put_ukernel_x1__scalar(float *dst, size_t ps, unsigned nr, size_t col, const float *src,
                                   size_t n, size_t stride)
{
    while (n > 0) {
        size_t lane = col % nr, k = nr - lane < n ? nr - lane : n;
        float *d = dst + (col / nr) * ps + lane;
        if (src) {
            for (size_t i = 0; i < k; i++)
                d[i] = src[i * stride];
            src += k * stride;
        } else {
            for (size_t i = 0; i < k; i++)
                d[i] = 0.0f;
        }
        col += k;
        n -= k;
    }
}

/* Rows of put(). */
void oq_f32_put2d_ukernel_x1__scalar(float *dst, size_t ps, unsigned nr, size_t col,
                                     const float *src, size_t rows, size_t len, size_t rstride,
                                     size_t stride)
{
    for (size_t r = 0; r < rows; r++, col += len, src += rstride)
        oq_f32_put_ukernel_x1__scalar(dst, ps, nr, col, src, len, stride);
}

/* Offset-table gather into panels, plain loops. */
void oq_f32_gatherp_ukernel_x1__scalar(float *dst, size_t ps, unsigned nr, const float *base,
                                       const int32_t *off, size_t n)
{
    size_t i = 0;
    for (; i < n; i++)
        dst[(i / nr) * ps + i % nr] = base[off[i]];
    for (; i % nr; i++)
        dst[(i / nr) * ps + i % nr] = 0.0f;
}

const oq_f32_kernels oq_f32_kernels_scalar = {
    OQ_F32_SCALAR, 4, 8, oq_f32_gemm_minmax_ukernel_4x8__scalar,
    oq_f32_dwconv_minmax_ukernel_1x1__scalar, oq_f32_deint2_ukernel_x1__scalar,
    oq_f32_put_ukernel_x1__scalar, oq_f32_put2d_ukernel_x1__scalar,
    oq_f32_gatherp_ukernel_x1__scalar,
};
