/* lib/: the implementation of onnxq.h. A session holds a copy of the caller's options, the
 * pass options made from them, the last error (oq_diag, rendered into onnxq_session_error) and
 * the model being quantized. Cross-file helpers of lib/ only; nothing here is public. */
#ifndef OQ_LIB_INTERNAL_H
#define OQ_LIB_INTERNAL_H
#include <stdio.h>

#include "frontend/frontend.h"
#include "ir/ir.h"
#include "onnxq.h"
#include "passes/passes.h"

struct onnxq_session {
    onnxq_options o;           /* the caller's options (strings and arrays stay the caller's) */
    oq_options opt;            /* pass and quantizer options made from o */
    oq_diag d;                 /* error of the last failed call; warnings go to o.log_fn */
    oq_file_set inputs;        /* every file the session read: no write replaces one */
    uint32_t nwarn;            /* warnings logged over the session's life */
    oq_override *overrides;    /* o.overrides parsed (noverrides entries) */
    oq_input_shape *shapes;    /* o.input_shapes converted (ninput_shapes entries) */
    oq_calib_data calib;       /* o.calib, or the samples of o.sample_fn held in memory */
    oq_rt_tensor *mem;         /* those samples: nmem x graph inputs, data malloc'ed each */
    uint32_t nmem;
    oq_graph *g;               /* the model: quantized QDQ (or float with stop_after) */
    oq_graph *gsym;            /* g with the model's symbolic input dims kept (quantized QDQ;
                                  the QDQ writer's graph), or NULL (lib/dynamic.c) */
    char *model_path;          /* where g came from (never overwritten by a write) */
    bool stopped;              /* g is the float graph at stop_after */
    int lowered;               /* 0: QDQ; 1: lowered, standard ops; 2: lowered, contrib ops */
    const char *stage;         /* the progress callback's stage (NULL: "calibrate") */
    uint8_t sym_in[64], sym_out[64]; /* bit k: dim k of input/output i was symbolic (set to 1) */
};

/* lib/session.c */
/* Starts a public call: clears the last error (warnings keep flowing to the log). */
OQ_INTERNAL void lib_begin(onnxq_session *s);
/* Ends a public call with st (the session's error already recorded by d when st != OK). */
OQ_INTERNAL onnxq_status lib_end(onnxq_session *s, oq_status st);
/* Logs one INFO line (printf format) through the session's log callback. */
OQ_INTERNAL void lib_info(onnxq_session *s, const char *fmt, ...) OQ_PRINTF(2, 3);
/* Writes text through the output callback. */
OQ_INTERNAL void lib_output(onnxq_session *s, const char *text, size_t len);
/* Frees the samples of the sample callback and the model. */
OQ_INTERNAL void lib_drop_model(onnxq_session *s);
/* Fills s->calib for g: o.calib, or every sample of o.sample_fn (up to calib_limit) checked
 * against g's inputs and copied. USAGE when both or neither are given and need is set. */
OQ_INTERNAL oq_status lib_load_samples(onnxq_session *s, const oq_graph *g) OQ_NODISCARD;
/* True when calibration samples were given (files or callback). */
OQ_INTERNAL bool lib_has_samples(const onnxq_session *s);

/* lib/quantize.c */
/* Import with the session's shapes and custom-op setting, symbolic input dims fixed (beyond
 * the batch, with calibration files: to the first sample's shapes; else to 1, recorded in
 * sym_in/sym_out, warned), static shapes required, samples loaded, float passes run
 * (dump_after to the output callback). *out is the float graph (or NULL on error); *sym (when
 * sym is not NULL) the same graph with the symbolic dims kept, or NULL (lib/dynamic.c). */
OQ_INTERNAL oq_status lib_prepare(onnxq_session *s, const char *path, oq_graph **out,
                                  oq_graph **sym) OQ_NODISCARD;

/* lib/dynamic.c */
/* True when a graph input has a symbolic dim other than dim 0. */
OQ_INTERNAL bool lib_dyn_dims(const oq_graph *g);
/* shapes[i] (g->ninput entries): graph input i's shape in the first calibration sample. */
OQ_INTERNAL oq_status lib_dyn_first_shapes(onnxq_session *s, const oq_graph *g,
                                           oq_input_shape *shapes) OQ_NODISCARD;
/* Feeds every calibration sample into c (made on gsym), each run on gsym fixed to its shapes. */
OQ_INTERNAL oq_status lib_dyn_calibrate(onnxq_session *s, const oq_graph *gsym,
                                        oq_calib *c) OQ_NODISCARD;
/* Copies each float constant of `from` into the same-named, same-shaped constant of `to`
 * (bias correction's and equalization's results on the fixed graph, into the symbolic one). */
OQ_INTERNAL void lib_dyn_transplant(const oq_graph *from, oq_graph *to);

/* lib/check.c */
/* Measures the output SQNR of quantized qg against float fg (same value ids; c: fg's
 * calibration, NULL in dynamic mode) on held-out or calibration samples, logs it, and warns
 * below 20 dB naming the most sensitive layers. Skipped with skip_check or without samples. */
OQ_INTERNAL oq_status lib_check_quality(onnxq_session *s, const oq_graph *fg, const oq_graph *qg,
                                        const oq_calib *c) OQ_NODISCARD;
#endif
