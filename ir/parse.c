/* Reads the text form written by ir/print.c back into a graph (golden pass tests, hand-written
 * test graphs). Line oriented: `graph`, `input`, `const`, node and `output` lines; blank lines
 * and lines starting with # are skipped. A value may be used before the line that defines it
 * (ir_toposort can then order the nodes); every used value must be defined somewhere.
 * A `const` without `= {data}` (a printed summary) gets zero-filled data. Errors name the line. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ir.h"

typedef struct parser {
    const char *p;             /* cursor */
    int line;                  /* 1-based line of the cursor */
    oq_graph *g;
    oq_diag *d;
    uint8_t *defined;          /* per value: 1 once a line defines it (arena, grown) */
    uint32_t cdef;             /* capacity of defined[] */
    uint32_t cin, cout;        /* capacities of g->inputs / g->outputs */
} parser;

static oq_status perr(parser *ps, oq_status st, const char *fmt, ...) OQ_PRINTF(3, 4);

static oq_status perr(parser *ps, oq_status st, const char *fmt, ...)
{
    char buf[700];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    return oq_errorf(ps->d, NULL, OQ_NONE, st, "line %d: %s", ps->line, buf);
}

static oq_status nomem(parser *ps) { return perr(ps, OQ_ERR_NOMEM, "out of memory"); }

static void skip_ws(parser *ps)
{
    while (*ps->p == ' ' || *ps->p == '\t' || *ps->p == '\r')
        ps->p++;
}

static bool eat(parser *ps, char c)
{
    skip_ws(ps);
    if (*ps->p != c)
        return false;
    ps->p++;
    return true;
}

static oq_status expect(parser *ps, char c)
{
    if (eat(ps, c))
        return OQ_OK;
    return perr(ps, OQ_ERR_INVALID_MODEL, "expected '%c' near '%.20s'", c, ps->p);
}

/* True (and consumes) when the next word is exactly kw. */
static bool eat_word(parser *ps, const char *kw)
{
    skip_ws(ps);
    size_t n = strlen(kw);
    if (strncmp(ps->p, kw, n) != 0 || ir_bare_char((unsigned char)ps->p[n]))
        return false;
    ps->p += n;
    return true;
}

/* A quoted string (C escapes \" \\ \n \xHH) into the arena. */
static oq_status read_quoted(parser *ps, const char **out)
{
    skip_ws(ps);
    if (*ps->p != '"')
        return perr(ps, OQ_ERR_INVALID_MODEL, "expected a quoted string near '%.20s'", ps->p);
    const char *s = ++ps->p;
    size_t n = 0;
    while (s[n] && s[n] != '"' && s[n] != '\n')
        n += s[n] == '\\' && s[n + 1] ? 2 : 1;
    if (s[n] != '"')
        return perr(ps, OQ_ERR_INVALID_MODEL, "unterminated string");
    char *buf = oq_arena_alloc(&ps->g->arena, n + 1);
    if (!buf)
        return nomem(ps);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '\\') {
            buf[k++] = s[i];
            continue;
        }
        char e = s[++i];
        if (e == 'n') {
            buf[k++] = '\n';
        } else if (e == 'x' && i + 2 < n + 1) {
            char hex[3] = {s[i + 1], s[i + 2], 0};
            buf[k++] = (char)strtol(hex, NULL, 16);
            i += 2;
        } else {
            buf[k++] = e;
        }
    }
    buf[k] = 0;
    ps->p = s + n + 1;
    *out = buf;
    return OQ_OK;
}

/* A bare identifier or a quoted string. */
static oq_status read_ident(parser *ps, const char **out)
{
    skip_ws(ps);
    if (*ps->p == '"')
        return read_quoted(ps, out);
    const char *s = ps->p;
    while (ir_bare_char((unsigned char)*ps->p))
        ps->p++;
    if (ps->p == s)
        return perr(ps, OQ_ERR_INVALID_MODEL, "expected a name near '%.20s'", s);
    char *buf = oq_arena_alloc(&ps->g->arena, (size_t)(ps->p - s) + 1);
    if (!buf)
        return nomem(ps);
    memcpy(buf, s, (size_t)(ps->p - s));
    *out = buf;
    return OQ_OK;
}

