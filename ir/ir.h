/* onnxq IR: the table of contents of the compiler's internal API.
 * One graph owns one arena; values and nodes are uint32_t ids into g->values[] / g->nodes[]
 * (OQ_NONE = absent). Values are SSA: producer == OQ_NONE iff graph input or constant.
 * Nodes are kept in topological order. Use lists are derived (ir_fill_uses), never hand-kept.
 * Each section below is headed by the file that defines it. */
#ifndef OQ_IR_H
#define OQ_IR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define OQ_INTERNAL __attribute__((visibility("hidden")))
#define OQ_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define OQ_NODISCARD __attribute__((warn_unused_result))
#define OQ_UNREACHABLE() __builtin_unreachable()
#else
#define OQ_INTERNAL
#define OQ_PRINTF(f, a)
#define OQ_NODISCARD
#define OQ_UNREACHABLE() ((void)0)
#endif

#define OQ_NONE UINT32_MAX
#define OQ_MAX_RANK 8
#define OQ_VERSION "0.1.0"

/* ---------------------------------------------------------------- enums (X-macro lists) */

typedef enum oq_status {
#define OQ_STATUS(name, msg) OQ_##name,
#include "status.def"
#undef OQ_STATUS
} oq_status;

typedef enum oq_dtype {
#define OQ_DTYPE(name, num, size, str) OQ_DT_##name = num,
#include "dtypes.def"
#undef OQ_DTYPE
} oq_dtype;

typedef enum oq_op {
#define OQ_OP(id, str, ...) OQ_OP_##id,
#include "ops.def"
#undef OQ_OP
    OQ_OP_COUNT,
    OQ_OP_UNKNOWN = OQ_OP_COUNT, /* kept only long enough to report every unsupported node */
} oq_op;

enum {
    OQ_OPF_MOVE = 1 << 0,    /* data movement: output keeps the input's qparams */
    OQ_OPF_UNARY = 1 << 1,   /* elementwise, one tensor input */
    OQ_OPF_BINARY = 1 << 2,  /* elementwise, numpy broadcasting */
    OQ_OPF_QUANT = 1 << 3,   /* integer / quantized op */
    OQ_OPF_WEIGHTS = 1 << 4, /* input 1 is a weight that quantization turns into int8 */
    OQ_OPF_OWNQ = 1 << 5,    /* the quantizer gives the output qparams of its own */
    OQ_OPF_KEEPQ = 1 << 6,   /* the output reuses input 0's qparams */
    OQ_OPF_FOLD = 1 << 7,    /* inference evaluates it when its inputs are small constants */
    OQ_OPF_INTMOVE = 1 << 8, /* integer lowering runs it on the int8 tensor */
    OQ_OPF_CHSCALE = 1 << 9, /* a positive per-channel input scale passes through it */
    OQ_OPF_FUSEACT = 1 << 10, /* an activation that fuses into the op before it */
    OQ_OPF_ANCHOR = 1 << 11, /* a fusion anchor: an activation after it fuses into it */
    OQ_OPF_SHAPEIN = 1 << 12, /* inputs after the first are integer axes/shape operands */
};

typedef enum oq_wax {        /* weight channel axis rule (ops.def column wax) */
    OQ_WAX_NONE, OQ_WAX_OUT0, OQ_WAX_CONVT, OQ_WAX_GEMM, OQ_WAX_MATMUL,
} oq_wax;

typedef enum oq_csup {       /* how the emitted C runs an op (ops.def column, csup.def) */
#define OQ_CSUP(id, ...) OQ_##id,
#include "csup.def"
#undef OQ_CSUP
} oq_csup;

typedef struct oq_opinfo {
    const char *name;          /* ONNX op_type */
    int min_in, max_in;        /* arity; optional inputs may be OQ_NONE */
    int min_out, max_out;
    unsigned flags;            /* OQ_OPF_* */
    oq_csup csup;              /* C backend support */
    const char *f32k;          /* runtime/f32/ops kernel oq_f32_<f32k>__scalar; NULL: none */
    oq_wax wax;                /* how its weight's output-channel axis is found */
    const char *domain;        /* "" for the default ONNX domain, else e.g. "com.microsoft" */
    int since;                 /* first opset version of domain that has the op */
    int inputs_since;          /* opset from which operands of older opsets' attributes are
                                * inputs (axes, pads, ...); 0: none */
} oq_opinfo;

/* ---------------------------------------------------------------- ir/attrs.c */

typedef enum oq_attr_type {
    OQ_ATTR_INT, OQ_ATTR_FLOAT, OQ_ATTR_STRING, OQ_ATTR_INTS, OQ_ATTR_FLOATS, OQ_ATTR_TENSOR,
    OQ_ATTR_STRINGS
} oq_attr_type;

typedef enum oq_attr_id {      /* one per row of ir/attrs.def: OQ_A_<op>_<name> */
#define OQ_ATTR(op, name, type, def) OQ_A_##op##_##name,
#include "attrs.def"
#undef OQ_ATTR
    OQ_A_COUNT
} oq_attr_id;

