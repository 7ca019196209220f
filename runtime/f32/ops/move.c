/* move.c: data movement on elements of any size (see ops.h): the strided copy behind Transpose,
 * Slice, Split and Concat, and Pad (constant, reflect, edge; negative pads crop). */
#include "ops.h"

#include <string.h>

/* The innermost dim is one memcpy when both sides are dense. */
void oq_x_copy__scalar(int rank, const int64_t *dim, const void *src, const int64_t *sstr,
                       void *dst, const int64_t *dstr, size_t es)
{
    const unsigned char *s = src;
    unsigned char *d = dst;
    if (rank == 0) {
        memcpy(d, s, es);
        return;
    }
    int64_t idx[OQ_F32_MAX_RANK] = {0}, so = 0, dof = 0, total = 1;
    for (int k = 0; k < rank - 1; k++)
        total *= dim[k];
    int64_t n = dim[rank - 1], ss = sstr[rank - 1], ds = dstr[rank - 1];
    for (int64_t row = 0; row < total; row++) {
        if (ss == 1 && ds == 1)
            memcpy(d + dof * (int64_t)es, s + so * (int64_t)es, (size_t)n * es);
        else if (es == 1)
            for (int64_t i = 0; i < n; i++)
                d[dof + i * ds] = s[so + i * ss];
        else
            for (int64_t i = 0; i < n; i++)
                memcpy(d + (dof + i * ds) * (int64_t)es, s + (so + i * ss) * (int64_t)es, es);
        for (int k = rank - 2; k >= 0; k--) {
            idx[k]++;
            so += sstr[k];
            dof += dstr[k];
            if (idx[k] < dim[k])
                break;
            so -= sstr[k] * dim[k];
            dof -= dstr[k] * dim[k];
            idx[k] = 0;
        }
    }
}

/* Pad/crop element by element, each output element from one input element or cval. */
void oq_x_pad__scalar(int mode, int rank, const int64_t *in, const int64_t *out,
                      const int64_t *pbegin, const void *x, void *y, size_t es,
                      const void *cval)
{
    int64_t ist[OQ_F32_MAX_RANK], idx[OQ_F32_MAX_RANK] = {0}, n = 1, acc = 1;
    for (int k = rank - 1; k >= 0; k--) {
        ist[k] = acc;
        acc *= in[k];
        n *= out[k];
    }
    for (int64_t i = 0; i < n; i++) {
        int64_t off = 0;
        int inside = 1;
        for (int k = 0; k < rank && inside; k++) {
            int64_t dim = in[k], j = idx[k] - pbegin[k];
            if (j < 0 || j >= dim) {
                if (mode == OQ_X_PAD_CONSTANT) {
                    inside = 0;
                } else if (mode == OQ_X_PAD_EDGE) {
                    j = j < 0 ? 0 : dim - 1;
                } else if (dim == 1) {
                    j = 0;
                } else {
                    int64_t per = 2 * (dim - 1);
                    j %= per;
                    if (j < 0)
                        j += per;
                    if (j >= dim)
                        j = per - j;
                }
            }
            off += j * ist[k];
        }
        memcpy((unsigned char *)y + i * (int64_t)es,
               inside ? (const unsigned char *)x + off * (int64_t)es : (const unsigned char *)cval,
               es);
        for (int k = rank - 1; k >= 0; k--) {
            if (++idx[k] < out[k])
                break;
            idx[k] = 0;
        }
    }
}
