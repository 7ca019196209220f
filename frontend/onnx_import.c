/* ONNX import: protobuf -> oq_graph (work in progress; full importer lands next). */
#include "frontend.h"

oq_status oq_import_onnx_mem(const void *buf, size_t len, const char *base_dir,
                             const oq_import_opts *opts, oq_graph **out, oq_diag *d)
{
    (void)buf; (void)len; (void)base_dir; (void)opts;
    *out = NULL;
    return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_INTERNAL, "importer not built yet");
}

oq_status oq_import_onnx(const char *path, const oq_import_opts *opts, oq_graph **out, oq_diag *d)
{
    (void)path;
    return oq_import_onnx_mem(NULL, 0, NULL, opts, out, d);
}