enum { OQ_ADEF_VALUE, OQ_ADEF_NONE, OQ_ADEF_REQUIRED };   /* oq_attrinfo.def */
#define OQ_ATTR_OP_ANY (-1)    /* oq_attrinfo.op of an attribute any node may carry */

typedef struct oq_attrinfo {   /* one row of ir/attrs.def */
    int op;                    /* oq_op, or OQ_ATTR_OP_ANY */
    const char *name;          /* ONNX attribute name */
    oq_attr_type type;         /* its ONNX type */
    int def;                   /* OQ_ADEF_*: a default value, none, or required */
    int64_t i;                 /* the default of an INT attribute (0 when none) */
    float f;                   /* the default of a FLOAT attribute (0 when none) */
    const char *s;             /* the default of a STRING attribute (NULL when none) */
} oq_attrinfo;

const oq_attrinfo *oq_attr_info(oq_attr_id id);   /* NULL outside the table */
/* The row of (op, name), else of (ANY, name); NULL when the table has neither (an attribute
 * onnxq does not read, accepted as exporters add some). */
const oq_attrinfo *oq_attr_find(oq_op op, const char *name);
const char *oq_attr_type_name(oq_attr_type t);    /* "INT", "FLOATS", ... */

/* Node attributes by table id. When absent (or not of the row's type), the default is the
 * table's for the node's own op (so code shared by Conv and MaxPool may pass either op's id);
 * 0 / NULL where the table has no default. _f reads an INT as its value; _is returns the
 * count and points *out into the arena, or -1 (*out NULL) when absent. */
struct oq_node;
struct oq_attr;
OQ_INTERNAL const struct oq_attr *ir_attr_get(const struct oq_node *n, oq_attr_id id);
OQ_INTERNAL int64_t ir_attr_i(const struct oq_node *n, oq_attr_id id);
OQ_INTERNAL float ir_attr_f(const struct oq_node *n, oq_attr_id id);
OQ_INTERNAL const char *ir_attr_s(const struct oq_node *n, oq_attr_id id);
OQ_INTERNAL int ir_attr_is(const struct oq_node *n, oq_attr_id id, const int64_t **out);
/* Softmax / LogSoftmax axis: the attribute, else -1, or 1 for opset < 13 semantics
 * (onnxq_legacy_2d). */
OQ_INTERNAL int64_t ir_softmax_axis(const struct oq_node *n);
/* A Resize STRING attribute (coordinate_transformation_mode, nearest_mode, mode, ...): the
 * attribute, else the default of the graph's opset (Resize-10: asymmetric, floor). */
struct oq_graph;
OQ_INTERNAL const char *ir_resize_str(const struct oq_graph *g, const struct oq_node *n,
                                      oq_attr_id id);

/* ---------------------------------------------------------------- ir/values.c */

/* Element i of a buffer of dtype t as a number, converted as C casts do (float -> int
 * truncates, bool is 0/1, float16 exact); 0 for types without numbers. */
double oq_elem_f64(const void *p, oq_dtype t, int64_t i);
int64_t oq_elem_i64(const void *p, oq_dtype t, int64_t i);
/* Stores v as element i of a buffer of dtype t (C casts; float16 rounds to nearest even). */
void oq_elem_set_f64(void *p, oq_dtype t, int64_t i, double v);
void oq_elem_set_i64(void *p, oq_dtype t, int64_t i, int64_t v);

/* ---------------------------------------------------------------- ir/geom.c */

/* A Slice start or end on an axis of size dim >= 0, as ONNX clamps it: negative counts from
 * the end (adds dim), then clamped to [0, dim] when step > 0 or to [-1, dim - 1] when step < 0.
 * A start of -1 (step < 0) only occurs when the axis selects nothing. */
int64_t oq_slice_clamp(int64_t dim, int64_t idx, int64_t step);
struct oq_graph;
struct oq_node;
/* The output-channel axis of node n's weight (input 1) for per-channel quantization, by the
 * op's ops.def rule (wax); -1 when the weight is quantized per tensor only or n has none. */
OQ_INTERNAL int ir_weight_axis(const struct oq_graph *g, const struct oq_node *n);

/* ---------------------------------------------------------------- ir/arena.c */

/* Backing allocator, injectable (tests fail the Nth allocation). realloc semantics:
 * alloc(ctx, NULL, 0, n) allocates, alloc(ctx, p, old, 0) frees. */
typedef void *(*oq_allocfn)(void *ctx, void *p, size_t old, size_t n);

typedef struct oq_arena_chunk oq_arena_chunk;
typedef struct oq_arena {
    oq_arena_chunk *head;      /* newest chunk first */
    oq_allocfn alloc;          /* backing allocator */
    void *alloc_ctx;           /* its context */
    size_t total;              /* bytes obtained from the backing allocator */
} oq_arena;

