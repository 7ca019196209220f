/* quant.c: QuantizeLinear / DequantizeLinear (scalar references and AVX2 versions selected at run
 * time, bit-identical: division, maxps/minps and cvtps2dq round exactly like the scalar code),
 * DynamicQuantizeLinear qparams and the dynamic-quantization MatMul (fp32 in, fp32 out). */
#include <math.h>
#include <string.h>

#include "q8.h"
#include "requant.h"

#if defined(__x86_64__)
#include <immintrin.h>
#endif

/* q = clamp(rne(x / scale) + zp) in the order of ORT's MlasQuantizeLinear. */
static inline int32_t quant1(float x, float scale, float lo, float hi, int32_t zp)
{
    float f = x / scale;
    f = f > lo ? f : lo;
    f = f < hi ? f : hi;
    return (int32_t)lrintf(f) + zp;
}

void oq_q8_quantize_ref(size_t n, const float *x, float scale, int32_t zp, oq_q8_dtype dt,
                        void *q)
{
    int32_t qmin = dt == OQ_Q8_S8 ? -128 : 0, qmax = dt == OQ_Q8_S8 ? 127 : 255;
    float lo = (float)(qmin - zp), hi = (float)(qmax - zp);
    for (size_t i = 0; i < n; i++)
        oq_q8_st(q, i, quant1(x[i], scale, lo, hi, zp), dt);
}

void oq_q8_dequantize_ref(size_t n, const void *q, oq_q8_dtype dt, float scale, int32_t zp,
                          float *x)
{
    for (size_t i = 0; i < n; i++)
        x[i] = (float)(oq_q8_ld(q, i, dt) - zp) * scale;
}

#if defined(__x86_64__)
__attribute__((target("avx2,fma"))) static void quantize_avx2(size_t n, const float *x,
                                                              float scale, int32_t zp,
                                                              oq_q8_dtype dt, void *q)
{
    int32_t qmin = dt == OQ_Q8_S8 ? -128 : 0, qmax = dt == OQ_Q8_S8 ? 127 : 255;
    float lo = (float)(qmin - zp), hi = (float)(qmax - zp);
    __m256 vs = _mm256_set1_ps(scale), vlo = _mm256_set1_ps(lo), vhi = _mm256_set1_ps(hi);
    __m256i vz = _mm256_set1_epi32(zp);
    uint8_t *out = q;
    size_t i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256 f0 = _mm256_div_ps(_mm256_loadu_ps(x + i), vs);
        __m256 f1 = _mm256_div_ps(_mm256_loadu_ps(x + i + 8), vs);
        f0 = _mm256_min_ps(_mm256_max_ps(f0, vlo), vhi);
        f1 = _mm256_min_ps(_mm256_max_ps(f1, vlo), vhi);
        __m256i i0 = _mm256_add_epi32(_mm256_cvtps_epi32(f0), vz);
        __m256i i1 = _mm256_add_epi32(_mm256_cvtps_epi32(f1), vz);
        __m128i w0 = _mm_packs_epi32(_mm256_castsi256_si128(i0), _mm256_extracti128_si256(i0, 1));
        __m128i w1 = _mm_packs_epi32(_mm256_castsi256_si128(i1), _mm256_extracti128_si256(i1, 1));
        __m128i b = dt == OQ_Q8_S8 ? _mm_packs_epi16(w0, w1) : _mm_packus_epi16(w0, w1);
        _mm_storeu_si128((__m128i *)(out + i), b);
    }
    for (; i < n; i++)
        oq_q8_st(q, i, quant1(x[i], scale, lo, hi, zp), dt);
}

