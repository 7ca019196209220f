/* lut.c: 256-entry lookup-table activations (Sigmoid, HardSigmoid, HardSwish, Tanh, LeakyRelu):
 * the table maps every input code to quantize(f(dequantize(code))), f evaluated in double; the
 * C backend builds it at compile time, the interpreter at load time. Index = the input byte;
 * applying it runs the element-wise kernel table (vpshufb over 16-byte rows on x86). */
#include <math.h>

#include "q8.h"
#include "qu8-eltwise/qu8-eltwise.h"
#include "requant.h"

/* The activation in double precision (ONNX definitions). */
static double act(oq_q8_lut_kind kind, double x, double alpha, double beta)
{
    switch (kind) {
    case OQ_Q8_LUT_SIGMOID: return 1.0 / (1.0 + exp(-x));
    case OQ_Q8_LUT_HARDSIGMOID: return fmax(0.0, fmin(1.0, alpha * x + beta));
    case OQ_Q8_LUT_HARDSWISH: return x * fmax(0.0, fmin(1.0, x / 6.0 + 0.5));
    case OQ_Q8_LUT_TANH: return tanh(x);
    case OQ_Q8_LUT_LEAKYRELU: return x >= 0 ? x : alpha * x;
    }
    return x;
}

void oq_q8_lut_build(oq_q8_lut_kind kind, float alpha, float beta, float sx, int32_t zx,
                     float sy, int32_t zy, oq_q8_dtype dt, uint8_t table[256])
{
    int32_t lo = dt == OQ_Q8_S8 ? -128 : 0, hi = dt == OQ_Q8_S8 ? 127 : 255;
    for (int i = 0; i < 256; i++) {
        int32_t q = dt == OQ_Q8_S8 ? (int8_t)(uint8_t)i : i;
        double f = act(kind, (double)(q - zx) * sx, alpha, beta);
        table[i] = (uint8_t)oq_q8_round_sat(f / sy, zy, lo, hi);
    }
}

void oq_q8_lut_apply(size_t n, const void *x, const uint8_t table[256], void *y)
{
    oq_q8_elt()->lut(n, x, table, y);
}

void oq_q8_lut_apply_ref(size_t n, const void *x, const uint8_t table[256], void *y)
{
    const uint8_t *in = x;
    uint8_t *out = y;
    for (size_t i = 0; i < n; i++)
        out[i] = table[in[i]];
}
