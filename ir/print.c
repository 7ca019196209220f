/* Text form of the IR: the debug dump (`--dump-after`) and the golden-test format; ir/parse.c
 * reads it back. One item per line, in this order:
 *   graph "name" opset=13 ir_version=7 producer="x"
 *   input %x:f32[1,3,?,?]                       (graph inputs, file order)
 *   const %w:f32[8,3,3,3] = {0.5, ...}          (with_data) or  const %w:f32[8,3,3,3] # summary
 *   %y:f32[1,8,28,28] = Conv(%x, %w, %b) {kernel_shape=[3,3], pads=[1,1,1,1]} # conv_1
 *   output %y
 * Names are %name (bare when [A-Za-z0-9_./-] only, else %"quoted"), %vN for an unnamed value;
 * `_` marks an absent input/output; `?` an unknown dim or dtype; no brackets = unknown rank.
 * qparams follow the type: <q u8 axis=0 s=[0.5] zp=[128]>. Lines starting with # are comments.
 * Constants that nothing reads are left out (they are not part of the graph's meaning). */
#include <inttypes.h>
#include <math.h>
#include <string.h>
#include <xxhash.h>

#include "ir.h"

static const struct {
    oq_dtype t;
    const char *s;
} shortnames[] = {
    {OQ_DT_FLOAT, "f32"},  {OQ_DT_UINT8, "u8"},     {OQ_DT_INT8, "i8"},    {OQ_DT_UINT16, "u16"},
    {OQ_DT_INT16, "i16"},  {OQ_DT_INT32, "i32"},    {OQ_DT_INT64, "i64"},  {OQ_DT_STRING, "str"},
    {OQ_DT_BOOL, "bool"},  {OQ_DT_FLOAT16, "f16"},  {OQ_DT_DOUBLE, "f64"}, {OQ_DT_UINT32, "u32"},
    {OQ_DT_UINT64, "u64"}, {OQ_DT_BFLOAT16, "bf16"}, {OQ_DT_UNDEFINED, "?"},
};

const char *ir_dtype_short(oq_dtype t)
{
    for (size_t i = 0; i < sizeof shortnames / sizeof shortnames[0]; i++)
        if (shortnames[i].t == t)
            return shortnames[i].s;
    return "?";
}

bool ir_dtype_from_short(const char *s, size_t n, oq_dtype *out)
{
    for (size_t i = 0; i < sizeof shortnames / sizeof shortnames[0]; i++)
        if (strlen(shortnames[i].s) == n && memcmp(shortnames[i].s, s, n) == 0) {
            *out = shortnames[i].t;
            return true;
        }
    return false;
}

bool ir_bare_char(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '.' || c == '/' || c == '-';
}

/* Writes s as a double-quoted C-style string. */
static void pr_quoted(FILE *f, const char *s)
{
    fputc('"', f);
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p == '"' || *p == '\\')
            fprintf(f, "\\%c", *p);
        else if (*p == '\n')
            fputs("\\n", f);
        else if (*p < 0x20 || *p == 0x7f)
            fprintf(f, "\\x%02x", *p);
        else
            fputc(*p, f);
    }
    fputc('"', f);
}

/* Bare when every char is a bare char (and the text is not empty or "_"). */
static void pr_ident(FILE *f, const char *s)
{
    bool bare = s[0] != 0 && strcmp(s, "_") != 0;
    for (const char *p = s; *p && bare; p++)
        bare = ir_bare_char((unsigned char)*p);
    if (bare)
        fputs(s, f);
    else
        pr_quoted(f, s);
}

static void pr_ref(FILE *f, const oq_graph *g, uint32_t v)
{
    if (v == OQ_NONE || v >= g->nvalue) {
        fputc('_', f);
        return;
    }
    fputc('%', f);
    if (g->values[v].name[0])
        pr_ident(f, g->values[v].name);
    else
        fprintf(f, "v%u", v);
}

/* A float that reads back as a float (has '.', 'e', inf or nan) and round-trips exactly. */
static void pr_float(FILE *f, double x, bool dbl)
{
    if (isnan(x)) {
        fputs("nan", f);
        return;
    }
    if (isinf(x)) {
        fputs(x < 0 ? "-inf" : "inf", f);
        return;
    }
    char buf[40];
    snprintf(buf, sizeof buf, dbl ? "%.17g" : "%.9g", x);
    if (!strpbrk(buf, ".e"))
        strcat(buf, ".0");
    fputs(buf, f);
}

static void pr_shape(FILE *f, const oq_shape *s)
{
    if (s->rank < 0)
        return;
    fputc('[', f);
    for (int i = 0; i < s->rank && i < OQ_MAX_RANK; i++) {
        if (i)
            fputc(',', f);
        if (s->dim[i] < 0)
            fputc('?', f);
        else
            fprintf(f, "%" PRId64, s->dim[i]);
    }
    fputc(']', f);
}

