/* Tensor files: TensorProto .pb from the ONNX test data, .npy written by numpy (fixtures made
 * by data/make_npy.py), round trips through our writers, atomic replacement, bad files. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fe_test.h"

#define DATA(f) OQ_FE_TESTDIR "/data/" f

static oq_arena arena;
static void setup(void) { oq_arena_init(&arena, NULL, NULL); }
static void teardown(void) { oq_arena_free(&arena); }
TestSuite(tensor_io, .init = setup, .fini = teardown);

Test(tensor_io, read_onnx_test_data_pb)
{
    oq_tensor_file t;
    oq_diag d = {0};
    const char *p = OQ_TESTDATA "/node/test_relu/test_data_set_0/input_0.pb";
    cr_assert_eq(oq_read_tensor_pb(p, &arena, &t, &d), OQ_OK, "%s", d.msg);
    cr_expect_eq(t.dtype, OQ_DT_FLOAT);
    cr_assert_eq(t.shape.rank, 3);
    cr_expect(t.shape.dim[0] == 3 && t.shape.dim[1] == 4 && t.shape.dim[2] == 5);
    cr_expect_str_eq(t.name, "x");
    /* relu's expected output is max(x, 0) elementwise: ties the two files together */
    oq_tensor_file o;
    const char *po = OQ_TESTDATA "/node/test_relu/test_data_set_0/output_0.pb";
    cr_assert_eq(oq_read_tensor_pb(po, &arena, &o, &d), OQ_OK, "%s", d.msg);
    for (int i = 0; i < 60; i++) {
        float x = ((float *)t.data)[i];
        cr_expect_eq(((float *)o.data)[i], x > 0 ? x : 0, "at [%d]", i);
    }
}

/* Every .pb under the node tests reads (or, for string/complex tensors, says why). */
Test(tensor_io, read_all_node_test_pbs, .timeout = 120)
{
    DIR *dp = opendir(OQ_TESTDATA "/node");
    cr_assert_not_null(dp);
    struct dirent *e;
    int ok = 0, refused = 0;
    while ((e = readdir(dp))) {
        if (e->d_name[0] == '.')
            continue;
        for (int k = 0; k < 3; k++) {
            char p[1024];
            snprintf(p, sizeof p, OQ_TESTDATA "/node/%s/test_data_set_0/input_%d.pb", e->d_name, k);
            struct stat st;
            if (stat(p, &st) != 0)
                break;
            oq_arena a;
            oq_arena_init(&a, NULL, NULL);
            oq_tensor_file t;
            oq_diag d = {0};
            if (oq_read_tensor_pb(p, &a, &t, &d) == OQ_OK) {
                ok++;
            } else {
                refused++;
                cr_expect(strstr(d.msg, p) == d.msg, "%s", d.msg);
                /* sequence/optional files read as a tensor: refused, never misread */
                cr_expect(d.status == OQ_ERR_DTYPE || d.status == OQ_ERR_INVALID_MODEL ||
                              d.status == OQ_ERR_UNSUPPORTED_ATTR || d.status == OQ_ERR_SHAPE,
                          "%s", d.msg);
            }
            oq_arena_free(&a);
        }
    }
    closedir(dp);
    cr_log_info("node test inputs: %d read, %d refused", ok, refused);
    cr_expect_gt(ok, 900);
}

Test(tensor_io, read_numpy_written_npy)
{
    oq_tensor_file t;
    oq_diag d = {0};
    cr_assert_eq(oq_read_npy(DATA("arange_2x3_f4.npy"), &arena, &t, &d), OQ_OK, "%s", d.msg);
    cr_expect_eq(t.dtype, OQ_DT_FLOAT);
    cr_assert(t.shape.rank == 2 && t.shape.dim[0] == 2 && t.shape.dim[1] == 3);
    for (int i = 0; i < 6; i++)
        cr_expect_eq(((float *)t.data)[i], (float)i - 2.5f, "at [%d]", i);
    cr_assert_eq(oq_read_npy(DATA("i8_4.npy"), &arena, &t, &d), OQ_OK, "%s", d.msg);
    cr_expect_eq(t.dtype, OQ_DT_INT64);
    cr_expect_eq(((int64_t *)t.data)[2], 1LL << 40);
    cr_expect_eq(((int64_t *)t.data)[0], -3);
    cr_assert_eq(oq_read_npy(DATA("b1_3.npy"), &arena, &t, &d), OQ_OK, "%s", d.msg);
    cr_expect_eq(t.dtype, OQ_DT_BOOL);
    cr_expect(((uint8_t *)t.data)[0] == 1 && ((uint8_t *)t.data)[1] == 0);
    cr_assert_eq(oq_read_npy(DATA("u1_scalar.npy"), &arena, &t, &d), OQ_OK, "%s", d.msg);
    cr_expect_eq(t.shape.rank, 0);
    cr_expect_eq(*(uint8_t *)t.data, 200);
    cr_assert_eq(oq_read_npy(DATA("v2_f4.npy"), &arena, &t, &d), OQ_OK, "%s", d.msg);
    cr_expect(t.shape.rank == 1 && ((float *)t.data)[1] == -2.0f);
}