/* A numeric token ([0-9A-Za-z.+-]) copied into buf. */
static oq_status read_numtok(parser *ps, char *buf, size_t n)
{
    skip_ws(ps);
    size_t k = 0;
    while ((ir_bare_char((unsigned char)*ps->p) || *ps->p == '+') && *ps->p != '/' &&
           *ps->p != '_') {
        if (k + 1 >= n)
            return perr(ps, OQ_ERR_INVALID_MODEL, "number too long");
        buf[k++] = *ps->p++;
    }
    buf[k] = 0;
    if (!k)
        return perr(ps, OQ_ERR_INVALID_MODEL, "expected a number near '%.20s'", ps->p);
    return OQ_OK;
}

static bool tok_is_float(const char *t)
{
    return strpbrk(t, ".eE") || strstr(t, "inf") || strstr(t, "nan");
}

static oq_status read_i64(parser *ps, int64_t *out)
{
    char t[64];
    oq_status st = read_numtok(ps, t, sizeof t);
    if (st)
        return st;
    char *end;
    errno = 0;
    long long v = strtoll(t, &end, 10);
    if (*end || errno)
        return perr(ps, OQ_ERR_INVALID_MODEL, "bad integer '%s'", t);
    *out = v;
    return OQ_OK;
}

static oq_status read_f64(parser *ps, double *out, bool single)
{
    char t[64];
    oq_status st = read_numtok(ps, t, sizeof t);
    if (st)
        return st;
    char *end;
    if (single)
        *out = strtof(t, &end);
    else
        *out = strtod(t, &end);
    if (*end)
        return perr(ps, OQ_ERR_INVALID_MODEL, "bad number '%s'", t);
    return OQ_OK;
}

/* Element i of dtype t from the next token into buffer p. */
static oq_status read_elem(parser *ps, void *p, oq_dtype t, int64_t i)
{
    if (t == OQ_DT_FLOAT || t == OQ_DT_DOUBLE) {
        double x = 0;
        oq_status st = read_f64(ps, &x, t == OQ_DT_FLOAT);
        if (st)
            return st;
        if (t == OQ_DT_FLOAT)
            ((float *)p)[i] = (float)x;
        else
            ((double *)p)[i] = x;
        return OQ_OK;
    }
    char tok[64];
    oq_status st = read_numtok(ps, tok, sizeof tok);
    if (st)
        return st;
    char *end;
    errno = 0;
    if (t == OQ_DT_UINT64) {
        ((uint64_t *)p)[i] = strtoull(tok, &end, 10);
    } else {
        long long v = strtoll(tok, &end, 10);
        switch (t) {
        case OQ_DT_INT64: ((int64_t *)p)[i] = v; break;
        case OQ_DT_INT32: ((int32_t *)p)[i] = (int32_t)v; break;
        case OQ_DT_INT16: ((int16_t *)p)[i] = (int16_t)v; break;
        case OQ_DT_INT8: ((int8_t *)p)[i] = (int8_t)v; break;
        case OQ_DT_UINT8: case OQ_DT_BOOL: ((uint8_t *)p)[i] = (uint8_t)v; break;
        case OQ_DT_UINT16: case OQ_DT_FLOAT16: case OQ_DT_BFLOAT16:
            ((uint16_t *)p)[i] = (uint16_t)v;
            break;
        case OQ_DT_UINT32: ((uint32_t *)p)[i] = (uint32_t)v; break;
        default: return perr(ps, OQ_ERR_DTYPE, "type %s cannot hold data", oq_dtype_name(t));
        }
    }
    if (*end || errno)
        return perr(ps, OQ_ERR_INVALID_MODEL, "bad integer '%s'", tok);
    return OQ_OK;
}

