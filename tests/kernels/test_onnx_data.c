/* test_onnx_data.c: the ONNX backend node tests for QLinearMatMul (2D, 3D batched) and
 * QLinearConv (Debian's libonnx-testdata) run through the q8 fp32 requantization
 * (oq_q8_qlinear_matmul_ref, whose epilogue is oq_requantize_fp32, the one every kernel matches)
 * and compared byte for byte with ONNX's expected outputs. Reads the TensorProto .pb files with a
 * minimal protobuf reader (dims, data_type, raw_data only), so it needs no frontend. Skipped if
 * the test data is not installed. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runtime/q8/q8.h"

#define NODE_DIR "/usr/share/libonnx-testdata/data/node/"

typedef struct pbt {
    int64_t dims[8];
    int ndims;
    int dtype;                    /* TensorProto.DataType: 1 float, 2 uint8, 3 int8 */
    uint8_t data[4096];
    size_t nbytes;
} pbt;

static uint64_t varint(const uint8_t **p, const uint8_t *end)
{
    uint64_t v = 0;
    for (int s = 0; *p < end && s < 64; s += 7) {
        uint8_t b = *(*p)++;
        v |= (uint64_t)(b & 0x7f) << s;
        if (!(b & 0x80))
            break;
    }
    return v;
}

/* Reads test case `dir`/test_data_set_0/`file`; false if missing or malformed. */
static bool read_pb(const char *dir, const char *file, pbt *t)
{
    char path[512];
    snprintf(path, sizeof path, NODE_DIR "%s/test_data_set_0/%s", dir, file);
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    static uint8_t buf[8192];
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    memset(t, 0, sizeof *t);
    const uint8_t *p = buf, *end = buf + n;
    while (p < end) {
        uint64_t key = varint(&p, end), field = key >> 3, wt = key & 7;
        if (wt == 0) {
            uint64_t v = varint(&p, end);
            if (field == 1 && t->ndims < 8)
                t->dims[t->ndims++] = (int64_t)v;
            if (field == 2)
                t->dtype = (int)v;
        } else if (wt == 2) {
            uint64_t len = varint(&p, end);
            if (len > (uint64_t)(end - p))
                return false;
            if (field == 1) { /* packed dims */
                const uint8_t *q = p;
                while (q < p + len && t->ndims < 8)
                    t->dims[t->ndims++] = (int64_t)varint(&q, p + len);
            } else if (field == 9 && len <= sizeof t->data) {
                memcpy(t->data, p, len);
                t->nbytes = len;
            }
            p += len;
        } else if (wt == 5) {
            p += 4;
        } else if (wt == 1) {
            p += 8;
        } else {
            return false;
        }
    }
    return true;
}

static float f32_of(const pbt *t)
{
    float v;
    memcpy(&v, t->data, 4);
    return v;
}

static void qlinear_matmul_case(const char *dir)
{
    pbt a, as, az, b, bs, bz, ys, yz, y;
    if (!read_pb(dir, "input_0.pb", &a))
        cr_skip_test("%s not installed", NODE_DIR);
    cr_assert(read_pb(dir, "input_1.pb", &as) && read_pb(dir, "input_2.pb", &az) &&
              read_pb(dir, "input_3.pb", &b) && read_pb(dir, "input_4.pb", &bs) &&
              read_pb(dir, "input_5.pb", &bz) && read_pb(dir, "input_6.pb", &ys) &&
              read_pb(dir, "input_7.pb", &yz) && read_pb(dir, "output_0.pb", &y));
    cr_assert(a.dtype == 2 && b.dtype == 2 && y.dtype == 2 && a.ndims == b.ndims);
    size_t batch = a.ndims == 3 ? (size_t)a.dims[0] : 1;
    size_t M = (size_t)a.dims[a.ndims - 2], K = (size_t)a.dims[a.ndims - 1];
    size_t N = (size_t)b.dims[b.ndims - 1];
    float scale = f32_of(&as) * f32_of(&bs) / f32_of(&ys); /* as ORT: float multiplier */
    int32_t b_zp = bz.data[0];
    uint8_t out[256];
    for (size_t i = 0; i < batch; i++)
        oq_q8_qlinear_matmul_ref(M, N, K, a.data + i * M * K, OQ_Q8_U8, az.data[0],
                                 b.data + i * K * N, OQ_Q8_U8, &b_zp, 0, &scale, 0,
                                 out + i * M * N, OQ_Q8_U8, yz.data[0]);
    for (size_t i = 0; i < batch * M * N; i++)
        cr_assert(out[i] == y.data[i], "%s at %zu: got %d want %d", dir, i, out[i], y.data[i]);
}

Test(kernels, onnx_qlinearmatmul_2D) { qlinear_matmul_case("test_qlinearmatmul_2D"); }
Test(kernels, onnx_qlinearmatmul_3D) { qlinear_matmul_case("test_qlinearmatmul_3D"); }

/* test_qlinearconv: 1x1x7x7 image, one 1x1 filter of u8 weight 0 with zero point 255 (weight
 * -255, outside s8, so it runs on the general reference as a K=1 MatMul over the pixels). */
Test(kernels, onnx_qlinearconv)
{
    const char *dir = "test_qlinearconv";
    pbt x, xs, xz, w, ws, wz, ys, yz, y;
    if (!read_pb(dir, "input_0.pb", &x))
        cr_skip_test("%s not installed", NODE_DIR);
    cr_assert(read_pb(dir, "input_1.pb", &xs) && read_pb(dir, "input_2.pb", &xz) &&
              read_pb(dir, "input_3.pb", &w) && read_pb(dir, "input_4.pb", &ws) &&
              read_pb(dir, "input_5.pb", &wz) && read_pb(dir, "input_6.pb", &ys) &&
              read_pb(dir, "input_7.pb", &yz) && read_pb(dir, "output_0.pb", &y));
    cr_assert(x.nbytes == 49 && w.nbytes == 1 && y.nbytes == 49);
    float scale = f32_of(&xs) * f32_of(&ws) / f32_of(&ys);
    int32_t w_zp = wz.data[0];
    uint8_t out[49];
    oq_q8_qlinear_matmul_ref(49, 1, 1, x.data, OQ_Q8_U8, xz.data[0], w.data, OQ_Q8_U8, &w_zp, 0,
                             &scale, 0, out, OQ_Q8_U8, yz.data[0]);
    for (size_t i = 0; i < 49; i++)
        cr_assert(out[i] == y.data[i], "qlinearconv at %zu: got %d want %d", i, out[i], y.data[i]);
}
