/* Failing allocator: the graph arena's Nth allocation fails, for every N until import succeeds.
 * Each run must end in OQ_ERR_NOMEM (or OK once N is past the last allocation), with no graph,
 * no leak (ASan build) and no crash. */
#include <criterion/criterion.h>
#include <stdlib.h>
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
