/* C emitter, runtime copy: writes the runtime sources an emitted model needs (embedded in the
 * onnxq binary by embed.c) under OUT/onnxq_rt/, and lists the .c files for the build files.
 * Calls only c_emit_util.c. */
#include "c_emit_int.h"

#include <stdlib.h>
#include <string.h>

#include "backends/c/rt_files.h"

/* The runtime files an emitted model needs: cpu.[ch] and runtime/q8/ (all ISA variants; each
 * guards itself with #if on the architecture); runtime/f32 (GEMM/conv, not ConvTranspose) when
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

/* Text put around a copied runtime file so it builds in an emitted project with nothing but
 * `cc -O2 -std=c99` (no meson flags): ISA files compile only on their architecture, with the
 * ISA enabled by pragma (as runtime/q8 does with target attributes); runtime/f32's dispatch
 * needs OQ_F32_HAVE_X86 and, on bare metal, a pthread_once stand-in. */
static void rt_wrap(const char *path, const char *base, bool is_c, const char **pre,
                    const char **post)
{
    static const char x86_guard[] = "/* onnxq: built only where it applies */\n#if defined(__x86_64__)\n";
    static const char a64_guard[] = "/* onnxq: built only where it applies */\n#if defined(__aarch64__)\n";
    static const char end_guard[] =
        "#else\ntypedef int oq_rt_empty_unit; /* ISO C: no empty file */\n#endif\n";
    static const char avx2_pre[] =
        "/* onnxq: built only on x86-64, with AVX2+FMA enabled for this file */\n"
        "#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))\n"
        "#if defined(__clang__)\n"
        "#pragma clang attribute push(__attribute__((target(\"avx2,fma\"))), apply_to = function)\n"
        "#else\n#pragma GCC target(\"avx2,fma\")\n#endif\n";
    static const char avx512_pre[] =
        "/* onnxq: built only on x86-64, with AVX-512 enabled for this file */\n"
        "#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))\n"
        "#if defined(__clang__)\n"
        "#pragma clang attribute push(__attribute__((target(\"avx512f,avx512bw,avx512vl,avx2,fma\"))), "
        "apply_to = function)\n"
        "#else\n#pragma GCC target(\"avx512f,avx512bw,avx512vl,avx2,fma\")\n#endif\n";
    static const char pragma_end[] =
        "#if defined(__clang__)\n#pragma clang attribute pop\n#endif\n"
        "#else\ntypedef int oq_rt_empty_unit; /* ISO C: no empty file */\n#endif\n";
    static const char gemm_pre[] =
        "/* onnxq: the x86 micro-kernels are in this project; bare metal has no pthreads */\n"
        "#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))\n"
        "#define OQ_F32_HAVE_X86 1\n#endif\n"
        "#if !defined(__unix__) && !defined(__APPLE__)\n#define OQ_F32_NO_PTHREAD 1\n#endif\n";
    *pre = *post = NULL;
    if (!is_c)
        return;
    if (strncmp(path, "runtime/f32/", 12) == 0) {
        if (strcmp(base, "ukernel_avx2.c") == 0)
            *pre = avx2_pre, *post = pragma_end;
        else if (strcmp(base, "ukernel_avx512.c") == 0)
            *pre = avx512_pre, *post = pragma_end;
        else if (strcmp(base, "gemm.c") == 0)
            *pre = gemm_pre;
        return;
    }
    if (strncmp(base, "neon", 4) == 0)
        *pre = a64_guard, *post = end_guard;
    else if (strncmp(base, "avx", 3) == 0 || strncmp(base, "amx", 3) == 0)
        *pre = x86_guard, *post = end_guard;
}

/* runtime/f32/gemm.c on bare metal: its pthread_once becomes a first-call-decides flag (the
 * choice is idempotent), as runtime/cpu.c and runtime/q8/config.c do themselves. */
static void put_file(oq_cbuf *b, const char *path, const unsigned char *data, size_t size)
{
    static const char inc[] = "#include <pthread.h>\n";
    const char *hit = NULL;
    if (strcmp(path, "runtime/f32/gemm.c") == 0)
        for (size_t i = 0; i + sizeof inc - 1 <= size && !hit; i++)
            if (memcmp(data + i, inc, sizeof inc - 1) == 0)
                hit = (const char *)data + i;
    if (!hit) {
        cbuf_put(b, (const char *)data, size);
        return;
    }
    size_t pre = (size_t)(hit - (const char *)data);
    cbuf_put(b, (const char *)data, pre);
    cbuf_printf(b, "#if !defined(OQ_F32_NO_PTHREAD)\n#include <pthread.h>\n#else\n"
                "typedef int pthread_once_t;\n#define PTHREAD_ONCE_INIT 0\n"
                "static int oq_once(pthread_once_t *o, void (*f)(void))\n"
                "{\n    if (!*o) {\n        f();\n        *o = 1;\n    }\n    return 0;\n}\n"
                "#define pthread_once oq_once\n#endif\n");
    cbuf_put(b, hit + sizeof inc - 1, size - pre - (sizeof inc - 1));
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
        /* ISA-specific files compile to nothing on other architectures */
        const char *base = strrchr(f->path, '/') ? strrchr(f->path, '/') + 1 : f->path;
        bool is_c = strlen(base) > 2 && strcmp(base + strlen(base) - 2, ".c") == 0;
        const char *pre, *post;
        rt_wrap(f->path, base, is_c, &pre, &post);
        oq_cbuf b = {0};
        if (pre)
            cbuf_put(&b, pre, strlen(pre));
        put_file(&b, f->path, f->data, f->size);
        if (post)
            cbuf_put(&b, post, strlen(post));
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