__attribute__((target("avx2,fma"))) static void dequantize_avx2(size_t n, const void *q,
                                                                oq_q8_dtype dt, float scale,
                                                                int32_t zp, float *x)
{
    const uint8_t *in = q;
    __m256 vs = _mm256_set1_ps(scale);
    __m256i vz = _mm256_set1_epi32(zp);
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        __m128i b = _mm_loadl_epi64((const __m128i *)(in + i));
        __m256i v = dt == OQ_Q8_S8 ? _mm256_cvtepi8_epi32(b) : _mm256_cvtepu8_epi32(b);
        __m256 f = _mm256_cvtepi32_ps(_mm256_sub_epi32(v, vz));
        _mm256_storeu_ps(x + i, _mm256_mul_ps(f, vs));
    }
    for (; i < n; i++)
        x[i] = (float)(oq_q8_ld(q, i, dt) - zp) * scale;
}
#endif

void oq_q8_quantize(size_t n, const float *x, float scale, int32_t zp, oq_q8_dtype dt, void *q)
{
#if defined(__x86_64__)
    if (oq_q8_isa_usable(OQ_ISA_AVX2)) {
        quantize_avx2(n, x, scale, zp, dt, q);
        return;
    }
#endif
    oq_q8_quantize_ref(n, x, scale, zp, dt, q);
}

void oq_q8_dequantize(size_t n, const void *q, oq_q8_dtype dt, float scale, int32_t zp, float *x)
{
#if defined(__x86_64__)
    if (oq_q8_isa_usable(OQ_ISA_AVX2)) {
        dequantize_avx2(n, q, dt, scale, zp, x);
        return;
    }
#endif
    oq_q8_dequantize_ref(n, q, dt, scale, zp, x);
}

void oq_q8_dynamic_qparams(size_t n, const float *x, float *scale, int32_t *zp)
{
    float mn = 0.0f, mx = 0.0f;
    for (size_t i = 0; i < n; i++) {
        mn = x[i] < mn ? x[i] : mn;
        mx = x[i] > mx ? x[i] : mx;
    }
    float s = (mx - mn) / 255.0f;
    if (!(s > 0.0f) || !isfinite(s))
        s = 1.0f;
    float z = 0.0f - mn / s;
    z = z > 0.0f ? z : 0.0f;
    z = z < 255.0f ? z : 255.0f;
    *scale = s;
    *zp = (int32_t)nearbyintf(z);
}

size_t oq_q8_dynamic_workspace_size(size_t M, size_t N, size_t K)
{
    return (M * K + 63) / 64 * 64 + M * N * sizeof(int32_t);
}

void oq_q8_dynamic_matmul(oq_q8_layout layout, size_t M, size_t N, size_t K, const float *x,
                          const void *packed, const float *w_scale, size_t w_scale_stride,
                          const float *bias, float *y, void *workspace)
{
    float as;
    int32_t az;
    oq_q8_dynamic_qparams(M * K, x, &as, &az);
    uint8_t *xq = workspace;
    int32_t *acc = (int32_t *)(xq + (M * K + 63) / 64 * 64);
    oq_q8_quantize(M * K, x, as, az, OQ_Q8_U8, xq);
    oq_q8_requant rq;
    memset(&rq, 0, sizeof rq);
    rq.mode = OQ_Q8_RQ_S32;
    oq_q8_gemm(layout, M, N, K, xq, K, packed, acc, N, &rq);
    size_t bb = oq_q8_block_bytes(layout, K);
    for (size_t n = 0; n < N; n++) {
        int32_t cs;
        memcpy(&cs, (const uint8_t *)packed + n / OQ_Q8_NR * bb + 64 + 4 * (n % OQ_Q8_NR), 4);
        float sc = as * w_scale[n * w_scale_stride], b = bias ? bias[n] : 0.0f;
        for (size_t m = 0; m < M; m++)
            y[m * N + n] = fmaf((float)(acc[m * N + n] - az * cs), sc, b);
    }
}

void oq_q8_flip_sign(size_t n, const void *x, void *y)
{
    const uint8_t *in = x;
    uint8_t *out = y;
    for (size_t i = 0; i < n; i++)
        out[i] = in[i] ^ 0x80;
}
