/* Internal to backends/c/: the emitter's per-model state and the table of contents of its files.
 * Calls go one way: c_emit.c (driver) -> c_emit_q8.c, c_emit_tensor.c -> c_emit_float.c,
 * c_emit_files.c -> c_emit_spatial.c, c_emit_rt.c -> c_emit_util.c; no file calls one above it.
 * Storage: rank-4 quantized activations are NHWC inside, everything else C order (NCHW). */
#ifndef OQ_C_EMIT_INT_H
#define OQ_C_EMIT_INT_H
#include "backends/c/c_emit.h"
#include "backends/c/cbuf.h"
#include "backends/c/memplan.h"
#include "runtime/interp/ops.h"
#include "runtime/q8/q8.h"

enum { ST_NONE, ST_CONST, ST_IN, ST_OUT, ST_WS };

typedef enum kind {
    K_SKIP,          /* nothing to run (constant dequantization folded into its users) */
    K_QUANT,         /* QuantizeLinear of an activation */
    K_DEQUANT,       /* DequantizeLinear of an activation */
    K_QCONV,         /* QLinearConv -> oq_q8_conv */
    K_QDWCONV,       /* QLinearConv depthwise -> oq_q8_dwconv */
    K_QMATMUL,       /* QLinearMatMul with constant B -> oq_q8_gemm */
    K_MAXPOOL,       /* MaxPool on a quantized NHWC tensor */
    K_AVGPOOL,       /* AveragePool on a quantized NHWC tensor (rescaled) */
    K_GAP,           /* GlobalAveragePool on a quantized NHWC tensor (rescaled) */
    K_COPY,          /* Reshape / Flatten / Squeeze / Unsqueeze / Identity / Dropout */
    K_QADD,          /* Add of two quantized tensors (DQ/Q folded by the lowering) */
    K_RELU_Q,        /* Relu on a quantized tensor: clamp at the zero point */
    K_QCONCAT,       /* QLinearConcat -> oq_q8_concat (channel axis innermost in NHWC) */
    K_QMUL,          /* QLinearMul -> oq_q8_mul (equal shapes, a scalar, or a per-channel gate) */
    K_LUT,           /* QLinearLookup -> oq_q8_lut_apply (256-entry table) */
    K_RESIZE_Q,      /* Resize nearest on a quantized tensor (c_emit_spatial.c) */
    K_FLOAT,         /* an fp32 op (c_emit_float.c): runtime/f32 or runtime/f32/ops */
    K_MOVE,          /* Transpose/Slice/Split/Concat/Pad on any dtype (strided copies) */
    K_CUSTOM,        /* custom op: a call of NAME_custom_<TYPE> (user-provided, float) */
    K_TENSOR,        /* Gather/Expand/Where/Equal/Cast on any dtype, LayerNorm (c_emit_tensor.c) */
} kind;

typedef struct vinfo {
    int store;       /* ST_* */
    bool nhwc;       /* stored NHWC (rank-4 quantized activation) */
    int io;          /* graph input / output index */
    uint32_t buf;    /* plan buffer (ST_WS), OQ_NONE otherwise */
    bool quant;      /* u8/s8 tensor with per-tensor qparams in qs/qz */
    float qs;        /* scale */
    int32_t qz;      /* zero point */
    uint32_t cid;    /* ST_CONST materialized as array NAME_c<cid>, OQ_NONE if not (yet) */
} vinfo;

