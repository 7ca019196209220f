/* load.h: activation loads shared by the GEMM micro-kernels: four bytes of a row as one int32
 * (a k group, broadcast by the caller) and the zero-padded partial group at the end of a row. */
#ifndef OQ_QU8_GEMM_LOAD_H
#define OQ_QU8_GEMM_LOAD_H
#include <stdint.h>
#include <string.h>

/* The 4 bytes at p (any alignment). */
static inline int32_t ld4(const uint8_t *p)
{
    int32_t v;
    memcpy(&v, p, 4);
    return v;
}

/* The n < 4 bytes at p, zero-extended (never reads past p + n). */
static inline int32_t ldn(const uint8_t *p, size_t n)
{
    int32_t v = 0;
    memcpy(&v, p, n);
    return v;
}
#endif
