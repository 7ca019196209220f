/* unary.c: element-wise one-input float ops (see ops.h). One loop per op, so each vectorizes on
 * its own; Sigmoid is 1 / (1 + e^-x) for every x (e^-x overflows to inf for x < -88, giving 0). */
#include "ops.h"

#include <math.h>

/* Defines oq_f32_NAME__scalar: y[i] = EXPR of v = x[i]. */
#define OQ_F32_UNARY(NAME, EXPR)                                                               \
    void oq_f32_##NAME##__scalar(size_t n, const float *x, float *y, float alpha, float beta)  \
    {                                                                                          \
        (void)alpha;                                                                           \
        (void)beta;                                                                            \
        for (size_t i = 0; i < n; i++) {                                                       \
            float v = x[i];                                                                    \
            y[i] = (EXPR);                                                                     \
        }                                                                                      \
    }

OQ_F32_UNARY(abs, fabsf(v))
OQ_F32_UNARY(ceil, ceilf(v))
OQ_F32_UNARY(erf, erff(v))
OQ_F32_UNARY(exp, expf(v))
OQ_F32_UNARY(floor, floorf(v))
OQ_F32_UNARY(hardsigmoid, fmaxf(0.0f, fminf(1.0f, alpha * v + beta)))
OQ_F32_UNARY(hardswish, v * fmaxf(0.0f, fminf(1.0f, v / 6.0f + 0.5f)))
OQ_F32_UNARY(leakyrelu, v >= 0 ? v : alpha * v)
OQ_F32_UNARY(log, logf(v))
OQ_F32_UNARY(neg, -v)
OQ_F32_UNARY(reciprocal, 1.0f / v)
OQ_F32_UNARY(relu, v > 0 ? v : 0.0f)
OQ_F32_UNARY(round, nearbyintf(v)) /* the default rounding mode: half to even */
OQ_F32_UNARY(sigmoid, 1.0f / (1.0f + expf(-v)))
OQ_F32_UNARY(sqrt, sqrtf(v))
OQ_F32_UNARY(tanh, tanhf(v))

/* Clip: alpha is the lower bound, beta the upper one (NaN passes through). */
void oq_f32_clip__scalar(size_t n, const float *x, float *y, float alpha, float beta)
{
    for (size_t i = 0; i < n; i++) {
        float v = x[i] < alpha ? alpha : x[i];
        y[i] = v > beta ? beta : v;
    }
}
