/* tests/report/test_render.c: the report renderers (analysis/render_*.c, svg.c) on a synthetic
 * report: HTML has exactly 1 + nlayers charts, balanced tags, no script or external URL, escaped
 * names; JSON passes a strict RFC 8259 validator (and node's JSON.parse when node exists) with
 * NAN/inf as null and floats read back exactly; the text table is aligned; all three are
 * deterministic and report IO errors (a write to /dev/full). */
#include <criterion/criterion.h>
#include <ctype.h>
#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "analysis/svg.h"
#include "synth.h"

typedef oq_status (*render_fn)(const oq_report *, FILE *, oq_diag *);

/* Renders r into a malloc'd NUL-terminated string (asserts OK). */
static char *render(render_fn fn, const oq_report *r, size_t *len)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    cr_assert(f);
    oq_diag d = {0};
    oq_status st = fn(r, f, &d);
    cr_assert_eq(st, OQ_OK, "render failed: %s", d.msg);
    cr_assert_eq(fclose(f), 0);
    if (len)
        *len = n;
    return buf;
}

static int count(const char *hay, const char *needle)
{
    int c = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        c++;
    return c;
}

static const char *strcasestr_(const char *h, const char *n)
{
    for (size_t k = strlen(n); *h; h++)
        if (strncasecmp(h, n, k) == 0)
            return h;
    return NULL;
}

/* ---------------------------------------------------------------- a strict JSON validator */
typedef struct jp {
    const char *p;
    int depth;
} jp;

static void ws(jp *j)
{
    while (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t')
        j->p++;
}

static bool jvalue(jp *j);

static bool jstring(jp *j)
{
    if (*j->p != '"')
        return false;
    for (j->p++; *j->p != '"'; j->p++) {
        unsigned char c = (unsigned char)*j->p;
        if (c < 0x20)
            return false;
        if (c == '\\') {
            j->p++;
            if (*j->p == 'u') {
                for (int i = 1; i <= 4; i++)
                    if (!isxdigit((unsigned char)j->p[i]))
                        return false;
                j->p += 4;
            } else if (!strchr("\"\\/bfnrt", *j->p) || !*j->p) {
                return false;
            }
        }
    }
    j->p++;
    return true;
}

static bool jnumber(jp *j)
{
    const char *p = j->p;
    if (*p == '-')
        p++;
    if (*p == '0')
        p++;
    else if (*p >= '1' && *p <= '9')
        while (isdigit((unsigned char)*p))
            p++;
    else
        return false;
    if (*p == '.') {
        p++;
        if (!isdigit((unsigned char)*p))
            return false;
        while (isdigit((unsigned char)*p))
            p++;
    }
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!isdigit((unsigned char)*p))
            return false;
        while (isdigit((unsigned char)*p))
            p++;
    }
    j->p = p;
    return true;
}

static bool jvalue(jp *j)
{
    ws(j);
    if (++j->depth > 64)
        return false;
    bool ok = true;
    if (*j->p == '{' || *j->p == '[') {
        char close = *j->p == '{' ? '}' : ']';
        bool obj = close == '}';
        j->p++;
        ws(j);
        if (*j->p == close) {
            j->p++;
        } else {
            for (;;) {
                if (obj) {
                    ws(j);
                    if (!jstring(j))
                        return false;
                    ws(j);
                    if (*j->p++ != ':')
                        return false;
                }
                if (!jvalue(j))
                    return false;
                ws(j);
                if (*j->p == ',') {
                    j->p++;
                    continue;
                }
                if (*j->p++ != close)
                    return false;
                break;
            }
        }
    } else if (*j->p == '"') {
        ok = jstring(j);
    } else if (!strncmp(j->p, "true", 4) || !strncmp(j->p, "null", 4)) {
        j->p += 4;
    } else if (!strncmp(j->p, "false", 5)) {
        j->p += 5;
    } else {
        ok = jnumber(j);
    }
    j->depth--;
    return ok;
}