typedef struct ectx {
    const oq_graph *g;
    const oq_emit_opts *o;
    oq_diag *d;
    const char *nm;          /* identifier prefix */
    vinfo *v;                /* per value */
    kind *k;                 /* per node */
    uint32_t *scratch;       /* per node: plan buffer of its scratch, OQ_NONE if none */
    oq_q8_conv_shape *cs;    /* per node: shape of a K_QCONV / K_QDWCONV node */
    oq_membuf *bufs;
    uint32_t nbuf, cbufs;
    oq_cbuf c, hdr, w, decl; /* NAME.c body, NAME.h, NAME_weights.c, extern decls in NAME.c */
    oq_cbuf cust;            /* NAME.h: custom-op declarations */
    oq_cbuf prof;            /* with profile: the rows of the kernel table (one per step) */
    uint32_t nprof;
    oq_isa_set isas;         /* ISAs whose kernels the runtime copy carries (--target) */
    const char *target;      /* the --target value those came from */
    oq_outdir *od;           /* the output folder being written (ce_write_files) */
    oq_q8_layout lay[2];     /* packed GEMM layouts emitted */
    int nlay;
    uint32_t nconst;         /* counter for constant array names */
    bool need_f32;           /* the model calls runtime/f32 (float Conv/Gemm/MatMul) */
    bool need_fk;            /* the model calls runtime/f32/ops (onnxq_rt/f32/ops) */
    bool need_deconv;        /* the model calls runtime/f32/deconv.c (float ConvTranspose) */
    const char **ctypes;     /* custom op types declared so far (malloc) */
    uint32_t nctypes;
    oq_emit_report rep;
} ectx;

static inline const oq_value *val(const ectx *e, uint32_t v) { return &e->g->values[v]; }
static inline int64_t numel(const ectx *e, uint32_t v) { return oq_shape_numel(&val(e, v)->shape); }
static inline bool is_const(const ectx *e, uint32_t v) { return v != OQ_NONE && val(e, v)->data; }

/* c_emit_util.c: helpers every other file calls (and that call none of them) */
OQ_INTERNAL double ce_cnum(const ectx *e, uint32_t v, int64_t i);  /* element i as double */
OQ_INTERNAL const char *ce_ctype(oq_dtype t);          /* C element type; NULL if none */
OQ_INTERNAL void ce_ptr(ectx *e, oq_cbuf *b, uint32_t v); /* typed pointer expression */
OQ_INTERNAL void ce_cstring(oq_cbuf *b, const char *s); /* a C string literal of s */
/* The batch offset table of a batched MatMul (see c_emit_util.c). */
OQ_INTERNAL void ce_batch_offsets(oq_cbuf *c, const oq_matmul_plan *p);
OQ_INTERNAL void ce_scratch_ptr(ectx *e, oq_cbuf *b, uint32_t node);
/* A const byte array in NAME_weights.c (64-aligned) with its extern declaration; its number. */
OQ_INTERNAL uint32_t ce_emit_bytes(ectx *e, const void *data, size_t n);
/* A const float array (exact hex literals) in NAME.c; its number. */
OQ_INTERNAL uint32_t ce_emit_floats(ectx *e, const float *f, size_t n);
OQ_INTERNAL void ce_comment(ectx *e, uint32_t n);       /* "/ * nN Op 'name' * /" line */
OQ_INTERNAL void ce_ilist(oq_cbuf *b, const int64_t *a, int n); /* "a0, a1, ..." ("0" if n == 0) */
/* Makes the constant v addressable (a const array); DequantizeLinear of a constant is
 * evaluated with the interpreter's formula. False if v has no value known at compile time. */
OQ_INTERNAL bool ce_materialize(ectx *e, uint32_t v);
/* Writes the pointer expression of input v of node n, materializing constants; false (error
 * set) if impossible. */
OQ_INTERNAL bool ce_in_ptr(ectx *e, uint32_t n, uint32_t v);
/* Writes file (relative to the output folder) into e->od's stage, whole or not at all. */
OQ_INTERNAL oq_status ce_write_out(ectx *e, const char *file, const oq_cbuf *b) OQ_NODISCARD;

/* c_emit_q8.c: nodes an int8 kernel takes */
/* Classifies node n if an int8 kernel (or a plain copy) runs it: sets e->k[n], its outputs'
 * qparams and, for convolutions, e->cs[n]; *taken false leaves the node to the float side. */
