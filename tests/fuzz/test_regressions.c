/* Replays every input the fuzzers once crashed on (tests/fuzz/regressions/): model inputs go
 * through the importer (strict and lenient), files named tensor_* through the tensor readers
 * exactly as fuzz_tensor.c does. Each must succeed or fail with a status and a message, never
 * crash (the sanitizer build runs this too, UB fatal). Shape inference runs on import, so the
 * Slice/Split models here hold its integer overflows. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/fe_int.h"

/* Reads a whole file into malloc'd memory. */
static unsigned char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *p = malloc(n > 0 ? (size_t)n : 1);
    cr_assert_not_null(p);
    *len = fread(p, 1, (size_t)n, f);
    fclose(f);
    return p;
}

static void replay_model(const char *name, const unsigned char *buf, size_t len)
{
    for (int lenient = 0; lenient < 2; lenient++) {
        oq_diag d = {0};
        oq_graph *g = NULL;
        oq_import_opts o = {.allow_unknown_ops = lenient};
        const char *base = lenient ? "/usr/share/libonnx-testdata/data/node/test_abs" : NULL;
        oq_status st = oq_import_onnx_mem(buf, len, base, &o, &g, &d);
        if (st == OQ_OK) {
            cr_expect_not_null(g, "%s: OK without a graph", name);
            oq_diag v = {0};
            if (!lenient)
                cr_expect_eq(ir_verify(g, &v), OQ_OK, "%s: imported graph fails the verifier: %s",
                             name, v.msg);
            oq_graph_free(g);
        } else {
            cr_expect_null(g, "%s: graph left on error", name);
            cr_expect_neq(d.msg[0], 0, "%s: error without a message", name);
            cr_expect_eq(d.status, st, "%s: status mismatch", name);
        }
    }
}

static void replay_tensor(const char *name, const unsigned char *buf, size_t len)
{
    if (len < 1)
        return;
    oq_arena a;
    oq_arena_init(&a, NULL, NULL);
    oq_diag d = {0};
    oq_status st = OQ_OK;
    if (buf[0] % 2 == 0) {
        oq_tensor_file t;
        st = oq_fe_parse_npy(buf + 1, len - 1, name, &a, &t, &d);
    } else {
        Onnx__TensorProto *tp = (Onnx__TensorProto *)oq_fe_unpack(
            &onnx__tensor_proto__descriptor, buf + 1, len - 1, name, &d);
        st = d.status;
        if (tp) {
            oq_fe_where w = {name, NULL};
            oq_tensor_const tc;
            st = oq_fe_tensor(&a, tp, &w, "tensor", &tc, &d);
            protobuf_c_message_free_unpacked(&tp->base, NULL);
        }
    }
    if (st != OQ_OK)
        cr_expect_neq(d.msg[0], 0, "%s: error without a message", name);
    oq_arena_free(&a);
}

Test(frontend, fuzz_regressions_replay)
{
    DIR *dir = opendir(OQ_FUZZ_REGRESSIONS);
    cr_assert_not_null(dir, "no regressions folder %s", OQ_FUZZ_REGRESSIONS);
    struct dirent *e;
    int count = 0;
    while ((e = readdir(dir))) {
        if (e->d_name[0] == '.')
            continue;
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", OQ_FUZZ_REGRESSIONS, e->d_name);
        size_t len;
        unsigned char *buf = slurp(path, &len);
        if (strncmp(e->d_name, "tensor_", 7) == 0)
            replay_tensor(e->d_name, buf, len);
        else
            replay_model(e->d_name, buf, len);
        free(buf);
        count++;
    }
    closedir(dir);
    cr_expect_gt(count, 0, "no regression inputs found");
    cr_log_info("%d regression inputs replayed", count);
}
