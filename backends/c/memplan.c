/* Liveness-based offset assignment for the emitted C's workspace (see memplan.h).
 * O(n^2) in the number of buffers, which is a few hundred for the models in scope. */
#include "memplan.h"

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

size_t oq_memplan(oq_membuf *b, uint32_t n, size_t align, size_t *lower)
{
    uint32_t *order = malloc((n + 1) * sizeof *order);
    uint32_t *placed = malloc((n + 1) * sizeof *placed);
    uint32_t *conf = malloc((n + 1) * sizeof *conf);
    if (!order || !placed || !conf) {
        free(order);
        free(placed);
        free(conf);
        return SIZE_MAX;
    }
    /* lower bound: the peak of live bytes over steps (sweep over interval ends) */
    uint32_t maxstep = 0;
    for (uint32_t i = 0; i < n; i++)
        if (b[i].size && b[i].last > maxstep)
            maxstep = b[i].last;
    size_t lb = 0;
    for (uint32_t s = 0; s <= maxstep && n; s++) {
        size_t live = 0;
        for (uint32_t i = 0; i < n; i++)
            if (b[i].size && b[i].first <= s && s <= b[i].last)
                live += (b[i].size + align - 1) & ~(align - 1);
        if (live > lb)
            lb = live;
    }
    *lower = lb;

    for (uint32_t i = 0; i < n; i++)
        order[i] = i;
    qsort_r(order, n, sizeof *order, by_size_desc, b);
    size_t total = 0;
    uint32_t nplaced = 0;
    for (uint32_t k = 0; k < n; k++) {
        oq_membuf *cur = &b[order[k]];
        cur->offset = 0;
        if (!cur->size)
            continue;
        size_t need = (cur->size + align - 1) & ~(align - 1);
        /* conflicting placed buffers sorted by offset; take the first gap that fits */
        uint32_t nc = 0;
        for (uint32_t j = 0; j < nplaced; j++) {
            const oq_membuf *p = &b[placed[j]];
            if (p->first <= cur->last && cur->first <= p->last)
                conf[nc++] = placed[j];
        }
        qsort_r(conf, nc, sizeof *conf, by_offset, b);
        size_t off = 0;
        for (uint32_t j = 0; j < nc; j++) {
            const oq_membuf *p = &b[conf[j]];
            if (p->offset >= off + need)
                break;
            size_t end = p->offset + ((p->size + align - 1) & ~(align - 1));
            if (end > off)
                off = end;
        }
        cur->offset = off;
        if (off + need > total)
            total = off + need;
        placed[nplaced++] = (uint32_t)(cur - b);
    }
    free(order);
    free(placed);
    free(conf);
    return total;
}
