/* AVX2+FMA fp32 micro-kernels: the 6x16 GEMM tile (12 ymm accumulators, 2 B loads and 6
 * broadcasts per k) and the depthwise channel kernel (4 ymm of output width per pass).
 * Compiled with -mavx2 -mfma; only reached through dispatch when the CPU has both. */
#include "../target.h"
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && OQ_WITH_AVX2
/* AVX2+FMA enabled for this file alone, so that it builds with plain `cc -O2` too */
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx2,fma"))), apply_to = function)
#else
#pragma GCC target("avx2,fma")
#endif
#include "f32_internal.h"

#include <immintrin.h>

#define MR 6
#define NR 16

/* 6x16 tile; epilogue as oq_f32_ukparams says. */
static void oq_f32_gemm_minmax_ukernel_6x16__avx2(size_t kc, const float *a, const float *b,
                                                  float *c, size_t ldc, const oq_f32_ukparams *p)
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

/* Depthwise channel: 32 outputs (ymm x 4) per pass with taps innermost, then single-ymm
 * passes for the rest of the row (masked store at the end). */
static void oq_f32_dwconv_minmax_ukernel_1x32__avx2(const oq_f32_dw_args *a)
{
    enum { U = 4 };
    __m256 lo = _mm256_set1_ps(a->lo), hi = _mm256_set1_ps(a->hi);
    __m256 bias = _mm256_set1_ps(a->bias);
    if (a->ntaps == 9) {       /* 3x3: taps and offsets in registers, one ymm per step */
        __m256 w[9];
        size_t to[9];
        _Pragma("GCC unroll 9")
        for (int t = 0; t < 9; t++)
            w[t] = _mm256_set1_ps(a->w[t]), to[t] = a->toff[t];
        for (size_t oh = 0; oh < a->OH; oh++) {
            float *yr = a->y + oh * a->OW;
            const float *base = a->planes + oh * a->rstride;
            for (size_t ow = 0; ow < a->OW; ow += 8) {
                const float *b = base + ow;
                __m256 v0 = _mm256_fmadd_ps(w[0], _mm256_loadu_ps(b + to[0]), bias);
                __m256 v1 = _mm256_mul_ps(w[1], _mm256_loadu_ps(b + to[1]));
                __m256 v2 = _mm256_mul_ps(w[2], _mm256_loadu_ps(b + to[2]));
                v0 = _mm256_fmadd_ps(w[3], _mm256_loadu_ps(b + to[3]), v0);
                v1 = _mm256_fmadd_ps(w[4], _mm256_loadu_ps(b + to[4]), v1);
                v2 = _mm256_fmadd_ps(w[5], _mm256_loadu_ps(b + to[5]), v2);
                v0 = _mm256_fmadd_ps(w[6], _mm256_loadu_ps(b + to[6]), v0);
                v1 = _mm256_fmadd_ps(w[7], _mm256_loadu_ps(b + to[7]), v1);
                v2 = _mm256_fmadd_ps(w[8], _mm256_loadu_ps(b + to[8]), v2);
                __m256 v = _mm256_add_ps(v0, _mm256_add_ps(v1, v2));
                if (a->clamp)
                    v = _mm256_min_ps(_mm256_max_ps(v, lo), hi);
                size_t n = a->OW - ow;
                if (n >= 8)
                    _mm256_storeu_ps(yr + ow, v);
                else
                    _mm256_maskstore_ps(yr + ow, lane_mask(n), v);
            }
        }
        return;
    }
    for (size_t oh = 0; oh < a->OH; oh++) {
        float *yr = a->y + oh * a->OW;
        const float *base = a->planes + oh * a->rstride;
        size_t ow = 0;
        for (; ow + 8 * U <= a->OW; ow += 8 * U) {
            __m256 acc[U];
            _Pragma("GCC unroll 16")
            for (int u = 0; u < U; u++)
                acc[u] = bias;
            for (size_t t = 0; t < a->ntaps; t++) {
                const float *pl = base + ow + a->toff[t];
                __m256 w = _mm256_set1_ps(a->w[t]);
                _Pragma("GCC unroll 16")
                for (int u = 0; u < U; u++)
                    acc[u] = _mm256_fmadd_ps(w, _mm256_loadu_ps(pl + 8 * u), acc[u]);
            }
            _Pragma("GCC unroll 16")
            for (int u = 0; u < U; u++) {
                __m256 v = acc[u];
                if (a->clamp)
                    v = _mm256_min_ps(_mm256_max_ps(v, lo), hi);
                _mm256_storeu_ps(yr + ow + 8 * u, v);
            }
        }
        for (; ow < a->OW; ow += 8) {
            __m256 v = bias;
            for (size_t t = 0; t < a->ntaps; t++)
                v = _mm256_fmadd_ps(_mm256_set1_ps(a->w[t]),
                                    _mm256_loadu_ps(base + ow + a->toff[t]), v);
            if (a->clamp)
                v = _mm256_min_ps(_mm256_max_ps(v, lo), hi);
            size_t n = a->OW - ow;
            if (n >= 8)
                _mm256_storeu_ps(yr + ow, v);
            else
                _mm256_maskstore_ps(yr + ow, lane_mask(n), v);
        }
    }
}

