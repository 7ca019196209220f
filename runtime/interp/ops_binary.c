/* Binary elementwise ops with numpy (multidirectional) broadcasting: Add, Sub, Mul, Div, Pow,
 * Equal, PRelu (slope broadcast to X), Where (three inputs) and Min / Max (any number of
 * inputs, folded pairwise into the output; float only). The output is walked in rows
 * of its (collapsed) last dim; each input advances with a stride that is 0 along broadcast dims.
 * Arithmetic is done in the element type (integer Div truncates; division by zero gives 0);
 * Pow computes in double and converts to X's type; Equal compares in the element type. */
#include <math.h>

#include "ops.h"

typedef struct bcast {
    int rank;                  /* after collapsing */
    int64_t dim[OQ_MAX_RANK];
    int64_t st[3][OQ_MAX_RANK]; /* per input */
    int nin;
} bcast;

/* Builds collapsed broadcast strides of nin inputs against the output shape. */
static bool bcast_init(bcast *b, const oq_rt_tensor *in, int nin, const oq_shape *out)
{
    int64_t st[3][OQ_MAX_RANK];
    for (int k = 0; k < nin; k++)
        if (!oq_bcast_strides(&in[k].shape, out, st[k]))
            return false;
    b->nin = nin;
    b->rank = 0;
    for (int i = 0; i < out->rank; i++) {
        if (out->dim[i] == 1)
            continue;          /* size-1 dims never move any pointer */
        int r = b->rank;
        bool merge = r > 0;
        for (int k = 0; k < nin && merge; k++) {
            int64_t prev = b->st[k][r - 1];
            merge = (prev == 0 && st[k][i] == 0) ||
                    (prev != 0 && st[k][i] != 0 && prev == st[k][i] * out->dim[i]);
        }
        if (merge) {
            b->dim[r - 1] *= out->dim[i];
            for (int k = 0; k < nin; k++)
                b->st[k][r - 1] = st[k][i];
        } else {
            b->dim[r] = out->dim[i];
            for (int k = 0; k < nin; k++)
                b->st[k][r] = st[k][i];
            b->rank++;
        }
    }
    if (b->rank == 0) {        /* a scalar result */
        b->rank = 1;
        b->dim[0] = 1;
        for (int k = 0; k < nin; k++)
            b->st[k][0] = 0;
    }
    return true;
}

typedef void (*row_fn)(void *ctx, const int64_t *off, int64_t yoff, int64_t n, const int64_t *st);

/* Calls row() for every row of the last collapsed dim (offsets in elements). */
static void bcast_walk(const bcast *b, row_fn row, void *ctx)
{
    int r = b->rank;
    int64_t idx[OQ_MAX_RANK] = {0}, off[3] = {0, 0, 0}, inner = b->dim[r - 1];
    int64_t last[3];
    for (int k = 0; k < b->nin; k++)
        last[k] = b->st[k][r - 1];
    int64_t total = 1;
    for (int i = 0; i < r - 1; i++)
        total *= b->dim[i];
    for (int64_t row_i = 0, yoff = 0; row_i < total; row_i++, yoff += inner) {
        row(ctx, off, yoff, inner, last);
        for (int i = r - 2; i >= 0; i--) {  /* odometer increment */
            idx[i]++;
            for (int k = 0; k < b->nin; k++)
                off[k] += b->st[k][i];
            if (idx[i] < b->dim[i])
                break;
            for (int k = 0; k < b->nin; k++)
                off[k] -= b->st[k][i] * b->dim[i];
            idx[i] = 0;
        }
    }
}

typedef struct bin_ctx {
    oq_op op;
    const oq_rt_tensor *a, *b;
    oq_rt_tensor *y;
} bin_ctx;