/* {e, e, ...} with exactly n elements of dtype t into a fresh arena buffer. */
static oq_status read_data(parser *ps, oq_dtype t, int64_t n, void **out)
{
    oq_status st = expect(ps, '{');
    if (st)
        return st;
    /* count first, so a short or hostile list never drives a big allocation */
    int64_t cnt = 0;
    const char *q = ps->p;
    while (*q == ' ' || *q == '\t')
        q++;
    if (*q != '}') {
        cnt = 1;
        for (; *q && *q != '}' && *q != '\n'; q++)
            cnt += *q == ',';
    }
    if (*q != '}')
        return perr(ps, OQ_ERR_INVALID_MODEL, "unterminated data list");
    if (cnt != n)
        return perr(ps, OQ_ERR_INVALID_MODEL, "%lld data values for %lld elements",
                    (long long)cnt, (long long)n);
    size_t es = oq_dtype_size(t);
    if (!es)
        return perr(ps, OQ_ERR_DTYPE, "type %s cannot hold data", oq_dtype_name(t));
    void *buf = oq_arena_alloc(&ps->g->arena, (size_t)(n ? n : 1) * es);
    if (!buf)
        return nomem(ps);
    for (int64_t i = 0; i < n; i++) {
        if (i && (st = expect(ps, ',')))
            return st;
        if ((st = read_elem(ps, buf, t, i)))
            return st;
    }
    if ((st = expect(ps, '}')))
        return st;
    *out = buf;
    return OQ_OK;
}

/* dtype word then optional [dims]; rank -1 when there are no brackets. */
static oq_status read_type(parser *ps, oq_dtype *t, oq_shape *s)
{
    skip_ws(ps);
    const char *b = ps->p;
    if (*ps->p == '?')
        ps->p++;
    else
        while ((*ps->p >= 'a' && *ps->p <= 'z') || (*ps->p >= '0' && *ps->p <= '9'))
            ps->p++;
    if (!ir_dtype_from_short(b, (size_t)(ps->p - b), t))
        return perr(ps, OQ_ERR_DTYPE, "unknown type '%.*s'", (int)(ps->p - b), b);
    memset(s, 0, sizeof *s);
    s->rank = -1;
    if (*ps->p != '[')
        return OQ_OK;
    ps->p++;
    s->rank = 0;
    if (eat(ps, ']'))
        return OQ_OK;
    for (;;) {
        if (s->rank >= OQ_MAX_RANK)
            return perr(ps, OQ_ERR_SHAPE, "rank exceeds %d", OQ_MAX_RANK);
        if (eat(ps, '?')) {
            s->dim[s->rank++] = -1;
        } else {
            int64_t v = 0;
            oq_status st = read_i64(ps, &v);
            if (st)
                return st;
            if (v < 0)
                return perr(ps, OQ_ERR_SHAPE, "negative dim %lld", (long long)v);
            s->dim[s->rank++] = v;
        }
        if (eat(ps, ']'))
            return OQ_OK;
        oq_status st = expect(ps, ',');
        if (st)
            return st;
    }
}

/* Marks v defined, growing the flag array; false on NOMEM. */
static bool mark(parser *ps, uint32_t v, uint8_t val)
{
    if (v >= ps->cdef) {
        uint32_t nc = ps->cdef ? ps->cdef : 64;
        while (nc <= v)
            nc *= 2;
        uint8_t *nd = oq_arena_alloc(&ps->g->arena, nc);
        if (!nd)
            return false;
        if (ps->cdef)
            memcpy(nd, ps->defined, ps->cdef);
        ps->defined = nd;
        ps->cdef = nc;
    }
    ps->defined[v] = val;
    return true;
}

static bool is_defined(const parser *ps, uint32_t v) { return v < ps->cdef && ps->defined[v]; }

