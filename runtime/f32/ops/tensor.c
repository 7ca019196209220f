/* tensor.c: ops on integer, boolean and float tensors alike (see ops.h): Gather with checked
 * indices, Where, Equal, Not/And/Or and Cast between the element types the emitted C stores.
 * Conversions are C casts: float -> integer truncates toward zero to int64 (as ONNX Cast
 * specifies; NaN is 0 and values past int64 saturate, so no conversion is undefined), then
 * narrows modulo 2^bits like every integer -> integer cast; to bool any non-zero value is 1. */
#include "ops.h"

#include <math.h>
#include <string.h>

/* Index j of the index array, of element type it (OQ_X_I32 or OQ_X_I64). */
static int64_t index_at(const void *idx, int it, int64_t j)
{
    return it == OQ_X_I32 ? (int64_t)((const int32_t *)idx)[j] : ((const int64_t *)idx)[j];
}

int64_t oq_x_gather__scalar(int64_t outer, int64_t dim, int64_t inner, const void *x,
                            const void *idx, int it, int64_t ni, void *y, size_t es)
{
    int64_t bad = oq_x_index_check__scalar(idx, it, ni, dim);
    if (bad >= 0)
        return bad;
    const unsigned char *s = x;
    unsigned char *d = y;
    size_t row = (size_t)inner * es;
    for (int64_t o = 0; o < outer; o++)
        for (int64_t j = 0; j < ni; j++) {
            int64_t k = index_at(idx, it, j);
            if (k < 0)
                k += dim;
            memcpy(d + (size_t)(o * ni + j) * row, s + (size_t)(o * dim + k) * row, row);
        }
    return -1;
}

int64_t oq_x_index_check__scalar(const void *idx, int it, int64_t ni, int64_t dim)
{
    for (int64_t j = 0; j < ni; j++) {
        int64_t k = index_at(idx, it, j);
        if (k < -dim || k >= dim)
            return j;
    }
    return -1;
}

/* Calls row(ctx, offsets, n) for every innermost row of the box dim[0..rank), with the element
 * offsets of the nin operands (strides st[k][0..rank)) at the row's start. */
typedef void row_fn(void *ctx, const int64_t *off, int64_t n, const int64_t *step);
static void walk(int rank, const int64_t *dim, int nin, const int64_t *const *st, row_fn *row,
                 void *ctx)
{
    int64_t idx[OQ_F32_MAX_RANK] = {0}, off[4] = {0}, step[4], total = 1;
    if (rank == 0) {
        step[0] = step[1] = step[2] = step[3] = 0;
        row(ctx, off, 1, step);
        return;
    }
    for (int k = 0; k < rank - 1; k++)
        total *= dim[k];
    for (int i = 0; i < nin; i++)
        step[i] = st[i][rank - 1];
    for (int64_t r = 0; r < total; r++) {
        row(ctx, off, dim[rank - 1], step);
        for (int k = rank - 2; k >= 0; k--) {
            idx[k]++;
            for (int i = 0; i < nin; i++)
                off[i] += st[i][k];
            if (idx[k] < dim[k])
                break;
            for (int i = 0; i < nin; i++)
                off[i] -= st[i][k] * dim[k];
            idx[k] = 0;
        }
    }
}

typedef struct where_ctx {
    const uint8_t *c;
    const unsigned char *a, *b;
    unsigned char *y;
    size_t es;
} where_ctx;

/* off: cond, a, b, y */
static void where_row(void *vc, const int64_t *off, int64_t n, const int64_t *step)
{
    const where_ctx *w = vc;
    for (int64_t i = 0; i < n; i++) {
        const unsigned char *src = w->c[off[0] + i * step[0]] ? w->a + (off[1] + i * step[1]) * (int64_t)w->es
                                                              : w->b + (off[2] + i * step[2]) * (int64_t)w->es;
        memcpy(w->y + (off[3] + i * step[3]) * (int64_t)w->es, src, w->es);
    }
}

void oq_x_where__scalar(int rank, const int64_t *dim, const uint8_t *c, const int64_t *cst,
                        const void *a, const int64_t *ast, const void *b, const int64_t *bst,
                        void *y, size_t es)
{
    int64_t yst[OQ_F32_MAX_RANK], acc = 1;
    for (int k = rank - 1; k >= 0; k--) {
        yst[k] = acc;
        acc *= dim[k];
    }
    const int64_t *st[4] = {cst, ast, bst, yst};
    where_ctx w = {c, a, b, y, es};
    walk(rank, dim, 4, st, where_row, &w);
}