OQ_INTERNAL void oq_arena_init(oq_arena *a, oq_allocfn fn, void *ctx); /* fn NULL = malloc */
OQ_INTERNAL void *oq_arena_alloc(oq_arena *a, size_t n);  /* 64-byte aligned, zeroed; NULL on NOMEM */
OQ_INTERNAL void *oq_arena_dup(oq_arena *a, const void *p, size_t n);
OQ_INTERNAL char *oq_arena_strdup(oq_arena *a, const char *s);
OQ_INTERNAL void oq_arena_free(oq_arena *a);               /* frees every chunk */
OQ_INTERNAL void *oq_default_alloc(void *ctx, void *p, size_t old, size_t n);

/* ---------------------------------------------------------------- ir/status.c (diagnostics) */

typedef struct oq_graph oq_graph;
typedef struct oq_file_set oq_file_set;

typedef struct oq_diag {
    oq_status status;          /* first error wins; OQ_OK while none */
    char msg[1024];            /* rendered: "file: node 'n' (Op): text" */
    const char *file;          /* model path for messages (may be NULL) */
    void (*warn)(void *ctx, const char *msg); /* warnings sink (NULL = dropped) */
    void *warn_ctx;
    int nwarn;                 /* warnings emitted */
    oq_file_set *inputs;       /* files the run has read (ir/file.c); NULL = not recorded */
} oq_diag;

const char *oq_status_str(oq_status s);
/* Records the first error and returns its status. node may be OQ_NONE (g may be NULL). */
OQ_INTERNAL oq_status oq_errorf(oq_diag *d, const oq_graph *g, uint32_t node, oq_status st,
                                const char *fmt, ...) OQ_PRINTF(5, 6);
OQ_INTERNAL oq_status oq_verrorf(oq_diag *d, const oq_graph *g, uint32_t node, oq_status st,
                                 const char *fmt, va_list ap);
OQ_INTERNAL void oq_warnf(oq_diag *d, const oq_graph *g, uint32_t node, const char *fmt, ...)
    OQ_PRINTF(4, 5);

/* Refusals gathered over a whole graph and reported in one message, grouped by op type and
 * reason in first-seen order: "3 op types lack support in the C backend: Resize (node 'r'):
 * attribute mode='cubic' not supported; Relu (2 nodes: 'a', 'b'): no kernel for double data".
 * Zero-initialize; nothing to free. */
#define OQ_UNSUP_MAX 16        /* distinct (op type, reason) pairs kept */
typedef struct oq_unsup {
    uint32_t n;                /* pairs kept */
    uint32_t more;             /* refused nodes of pairs past OQ_UNSUP_MAX */
    oq_status st;              /* status of the first refusal */
    struct {
        uint32_t node[3];      /* the first nodes refused for this pair */
        uint32_t count;        /* nodes refused for this pair */
        char reason[224];      /* the error text without its file/node prefix */
    } it[OQ_UNSUP_MAX];
} oq_unsup;
/* If d holds a refusal of node (UNSUPPORTED_OP, UNSUPPORTED_ATTR or DTYPE), moves it into u,
 * clears d and returns true; false (d untouched) for any other status. */
OQ_INTERNAL bool oq_unsup_take(oq_unsup *u, const oq_graph *g, uint32_t node, oq_diag *d);
/* The one error for everything u holds ("who" names the part that refuses, e.g. "the C
 * backend"); OQ_OK when u is empty. */
OQ_INTERNAL oq_status oq_unsup_report(const oq_unsup *u, const oq_graph *g, const char *who,
                                      oq_diag *d);

/* ---------------------------------------------------------------- ir/dtype.c */

size_t oq_dtype_size(oq_dtype t);      /* 0 for unknown / unstorable */
const char *oq_dtype_name(oq_dtype t); /* "float", ... ; "?" if unknown */
bool oq_dtype_valid(int onnx_number);

/* ---------------------------------------------------------------- ir/graph.c */

typedef struct oq_shape {
    int32_t rank;              /* -1 = unknown rank */
    int64_t dim[OQ_MAX_RANK];  /* -1 = unknown dim */
} oq_shape;

/* Quantization parameters of a value. n == 0: not quantized. n == 1: per-tensor.
 * n > 1: per-axis along `axis` (n == shape.dim[axis]). */
typedef struct oq_quant {
    oq_dtype dtype;            /* UINT8, INT8 or INT32 */
    int32_t axis;              /* per-axis axis (normalized, >= 0) */
    uint32_t n;                /* number of (scale, zero_point) pairs */
    float *scale;              /* arena, n entries */
    int32_t *zero_point;       /* arena, n entries */
} oq_quant;

typedef struct oq_value {
    const char *name;          /* interned ONNX name (unique in the graph) */
    oq_dtype dtype;            /* element type (UNDEFINED until inferred) */
    oq_shape shape;            /* static after inference */
    uint32_t producer;         /* node id, OQ_NONE for inputs and constants */
    uint32_t producer_out;     /* which output of the producer */
    void *data;                /* constant data (arena, 64-aligned) or NULL; set for
                                  initializers and for values inference proved constant */
    oq_quant q;                /* qparams (n == 0: float) */
    uint32_t *uses;            /* derived by ir_fill_uses: node ids (with repeats) */
    uint32_t nuse;
    bool is_input;             /* graph input (not an initializer) */
    bool is_output;            /* graph output */
} oq_value;