/* %name or _ : finds or creates (as not yet defined) the value. */
static oq_status read_ref(parser *ps, uint32_t *out)
{
    skip_ws(ps);
    if (*ps->p == '_' && !ir_bare_char((unsigned char)ps->p[1])) {
        ps->p++;
        *out = OQ_NONE;
        return OQ_OK;
    }
    oq_status st = expect(ps, '%');
    if (st)
        return st;
    if (*ps->p == ' ' || *ps->p == '\t')
        return perr(ps, OQ_ERR_INVALID_MODEL, "space after '%%'");
    const char *name;
    if ((st = read_ident(ps, &name)))
        return st;
    uint32_t v = ir_find_value(ps->g, name);
    if (v == OQ_NONE) {
        v = ir_add_value(ps->g, name, OQ_DT_UNDEFINED, NULL);
        if (v == OQ_NONE || !mark(ps, v, 0))
            return nomem(ps);
    }
    *out = v;
    return OQ_OK;
}

static oq_status read_q(parser *ps, oq_value *val)
{
    oq_status st;
    if (!eat_word(ps, "q"))
        return perr(ps, OQ_ERR_INVALID_MODEL, "expected 'q' after '<'");
    oq_shape dummy;
    if ((st = read_type(ps, &val->q.dtype, &dummy)))
        return st;
    if (!eat_word(ps, "axis") || (st = expect(ps, '=')))
        return perr(ps, OQ_ERR_INVALID_MODEL, "expected axis= in qparams");
    int64_t ax = 0;
    if ((st = read_i64(ps, &ax)))
        return st;
    if (ax < 0 || ax >= OQ_MAX_RANK)
        return perr(ps, OQ_ERR_INVALID_MODEL, "qparam axis %lld out of range", (long long)ax);
    val->q.axis = (int32_t)ax;
    for (int pass = 0; pass < 2; pass++) {
        if (!eat_word(ps, pass ? "zp" : "s") || (st = expect(ps, '=')) || (st = expect(ps, '[')))
            return perr(ps, OQ_ERR_INVALID_MODEL, "expected %s=[...] in qparams", pass ? "zp" : "s");
        uint32_t cnt = 1;
        for (const char *q = ps->p; *q && *q != ']' && *q != '\n'; q++)
            cnt += *q == ',';
        if (pass == 0) {
            val->q.n = cnt;
            val->q.scale = oq_arena_alloc(&ps->g->arena, cnt * sizeof(float));
            val->q.zero_point = oq_arena_alloc(&ps->g->arena, cnt * sizeof(int32_t));
            if (!val->q.scale || !val->q.zero_point)
                return nomem(ps);
        } else if (cnt != val->q.n) {
            return perr(ps, OQ_ERR_INVALID_MODEL, "qparams: %u scales but %u zero points",
                        val->q.n, cnt);
        }
        for (uint32_t i = 0; i < cnt; i++) {
            if (i && (st = expect(ps, ',')))
                return st;
            if (pass == 0) {
                double x = 0;
                if ((st = read_f64(ps, &x, true)))
                    return st;
                val->q.scale[i] = (float)x;
            } else {
                int64_t z = 0;
                if ((st = read_i64(ps, &z)))
                    return st;
                val->q.zero_point[i] = (int32_t)z;
            }
        }
        if ((st = expect(ps, ']')))
            return st;
    }
    return expect(ps, '>');
}

/* A defining occurrence: %name[:type[shape][<q ...>]] or _. Errors if defined twice. */
static oq_status read_def(parser *ps, uint32_t *out)
{
    oq_status st = read_ref(ps, out);
    if (st || *out == OQ_NONE)
        return st;
    uint32_t v = *out;
    if (is_defined(ps, v))
        return perr(ps, OQ_ERR_INVALID_MODEL, "value '%s' is defined twice", ps->g->values[v].name);
    if (!mark(ps, v, 1))
        return nomem(ps);
    oq_value *val = &ps->g->values[v];
    if (*ps->p != ':')
        return OQ_OK;
    ps->p++;
    if ((st = read_type(ps, &val->dtype, &val->shape)))
        return st;
    if (*ps->p == '<') {
        ps->p++;
        return read_q(ps, &ps->g->values[v]);
    }
    return OQ_OK;
}

