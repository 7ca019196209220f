/* ir/file.c: the atomic writer. Contents land whole or not at all; a target that is an input of
 * the run (recorded through oq_diag.inputs, or named in protect[]) is refused under any spelling;
 * planted names in the folder are never followed; the mode is 0666 & ~umask. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ir/ir.h"

static char tdir[64];
static char path_buf[8][160];

static void mk_tdir(void)
{
    strcpy(tdir, "/tmp/oq_file_XXXXXX");
    cr_assert(mkdtemp(tdir));
}

static void rm_tdir(void)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tdir);
    cr_assert_eq(system(cmd), 0);
}

/* tdir/name in one of a few static buffers. */
static const char *at(int k, const char *name)
{
    snprintf(path_buf[k], sizeof path_buf[k], "%s/%s", tdir, name);
    return path_buf[k];
}

static void put(const char *p, const char *text)
{
    FILE *f = fopen(p, "w");
    cr_assert(f);
    fputs(text, f);
    fclose(f);
}

static const char *slurp(const char *p)
{
    static char buf[256];
    FILE *f = fopen(p, "r");
    if (!f)
        return "";
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

static int entries(void)
{
    DIR *dir = opendir(tdir);
    int n = 0;
    for (struct dirent *e; (e = readdir(dir));)
        n += e->d_name[0] != '.';
    closedir(dir);
    return n;
}

static bool put_text(void *ctx, FILE *f, oq_diag *d)
{
    (void)d;
    return fputs(ctx, f) >= 0;
}

static bool half_then_fail(void *ctx, FILE *f, oq_diag *d)
{
    (void)ctx;
    fputs("half", f);
    oq_errorf(d, NULL, OQ_NONE, OQ_ERR_DATA, "the writer gave up");
    return false;
}

/* Records path in d->inputs as a reader does. */
static void note(oq_diag *d, const char *path)
{
    int fd = open(path, O_RDONLY);
    cr_assert(fd >= 0);
    cr_assert_eq(oq_file_note_input(d, fd, path), OQ_OK);
    close(fd);
}

Test(file, writes_whole_files_with_the_umask_mode, .init = mk_tdir, .fini = rm_tdir)
{
    oq_diag d = {0};
    mode_t old = umask(027);
    cr_assert_eq(oq_write_file_atomic(at(0, "a.txt"), NULL, 0, put_text, "first", &d), OQ_OK,
                 "%s", d.msg);
    cr_assert_eq(oq_write_file_atomic(at(0, "a.txt"), NULL, 0, put_text, "second", &d), OQ_OK,
                 "%s", d.msg);
    umask(old);
    cr_expect_str_eq(slurp(at(0, "a.txt")), "second");
    struct stat st;
    cr_assert_eq(stat(at(0, "a.txt"), &st), 0);
    cr_expect_eq(st.st_mode & 0777, 0640, "mode %o", st.st_mode & 0777);
    cr_expect_eq(entries(), 1, "a temporary file was left");
}

Test(file, a_failed_write_leaves_the_target_and_no_temporary, .init = mk_tdir, .fini = rm_tdir)
{
    put(at(0, "a.txt"), "old");
    oq_diag d = {0};
    cr_expect_eq(oq_write_file_atomic(at(0, "a.txt"), NULL, 0, half_then_fail, NULL, &d),
                 OQ_ERR_DATA);
    cr_expect(strstr(d.msg, "gave up"), "%s", d.msg);
    cr_expect_str_eq(slurp(at(0, "a.txt")), "old");
    cr_expect_eq(entries(), 1, "a temporary file was left");
    oq_diag d2 = {0};
    cr_expect_eq(oq_write_file_atomic(tdir, NULL, 0, put_text, "x", &d2), OQ_ERR_USAGE);
    cr_expect(strstr(d2.msg, "is a directory"), "%s", d2.msg);
    oq_diag d3 = {0};
    cr_expect_eq(oq_write_file_atomic(at(1, "no/such/dir/a.txt"), NULL, 0, put_text, "x", &d3),
                 OQ_ERR_IO);
    oq_diag d4 = {0};
    cr_expect_eq(oq_write_file_atomic("", NULL, 0, put_text, "x", &d4), OQ_ERR_USAGE);
}

Test(file, refuses_every_spelling_of_an_input, .init = mk_tdir, .fini = rm_tdir)
{
    put(at(0, "in.onnx"), "model");
    put(at(1, "other"), "other input");
    cr_assert_eq(symlink("in.onnx", at(2, "sym.onnx")), 0);
    cr_assert_eq(link(at(0, "in.onnx"), at(3, "hard.onnx")), 0);
    cr_assert_eq(mkdir(at(4, "sub"), 0755), 0);
    oq_file_set in = {0};
    oq_diag d = {.inputs = &in};
    note(&d, at(0, "in.onnx"));
    note(&d, at(1, "other"));
    note(&d, at(0, "in.onnx"));            /* recorded once */
    cr_expect_eq(in.n, 2u);
    const char *targets[] = {at(0, "in.onnx"), at(2, "sym.onnx"), at(3, "hard.onnx"),
                             at(5, "sub/../in.onnx"), at(1, "other")};
    for (size_t i = 0; i < sizeof targets / sizeof *targets; i++) {
        oq_diag e = {.inputs = &in};
        cr_expect_eq(oq_write_file_atomic(targets[i], NULL, 0, put_text, "x", &e), OQ_ERR_USAGE,
                     "%s", targets[i]);
        cr_expect(strstr(e.msg, "refusing to overwrite the input"), "%s", e.msg);
    }
    cr_expect_str_eq(slurp(at(0, "in.onnx")), "model");
    cr_expect_str_eq(slurp(at(1, "other")), "other input");
    cr_expect_eq(entries(), 5, "a temporary file was left");
    /* without a recorded set, protect[] names the inputs */
    const char *protect[] = {NULL, at(6, "in.onnx")};
    oq_diag p = {0};
    cr_expect_eq(oq_write_file_atomic(at(2, "sym.onnx"), protect, 2, put_text, "x", &p),
                 OQ_ERR_USAGE);
    cr_expect_str_eq(slurp(at(0, "in.onnx")), "model");
    /* any other name is written */
    oq_diag ok = {.inputs = &in};
    cr_expect_eq(oq_write_file_atomic(at(7, "out.onnx"), protect, 2, put_text, "out", &ok),
                 OQ_OK, "%s", ok.msg);
    oq_file_set_free(&in);
    cr_expect_eq(in.n, 0u);
}

Test(file, planted_names_are_never_followed, .init = mk_tdir, .fini = rm_tdir)
{
    put(at(0, "victim"), "victim");
    const char *planted[] = {"out.tmp", "out.tmp.XXXXXX", "out.tmpXXXXXX"};
    for (size_t i = 0; i < sizeof planted / sizeof *planted; i++)
        cr_assert_eq(symlink(at(0, "victim"), at(1, planted[i])), 0);
    oq_diag d = {0};
    cr_expect_eq(oq_write_file_atomic(at(2, "out"), NULL, 0, put_text, "new", &d), OQ_OK,
                 "%s", d.msg);
    cr_expect_str_eq(slurp(at(0, "victim")), "victim");
    cr_expect_str_eq(slurp(at(2, "out")), "new");
    struct stat st;
    cr_expect_eq(lstat(at(2, "out"), &st), 0);
    cr_expect(S_ISREG(st.st_mode), "the output is a regular file");
    cr_expect_eq(entries(), 5, "a temporary file was left (or a planted link removed)");
}