typedef struct oq_tensor_const {   /* an attribute tensor (Constant.value, ConstantOfShape.value) */
    oq_dtype dtype;
    oq_shape shape;
    void *data;                /* arena */
} oq_tensor_const;

typedef struct oq_attr {
    const char *name;          /* interned */
    oq_attr_type type;
    int64_t i;                 /* INT */
    float f;                   /* FLOAT */
    const char *s;             /* STRING (NUL-terminated, arena) */
    int64_t *ints;             /* INTS (n entries) */
    float *floats;             /* FLOATS (n entries) */
    const char **strings;      /* STRINGS (n entries) */
    uint32_t n;
    oq_tensor_const *t;        /* TENSOR */
} oq_attr;

/* Why the quantizer left a node in float, recorded on the node so every tool (the C backend's
 * report, onnxq compile) reports the same reason. */
typedef enum oq_float_why {
    OQ_FLOAT_NONE = 0,         /* nothing recorded (quantized, or no user rule keeps it float) */
    OQ_FLOAT_EXCLUDED,         /* named by --exclude, or left in float by mixed precision */
    OQ_FLOAT_OP_TYPES,         /* --op-types is given and does not name its op type */
} oq_float_why;

typedef struct oq_node {
    oq_op op;                  /* from ops.def */
    const char *name;          /* ONNX node name (synthesized "op_type_N" if empty) */
    const char *op_type;       /* ONNX op_type as written in the file */
    const char *domain;        /* "" for the default domain */
    uint32_t *in;              /* value ids; OQ_NONE for an absent optional input */
    uint32_t nin;
    uint32_t *out;             /* value ids; OQ_NONE for an unused optional output */
    uint32_t nout;
    oq_attr *attr;             /* typed attributes, parsed at import */
    uint32_t nattr;
    bool dead;                 /* deleted; swept by ir_compact */
    uint8_t float_why;         /* oq_float_why, set by the quantizer; printed as float=WHY */
} oq_node;

struct oq_graph {
    oq_arena arena;            /* owns everything below */
    oq_value *values;          /* nvalue entries (capacity cvalue) */
    uint32_t nvalue, cvalue;
    oq_node *nodes;            /* nnode entries in topological order (capacity cnode) */
    uint32_t nnode, cnode;
    uint32_t *inputs;          /* graph input value ids, file order */
    uint32_t ninput;
    uint32_t *outputs;         /* graph output value ids, file order */
    uint32_t noutput;
    int64_t ir_version;        /* ModelProto.ir_version */
    int64_t opset;             /* default-domain opset */
    const char *name;          /* graph name */
    const char *path;          /* model file path for messages (may be NULL) */
    const char *producer_name; /* ModelProto.producer_name */
};

const oq_opinfo *oq_op_info(oq_op op);
const char *oq_csup_text(oq_csup c);        /* words for `onnxq ops`; NULL for OQ_C_NONE */
bool oq_csup_f32(oq_csup c);                /* the emitted C has an fp32 form (csup.def) */
oq_op oq_op_lookup(const char *onnx_type);   /* bsearch over ops.def; OQ_OP_UNKNOWN if absent */

oq_graph *oq_graph_new(oq_allocfn fn, void *ctx);  /* NULL on NOMEM */
void oq_graph_free(oq_graph *g);
/* Adds a value; name is copied (interned). Returns OQ_NONE on NOMEM. */
OQ_INTERNAL uint32_t ir_add_value(oq_graph *g, const char *name, oq_dtype dt, const oq_shape *s);
/* Adds a node at the end (caller keeps topological order; see ir_toposort). Arrays are copied.
 * Sets producer of each output value. Returns OQ_NONE on NOMEM. */
OQ_INTERNAL uint32_t ir_add_node(oq_graph *g, oq_op op, const char *name, const uint32_t *in,
                                 uint32_t nin, const uint32_t *out, uint32_t nout);
/* Inserts a node before position `pos` (node ids >= pos shift by one; value producers are fixed). */
OQ_INTERNAL uint32_t ir_insert_node(oq_graph *g, uint32_t pos, oq_op op, const char *name,
                                    const uint32_t *in, uint32_t nin, const uint32_t *out,
                                    uint32_t nout);