Test(tensor_io, npy_refusals_name_the_file)
{
    oq_tensor_file t;
    oq_diag d = {0};
    cr_expect_eq(oq_read_npy(DATA("fortran_f4.npy"), &arena, &t, &d), OQ_ERR_DATA);
    cr_expect(strstr(d.msg, "fortran_f4.npy") && strstr(d.msg, "C-order"), "%s", d.msg);
    oq_diag d2 = {0};
    cr_expect_eq(oq_read_npy(DATA("big_endian_f4.npy"), &arena, &t, &d2), OQ_ERR_DATA);
    cr_expect(strstr(d2.msg, "big-endian"), "%s", d2.msg);
    /* truncated data and truncated header */
    size_t len;
    unsigned char *buf = fe_slurp(DATA("arange_2x3_f4.npy"), &len);
    char p[512];
    snprintf(p, sizeof p, "%s/trunc.npy", fe_tmpdir());
    fe_write(p, buf, len - 4);
    oq_diag d3 = {0};
    cr_expect_eq(oq_read_npy(p, &arena, &t, &d3), OQ_ERR_DATA);
    cr_expect(strstr(d3.msg, p) == d3.msg && strstr(d3.msg, "needs 24"), "%s", d3.msg);
    fe_write(p, buf, 20);
    oq_diag d4 = {0};
    cr_expect_eq(oq_read_npy(p, &arena, &t, &d4), OQ_ERR_DATA, "%s", d4.msg);
    fe_write(p, "hello world, not npy", 20);
    oq_diag d5 = {0};
    cr_expect_eq(oq_read_npy(p, &arena, &t, &d5), OQ_ERR_DATA, "%s", d5.msg);
    free(buf);
}

Test(tensor_io, npy_round_trip)
{
    const char *dir = fe_tmpdir();
    char p[512];
    snprintf(p, sizeof p, "%s/rt.npy", dir);
    struct {
        oq_dtype dt;
        oq_shape s;
    } cases[] = {
        {OQ_DT_FLOAT, {.rank = 4, .dim = {1, 3, 2, 2}}},
        {OQ_DT_INT64, {.rank = 1, .dim = {5}}},
        {OQ_DT_UINT8, {.rank = 0}},
        {OQ_DT_INT8, {.rank = 2, .dim = {0, 3}}},
        {OQ_DT_BOOL, {.rank = 2, .dim = {2, 2}}},
        {OQ_DT_INT32, {.rank = 3, .dim = {2, 1, 3}}},
    };
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        size_t n = (size_t)oq_shape_numel(&cases[c].s) * oq_dtype_size(cases[c].dt);
        unsigned char src[256];
        for (size_t i = 0; i < n; i++)
            src[i] = cases[c].dt == OQ_DT_BOOL ? (unsigned char)(i & 1)
                                               : (unsigned char)(i * 37 + c);
        oq_diag d = {0};
        cr_assert_eq(oq_write_npy(p, cases[c].dt, &cases[c].s, src, &d), OQ_OK, "%s", d.msg);
        oq_tensor_file t;
        cr_assert_eq(oq_read_npy(p, &arena, &t, &d), OQ_OK, "case %zu: %s", c, d.msg);
        cr_expect_eq(t.dtype, cases[c].dt, "case %zu", c);
        cr_assert_eq(t.shape.rank, cases[c].s.rank, "case %zu", c);
        for (int i = 0; i < t.shape.rank; i++)
            cr_expect_eq(t.shape.dim[i], cases[c].s.dim[i], "case %zu dim %d", c, i);
        cr_expect(n == 0 || memcmp(t.data, src, n) == 0, "case %zu: bytes differ", c);
        /* header padded to a multiple of 64 (numpy's layout) */
        size_t len;
        unsigned char *raw = fe_slurp(p, &len);
        cr_expect_eq((len - n) % 64, 0, "case %zu: header length %zu", c, len - n);
        free(raw);
    }
}