static oq_status push_id(parser *ps, uint32_t **arr, uint32_t *n, uint32_t *cap, uint32_t v)
{
    if (*n == *cap) {
        uint32_t nc = *cap ? *cap * 2 : 8;
        uint32_t *na = oq_arena_alloc(&ps->g->arena, nc * sizeof *na);
        if (!na)
            return nomem(ps);
        if (*n)
            memcpy(na, *arr, *n * sizeof *na);
        *arr = na;
        *cap = nc;
    }
    (*arr)[(*n)++] = v;
    return OQ_OK;
}

static oq_status read_attr(parser *ps, uint32_t node)
{
    const char *name;
    oq_status st = read_ident(ps, &name);
    if (st || (st = expect(ps, '=')))
        return st;
    skip_ws(ps);
    oq_graph *g = ps->g;
    oq_attr *a;
    if (*ps->p == '"') {
        const char *s;
        if ((st = read_quoted(ps, &s)))
            return st;
        if (!(a = ir_attr_add(g, node, name, OQ_ATTR_STRING)))
            return nomem(ps);
        a->s = s;
        return OQ_OK;
    }
    bool fl = false, strs = false;
    if (eat_word(ps, "tensor")) {
        if ((st = expect(ps, '(')))
            return st;
        oq_tensor_const *t = oq_arena_alloc(&g->arena, sizeof *t);
        if (!t)
            return nomem(ps);
        if (*ps->p != ')') {
            if ((st = read_type(ps, &t->dtype, &t->shape)))
                return st;
            skip_ws(ps);
            if (*ps->p == '{') {
                int64_t n = oq_shape_numel(&t->shape);
                if (n < 0)
                    return perr(ps, OQ_ERR_SHAPE, "tensor data needs a known shape");
                if ((st = read_data(ps, t->dtype, n, &t->data)))
                    return st;
            }
        }
        if ((st = expect(ps, ')')))
            return st;
        if (!(a = ir_attr_add(g, node, name, OQ_ATTR_TENSOR)))
            return nomem(ps);
        a->t = t;
        return OQ_OK;
    }
    if (eat_word(ps, "floats"))
        fl = true;
    else if (eat_word(ps, "strings"))
        strs = true;
    skip_ws(ps);
    if (*ps->p == '[') {
        ps->p++;
        uint32_t cnt = 0;
        skip_ws(ps);
        if (*ps->p != ']') {
            cnt = 1;
            bool inq = false;
            for (const char *q = ps->p; *q && *q != '\n' && (inq || *q != ']'); q++) {
                if (*q == '"' && (q == ps->p || q[-1] != '\\'))
                    inq = !inq;
                cnt += !inq && *q == ',';
            }
        }
        if (!(a = ir_attr_add(g, node, name, fl ? OQ_ATTR_FLOATS : strs ? OQ_ATTR_STRINGS
                                                                       : OQ_ATTR_INTS)))
            return nomem(ps);
        a->n = cnt;
        void *arr = oq_arena_alloc(&g->arena, (cnt ? cnt : 1) * 8);
        if (!arr)
            return nomem(ps);
        if (fl)
            a->floats = arr;
        else if (strs)
            a->strings = arr;
        else
            a->ints = arr;
        for (uint32_t i = 0; i < cnt; i++) {
            if (i && (st = expect(ps, ',')))
                return st;
            double x = 0;
            if (fl && !(st = read_f64(ps, &x, true)))
                a->floats[i] = (float)x;
            else if (strs)
                st = read_quoted(ps, &a->strings[i]);
            else if (!fl)
                st = read_i64(ps, &a->ints[i]);
            if (st)
                return st;
        }
        return expect(ps, ']');
    }
    if (fl || strs)
        return perr(ps, OQ_ERR_INVALID_MODEL, "expected '[' after list type");
    char tok[64];
    const char *save = ps->p;
    if ((st = read_numtok(ps, tok, sizeof tok)))
        return st;
    ps->p = save;
    if (tok_is_float(tok)) {
        double x = 0;
        if ((st = read_f64(ps, &x, true)))
            return st;
        if (!(a = ir_attr_add(g, node, name, OQ_ATTR_FLOAT)))
            return nomem(ps);
        a->f = (float)x;
    } else {
        int64_t v = 0;
        if ((st = read_i64(ps, &v)))
            return st;
        if (!(a = ir_attr_add(g, node, name, OQ_ATTR_INT)))
            return nomem(ps);
        a->i = v;
    }
    return OQ_OK;
}