#define ARITH_ROW(T, NAME, ISFLT)                                                               \
    static void NAME(void *vc, const int64_t *off, int64_t yo, int64_t n, const int64_t *st)  \
    {                                                                                           \
        const bin_ctx *c = vc;                                                                  \
        const T *a = (const T *)c->a->data + off[0], *b = (const T *)c->b->data + off[1];      \
        T *y = (T *)c->y->data + yo;                                                            \
        int64_t as = st[0], bs = st[1];                                                         \
        switch (c->op) {                                                                        \
        case OQ_OP_Add:                                                                         \
            for (int64_t i = 0; i < n; i++)                                                     \
                y[i] = (T)(a[i * as] + b[i * bs]);                                              \
            break;                                                                              \
        case OQ_OP_Sub:                                                                         \
            for (int64_t i = 0; i < n; i++)                                                     \
                y[i] = (T)(a[i * as] - b[i * bs]);                                              \
            break;                                                                              \
        case OQ_OP_Mul:                                                                         \
            for (int64_t i = 0; i < n; i++)                                                     \
                y[i] = (T)(a[i * as] * b[i * bs]);                                              \
            break;                                                                              \
        case OQ_OP_Div:                                                                         \
            for (int64_t i = 0; i < n; i++)                                                     \
                y[i] = (ISFLT || b[i * bs] != 0) ? (T)(a[i * as] / b[i * bs]) : (T)0;           \
            break;                                                                              \
        case OQ_OP_PRelu:                                                                       \
            for (int64_t i = 0; i < n; i++)                                                     \
                y[i] = (double)a[i * as] < 0.0 ? (T)(a[i * as] * b[i * bs]) : a[i * as]; \
            break;                                                                              \
        case OQ_OP_Equal: {                                                                     \
            uint8_t *e = (uint8_t *)c->y->data + yo;                                            \
            for (int64_t i = 0; i < n; i++)                                                     \
                e[i] = a[i * as] == b[i * bs];                                                  \
            break;                                                                              \
        }                                                                                       \
        default:                                                                                \
            break;                                                                              \
        }                                                                                       \
    }

ARITH_ROW(float, row_f32, 1)
ARITH_ROW(double, row_f64, 1)
ARITH_ROW(int8_t, row_i8, 0)
ARITH_ROW(uint8_t, row_u8, 0)
ARITH_ROW(int16_t, row_i16, 0)
ARITH_ROW(uint16_t, row_u16, 0)
ARITH_ROW(int32_t, row_i32, 0)
ARITH_ROW(uint32_t, row_u32, 0)
ARITH_ROW(int64_t, row_i64, 0)
ARITH_ROW(uint64_t, row_u64, 0)

/* Pow: any numeric X and Y types, computed in double (integers exactly up to 2^53). */
static void row_pow(void *vc, const int64_t *off, int64_t yo, int64_t n, const int64_t *st)
{
    const bin_ctx *c = vc;
    for (int64_t i = 0; i < n; i++) {
        double x = oq_rt_get_f64(c->a, off[0] + i * st[0]);
        double e = oq_rt_get_f64(c->b, off[1] + i * st[1]);
        double r = pow(x, e);
        if (oq_dtype_is_int(c->y->dtype))
            oq_rt_set_i64(c->y, yo + i, (int64_t)r);
        else
            oq_rt_set_f64(c->y, yo + i, r);
    }
}

/* The row function of an element type, or NULL. */
static row_fn arith_row(oq_dtype t)
{
    switch (t) {
    case OQ_DT_FLOAT: return row_f32;
    case OQ_DT_DOUBLE: return row_f64;
    case OQ_DT_INT8: return row_i8;
    case OQ_DT_UINT8: case OQ_DT_BOOL: return row_u8;
    case OQ_DT_INT16: return row_i16;
    case OQ_DT_UINT16: return row_u16;
    case OQ_DT_INT32: return row_i32;
    case OQ_DT_UINT32: return row_u32;
    case OQ_DT_INT64: return row_i64;
    case OQ_DT_UINT64: return row_u64;
    default: return NULL;
    }
}

/* Add/Sub/Mul/Div/PRelu/Equal in the element type (float: runtime/f32/ops), Pow in double;
 * broadcast. */