static bool json_valid(const char *s)
{
    jp j = {s, 0};
    if (!jvalue(&j))
        return false;
    ws(&j);
    return *j.p == 0;
}

/* ---------------------------------------------------------------- tag balance (HTML5 + SVG) */
/* true when every non-void element is closed in order; names the first mismatch in err. */
static bool tags_balanced(const char *s, char *err, size_t errn)
{
    static const char *const voids[] = {"meta", "input", "br", "wbr", "img", "hr", "link",
                                         "!doctype"};
    char stack[256][24];
    int sp = 0;
    for (const char *p = s; (p = strchr(p, '<')); ) {
        p++;
        bool closing = *p == '/';
        if (closing)
            p++;
        char name[24];
        size_t k = 0;
        while (*p && !isspace((unsigned char)*p) && *p != '>' && *p != '/' && k < sizeof name - 1)
            name[k++] = (char)tolower((unsigned char)*p++);
        name[k] = 0;
        const char *end = strchr(p, '>');
        if (!end || k == 0) {
            snprintf(err, errn, "bad tag near '%.20s'", p);
            return false;
        }
        bool selfclose = end[-1] == '/';
        if (!strcmp(name, "style")) { /* skip raw text */
            const char *e = strstr(end, "</style>");
            if (!e)
                return false;
            p = e + 8;
            continue;
        }
        bool isvoid = false;
        for (size_t v = 0; v < sizeof voids / sizeof voids[0]; v++)
            isvoid |= !strcmp(name, voids[v]);
        if (closing) {
            if (sp == 0 || strcmp(stack[sp - 1], name)) {
                snprintf(err, errn, "</%s> closes <%s>", name, sp ? stack[sp - 1] : "(none)");
                return false;
            }
            sp--;
        } else if (!selfclose && !isvoid) {
            if (sp == 256)
                return false;
            snprintf(stack[sp++], sizeof stack[0], "%s", name);
        }
        p = end + 1;
    }
    if (sp) {
        snprintf(err, errn, "<%s> not closed", stack[sp - 1]);
        return false;
    }
    return true;
}

/* ---------------------------------------------------------------- HTML */

Test(report_html, chart_count_is_one_plus_layers)
{
    uint32_t ns[] = {0, 1, 8, 40};
    for (size_t t = 0; t < sizeof ns / sizeof ns[0]; t++) {
        oq_report r;
        synth_report(&r, ns[t], "m.onnx");
        char *h = render(oq_report_write_html, &r, NULL);
        int charts = count(h, "<svg class=\"oq-chart");
        cr_expect_eq(charts, (int)ns[t] + 1, "n=%u: %d charts, want %u", ns[t], charts, ns[t] + 1);
        cr_expect_eq(count(h, "<svg"), charts, "n=%u: an <svg> without class oq-chart", ns[t]);
        cr_expect_eq(count(h, "</svg>"), charts, "n=%u: unclosed svg", ns[t]);
        char err[128] = "";
        cr_expect(tags_balanced(h, err, sizeof err), "n=%u: %s", ns[t], err);
        free(h);
        free(r.layers);
    }
}

Test(report_html, self_contained_no_script_no_url)
{
    oq_report r;
    synth_report(&r, 8, "https://evil.example/<script>alert(1)</script>.onnx");
    char *h = render(oq_report_write_html, &r, NULL);
    cr_expect_null(strcasestr_(h, "<script"), "a <script> element");
    cr_expect_null(strcasestr_(h, "http://"), "an http:// reference");
    /* the only https:// text allowed is the escaped model name, never inside an attribute */
    cr_expect_eq(count(h, "https://"), 3, "https:// outside the escaped model name");
    cr_expect_null(strcasestr_(h, "src="), "a src attribute");
    cr_expect_null(strcasestr_(h, "url("), "a CSS url()");
    cr_expect_null(strcasestr_(h, "@import"), "a CSS @import");
    cr_expect_null(strcasestr_(h, "xlink:href"), "an xlink reference");
    cr_expect_not_null(strstr(h, "Content-Security-Policy"));
    cr_expect_not_null(strstr(h, "&lt;script&gt;alert(1)&lt;/script&gt;"));
    free(h);
    free(r.layers);
}

