/* C emitter, runtime copy: writes the runtime sources an emitted model needs (embedded in the
 * onnxq binary by embed.c) under OUT/onnxq_rt/, and lists the .c files for the build files.
 * Calls only c_emit_util.c. */
#include "c_emit_int.h"

#include <stdlib.h>
#include <string.h>

#include "backends/c/rt_files.h"

/* True if the target carries a kernel of architecture a other than scalar. */
static bool has_simd(const ectx *e, oq_arch a)
{
    for (unsigned i = 0; i < OQ_ISA_COUNT; i++)
        if ((e->isas & OQ_ISA_BIT(i)) && oq_isa_arch((oq_isa)i) == a)
            return true;
    return false;
}

/* False for a kernel file of an ISA the target leaves out: files are named by the ISA
 * (q8/<family>/<isa>.c, f32/ukernel_<isa>.c), the headers only SIMD code includes by the
 * architecture (x86-*.h, neon-*.h). */
static bool isa_wanted(const ectx *e, const char *path)
{
    const char *base = strrchr(path, '/') + 1;
    if (strncmp(base, "x86-", 4) == 0)
        return has_simd(e, OQ_ARCH_X86);
    if (strncmp(base, "neon-", 5) == 0)
        return has_simd(e, OQ_ARCH_ARM);
    if (strncmp(base, "ukernel_", 8) == 0)
        base += 8;
    char stem[32];
    size_t l = strcspn(base, ".");
    if (l >= sizeof stem || strcmp(base + l, ".c") != 0)
        return true;
    memcpy(stem, base, l);
    stem[l] = '\0';
    oq_isa isa = oq_isa_parse(stem);
    return isa == OQ_ISA_COUNT || (e->isas & OQ_ISA_BIT(isa));
}

/* The runtime files an emitted model needs: cpu.[ch], isa.def and runtime/q8/ (the kernel files
 * of the target's ISAs; each also guards itself with #if on the architecture and target.h, and
 * enables its ISA itself); runtime/f32 when a float Conv/Gemm/MatMul/ConvTranspose is left
 * (deconv.c only for ConvTranspose); runtime/f32/ops when other float or data-movement ops are;
 * onnxq_custom.h always (NAME.h includes it). target.h is written, not copied. */
static bool rt_needed(const ectx *e, const char *path)
{
    if (!isa_wanted(e, path))
        return false;
    if (strncmp(path, "runtime/f32/ops/", 16) == 0)
        return e->need_fk;
    if (strncmp(path, "runtime/f32/", 12) == 0)
        return e->need_f32 && (e->need_deconv || strcmp(path, "runtime/f32/deconv.c") != 0);
    return strncmp(path, "runtime/q8/", 11) == 0 || strcmp(path, "runtime/cpu.c") == 0 ||
           strcmp(path, "runtime/cpu.h") == 0 || strcmp(path, "runtime/isa.def") == 0 ||
           strcmp(path, "runtime/interp/onnxq_custom.h") == 0;
}

/* onnxq_rt/target.h: OQ_WITH_<ID> per row of isa.def, 1 for the target's ISAs. */
static oq_status write_target_h(ectx *e)
{
    static const char *const ids[] = {
#define OQ_ISA_ROW(ID, name, arch, features) #ID,
#include "runtime/isa.def"
#undef OQ_ISA_ROW
    };
    oq_cbuf b = {0};
    cbuf_printf(&b, "/* target.h: the ISAs whose kernels this runtime carries (written by onnxq "
                "compile --target %s;\n * see runtime/isa.def). */\n#ifndef OQ_TARGET_H\n"
                "#define OQ_TARGET_H\n#define OQ_TARGET_NAME \"%s\"\n", e->target, e->target);
    for (unsigned i = 0; i < OQ_ISA_COUNT; i++)
        cbuf_printf(&b, "#define OQ_WITH_%s %d\n", ids[i], (e->isas & OQ_ISA_BIT(i)) ? 1 : 0);
    cbuf_printf(&b, "#endif\n");
    oq_status st = ce_write_out(e, "onnxq_rt/target.h", &b);
    cbuf_free(&b);
    return st;
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
    return write_target_h(e);
}