OQ_INTERNAL uint32_t ir_find_value(const oq_graph *g, const char *name); /* OQ_NONE if absent */
/* True if a live node of g has op `op` (e.g. DequantizeLinear: a QDQ, pre-quantized model). */
OQ_INTERNAL bool ir_has_op(const oq_graph *g, oq_op op);
/* A fresh unique name "base", "base_1", ... (arena). */
OQ_INTERNAL const char *ir_unique_name(oq_graph *g, const char *base);
OQ_INTERNAL void ir_fill_uses(oq_graph *g);          /* rebuilds every value's use list */
/* Replaces every use of old by new (node inputs and graph outputs); uses must be filled. */
OQ_INTERNAL void ir_replace_uses(oq_graph *g, uint32_t old, uint32_t nu);
OQ_INTERNAL void ir_compact(oq_graph *g);            /* drops dead nodes, keeps order; refills uses */
OQ_INTERNAL oq_status ir_toposort(oq_graph *g, oq_diag *d); /* INVALID_MODEL on a cycle */
OQ_INTERNAL void *ir_set_const(oq_graph *g, uint32_t v, const void *data); /* copies shape-sized data */
/* Symbolic name of dim `dim` of value v (ONNX dim_param, e.g. "batch"), kept for messages
 * ("input 'x' has symbolic dim 'batch'"). set: false on NOMEM; get: NULL when none. */
OQ_INTERNAL bool ir_set_dim_param(oq_graph *g, uint32_t v, int dim, const char *name);
OQ_INTERNAL const char *ir_dim_param(const oq_graph *g, uint32_t v, int dim);

/* attributes (NULL / default when absent) */
OQ_INTERNAL const oq_attr *ir_attr(const oq_node *n, const char *name);
OQ_INTERNAL int64_t ir_attr_int(const oq_node *n, const char *name, int64_t def);
OQ_INTERNAL float ir_attr_float(const oq_node *n, const char *name, float def);
OQ_INTERNAL const char *ir_attr_str(const oq_node *n, const char *name, const char *def);
/* INTS attribute: returns count, *out points into the arena (or NULL when absent: returns -1). */
OQ_INTERNAL int ir_attr_ints(const oq_node *n, const char *name, const int64_t **out);
OQ_INTERNAL oq_attr *ir_attr_add(oq_graph *g, uint32_t node, const char *name, oq_attr_type t);

/* shapes */
int64_t oq_shape_numel(const oq_shape *s);        /* -1 if any dim unknown or overflow */
bool oq_shape_known(const oq_shape *s);
OQ_INTERNAL size_t ir_value_nbytes(const oq_graph *g, uint32_t v); /* 0 if unknown */

/* ---------------------------------------------------------------- ir/infer.c */

/* Infers dtype and shape of every value, in topological order, and evaluates small
 * integer shape computations (Shape, Gather, Concat, Slice, Cast, Unsqueeze, ... on
 * constants) into value->data so Reshape/Expand/ConstantOfShape shapes become static.
 * Error names the node and the dim that stays unknown. */
OQ_INTERNAL oq_status ir_infer(oq_graph *g, oq_diag *d) OQ_NODISCARD;
OQ_INTERNAL oq_status ir_infer_node(oq_graph *g, uint32_t node, oq_diag *d) OQ_NODISCARD;
/* Errors (SHAPE, naming the node, the value, the dim and the graph input it comes from) on
 * the first value whose dtype or shape is still unknown after ir_infer. */
OQ_INTERNAL oq_status ir_require_static(const oq_graph *g, oq_diag *d) OQ_NODISCARD;

/* Resolved geometry of a Conv / ConvInteger / QLinearConv / ConvTranspose / MaxPool /
 * AveragePool node: explicit pads after auto_pad (SAME_UPPER: an odd total pad puts the extra
 * one at the end, SAME_LOWER at the start; ConvTranspose too, as ONNX Runtime and the backend
 * tests do), kernel from kernel_shape or the weight. */
enum { OQ_AUTOPAD_NOTSET, OQ_AUTOPAD_VALID, OQ_AUTOPAD_SAME_UPPER, OQ_AUTOPAD_SAME_LOWER };
typedef struct oq_conv_geom {
    int nsp;                        /* spatial rank (input rank - 2); -1 if unknown */
    int auto_pad;                   /* OQ_AUTOPAD_* as written */
    bool ceil;                      /* ceil_mode (pools) */
    int64_t group;                  /* group (conv), 1 otherwise */
    int64_t k[OQ_MAX_RANK];         /* kernel extent per spatial dim (-1 unknown) */
    int64_t stride[OQ_MAX_RANK];    /* >= 1 */
    int64_t dil[OQ_MAX_RANK];       /* >= 1 */
    int64_t pad[2 * OQ_MAX_RANK];   /* begin[0..nsp), end[nsp..2nsp), resolved */
    int64_t outpad[OQ_MAX_RANK];    /* ConvTranspose output_padding */
    int64_t out[OQ_MAX_RANK];       /* output spatial size (-1 unknown) */
} oq_conv_geom;
OQ_INTERNAL oq_status ir_conv_geom(const oq_graph *g, uint32_t node, oq_conv_geom *geo,
                                   oq_diag *d) OQ_NODISCARD;

/* ---------------------------------------------------------------- ir/verify.c */

