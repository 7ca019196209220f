/* onnxq.h: the public C API of libonnxq, the float ONNX -> int8 compiler.
 *
 * One session (onnxq_session) carries the options, the callbacks, the last error and the
 * model being quantized. The pipeline is import -> fix symbolic dims -> float passes -> bias
 * correction -> calibration -> mixed precision -> quantize (onnxq_session_quantize), then
 * lowering and writing (onnxq_session_write_onnx, onnxq_session_emit_c). onnxq_quantize and
 * onnxq_compile do both steps in one call.
 *
 * Conventions: every fallible call returns an onnxq_status; on failure onnxq_session_error()
 * gives a message that names the file and, for graph errors, the node and its op type
 * ("model.onnx: node 'conv_3' (Conv): ..."); an option is named by its `onnxq` command-line
 * flag, which is the options field of the same name (--calib: calib or sample_fn; --eval:
 * eval_data). The library never prints and never exits: text goes to the log and output
 * callbacks. Separate sessions may be used from separate threads at once; one session is used
 * by one thread at a time. The custom-op library registry
 * (onnxq_load_custom_op_library) is the one process-wide state (mutex-guarded).
 * C99 and C++ (extern "C"); no type of the compiler's internals is visible here.
 *
 * Building against the installed library: `pkg-config --cflags --libs onnxq`, or CMake's
 * find_package(onnxq) and the target onnxq::onnxq (onnxq::onnxq_static for libonnxq.a).
 * libonnxq.so exports exactly the ONNXQ_API functions below; its SONAME changes with every
 * ABI change (libonnxq.so.0.MINOR before 1.0). A map of this header: docs/api.md. */
#ifndef ONNXQ_H
#define ONNXQ_H

#include <stddef.h>
#include <stdint.h>

#define ONNXQ_VERSION_MAJOR 0
#define ONNXQ_VERSION_MINOR 1
#define ONNXQ_VERSION_PATCH 0
#define ONNXQ_VERSION_STRING "0.1.0"
/* MAJOR * 10000 + MINOR * 100 + PATCH */
#define ONNXQ_VERSION_NUMBER \
    (ONNXQ_VERSION_MAJOR * 10000 + ONNXQ_VERSION_MINOR * 100 + ONNXQ_VERSION_PATCH)

#if defined(_WIN32)
#define ONNXQ_API
#elif defined(__GNUC__)
#define ONNXQ_API __attribute__((visibility("default")))
#else
#define ONNXQ_API
#endif

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- status and version */

typedef enum onnxq_status {
    ONNXQ_OK = 0,
    ONNXQ_ERR_INVALID_MODEL,   /* the model file is not a valid ONNX model */
    ONNXQ_ERR_UNSUPPORTED_OP,  /* an operator (or form of it) onnxq does not support */
    ONNXQ_ERR_UNSUPPORTED_ATTR,/* an attribute value onnxq does not support */
    ONNXQ_ERR_SHAPE,           /* shapes that do not fit or cannot be inferred */
    ONNXQ_ERR_DTYPE,           /* an element type that does not fit */
    ONNXQ_ERR_NOMEM,           /* out of memory */
    ONNXQ_ERR_IO,              /* a file could not be read or written */
    ONNXQ_ERR_DATA,            /* bad input or calibration data */
    ONNXQ_ERR_USAGE,           /* options that contradict each other or the model */
    ONNXQ_ERR_INTERNAL         /* a bug in onnxq */
} onnxq_status;

/* "ok", "invalid model", ...; never NULL. */
ONNXQ_API const char *onnxq_status_string(onnxq_status s);
/* The library's version, "MAJOR.MINOR.PATCH" (equal to ONNXQ_VERSION_STRING of the header it
 * was built with) and as a number (ONNXQ_VERSION_NUMBER). */
ONNXQ_API const char *onnxq_version(void);
ONNXQ_API int onnxq_version_number(void);

/* ---------------------------------------------------------------- tensors */

/* Element types, numbered as ONNX TensorProto.DataType. */
typedef enum onnxq_dtype {
    ONNXQ_DTYPE_UNDEFINED = 0,
    ONNXQ_DTYPE_FLOAT = 1,
    ONNXQ_DTYPE_UINT8 = 2,
    ONNXQ_DTYPE_INT8 = 3,
    ONNXQ_DTYPE_INT32 = 6,
    ONNXQ_DTYPE_INT64 = 7,
    ONNXQ_DTYPE_BOOL = 9,
    ONNXQ_DTYPE_DOUBLE = 11
} onnxq_dtype;

