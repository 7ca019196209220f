/* AVX-512F fp32 micro-kernels: the 8x32 GEMM tile (16 zmm accumulators, 2 B loads and 8
 * broadcasts per k, A prefetched ahead; MR = 8 divides the usual channel counts) and the
 * depthwise channel kernel (4 zmm of output width per pass, masked tail stores).
 * Compiled with -mavx512f/bw/vl; only reached through dispatch. */
#include "../target.h"
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__)) && OQ_WITH_AVX512
/* AVX-512 F/BW/VL enabled for this file alone, so that it builds with plain `cc -O2` too */
#if defined(__clang__)
#pragma clang attribute push(__attribute__((target("avx512f,avx512bw,avx512vl,avx2,fma"))), apply_to = function)
#else
#pragma GCC target("avx512f,avx512bw,avx512vl,avx2,fma")
#endif
#include "f32_internal.h"

#include <immintrin.h>

#define MR 8
#define NR 32

/* 8x32 tile; epilogue as oq_f32_ukparams says. */
static void oq_f32_gemm_minmax_ukernel_8x32__avx512(size_t kc, const float *a, const float *b,
                                                    float *c, size_t ldc, const oq_f32_ukparams *p)
{
    __m512 acc[MR][2];
    _Pragma("GCC unroll 16")
    for (int i = 0; i < MR; i++)
        acc[i][0] = acc[i][1] = _mm512_setzero_ps();
    for (size_t k = 0; k < kc; k++, a += MR, b += NR) {
        _mm_prefetch((const char *)(a + 16 * MR), _MM_HINT_T0);
        __m512 b0 = _mm512_loadu_ps(b), b1 = _mm512_loadu_ps(b + 16);
        _Pragma("GCC unroll 16")
        for (int i = 0; i < MR; i++) {
            __m512 ai = _mm512_set1_ps(a[i]);
            acc[i][0] = _mm512_fmadd_ps(ai, b0, acc[i][0]);
            acc[i][1] = _mm512_fmadd_ps(ai, b1, acc[i][1]);
        }
    }
    __m512 alpha = _mm512_set1_ps(p->alpha), beta = _mm512_set1_ps(p->beta);
    __m512 lo = _mm512_set1_ps(p->lo), hi = _mm512_set1_ps(p->hi);
    bool scale = p->alpha != 1.0f, first = p->first, usebeta = p->first && p->beta != 0.0f;
    __m512 bn0 = _mm512_setzero_ps(), bn1 = _mm512_setzero_ps();
    if (first && p->bias_n) {
        bn0 = _mm512_loadu_ps(p->bias_n);
        bn1 = _mm512_loadu_ps(p->bias_n + 16);
    }
    _Pragma("GCC unroll 16")
    for (int i = 0; i < MR; i++) {
        float *ci = c + (size_t)i * ldc;
        __m512 v0 = acc[i][0], v1 = acc[i][1];
        if (scale) {
            v0 = _mm512_mul_ps(v0, alpha);
            v1 = _mm512_mul_ps(v1, alpha);
        }
        if (first) {
            if (usebeta) {
                v0 = _mm512_fmadd_ps(beta, _mm512_loadu_ps(ci), v0);
                v1 = _mm512_fmadd_ps(beta, _mm512_loadu_ps(ci + 16), v1);
            }
            if (p->bias_m) {
                __m512 bm = _mm512_set1_ps(p->bias_m[i]);
                v0 = _mm512_add_ps(v0, bm);
                v1 = _mm512_add_ps(v1, bm);
            }
            v0 = _mm512_add_ps(v0, bn0);
            v1 = _mm512_add_ps(v1, bn1);
        } else {
            v0 = _mm512_add_ps(v0, _mm512_loadu_ps(ci));
            v1 = _mm512_add_ps(v1, _mm512_loadu_ps(ci + 16));
        }
        if (p->clamp) {
            v0 = _mm512_min_ps(_mm512_max_ps(v0, lo), hi);
            v1 = _mm512_min_ps(_mm512_max_ps(v1, lo), hi);
        }
        _mm512_storeu_ps(ci, v0);
        _mm512_storeu_ps(ci + 16, v1);
    }
}

/* Mask of the first n (all if n >= 16) lanes. */
static __mmask16 first_lanes(size_t n)
{
    return (__mmask16)(n >= 16 ? 0xffffu : (1u << n) - 1);
}