Test(report_html, escapes_names)
{
    oq_report r;
    synth_report(&r, 3, "m.onnx");
    char *h = render(oq_report_write_html, &r, NULL);
    /* layer 1 is named conv<b>&"q'1, its output conv<b>&"q'1_out<1> */
    cr_expect_null(strstr(h, "conv<b>"), "raw layer name in the HTML");
    cr_expect_null(strstr(h, "_out<1>"), "raw output name in the HTML");
    cr_expect_geq(count(h, "conv&lt;b&gt;&amp;&quot;q&#39;1"), 4);
    free(h);
    free(r.layers);
}

Test(report_html, marks_inf_and_nan)
{
    oq_report r;
    synth_report(&r, 3, "m.onnx");
    char *h = render(oq_report_write_html, &r, NULL);
    /* layer 2 (MatMul): no weights (NAN -> n/a, no bar), activation +inf (exact) -> marker */
    cr_expect_not_null(strstr(h, "MatMul_2: activation SQNR +inf dB (exact)"));
    cr_expect_null(strstr(h, "MatMul_2: weight SQNR"), "a bar for a NAN weight SQNR");
    cr_expect_geq(count(h, "class=\"oq-inf\""), 1);
    cr_expect_geq(count(h, ">n/a</text>"), 1);
    cr_expect_null(strcasestr_(h, "nan"), "a printed nan");
    cr_expect_null(strstr(h, ">inf"), "a printed inf");
    free(h);
    free(r.layers);
}

Test(report_html, empty_and_constant_histograms)
{
    oq_report r;
    synth_report(&r, 10, "m.onnx");
    char *h = render(oq_report_write_html, &r, NULL);
    cr_expect_eq(count(h, "no histogram (not observed)"), 1);
    cr_expect_eq(count(h, "constant output: every value is 0"), 1);
    cr_expect_eq(count(h, "<svg class=\"oq-chart"), 11);
    free(h);
    free(r.layers);
}

Test(report_html, one_span_per_observer_line_pair)
{
    oq_report r;
    synth_report(&r, 1, "m.onnx");
    char *h = render(oq_report_write_html, &r, NULL);
    /* 5 observers x 2 ends x 2 panels + 5 legend swatches */
    cr_expect_eq(count(h, "class=\"oq-obs\""), OQ_OBS_COUNT * 5);
    cr_expect_not_null(strstr(h, "minmax (used)"));
    free(h);
    free(r.layers);
}

/* ---------------------------------------------------------------- JSON */

Test(report_json, valid_and_exact)
{
    oq_report r;
    synth_report(&r, 8, "m\"\\\n\x01\xff.onnx");
    char *j = render(oq_report_write_json, &r, NULL);
    cr_assert(json_valid(j), "invalid JSON:\n%.400s", j);
    cr_expect_not_null(strstr(j, "\"model\": \"m\\\"\\\\\\u000a\\u0001\\ufffd.onnx\""));
    cr_expect_null(strcasestr_(j, "nan"));
    cr_expect_null(strcasestr_(j, "inf"));
    cr_expect_not_null(strstr(j, "\"weight_sqnr_min\": null")); /* MatMul: no weights */
    cr_expect_not_null(strstr(j, "\"act_sqnr\": null"));        /* layer 2: +inf */
    cr_expect_eq(count(j, "\"exact\": [\"act_sqnr\"]"), 1, "+inf act_sqnr not listed as exact");
    cr_expect_eq(count(j, "\"exact\""), 1);
    /* floats read back bit-exact */
    const char *p = strstr(j, "\"hist_hi\": ");
    cr_assert(p);
    float v = strtof(p + 11, NULL);
    cr_expect_eq(v, r.layers[0].hist_hi, "hist_hi %.9g read back as %.9g",
                 (double)r.layers[0].hist_hi, (double)v);
    cr_expect_eq(count(j, "\"name\": "), 8);
    free(j);
    free(r.layers);

    synth_report(&r, 0, "empty.onnx");
    j = render(oq_report_write_json, &r, NULL);
    cr_expect(json_valid(j), "invalid JSON for 0 layers:\n%s", j);
    cr_expect_not_null(strstr(j, "\"layers\": []"));
    free(j);
}