#define ONNXQ_MAX_RANK 8

/* A dense tensor in C order (the custom-op ABI of onnxq_custom.h has its own onnxq_tensor).
 * The caller owns data. */
typedef struct onnxq_array {
    onnxq_dtype dtype;
    int32_t rank;              /* 0..ONNXQ_MAX_RANK */
    int64_t dims[ONNXQ_MAX_RANK];
    const void *data;          /* dims' product elements of dtype */
} onnxq_array;

/* A fixed shape for a graph input with symbolic dims (--input-shape NAME=1,3,224,224). */
typedef struct onnxq_input_shape {
    const char *name;          /* graph input name */
    int32_t rank;              /* 1..ONNXQ_MAX_RANK */
    int64_t dims[ONNXQ_MAX_RANK]; /* each > 0, or -1: symbolic (calibrated and quantized at
                                     each sample's extent, kept symbolic in the QDQ model) */
} onnxq_input_shape;

/* ---------------------------------------------------------------- callbacks */

typedef enum onnxq_log_level {
    ONNXQ_LOG_WARNING = 0,     /* something the user should know (a scale widened, a node
                                  left in float, a symbolic dim fixed to 1) */
    ONNXQ_LOG_INFO = 1         /* results worth showing (mixed precision's choice, one line) */
} onnxq_log_level;

/* A log message (one line, no trailing newline). */
typedef void (*onnxq_log_fn)(void *user, onnxq_log_level level, const char *msg);

/* Progress of a long stage ("calibrate"): done of total units (total 0 = unknown). */
typedef void (*onnxq_progress_fn)(void *user, const char *stage, uint32_t done, uint32_t total);

/* Text output of a call that produces a document or a table (the IR dump of dump_after, a
 * report's text table, an inspect summary): len bytes, not NUL-terminated, in order. */
typedef void (*onnxq_output_fn)(void *user, const char *text, size_t len);

/* Calibration samples from memory: fills inputs[0 .. ninputs) (the model's graph inputs in
 * order, each with exactly the input's dtype and shape, symbolic dims taken as 1 unless
 * input_shapes fixes them) with sample number `index` and returns 1, or returns 0 when there
 * are no more samples, or a negative value to fail (the session's error then says so). Called
 * with index 0, 1, 2, ... once each; the data is copied before the next call, so one buffer
 * may be reused. */
typedef int (*onnxq_sample_fn)(void *user, uint32_t index, onnxq_array *inputs,
                               uint32_t ninputs);

/* ---------------------------------------------------------------- options */

typedef enum onnxq_mode {
    ONNXQ_MODE_STATIC = 0,     /* weights and activations (calibrated) */
    ONNXQ_MODE_DYNAMIC = 1     /* MatMul/Gemm weights; activations quantized at run time */
} onnxq_mode;

typedef enum onnxq_observer {
    ONNXQ_OBSERVER_MINMAX = 0,
    ONNXQ_OBSERVER_MOVING_AVERAGE = 1, /* averaging constant 0.01 */
    ONNXQ_OBSERVER_MSE = 2,
    ONNXQ_OBSERVER_ENTROPY = 3,        /* KL divergence, TensorRT style */
    ONNXQ_OBSERVER_PERCENTILE = 4
} onnxq_observer;

typedef enum onnxq_act_type {
    ONNXQ_ACT_UINT8 = 0,       /* default */
    ONNXQ_ACT_INT8 = 1
} onnxq_act_type;

typedef enum onnxq_format {
    ONNXQ_FORMAT_QDQ = 0,      /* QuantizeLinear/DequantizeLinear pairs (default) */
    ONNXQ_FORMAT_QOP = 1,      /* QLinearConv / QLinearMatMul, standard domain only */
    ONNXQ_FORMAT_INT = 2       /* the lowered integer graph onnxq_session_emit_c compiles
                                  (+ com.microsoft QLinearAdd/Mul/Concat/
                                  GlobalAveragePool, com.onnxq QLinearLookup) */
} onnxq_format;

/* Every option of `onnxq quantize`, `compile` and `report`. Fill with onnxq_options_init
 * and change fields. Strings and arrays are the caller's and must stay valid while a session
 * made from the options lives. Zero counts mean "none". The Python binding mirrors this struct
 * field by field (python/onnxq/_lib.py; its tests compare the field names with this header). */