/* Element i of a tensor of type t as double (exact for every type up to 2^53) and as int64. */
static double get_f64(const void *p, int t, int64_t i)
{
    switch (t) {
    case OQ_X_BOOL: case OQ_X_U8: return ((const uint8_t *)p)[i];
    case OQ_X_S8: return ((const int8_t *)p)[i];
    case OQ_X_I32: return ((const int32_t *)p)[i];
    case OQ_X_I64: return (double)((const int64_t *)p)[i];
    default: return ((const float *)p)[i];
    }
}

static int64_t get_i64(const void *p, int t, int64_t i)
{
    switch (t) {
    case OQ_X_BOOL: case OQ_X_U8: return ((const uint8_t *)p)[i];
    case OQ_X_S8: return ((const int8_t *)p)[i];
    case OQ_X_I32: return ((const int32_t *)p)[i];
    case OQ_X_I64: return ((const int64_t *)p)[i];
    default: return 0;
    }
}

typedef struct cmp_ctx {
    const void *a, *b;
    uint8_t *y;
    int t, op;
} cmp_ctx;

/* off: a, b, y; compares in the element type (integers as int64, floats as double). */
static void cmp_row(void *vc, const int64_t *off, int64_t n, const int64_t *step)
{
    const cmp_ctx *c = vc;
    for (int64_t i = 0; i < n; i++) {
        int64_t ia = off[0] + i * step[0], ib = off[1] + i * step[1];
        int r;
        if (c->t == OQ_X_F32)
            r = get_f64(c->a, c->t, ia) == get_f64(c->b, c->t, ib);
        else {
            int64_t x = get_i64(c->a, c->t, ia), z = get_i64(c->b, c->t, ib);
            r = c->op == OQ_X_EQUAL ? x == z : c->op == OQ_X_AND ? (x && z) : (x || z);
        }
        c->y[off[2] + i * step[2]] = (uint8_t)r;
    }
}

void oq_x_logic__scalar(int op, int t, int rank, const int64_t *dim, const void *a,
                        const int64_t *ast, const void *b, const int64_t *bst, uint8_t *y)
{
    int64_t yst[OQ_F32_MAX_RANK], acc = 1;
    for (int k = rank - 1; k >= 0; k--) {
        yst[k] = acc;
        acc *= dim[k];
    }
    const int64_t *st[3] = {ast, bst, yst};
    cmp_ctx c = {a, b, y, t, op};
    walk(rank, dim, 3, st, cmp_row, &c);
}

void oq_x_not__scalar(size_t n, const uint8_t *x, uint8_t *y)
{
    for (size_t i = 0; i < n; i++)
        y[i] = !x[i];
}

/* v truncated to int64 (NaN -> 0, saturating): a defined float -> integer conversion. */
static int64_t f2i(double v)
{
    if (!(v == v))
        return 0;
    if (v <= -9223372036854775808.0)
        return INT64_MIN;
    if (v >= 9223372036854775808.0)
        return INT64_MAX;
    return (int64_t)v;
}

void oq_x_cast__scalar(size_t n, const void *x, int xt, void *y, int yt)
{
    for (size_t i = 0; i < n; i++) {
        int64_t iv = 0;
        if (yt == OQ_X_F32) {
            ((float *)y)[i] = xt == OQ_X_I64 ? (float)((const int64_t *)x)[i]
                                             : (float)get_f64(x, xt, (int64_t)i);
            continue;
        }
        if (yt == OQ_X_BOOL) {
            ((uint8_t *)y)[i] = get_f64(x, xt, (int64_t)i) != 0;
            continue;
        }
        iv = xt == OQ_X_F32 ? f2i(((const float *)x)[i]) : get_i64(x, xt, (int64_t)i);
        switch (yt) {
        case OQ_X_U8: ((uint8_t *)y)[i] = (uint8_t)iv; break;
        case OQ_X_S8: ((int8_t *)y)[i] = (int8_t)(uint8_t)iv; break;
        case OQ_X_I32: ((int32_t *)y)[i] = (int32_t)(uint32_t)iv; break;
        default: ((int64_t *)y)[i] = iv; break;
        }
    }
}
