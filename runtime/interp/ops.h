/* Internal to runtime/interp/: the op implementations (one group per ops_*.c file) and the
 * helpers they share (element access across dtypes, broadcasting, attribute checks).
 * Every op function has the oq_op_exec signature of interp.h; prepare functions (optional)
 * run once at oq_interp_new, validate attributes and build per-node state. */
#ifndef OQ_INTERP_OPS_H
#define OQ_INTERP_OPS_H
#include <stdlib.h>
#include <string.h>

#include "interp.h"

/* Prepare step of an op: may set *state (freed with free_state, or free() when NULL). */
typedef oq_status (*oq_op_prep)(const oq_graph *g, uint32_t node, void **state, oq_diag *d);

typedef struct oq_op_impl {
    oq_op_exec exec;           /* NULL = not implemented */
    oq_op_prep prep;           /* optional */
    void (*free_state)(void *state); /* optional; default free() */
    bool ws;                   /* state starts with an oq_ws_hdr (shared scratch wanted) */
} oq_op_impl;

/* First member of the state of ops that need scratch memory: prep sets size, oq_interp_new
 * points ws at one buffer shared by all nodes (64-aligned, at least size bytes). */
typedef struct oq_ws_hdr {
    size_t size;
    void *ws;
} oq_ws_hdr;

/* ------------------------------------------------------------- f32k.c */
#include "runtime/f32/ops/ops.h"

/* The runtime/f32/ops kernel of an op on float tensors, by family (the f32k column of
 * ir/ops.def); at most one member is set, all NULL when the op has none. */
typedef struct oq_f32k {
    oq_f32_unary_fn *unary;                                            /* FK_UNARY */
    oq_f32_binary_fn *binary;                                          /* FK_BINARY */
    void (*pool)(const oq_f32_pool *p, const float *x, float *y);      /* FK_POOL */
    void (*gpool)(int64_t nc, int64_t sp, const float *x, float *y);   /* FK_GPOOL */
    void (*softmax)(int64_t outer, int64_t n, int64_t inner, const float *x,
                    float *y);                                         /* FK_SOFTMAX */
    oq_f32_reduce_fn *reduce;                                          /* FK_REDUCE */
} oq_f32k;
OQ_INTERNAL const oq_f32k *oq_f32_kernel(oq_op op);

/* ------------------------------------------------------------- ops_util.c */
/* The runtime/f32/ops tensor.c element type (OQ_X_*) of t; -1 if those kernels do not take it. */
OQ_INTERNAL int oq_rt_xtype(oq_dtype t);
OQ_INTERNAL int64_t oq_rt_numel(const oq_rt_tensor *t);
/* Element i of t converted to double / int64 (any numeric dtype or bool). */
OQ_INTERNAL double oq_rt_get_f64(const oq_rt_tensor *t, int64_t i);
OQ_INTERNAL int64_t oq_rt_get_i64(const oq_rt_tensor *t, int64_t i);
/* Stores v (converted to t's dtype, C cast semantics; bool = v != 0) at element i. */
OQ_INTERNAL void oq_rt_set_f64(oq_rt_tensor *t, int64_t i, double v);
OQ_INTERNAL void oq_rt_set_i64(oq_rt_tensor *t, int64_t i, int64_t v);
/* Normalizes a possibly negative axis into [0, rank); false if out of range. */
OQ_INTERNAL bool oq_norm_axis(int64_t axis, int rank, int *out);
/* Row-major strides of a shape (in elements). */
OQ_INTERNAL void oq_strides(const oq_shape *s, int64_t *st);
/* Strides of `in` broadcast to `out` (0 along broadcast dims); in is right-aligned. */
OQ_INTERNAL bool oq_bcast_strides(const oq_shape *in, const oq_shape *out, int64_t *st);
/* A MatMul's geometry with numpy semantics (1-D operands promoted, batch dims broadcast). */
typedef struct oq_matmul_plan {
    int64_t M, K, N;                      /* the matrix product per batch */
    oq_shape ab, bb, ob;                  /* batch shapes of A, B and the output */
    int64_t sa[OQ_MAX_RANK], sb[OQ_MAX_RANK]; /* A, B batch strides broadcast to ob (matrices) */
} oq_matmul_plan;
/* The plan of node's MatMul of shapes a and b; SHAPE error if the inner dims differ or the batch
 * dims do not broadcast. */
OQ_INTERNAL oq_status oq_matmul_plan_of(const oq_graph *g, uint32_t node, const oq_shape *a,
                                        const oq_shape *b, oq_matmul_plan *p, oq_diag *d);
/* Steps the batch odometer idx (ob.rank entries, zero at the start) to the next output batch,
 * moving the A and B batch offsets *ao and *bo (in matrices) along. */
OQ_INTERNAL void oq_matmul_next(const oq_matmul_plan *p, int64_t *idx, int64_t *ao, int64_t *bo);
/* Copies t into out (same dtype, same element count). */
OQ_INTERNAL void oq_rt_copy(oq_rt_tensor *out, const oq_rt_tensor *t);
/* Round half to even, as ONNX QuantizeLinear (nearbyint under the default rounding mode). */
OQ_INTERNAL double oq_round_half_even(double x);
OQ_INTERNAL bool oq_dtype_is_float(oq_dtype t);
OQ_INTERNAL bool oq_dtype_is_int(oq_dtype t); /* integer types and bool */

/* Reports an input whose dtype the op does not handle. */
OQ_INTERNAL oq_status oq_bad_dtype(const oq_graph *g, uint32_t node, oq_diag *d, oq_dtype t);

