/* f32ops: the portable kernels the emitted C uses for what stays in float (elementwise,
 * softmax, pooling, reductions) and for data movement on any element type (transpose, slice,
 * split, concat, pad as strided copies). Copied into emitted projects as onnxq_rt/f32ops.[ch];
 * C99, no malloc, no stdio. Each computes exactly what the interpreter (runtime/interp) does for
 * the same op, element by element and in the same summation order, so the emitted program
 * matches `onnxq run` bit for bit. Shapes and strides are in elements, C order. */
#ifndef OQ_F32OPS_H
#define OQ_F32OPS_H
#include <stddef.h>
#include <stdint.h>

#define OQ_FK_MAX_RANK 8

enum {                          /* oq_fk_unary ops */
    OQ_FK_RELU, OQ_FK_LEAKYRELU, OQ_FK_SIGMOID, OQ_FK_HARDSIGMOID, OQ_FK_HARDSWISH, OQ_FK_TANH,
    OQ_FK_ABS, OQ_FK_NEG, OQ_FK_EXP, OQ_FK_SQRT, OQ_FK_RECIPROCAL, OQ_FK_ERF
};
enum { OQ_FK_ADD, OQ_FK_SUB, OQ_FK_MUL, OQ_FK_DIV };  /* oq_fk_binary ops */
enum { OQ_FK_RSUM, OQ_FK_RMEAN, OQ_FK_RMAX };         /* oq_fk_reduce ops */
enum { OQ_FK_PAD_CONSTANT, OQ_FK_PAD_REFLECT, OQ_FK_PAD_EDGE };

/* y[i] = op(x[i]) for i < n (alpha/beta: LeakyRelu, HardSigmoid). x == y allowed. */
void oq_fk_unary(int op, size_t n, const float *x, float *y, float alpha, float beta);
/* y[i] = min(max(x[i], lo), hi). */
void oq_fk_clip(size_t n, const float *x, float *y, float lo, float hi);
/* y (C order over dim[0..rank)) = a op b, with a and b read at element strides ast / bst
 * (0 along broadcast dims). rank 1..OQ_FK_MAX_RANK. */
void oq_fk_binary(int op, int rank, const int64_t *dim, const float *a, const int64_t *ast,
                  const float *b, const int64_t *bst, float *y);
/* Strided copy of es-byte elements: dst[sum(i_k * dstr_k)] = src[sum(i_k * sstr_k)] over the
 * index box dim[0..rank) (strides may be negative; rank 0..OQ_FK_MAX_RANK). */
void oq_fk_copy(int rank, const int64_t *dim, const void *src, const int64_t *sstr, void *dst,
                const int64_t *dstr, size_t es);
/* Pad (or crop, negative pads) x [in] into y [out] (C order both), es-byte elements; cval: the
 * constant (es bytes) for OQ_FK_PAD_CONSTANT. */
void oq_fk_pad(int mode, int rank, const int64_t *in, const int64_t *out, const int64_t *pbegin,
               const void *x, void *y, size_t es, const void *cval);
/* Softmax (or LogSoftmax) over n elements at stride inner, for outer x inner rows; in double. */
void oq_fk_softmax(int logsm, int64_t outer, int64_t n, int64_t inner, const float *x, float *y);
/* Pool geometry, NC planes of up to 3 spatial dims (missing leading dims are size 1). */
typedef struct oq_fk_pool {
    int64_t nc;                                  /* N * C */
    int64_t in[3], out[3], k[3], s[3], dl[3], pb[3], pe[3];
    int include_pad;                             /* AveragePool count_include_pad */
} oq_fk_pool;
void oq_fk_maxpool(const oq_fk_pool *p, const float *x, float *y);
void oq_fk_avgpool(const oq_fk_pool *p, const float *x, float *y);
/* GlobalAveragePool (max = 0) / GlobalMaxPool over sp elements of each of nc planes. */
void oq_fk_global_pool(int max, int64_t nc, int64_t sp, const float *x, float *y);
/* ReduceSum/Mean/Max of x [dim] into y; ost: per input dim, the output stride (0 along reduced
 * dims); nout outputs, cnt inputs per output; acc: nout doubles of scratch. */
void oq_fk_reduce(int op, int rank, const int64_t *dim, const int64_t *ost, int64_t nout,
                  int64_t cnt, const float *x, float *y, double *acc);
#endif
