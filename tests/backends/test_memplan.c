/* The workspace planner (backends/c/memplan.c) against a pairwise first-fit reference on random
 * liveness intervals: same offsets, no two buffers live at one step overlap, the lower bound is
 * the peak of live bytes, and a 100k-buffer chain plans (the planner is linear in the sum of the
 * interval lengths, not quadratic). */
#include <criterion/criterion.h>
#include <stdlib.h>

#include "backends/c/memplan.h"

static size_t al(size_t n, size_t a) { return (n + a - 1) & ~(a - 1); }

/* The reference: buffers by decreasing size (then first step, then index), each at the lowest
 * offset that fits between the already placed buffers whose intervals meet its own. */
static size_t ref_plan(oq_membuf *b, uint32_t n, size_t a)
{
    uint32_t *ord = malloc(n * sizeof *ord);
    for (uint32_t i = 0; i < n; i++)
        ord[i] = i;
    for (uint32_t i = 1; i < n; i++)           /* insertion sort: small n */
        for (uint32_t j = i; j > 0; j--) {
            const oq_membuf *x = &b[ord[j - 1]], *y = &b[ord[j]];
            bool swap = x->size != y->size ? x->size < y->size
                        : x->first != y->first ? x->first > y->first : ord[j - 1] > ord[j];
            if (!swap)
                break;
            uint32_t t = ord[j];
            ord[j] = ord[j - 1];
            ord[j - 1] = t;
        }
    size_t total = 0;
    for (uint32_t k = 0; k < n; k++) {
        oq_membuf *c = &b[ord[k]];
        c->offset = 0;
        if (!c->size)
            continue;
        size_t need = al(c->size, a), off = 0;
        for (bool moved = true; moved;) {      /* lowest offset clear of every placed conflict */
            moved = false;
            for (uint32_t j = 0; j < k; j++) {
                const oq_membuf *p = &b[ord[j]];
                if (!p->size || p->first > c->last || c->first > p->last)
                    continue;
                if (off < p->offset + al(p->size, a) && p->offset < off + need) {
                    off = p->offset + al(p->size, a);
                    moved = true;
                }
            }
        }
        c->offset = off;
        if (off + need > total)
            total = off + need;
    }
    free(ord);
    return total;
}

Test(memplan, equals_first_fit_reference_on_random_intervals)
{
    srand(7);
    for (int t = 0; t < 300; t++) {
        uint32_t n = 1 + (uint32_t)(rand() % 40);
        oq_membuf b[40], r[40];
        for (uint32_t i = 0; i < n; i++) {
            b[i].size = rand() % 5 == 0 ? 0 : (size_t)(1 + rand() % 4096);
            b[i].first = (uint32_t)(rand() % 60);
            b[i].last = b[i].first + (uint32_t)(rand() % 4 == 0 ? rand() % 60 : rand() % 3);
            b[i].offset = 12345;
            r[i] = b[i];
        }
        size_t lb = 0, got = oq_memplan(b, n, 64, &lb), want = ref_plan(r, n, 64);
        cr_assert_eq(got, want, "case %d: workspace %zu, reference %zu", t, got, want);
        size_t peak = 0;
        for (uint32_t s = 0; s < 130; s++) {
            size_t live = 0;
            for (uint32_t i = 0; i < n; i++)
                if (b[i].size && b[i].first <= s && s <= b[i].last)
                    live += al(b[i].size, 64);
            peak = live > peak ? live : peak;
        }
        cr_assert_eq(lb, peak, "case %d: lower bound %zu, peak live %zu", t, lb, peak);
        cr_assert_leq(lb, got);
        for (uint32_t i = 0; i < n; i++) {
            cr_assert_eq(b[i].offset, r[i].offset, "case %d buffer %u: offset %zu, reference %zu",
                         t, i, b[i].offset, r[i].offset);
            for (uint32_t j = 0; j < i; j++) {
                bool live = b[i].size && b[j].size && b[i].first <= b[j].last &&
                            b[j].first <= b[i].last;
                bool apart = b[i].offset + al(b[i].size, 64) <= b[j].offset ||
                             b[j].offset + al(b[j].size, 64) <= b[i].offset;
                cr_assert(!live || apart, "case %d: buffers %u and %u overlap", t, i, j);
            }
        }
    }
}

Test(memplan, long_chain_with_a_skip)
{
    uint32_t n = 100000;
    oq_membuf *b = calloc(n + 1, sizeof *b);
    for (uint32_t i = 0; i < n; i++) {
        b[i].size = 256;
        b[i].first = i;
        b[i].last = i + 1;
    }
    b[n].size = 1000;                          /* lives across the whole chain */
    b[n].first = 0;
    b[n].last = n;
    size_t lb = 0, ws = oq_memplan(b, n + 1, 64, &lb);
    cr_assert_eq(lb, 1024 + 2 * 256);
    cr_assert_eq(ws, lb, "a chain plans to its lower bound: got %zu", ws);
    free(b);
}
