/* Liveness-based offset assignment for the emitted C's workspace (see memplan.h).
 * Placed buffers are listed under every step they are live at, so finding the buffers that
 * conflict with the next one costs the length of its interval plus the conflicts found: linear in
 * the sum of the interval lengths (a chain of n nodes plans in O(n log n) with the sort), never
 * O(n^2) pairwise. The result is the same as the pairwise first-fit it replaces. */
#include "memplan.h"

#include <stdbool.h>
#include <stdlib.h>

static int by_size_desc(const void *a, const void *b, void *ctx)
{
    const oq_membuf *base = ctx;
    const oq_membuf *x = &base[*(const uint32_t *)a], *y = &base[*(const uint32_t *)b];
    if (x->size != y->size)
        return x->size < y->size ? 1 : -1;
    if (x->first != y->first)
        return x->first < y->first ? -1 : 1;
    return *(const uint32_t *)a < *(const uint32_t *)b ? -1 : 1;
}

static int by_offset(const void *a, const void *b, void *ctx)
{
    const oq_membuf *base = ctx;
    const oq_membuf *x = &base[*(const uint32_t *)a], *y = &base[*(const uint32_t *)b];
    if (x->offset != y->offset)
        return x->offset < y->offset ? -1 : 1;
    return 0;
}

typedef struct plan {
    uint32_t *head;            /* per step: first entry of its placed list (UINT32_MAX: none) */
    uint32_t *next;            /* per entry: next entry of the same step */
    uint32_t *buf;             /* per entry: the placed buffer */
    uint32_t nent, cap;        /* entries used / allocated */
    uint32_t *stamp;           /* per buffer: last query that collected it (+1) */
} plan;

/* Lists buffer i under each step of its interval; false when out of memory. */
static bool list_placed(plan *p, const oq_membuf *b, uint32_t i)
{
    for (uint32_t s = b[i].first; s <= b[i].last; s++) {
        if (p->nent == p->cap) {
            uint32_t cap = p->cap ? p->cap * 2 : 1024;
            uint32_t *nx = realloc(p->next, (size_t)cap * sizeof *nx);
            if (!nx)
                return false;
            p->next = nx;
            uint32_t *bf = realloc(p->buf, (size_t)cap * sizeof *bf);
            if (!bf)
                return false;
            p->buf = bf;
            p->cap = cap;
        }
        p->buf[p->nent] = i;
        p->next[p->nent] = p->head[s];
        p->head[s] = p->nent++;
        if (s == UINT32_MAX)
            break;
    }
    return true;
}

/* Stores in conf the placed buffers live at some step of b[i]'s interval, each once. */
static uint32_t collect_conflicts(plan *p, const oq_membuf *b, uint32_t i, uint32_t *conf)
{
    uint32_t nc = 0;
    for (uint32_t s = b[i].first; s <= b[i].last; s++) {
        for (uint32_t e = p->head[s]; e != UINT32_MAX; e = p->next[e])
            if (p->stamp[p->buf[e]] != i + 1) {
                p->stamp[p->buf[e]] = i + 1;
                conf[nc++] = p->buf[e];
            }
        if (s == UINT32_MAX)
            break;
    }
    return nc;
}

/* Largest sum of aligned sizes live at one step (difference array over the steps). */
static bool lower_bound(const oq_membuf *b, uint32_t n, size_t align, uint32_t maxstep,
                        size_t *lb)
{
    size_t *delta = calloc((size_t)maxstep + 2, sizeof *delta);
    if (!delta)
        return false;
    for (uint32_t i = 0; i < n; i++)
        if (b[i].size) {
            size_t sz = (b[i].size + align - 1) & ~(align - 1);
            delta[b[i].first] += sz;
            delta[(size_t)b[i].last + 1] -= sz;   /* unsigned wrap cancels in the running sum */
        }
    size_t live = 0;
    *lb = 0;
    for (size_t s = 0; s <= maxstep; s++) {
        live += delta[s];
        if (live > *lb)
            *lb = live;
    }
    free(delta);
    return true;
}

size_t oq_memplan(oq_membuf *b, uint32_t n, size_t align, size_t *lower)
{
    uint32_t maxstep = 0;
    for (uint32_t i = 0; i < n; i++)
        if (b[i].size && b[i].last > maxstep)
            maxstep = b[i].last;
    size_t total = SIZE_MAX;
    plan p = {0};
    uint32_t *order = malloc(((size_t)n + 1) * sizeof *order);
    uint32_t *conf = malloc(((size_t)n + 1) * sizeof *conf);
    p.head = malloc(((size_t)maxstep + 1) * sizeof *p.head);
    p.stamp = calloc((size_t)n + 1, sizeof *p.stamp);
    if (!order || !conf || !p.head || !p.stamp)
        goto done;
    *lower = 0;
    if (n && !lower_bound(b, n, align, maxstep, lower))
        goto done;
    for (uint32_t s = 0; s <= maxstep; s++)
        p.head[s] = UINT32_MAX;
    for (uint32_t i = 0; i < n; i++)
        order[i] = i;
    qsort_r(order, n, sizeof *order, by_size_desc, b);
    size_t ws = 0;
    for (uint32_t k = 0; k < n; k++) {
        uint32_t i = order[k];
        oq_membuf *cur = &b[i];
        cur->offset = 0;
        if (!cur->size)
            continue;
        size_t need = (cur->size + align - 1) & ~(align - 1);
        /* conflicting placed buffers sorted by offset; take the first gap that fits */
        uint32_t nc = collect_conflicts(&p, b, i, conf);
        qsort_r(conf, nc, sizeof *conf, by_offset, b);
        size_t off = 0;
        for (uint32_t j = 0; j < nc; j++) {
            const oq_membuf *q = &b[conf[j]];
            if (q->offset >= off + need)
                break;
            size_t end = q->offset + ((q->size + align - 1) & ~(align - 1));
            if (end > off)
                off = end;
        }
        cur->offset = off;
        if (off + need > ws)
            ws = off + need;
        if (!list_placed(&p, b, i))
            goto done;
    }
    total = ws;
done:
    free(order);
    free(conf);
    free(p.head);
    free(p.next);
    free(p.buf);
    free(p.stamp);
    return total;
}