/* numpy reads what we write: checked with /usr/bin/python3 when present. */
Test(tensor_io, numpy_reads_our_npy)
{
    struct stat st;
    if (stat("/usr/bin/python3", &st) != 0)
        cr_skip_test("no /usr/bin/python3");
    char p[512], cmd[1200];
    snprintf(p, sizeof p, "%s/np.npy", fe_tmpdir());
    float v[6] = {1, 2, 3, 4, 5, 6.5f};
    oq_shape s = {.rank = 2, .dim = {3, 2}};
    oq_diag d = {0};
    cr_assert_eq(oq_write_npy(p, OQ_DT_FLOAT, &s, v, &d), OQ_OK, "%s", d.msg);
    snprintf(cmd, sizeof cmd,
             "/usr/bin/python3 -c \"import numpy as n,sys; a=n.load('%s'); "
             "sys.exit(0 if a.shape==(3,2) and a.dtype==n.float32 and a[2,1]==6.5 else 3)\" "
             "2>/dev/null", p);
    int rc = system(cmd);
    if (rc != 0 && WEXITSTATUS(rc) != 3)
        cr_skip_test("numpy unavailable");
    cr_expect_eq(rc, 0, "numpy disagrees with our npy");
}

Test(tensor_io, pb_round_trip_and_atomic_replace)
{
    char p[512];
    snprintf(p, sizeof p, "%s/t.pb", fe_tmpdir());
    int64_t v[3] = {-1, 0, 1LL << 50};
    oq_shape s = {.rank = 1, .dim = {3}};
    oq_diag d = {0};
    cr_assert_eq(oq_write_tensor_pb(p, "out0", OQ_DT_INT64, &s, v, &d), OQ_OK, "%s", d.msg);
    oq_tensor_file t;
    cr_assert_eq(oq_read_tensor_pb(p, &arena, &t, &d), OQ_OK, "%s", d.msg);
    cr_expect_str_eq(t.name, "out0");
    cr_expect_eq(t.dtype, OQ_DT_INT64);
    cr_expect(memcmp(t.data, v, sizeof v) == 0);
    /* overwrite: the new content replaces the old, and no temp file is left behind */
    float f = 3.0f;
    oq_shape s0 = {.rank = 0};
    cr_assert_eq(oq_write_tensor_pb(p, "", OQ_DT_FLOAT, &s0, &f, &d), OQ_OK, "%s", d.msg);
    cr_assert_eq(oq_read_tensor_pb(p, &arena, &t, &d), OQ_OK, "%s", d.msg);
    cr_expect(t.dtype == OQ_DT_FLOAT && t.shape.rank == 0 && *(float *)t.data == 3.0f);
    DIR *dp = opendir(fe_tmpdir());
    struct dirent *e;
    while ((e = readdir(dp)))
        cr_expect_null(strstr(e->d_name, ".tmp."), "temp file left: %s", e->d_name);
    closedir(dp);
    /* writing into a missing folder fails cleanly, naming the file */
    char bad[600];
    snprintf(bad, sizeof bad, "%s/no/such/dir/t.pb", fe_tmpdir());
    oq_diag d2 = {0};
    cr_expect_eq(oq_write_tensor_pb(bad, "", OQ_DT_FLOAT, &s0, &f, &d2), OQ_ERR_IO);
    cr_expect(strstr(d2.msg, bad) == d2.msg, "%s", d2.msg);
    oq_diag d3 = {0};
    cr_expect_eq(oq_write_npy(bad, OQ_DT_FLOAT, &s0, &f, &d3), OQ_ERR_IO);
    /* unknown shape is refused */
    oq_shape unk = {.rank = 1, .dim = {-1}};
    oq_diag d4 = {0};
    cr_expect_eq(oq_write_npy(p, OQ_DT_FLOAT, &unk, &f, &d4), OQ_ERR_SHAPE);
}

