/* Golden IR tests (QBE style): each tests/ir/<name>.txt holds
 *   # passes: infer [toposort compact canonicalize constfold dce cse bnfold fuse ...]
 *   <input IR in the ir/print.c text form>
 *   # >>> output
 *   <expected IR>
 * The runner parses the input, runs the passes in order, prints the result with data and
 * compares it with the expected text normalized the same way (parse + print), so spacing and
 * comments in the file do not matter. A missing "# >>> output" section expects an error:
 *   # >>> error: <substring of the message>
 * Graph passes (passes/) are available when the build has them (OQ_WITH_PASSES), among them
 * quantize (static: the activation qparams are stated, no samples are run) and lower_int.
 * Their options go on one line:
 *   # options: NAME=SCALE:ZP ... per_tensor act_s8 act_symmetric reduce_range dynamic
 *              contrib_ops exclude=NODE
 * NAME=SCALE:ZP fixes the qparams of activation NAME (the --override form); a quantized
 * activation without one is an error, as a graph without calibration would be. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/ir.h"
#ifdef OQ_WITH_PASSES
#include "passes/passes.h"
#endif

#ifdef OQ_WITH_PASSES
#define MAX_OPT 32
typedef struct golden_opts {   /* the "# options:" line */
    oq_options o;
    oq_override ovr[MAX_OPT];
    char exclude[MAX_OPT][128];
    const char *exclude_p[MAX_OPT];
} golden_opts;

/* Parses the space-separated options of line into go; false (with a message) on a bad one. */
static bool parse_options(const char *file, char *line, golden_opts *go)
{
    memset(go, 0, sizeof *go);
    go->o.verify = true;
    for (char *tok = strtok(line, " \t"); tok; tok = strtok(NULL, " \t")) {
        oq_diag d = {0};
        if (strcmp(tok, "per_tensor") == 0)
            go->o.per_tensor = true;
        else if (strcmp(tok, "act_s8") == 0)
            go->o.act_type = OQ_DT_INT8;
        else if (strcmp(tok, "act_symmetric") == 0)
            go->o.act_symmetric = true;
        else if (strcmp(tok, "reduce_range") == 0)
            go->o.reduce_range = true;
        else if (strcmp(tok, "dynamic") == 0)
            go->o.mode = OQ_MODE_DYNAMIC;
        else if (strcmp(tok, "contrib_ops") == 0)
            go->o.contrib_ops = true;
        else if (strncmp(tok, "exclude=", 8) == 0 && go->o.nexclude < MAX_OPT) {
            snprintf(go->exclude[go->o.nexclude], sizeof go->exclude[0], "%s", tok + 8);
            go->exclude_p[go->o.nexclude] = go->exclude[go->o.nexclude];
            go->o.nexclude++;
        } else if (strchr(tok, '=') && go->o.noverride < MAX_OPT &&
                   oq_parse_override(tok, &go->ovr[go->o.noverride], &d) == OQ_OK &&
                   go->ovr[go->o.noverride].fixed) {
            go->o.noverride++;
        } else {
            cr_expect(false, "%s: bad option '%s' %s", file, tok, d.msg);
            return false;
        }
    }
    for (uint32_t i = 0; i < go->o.noverride; i++)
        go->ovr[i].tensor = go->ovr[i].buf;
    go->o.overrides = go->ovr;
    go->o.exclude = go->exclude_p;
    return true;
}

/* quantize with the stated qparams: an empty calibration, every activation overridden. */
static oq_status run_quantize(oq_graph *g, const oq_options *o, oq_diag *d)
{
    if (o->mode == OQ_MODE_DYNAMIC)
        return oq_quantize(g, NULL, o, d);
    oq_calib *c = NULL;
    oq_status st = oq_calib_new(g, o, &c, d);
    if (st == OQ_OK)
        st = oq_quantize(g, c, o, d);
    oq_calib_free(c);
    return st;
}
#else
typedef struct golden_opts {
    int unused;
} golden_opts;
static bool parse_options(const char *file, char *line, golden_opts *go)
{
    (void)file, (void)line, (void)go;
    return true;
}
#endif

static oq_status run_pass(const char *name, oq_graph *g, const golden_opts *go, oq_diag *d,
                          bool *known)
{
    *known = true;
    if (strcmp(name, "infer") == 0)
        return ir_infer(g, d);
    if (strcmp(name, "toposort") == 0)
        return ir_toposort(g, d);
    if (strcmp(name, "compact") == 0) {
        ir_compact(g);
        return OQ_OK;
    }
    if (strcmp(name, "verify") == 0)
        return ir_verify(g, d);
    if (strcmp(name, "require_static") == 0)
        return ir_require_static(g, d);
#ifdef OQ_WITH_PASSES
    static const struct {
        const char *name;
        oq_status (*fn)(oq_graph *, const oq_options *, oq_diag *);
    } tab[] = {
        {"canonicalize", pass_canonicalize}, {"constfold", pass_constfold}, {"lnfuse", pass_lnfuse}, {"dce", pass_dce},
        {"cse", pass_cse}, {"bnfold", pass_bnfold}, {"fuse", pass_fuse},
        {"lower_int", pass_lower_int}, {"quantize", run_quantize},
    };
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++)
        if (strcmp(tab[i].name, name) == 0)
            return tab[i].fn(g, &go->o, d);
