/* A custom-op library for the interpreter (--custom-op-lib) with the ABI of
 * runtime/interp/onnxq_custom.h, used by tests/backends/test_custom_op.c and tests/e2e:
 *   com.example:Swish2(alpha)            y = x * sigmoid(alpha * x)   (shape function given)
 *   com.example:ScaleShift(scale, shift) y[n,c,...] = x * scale[c] + shift (no shape function:
 *                                         the model's value_info gives the shape)
 * The computations live in custom_ops_impl.h so the emitted C's NAME_custom_<TYPE> can call the
 * very same code. */
#include "custom_ops_impl.h"

ONNXQ_CUSTOM_EXPORT int onnxq_custom_Swish2(ONNXQ_CUSTOM_ARGS) { return swish2(in, nin, out, nout, attr, nattr); }

ONNXQ_CUSTOM_EXPORT int onnxq_custom_Swish2_shape(ONNXQ_CUSTOM_SHAPE_ARGS)
{
    (void)attr, (void)nattr;
    if (nin != 1 || nout != 1)
        return 1;
    out_rank[0] = in[0].rank;
    for (int32_t k = 0; k < in[0].rank; k++)
        out_shape[0][k] = in[0].shape[k];
    out_dtype[0] = 1;
    return 0;
}

ONNXQ_CUSTOM_EXPORT int onnxq_custom_ScaleShift(ONNXQ_CUSTOM_ARGS) { return scale_shift(in, nin, out, nout, attr, nattr); }