Test(tensor_io, pb_hostile)
{
    char p[512];
    snprintf(p, sizeof p, "%s/bad.pb", fe_tmpdir());
    /* dims [4] float, raw_data of 8 bytes */
    const unsigned char short_raw[] = {0x08, 0x04, 0x10, 0x01, 0x4a, 0x08, 0, 0, 0, 0, 0, 0, 0, 0};
    fe_write(p, short_raw, sizeof short_raw);
    oq_tensor_file t;
    oq_diag d = {0};
    cr_expect_eq(oq_read_tensor_pb(p, &arena, &t, &d), OQ_ERR_INVALID_MODEL);
    cr_expect(strstr(d.msg, p) == d.msg && strstr(d.msg, "raw_data"), "%s", d.msg);
    const unsigned char garbage[] = {0xff, 0xff, 0xff, 0xff, 0x0f};
    fe_write(p, garbage, sizeof garbage);
    oq_diag d2 = {0};
    cr_expect_eq(oq_read_tensor_pb(p, &arena, &t, &d2), OQ_ERR_INVALID_MODEL, "%s", d2.msg);
    /* dims [-5] */
    const unsigned char neg[] = {0x08, 0xfb, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
                                 0x10, 0x01};
    fe_write(p, neg, sizeof neg);
    oq_diag d3 = {0};
    cr_expect_eq(oq_read_tensor_pb(p, &arena, &t, &d3), OQ_ERR_INVALID_MODEL, "%s", d3.msg);
    cr_expect(strstr(d3.msg, "negative"), "%s", d3.msg);
}

/* Labelled sets (onnxq eval and report --eval read them the same way): data [N, ...] with
 * integer labels [N]; no samples, a count mismatch, float labels and a NaN are refused. */
Test(tensor_io, labelled_set_rules, .init = setup, .fini = teardown)
{
    char dir[] = "/tmp/oq_lab_XXXXXX";
    cr_assert(mkdtemp(dir));
    char px[256], py[256], pf[256], p0[256], pn[256];
    snprintf(px, sizeof px, "%s/x.npy", dir);
    snprintf(py, sizeof py, "%s/y.npy", dir);
    snprintf(pf, sizeof pf, "%s/yf.npy", dir);
    snprintf(p0, sizeof p0, "%s/x0.npy", dir);
    snprintf(pn, sizeof pn, "%s/xn.npy", dir);
    float x[6] = {0, 1, 2, 3, 4, 5}, yf[3] = {0, 1, 2};
    int64_t y[3] = {2, 0, 1};
    oq_shape sx = {.rank = 2, .dim = {3, 2}}, sy = {.rank = 1, .dim = {3}};
    oq_shape s0 = {.rank = 2, .dim = {0, 2}};
    oq_diag d = {0};
    cr_assert_eq(oq_write_npy(px, OQ_DT_FLOAT, &sx, x, &d), OQ_OK, "%s", d.msg);
    cr_assert_eq(oq_write_npy(py, OQ_DT_INT64, &sy, y, &d), OQ_OK, "%s", d.msg);
    cr_assert_eq(oq_write_npy(pf, OQ_DT_FLOAT, &sy, yf, &d), OQ_OK, "%s", d.msg);
    cr_assert_eq(oq_write_npy(p0, OQ_DT_FLOAT, &s0, x, &d), OQ_OK, "%s", d.msg);
    x[3] = NAN;
    cr_assert_eq(oq_write_npy(pn, OQ_DT_FLOAT, &sx, x, &d), OQ_OK, "%s", d.msg);
    oq_tensor_file tx, ty;
    cr_expect_eq(oq_read_labelled(px, py, &arena, &tx, &ty, &d), OQ_OK, "%s", d.msg);
    cr_expect_eq(oq_label_at(&ty, 0), 2);
    cr_expect_eq(oq_label_at(&tx, 0), -1, "float data is no label");
    struct {
        const char *x, *y, *want;
    } bad[] = {
        {p0, py, "holds no samples"},
        {px, pf, "integer labels [N] with the same N"},
        {pn, py, "element 3 is NaN"},
    };
    for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
        oq_diag e = {0};
        cr_expect_eq(oq_read_labelled(bad[k].x, bad[k].y, &arena, &tx, &ty, &e), OQ_ERR_DATA);
        cr_expect(strstr(e.msg, bad[k].want) && strstr(e.msg, bad[k].x), "%s", e.msg);
    }
    oq_shape s2 = {.rank = 1, .dim = {2}};
    cr_assert_eq(oq_write_npy(py, OQ_DT_INT64, &s2, y, &d), OQ_OK, "%s", d.msg);
    oq_diag e = {0};
    cr_expect_eq(oq_read_labelled(px, py, &arena, &tx, &ty, &e), OQ_ERR_DATA);
    cr_expect(strstr(e.msg, "with the same N"), "%s", e.msg);
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    cr_expect_eq(system(cmd), 0);
}
