/* The two test custom ops (see custom_ops.c), as static functions both the interpreter plugin
 * and the emitted model's NAME_custom_<TYPE> wrappers include. Float inputs only. */
#ifndef CUSTOM_OPS_IMPL_H
#define CUSTOM_OPS_IMPL_H
#include <math.h>
#include <string.h>

#include "onnxq_custom.h"

static const onnxq_attr *find_attr(const onnxq_attr *a, int32_t n, const char *name)
{
    for (int32_t i = 0; i < n; i++)
        if (strcmp(a[i].name, name) == 0)
            return &a[i];
    return 0;
}

static long long count(const onnxq_tensor *t)
{
    long long c = 1;
    for (int32_t k = 0; k < t->rank; k++)
        c *= t->shape[k];
    return c;
}

static int swish2(ONNXQ_CUSTOM_ARGS)
{
    if (nin != 1 || nout != 1 || in[0].dtype != 1)
        return 1;
    const onnxq_attr *al = find_attr(attr, nattr, "alpha");
    float alpha = al && al->type == ONNXQ_ATTR_FLOAT ? al->f : 1.0f;
    const float *x = in[0].data;
    float *y = out[0].data;
    for (long long i = 0, n = count(&in[0]); i < n; i++)
        y[i] = x[i] / (1.0f + expf(-alpha * x[i]));
    return 0;
}

static int scale_shift(ONNXQ_CUSTOM_ARGS)
{
    if (nin != 1 || nout != 1 || in[0].dtype != 1 || in[0].rank < 2)
        return 1;
    const onnxq_attr *sc = find_attr(attr, nattr, "scale"), *sh = find_attr(attr, nattr, "shift");
    long long C = in[0].shape[1], inner = count(&in[0]) / (in[0].shape[0] * C);
    if (!sc || sc->type != ONNXQ_ATTR_FLOATS || (long long)sc->n != C)
        return 2;
    float shift = sh ? sh->f : 0.0f;
    const float *x = in[0].data;
    float *y = out[0].data;
    for (long long i = 0, n = count(&in[0]); i < n; i++)
        y[i] = x[i] * sc->floats[(i / inner) % C] + shift;
    return 0;
}
#endif
