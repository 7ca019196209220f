/* Float op kernels: the one copy of the arithmetic of the ops that run in fp32 outside GEMM/conv
 * (element-wise with numpy broadcasting, pooling, Softmax/LogSoftmax, reductions, Resize,
 * InstanceNormalization) and of the data
 * movement that works on any element size (strided copy, Pad). The interpreter binds tensors and
 * calls these; the emitted C copies this folder verbatim into onnxq_rt/f32/ops/ and calls the
 * same functions, so both give the same bytes. C99, no IR, no malloc, no stdio.
 * Names are operator kernels of runtime/README.md's grammar, oq_<dtype>_<op>[_<variant>]__<isa>:
 * <op> the ONNX op type in lower case (the f32k column of ir/ops.def), dtype f32 (f64, u8, s8 for
 * the element types the interpreter also runs), x for data movement on any element size; each
 * loops over the whole tensor itself (no tile). Shapes and strides count elements, C order; ranks
 * go up to OQ_F32_MAX_RANK. */
#ifndef OQ_F32_OPS_H
#define OQ_F32_OPS_H
#include <stddef.h>
#include <stdint.h>

#define OQ_F32_MAX_RANK 8

/* ------------------------------------------------------------------------- unary.c */

/* y[i] = op(x[i]) for i < n; x == y allowed. alpha/beta: LeakyRelu alpha, HardSigmoid alpha
 * and beta, Clip's bounds lo and hi (y = min(max(x, lo), hi)); ignored by the other ops. */
typedef void oq_f32_unary_fn(size_t n, const float *x, float *y, float alpha, float beta);
oq_f32_unary_fn oq_f32_abs__scalar;
oq_f32_unary_fn oq_f32_ceil__scalar;
oq_f32_unary_fn oq_f32_clip__scalar;
oq_f32_unary_fn oq_f32_erf__scalar;
oq_f32_unary_fn oq_f32_exp__scalar;
oq_f32_unary_fn oq_f32_floor__scalar;
oq_f32_unary_fn oq_f32_hardsigmoid__scalar;
oq_f32_unary_fn oq_f32_hardswish__scalar;
oq_f32_unary_fn oq_f32_leakyrelu__scalar;
oq_f32_unary_fn oq_f32_log__scalar;
oq_f32_unary_fn oq_f32_neg__scalar;
oq_f32_unary_fn oq_f32_reciprocal__scalar;
oq_f32_unary_fn oq_f32_relu__scalar;
oq_f32_unary_fn oq_f32_round__scalar; /* half to even */
oq_f32_unary_fn oq_f32_sigmoid__scalar;
oq_f32_unary_fn oq_f32_sqrt__scalar;
oq_f32_unary_fn oq_f32_tanh__scalar;

/* ------------------------------------------------------------------------ binary.c */

/* y (C order over dim[0..rank)) = a op b, with a and b read at element strides ast / bst (0 along
 * broadcast dims); rank 1..OQ_F32_MAX_RANK; y may be a when a is read at y's own strides.
 * PRelu: y = a < 0 ? a * b : a. Pow: pow in double, rounded to float. Min / Max: NaN if either
 * is NaN (Min and Max of n inputs are n - 1 calls, the first writing y). */
typedef void oq_f32_binary_fn(int rank, const int64_t *dim, const float *a, const int64_t *ast,
                              const float *b, const int64_t *bst, float *y);
oq_f32_binary_fn oq_f32_add__scalar;
oq_f32_binary_fn oq_f32_div__scalar;
oq_f32_binary_fn oq_f32_max__scalar;
oq_f32_binary_fn oq_f32_min__scalar;
oq_f32_binary_fn oq_f32_mul__scalar;
oq_f32_binary_fn oq_f32_pow__scalar;
oq_f32_binary_fn oq_f32_prelu__scalar;
oq_f32_binary_fn oq_f32_sub__scalar;

/* -------------------------------------------------------------------------- pool.c */

