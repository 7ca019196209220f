/* Static memory plan for the emitted C: every activation buffer gets an offset in one
 * workspace so that buffers alive at the same step never overlap (liveness intervals over the
 * node schedule). Greedy by decreasing size, lowest fitting offset (TFLite's arena planner). */
#ifndef OQ_MEMPLAN_H
#define OQ_MEMPLAN_H
#include <stddef.h>
#include <stdint.h>

typedef struct oq_membuf {
    size_t size;               /* bytes (0: no storage) */
    uint32_t first, last;      /* live from step first to step last, inclusive */
    size_t offset;             /* out: byte offset in the workspace (aligned) */
} oq_membuf;

/* Assigns offsets (each a multiple of align, a power of two). Returns the workspace size and
 * stores the lower bound (largest sum of sizes live at one step) in *lower. Returns SIZE_MAX
 * when out of memory for the planner's own scratch. */
size_t oq_memplan(oq_membuf *b, uint32_t n, size_t align, size_t *lower);
#endif