/* Depthwise channel: 64 outputs (zmm x 4) per pass with taps innermost, then single-zmm
 * passes for the rest of the row (masked store at the end). */
static void oq_f32_dwconv_minmax_ukernel_1x64__avx512(const oq_f32_dw_args *a)
{
    enum { U = 4 };
    __m512 lo = _mm512_set1_ps(a->lo), hi = _mm512_set1_ps(a->hi);
    __m512 bias = _mm512_set1_ps(a->bias);
    if (a->ntaps == 9) {       /* 3x3: taps and offsets in registers, one zmm per step */
        __m512 w[9];
        size_t to[9];
        _Pragma("GCC unroll 9")
        for (int t = 0; t < 9; t++)
            w[t] = _mm512_set1_ps(a->w[t]), to[t] = a->toff[t];
        for (size_t oh = 0; oh < a->OH; oh++) {
            float *yr = a->y + oh * a->OW;
            const float *base = a->planes + oh * a->rstride;
            for (size_t ow = 0; ow < a->OW; ow += 16) {
                const float *b = base + ow;
                __m512 v0 = _mm512_fmadd_ps(w[0], _mm512_loadu_ps(b + to[0]), bias);
                __m512 v1 = _mm512_mul_ps(w[1], _mm512_loadu_ps(b + to[1]));
                __m512 v2 = _mm512_mul_ps(w[2], _mm512_loadu_ps(b + to[2]));
                v0 = _mm512_fmadd_ps(w[3], _mm512_loadu_ps(b + to[3]), v0);
                v1 = _mm512_fmadd_ps(w[4], _mm512_loadu_ps(b + to[4]), v1);
                v2 = _mm512_fmadd_ps(w[5], _mm512_loadu_ps(b + to[5]), v2);
                v0 = _mm512_fmadd_ps(w[6], _mm512_loadu_ps(b + to[6]), v0);
                v1 = _mm512_fmadd_ps(w[7], _mm512_loadu_ps(b + to[7]), v1);
                v2 = _mm512_fmadd_ps(w[8], _mm512_loadu_ps(b + to[8]), v2);
                __m512 v = _mm512_add_ps(v0, _mm512_add_ps(v1, v2));
                if (a->clamp)
                    v = _mm512_min_ps(_mm512_max_ps(v, lo), hi);
                if (a->OW - ow >= 16)
                    _mm512_storeu_ps(yr + ow, v);
                else
                    _mm512_mask_storeu_ps(yr + ow, first_lanes(a->OW - ow), v);
            }
        }
        return;
    }
    for (size_t oh = 0; oh < a->OH; oh++) {
        float *yr = a->y + oh * a->OW;
        const float *base = a->planes + oh * a->rstride;
        size_t ow = 0;
        for (; ow + 16 * U <= a->OW; ow += 16 * U) {
            __m512 acc[U];
            _Pragma("GCC unroll 16")
            for (int u = 0; u < U; u++)
                acc[u] = bias;
            for (size_t t = 0; t < a->ntaps; t++) {
                const float *pl = base + ow + a->toff[t];
                __m512 w = _mm512_set1_ps(a->w[t]);
                _Pragma("GCC unroll 16")
                for (int u = 0; u < U; u++)
                    acc[u] = _mm512_fmadd_ps(w, _mm512_loadu_ps(pl + 16 * u), acc[u]);
            }
            _Pragma("GCC unroll 16")
            for (int u = 0; u < U; u++) {
                __m512 v = acc[u];
                if (a->clamp)
                    v = _mm512_min_ps(_mm512_max_ps(v, lo), hi);
                _mm512_storeu_ps(yr + ow + 16 * u, v);
            }
        }
        for (; ow < a->OW; ow += 16) {
            __m512 v = bias;
            for (size_t t = 0; t < a->ntaps; t++)
                v = _mm512_fmadd_ps(_mm512_set1_ps(a->w[t]),
                                    _mm512_loadu_ps(base + ow + a->toff[t]), v);
            if (a->clamp)
                v = _mm512_min_ps(_mm512_max_ps(v, lo), hi);
            size_t n = a->OW - ow;
            if (n >= 16)
                _mm512_storeu_ps(yr + ow, v);
            else
                _mm512_mask_storeu_ps(yr + ow, (__mmask16)((1u << n) - 1), v);
        }
    }
}

