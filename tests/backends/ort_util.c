/* Test helpers: .npy read/write (v1, little-endian, C order) and ONNX Runtime runs through
 * node + tests/backends/ort_check.js in batch mode. Work files go to a fresh mkdtemp directory
 * that is removed afterwards. OQ_SRC_ROOT (set by meson) locates the script and node_modules. */
#include "ort_util.h"

#include <criterion/criterion.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef OQ_SRC_ROOT
#define OQ_SRC_ROOT "."
#endif

static const struct {
    oq_dtype dt;
    const char *descr;
} npy_types[] = {
    {OQ_DT_FLOAT, "<f4"}, {OQ_DT_DOUBLE, "<f8"}, {OQ_DT_UINT8, "|u1"}, {OQ_DT_INT8, "|i1"},
    {OQ_DT_INT32, "<i4"}, {OQ_DT_INT64, "<i8"},  {OQ_DT_BOOL, "|b1"},
};
#define NTYPES (sizeof npy_types / sizeof npy_types[0])

size_t tb_nbytes(const tb_tensor *t)
{
    int64_t n = oq_shape_numel(&t->shape);
    return n < 0 ? 0 : (size_t)n * oq_dtype_size(t->dtype);
}

tb_tensor tb_make(oq_dtype dt, const oq_shape *s, const void *data)
{
    tb_tensor t = {.dtype = dt, .shape = *s};
    size_t n = tb_nbytes(&t);
    t.data = malloc(n ? n : 1);
    if (data && n)
        memcpy(t.data, data, n);
    return t;
}

void tb_free(tb_tensor *t)
{
    free(t->data);
    t->data = NULL;
}

double tb_get(const tb_tensor *t, size_t i)
{
    switch (t->dtype) {
    case OQ_DT_FLOAT: return ((const float *)t->data)[i];
    case OQ_DT_DOUBLE: return ((const double *)t->data)[i];
    case OQ_DT_UINT8: return ((const uint8_t *)t->data)[i];
    case OQ_DT_INT8: return ((const int8_t *)t->data)[i];
    case OQ_DT_BOOL: return ((const uint8_t *)t->data)[i];
    case OQ_DT_INT32: return ((const int32_t *)t->data)[i];
    case OQ_DT_INT64: return (double)((const int64_t *)t->data)[i];
    default: return 0;
    }
}

bool npy_write(const char *path, const tb_tensor *t)
{
    const char *descr = NULL;
    for (size_t i = 0; i < NTYPES; i++)
        if (npy_types[i].dt == t->dtype)
            descr = npy_types[i].descr;
    if (!descr || t->shape.rank < 0)
        return false;
    char shape[256] = "";
    size_t k = 0;
    for (int32_t i = 0; i < t->shape.rank; i++)
        k += snprintf(shape + k, sizeof shape - k, "%lld,%s", (long long)t->shape.dim[i],
                      i + 1 < t->shape.rank ? " " : "");
    char hdr[512];
    int hl = snprintf(hdr, sizeof hdr, "{'descr': '%s', 'fortran_order': False, 'shape': (%s), }",
                      descr, shape);
    while ((10 + hl + 1) % 64)
        hdr[hl++] = ' ';
    hdr[hl++] = '\n';
    FILE *f = fopen(path, "wb");
    if (!f)
        return false;
    unsigned char pre[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(hl & 0xff),
                             (unsigned char)(hl >> 8)};
    size_t nb = tb_nbytes(t);
    bool ok = fwrite(pre, 1, 10, f) == 10 && fwrite(hdr, 1, (size_t)hl, f) == (size_t)hl &&
              (nb == 0 || fwrite(t->data, 1, nb, f) == nb);
    return fclose(f) == 0 && ok;
}