/* Pool geometry: nc planes of up to 3 spatial dims (missing leading dims are size 1). Windows
 * are clipped to the input; AveragePool counts the positions inside the padded input
 * ([-pb, in + pe)) with include_pad, else those inside the input; sums are in double. */
typedef struct oq_f32_pool {
    int64_t nc;                                  /* N * C */
    int64_t in[3], out[3];                       /* spatial extents */
    int64_t k[3], s[3], dl[3];                   /* kernel, stride, dilation */
    int64_t pb[3], pe[3];                        /* pads at the begin / end */
    int include_pad;                             /* AveragePool count_include_pad */
} oq_f32_pool;
void oq_f32_maxpool__scalar(const oq_f32_pool *p, const float *x, float *y);
void oq_f32_averagepool__scalar(const oq_f32_pool *p, const float *x, float *y);
void oq_f64_averagepool__scalar(const oq_f32_pool *p, const double *x, double *y);
/* MaxPool that also writes, if ind is not NULL, the flat input index of each maximum (plane
 * offset included; over the spatial dims row-major, or reversed with col_major, as ONNX's
 * storage_order 1 asks); the first greatest value wins, an empty window gives the type's
 * lowest value and index -1. One per element type the interpreter runs MaxPool on. */
void oq_f32_maxpool_idx__scalar(const oq_f32_pool *p, const float *x, float *y, int64_t *ind,
                                int col_major);
void oq_f64_maxpool_idx__scalar(const oq_f32_pool *p, const double *x, double *y, int64_t *ind,
                                int col_major);
void oq_u8_maxpool_idx__scalar(const oq_f32_pool *p, const uint8_t *x, uint8_t *y, int64_t *ind,
                               int col_major);
void oq_s8_maxpool_idx__scalar(const oq_f32_pool *p, const int8_t *x, int8_t *y, int64_t *ind,
                               int col_major);
/* First tap kk >= 0 with start + kk*dl >= lo into *k0, the end bound (exclusive) with
 * start + kk*dl < hi into *k1 (k1 >= k0). */
void oq_f32_pool_taps(int64_t start, int64_t k, int64_t dl, int64_t lo, int64_t hi,
                      int64_t *k0, int64_t *k1);
/* GlobalAveragePool / GlobalMaxPool: one value per plane of sp elements, nc planes. */
void oq_f32_globalaveragepool__scalar(int64_t nc, int64_t sp, const float *x, float *y);
void oq_f32_globalmaxpool__scalar(int64_t nc, int64_t sp, const float *x, float *y);
void oq_f64_globalaveragepool__scalar(int64_t nc, int64_t sp, const double *x, double *y);
void oq_f64_globalmaxpool__scalar(int64_t nc, int64_t sp, const double *x, double *y);

/* ----------------------------------------------------------------------- softmax.c */

/* Softmax / LogSoftmax over n elements at stride inner, for outer x inner rows; in double. */
void oq_f32_softmax__scalar(int64_t outer, int64_t n, int64_t inner, const float *x, float *y);
void oq_f32_logsoftmax__scalar(int64_t outer, int64_t n, int64_t inner, const float *x,
                               float *y);

/* ------------------------------------------------------------------------ reduce.c */

/* ReduceSum/Mean/Max of x [dim] into y, in input order into nout double accumulators (acc, the
 * caller's scratch); ost: per input dim, the output stride (0 along reduced dims); cnt: inputs
 * per output (the Mean divisor). Max propagates NaN. */
typedef void oq_f32_reduce_fn(int rank, const int64_t *dim, const int64_t *ost, int64_t nout,
                              int64_t cnt, const float *x, float *y, double *acc);
oq_f32_reduce_fn oq_f32_reducemax__scalar;
oq_f32_reduce_fn oq_f32_reducemean__scalar;
oq_f32_reduce_fn oq_f32_reducesum__scalar;

/* ------------------------------------------------------------------------ resize.c */

