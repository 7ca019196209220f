/* ir/arena.c: alignment, zeroing, large blocks, accounting, and every NOMEM path: an injected
 * allocator fails the Nth backing allocation while a graph is parsed, inferred, sorted, hashed
 * and verified; each step must return OQ_ERR_NOMEM (or succeed), never crash, and every block
 * obtained must be given back by oq_graph_free. */
#include <stdlib.h>

#include "util.h"

typedef struct failing {
    long fail_at;              /* 0-based index of the allocation that fails; -1 = never */
    long count;                /* allocations attempted */
    long live;                 /* blocks currently held */
    size_t bytes;              /* bytes currently held */
} failing;

static void *failing_alloc(void *ctx, void *p, size_t old, size_t n)
{
    failing *f = ctx;
    if (n == 0) {
        if (p) {
            f->live--;
            f->bytes -= old;
        }
        free(p);
        return NULL;
    }
    cr_assert_null(p, "the arena never reallocates in place");
    if (f->count++ == f->fail_at)
        return NULL;
    void *q = malloc(n);
    if (q) {
        f->live++;
        f->bytes += n;
    }
    return q;
}

Test(arena, aligned_zeroed_and_accounted)
{
    failing f = {.fail_at = -1};
    oq_arena a;
    oq_arena_init(&a, failing_alloc, &f);
    for (size_t n = 0; n < 300; n += 7) {
        unsigned char *p = oq_arena_alloc(&a, n);
        cr_assert_not_null(p);
        cr_expect_eq((uintptr_t)p % 64, 0u, "size %zu not 64-aligned", n);
        for (size_t i = 0; i < n; i++)
            cr_expect_eq(p[i], 0, "size %zu byte %zu not zeroed", n, i);
        memset(p, 0xab, n);
    }
    void *big = oq_arena_alloc(&a, 5u << 20);   /* larger than a chunk */
    cr_assert_not_null(big);
    cr_expect_eq((uintptr_t)big % 64, 0u);
    cr_expect_eq(((unsigned char *)big)[(5u << 20) - 1], 0);
    char *s = oq_arena_strdup(&a, "hello");
    cr_expect_str_eq(s, "hello");
    cr_expect_str_eq(oq_arena_strdup(&a, NULL), "");
    int arr[3] = {1, 2, 3};
    int *d = oq_arena_dup(&a, arr, sizeof arr);
    cr_expect(d[0] == 1 && d[2] == 3);
    cr_expect_eq(a.total, f.bytes, "arena.total %zu, allocator holds %zu", a.total, f.bytes);
    cr_expect_null(oq_arena_alloc(&a, SIZE_MAX - 10), "absurd sizes fail cleanly");
    oq_arena_free(&a);
    cr_expect_eq(f.live, 0, "%ld blocks leaked", f.live);
    cr_expect_eq(a.total, 0u);
}

Test(arena, failing_first_allocation)
{
    failing f = {.fail_at = 0};
    oq_arena a;
    oq_arena_init(&a, failing_alloc, &f);
    cr_expect_null(oq_arena_alloc(&a, 16));
    f.fail_at = f.count;
    cr_expect_null(oq_graph_new(failing_alloc, &f));
    cr_expect_eq(f.live, 0);
}

/* A graph text big enough to need many chunks: 40 constants of 6000 floats and shape arithmetic. */
static char *big_text(void)
{
    size_t cap = 4u << 20, k = 0;
    char *t = malloc(cap);
    cr_assert_not_null(t);
    k += (size_t)snprintf(t + k, cap - k, "graph \"big\" opset=13 ir_version=7\n"
                                          "input %%x:f32[1,6000]\n");
    for (int c = 0; c < 40; c++) {
        k += (size_t)snprintf(t + k, cap - k, "const %%w%d:f32[1,6000] = {", c);
        for (int i = 0; i < 6000; i++)
            k += (size_t)snprintf(t + k, cap - k, i ? ",%d" : "%d", (i * 7 + c) % 13);
        k += (size_t)snprintf(t + k, cap - k, "}\n");
    }
    k += (size_t)snprintf(t + k, cap - k, "%%a0 = Add(%%x, %%w0)\n");
    for (int c = 1; c < 40; c++)
        k += (size_t)snprintf(t + k, cap - k, "%%a%d = Mul(%%a%d, %%w%d) # node_%d\n", c, c - 1,
                              c, c);
    k += (size_t)snprintf(t + k, cap - k,
                          "%%s = Shape(%%a39)\n const %%ax:i64[1] = {0}\n"
                          "%%g = Gather(%%s, %%ax)\n %%c = Concat(%%g, %%g) {axis=0}\n"
                          "%%z = ConstantOfShape(%%c)\n output %%a39\n output %%z\n");
    return t;
}

/* One full run with allocation fail_at failing; returns the number of allocations made. */
static long run_once(const char *text, long fail_at, bool *failed)
{
    failing f = {.fail_at = fail_at};
    *failed = false;
    oq_graph *g = oq_graph_new(failing_alloc, &f);
    if (!g) {
        *failed = true;
        cr_expect_eq(f.live, 0);
        return f.count;
    }
    oq_diag d = {0};
    oq_status st = ir_parse_into(g, text, &d);
    if (st == OQ_OK) {
        st = ir_infer(g, &d);
        if (st == OQ_OK)
            st = ir_toposort(g, &d);
        if (st == OQ_OK) {
            ir_fill_uses(g);
            if (ir_hash_graph(g) == 0)
                st = oq_errorf(&d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory hashing");
        }
        if (st == OQ_OK) {
            oq_diag dv = {0};
            st = ir_verify(g, &dv);
            cr_expect(st == OQ_OK || (fail_at >= 0 && st == OQ_ERR_INTERNAL), "verify: %s",
                      dv.msg);
            st = OQ_OK;
        }
    }
    if (st != OQ_OK) {
        *failed = true;
        cr_expect_eq(st, OQ_ERR_NOMEM, "fail_at %ld: status %s (%s)", fail_at, oq_status_str(st),
                     d.msg);
        cr_expect(strstr(d.msg, "out of memory") != NULL, "fail_at %ld: message %s", fail_at,
                  d.msg);
    }
    oq_graph_free(g);
    cr_expect_eq(f.live, 0, "fail_at %ld: %ld blocks leaked", fail_at, f.live);
    return f.count;
}

Test(arena, every_nomem_path_fails_cleanly, .timeout = 120)
{
    char *text = big_text();
    bool failed;
    long total = run_once(text, -1, &failed);
    cr_assert(!failed, "the run without failures must succeed");
    cr_assert_gt(total, 5, "want several backing allocations, got %ld", total);
    long nfail = 0;
    for (long n = 0; n < total; n++) {
        run_once(text, n, &failed);
        nfail += failed;
    }
    cr_expect_gt(nfail, 0);
    free(text);
}
