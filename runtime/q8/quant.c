/* quant.c: QuantizeLinear / DequantizeLinear (scalar references; the public functions run the
 * element-wise kernel table of qu8-eltwise/, bit-identical: division, maxps/minps and cvtps2dq
 * round exactly like the scalar code),
 * DynamicQuantizeLinear qparams and the dynamic-quantization MatMul (fp32 in, fp32 out). */
#include <math.h>
#include <string.h>

#include "q8.h"
#include "qu8-eltwise/qu8-eltwise.h"
#include "requant.h"


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

void oq_q8_quantize(size_t n, const float *x, float scale, int32_t zp, oq_q8_dtype dt, void *q)
{
    oq_q8_elt()->quantize(n, x, scale, zp, dt, q);
}

void oq_q8_dequantize(size_t n, const void *q, oq_q8_dtype dt, float scale, int32_t zp, float *x)
{
    oq_q8_elt()->dequantize(n, q, dt, scale, zp, x);
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
