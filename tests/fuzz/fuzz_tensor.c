/* libFuzzer target: tensor file readers from memory. First byte picks the format: even = .npy
 * parser, odd = ONNX TensorProto (.pb) decoding (bounded unpack + typed/raw data checks). */
#include <stddef.h>
#include <stdint.h>

#include "frontend/fe_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    oq_arena a;
    oq_arena_init(&a, NULL, NULL);
    oq_diag d = {0};
    if (data[0] % 2 == 0) {
        oq_tensor_file t;
        (void)oq_fe_parse_npy(data + 1, size - 1, "fuzz.npy", &a, &t, &d);
    } else {
        Onnx__TensorProto *tp = (Onnx__TensorProto *)oq_fe_unpack(
            &onnx__tensor_proto__descriptor, data + 1, size - 1, "fuzz.pb", &d);
        if (tp) {
            oq_fe_where w = {"fuzz.pb", NULL};
            oq_tensor_const tc;
            (void)oq_fe_tensor(&a, tp, &w, "tensor", &tc, &d);
            protobuf_c_message_free_unpacked(&tp->base, NULL);
        }
    }
    oq_arena_free(&a);
    return 0;
}