Test(report_json, node_json_parse)
{
    if (access("/usr/bin/node", X_OK) != 0)
        cr_skip_test("node not installed");
    oq_report r;
    synth_report(&r, 8, "m<&>\"\xc3\xa9.onnx");
    char path[] = "/tmp/oq_report_jsonXXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    FILE *f = fdopen(fd, "w");
    oq_diag d = {0};
    cr_assert_eq(oq_report_write_json(&r, f, &d), OQ_OK, "%s", d.msg);
    fclose(f);
    char cmd[512];
    snprintf(cmd, sizeof cmd,
             "/usr/bin/node -e 'const r=JSON.parse(require(\"fs\").readFileSync(\"%s\",\"utf8\"));"
             "if(r.layers.length!==8||r.model!==\"m<&>\\\"\\u00e9.onnx\"||r.layers[2].act_sqnr!=="
             "null||r.layers[2].exact[0]!==\"act_sqnr\"||r.layers[0].hist.length!==%d)"
             "process.exit(3)'",
             path, OQ_REPORT_BINS);
    int rc = system(cmd);
    unlink(path);
    cr_expect_eq(rc, 0, "node JSON.parse check failed (status %d)", rc);
    free(r.layers);
}

/* ---------------------------------------------------------------- text */

/* Rows of the table (header included) when all have the header's display width, else -1. */
static int table_rows(const char *t)
{
    const char *head = strstr(t, "\nlayer");
    if (!head)
        return -1;
    int width = -1, rows = 0;
    for (const char *line = head + 1; *line && *line != '\n';) {
        const char *nl = strchr(line, '\n');
        if (!nl)
            return -1;
        char buf[1024];
        snprintf(buf, sizeof buf, "%.*s", (int)(nl - line), line);
        int w = oq_utf8_width(buf);
        if (width < 0)
            width = w;
        if (w != width)
            return -1;
        rows++;
        line = nl + 1;
    }
    return rows;
}

Test(report_text, aligned_table)
{
    oq_report r;
    synth_report(&r, 8, "m.onnx");
    char *t = render(oq_report_write_text, &r, NULL);
    cr_expect_eq(table_rows(t), 9, "header + 8 aligned rows:\n%s", t);
    cr_expect_not_null(strstr(t, "MatMul_2"));
    cr_expect_not_null(strstr(t, "Gemm_3*"), "float layer not marked");
    cr_expect_not_null(strstr(t, "     inf"));
    cr_expect_not_null(strstr(t, "   -3.50"));
    cr_expect_null(strcasestr_(t, "nan"));
    free(t);
    free(r.layers);
}

/* ---------------------------------------------------------------- all three */

Test(report_all, deterministic)
{
    render_fn fns[] = {oq_report_write_html, oq_report_write_json, oq_report_write_text};
    for (int k = 0; k < 3; k++) {
        oq_report r1, r2;
        synth_report(&r1, 9, "m.onnx");
        synth_report(&r2, 9, "m.onnx");
        size_t n1, n2;
        char *a = render(fns[k], &r1, &n1), *b = render(fns[k], &r2, &n2);
        cr_expect_eq(n1, n2, "renderer %d: %zu vs %zu bytes", k, n1, n2);
        cr_expect(n1 == n2 && memcmp(a, b, n1) == 0, "renderer %d: bytes differ", k);
        free(a);
        free(b);
        free(r1.layers);
        free(r2.layers);
    }
}