enum { OQ_RESIZE_NEAREST, OQ_RESIZE_LINEAR, OQ_RESIZE_CUBIC };                  /* mode */
enum { OQ_RESIZE_HALF_PIXEL, OQ_RESIZE_ASYMMETRIC, OQ_RESIZE_ALIGN_CORNERS,
       OQ_RESIZE_PYTORCH_HALF_PIXEL, OQ_RESIZE_TF_HALF_PIXEL_FOR_NN,
       OQ_RESIZE_TF_CROP_AND_RESIZE };                             /* coordinate transformation */
enum { OQ_RESIZE_ROUND_PREFER_FLOOR, OQ_RESIZE_ROUND_PREFER_CEIL, OQ_RESIZE_FLOOR,
       OQ_RESIZE_CEIL };                                                        /* nearest_mode */
/* Resize of x [in] into y [out] (C order, rank dims; every dim may change). */
typedef struct oq_f32_resize {
    int rank;                    /* 1..OQ_F32_MAX_RANK */
    int mode, ctm, near;         /* OQ_RESIZE_* of the three enums above */
    int exclude_outside;         /* cubic: taps outside the input get weight 0 */
    float cubic_a;               /* cubic coefficient A */
    float extrap;                /* tf_crop_and_resize: value outside the input */
    int64_t in[OQ_F32_MAX_RANK], out[OQ_F32_MAX_RANK];
    double scale[OQ_F32_MAX_RANK];   /* out / in, or the scales input */
    double r0[OQ_F32_MAX_RANK], r1[OQ_F32_MAX_RANK]; /* tf_crop_and_resize roi (start, end) */
} oq_f32_resize;
/* Scratch bytes of the taps (any alignment). */
size_t oq_f32_resize_workspace_size(const oq_f32_resize *p);
void oq_f32_resize__scalar(const oq_f32_resize *p, const float *x, float *y, void *ws);
void oq_f64_resize__scalar(const oq_f32_resize *p, const double *x, double *y, void *ws);
/* Nearest (p->mode must be OQ_RESIZE_NEAREST) on es-byte elements of any type; cval: the es
 * bytes written outside a tf_crop_and_resize box. */
void oq_x_resize_nearest__scalar(const oq_f32_resize *p, const void *x, void *y, size_t es,
                                 const void *cval, void *ws);

/* -------------------------------------------------------------------------- norm.c */

/* InstanceNormalization: per (image, channel) plane of sp elements, y = (x - mean) /
 * sqrt(var + eps) * scale[c] + bias[c]; mean and the (biased) variance in double. */
void oq_f32_instancenormalization__scalar(int64_t n, int64_t c, int64_t sp, const float *x,
                                          const float *scale, const float *bias, float eps,
                                          float *y);

/* --------------------------------------------------------------------------- rnn.c */

/* LSTM (ONNX, layout 0, activations Sigmoid / Tanh / Tanh): x [seq, batch, input], w [ndir,
 * 4 * hidden, input], r [ndir, 4 * hidden, hidden] in gate order i, o, f, c; b [ndir, 8 * hidden]
 * (W biases then R biases), h0 / c0 [ndir, batch, hidden], pp (peepholes) [ndir, 3 * hidden]
 * (i, o, f), each optional (NULL: zeros). Outputs y [seq, ndir, batch, hidden], yh / yc [ndir,
 * batch, hidden], each optional. Direction 1 of two runs backward. */
typedef struct oq_f32_lstm {
    int64_t seq, batch, input, hidden;
    int ndir;                    /* 1 or 2 (bidirectional) */
    int reverse;                 /* ndir 1: the direction is "reverse" */
    float clip;                  /* > 0: gate inputs clipped to [-clip, clip] */
    int input_forget;            /* 1: the forget gate is 1 - the input gate */
} oq_f32_lstm;
size_t oq_f32_lstm_workspace_size(const oq_f32_lstm *p);
void oq_f32_lstm__scalar(const oq_f32_lstm *p, const float *x, const float *w, const float *r,
                         const float *b, const float *h0, const float *c0, const float *pp,
                         float *y, float *yh, float *yc, void *ws);

