/* Test helpers: build ONNX models with the generated protobuf-c API (no python at test time),
 * pack them, write them to a per-test temp folder and import them. Everything a builder
 * allocates is freed by fm_free. */
#ifndef OQ_FE_TEST_H
#define OQ_FE_TEST_H
#include "frontend/frontend.h"
#include "onnx.pb-c.h"

typedef struct fm fm;
fm *fm_new(int64_t ir_version, int64_t opset);
void fm_free(fm *m);
Onnx__ModelProto *fm_model(fm *m);
/* graph input with elem type dt; dims < 0 become dim_param "N" */
void fm_input(fm *m, const char *name, int dt, int rank, const int64_t *dims);
void fm_output(fm *m, const char *name);
void fm_output_typed(fm *m, const char *name, int dt, int rank, const int64_t *dims);
/* initializer with raw_data (nbytes) */
Onnx__TensorProto *fm_init(fm *m, const char *name, int dt, int rank, const int64_t *dims,
                           const void *raw, size_t nbytes);
Onnx__NodeProto *fm_node(fm *m, const char *op, const char *name, const char *ins,
                         const char *outs);
void fm_attr_int(fm *m, Onnx__NodeProto *n, const char *name, int64_t v);
void fm_attr_float(fm *m, Onnx__NodeProto *n, const char *name, float v);
void fm_attr_str(fm *m, Onnx__NodeProto *n, const char *name, const char *v);
void fm_attr_ints(fm *m, Onnx__NodeProto *n, const char *name, int k, const int64_t *v);
void fm_attr_floats(fm *m, Onnx__NodeProto *n, const char *name, int k, const float *v);
void fm_attr_tensor(fm *m, Onnx__NodeProto *n, const char *name, Onnx__TensorProto *t);
Onnx__TensorProto *fm_tensor(fm *m, int dt, int rank, const int64_t *dims, const void *raw,
                             size_t nbytes);
void *fm_alloc(fm *m, size_t n);           /* zeroed, freed by fm_free */
char *fm_str(fm *m, const char *s);
uint8_t *fm_pack(fm *m, size_t *len);      /* freed by fm_free */

/* a fresh temp folder for this test process, removed when it exits */
const char *fe_tmpdir(void);
void fe_write(const char *path, const void *p, size_t n);
unsigned char *fe_slurp(const char *path, size_t *len);  /* malloc */
/* writes the model to <tmpdir>/<file> and imports it; returns status; *path_out = path */
oq_status fm_import_file(fm *m, const char *file, const oq_import_opts *o, oq_graph **g,
                         oq_diag *d, char *path_out, size_t path_cap);
oq_status fm_import(fm *m, const oq_import_opts *o, oq_graph **g, oq_diag *d);

/* graph lookups */
uint32_t fe_value(const oq_graph *g, const char *name);    /* asserts it exists */
uint32_t fe_node_of_op(const oq_graph *g, oq_op op, int nth); /* OQ_NONE if absent */
#endif
