/* Geometry facts of ops computed once for every client (shape inference, the interpreter, the
 * C emitter): the clamping of Slice bounds. */
#include "ir.h"

int64_t oq_slice_clamp(int64_t dim, int64_t idx, int64_t step)
{
    if (idx < 0)
        idx += dim;
    if (step > 0)
        return idx < 0 ? 0 : (idx > dim ? dim : idx);
    return idx < -1 ? -1 : (idx > dim - 1 ? dim - 1 : idx);
}