oq_status oq_exec_binary(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                         oq_rt_tensor *out, void *state, oq_diag *d)
{
    oq_op op = g->nodes[node].op;
    bin_ctx c = {op, &in[0], &in[1], &out[0]};
    row_fn fn;
    if (op == OQ_OP_Pow) {
        if (!(oq_dtype_is_int(in[0].dtype) || oq_dtype_is_float(in[0].dtype)))
            return oq_bad_dtype(g, node, d, in[0].dtype);
        if (!(oq_dtype_is_int(in[1].dtype) || oq_dtype_is_float(in[1].dtype)))
            return oq_bad_dtype(g, node, d, in[1].dtype);
        fn = row_pow;
    } else {
        if (in[0].dtype != in[1].dtype)
            return oq_errorf(d, g, node, OQ_ERR_DTYPE, "inputs are %s and %s",
                             oq_dtype_name(in[0].dtype), oq_dtype_name(in[1].dtype));
        fn = arith_row(in[0].dtype);
        if (!fn || (in[0].dtype == OQ_DT_BOOL && op != OQ_OP_Equal))
            return oq_bad_dtype(g, node, d, in[0].dtype);
    }
    bcast b;
    if (!bcast_init(&b, in, 2, &out[0].shape))
        return oq_errorf(d, g, node, OQ_ERR_SHAPE, "inputs do not broadcast to the output");
    if (oq_rt_numel(&out[0]) == 0)
        return OQ_OK;
    if (op == OQ_OP_Equal && oq_rt_xtype(in[0].dtype) >= 0) {
        oq_x_logic__scalar(OQ_X_EQUAL, oq_rt_xtype(in[0].dtype), b.rank, b.dim, in[0].data,
                           b.st[0], in[1].data, b.st[1], out[0].data);
        return OQ_OK;
    }
    if (in[0].dtype == OQ_DT_FLOAT && in[1].dtype == OQ_DT_FLOAT && oq_f32_kernel(op)->binary) {
        oq_f32_kernel(op)->binary(b.rank, b.dim, in[0].data, b.st[0], in[1].data, b.st[1],
                                  out[0].data);
        return OQ_OK;
    }
    bcast_walk(&b, fn, &c);
    return OQ_OK;
}

/* Where(cond bool, X, Y) with three-way broadcasting (runtime/f32/ops oq_x_where__scalar). */
oq_status oq_exec_where(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                        oq_rt_tensor *out, void *state, oq_diag *d)
{
    if (in[0].dtype != OQ_DT_BOOL)
        return oq_bad_dtype(g, node, d, in[0].dtype);
    if (in[1].dtype != in[2].dtype)
        return oq_errorf(d, g, node, OQ_ERR_DTYPE, "X is %s, Y is %s",
                         oq_dtype_name(in[1].dtype), oq_dtype_name(in[2].dtype));
    bcast b;
    if (!bcast_init(&b, in, 3, &out[0].shape))
        return oq_errorf(d, g, node, OQ_ERR_SHAPE, "inputs do not broadcast to the output");
    if (oq_rt_numel(&out[0]) > 0)
        oq_x_where__scalar(b.rank, b.dim, in[0].data, b.st[0], in[1].data, b.st[1], in[2].data,
                           b.st[2], out[0].data, oq_dtype_size(in[1].dtype));
    return OQ_OK;
}

/* Min / Max: y = op(x0, x1), then y = op(y, xk) for k >= 2 (runtime/f32/ops), broadcast; one
 * input is a copy. */
oq_status oq_exec_minmax(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                         oq_rt_tensor *out, void *state, oq_diag *d)
{
    uint32_t nin = g->nodes[node].nin;
    for (uint32_t k = 0; k < nin; k++)
        if (in[k].dtype != OQ_DT_FLOAT)
            return oq_bad_dtype(g, node, d, in[k].dtype);
    if (oq_rt_numel(&out[0]) == 0)
        return OQ_OK;
    if (nin == 1) {
        oq_rt_copy(&out[0], &in[0]);
        return OQ_OK;
    }
    oq_f32_binary_fn *fn = oq_f32_kernel(g->nodes[node].op)->binary;
    for (uint32_t k = 1; k < nin; k++) {
        oq_rt_tensor ab[2] = {k == 1 ? in[0] : out[0], in[k]};
        bcast b;
        if (!bcast_init(&b, ab, 2, &out[0].shape))
            return oq_errorf(d, g, node, OQ_ERR_SHAPE, "inputs do not broadcast to the output");
        fn(b.rank, b.dim, ab[0].data, b.st[0], ab[1].data, b.st[1], out[0].data);
    }
    return OQ_OK;
}