#define MAXIO 1024             /* inputs/outputs per node line */

static oq_status read_node(parser *ps)
{
    uint32_t out[MAXIO], in[MAXIO];
    uint32_t nout = 0, nin = 0;
    oq_status st;
    do {
        if (nout == MAXIO)
            return perr(ps, OQ_ERR_INVALID_MODEL, "too many outputs");
        if ((st = read_def(ps, &out[nout++])))
            return st;
    } while (eat(ps, ','));
    if ((st = expect(ps, '=')))
        return st;
    skip_ws(ps);
    const char *ob = ps->p;
    while ((*ps->p >= 'a' && *ps->p <= 'z') || (*ps->p >= 'A' && *ps->p <= 'Z') ||
           (*ps->p >= '0' && *ps->p <= '9') || *ps->p == '_')
        ps->p++;
    char opname[64];
    size_t on = (size_t)(ps->p - ob);
    if (!on || on >= sizeof opname)
        return perr(ps, OQ_ERR_INVALID_MODEL, "expected an op name near '%.20s'", ob);
    memcpy(opname, ob, on);
    opname[on] = 0;
    oq_op op = oq_op_lookup(opname);
    if (op == OQ_OP_UNKNOWN)
        return perr(ps, OQ_ERR_UNSUPPORTED_OP, "unknown op '%s'", opname);
    const char *domain = "";
    if (*ps->p == '@') {
        ps->p++;
        if ((st = read_ident(ps, &domain)))
            return st;
    }
    if ((st = expect(ps, '(')))
        return st;
    if (!eat(ps, ')')) {
        do {
            if (nin == MAXIO)
                return perr(ps, OQ_ERR_INVALID_MODEL, "too many inputs");
            if ((st = read_ref(ps, &in[nin++])))
                return st;
        } while (eat(ps, ','));
        if ((st = expect(ps, ')')))
            return st;
    }
    uint32_t n = ir_add_node(ps->g, op, "", in, nin, out, nout);
    if (n == OQ_NONE)
        return nomem(ps);
    ps->g->nodes[n].domain = domain;
    if (eat(ps, '{') && !eat(ps, '}')) {
        do {
            if ((st = read_attr(ps, n)))
                return st;
        } while (eat(ps, ','));
        if ((st = expect(ps, '}')))
            return st;
    }
    if (eat_word(ps, "float")) {
        const char *why;
        if ((st = expect(ps, '=')) || (st = read_ident(ps, &why)))
            return st;
        int w = OQ_FLOAT_EXCLUDED;
        while (ir_float_why_name(w) && strcmp(ir_float_why_name(w), why) != 0)
            w++;
        if (!ir_float_why_name(w))
            return perr(ps, OQ_ERR_INVALID_MODEL, "unknown float reason '%s'", why);
        ps->g->nodes[n].float_why = (uint8_t)w;
    }
    if (eat(ps, '#')) {
        const char *name;
        if ((st = read_ident(ps, &name)))
            return st;
        ps->g->nodes[n].name = name;
    } else {
        char buf[96];
        snprintf(buf, sizeof buf, "%s_%u", opname, n);
        const char *name = oq_arena_strdup(&ps->g->arena, buf);
        if (!name)
            return nomem(ps);
        ps->g->nodes[n].name = name;
    }
    return OQ_OK;
}

