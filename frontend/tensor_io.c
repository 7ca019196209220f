/* Tensor files: ONNX TensorProto .pb and numpy .npy (work in progress). */
#include "frontend.h"
#include "onnx.pb-c.h"