/* %name:type[shape]<q ...> */
static void pr_def(FILE *f, const oq_graph *g, uint32_t v)
{
    pr_ref(f, g, v);
    if (v == OQ_NONE || v >= g->nvalue)
        return;
    const oq_value *val = &g->values[v];
    fprintf(f, ":%s", ir_dtype_short(val->dtype));
    pr_shape(f, &val->shape);
    if (val->q.n && val->q.scale && val->q.zero_point) {
        fprintf(f, "<q %s axis=%d s=[", ir_dtype_short(val->q.dtype), (int)val->q.axis);
        for (uint32_t i = 0; i < val->q.n; i++) {
            if (i)
                fputc(',', f);
            pr_float(f, val->q.scale[i], false);
        }
        fputs("] zp=[", f);
        for (uint32_t i = 0; i < val->q.n; i++)
            fprintf(f, i ? ",%d" : "%d", (int)val->q.zero_point[i]);
        fputs("]>", f);
    }
}

/* Element i of data in its dtype, in a form ir_parse reads back. */
static void pr_elem(FILE *f, const void *p, oq_dtype t, int64_t i)
{
    switch (t) {
    case OQ_DT_FLOAT: pr_float(f, ((const float *)p)[i], false); break;
    case OQ_DT_DOUBLE: pr_float(f, ((const double *)p)[i], true); break;
    case OQ_DT_INT64: fprintf(f, "%" PRId64, ((const int64_t *)p)[i]); break;
    case OQ_DT_INT32: fprintf(f, "%" PRId32, ((const int32_t *)p)[i]); break;
    case OQ_DT_INT16: fprintf(f, "%d", ((const int16_t *)p)[i]); break;
    case OQ_DT_INT8: fprintf(f, "%d", ((const int8_t *)p)[i]); break;
    case OQ_DT_UINT8: case OQ_DT_BOOL: fprintf(f, "%u", ((const uint8_t *)p)[i]); break;
    case OQ_DT_UINT16: case OQ_DT_FLOAT16: case OQ_DT_BFLOAT16:
        fprintf(f, "%u", ((const uint16_t *)p)[i]);   /* half types: raw bits */
        break;
    case OQ_DT_UINT32: fprintf(f, "%" PRIu32, ((const uint32_t *)p)[i]); break;
    case OQ_DT_UINT64: fprintf(f, "%" PRIu64, ((const uint64_t *)p)[i]); break;
    default: fputc('0', f); break;
    }
}

static void pr_data(FILE *f, const void *p, oq_dtype t, int64_t n)
{
    fputc('{', f);
    for (int64_t i = 0; i < n; i++) {
        if (i)
            fputs(", ", f);
        pr_elem(f, p, t, i);
    }
    fputc('}', f);
}

/* "# N values, xxh3 H, range [lo, hi]" for a constant printed without data. */
static void pr_summary(FILE *f, const oq_graph *g, uint32_t v)
{
    const oq_value *val = &g->values[v];
    int64_t n = oq_shape_numel(&val->shape);
    size_t nb = ir_value_nbytes(g, v);
    fprintf(f, " # %" PRId64 " values, xxh3 %016" PRIx64, n < 0 ? 0 : n,
            (uint64_t)XXH3_64bits(val->data, nb));
    if (n > 0 && n <= 8) {
        fputs(", ", f);
        pr_data(f, val->data, val->dtype, n);
    } else if (n > 0 && (val->dtype == OQ_DT_FLOAT || val->dtype == OQ_DT_INT8 ||
                         val->dtype == OQ_DT_UINT8 || val->dtype == OQ_DT_INT32 ||
                         val->dtype == OQ_DT_INT64)) {
        double lo = INFINITY, hi = -INFINITY;
        for (int64_t i = 0; i < n; i++) {
            double x;
            switch (val->dtype) {
            case OQ_DT_FLOAT: x = ((const float *)val->data)[i]; break;
            case OQ_DT_INT8: x = ((const int8_t *)val->data)[i]; break;
            case OQ_DT_UINT8: x = ((const uint8_t *)val->data)[i]; break;
            case OQ_DT_INT32: x = ((const int32_t *)val->data)[i]; break;
            default: x = (double)((const int64_t *)val->data)[i]; break;
            }
            lo = x < lo ? x : lo;
            hi = x > hi ? x : hi;
        }
        fprintf(f, ", range [%.6g, %.6g]", lo, hi);
    }
}

