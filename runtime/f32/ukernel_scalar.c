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

/* 4x8 tile. */
static void gemm_4x8(size_t kc, const float *a, const float *b, float *c, size_t ldc,
                     const oq_f32_ukparams *p)
{
    tile_impl(4, 8, kc, a, b, c, ldc, p);
}

/* Any mr x nr tile up to the maxima. */
void oq_f32_ukernel_generic(unsigned mr, unsigned nr, size_t kc, const float *a, const float *b,
                            float *c, size_t ldc, const oq_f32_ukparams *p)
{
    tile_impl(mr, nr, kc, a, b, c, ldc, p);
}

/* Depthwise channel, plain loops over (oh, ow, kh, kw). */
void oq_f32_dw_scalar(const oq_f32_dw_args *a)
{
    for (size_t oh = 0; oh < a->OH; oh++)
        for (size_t ow = 0; ow < a->OW; ow++) {
            float v = a->bias;
            for (size_t kh = 0; kh < a->KH; kh++) {
                size_t r = oh * a->sh + kh * a->dh;
                for (size_t kw = 0; kw < a->KW; kw++) {
                    size_t off = kw * a->dw;
                    const float *pl = a->planes + (off % a->sw) * a->pstride + r * a->wq;
                    v += a->w[kh * a->KW + kw] * pl[ow + off / a->sw];
                }
            }
            if (a->clamp)
                v = v < a->lo ? a->lo : v > a->hi ? a->hi : v;
            a->y[oh * a->OW + ow] = v;
        }
}

const oq_f32_kernels oq_f32_kernels_scalar = {OQ_F32_SCALAR, 4, 8, gemm_4x8, oq_f32_dw_scalar};
