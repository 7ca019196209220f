/* The C backend: writes a lowered int8 graph (QLinearConv / QLinearMatMul / QGemm and the other
 * integer ops, QuantizeLinear/DequantizeLinear at float edges) as standalone C99 source over a
 * copy of the int8 runtime: OUT/NAME.h, NAME.c, NAME_weights.c, NAME_main.c, onnxq_rt/,
 * Makefile, meson.build. No malloc, no stdio, no mutable globals in the library files.
 * What stays float runs in the same function through fp32 kernels (c_emit_float.c); custom ops
 * (unknown op types, --custom-op) call the user's NAME_custom_<TYPE> (onnxq_custom.h ABI). */
#ifndef OQ_C_EMIT_H
#define OQ_C_EMIT_H
#include "ir/ir.h"

typedef struct oq_emit_opts {
    const char *out_dir;       /* created if missing; replaced as a whole (oq_outdir) */
    const char *name;          /* C identifier used as prefix (validated) */
    const char *target;        /* auto (default) | scalar | avx2 | avxvnni | avx512vnni | amx | neon */
    bool debug_dump;           /* emit NAME_run_debug calling a user hook after every node */
    bool profile;              /* time every kernel call: NAME_profile(), NAME_main --profile */
    const char *const *custom_ops; /* --custom-op types: calls of NAME_custom_<TYPE> */
    uint32_t ncustom_ops;
} oq_emit_opts;

typedef struct oq_emit_report {
    size_t workspace;          /* bytes of the planned workspace */
    size_t lower_bound;        /* peak of simultaneously live activation bytes */
    size_t weight_bytes;       /* bytes of const weight arrays (all packings) */
    double macs;               /* multiply-accumulates of one run */
    uint32_t nfloat;           /* nodes that run in float */
    uint32_t nsteps;           /* kernel calls in NAME_run */
} oq_emit_report;

/* Emits g (static shapes; lowered by pass lower_int) into out_dir as a whole (ir/file.c
 * oq_outdir): on error out_dir is as it was. Float nodes are reported through
 * d->warn with the reason, so nothing silently stays slow. */
oq_status oq_emit_c(const oq_graph *g, const oq_emit_opts *o, oq_emit_report *r,
                    oq_diag *d) OQ_NODISCARD;
#endif