static void pr_attr(FILE *f, const oq_attr *a)
{
    pr_ident(f, a->name);
    fputc('=', f);
    switch (a->type) {
    case OQ_ATTR_INT: fprintf(f, "%" PRId64, a->i); break;
    case OQ_ATTR_FLOAT: pr_float(f, a->f, false); break;
    case OQ_ATTR_STRING: pr_quoted(f, a->s ? a->s : ""); break;
    case OQ_ATTR_INTS:
        fputc('[', f);
        for (uint32_t i = 0; i < a->n; i++)
            fprintf(f, i ? ",%" PRId64 : "%" PRId64, a->ints[i]);
        fputc(']', f);
        break;
    case OQ_ATTR_FLOATS:
        fputs("floats[", f);
        for (uint32_t i = 0; i < a->n; i++) {
            if (i)
                fputc(',', f);
            pr_float(f, a->floats[i], false);
        }
        fputc(']', f);
        break;
    case OQ_ATTR_STRINGS:
        fputs("strings[", f);
        for (uint32_t i = 0; i < a->n; i++) {
            if (i)
                fputc(',', f);
            pr_quoted(f, a->strings[i] ? a->strings[i] : "");
        }
        fputc(']', f);
        break;
    case OQ_ATTR_TENSOR:
        if (!a->t) {
            fputs("tensor()", f);
            break;
        }
        fprintf(f, "tensor(%s", ir_dtype_short(a->t->dtype));
        pr_shape(f, &a->t->shape);
        int64_t n = oq_shape_numel(&a->t->shape);
        if (a->t->data && n >= 0 && oq_dtype_size(a->t->dtype)) {
            fputc(' ', f);
            pr_data(f, a->t->data, a->t->dtype, n);
        }
        fputc(')', f);
        break;
    }
}

/* Prints the whole graph; constants carry their data when with_data, else a summary. */
const char *ir_float_why_name(int why)
{
    switch (why) {
    case OQ_FLOAT_EXCLUDED: return "excluded";
    case OQ_FLOAT_OP_TYPES: return "op_types";
    default: return NULL;
    }
}

void ir_print(const oq_graph *g, FILE *f, bool with_data)
{
    fputs("graph ", f);
    pr_quoted(f, g->name ? g->name : "");
    fprintf(f, " opset=%" PRId64 " ir_version=%" PRId64, g->opset, g->ir_version);
    if (g->producer_name && g->producer_name[0]) {
        fputs(" producer=", f);
        pr_quoted(f, g->producer_name);
    }
    fputc('\n', f);
    for (uint32_t i = 0; i < g->ninput; i++) {
        fputs("input ", f);
        pr_def(f, g, g->inputs[i]);
        fputc('\n', f);
    }
    /* constants no live node reads and no output names are not part of the graph (as in
     * ir_hash_graph); the marks come from the backing allocator, all are printed without it */
    oq_allocfn af = g->arena.alloc ? g->arena.alloc : oq_default_alloc;
    size_t nb = (size_t)g->nvalue + 1;
    unsigned char *used = af(g->arena.alloc_ctx, NULL, 0, nb);
    if (used) {
        memset(used, 0, nb);
        for (uint32_t n = 0; n < g->nnode; n++)
            for (uint32_t i = 0; i < g->nodes[n].nin && !g->nodes[n].dead; i++)
                if (g->nodes[n].in[i] < g->nvalue)
                    used[g->nodes[n].in[i]] = 1;
        for (uint32_t i = 0; i < g->noutput; i++)
            if (g->outputs[i] < g->nvalue)
                used[g->outputs[i]] = 1;
    }
    for (uint32_t v = 0; v < g->nvalue; v++) {
        const oq_value *val = &g->values[v];
        if (!val->data || val->producer != OQ_NONE || val->is_input || (used && !used[v]))
            continue;
        fputs("const ", f);
        pr_def(f, g, v);
        int64_t n = oq_shape_numel(&val->shape);
        if (with_data && n >= 0 && oq_dtype_size(val->dtype)) {
            fputs(" = ", f);
            pr_data(f, val->data, val->dtype, n);
        } else {
            pr_summary(f, g, v);
        }
        fputc('\n', f);
    }
    if (used)
        af(g->arena.alloc_ctx, used, nb, 0);
    for (uint32_t n = 0; n < g->nnode; n++) {
        const oq_node *nd = &g->nodes[n];
        if (nd->dead)
            continue;
        for (uint32_t i = 0; i < nd->nout; i++) {
            if (i)
                fputs(", ", f);
            pr_def(f, g, nd->out[i]);
        }
        fputs(" = ", f);
        fputs(nd->op < OQ_OP_COUNT ? oq_op_info(nd->op)->name : (nd->op_type ? nd->op_type : "?"),
              f);
        if (nd->domain && nd->domain[0]) {
            fputc('@', f);
            pr_ident(f, nd->domain);
        }
        fputc('(', f);
        for (uint32_t i = 0; i < nd->nin; i++) {
            if (i)
                fputs(", ", f);
            pr_ref(f, g, nd->in[i]);
        }
        fputc(')', f);
        if (nd->nattr) {
            fputs(" {", f);
            for (uint32_t i = 0; i < nd->nattr; i++) {
                if (i)
                    fputs(", ", f);
                pr_attr(f, &nd->attr[i]);
            }
            fputc('}', f);
        }
        if (ir_float_why_name(nd->float_why))
            fprintf(f, " float=%s", ir_float_why_name(nd->float_why));
        if (nd->name && nd->name[0]) {
            fputs(" # ", f);
            pr_ident(f, nd->name);
        }
        fputc('\n', f);
    }
    for (uint32_t i = 0; i < g->noutput; i++) {
        fputs("output ", f);
        pr_ref(f, g, g->outputs[i]);
        fputc('\n', f);
    }
}
