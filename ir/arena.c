/* Arena: a chunk list with a bump pointer. Every allocation is 64-byte aligned and zeroed,
 * so tensor data is ready for vector loads. Nothing is freed alone; oq_arena_free drops all. */
#include <stdlib.h>
#include <string.h>

#include "ir.h"

struct oq_arena_chunk {
    oq_arena_chunk *next;      /* older chunk */
    size_t size;               /* usable bytes after the header */
    size_t used;               /* bytes handed out */
    size_t alloc_size;         /* bytes requested from the backing allocator */
};

#define ALIGN 64
#define HDR (((sizeof(oq_arena_chunk) + ALIGN - 1) / ALIGN) * ALIGN)
#define MIN_CHUNK (64 * 1024)

void *oq_default_alloc(void *ctx, void *p, size_t old, size_t n)
{
    (void)ctx;
    (void)old;
    if (n == 0) {
        free(p);
        return NULL;
    }
    return realloc(p, n);
}

void oq_arena_init(oq_arena *a, oq_allocfn fn, void *ctx)
{
    a->head = NULL;
    a->alloc = fn ? fn : oq_default_alloc;
    a->alloc_ctx = ctx;
    a->total = 0;
}

/* The base of a chunk's payload, aligned up to ALIGN (the backing allocator aligns to 16). */
static unsigned char *payload(oq_arena_chunk *c)
{
    uintptr_t p = (uintptr_t)c + HDR;
    return (unsigned char *)((p + ALIGN - 1) & ~(uintptr_t)(ALIGN - 1));
}

void *oq_arena_alloc(oq_arena *a, size_t n)
{
    if (n == 0)
        n = 1;
    if (n > SIZE_MAX / 2)
        return NULL;
    n = (n + ALIGN - 1) & ~(size_t)(ALIGN - 1);
    oq_arena_chunk *c = a->head;
    if (!c || c->size - c->used < n) {
        size_t size = n > MIN_CHUNK ? n : MIN_CHUNK;
        if (a->head && size < a->head->size * 2 && a->head->size < (64u << 20))
            size = a->head->size * 2 > n ? a->head->size * 2 : n;
        size_t want = HDR + size + ALIGN;
        c = a->alloc(a->alloc_ctx, NULL, 0, want);
        if (!c)
            return NULL;
        c->next = a->head;
        c->size = size;
        c->used = 0;
        c->alloc_size = want;
        a->head = c;
        a->total += want;
    }
    unsigned char *p = payload(c) + c->used;
    c->used += n;
    memset(p, 0, n);
    return p;
}

void *oq_arena_dup(oq_arena *a, const void *p, size_t n)
{
    void *q = oq_arena_alloc(a, n);
    if (q && n)
        memcpy(q, p, n);
    return q;
}

char *oq_arena_strdup(oq_arena *a, const char *s)
{
    return oq_arena_dup(a, s ? s : "", strlen(s ? s : "") + 1);
}

void oq_arena_free(oq_arena *a)
{
    oq_arena_chunk *c = a->head;
    while (c) {
        oq_arena_chunk *next = c->next;
        a->alloc(a->alloc_ctx, c, c->alloc_size, 0);
        c = next;
    }
    a->head = NULL;
    a->total = 0;
}
