/* AVX2+FMA fp32 micro-kernels: the 6x16 GEMM tile (12 ymm accumulators, 2 B loads and 6
 * broadcasts per k) and the depthwise channel kernel (4 ymm of output width per pass).
 * Compiled with -mavx2 -mfma; only reached through dispatch when the CPU has both. */
#include "f32_internal.h"

#include <immintrin.h>

#define MR 6
#define NR 16

/* 6x16 tile; epilogue as oq_f32_ukparams says. */
static void gemm_6x16(size_t kc, const float *a, const float *b, float *c, size_t ldc,
                      const oq_f32_ukparams *p)
{
    __m256 acc[MR][2];
    _Pragma("GCC unroll 16")
    for (int i = 0; i < MR; i++)
        acc[i][0] = acc[i][1] = _mm256_setzero_ps();
    for (size_t k = 0; k < kc; k++, a += MR, b += NR) {
        __m256 b0 = _mm256_loadu_ps(b), b1 = _mm256_loadu_ps(b + 8);
        _Pragma("GCC unroll 16")
        for (int i = 0; i < MR; i++) {
            __m256 ai = _mm256_broadcast_ss(a + i);
            acc[i][0] = _mm256_fmadd_ps(ai, b0, acc[i][0]);
            acc[i][1] = _mm256_fmadd_ps(ai, b1, acc[i][1]);
        }
    }
    __m256 alpha = _mm256_set1_ps(p->alpha), beta = _mm256_set1_ps(p->beta);
    __m256 lo = _mm256_set1_ps(p->lo), hi = _mm256_set1_ps(p->hi);
    bool scale = p->alpha != 1.0f, first = p->first, usebeta = p->first && p->beta != 0.0f;
    __m256 bn0 = _mm256_setzero_ps(), bn1 = _mm256_setzero_ps();
    if (first && p->bias_n) {
        bn0 = _mm256_loadu_ps(p->bias_n);
        bn1 = _mm256_loadu_ps(p->bias_n + 8);
    }
    _Pragma("GCC unroll 16")
    for (int i = 0; i < MR; i++) {
        float *ci = c + (size_t)i * ldc;
        __m256 v0 = acc[i][0], v1 = acc[i][1];
        if (scale) {
            v0 = _mm256_mul_ps(v0, alpha);
            v1 = _mm256_mul_ps(v1, alpha);
        }
        if (first) {
            if (usebeta) {
                v0 = _mm256_fmadd_ps(beta, _mm256_loadu_ps(ci), v0);
                v1 = _mm256_fmadd_ps(beta, _mm256_loadu_ps(ci + 8), v1);
            }
            if (p->bias_m) {
                __m256 bm = _mm256_broadcast_ss(p->bias_m + i);
                v0 = _mm256_add_ps(v0, bm);
                v1 = _mm256_add_ps(v1, bm);
            }
            v0 = _mm256_add_ps(v0, bn0);
            v1 = _mm256_add_ps(v1, bn1);
        } else {
            v0 = _mm256_add_ps(v0, _mm256_loadu_ps(ci));
            v1 = _mm256_add_ps(v1, _mm256_loadu_ps(ci + 8));
        }
        if (p->clamp) {
            v0 = _mm256_min_ps(_mm256_max_ps(v0, lo), hi);
            v1 = _mm256_min_ps(_mm256_max_ps(v1, lo), hi);
        }
        _mm256_storeu_ps(ci, v0);
        _mm256_storeu_ps(ci + 8, v1);
    }
}

/* Mask with the first n (0..8) lanes set. */
static __m256i lane_mask(size_t n)
{
    static const int32_t m[16] = {-1, -1, -1, -1, -1, -1, -1, -1, 0, 0, 0, 0, 0, 0, 0, 0};
    return _mm256_loadu_si256((const __m256i *)(m + 8 - n));
}

/* Depthwise channel: U ymm of outputs per pass, taps innermost. */
static void dw_avx2(const oq_f32_dw_args *a)
{
    enum { U = 4 };
    __m256 lo = _mm256_set1_ps(a->lo), hi = _mm256_set1_ps(a->hi);
    __m256 bias = _mm256_set1_ps(a->bias);
    size_t KH = a->KH, KW = a->KW;
    for (size_t oh = 0; oh < a->OH; oh++) {
        float *yr = a->y + oh * a->OW;
        for (size_t ow = 0; ow < a->OW; ow += 8 * U) {
            __m256 acc[U];
            _Pragma("GCC unroll 16")
            for (int u = 0; u < U; u++)
                acc[u] = bias;
            size_t left = a->OW - ow, nv = left >= 8 * U ? U : (left + 7) / 8;
            for (size_t kh = 0; kh < KH; kh++) {
                size_t r = oh * a->sh + kh * a->dh;
                for (size_t kw = 0; kw < KW; kw++) {
                    size_t off = kw * a->dw;
                    const float *pl = a->planes + (off % a->sw) * a->pstride + r * a->wq + ow +
                                      off / a->sw;
                    __m256 w = _mm256_broadcast_ss(a->w + kh * KW + kw);
                    if (nv == U) {
                        _Pragma("GCC unroll 16")
                        for (int u = 0; u < U; u++)
                            acc[u] = _mm256_fmadd_ps(w, _mm256_loadu_ps(pl + 8 * u), acc[u]);
                    } else {
                        for (size_t u = 0; u < nv; u++)
                            acc[u] = _mm256_fmadd_ps(w, _mm256_loadu_ps(pl + 8 * u), acc[u]);
                    }
                }
            }
            for (size_t u = 0; u < nv; u++) {
                __m256 v = acc[u];
                if (a->clamp)
                    v = _mm256_min_ps(_mm256_max_ps(v, lo), hi);
                size_t o = ow + 8 * u, n = a->OW - o;
                if (n >= 8)
                    _mm256_storeu_ps(yr + o, v);
                else
                    _mm256_maskstore_ps(yr + o, lane_mask(n), v);
            }
        }
    }
}

const oq_f32_kernels oq_f32_kernels_avx2 = {OQ_F32_AVX2, MR, NR, gemm_6x16, dw_avx2};