/* Checks SSA, topological order, arity, dtype/shape consistency, use lists. */
OQ_INTERNAL oq_status ir_verify(const oq_graph *g, oq_diag *d) OQ_NODISCARD;
/* The attribute part of ir_verify, run on import: each attribute ir/attrs.def knows has its
 * type, required ones are present, and convolution / pool attributes agree with each other and
 * with the input and weight shapes known so far (kernel_shape = weight dims, list lengths,
 * strides/dilations/kernel >= 1, pads >= 0, group dividing the channels). */
OQ_INTERNAL oq_status ir_verify_attrs(const oq_graph *g, oq_diag *d) OQ_NODISCARD;

/* ---------------------------------------------------------------- ir/print.c, ir/parse.c */

#include <stdio.h>
OQ_INTERNAL void ir_print(const oq_graph *g, FILE *f, bool with_data);
/* The text form of an oq_float_why ("excluded", "op_types"); NULL for OQ_FLOAT_NONE or unknown. */
OQ_INTERNAL const char *ir_float_why_name(int why);
OQ_INTERNAL oq_status ir_parse(const char *text, oq_graph **out, oq_diag *d) OQ_NODISCARD;
/* Parses text into an existing (empty) graph, e.g. one made with an injected allocator.
 * On error the graph is poisoned (free it). */
OQ_INTERNAL oq_status ir_parse_into(oq_graph *g, const char *text, oq_diag *d) OQ_NODISCARD;
/* Short dtype names of the text form: f32 u8 i8 u16 i16 i32 i64 str bool f16 f64 u32 u64 bf16,
 * "?" = UNDEFINED. from_short reads n chars of s; false if not a known name. */
OQ_INTERNAL const char *ir_dtype_short(oq_dtype t);
OQ_INTERNAL bool ir_dtype_from_short(const char *s, size_t n, oq_dtype *out);
OQ_INTERNAL bool ir_bare_char(int c);  /* [A-Za-z0-9_./-]: names printed without quotes */

/* ---------------------------------------------------------------- ir/file.c */

/* The files a run has read, by device and inode (path kept for messages). A run points
 * oq_diag.inputs at one; every reader records the files it opens, and oq_write_file_atomic
 * refuses to replace any of them. */
typedef struct oq_file_id {
    uint64_t dev, ino;
    char *path;
} oq_file_id;
struct oq_file_set {
    uint32_t n, cap;
    oq_file_id *id;
    bool lost;                 /* an input could not be recorded (NOMEM): every write is refused */
};
OQ_INTERNAL void oq_file_set_free(oq_file_set *s);  /* frees the entries and zeroes s */
/* Records the open file fd (opened as path) in d->inputs (nothing when d->inputs is NULL).
 * NOMEM is an error: an unrecorded input would lose its protection. */
OQ_INTERNAL oq_status oq_file_note_input(oq_diag *d, int fd, const char *path) OQ_NODISCARD;
/* Opens path for reading as a stream: refuses (ERR_IO, path named) anything but a regular file
 * (a FIFO or device would block or never end), without blocking on the open, and records it
 * with oq_file_note_input. NULL on failure, with d set. */
OQ_INTERNAL FILE *oq_file_open_read(const char *path, oq_diag *d);

/* Writes the whole contents to f; false on failure (after setting d, or leaving it to the
 * writer's generic I/O error when d is untouched). */
typedef bool (*oq_file_writer)(void *ctx, FILE *f, oq_diag *d);
/* Writes path atomically with fn: a new temporary file in the target's folder (random name,
 * O_CREAT|O_EXCL|O_NOFOLLOW, mode 0666 & ~umask), flushed, fsync'ed and renamed over path;
 * on failure the temporary file is removed and path is untouched. Refuses (ERR_USAGE, naming
 * the input) a path that is, or links to, a file of d->inputs or of protect[] (same st_dev and
 * st_ino; NULL entries skipped), and a directory. ERR_IO names path and errno. */
OQ_INTERNAL oq_status oq_write_file_atomic(const char *path, const char *const *protect,
                                           size_t nprotect, oq_file_writer fn, void *ctx,
                                           oq_diag *d) OQ_NODISCARD;

/* An output folder replaced as a whole (onnxq compile --emit-c). oq_outdir_begin creates a new
 * sibling "<dir>.<16 hex>.tmp" (next to dir's real path) that oq_outdir_write fills; on success
 * oq_outdir_commit moves the files in: the stage itself becomes dir when dir is missing or
 * empty, else each file is renamed over its namesake in dir (files of dir that onnxq did not
 * write stay; files the previous commit listed in dir/.onnxq-files and this one did not write
 * are removed, only .c/.h/Makefile/meson.build names that are not inputs). A refused target
 * (an input of d, a folder) fails the commit before anything moves. oq_outdir_abort (also after
 * a failed commit) removes the stage and what it holds, so dir is untouched when any write
 * fails. */