/* -------------------------------------------------------------------------- move.c */

/* Strided copy of es-byte elements: dst[sum(i_k * dstr_k)] = src[sum(i_k * sstr_k)] over the
 * index box dim[0..rank) (strides may be negative; rank 0..OQ_F32_MAX_RANK). */
void oq_x_copy__scalar(int rank, const int64_t *dim, const void *src, const int64_t *sstr,
                       void *dst, const int64_t *dstr, size_t es);
enum { OQ_X_PAD_CONSTANT, OQ_X_PAD_REFLECT, OQ_X_PAD_EDGE };  /* oq_x_pad__scalar modes */
/* Pad (or crop, negative pads) x [in] into y [out] (C order both), es-byte elements; pbegin: the
 * pad before each dim; cval: the constant (es bytes) for OQ_X_PAD_CONSTANT. Reflect does not
 * repeat the edge (period 2 * (dim - 1)); a dim of 1 reflects to itself. */
void oq_x_pad__scalar(int mode, int rank, const int64_t *in, const int64_t *out,
                      const int64_t *pbegin, const void *x, void *y, size_t es,
                      const void *cval);
/* -------------------------------------------------------------------------- norm.c */

/* LayerNormalization of outer rows of inner elements: y = (x - mean) / sqrt(var + eps) * scale
 * + bias, scale and bias (NULL: none) of inner elements; statistics in double. mean and invstd
 * (NULL: not wanted) receive one value per row. */
void oq_f32_layernorm__scalar(int64_t outer, int64_t inner, const float *x, const float *scale,
                              const float *bias, float eps, float *y, float *mean, float *invstd);

/* ------------------------------------------------------------------------ tensor.c */

/* Element types of the ops on any tensor (the types the emitted C stores; bool is one byte). */
enum { OQ_X_BOOL, OQ_X_U8, OQ_X_S8, OQ_X_I32, OQ_X_I64, OQ_X_F32 };
/* First position j < ni whose index (it: OQ_X_I32 or OQ_X_I64) is outside [-dim, dim); -1 if
 * none. */
int64_t oq_x_index_check__scalar(const void *idx, int it, int64_t ni, int64_t dim);
/* Gather of es-byte elements: y[o][j][:] = x[o][idx[j]][:] for o < outer, j < ni, rows of inner
 * elements, over an axis of dim entries (a negative index counts from the end). Every index is
 * checked first: returns -1 when all are in range, else the first bad position (y untouched). */
int64_t oq_x_gather__scalar(int64_t outer, int64_t dim, int64_t inner, const void *x,
                            const void *idx, int it, int64_t ni, void *y, size_t es);
/* Where: y (C order over dim[0..rank)) = c ? a : b per element, es-byte elements, each operand
 * read at its strides (0 along broadcast dims); rank 0..OQ_F32_MAX_RANK. */
void oq_x_where__scalar(int rank, const int64_t *dim, const uint8_t *c, const int64_t *cst,
                        const void *a, const int64_t *ast, const void *b, const int64_t *bst,
                        void *y, size_t es);
enum { OQ_X_EQUAL, OQ_X_AND, OQ_X_OR };  /* oq_x_logic__scalar ops */
/* y (bool, C order over dim) = a op b on elements of type t, broadcast by strides as Where;
 * Equal compares in the element type, And/Or take non-zero as true. */
void oq_x_logic__scalar(int op, int t, int rank, const int64_t *dim, const void *a,
                        const int64_t *ast, const void *b, const int64_t *bst, uint8_t *y);
void oq_x_not__scalar(size_t n, const uint8_t *x, uint8_t *y);    /* y = !x, bool */
/* Cast of n elements of type xt to type yt (OQ_X_*; see tensor.c for the conversions). */
void oq_x_cast__scalar(size_t n, const void *x, int xt, void *y, int yt);
#endif
