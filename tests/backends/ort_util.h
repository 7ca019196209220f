/* Test helpers for tests/backends: .npy files and running models in ONNX Runtime through
 * node (tests/backends/ort_check.js, batch mode, one node process per batch). Tensors here own
 * malloc'ed data (tb_free). */
#ifndef OQ_TESTS_ORT_UTIL_H
#define OQ_TESTS_ORT_UTIL_H
#include "ir/ir.h"

#define TB_MAXOUT 16

typedef struct tb_tensor {
    oq_dtype dtype;
    oq_shape shape;
    void *data;                    /* malloc'ed, numel * dtype size bytes */
} tb_tensor;

typedef struct ort_job {
    const char *model;             /* .onnx path */
    uint32_t nin;
    const tb_tensor *in;           /* bound to the graph inputs in order */
    bool ok;                       /* result: ran in ORT */
    char err[512];                 /* ORT's message when !ok */
    uint32_t nout;
    tb_tensor out[TB_MAXOUT];      /* graph outputs in order (tb_free each) */
} ort_job;

/* True if node and onnxruntime-node are installed; else why says what is missing. */
bool ort_available(char *why, size_t n);
/* Runs every job in one node process; false (and err) only if node itself could not run. */
bool ort_run_batch(ort_job *jobs, size_t n, char *err, size_t errn);
void ort_job_free(ort_job *j);

bool npy_write(const char *path, const tb_tensor *t);
bool npy_read(const char *path, tb_tensor *t);
void tb_free(tb_tensor *t);
/* Copies dtype/shape/data into a new tensor. */
tb_tensor tb_make(oq_dtype dt, const oq_shape *s, const void *data);
size_t tb_nbytes(const tb_tensor *t);
/* Element i as double (float, double, ints, bool). */
double tb_get(const tb_tensor *t, size_t i);

/* The ONNX reference checker (tests/backends/onnx_check.py, /usr/bin/python3 + onnx). */
bool onnx_checker_available(char *why, size_t n);
/* Checks every model; counts ok / skipped (opset newer than the onnx package) and appends
 * "\n  path: message" for each failure to fails. False if python could not run. */
bool onnx_check_models(const char *const *paths, size_t n, size_t *nok, size_t *nskip,
                       size_t *nfail, char *fails, size_t fn);
#endif
