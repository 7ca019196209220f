/* C emitter, shared helpers: constants read as numbers, storage expressions of values, const
 * arrays in NAME_weights.c / NAME.c, and whole-file writes under the output folder. Every other
 * c_emit_*.c file calls these; this file calls none of them. */
#include "c_emit_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>


/* Element i of a numeric constant as double (ir/values.c). */
double ce_cnum(const ectx *e, uint32_t v, int64_t i)
{
    return oq_elem_f64(val(e, v)->data, val(e, v)->dtype, i);
}

/* The C element type of t; NULL for types the emitted code does not store. */
const char *ce_ctype(oq_dtype t)
{
    switch (t) {
    case OQ_DT_FLOAT: return "float";
    case OQ_DT_UINT8: return "uint8_t";
    case OQ_DT_INT8: return "int8_t";
    case OQ_DT_INT32: return "int32_t";
    case OQ_DT_INT64: return "int64_t";
    case OQ_DT_BOOL: return "uint8_t";  /* ONNX bool: one byte, 0 or 1 */
    default: return NULL;
    }
}

/* Writes a C expression for the storage of value v (typed pointer). */
void ce_ptr(ectx *e, oq_cbuf *b, uint32_t v)
{
    const vinfo *vi = &e->v[v];
    const char *t = ce_ctype(val(e, v)->dtype);
    switch (vi->store) {
    case ST_IN: cbuf_printf(b, "(const %s *)in[%d]", t, vi->io); break;
    case ST_OUT: cbuf_printf(b, "(%s *)out[%d]", t, vi->io); break;
    case ST_WS:
        cbuf_printf(b, "(%s *)(ws + %zu)", t, e->bufs[vi->buf].offset);
        break;
    case ST_CONST:
        if (vi->cid != OQ_NONE) {
            cbuf_printf(b, "(const %s *)%s_c%u", t ? t : "void", e->nm, vi->cid);
            break;
        }
        /* fall through */
    default: cbuf_printf(b, "0 /* no storage for %s */", val(e, v)->name); break;
    }
}

void ce_scratch_ptr(ectx *e, oq_cbuf *b, uint32_t node)
{
    if (e->scratch[node] == OQ_NONE)
        cbuf_printf(b, "(void *)0");
    else
        cbuf_printf(b, "(void *)(ws + %zu)", e->bufs[e->scratch[node]].offset);
}

/* Emits a const array of raw bytes into NAME_weights.c and its extern declaration; returns
 * the array's number (name NAME_cN). */
uint32_t ce_emit_bytes(ectx *e, const void *data, size_t n)
{
    uint32_t id = e->nconst++;
    const unsigned char *p = data;
    cbuf_printf(&e->w, "const unsigned char %s_c%u[%zu] OQ_ALIGN64 = {", e->nm, id, n ? n : 1);
    for (size_t i = 0; i < n; i++)
        cbuf_printf(&e->w, "%s%u,", i % 32 ? "" : "\n", p[i]);
    if (!n)
        cbuf_printf(&e->w, "0");
    cbuf_printf(&e->w, "\n};\n");
    cbuf_printf(&e->decl, "extern const unsigned char %s_c%u[%zu];\n", e->nm, id, n ? n : 1);
    e->rep.weight_bytes += n;
    return id;
}

/* Emits a const float array (exact hex literals) into NAME.c's parameter section. */
uint32_t ce_emit_floats(ectx *e, const float *f, size_t n)
{
    uint32_t id = e->nconst++;
    cbuf_printf(&e->decl, "static const float %s_c%u[%zu] = {", e->nm, id, n);
    for (size_t i = 0; i < n; i++) {
        cbuf_printf(&e->decl, "%s", i % 6 ? " " : "\n    ");
        cbuf_hexf(&e->decl, f[i]);
        cbuf_printf(&e->decl, ",");
    }
    cbuf_printf(&e->decl, "\n};\n");
    return id;
}

/* Writes "a0, a1, ..." ("0" when n == 0, for C arrays that may not be empty). */
void ce_ilist(oq_cbuf *b, const int64_t *a, int n)
{
    for (int i = 0; i < n; i++)
        cbuf_printf(b, "%s%lld", i ? ", " : "", (long long)a[i]);
    if (n == 0)
        cbuf_printf(b, "0");
}

/* Makes the constant v addressable (a const array); DequantizeLinear of a constant is
 * evaluated with the interpreter's formula. False if v has no value known at compile time. */