static oq_status read_line(parser *ps)
{
    oq_status st;
    oq_graph *g = ps->g;
    if (eat_word(ps, "graph")) {
        const char *s;
        if ((st = read_quoted(ps, &s)))
            return st;
        g->name = s;
        for (;;) {
            if (eat_word(ps, "opset")) {
                if ((st = expect(ps, '=')) || (st = read_i64(ps, &g->opset)))
                    return st;
            } else if (eat_word(ps, "ir_version")) {
                if ((st = expect(ps, '=')) || (st = read_i64(ps, &g->ir_version)))
                    return st;
            } else if (eat_word(ps, "producer")) {
                if ((st = expect(ps, '=')) || (st = read_quoted(ps, &g->producer_name)))
                    return st;
            } else {
                return OQ_OK;
            }
        }
    }
    if (eat_word(ps, "input")) {
        uint32_t v;
        if ((st = read_def(ps, &v)))
            return st;
        if (v == OQ_NONE)
            return perr(ps, OQ_ERR_INVALID_MODEL, "graph input cannot be '_'");
        g->values[v].is_input = true;
        return push_id(ps, &g->inputs, &g->ninput, &ps->cin, v);
    }
    if (eat_word(ps, "output")) {
        uint32_t v;
        if ((st = read_ref(ps, &v)))
            return st;
        if (v == OQ_NONE)
            return perr(ps, OQ_ERR_INVALID_MODEL, "graph output cannot be '_'");
        g->values[v].is_output = true;
        return push_id(ps, &g->outputs, &g->noutput, &ps->cout, v);
    }
    if (eat_word(ps, "const")) {
        uint32_t v;
        if ((st = read_def(ps, &v)))
            return st;
        if (v == OQ_NONE)
            return perr(ps, OQ_ERR_INVALID_MODEL, "constant cannot be '_'");
        oq_value *val = &g->values[v];
        int64_t n = oq_shape_numel(&val->shape);
        if (n < 0)
            return perr(ps, OQ_ERR_SHAPE, "constant '%s' needs a known shape", val->name);
        if (eat(ps, '=')) {
            void *data;
            if ((st = read_data(ps, val->dtype, n, &data)))
                return st;
            g->values[v].data = data;
        } else {
            if (n > (int64_t)1 << 22)   /* summaries stand for test weights, not models */
                return perr(ps, OQ_ERR_SHAPE, "summarized constant '%s' has more than 2^22 "
                            "elements", val->name);
            if (!ir_set_const(g, v, NULL))
                return nomem(ps);
            while (*ps->p && *ps->p != '\n')   /* the printed summary */
                ps->p++;
        }
        return OQ_OK;
    }
    return read_node(ps);
}

oq_status ir_parse(const char *text, oq_graph **out, oq_diag *d)
{
    *out = NULL;
    oq_graph *g = oq_graph_new(NULL, NULL);
    if (!g)
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
    oq_status st = ir_parse_into(g, text, d);
    if (st) {
        oq_graph_free(g);
        return st;
    }
    *out = g;
    return OQ_OK;
}

oq_status ir_parse_into(oq_graph *g, const char *text, oq_diag *d)
{
    parser ps = {.p = text, .line = 1, .g = g, .d = d};
    oq_status st;
    while (*ps.p) {
        skip_ws(&ps);
        if (*ps.p == '#' || *ps.p == '\n' || *ps.p == 0) {
            while (*ps.p && *ps.p != '\n')
                ps.p++;
        } else {
            if ((st = read_line(&ps)))
                return st;
            skip_ws(&ps);
            if (*ps.p && *ps.p != '\n')
                return perr(&ps, OQ_ERR_INVALID_MODEL, "unexpected text '%.20s'", ps.p);
        }
        if (*ps.p == '\n') {
            ps.p++;
            ps.line++;
        }
    }
    for (uint32_t v = 0; v < g->nvalue; v++)
        if (!is_defined(&ps, v))
            return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_INVALID_MODEL,
                             "value '%s' is used but never defined", g->values[v].name);
    return OQ_OK;
}
