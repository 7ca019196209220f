/* Failing allocator: the graph arena's Nth allocation fails, for every N until import succeeds.
 * Each run must end in OQ_ERR_NOMEM (or OK once N is past the last allocation), with no graph,
 * no leak (ASan build) and no crash. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>
#include <string.h>

#include "fe_test.h"

#define MODEL(rel) OQ_TESTDATA "/" rel "/model.onnx"

typedef struct failing {
    int left;                  /* allocations granted before the failure */
    int live;                  /* blocks currently held */
} failing;

static void *fail_alloc(void *ctx, void *p, size_t old, size_t n)
{
    failing *f = ctx;
    (void)old;
    if (n == 0) {
        if (p)
            f->live--;
        free(p);
        return NULL;
    }
    if (f->left-- <= 0)
        return NULL;
    void *q = realloc(p, n);
    if (q && !p)
        f->live++;
    return q;
}

static void walk(const char *path)
{
    int n;
    for (n = 0; n < 10000; n++) {
        failing f = {.left = n};
        oq_import_opts o = {.alloc = fail_alloc, .alloc_ctx = &f};
        oq_diag d = {0};
        oq_graph *g = NULL;
        oq_status st = oq_import_onnx(path, &o, &g, &d);
        if (st == OQ_OK) {
            oq_graph_free(g);
            cr_expect_eq(f.live, 0, "%s: %d blocks leaked", path, f.live);
            break;
        }
        cr_assert_null(g);
        cr_expect_eq(st, OQ_ERR_NOMEM, "%s: failing allocation %d gave '%s': %s", path, n,
                     oq_status_str(st), d.msg);
        cr_expect_eq(f.live, 0, "%s: allocation %d: %d blocks leaked", path, n, f.live);
    }
    cr_expect_lt(n, 10000, "%s never imported", path);
    cr_log_info("%s: %d failing points walked", path, n);
}

Test(frontend, nomem_every_allocation)
{
    walk(MODEL("pytorch-converted/test_Conv2d"));
    walk(MODEL("node/test_resize_downsample_sizes_nearest_tf_half_pixel_for_nn"));
    walk(MODEL("pytorch-operator/test_operator_index"));
}

/* Address space of this process in bytes (VmSize), 0 if unknown. */
static size_t vm_size(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    unsigned long pages = 0;
    if (f) {
        if (fscanf(f, "%lu", &pages) != 1)
            pages = 0;
        fclose(f);
    }
    return (size_t)pages * (size_t)sysconf(_SC_PAGESIZE);
}

/* The system refusing memory while decoding (ulimit -v) is "out of memory", not "corrupt". */
Test(frontend, system_out_of_memory_while_decoding_is_nomem)
{
#if defined(__SANITIZE_ADDRESS__)
    cr_skip_test("address-space limits do not apply under AddressSanitizer's shadow memory");
#endif
    enum { N = 16 << 20 };                     /* 64 MiB of float weights */
    fm *m = fm_new(8, 13);
    float *w = fm_alloc(m, (size_t)N * sizeof *w);
    int64_t wd[2] = {N / 4096, 4096}, xd[2] = {1, N / 4096};
    fm_input(m, "x", 1, 2, xd);
    fm_init(m, "w", 1, 2, wd, w, (size_t)N * sizeof *w);
    fm_node(m, "MatMul", "mm", "x,w", "y");
    fm_output(m, "y");
    char path[512];
    snprintf(path, sizeof path, "%s/big.onnx", fe_tmpdir());
    size_t len;
    uint8_t *p = fm_pack(m, &len);
    fe_write(path, p, len);
    fm_free(m);
    /* room to read the file, not to decode it as well */
    struct rlimit rl = {vm_size() + len + (24u << 20), vm_size() + len + (24u << 20)};
    cr_assert_eq(setrlimit(RLIMIT_AS, &rl), 0);
    oq_diag d = {0};
    oq_graph *g = NULL;
    oq_status st = oq_import_onnx(path, NULL, &g, &d);
    cr_assert_null(g);
    cr_assert_eq(st, OQ_ERR_NOMEM, "got '%s': %s", oq_status_str(st), d.msg);
    cr_assert(strstr(d.msg, "out of memory") && strstr(d.msg, "big.onnx"), "message: %s", d.msg);
}
