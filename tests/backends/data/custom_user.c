/* The user's side of the emitted model "cm" (tests/backends/test_custom_op.c): the custom
 * functions the generated cm.h declares, calling the same code as the interpreter plugin. */
#include "cm.h"
#include "custom_ops_impl.h"

int cm_custom_Swish2(const onnxq_tensor *in, int32_t nin, onnxq_tensor *out, int32_t nout,
                     const onnxq_attr *attr, int32_t nattr)
{
    return swish2(in, nin, out, nout, attr, nattr);
}

int cm_custom_ScaleShift(const onnxq_tensor *in, int32_t nin, onnxq_tensor *out, int32_t nout,
                         const onnxq_attr *attr, int32_t nattr)
{
    return scale_shift(in, nin, out, nout, attr, nattr);
}