typedef struct onnxq_options {
    uint32_t struct_size;      /* sizeof(onnxq_options), set by onnxq_options_init */

    /* calibration data: files / directories (.npy or TensorProto .pb; one sample, or a batch
       along dim 0, per file; NAME=PATH per input for multi-input models), or the sample
       callback (not both) */
    const char *const *calib;
    uint32_t ncalib;
    onnxq_sample_fn sample_fn;
    void *sample_user;
    uint32_t calib_limit;      /* at most this many samples (0 = all) */

    onnxq_mode mode;           /* default static */
    onnxq_observer observer;   /* default minmax */
    float percentile;          /* for the percentile observer, in (50, 100]; 0 = 99.99 */
    int per_tensor;            /* per-tensor weights (default: per output channel) */
    onnxq_act_type act_type;   /* activation type (default uint8) */
    int act_symmetric;         /* symmetric activations */
    int reduce_range;          /* 7-bit activations (PyTorch reduce_range) */
    const char *const *exclude; /* ONNX node names left in float (each must match a node) */
    uint32_t nexclude;
    const char *const *op_types; /* quantize only these op types (empty: all) */
    uint32_t nop_types;
    const char *const *overrides; /* "TENSOR=KIND" or "TENSOR=SCALE:ZERO_POINT" (see
                                    onnxq_check_override) */
    uint32_t noverrides;
    const char *save_calib;    /* save the observer states after calibration (NULL: no) */
    const char *load_calib;    /* reuse saved observer states (NULL: no) */
    const onnxq_input_shape *input_shapes; /* fixed shapes of graph inputs */
    uint32_t ninput_shapes;
    int equalize;              /* cross-layer equalization of Conv/Gemm pairs */
    int equalize_relu6;        /* also across Relu6, which becomes Relu (changes the model) */
    int bias_correct;          /* bias correction (needs calibration samples) */

    /* automatic mixed precision: leave the most sensitive layers in float until ... */
    int target_sqnr_set;       /* ... the output SQNR on the calibration samples >= target_sqnr */
    float target_sqnr;         /* dB */
    int max_drop_set;          /* ... top-1 on eval_data is within max_drop points of fp32 */
    float max_drop;            /* percentage points */
    const char *eval_data;     /* labelled data X.npy [N, ...] (mixed precision, report) */
    const char *eval_labels;   /* its integer labels Y.npy [N] */
    uint32_t eval_limit;       /* use the first N rows (0 = all) */

    /* custom operators: unknown op types (and any op of a non-standard domain) are user
       operators; implementations come from onnxq_load_custom_op_library */
    int custom_ops;            /* set when a custom-op library is loaded or types are named */
    const char *const *custom_op_types; /* named custom op types (compile: NAME_custom_<T>) */
    uint32_t ncustom_op_types;

    /* debugging the pass pipeline */
    const char *dump_after;    /* the IR after this pass goes to the output callback */
    const char *stop_after;    /* run the float passes up to this one only */
    int verify;                /* run the IR verifier after every pass */

    /* onnxq_session_emit_c */
    const char *name;          /* C identifier prefix of the emitted files (NULL: "model") */
    const char *target;        /* auto (NULL) | native | x86-64 | aarch64 | scalar | avx2 |
                                  avxvnni | avx512 | avx512vnni | amx | neon | neondot | i8mm */
    int debug_dump;            /* also emit NAME_run_debug (a hook after every node) */

    /* callbacks (all may be NULL) */
    onnxq_log_fn log_fn;
    void *log_user;
    onnxq_progress_fn progress_fn;
    void *progress_user;
    onnxq_output_fn output_fn;
    void *output_user;

    /* the check after quantization: the int8 model's output SQNR against fp32 in the
       interpreter on check_samples held-out calibration samples (those past calib_limit; the
       first ones when all calibrated), logged; below 20 dB a warning names the most sensitive
       layers */
    int skip_check;            /* no check */
    uint32_t check_samples;    /* samples measured (0 = 8) */

    /* onnxq_report: another tool's quantized (QDQ) model of the same network, measured beside
       onnxq's layer by layer (NULL: none) */
    const char *compare_model;

    /* onnxq_session_emit_c: time every kernel call (NAME_profile(), NAME_main --profile) */
    int profile;
} onnxq_options;