/* ------------------------------------------------------------- op groups */
#define OQ_DECL_EXEC(fn)                                                                       \
    OQ_INTERNAL oq_status fn(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,         \
                             oq_rt_tensor *out, void *state, oq_diag *d)
#define OQ_DECL_PREP(fn) OQ_INTERNAL oq_status fn(const oq_graph *g, uint32_t node, void **state, \
                                                  oq_diag *d)

/* ops_unary.c: elementwise one-input ops and activations (op chosen from the node) */
OQ_DECL_EXEC(oq_exec_unary);
OQ_DECL_EXEC(oq_exec_clip);
/* ops_binary.c: numpy-broadcast binary ops, PRelu, Equal, Where */
OQ_DECL_EXEC(oq_exec_binary);
OQ_DECL_EXEC(oq_exec_where);
OQ_DECL_EXEC(oq_exec_minmax);    /* Min / Max of 1..n inputs */
/* ops_reduce.c */
OQ_DECL_EXEC(oq_exec_reduce);
/* ops_pool.c */
OQ_DECL_PREP(oq_prep_pool);
OQ_DECL_EXEC(oq_exec_maxpool);
OQ_DECL_EXEC(oq_exec_avgpool);
OQ_DECL_EXEC(oq_exec_globalpool);
/* ops_move.c: data movement */
OQ_DECL_EXEC(oq_exec_copy);      /* Identity, Reshape, Flatten, Squeeze, Unsqueeze */
OQ_DECL_EXEC(oq_exec_dropout);
OQ_DECL_EXEC(oq_exec_transpose);
OQ_DECL_EXEC(oq_exec_concat);
OQ_DECL_EXEC(oq_exec_split);
OQ_DECL_EXEC(oq_exec_slice);
OQ_DECL_EXEC(oq_exec_gather);
OQ_DECL_EXEC(oq_exec_expand);
OQ_DECL_PREP(oq_prep_pad);
OQ_DECL_EXEC(oq_exec_pad);
OQ_DECL_EXEC(oq_exec_shape);
OQ_DECL_EXEC(oq_exec_constant_of_shape);
OQ_DECL_EXEC(oq_exec_constant);
OQ_DECL_EXEC(oq_exec_cast);
/* ops_norm.c */
OQ_DECL_EXEC(oq_exec_batchnorm);
OQ_DECL_PREP(oq_prep_batchnorm);
OQ_DECL_EXEC(oq_exec_layernorm);
OQ_DECL_EXEC(oq_exec_instancenorm);
OQ_DECL_EXEC(oq_exec_softmax);
/* ops_rnn.c */
OQ_DECL_PREP(oq_prep_lstm);
OQ_DECL_EXEC(oq_exec_lstm);
/* ops_resize.c */
OQ_DECL_PREP(oq_prep_resize);
OQ_DECL_EXEC(oq_exec_resize);
/* ops_linalg.c: Conv, ConvTranspose, Gemm, MatMul over runtime/f32 */
OQ_DECL_PREP(oq_prep_conv);
OQ_DECL_EXEC(oq_exec_conv);
OQ_DECL_PREP(oq_prep_gemm);
OQ_DECL_EXEC(oq_exec_gemm);
OQ_DECL_PREP(oq_prep_matmul);
OQ_DECL_EXEC(oq_exec_matmul);
OQ_INTERNAL void oq_free_linalg_state(void *state);
/* ops_quant.c: ONNX integer / quantized reference ops */
OQ_DECL_EXEC(oq_exec_quantize);
OQ_DECL_EXEC(oq_exec_dequantize);
OQ_DECL_EXEC(oq_exec_dynamic_quantize);
OQ_DECL_PREP(oq_prep_qconv);
OQ_DECL_EXEC(oq_exec_qlinear_conv);
OQ_DECL_EXEC(oq_exec_conv_integer);
OQ_DECL_PREP(oq_prep_qmatmul);
OQ_DECL_EXEC(oq_exec_qlinear_matmul);
/* ops_qcontrib.c: com.microsoft QLinearAdd/Mul, QLinearGlobalAveragePool, QLinearConcat and
 * onnxq's QLinearLookup over runtime/q8 */
OQ_DECL_EXEC(oq_exec_qlinear_add);      /* QLinearAdd and QLinearMul */
OQ_DECL_EXEC(oq_exec_qlinear_lookup);
OQ_DECL_EXEC(oq_exec_qlinear_gap);
OQ_DECL_EXEC(oq_exec_qlinear_concat);
OQ_DECL_EXEC(oq_exec_matmul_integer);
OQ_INTERNAL void oq_free_qstate(void *state);
/* ops_qkern.c: QLinearConv / QLinearMatMul over runtime/q8 when the node fits the kernels
 * (NULL = it does not; *ws gets the scratch bytes the run needs) */
typedef struct oq_qfast oq_qfast;
OQ_INTERNAL oq_qfast *oq_qfast_conv_new(const oq_graph *g, uint32_t node, size_t *ws);
OQ_INTERNAL void oq_qfast_conv_run(const oq_qfast *f, const void *x, void *y, void *ws);
OQ_INTERNAL oq_qfast *oq_qfast_matmul_new(const oq_graph *g, uint32_t node, size_t *ws);
OQ_INTERNAL void oq_qfast_matmul_run(const oq_qfast *f, const void *a, void *y, void *ws);
OQ_INTERNAL void oq_qfast_free(oq_qfast *f);
/* custom.c: nodes of unknown ops run through a --custom-op-lib library (custom.h) */
OQ_DECL_PREP(oq_prep_custom);
OQ_DECL_EXEC(oq_exec_custom);
OQ_INTERNAL extern const oq_op_impl oq_custom_impl;

#endif