#else
    (void)go;
#endif
    *known = false;
    return OQ_OK;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    if (buf)
        buf[n] = 0;
    fclose(f);
    return buf;
}

static char *print_str(const oq_graph *g)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    ir_print(g, f, true);
    fclose(f);
    return buf;
}

/* Runs one golden file; returns false (after cr_expect failures) when it does not match. */
static bool run_file(const char *dir, const char *file)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, file);
    char *text = slurp(path);
    cr_assert_not_null(text, "%s: cannot read", path);
    char *out = strstr(text, "# >>> output");
    char *err = strstr(text, "# >>> error:");
    cr_assert(out || err, "%s: no '# >>> output' or '# >>> error:' section", file);
    char *sep = out ? out : err;
    *sep = 0;
    char *expected = out ? strchr(out + 1, '\n') : NULL;
    char want_err[256] = "";
    if (err) {
        char *e = err + strlen("# >>> error:");
        while (*e == ' ')
            e++;
        size_t k = strcspn(e, "\n");
        snprintf(want_err, sizeof want_err, "%.*s", (int)k, e);
    }
    char passes[512] = "";
    char *pl = strstr(text, "# passes:");
    if (pl) {
        pl += strlen("# passes:");
        size_t k = strcspn(pl, "\n");
        snprintf(passes, sizeof passes, "%.*s", (int)k, pl);
    }
    char optline[1024] = "";
    char *ol = strstr(text, "# options:");
    if (ol) {
        ol += strlen("# options:");
        size_t k = strcspn(ol, "\n");
        snprintf(optline, sizeof optline, "%.*s", (int)k, ol);
    }
    static golden_opts go;
    if (!parse_options(file, optline, &go)) {
        free(text);
        return false;
    }
    oq_graph *g = NULL;
    oq_diag d = {0};
    oq_status st = ir_parse(text, &g, &d);
    cr_assert_eq(st, OQ_OK, "%s: input does not parse: %s", file, d.msg);
    bool ok = true;
    for (char *tok = strtok(passes, " \t"); tok && st == OQ_OK; tok = strtok(NULL, " \t")) {
        bool known;
        st = run_pass(tok, g, &go, &d, &known);
        if (!known) {
            fprintf(stderr, "note: %s: pass '%s' is not available in this build; skipped\n", file,
                    tok);
            oq_graph_free(g);
            free(text);
            return true;
        }
    }
    if (err) {
        ok = st != OQ_OK && strstr(d.msg, want_err) != NULL;
        cr_expect(ok, "%s: want an error containing '%s', got status %s: %s", file, want_err,
                  oq_status_str(st), d.msg);
    } else {
        cr_expect_eq(st, OQ_OK, "%s: %s", file, d.msg);
        oq_graph *e = NULL;
        oq_diag de = {0};
        cr_assert_eq(ir_parse(expected ? expected : "", &e, &de), OQ_OK,
                     "%s: expected section does not parse: %s", file, de.msg);
        char *got = print_str(g), *want = print_str(e);
        ok = st == OQ_OK && strcmp(got, want) == 0;
        cr_expect(strcmp(got, want) == 0, "%s: result differs.\n--- got\n%s--- want\n%s", file, got,
                  want);
        free(got);
        free(want);
        oq_graph_free(e);
    }
    oq_graph_free(g);
    free(text);
    return ok;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

Test(golden, every_file_in_tests_ir)
{
    const char *dir = OQ_GOLDEN_DIR;
    DIR *dd = opendir(dir);
    cr_assert_not_null(dd, "cannot open %s", dir);
    char *names[512];
    int n = 0;
    struct dirent *de;
    while ((de = readdir(dd)) && n < 512) {
        size_t k = strlen(de->d_name);
        if (k > 4 && strcmp(de->d_name + k - 4, ".txt") == 0)
            names[n++] = strdup(de->d_name);
    }
    closedir(dd);
    qsort(names, (size_t)n, sizeof names[0], cmp_str);
    cr_assert_gt(n, 0, "no golden files in %s", dir);
    int failed = 0;
    for (int i = 0; i < n; i++) {
        failed += !run_file(dir, names[i]);
        free(names[i]);
    }
    cr_expect_eq(failed, 0, "%d of %d golden files failed", failed, n);
}
