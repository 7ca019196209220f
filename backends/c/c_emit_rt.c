/* C emitter, runtime copy: writes the runtime sources an emitted model needs (embedded in the
 * onnxq binary by embed.c) under OUT/onnxq_rt/, and lists the .c files for the build files.
 * Calls only c_emit_util.c. */
#include "c_emit_int.h"

#include <stdlib.h>
#include <string.h>

#include "backends/c/rt_files.h"

/* The runtime files an emitted model needs: cpu.[ch] and runtime/q8/ (all ISA variants; each
 * guards itself with #if on the architecture and enables its ISA itself); runtime/f32 (GEMM/conv, not ConvTranspose) when
 * a float Conv/Gemm/MatMul is left; runtime/f32/ops when other float or data-movement ops are;
 * onnxq_custom.h always (NAME.h includes it). */
static bool rt_needed(const ectx *e, const char *path)
{
    if (strncmp(path, "runtime/f32/ops/", 16) == 0)
        return e->need_fk;
    if (strncmp(path, "runtime/f32/", 12) == 0)
        return e->need_f32 && strcmp(path, "runtime/f32/deconv.c") != 0;
    return strncmp(path, "runtime/q8/", 11) == 0 || strcmp(path, "runtime/cpu.c") == 0 ||
           strcmp(path, "runtime/cpu.h") == 0 || strcmp(path, "runtime/interp/onnxq_custom.h") == 0;
}

/* See c_emit_int.h. */
oq_status ce_copy_runtime(ectx *e, oq_cbuf *srcs)
{
    for (size_t i = 0; i < oq_rt_nfiles; i++) {
        const oq_rt_file *f = &oq_rt_files[i];
        if (!rt_needed(e, f->path))
            continue;
        /* runtime/X -> onnxq_rt/X; onnxq_custom.h at onnxq_rt/ top level */
        const char *rel = strncmp(f->path, "runtime/", 8) == 0 ? f->path + strlen("runtime/")
                                                                : strrchr(f->path, '/') + 1;
        if (strncmp(f->path, "runtime/interp/", 15) == 0)
            rel = f->path + 15;
        char file[512];
        snprintf(file, sizeof file, "onnxq_rt/%s", rel);
        size_t dl = strlen(e->o->out_dir) + strlen(file) + 2;
        char *dir = malloc(dl);
        if (!dir)
            return oq_errorf(e->d, NULL, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
        snprintf(dir, dl, "%s/%s", e->o->out_dir, file);
        *strrchr(dir, '/') = '\0';
        oq_status mst = ce_mkdirs(e, dir);
        free(dir);
        if (mst != OQ_OK)
            return mst;
        /* copied verbatim: each file guards itself (architecture, ISA, threads) */
        oq_cbuf b = {0};
        cbuf_put(&b, (const char *)f->data, f->size);
        oq_status st = ce_write_out(e, file, &b);
        cbuf_free(&b);
        if (st)
            return st;
        size_t l = strlen(file);
        if (l > 2 && strcmp(file + l - 2, ".c") == 0)
            cbuf_printf(srcs, " %s", file);
    }
    return OQ_OK;
}
