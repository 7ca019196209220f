/* binary.c: broadcast element-wise float ops (see ops.h). The output is walked in rows of its
 * last dim; the outer dims advance like an odometer, each input by its own strides. */
#include "ops.h"

#include <math.h>

typedef void row_fn(int64_t n, const float *a, int64_t as, const float *b, int64_t bs, float *y);

/* Calls row() for every row of the last dim of y. */
static inline void walk(int rank, const int64_t *dim, const float *a, const int64_t *ast,
                        const float *b, const int64_t *bst, float *y, row_fn *row)
{
    int64_t idx[OQ_F32_MAX_RANK] = {0}, ao = 0, bo = 0, total = 1;
    for (int k = 0; k < rank - 1; k++)
        total *= dim[k];
    int64_t n = dim[rank - 1];
    for (int64_t r = 0; r < total; r++, y += n) {
        row(n, a + ao, ast[rank - 1], b + bo, bst[rank - 1], y);
        for (int k = rank - 2; k >= 0; k--) {
            idx[k]++;
            ao += ast[k];
            bo += bst[k];
            if (idx[k] < dim[k])
                break;
            ao -= ast[k] * dim[k];
            bo -= bst[k] * dim[k];
            idx[k] = 0;
        }
    }
}

/* Defines the row function and oq_f32_NAME__scalar: y = EXPR of u = a[i], v = b[i]. */
#define OQ_F32_BINARY(NAME, EXPR)                                                              \
    static void row_##NAME(int64_t n, const float *a, int64_t as, const float *b, int64_t bs, \
                           float *y)                                                           \
    {                                                                                          \
        for (int64_t i = 0; i < n; i++) {                                                      \
            float u = a[i * as], v = b[i * bs];                                                \
            y[i] = (EXPR);                                                                     \
        }                                                                                      \
    }                                                                                          \
    void oq_f32_##NAME##__scalar(int rank, const int64_t *dim, const float *a,                \
                                 const int64_t *ast, const float *b, const int64_t *bst,      \
                                 float *y)                                                     \
    {                                                                                          \
        walk(rank, dim, a, ast, b, bst, y, row_##NAME);                                        \
    }

OQ_F32_BINARY(add, u + v)
OQ_F32_BINARY(div, u / v)
OQ_F32_BINARY(max, (u > v || u != u) ? u : v)
OQ_F32_BINARY(min, (u < v || u != u) ? u : v)
OQ_F32_BINARY(mul, u * v)
OQ_F32_BINARY(pow, (float)pow((double)u, (double)v))
OQ_F32_BINARY(prelu, u < 0 ? u * v : u)
OQ_F32_BINARY(sub, u - v)