typedef struct oq_outdir {
    char *dir;                 /* the target folder (real path once it exists) */
    char *stage;               /* the sibling folder being filled; NULL once gone */
    char **rel;                /* paths written so far, relative to the folder, in order */
    uint32_t n, cap;
} oq_outdir;
#define OQ_OUTDIR_MANIFEST ".onnxq-files"
OQ_INTERNAL oq_status oq_outdir_begin(oq_outdir *o, const char *dir, oq_diag *d) OQ_NODISCARD;
/* Writes o's stage/rel with fn (oq_write_file_atomic; subfolders made as needed); rel is
 * relative, without "." or ".." parts. */
OQ_INTERNAL oq_status oq_outdir_write(oq_outdir *o, const char *rel, oq_file_writer fn,
                                      void *ctx, oq_diag *d) OQ_NODISCARD;
OQ_INTERNAL oq_status oq_outdir_commit(oq_outdir *o, oq_diag *d) OQ_NODISCARD;
OQ_INTERNAL void oq_outdir_abort(oq_outdir *o); /* removes the stage (if any); frees o */

/* ---------------------------------------------------------------- ir/hash.c */

/* XXH3-64 over canonical graph + data; value/node names excluded except graph inputs/outputs.
 * Returns 0 only when the backing allocator fails. */
OQ_INTERNAL uint64_t ir_hash_graph(const oq_graph *g);
OQ_INTERNAL uint64_t ir_hash_bytes(uint64_t seed, const void *p, size_t n); /* XXH3-64 */
OQ_INTERNAL uint64_t ir_hash_node(const oq_graph *g, uint32_t node); /* op, attrs, inputs (CSE) */
/* Same op, domain, attributes (any order) and input ids: CSE may merge a and b. */
OQ_INTERNAL bool ir_nodes_equivalent(const oq_graph *g, uint32_t a, uint32_t b);

/* ---------------------------------------------------------------- ir/infer.c: helpers shared
 * by the per-op inference files (ir/infer_nn.c, ir/infer_shape.c) and ir/fold.c */

OQ_INTERNAL oq_value *ir_in_val(oq_graph *g, const oq_node *nd, uint32_t i); /* NULL if absent */
OQ_INTERNAL oq_value *ir_out_val(oq_graph *g, const oq_node *nd, uint32_t i); /* NULL if absent */
OQ_INTERNAL oq_shape ir_unknown_shape(void);             /* rank -1 */
OQ_INTERNAL oq_shape ir_rank_shape(int r);               /* rank r, every dim unknown */
OQ_INTERNAL bool ir_dt_int(oq_dtype t);                  /* an integer type or bool */
OQ_INTERNAL bool ir_dt_float(oq_dtype t);                /* float or double */
/* A constant integer vector (or scalar) value v into buf (at most max entries): the count, or
 * -1 when v is absent, not constant, not integer or too long. */
OQ_INTERNAL int ir_const_ints(const oq_graph *g, uint32_t v, int64_t *buf, int max);
OQ_INTERNAL int64_t ir_vec_len(const oq_graph *g, uint32_t v); /* dim 0 of a 1-D value, or -1 */
OQ_INTERNAL bool ir_norm_axis(int64_t a, int r, int *out);  /* false outside [-r, r) */
/* SHAPE errors: "WHAT A out of range for rank R"; output rank above OQ_MAX_RANK. */
OQ_INTERNAL oq_status ir_err_axis(oq_graph *g, uint32_t n, oq_diag *d, const char *what,
                                  int64_t a, int r);
OQ_INTERNAL oq_status ir_err_rank(oq_graph *g, uint32_t n, oq_diag *d, int r);
/* INVALID_MODEL unless input i of node n is present. */
OQ_INTERNAL oq_status ir_need_in(oq_graph *g, uint32_t n, oq_diag *d, uint32_t i);
/* Numpy broadcast of a and b into o (SHAPE error on a mismatch; unknown dims give way to a
 * known dim other than 1). */
OQ_INTERNAL oq_status ir_bcast2(oq_graph *g, uint32_t n, const oq_shape *a, const oq_shape *b,
                                oq_shape *o, oq_diag *d);
OQ_INTERNAL int64_t ir_bcast_off(const oq_shape *in, const oq_shape *out, const int64_t *idx);
OQ_INTERNAL void ir_unravel(int64_t i, const oq_shape *s, int64_t *idx);
/* The axes of Squeeze/Unsqueeze/Reduce* (input 1 or the legacy attribute) into axes (at most
 * max): *n = -1 when none is given, *known = false when given but not constant. */
OQ_INTERNAL void ir_infer_axes(oq_graph *g, const oq_node *nd, int64_t *axes, int *n,
                               bool *known, int max);

/* ---------------------------------------------------------------- ir/infer_nn.c */

/* Per-op rules of compute ops: each fills node n's outputs; ir/infer.c's driver calls them
 * with input 0 and output 0 present. */