/* Sets every field to its default (the defaults of the onnxq command). */
ONNXQ_API void onnxq_options_init(onnxq_options *o);

/* Checks an override spec ("TENSOR=KIND" or "TENSOR=SCALE:ZP"); on failure writes the reason
 * to msg (cap bytes, NUL-terminated) and returns ONNXQ_ERR_USAGE. */
ONNXQ_API onnxq_status onnxq_check_override(const char *spec, char *msg, size_t cap);

/* Loads a shared library of custom operators (onnxq_custom_<TYPE> functions, C ABI of
 * onnxq_custom.h) into the process-wide registry used by calibration and onnxq_model_run (at
 * most 16; safe while sessions run). On failure writes the reason to msg. */
ONNXQ_API onnxq_status onnxq_load_custom_op_library(const char *path, char *msg, size_t cap);

/* ---------------------------------------------------------------- sessions */

typedef struct onnxq_session onnxq_session;

/* A session with a copy of *o (NULL: defaults). ONNXQ_ERR_USAGE if o->struct_size is not one
 * this library knows; ONNXQ_ERR_NOMEM. */
ONNXQ_API onnxq_status onnxq_session_new(const onnxq_options *o, onnxq_session **out);
ONNXQ_API void onnxq_session_free(onnxq_session *s);
/* Status and message of the last failed call on s ("" and ONNXQ_OK while none; for a NULL s,
 * what onnxq_session_new could not do). */
ONNXQ_API onnxq_status onnxq_session_status(const onnxq_session *s);
ONNXQ_API const char *onnxq_session_error(const onnxq_session *s);
/* Warnings logged so far. */
ONNXQ_API uint32_t onnxq_session_warnings(const onnxq_session *s);

/* Imports the model and quantizes it by the session's options (the QDQ form, kept in the
 * session, replacing any earlier one). With stop_after, the float graph after that pass is
 * kept instead (and is what the writers below write). ONNXQ_ERR_USAGE for options that contradict each
 * other or the model; other statuses name the file, node and op. */
ONNXQ_API onnxq_status onnxq_session_quantize(onnxq_session *s, const char *model_path);

/* Writes the session's quantized model as ONNX (written atomically; never over the input
 * model). QOP and INT lower the model in the session; a later call needing a different
 * lowering fails with ONNXQ_ERR_USAGE (quantize again). */
ONNXQ_API onnxq_status onnxq_session_write_onnx(onnxq_session *s, const char *path,
                                                onnxq_format format);

/* What onnxq_session_emit_c wrote. */
typedef struct onnxq_compile_info {
    uint32_t kernel_calls;     /* steps of NAME_run */
    double macs;               /* multiply-accumulates of one run */
    size_t weight_bytes;       /* const weight arrays */
    size_t workspace_bytes;    /* the planned activation workspace */
    size_t workspace_lower_bound; /* peak of simultaneously live activation bytes */
    uint32_t float_nodes;      /* nodes that run in float (each logged with its reason) */
} onnxq_compile_info;

/* Lowers the session's quantized model to integer operators and writes standalone C into
 * out_dir (NAME.h, NAME.c, NAME_weights.c, NAME_main.c, onnxq_rt/, Makefile, meson.build,
 * .onnxq-files; created if missing). The files are staged in a sibling folder and moved in only
 * when complete (on failure out_dir is as it was); files onnxq did not write stay. info may be
 * NULL. */
ONNXQ_API onnxq_status onnxq_session_emit_c(onnxq_session *s, const char *out_dir,
                                            onnxq_compile_info *info);

/* onnxq_session_quantize + onnxq_session_write_onnx. */
ONNXQ_API onnxq_status onnxq_quantize(onnxq_session *s, const char *model_path,
                                      const char *out_path, onnxq_format format);
/* onnxq_session_quantize + onnxq_session_emit_c. */
ONNXQ_API onnxq_status onnxq_compile(onnxq_session *s, const char *model_path,
                                     const char *out_dir, onnxq_compile_info *info);

/* ---------------------------------------------------------------- accuracy report */