/* Stride-2 row split: 32 floats -> 16 even + 16 odd per step (two-source permutes). */
static void oq_f32_deint2_ukernel_x16__avx512(const float *src, float *even, size_t ne, float *odd,
                                              size_t no)
{
    const __m512i ie = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28,
                                         30);
    const __m512i io = _mm512_add_epi32(ie, _mm512_set1_epi32(1));
    size_t i = 0;
    for (; i + 16 <= no; i += 16, src += 32) {
        __m512 a = _mm512_loadu_ps(src), b = _mm512_loadu_ps(src + 16);
        _mm512_storeu_ps(even + i, _mm512_permutex2var_ps(a, ie, b));
        _mm512_storeu_ps(odd + i, _mm512_permutex2var_ps(a, io, b));
    }
    oq_f32_deint2_ukernel_x1__scalar(src, even + i, ne - i, odd + i, no - i);
}

/* Row -> B panels (any nr): unit stride (or zeros) with masked zmm moves, stride 2 with masked
 * loads + a two-source permute; other strides scalar. */
static void oq_f32_put_ukernel_x16__avx512(float *dst, size_t ps, unsigned nr, size_t col,
                                           const float *src, size_t n, size_t stride)
{
    if (nr > 32 || (src && stride > 2)) {
        oq_f32_put_ukernel_x1__scalar(dst, ps, nr, col, src, n, stride);
        return;
    }
    const __m512i ie = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28,
                                         30);
    while (n > 0) {
        size_t lane = col % nr, k = nr - lane < n ? nr - lane : n;
        float *d = dst + (col / nr) * ps + lane;
        for (size_t i = 0; i < k; i += 16) {
            size_t r = k - i < 16 ? k - i : 16;
            __mmask16 m = first_lanes(r);
            __m512 v;
            if (!src) {
                v = _mm512_setzero_ps();
            } else if (stride == 1) {
                v = _mm512_maskz_loadu_ps(m, src + i);
            } else {           /* reads src[2i .. 2i + 2r - 2] */
                size_t last = 2 * r - 1;
                __m512 a = _mm512_maskz_loadu_ps(first_lanes(last), src + 2 * i);
                __m512 b = _mm512_maskz_loadu_ps(first_lanes(last > 16 ? last - 16 : 0),
                                                 src + 2 * i + 16);
                v = _mm512_permutex2var_ps(a, ie, b);
            }
            _mm512_mask_storeu_ps(d + i, m, v);
        }
        if (src)
            src += k * stride;
        col += k;
        n -= k;
    }
}

/* Rows of put (inlined per row). */
static void oq_f32_put2d_ukernel_x16__avx512(float *dst, size_t ps, unsigned nr, size_t col,
                                             const float *src, size_t rows, size_t len,
                                             size_t rstride, size_t stride)
{
    for (size_t r = 0; r < rows; r++, col += len, src += rstride)
        oq_f32_put_ukernel_x16__avx512(dst, ps, nr, col, src, len, stride);
}

/* Offset-table gather into 8-wide panels with ymm gathers (masked tail, zero fill); other
 * panel widths scalar. */
static void oq_f32_gatherp_ukernel_x8__avx512(float *dst, size_t ps, unsigned nr, const float *base,
                                              const int32_t *off, size_t n)
{
    if (nr != 8) {
        oq_f32_gatherp_ukernel_x1__scalar(dst, ps, nr, base, off, n);
        return;
    }
    for (size_t i = 0; i < n; i += 8, dst += ps) {
        __mmask8 m = (__mmask8)(n - i >= 8 ? 0xff : (1u << (n - i)) - 1);
        __m256i idx = _mm256_maskz_loadu_epi32(m, off + i);
        _mm256_storeu_ps(dst, _mm256_mmask_i32gather_ps(_mm256_setzero_ps(), m, idx, base, 4));
    }
}

const oq_f32_kernels oq_f32_kernels_avx512 = {
    OQ_F32_AVX512, MR, NR, oq_f32_gemm_minmax_ukernel_8x32__avx512,
    oq_f32_dwconv_minmax_ukernel_1x64__avx512, oq_f32_deint2_ukernel_x16__avx512,
    oq_f32_put_ukernel_x16__avx512, oq_f32_put2d_ukernel_x16__avx512,
    oq_f32_gatherp_ukernel_x8__avx512,
};
#if defined(__clang__)
#pragma clang attribute pop
#endif
#else
typedef int oq_rt_empty_unit; /* ISO C: no empty file */
#endif