OQ_INTERNAL oq_status ce_classify_q8(ectx *e, uint32_t n, bool *taken) OQ_NODISCARD;
OQ_INTERNAL size_t ce_q8_scratch(ectx *e, uint32_t n);  /* scratch bytes of an int8 node */
OQ_INTERNAL oq_status ce_emit_q8(ectx *e, uint32_t n) OQ_NODISCARD; /* code of an int8 node */

/* c_emit_float.c: float fallback, data movement on any dtype, custom ops */
/* Classifies a node that no int8 kernel takes: K_FLOAT / K_MOVE / K_CUSTOM, with the reason
 * it stays in float reported through d->warn; UNSUPPORTED_OP error if nothing runs it. */
OQ_INTERNAL oq_status ce_classify_float(ectx *e, uint32_t n) OQ_NODISCARD;
/* Scratch bytes of a K_FLOAT / K_MOVE / K_CUSTOM node. */
OQ_INTERNAL size_t ce_float_scratch(ectx *e, uint32_t n);
/* Writes the code of a K_FLOAT / K_MOVE / K_CUSTOM node. */
OQ_INTERNAL oq_status ce_emit_float(ectx *e, uint32_t n) OQ_NODISCARD;

/* c_emit_tensor.c: Gather, Expand, Where, Equal, Cast (any dtype) and LayerNormalization */
/* Classifies node n as K_TENSOR if it is one of those ops (*taken), with its output qparams. */
OQ_INTERNAL oq_status ce_classify_tensor(ectx *e, uint32_t n, bool *taken) OQ_NODISCARD;
/* Writes the code of a K_TENSOR node; an index out of range makes run() return 4. */
OQ_INTERNAL oq_status ce_emit_tensor(ectx *e, uint32_t n) OQ_NODISCARD;
/* Writes, at the top of run(), the range checks of Gather indices that are graph inputs. */
OQ_INTERNAL void ce_tensor_prechecks(ectx *e);

/* c_emit_spatial.c: float Min / Max (any arity), the broadcast binary ops, InstanceNormalization,
 * Resize, LSTM */
/* Like ce_in_ptr, but a constant of another numeric type is written as a float array. */
OQ_INTERNAL bool ce_in_ptr_f32(ectx *e, uint32_t n, uint32_t v);
/* Add/Sub/Mul/Div/Pow/PRelu and Min/Max (inputs folded pairwise into the output). */
OQ_INTERNAL oq_status ce_emit_binary(ectx *e, uint32_t n) OQ_NODISCARD;
OQ_INTERNAL oq_status ce_emit_instancenorm(ectx *e, uint32_t n) OQ_NODISCARD;
OQ_INTERNAL size_t ce_resize_scratch(ectx *e, uint32_t n); /* 0 if the geometry is unknown */
/* Resize of a K_FLOAT node (fp32) or a K_RESIZE_Q one (nearest on 8-bit data, NHWC or not). */
OQ_INTERNAL oq_status ce_emit_resize(ectx *e, uint32_t n) OQ_NODISCARD;
OQ_INTERNAL size_t ce_lstm_scratch(ectx *e, uint32_t n); /* 0 if the parameters are refused */
OQ_INTERNAL oq_status ce_emit_lstm(ectx *e, uint32_t n) OQ_NODISCARD;

/* c_emit_rt.c: the runtime copy */
/* Writes the runtime files the model needs under OUT/onnxq_rt/; appends " onnxq_rt/X.c" to
 * srcs for each C source. */
OQ_INTERNAL oq_status ce_copy_runtime(ectx *e, oq_cbuf *srcs) OQ_NODISCARD;

/* c_emit_files.c: the project files */
/* Closes the run function with the entry points, then writes NAME.h, NAME.c, NAME_weights.c,
 * NAME_main.c (float I/O models), Makefile, meson.build and the runtime copy. */
OQ_INTERNAL oq_status ce_write_files(ectx *e, bool has_q) OQ_NODISCARD;
#endif
