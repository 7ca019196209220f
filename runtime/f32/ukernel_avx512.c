/* AVX-512F fp32 micro-kernels: the 12x32 GEMM tile (24 zmm accumulators, 2 B loads and 12
 * broadcasts per k) and the depthwise channel kernel (4 zmm of output width per pass, masked
 * tail stores). Compiled with -mavx512f/bw/vl; only reached through dispatch. */
#include "f32_internal.h"

#include <immintrin.h>

#define MR 8
#define NR 32

/* 12x32 tile; epilogue as oq_f32_ukparams says. */
static void gemm_12x32(size_t kc, const float *a, const float *b, float *c, size_t ldc,
                      const oq_f32_ukparams *p)
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

/* Depthwise channel: U ymm of outputs per pass, taps innermost. */
static void dw_avx512(const oq_f32_dw_args *a)
{
    enum { U = 4 };
    __m512 lo = _mm512_set1_ps(a->lo), hi = _mm512_set1_ps(a->hi);
    __m512 bias = _mm512_set1_ps(a->bias);
    size_t KH = a->KH, KW = a->KW;
    for (size_t oh = 0; oh < a->OH; oh++) {
        float *yr = a->y + oh * a->OW;
        for (size_t ow = 0; ow < a->OW; ow += 16 * U) {
            __m512 acc[U];
            _Pragma("GCC unroll 16")
            for (int u = 0; u < U; u++)
                acc[u] = bias;
            size_t left = a->OW - ow, nv = left >= 16 * U ? U : (left + 15) / 16;
            for (size_t kh = 0; kh < KH; kh++) {
                size_t r = oh * a->sh + kh * a->dh;
                for (size_t kw = 0; kw < KW; kw++) {
                    size_t off = kw * a->dw;
                    const float *pl = a->planes + (off % a->sw) * a->pstride + r * a->wq + ow +
                                      off / a->sw;
                    __m512 w = _mm512_set1_ps(a->w[kh * KW + kw]);
                    if (nv == U) {
                        _Pragma("GCC unroll 16")
                        for (int u = 0; u < U; u++)
                            acc[u] = _mm512_fmadd_ps(w, _mm512_loadu_ps(pl + 16 * u), acc[u]);
                    } else {
                        for (size_t u = 0; u < nv; u++)
                            acc[u] = _mm512_fmadd_ps(w, _mm512_loadu_ps(pl + 16 * u), acc[u]);
                    }
                }
            }
            for (size_t u = 0; u < nv; u++) {
                __m512 v = acc[u];
                if (a->clamp)
                    v = _mm512_min_ps(_mm512_max_ps(v, lo), hi);
                size_t o = ow + 16 * u, n = a->OW - o;
                if (n >= 16)
                    _mm512_storeu_ps(yr + o, v);
                else
                    _mm512_mask_storeu_ps(yr + o, (__mmask16)((1u << n) - 1), v);
            }
        }
    }
}

const oq_f32_kernels oq_f32_kernels_avx512 = {OQ_F32_AVX512, MR, NR, gemm_12x32, dw_avx512};