bool npy_read(const char *path, tb_tensor *t)
{
    memset(t, 0, sizeof *t);
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    unsigned char pre[12];
    char hdr[4096];
    bool ok = false;
    if (fread(pre, 1, 10, f) != 10 || pre[0] != 0x93 || memcmp(pre + 1, "NUMPY", 5) != 0)
        goto out;
    size_t hl = pre[8] | (size_t)pre[9] << 8;
    if (pre[6] >= 2) {
        if (fread(pre + 10, 1, 2, f) != 2)
            goto out;
        hl = pre[8] | (size_t)pre[9] << 8 | (size_t)pre[10] << 16 | (size_t)pre[11] << 24;
    }
    if (hl >= sizeof hdr || fread(hdr, 1, hl, f) != hl)
        goto out;
    hdr[hl] = 0;
    const char *d = strstr(hdr, "'descr':");
    const char *s = strstr(hdr, "'shape':");
    if (!d || !s || strstr(hdr, "'fortran_order': True"))
        goto out;
    d = strchr(d + 8, '\'');
    t->dtype = OQ_DT_UNDEFINED;
    for (size_t i = 0; d && i < NTYPES; i++)
        if (strncmp(d + 1, npy_types[i].descr, 3) == 0)
            t->dtype = npy_types[i].dt;
    if (t->dtype == OQ_DT_UNDEFINED)
        goto out;
    s = strchr(s, '(');
    if (!s)
        goto out;
    s++;
    t->shape.rank = 0;
    while (*s && *s != ')') {
        char *e;
        long long v = strtoll(s, &e, 10);
        if (e == s) {
            s++;
            continue;
        }
        if (t->shape.rank >= OQ_MAX_RANK)
            goto out;
        t->shape.dim[t->shape.rank++] = v;
        s = e;
    }
    size_t nb = tb_nbytes(t);
    t->data = malloc(nb ? nb : 1);
    ok = t->data && (nb == 0 || fread(t->data, 1, nb, f) == nb);
out:
    fclose(f);
    if (!ok)
        tb_free(t);
    return ok;
}

/* Under CI=true or ONNXQ_REQUIRE_CHECKS=1 (scripts/test sets it after installing everything) a
 * missing consumer or checker fails the test instead of skipping it. */
static bool missing_allowed(const char *why)
{
    const char *ci = getenv("CI"), *req = getenv("ONNXQ_REQUIRE_CHECKS");
    if ((ci && strcmp(ci, "true") == 0) || (req && strcmp(req, "1") == 0))
        cr_assert_fail("%s (required under CI=true / ONNXQ_REQUIRE_CHECKS=1)", why);
    return false;
}

bool ort_available(char *why, size_t n)
{
    if (access(OQ_SRC_ROOT "/node_modules/onnxruntime-node/package.json", R_OK) != 0) {
        snprintf(why, n, "onnxruntime-node is not installed in " OQ_SRC_ROOT
                         "/node_modules; run scripts/setup");
        return missing_allowed(why);
    }
    if (system("node --version >/dev/null 2>&1") != 0) {
        snprintf(why, n, "node is not installed; run scripts/setup");
        return missing_allowed(why);
    }
    return true;
}

static int rm_entry(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    return remove(p);
}

void ort_job_free(ort_job *j)
{
    for (uint32_t i = 0; i < j->nout; i++)
        tb_free(&j->out[i]);
    j->nout = 0;
}