Test(report_all, io_error)
{
    FILE *f = fopen("/dev/full", "w");
    if (!f)
        cr_skip_test("no /dev/full");
    fclose(f);
    render_fn fns[] = {oq_report_write_html, oq_report_write_json, oq_report_write_text};
    oq_report r;
    synth_report(&r, 4, "m.onnx");
    for (int k = 0; k < 3; k++) {
        f = fopen("/dev/full", "w");
        cr_assert(f);
        oq_diag d = {0};
        oq_status st = fns[k](&r, f, &d);
        fclose(f);
        cr_expect_eq(st, OQ_ERR_IO, "renderer %d: status %d", k, st);
        cr_expect_eq(d.status, OQ_ERR_IO);
        cr_expect_not_null(strstr(d.msg, "report"), "message '%s'", d.msg);
    }
    free(r.layers);
}

Test(report_all, c_numbers_in_any_locale)
{
    const char *locs[] = {"de_DE.UTF-8", "de_DE.utf8", "fr_FR.UTF-8", "fr_FR.utf8"};
    const char *got = NULL;
    for (size_t i = 0; i < sizeof locs / sizeof locs[0] && !got; i++)
        got = setlocale(LC_ALL, locs[i]);
    char dir[] = "/tmp/oq_report_locXXXXXX";
    if (!got && access("/usr/share/i18n/locales/de_DE", R_OK) == 0 && mkdtemp(dir)) {
        char cmd[256];   /* build de_DE privately (glibc reads LOCPATH at setlocale) */
        snprintf(cmd, sizeof cmd, "localedef -i de_DE -f UTF-8 %s/de_DE.UTF-8 >/dev/null 2>&1",
                 dir);
        if (system(cmd) == 0) {
            setenv("LOCPATH", dir, 1);
            got = setlocale(LC_ALL, "de_DE.UTF-8");
        }
    }
    if (!got || strcmp(localeconv()->decimal_point, ",") != 0) {
        setlocale(LC_ALL, "C");
        cr_skip_test("no locale with a decimal comma installed");
    }
    char lname[64];
    snprintf(lname, sizeof lname, "%s", got);
    oq_report r;
    synth_report(&r, 4, "m.onnx");
    char *j = render(oq_report_write_json, &r, NULL);
    char *t = render(oq_report_write_text, &r, NULL);
    bool restored = strcmp(localeconv()->decimal_point, ",") == 0;
    setlocale(LC_ALL, "C");
    cr_expect(json_valid(j), "JSON invalid under %s", lname);
    cr_expect_not_null(strstr(t, "27.50"), "text figures not in the C locale");
    cr_expect(restored, "the caller's locale was not restored");
    free(j);
    free(t);
    free(r.layers);
    if (dir[strlen(dir) - 1] != 'X') { /* mkdtemp made it */
        char cmd[256];
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        cr_expect_eq(system(cmd), 0);
    }
}

/* ---------------------------------------------------------------- random reports */

/* A float from the awkward set (NAN, +-inf, 0, -0, tiny, huge, FLT_MAX) or a plain value. */
static float odd_float(uint32_t *s)
{
    static const float odd[] = {NAN, INFINITY, -INFINITY, 0.0f, -0.0f, 1e-30f, -1e-30f, 1e30f,
                                -1e30f, FLT_MAX, -FLT_MAX, 1e-45f};
    double u = synth_uniform(s);
    if (u < 0.5)
        return odd[(int)(synth_uniform(s) * (sizeof odd / sizeof odd[0]))];
    return (float)(synth_uniform(s) * 200 - 100);
}