/* Stride-2 row split: 16 floats -> 8 even + 8 odd per step (shuffle + lane permute). */
static void oq_f32_deint2_ukernel_x8__avx2(const float *src, float *even, size_t ne, float *odd,
                                           size_t no)
{
    size_t i = 0;
    for (; i + 8 <= no; i += 8, src += 16) {
        __m256 a = _mm256_loadu_ps(src), b = _mm256_loadu_ps(src + 8);
        __m256 e = _mm256_shuffle_ps(a, b, 0x88), o = _mm256_shuffle_ps(a, b, 0xdd);
        e = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(e), 0xd8));
        o = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(o), 0xd8));
        _mm256_storeu_ps(even + i, e);
        _mm256_storeu_ps(odd + i, o);
    }
    oq_f32_deint2_ukernel_x1__scalar(src, even + i, ne - i, odd + i, no - i);
}

/* Row -> B panels (any nr): unit stride (or zeros) with masked ymm moves; else scalar. */
static void oq_f32_put_ukernel_x8__avx2(float *dst, size_t ps, unsigned nr, size_t col,
                                        const float *src, size_t n, size_t stride)
{
    if (nr > 32 || (src && stride != 1)) {
        oq_f32_put_ukernel_x1__scalar(dst, ps, nr, col, src, n, stride);
        return;
    }
    const __m256 z = _mm256_setzero_ps();
    while (n > 0) {
        size_t lane = col % nr, k = nr - lane < n ? nr - lane : n;
        float *d = dst + (col / nr) * ps + lane;
        for (size_t i = 0; i < k; i += 8) {
            size_t r = k - i;
            if (r >= 8) {
                _mm256_storeu_ps(d + i, src ? _mm256_loadu_ps(src + i) : z);
            } else {
                __m256i m = lane_mask(r);
                _mm256_maskstore_ps(d + i, m, src ? _mm256_maskload_ps(src + i, m) : z);
            }
        }
        if (src)
            src += k;
        col += k;
        n -= k;
    }
}

/* Rows of put (inlined per row). */
static void oq_f32_put2d_ukernel_x8__avx2(float *dst, size_t ps, unsigned nr, size_t col,
                                          const float *src, size_t rows, size_t len, size_t rstride,
                                          size_t stride)
{
    for (size_t r = 0; r < rows; r++, col += len, src += rstride)
        oq_f32_put_ukernel_x8__avx2(dst, ps, nr, col, src, len, stride);
}

const oq_f32_kernels oq_f32_kernels_avx2 = {
    OQ_F32_AVX2, MR, NR, oq_f32_gemm_minmax_ukernel_6x16__avx2,
    oq_f32_dwconv_minmax_ukernel_1x32__avx2, oq_f32_deint2_ukernel_x8__avx2,
    oq_f32_put_ukernel_x8__avx2, oq_f32_put2d_ukernel_x8__avx2, oq_f32_gatherp_ukernel_x1__scalar,
};
#if defined(__clang__)
#pragma clang attribute pop
#endif
#else
typedef int oq_rt_empty_unit; /* ISO C: no empty file */
#endif