OQ_INTERNAL oq_status ir_infer_elementwise(oq_graph *g, uint32_t n, oq_diag *d);
OQ_INTERNAL oq_status ir_infer_softmax(oq_graph *g, uint32_t n, oq_diag *d);
OQ_INTERNAL oq_status ir_infer_batchnorm(oq_graph *g, uint32_t n, oq_diag *d);
OQ_INTERNAL oq_status ir_infer_layernorm(oq_graph *g, uint32_t n, oq_diag *d);
OQ_INTERNAL oq_status ir_infer_lstm(oq_graph *g, uint32_t n, oq_diag *d);
OQ_INTERNAL oq_status ir_infer_dropout(oq_graph *g, uint32_t n, oq_diag *d);
OQ_INTERNAL oq_status ir_infer_conv(oq_graph *g, uint32_t n, oq_diag *d);
OQ_INTERNAL oq_status ir_infer_pool(oq_graph *g, uint32_t n, oq_diag *d);
/* MatMul family; ai and bi are the input indices of the two matrices. */
OQ_INTERNAL oq_status ir_infer_matmul(oq_graph *g, uint32_t n, oq_diag *d, uint32_t ai,
                                      uint32_t bi);
OQ_INTERNAL oq_status ir_infer_gemm(oq_graph *g, uint32_t n, oq_diag *d);
OQ_INTERNAL oq_status ir_infer_reduce(oq_graph *g, uint32_t n, oq_diag *d);
OQ_INTERNAL oq_status ir_infer_qdq(oq_graph *g, uint32_t n, oq_diag *d);
OQ_INTERNAL oq_status ir_infer_dynamic_quantize(oq_graph *g, uint32_t n, oq_diag *d);
OQ_INTERNAL oq_status ir_infer_cast(oq_graph *g, uint32_t n, oq_diag *d);
OQ_INTERNAL oq_status ir_infer_qlinear_add(oq_graph *g, uint32_t n, oq_diag *d);
OQ_INTERNAL oq_status ir_infer_qlinear_concat(oq_graph *g, uint32_t n, oq_diag *d);
OQ_INTERNAL oq_status ir_infer_qlinear_gap(oq_graph *g, uint32_t n, oq_diag *d);
OQ_INTERNAL oq_status ir_infer_qlinear_lookup(oq_graph *g, uint32_t n, oq_diag *d);

/* ---------------------------------------------------------------- ir/infer_shape.c */

/* Per-op rules of data movement and shape ops (same contract as ir/infer_nn.c; Concat may
 * lack input 0 and Split output 0). */
OQ_INTERNAL oq_status ir_infer_reshape(oq_graph *g, uint32_t n, oq_diag *d);
OQ_INTERNAL oq_status ir_infer_flatten(oq_graph *g, uint32_t n, oq_diag *d);
OQ_INTERNAL oq_status ir_infer_transpose(oq_graph *g, uint32_t n, oq_diag *d);
OQ_INTERNAL oq_status ir_infer_concat(oq_graph *g, uint32_t n, oq_diag *d);
OQ_INTERNAL oq_status ir_infer_split(oq_graph *g, uint32_t n, oq_diag *d);
OQ_INTERNAL oq_status ir_infer_slice(oq_graph *g, uint32_t n, oq_diag *d);
OQ_INTERNAL oq_status ir_infer_squeeze(oq_graph *g, uint32_t n, oq_diag *d);
OQ_INTERNAL oq_status ir_infer_unsqueeze(oq_graph *g, uint32_t n, oq_diag *d);
OQ_INTERNAL oq_status ir_infer_gather(oq_graph *g, uint32_t n, oq_diag *d);
OQ_INTERNAL oq_status ir_infer_expand(oq_graph *g, uint32_t n, oq_diag *d);
OQ_INTERNAL oq_status ir_infer_pad(oq_graph *g, uint32_t n, oq_diag *d);
OQ_INTERNAL oq_status ir_infer_resize(oq_graph *g, uint32_t n, oq_diag *d);
OQ_INTERNAL oq_status ir_infer_shape_of(oq_graph *g, uint32_t n, oq_diag *d);  /* op Shape */
OQ_INTERNAL oq_status ir_infer_constant(oq_graph *g, uint32_t n, oq_diag *d);
OQ_INTERNAL oq_status ir_infer_constant_of_shape(oq_graph *g, uint32_t n, oq_diag *d);
typedef struct oq_slice_plan {  /* a Slice node's clamped per-axis parameters */
    int64_t start[OQ_MAX_RANK], step[OQ_MAX_RANK], count[OQ_MAX_RANK];
} oq_slice_plan;
/* Slice node n's plan from its constant operands; *ok false when they are not constant. */
OQ_INTERNAL oq_status ir_plan_slice(oq_graph *g, uint32_t n, oq_diag *d, oq_slice_plan *p,
                                    bool *ok);

/* ---------------------------------------------------------------- ir/fold.c */

/* Evaluates node n into its output's data when it is flagged FOLD and its inputs are small
 * constants; leaves the output untouched when it cannot (not an error). */
OQ_INTERNAL oq_status ir_fold(oq_graph *g, uint32_t n, oq_diag *d);

#endif