/* Where the model loses accuracy in int8: runs the float passes and calibration as
 * onnxq_session_quantize does (the session's options; calibration samples required; eval_data
 * and eval_labels add top-1 figures), then per quantizable layer the weight SQNR, the layer's
 * own activation SQNR, the cumulative SQNR and its one-at-a-time sensitivity; with
 * compare_model, the same layer's qparams and SQNR in that other tool's QDQ model. The text table
 * goes to the output callback; html_path / json_path (each may be NULL) get the
 * self-contained HTML page and the JSON figures, written atomically. */
ONNXQ_API onnxq_status onnxq_report(onnxq_session *s, const char *model_path,
                                    const char *html_path, const char *json_path);

/* ---------------------------------------------------------------- running models */

/* A model loaded for the reference interpreter (float or quantized ONNX), tied to the session
 * it was loaded with (errors go there; free the model before the session). */
typedef struct onnxq_model onnxq_model;

/* Loads path with the session's input_shapes and custom-op setting. */
ONNXQ_API onnxq_status onnxq_model_load(onnxq_session *s, const char *path, onnxq_model **out);
ONNXQ_API void onnxq_model_free(onnxq_model *m);
/* Graph inputs and outputs in order: count, and name, dtype and declared shape of entry i
 * (-1 for a symbolic dim) into info (may be NULL); the name, or NULL when i is out of range. */
ONNXQ_API uint32_t onnxq_model_num_inputs(const onnxq_model *m);
ONNXQ_API uint32_t onnxq_model_num_outputs(const onnxq_model *m);
ONNXQ_API const char *onnxq_model_input_info(const onnxq_model *m, uint32_t i, onnxq_array *info);
ONNXQ_API const char *onnxq_model_output_info(const onnxq_model *m, uint32_t i,
                                              onnxq_array *info);
/* Runs the model on inputs[0 .. ninputs) (one per graph input, in order; a symbolic dim takes
 * the given size). outputs[0 .. noutputs) receive the outputs; their data belongs to the model
 * and stays valid until the next run or onnxq_model_free. */
ONNXQ_API onnxq_status onnxq_model_run(onnxq_model *m, const onnxq_array *inputs,
                                       uint32_t ninputs, onnxq_array *outputs,
                                       uint32_t noutputs);
/* Runs the model on tensor files (.npy, or TensorProto .pb by extension), files[i] for graph
 * input i. With out_dir, writes each output as out_dir/<name>.npy (pb: output_<i>.pb) and
 * logs nothing else; without it, a summary of each output (shape, min, max, mean, argmax,
 * the first values) goes to the output callback. The files written are named through the
 * output callback ("wrote FILE" lines). */
ONNXQ_API onnxq_status onnxq_model_run_files(onnxq_model *m, const char *const *files,
                                             const char *out_dir, int pb);

/* ---------------------------------------------------------------- inspecting, evaluating */

/* Summary of a model (inputs, outputs, op histogram, parameters, MACs, content hash) or, with
 * dump, its IR as text, to the output callback. Unknown ops are listed, not refused. */
ONNXQ_API onnxq_status onnxq_inspect(onnxq_session *s, const char *model_path, int dump);

/* Top-1 accuracy of a classifier (one input, first output [batch, classes]). */
typedef struct onnxq_eval_result {
    uint64_t correct;          /* rows whose argmax equals the label */
    uint64_t total;            /* rows evaluated */
    double seconds;            /* wall time of the interpreter runs */
} onnxq_eval_result;

/* Runs the model on data_npy ([N, ...] float32) in batches (batch rows per run when the
 * input's batch dim is symbolic, else the model's batch; the last batch zero-padded) and
 * compares with labels_npy (integer [N]); limit: the first rows only (0 = all). */
ONNXQ_API onnxq_status onnxq_eval(onnxq_session *s, const char *model_path,
                                  const char *data_npy, const char *labels_npy, uint32_t batch,
                                  uint32_t limit, onnxq_eval_result *r);

/* ---------------------------------------------------------------- supported operators */

typedef struct onnxq_op_support {
    const char *name;          /* ONNX op type */
    int interpreter;           /* the reference interpreter runs it (fp32 / int8) */
    const char *emitted_c;     /* how the emitted C runs it ("int8 kernel", "float", ...), or
                                  NULL when the C backend refuses it */
} onnxq_op_support;

/* Number of operators onnxq knows, and entry i (false when out of range). */
ONNXQ_API uint32_t onnxq_op_count(void);
ONNXQ_API int onnxq_op_info(uint32_t i, onnxq_op_support *out);

#ifdef __cplusplus
}
#endif
#endif
