/* softmax.c: Softmax and LogSoftmax over one axis (see ops.h), in double: the row maximum is
 * subtracted, exp summed in order, then exp(v) / sum or v - log(sum). */
#include "ops.h"

#include <math.h>

static void softmax(int logsm, int64_t outer, int64_t n, int64_t inner, const float *x, float *y)
{
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < inner; j++) {
            int64_t base = o * n * inner + j;
            double mx = -INFINITY, sum = 0;
            for (int64_t i = 0; i < n; i++) {
                double v = x[base + i * inner];
                mx = v > mx ? v : mx;
            }
            for (int64_t i = 0; i < n; i++)
                sum += exp((double)x[base + i * inner] - mx);
            double ls = log(sum);
            for (int64_t i = 0; i < n; i++) {
                double v = (double)x[base + i * inner] - mx;
                y[base + i * inner] = (float)(logsm ? v - ls : exp(v) / sum);
            }
        }
}

void oq_f32_softmax__scalar(int64_t outer, int64_t n, int64_t inner, const float *x, float *y)
{
    softmax(0, outer, n, inner, x, y);
}

void oq_f32_logsoftmax__scalar(int64_t outer, int64_t n, int64_t inner, const float *x,
                               float *y)
{
    softmax(1, outer, n, inner, x, y);
}
