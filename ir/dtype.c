/* Element types: sizes and names from dtypes.def (ONNX TensorProto numbering). */
#include "ir.h"

size_t oq_dtype_size(oq_dtype t)
{
    switch (t) {
#define OQ_DTYPE(name, num, size, str) \
    case OQ_DT_##name:                 \
        return size;
#include "dtypes.def"
#undef OQ_DTYPE
    }
    return 0;
}

const char *oq_dtype_name(oq_dtype t)
{
    switch (t) {
#define OQ_DTYPE(name, num, size, str) \
    case OQ_DT_##name:                 \
        return str;
#include "dtypes.def"
#undef OQ_DTYPE
    }
    return "?";
}

bool oq_dtype_valid(int num)
{
    switch (num) {
#define OQ_DTYPE(name, n, size, str) \
    case n:                          \
        return true;
#include "dtypes.def"
#undef OQ_DTYPE
    }
    return false;
}
