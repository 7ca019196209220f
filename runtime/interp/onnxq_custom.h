/* onnxq_custom.h: the C ABI of custom operators (a node of a non-default domain, or one named
 * with --custom-op TYPE). One implementation serves both sides:
 *  - emitted C (onnxq compile): the model calls  int NAME_custom_<TYPE>(ONNXQ_CUSTOM_ARGS);
 *    declared in NAME.h, defined by the user and linked with the model;
 *  - the interpreter (calibrate / run / quantize with --custom-op-lib LIB.so): dlopen(LIB.so),
 *    then  int onnxq_custom_<TYPE>(ONNXQ_CUSTOM_ARGS);  computes the op and the optional
 *    int onnxq_custom_<TYPE>_shape(ONNXQ_CUSTOM_SHAPE_ARGS);  gives the output shapes when the
 *    model's value_info does not.
 * Tensors are dense, C order (NCHW), element type `dtype` as the ONNX TensorProto number
 * (1 = float, 2 = uint8, 3 = int8, 6 = int32, 7 = int64); inputs are read only. Output buffers are
 * allocated by the caller with the shapes from shape inference. Return 0 on success; any other
 * value makes NAME_run return 2 (emitted C) or the interpreter fail with the node named.
 * Plain C99, no onnxq headers needed; reentrant implementations keep no mutable state. */
#ifndef ONNXQ_CUSTOM_H
#define ONNXQ_CUSTOM_H
#include <stdint.h>

#define ONNXQ_CUSTOM_MAX_RANK 8

typedef struct onnxq_tensor {
    const int64_t *shape;      /* rank entries */
    int32_t rank;
    int32_t dtype;             /* ONNX TensorProto element type */
    void *data;                /* NULL for an absent optional input/output */
} onnxq_tensor;

enum { ONNXQ_ATTR_INT = 1, ONNXQ_ATTR_FLOAT = 2, ONNXQ_ATTR_STRING = 3, ONNXQ_ATTR_INTS = 4,
       ONNXQ_ATTR_FLOATS = 5 };

typedef struct onnxq_attr {
    const char *name;
    int32_t type;              /* ONNXQ_ATTR_* */
    uint32_t n;                /* entries of ints / floats */
    int64_t i;                 /* INT */
    float f;                   /* FLOAT */
    const char *s;             /* STRING (NUL-terminated) */
    const int64_t *ints;       /* INTS */
    const float *floats;       /* FLOATS */
} onnxq_attr;

#define ONNXQ_CUSTOM_ARGS                                                                    \
    const onnxq_tensor *in, int32_t nin, onnxq_tensor *out, int32_t nout,                    \
        const onnxq_attr *attr, int32_t nattr
/* Shape function: fills out_rank[k], out_shape[k][0..rank) and out_dtype[k] for k < nout
 * (in[].data may be NULL unless the input is a constant). */
#define ONNXQ_CUSTOM_SHAPE_ARGS                                                              \
    const onnxq_tensor *in, int32_t nin, int32_t nout, int32_t *out_rank,                    \
        int64_t (*out_shape)[ONNXQ_CUSTOM_MAX_RANK], int32_t *out_dtype,                     \
        const onnxq_attr *attr, int32_t nattr

/* Put before the plugin's exported functions (builds with -fvisibility=hidden hide the rest). */
#if defined(__GNUC__)
#define ONNXQ_CUSTOM_EXPORT __attribute__((visibility("default")))
#else
#define ONNXQ_CUSTOM_EXPORT
#endif

typedef int (*onnxq_custom_fn)(ONNXQ_CUSTOM_ARGS);
typedef int (*onnxq_custom_shape_fn)(ONNXQ_CUSTOM_SHAPE_ARGS);
#endif