bool ort_run_batch(ort_job *jobs, size_t n, char *err, size_t errn)
{
    char dir[] = "/tmp/oq_ort_XXXXXX";
    if (!mkdtemp(dir)) {
        snprintf(err, errn, "mkdtemp failed");
        return false;
    }
    char path[4096], list[4200];
    snprintf(list, sizeof list, "%s/jobs.txt", dir);
    FILE *lf = fopen(list, "w");
    bool ok = lf != NULL;
    for (size_t j = 0; ok && j < n; j++) {
        snprintf(path, sizeof path, "%s/%zu", dir, j);
        ok = mkdir(path, 0700) == 0;
        fprintf(lf, "%s\t%s", jobs[j].model, path);
        for (uint32_t i = 0; ok && i < jobs[j].nin; i++) {
            snprintf(path, sizeof path, "%s/%zu/in_%u.npy", dir, j, i);
            ok = npy_write(path, &jobs[j].in[i]);
            fprintf(lf, "\t%s", path);
        }
        fprintf(lf, "\n");
    }
    if (lf && fclose(lf) != 0)
        ok = false;
    if (!ok) {
        snprintf(err, errn, "cannot write ORT job files in %s", dir);
        goto done;
    }
    char cmd[8800];
    snprintf(cmd, sizeof cmd,
             "node '%s/tests/backends/ort_check.js' --batch '%s' >'%s/res.txt' 2>'%s/err.txt'",
             OQ_SRC_ROOT, list, dir, dir);
    if (system(cmd) != 0) {
        snprintf(path, sizeof path, "%s/err.txt", dir);
        FILE *ef = fopen(path, "r");
        size_t k = snprintf(err, errn, "node failed: ");
        if (ef) {
            size_t r = fread(err + k, 1, errn - k - 1, ef);
            err[k + r] = 0;
            fclose(ef);
        }
        ok = false;
        goto done;
    }
    snprintf(path, sizeof path, "%s/res.txt", dir);
    FILE *rf = fopen(path, "r");
    static char line[1 << 16];
    for (size_t j = 0; j < n; j++) {
        ort_job *jb = &jobs[j];
        jb->ok = false;
        jb->nout = 0;
        if (!rf || !fgets(line, sizeof line, rf)) {
            snprintf(jb->err, sizeof jb->err, "no result from ort_check.js");
            continue;
        }
        if (strncmp(line, "{\"ok\":true", 10) != 0) {
            const char *e = strstr(line, "\"error\":");
            snprintf(jb->err, sizeof jb->err, "%.500s", e ? e + 8 : line);
            continue;
        }
        jb->ok = true;
        for (uint32_t i = 0; i < TB_MAXOUT; i++) {
            snprintf(path, sizeof path, "%s/%zu/out_%u.npy", dir, j, i);
            if (access(path, R_OK) != 0)
                break;
            if (!npy_read(path, &jb->out[i])) {
                jb->ok = false;
                snprintf(jb->err, sizeof jb->err, "cannot read %.400s", path);
                break;
            }
            jb->nout++;
        }
    }
    if (rf)
        fclose(rf);
done:
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return ok;
}

bool onnx_checker_available(char *why, size_t n)
{
    if (system("/usr/bin/python3 -c 'import onnx' >/dev/null 2>&1") != 0) {
        snprintf(why, n, "/usr/bin/python3 with the onnx package is missing; run scripts/setup");
        return missing_allowed(why);
    }
    return true;
}

bool onnx_check_models(const char *const *paths, size_t n, size_t *nok, size_t *nskip,
                       size_t *nfail, char *fails, size_t fn)
{
    *nok = *nskip = *nfail = 0;
    char dir[] = "/tmp/oq_chk_XXXXXX";
    if (!mkdtemp(dir))
        return false;
    char list[128], res[128], cmd[512];
    snprintf(list, sizeof list, "%s/list.txt", dir);
    snprintf(res, sizeof res, "%s/res.txt", dir);
    FILE *f = fopen(list, "w");
    bool ok = f != NULL;
    for (size_t i = 0; ok && i < n; i++)
        fprintf(f, "%s\n", paths[i]);
    if (f)
        ok = fclose(f) == 0 && ok;
    snprintf(cmd, sizeof cmd, "/usr/bin/python3 '%s/tests/backends/onnx_check.py' --list '%s' "
             ">'%s' 2>&1", OQ_SRC_ROOT, list, res);
    ok = ok && system(cmd) == 0;
    FILE *r = ok ? fopen(res, "r") : NULL;
    size_t fl = strlen(fails);
    static char line[4096];
    while (r && fgets(line, sizeof line, r)) {
        line[strcspn(line, "\n")] = 0;
        if (strncmp(line, "ok ", 3) == 0)
            (*nok)++;
        else if (strncmp(line, "skip ", 5) == 0)
            (*nskip)++;
        else {
            (*nfail)++;
            if (fl < fn)
                fl += snprintf(fails + fl, fn - fl, "\n  %.400s", line);
        }
    }
    if (r)
        fclose(r);
    nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
    return ok && *nok + *nskip + *nfail == n;
}