/* A name of random bytes that can never spell "nan" or "inf" (escaping and UTF-8 checks). */
static void odd_name(char *dst, size_t n, uint32_t *s)
{
    static const char *const parts[] = {"<", ">", "&", "\"", "'", "/", "_", ".", "x", "\xc3\xa9",
                                        "\xff", "\x01", "\n", "\t", "\\", "\xe2\x88", "7", " "};
    size_t len = (size_t)(synth_uniform(s) * 60), k = 0;
    dst[0] = 0;
    for (size_t i = 0; i < len; i++) {
        const char *p = parts[(int)(synth_uniform(s) * (sizeof parts / sizeof parts[0]))];
        if (k + strlen(p) + 1 >= n)
            break;
        memcpy(dst + k, p, strlen(p) + 1);
        k += strlen(p);
    }
}

/* true when no attribute value (except class) holds a printed nan or inf. */
static bool attrs_finite(const char *h, char *err, size_t errn)
{
    for (const char *p = h; (p = strstr(p, "=\"")); p += 2) {
        const char *name = p;
        while (name > h && (isalnum((unsigned char)name[-1]) || name[-1] == '-'))
            name--;
        const char *v = p + 2, *end = strchr(v, '"');
        if (!end)
            return false;
        if (strncmp(name, "class", 5) == 0)
            continue;
        for (const char *q = v; q + 3 <= end; q++)
            if (!strncmp(q, "nan", 3) || !strncmp(q, "inf", 3)) {
                snprintf(err, errn, "%.*s", (int)(end - name + 1) < 80 ? (int)(end - name + 1)
                                                                       : 80, name);
                return false;
            }
    }
    return true;
}

Test(report_all, random_reports)
{
    char err[128];
    cr_assert(!attrs_finite("<rect class=\"a\" x=\"-nan\"/>", err, sizeof err), "checker");
    cr_assert(attrs_finite("<rect class=\"oq-inf\" x=\"1.0\"/>", err, sizeof err), "checker");
    uint32_t seed = 12345;
    for (int t = 0; t < 150; t++) {
        oq_report r;
        uint32_t n = (uint32_t)(synth_uniform(&seed) * 6);
        synth_report(&r, n, "m.onnx");
        odd_name(r.model, sizeof r.model, &seed);
        odd_name(r.observer, sizeof r.observer, &seed);
        r.model_sqnr = odd_float(&seed);
        r.acc_fp32 = odd_float(&seed);
        r.acc_int8 = odd_float(&seed);
        for (uint32_t i = 0; i < n; i++) {
            oq_layer_report *L = &r.layers[i];
            odd_name(L->name, sizeof L->name, &seed);
            odd_name(L->op, sizeof L->op, &seed);
            odd_name(L->output, sizeof L->output, &seed);
            float *f[] = {&L->weight_sqnr_min, &L->weight_sqnr_mean, &L->act_sqnr, &L->cum_sqnr,
                          &L->sens_sqnr, &L->sens_acc, &L->scale};
            for (size_t k = 0; k < sizeof f / sizeof f[0]; k++)
                if (synth_uniform(&seed) < 0.5)
                    *f[k] = odd_float(&seed);
            if (synth_uniform(&seed) < 0.5) {
                L->hist_lo = odd_float(&seed);
                L->hist_hi = odd_float(&seed);
            }
            for (int b = 0; b < OQ_REPORT_BINS; b++)
                if (synth_uniform(&seed) < 0.1)
                    L->hist[b] = odd_float(&seed);
            for (int k = 0; k < OQ_OBS_COUNT; k++)
                if (synth_uniform(&seed) < 0.5) {
                    L->range_lo[k] = odd_float(&seed);
                    L->range_hi[k] = odd_float(&seed);
                }
        }
        char *h = render(oq_report_write_html, &r, NULL);
        char err[128] = "";
        cr_expect_eq(count(h, "<svg class=\"oq-chart"), (int)n + 1, "case %d: chart count", t);
        cr_expect(tags_balanced(h, err, sizeof err), "case %d: %s", t, err);
        cr_expect(attrs_finite(h, err, sizeof err), "case %d: non-finite attribute %s", t, err);
        cr_expect_null(strstr(h, "nan"), "case %d: a printed nan in the HTML", t);
        char *j = render(oq_report_write_json, &r, NULL);
        cr_expect(json_valid(j), "case %d: invalid JSON", t);
        cr_expect_null(strstr(j, "nan"), "case %d: a printed nan in the JSON", t);
        cr_expect_null(strstr(j, "inf"), "case %d: a printed inf in the JSON", t);
        char *x = render(oq_report_write_text, &r, NULL);
        cr_expect_null(strchr(x, '\x01'), "case %d: control byte in the text table", t);
        cr_expect_null(strstr(x, "nan"), "case %d: a printed nan in the text table", t);
        cr_expect_eq(table_rows(x), (int)n + 1, "case %d: table not aligned:\n%s", t, x);
        free(h);
        free(j);
        free(x);
        free(r.layers);
    }
}

