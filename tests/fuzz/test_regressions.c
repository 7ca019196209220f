/* Replays every input the fuzzer once crashed on (tests/fuzz/regressions/): each must import
 * cleanly or fail with a status and a message, never crash (the test build runs under ASan). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/frontend.h"

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
        for (int lenient = 0; lenient < 2; lenient++) {
            oq_diag d = {0};
            oq_graph *g = NULL;
            oq_import_opts o = {.allow_unknown_ops = lenient};
            oq_status st = oq_import_onnx_mem(buf, len, NULL, &o, &g, &d);
            if (st == OQ_OK) {
                cr_expect_not_null(g, "%s: OK without a graph", e->d_name);
                oq_graph_free(g);
            } else {
                cr_expect_null(g, "%s: graph left on error", e->d_name);
                cr_expect_neq(d.msg[0], 0, "%s: error without a message", e->d_name);
                cr_expect_eq(d.status, st, "%s: status mismatch", e->d_name);
            }
        }
        free(buf);
        count++;
    }
    closedir(dir);
    cr_log_info("%d regression inputs replayed", count);
}