bool ce_materialize(ectx *e, uint32_t v)
{
    vinfo *vi = &e->v[v];
    if (vi->store == ST_IN || vi->store == ST_OUT || vi->store == ST_WS || vi->cid != OQ_NONE)
        return true;
    const oq_value *x = val(e, v);
    size_t nb = ir_value_nbytes(e->g, v);
    if (x->data) {
        vi->cid = ce_emit_bytes(e, x->data, nb);
        vi->store = ST_CONST;
        return true;
    }
    if (x->producer == OQ_NONE)
        return false;
    const oq_node *p = &e->g->nodes[x->producer];
    if (p->op != OQ_OP_DequantizeLinear || !is_const(e, p->in[0]) || !is_const(e, p->in[1]) ||
        x->dtype != OQ_DT_FLOAT)
        return false;
    uint32_t q = p->in[0], s = p->in[1], z = p->nin > 2 ? p->in[2] : OQ_NONE;
    int64_t n = numel(e, q), nq = numel(e, s), inner = 1;
    if (nq > 1) {
        int64_t axis = ir_attr_i(p, OQ_A_DequantizeLinear_axis);
        int r = val(e, q)->shape.rank;
        if (axis < 0)
            axis += r;
        for (int k = (int)axis + 1; k < r; k++)
            inner *= val(e, q)->shape.dim[k];
    }
    float *f = malloc((size_t)(n ? n : 1) * sizeof *f);
    if (!f)
        return false;
    const float *sc = val(e, s)->data;
    for (int64_t i = 0; i < n; i++) {
        int64_t c = nq == 1 ? 0 : (i / inner) % nq;
        int64_t zp = z != OQ_NONE && is_const(e, z) ? (int64_t)ce_cnum(e, z, c) : 0;
        f[i] = (float)((int64_t)ce_cnum(e, q, i) - zp) * sc[c];
    }
    vi->cid = ce_emit_bytes(e, f, (size_t)n * sizeof *f);
    vi->store = ST_CONST;
    free(f);
    return true;
}

/* Pointer expression of input v, materializing constants; false (error set) if impossible. */
bool ce_in_ptr(ectx *e, uint32_t n, uint32_t v)
{
    if (!ce_materialize(e, v)) {
        oq_errorf(e->d, e->g, n, OQ_ERR_UNSUPPORTED_OP, "input '%s' is neither computed nor a "
                  "constant the C backend can store", val(e, v)->name);
        return false;
    }
    ce_ptr(e, &e->c, v);
    return true;
}

void ce_comment(ectx *e, uint32_t n)
{
    const oq_node *nd = &e->g->nodes[n];
    cbuf_printf(&e->c, "    /* n%u %s '%s' */\n", n, nd->op_type, nd->name);
}

/* ------------------------------------------------------------------------------ files */

static bool put_cbuf(void *ctx, FILE *f, oq_diag *d)
{
    const oq_cbuf *b = ctx;
    (void)d;
    return b->len == 0 || fwrite(b->p, 1, b->len, f) == b->len;
}

/* Writes file into the output folder's stage (ir/file.c: oq_outdir_write). */
oq_status ce_write_out(ectx *e, const char *file, const oq_cbuf *b)
{
    if (b->oom)
        return oq_errorf(e->d, NULL, OQ_NONE, OQ_ERR_NOMEM, "out of memory writing %s", file);
    return oq_outdir_write(e->od, file, put_cbuf, (void *)b, e->d);
}

/* A C string literal of s (quotes, backslashes and non-printables escaped). */
void ce_cstring(oq_cbuf *b, const char *s)
{
    cbuf_printf(b, "\"");
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            cbuf_printf(b, "\\%c", ch);
        else if (ch < 32 || ch > 126)
            cbuf_printf(b, "\\%03o", ch);
        else
            cbuf_printf(b, "%c", ch);
    }
    cbuf_printf(b, "\"");
}

/* "        static const long long off[N][2] = {{a, b}, ..." without the closing "};": for each
 * of the N output batches of p in C order, the offsets (in matrices) of A and B, walked with the
 * interpreter's oq_matmul_next. */
void ce_batch_offsets(oq_cbuf *c, const oq_matmul_plan *p)
{
    int64_t nob = oq_shape_numel(&p->ob), idx[OQ_MAX_RANK] = {0}, oa = 0, ob = 0;
    cbuf_printf(c, "        static const long long off[%lld][2] = {", (long long)nob);
    for (int64_t t = 0; t < nob; t++) {
        cbuf_printf(c, "%s{%lld, %lld}", t ? ", " : "", (long long)oa, (long long)ob);
        oq_matmul_next(p, idx, &oa, &ob);
    }
}