/* ---------------------------------------------------------------- svg helpers */

Test(report_svg, nice_ticks)
{
    double lo = -3.5, hi = 41.2, t[32];
    int n = oq_svg_ticks(&lo, &hi, 8, true, t, 32);
    cr_expect_eq(lo, -5.0);
    cr_expect_eq(hi, 45.0);
    cr_expect_eq(n, 11, "got %d ticks", n);
    for (int i = 0; i < n; i++)
        cr_expect(fabs(t[i] - (-5.0 + 5.0 * i)) < 1e-9, "tick %d = %g", i, t[i]);
    lo = 0.0012;
    hi = 0.0049;
    n = oq_svg_ticks(&lo, &hi, 4, false, t, 32);
    cr_expect_eq(n, 3, "got %d ticks", n); /* 0.002 0.003 0.004: step 0.001 */
    char buf[32];
    oq_svg_tick_label(buf, sizeof buf, t[0], t[1] - t[0]);
    cr_expect_str_eq(buf, "0.002");
    lo = hi = 7; /* degenerate domain widens */
    n = oq_svg_ticks(&lo, &hi, 4, true, t, 32);
    cr_expect(hi > lo && n >= 2);
}

Test(report_svg, escaping)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    oq_w w;
    oq_w_begin(&w, f);
    oq_w_xml(&w, "a<b>&\"c'\x01\xc3\xa9");
    oq_w_printf(&w, "|");
    oq_w_xml_cut(&w, "abcdef", 3);
    cr_assert_eq(oq_w_finish(&w, NULL, "test"), OQ_OK);
    fclose(f);
    cr_expect_str_eq(buf, "a&lt;b&gt;&amp;&quot;c&#39;?\xc3\xa9|abc\xe2\x80\xa6");
    free(buf);
}

Test(report_svg, tail_cut_and_steps)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    oq_w w;
    oq_w_begin(&w, f);
    oq_w_xml_tail(&w, "/a/\xc3\xa9/<Conv>", 6); /* 11 code points -> ellipsis + last 5 */
    oq_w_printf(&w, "|");
    oq_w_xml_tail(&w, "short", 6);
    oq_w_printf(&w, "|");
    double xe[5] = {0, 1, 2, 3, 4}, y[4] = {5, 5, 7, 9};
    oq_svg_steps(&w, xe, y, 4, 10, "h", NULL);
    cr_assert_eq(oq_w_finish(&w, NULL, "test"), OQ_OK);
    fclose(f);
    /* bins 0 and 1 share a height: one H to x=2 */
    cr_expect_str_eq(buf, "\xe2\x80\xa6" "Conv&gt;|short|<path d=\"M0.0 10.0V5.0H2.0V7.0H3.0V9.0"
                          "H4.0V10.0Z\" class=\"h\"/>\n");
    free(buf);
}

/* ---------------------------------------------------------------- --compare */

/* synth_report plus another tool's figures: layer 5 unmatched (NAN), the rest by name or
 * order, with a scale and a zero point of their own. */
static void synth_compare(oq_report *r, uint32_t n)
{
    synth_report(r, n, "m.onnx");
    snprintf(r->compare, sizeof r->compare, "peer<&>.onnx");
    r->cmp_model_sqnr = 24.25f;
    r->acc_cmp = 89.75f;
    for (uint32_t i = 0; i < n; i++) {
        oq_layer_report *L = &r->layers[i];
        oq_layer_compare *C = &L->cmp;
        L->w_scale_min = 0.001f * (float)(i + 1);
        L->w_scale_max = 0.004f * (float)(i + 1);
        L->out_sqnr = 40.0f - (float)i;
        if (i == 5) {
            *C = (oq_layer_compare){.scale = NAN, .w_scale_min = NAN, .w_scale_max = NAN,
                                    .weight_sqnr_min = NAN, .weight_sqnr_mean = NAN,
                                    .out_sqnr = NAN, .cum_sqnr = NAN};
            continue;
        }
        r->cmp_matched++;
        snprintf(C->node, sizeof C->node, "peer_%u", i);
        snprintf(C->how, sizeof C->how, "%s", i % 2 ? "order" : "name");
        C->scale = 0.0125f * (float)(i + 1);
        C->zero_point = (int32_t)(120 + i);
        C->w_scale_min = 0.002f;
        C->w_scale_max = 0.008f;
        C->weight_sqnr_min = L->weight_sqnr_min - 1.0f;
        C->weight_sqnr_mean = L->weight_sqnr_mean - 0.5f;
        C->out_sqnr = 38.5f - (float)i;
        C->cum_sqnr = L->cum_sqnr - 2.0f;
    }
}

Test(report_compare, json_text_html)
{
    oq_report r;
    synth_compare(&r, 8);
    char *j = render(oq_report_write_json, &r, NULL);
    cr_assert(json_valid(j), "invalid JSON:\n%.600s", j);
    cr_expect_not_null(strstr(j, "\"compare\": \"peer<&>.onnx\""));
    cr_expect_not_null(strstr(j, "\"compare_matched\": 7,"));
    cr_expect_eq(count(j, "\"matched_by\": "), 8);
    cr_expect_eq(count(j, "\"matched_by\": \"order\""), 3);
    cr_expect_eq(count(j, "\"matched_by\": \"\""), 1, "unmatched layer");
    cr_expect_not_null(strstr(j, "\"node\": \"peer_7\""));
    cr_expect_null(strcasestr_(j, "nan"));
    free(j);

    char *t = render(oq_report_write_text, &r, NULL);
    cr_expect_not_null(strstr(t, "compared with peer<&>.onnx (7 of 8 layers matched)"), "%s", t);
    cr_expect_not_null(strstr(t, "1.250e-02"), "the other tool's scale of layer 0:\n%s", t);
    cr_expect_not_null(strstr(t, "    120"), "its zero point:\n%s", t);
    cr_expect_null(strcasestr_(t, "nan"));
    /* the compare table: a header and one row per layer, all as wide as the header */
    const char *p = strstr(strstr(t, "compared with"), "\nlayer ");
    cr_assert(p);
    size_t w = strcspn(p + 1, "\n");
    const char *q = p + 1 + w + 1;
    for (uint32_t i = 0; i < 8; i++) {
        size_t lw = strcspn(q, "\n");
        int cp = 0;    /* display width: count UTF-8 lead bytes */
        for (size_t k = 0; k < lw; k++)
            cp += ((unsigned char)q[k] & 0xc0) != 0x80;
        cr_expect_eq((size_t)cp, w, "row %u width %d, header %zu:\n%s", i, cp, w, t);
        q += lw + 1;
    }
    free(t);

    char *h = render(oq_report_write_html, &r, NULL);
    cr_expect_not_null(strstr(h, "<h2>Compared with peer&lt;&amp;&gt;.onnx</h2>"));
    cr_expect_eq(count(h, "<td>compared (order)</td>"), 3);
    cr_expect_eq(count(h, "<td>compared (no match)</td>"), 1);
    cr_expect_eq(count(h, "<tr"), count(h, "</tr>"));
    free(h);
    free(r.layers);
}
