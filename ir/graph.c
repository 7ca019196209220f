/* Graph construction and mutation: the op table, values, nodes, names, use lists,
 * compaction and topological sort. All memory comes from g->arena; arrays grow by doubling
 * (the old block stays in the arena until oq_graph_free). Names are found by an open-address
 * hash table over value names (XXH3), rebuilt as it grows. */
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

#include "ir.h"

enum {                         /* the short flag names of ops.def rows */
    F_MOVE = OQ_OPF_MOVE, F_UNARY = OQ_OPF_UNARY, F_BINARY = OQ_OPF_BINARY,
    F_QUANT = OQ_OPF_QUANT, F_WEIGHTS = OQ_OPF_WEIGHTS, F_OWNQ = OQ_OPF_OWNQ,
    F_KEEPQ = OQ_OPF_KEEPQ, F_FOLD = OQ_OPF_FOLD, F_INTMOVE = OQ_OPF_INTMOVE,
    F_CHSCALE = OQ_OPF_CHSCALE, F_FUSEACT = OQ_OPF_FUSEACT, F_ANCHOR = OQ_OPF_ANCHOR,
    F_SHAPEIN = OQ_OPF_SHAPEIN,
};

static const oq_opinfo optab[] = {
#define FK_NAME(k) #k
#define FK_UNARY FK_NAME
#define FK_BINARY FK_NAME
#define FK_POOL FK_NAME
#define FK_GPOOL FK_NAME
#define FK_SOFTMAX FK_NAME
#define FK_REDUCE FK_NAME
#define FK_NONE NULL
#define ONNX(v) "", v, 0
#define ONNX_IN(v, vin) "", v, vin
#define MSFT(v) "com.microsoft", v, 0
#define ONNXQ(v) "com.onnxq", v, 0
#define OQ_OP(id, str, mini, maxi, mino, maxo, flags, csup, f32k, wax, opset) \
    {str, mini, maxi, mino, maxo, flags, OQ_##csup, f32k, OQ_##wax, opset},
#include "ops.def"
#undef OQ_OP
#undef FK_NAME
#undef FK_UNARY
#undef FK_BINARY
#undef FK_POOL
#undef FK_GPOOL
#undef FK_SOFTMAX
#undef FK_REDUCE
#undef FK_NONE
#undef ONNX
#undef ONNX_IN
#undef MSFT
#undef ONNXQ
};

static const struct {
    const char *text;          /* words for `onnxq ops`; NULL for C_NONE */
    bool f32;                  /* the emitted C has an fp32 form */
} csup_tab[] = {
#define OQ_CSUP(id, text, f32) {text, f32},
#include "csup.def"
#undef OQ_CSUP
};

const char *oq_csup_text(oq_csup c)
{
    return (unsigned)c < sizeof csup_tab / sizeof csup_tab[0] ? csup_tab[c].text : NULL;
}

bool oq_csup_f32(oq_csup c)
{
    return (unsigned)c < sizeof csup_tab / sizeof csup_tab[0] && csup_tab[c].f32;
}

const oq_opinfo *oq_op_info(oq_op op)
{
    static const oq_opinfo unknown = {"?", 0, 65535, 0, 65535, 0, OQ_C_NONE, NULL,
                                        OQ_WAX_NONE, "", 1, 0};
    if ((unsigned)op >= OQ_OP_COUNT)
        return &unknown;
    return &optab[op];
}

static int cmp_opname(const void *key, const void *elem)
{
    return strcmp(key, ((const oq_opinfo *)elem)->name);
}

oq_op oq_op_lookup(const char *name)
{
    const oq_opinfo *p = bsearch(name, optab, OQ_OP_COUNT, sizeof optab[0], cmp_opname);
    return p ? (oq_op)(p - optab) : OQ_OP_UNKNOWN;
}

/* name -> value id table, kept in the graph's arena via a side struct. */
typedef struct nametab {
    uint32_t *slot;            /* value ids, OQ_NONE = empty; cap is a power of two */
    uint32_t cap;
    uint32_t count;
} nametab;

static nametab *names_of(oq_graph *g);

typedef struct dimparam {     /* symbolic dim name of a graph input (ONNX dim_param) */
    uint32_t value;
    int dim;
    const char *name;          /* arena */
} dimparam;

typedef struct graph_impl {
    oq_graph g;                /* must be first */
    nametab names;
    uint32_t uniq;             /* counter for ir_unique_name */
    dimparam *dps;             /* symbolic dim names (few: linear search) */
    uint32_t ndp, cdp;
} graph_impl;

static nametab *names_of(oq_graph *g) { return &((graph_impl *)g)->names; }

oq_graph *oq_graph_new(oq_allocfn fn, void *ctx)
{
    oq_arena a;
    oq_arena_init(&a, fn, ctx);
    graph_impl *gi = oq_arena_alloc(&a, sizeof *gi);
    if (!gi) {
        oq_arena_free(&a);
        return NULL;
    }
    gi->g.arena = a;
    gi->g.opset = 13;
    gi->g.ir_version = 7;
    gi->g.name = "";
    return &gi->g;
}

void oq_graph_free(oq_graph *g)
{
    if (!g)
        return;
    oq_arena a = g->arena;     /* the graph itself lives in the arena */
    oq_arena_free(&a);
}

/* Grows *arr (element size sz, count n, capacity *cap) to hold one more. */
static bool grow(oq_graph *g, void **arr, uint32_t n, uint32_t *cap, size_t sz)
{
    if (n < *cap)
        return true;
    if (*cap >= UINT32_MAX / 4)
        return false;
    uint32_t nc = *cap ? *cap * 2 : 64;
    void *p = oq_arena_alloc(&g->arena, (size_t)nc * sz);
    if (!p)
        return false;
    if (n)
        memcpy(p, *arr, (size_t)n * sz);
    *arr = p;
    *cap = nc;
    return true;
}

static uint32_t name_slot(const nametab *t, const char *name)
{
    return (uint32_t)XXH3_64bits(name, strlen(name)) & (t->cap - 1);
}

static bool names_put(oq_graph *g, uint32_t v);

static bool names_rehash(oq_graph *g, uint32_t cap)
{
    nametab *t = names_of(g);
    uint32_t *slot = oq_arena_alloc(&g->arena, (size_t)cap * sizeof *slot);
    if (!slot)
        return false;
    memset(slot, 0xff, (size_t)cap * sizeof *slot);
    t->slot = slot;
    t->cap = cap;
    t->count = 0;
    for (uint32_t v = 0; v < g->nvalue; v++)
        if (g->values[v].name && g->values[v].name[0] && !names_put(g, v))
            return false;
    return true;
}

static bool names_put(oq_graph *g, uint32_t v)
{
    nametab *t = names_of(g);
    if ((t->count + 1) * 2 > t->cap)
        return names_rehash(g, t->cap ? t->cap * 2 : 256);
    uint32_t i = name_slot(t, g->values[v].name);
    while (t->slot[i] != OQ_NONE) {
        if (strcmp(g->values[t->slot[i]].name, g->values[v].name) == 0) {
            t->slot[i] = v;    /* a later value of the same name shadows */
            return true;
        }
        i = (i + 1) & (t->cap - 1);
    }
    t->slot[i] = v;
    t->count++;
    return true;
}

bool ir_has_op(const oq_graph *g, oq_op op)
{
    for (uint32_t i = 0; i < g->nnode; i++)
        if (!g->nodes[i].dead && g->nodes[i].op == op)
            return true;
    return false;
}

uint32_t ir_find_value(const oq_graph *g, const char *name)
{
    const nametab *t = &((const graph_impl *)g)->names;
    if (!t->cap || !name)
        return OQ_NONE;
    uint32_t i = name_slot(t, name);
    while (t->slot[i] != OQ_NONE) {
        if (strcmp(g->values[t->slot[i]].name, name) == 0)
            return t->slot[i];
        i = (i + 1) & (t->cap - 1);
    }
    return OQ_NONE;
}

uint32_t ir_add_value(oq_graph *g, const char *name, oq_dtype dt, const oq_shape *s)
{
    if (!grow(g, (void **)&g->values, g->nvalue, &g->cvalue, sizeof(oq_value)))
        return OQ_NONE;
    uint32_t v = g->nvalue;
    oq_value *val = &g->values[v];
    memset(val, 0, sizeof *val);
    val->name = oq_arena_strdup(&g->arena, name ? name : "");
    if (!val->name)
        return OQ_NONE;
    val->dtype = dt;
    if (s)
        val->shape = *s;
    else
        val->shape.rank = -1;
    val->producer = OQ_NONE;
    val->producer_out = 0;
    g->nvalue++;
    if (val->name[0] && !names_put(g, v))
        return OQ_NONE;
    return v;
}

const char *ir_unique_name(oq_graph *g, const char *base)
{
    graph_impl *gi = (graph_impl *)g;
    if (ir_find_value(g, base) == OQ_NONE)
        return oq_arena_strdup(&g->arena, base);
    size_t n = strlen(base) + 16;
    char *buf = oq_arena_alloc(&g->arena, n);
    if (!buf)
        return NULL;
    do
        snprintf(buf, n, "%s_%u", base, ++gi->uniq);
    while (ir_find_value(g, buf) != OQ_NONE);
    return buf;
}

static bool fill_node(oq_graph *g, oq_node *nd, oq_op op, const char *name, const uint32_t *in,
                      uint32_t nin, const uint32_t *out, uint32_t nout)
{
    memset(nd, 0, sizeof *nd);
    nd->op = op;
    nd->name = oq_arena_strdup(&g->arena, name ? name : "");
    nd->op_type = oq_op_info(op)->name;
    nd->domain = "";
    nd->in = oq_arena_alloc(&g->arena, (nin ? nin : 1) * sizeof(uint32_t));
    nd->out = oq_arena_alloc(&g->arena, (nout ? nout : 1) * sizeof(uint32_t));
    if (!nd->name || !nd->in || !nd->out)
        return false;
    if (nin)
        memcpy(nd->in, in, nin * sizeof(uint32_t));
    if (nout)
        memcpy(nd->out, out, nout * sizeof(uint32_t));
    nd->nin = nin;
    nd->nout = nout;
    return true;
}

static void set_producers(oq_graph *g, uint32_t id)
{
    oq_node *nd = &g->nodes[id];
    for (uint32_t i = 0; i < nd->nout; i++)
        if (nd->out[i] != OQ_NONE) {
            g->values[nd->out[i]].producer = id;
            g->values[nd->out[i]].producer_out = i;
        }
}

uint32_t ir_add_node(oq_graph *g, oq_op op, const char *name, const uint32_t *in, uint32_t nin,
                     const uint32_t *out, uint32_t nout)
{
    if (!grow(g, (void **)&g->nodes, g->nnode, &g->cnode, sizeof(oq_node)))
        return OQ_NONE;
    uint32_t id = g->nnode;
    if (!fill_node(g, &g->nodes[id], op, name, in, nin, out, nout))
        return OQ_NONE;
    g->nnode++;
    set_producers(g, id);
    return id;
}

uint32_t ir_insert_node(oq_graph *g, uint32_t pos, oq_op op, const char *name, const uint32_t *in,
                        uint32_t nin, const uint32_t *out, uint32_t nout)
{
    if (pos >= g->nnode)
        return ir_add_node(g, op, name, in, nin, out, nout);
    if (!grow(g, (void **)&g->nodes, g->nnode, &g->cnode, sizeof(oq_node)))
        return OQ_NONE;
    oq_node tmp;
    if (!fill_node(g, &tmp, op, name, in, nin, out, nout))
        return OQ_NONE;
    memmove(&g->nodes[pos + 1], &g->nodes[pos], (g->nnode - pos) * sizeof(oq_node));
    g->nodes[pos] = tmp;
    g->nnode++;
    for (uint32_t v = 0; v < g->nvalue; v++)
        if (g->values[v].producer != OQ_NONE && g->values[v].producer >= pos)
            g->values[v].producer++;
    set_producers(g, pos);
    return pos;
}

void ir_fill_uses(oq_graph *g)
{
    for (uint32_t v = 0; v < g->nvalue; v++)
        g->values[v].nuse = 0;
    for (uint32_t n = 0; n < g->nnode; n++) {
        const oq_node *nd = &g->nodes[n];
        if (nd->dead)
            continue;
        for (uint32_t i = 0; i < nd->nin; i++)
            if (nd->in[i] != OQ_NONE)
                g->values[nd->in[i]].nuse++;
    }
    /* one block for all use lists */
    size_t total = 0;
    for (uint32_t v = 0; v < g->nvalue; v++)
        total += g->values[v].nuse;
    uint32_t *block = oq_arena_alloc(&g->arena, (total ? total : 1) * sizeof(uint32_t));
    size_t off = 0;
    for (uint32_t v = 0; v < g->nvalue; v++) {
        g->values[v].uses = block ? block + off : NULL;
        off += g->values[v].nuse;
        g->values[v].nuse = 0;
    }
    if (!block)
        return;                /* NOMEM: use lists stay empty; callers verify */
    for (uint32_t n = 0; n < g->nnode; n++) {
        const oq_node *nd = &g->nodes[n];
        if (nd->dead)
            continue;
        for (uint32_t i = 0; i < nd->nin; i++)
            if (nd->in[i] != OQ_NONE) {
                oq_value *v = &g->values[nd->in[i]];
                v->uses[v->nuse++] = n;
            }
    }
}

void ir_replace_uses(oq_graph *g, uint32_t old, uint32_t nu)
{
    for (uint32_t n = 0; n < g->nnode; n++) {
        oq_node *nd = &g->nodes[n];
        if (nd->dead)
            continue;
        for (uint32_t i = 0; i < nd->nin; i++)
            if (nd->in[i] == old)
                nd->in[i] = nu;
    }
    for (uint32_t i = 0; i < g->noutput; i++)
        if (g->outputs[i] == old) {
            g->outputs[i] = nu;
            g->values[old].is_output = false;
            g->values[nu].is_output = true;
        }
    ir_fill_uses(g);
}

void ir_compact(oq_graph *g)
{
    uint32_t k = 0;
    for (uint32_t n = 0; n < g->nnode; n++)
        if (!g->nodes[n].dead)
            g->nodes[k++] = g->nodes[n];
    g->nnode = k;
    for (uint32_t v = 0; v < g->nvalue; v++)
        g->values[v].producer = OQ_NONE;
    for (uint32_t n = 0; n < g->nnode; n++)
        set_producers(g, n);
    ir_fill_uses(g);
}

/* Min-heap of node indices (Kahn's ready set, so ties keep file order). */
static void heap_push(uint32_t *h, uint32_t *n, uint32_t x)
{
    uint32_t i = (*n)++;
    while (i && h[(i - 1) / 2] > x) {
        h[i] = h[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h[i] = x;
}

static uint32_t heap_pop(uint32_t *h, uint32_t *n)
{
    uint32_t top = h[0], x = h[--(*n)], i = 0;
    for (;;) {
        uint32_t c = 2 * i + 1;
        if (c >= *n)
            break;
        if (c + 1 < *n && h[c + 1] < h[c])
            c++;
        if (h[c] >= x)
            break;
        h[i] = h[c];
        i = c;
    }
    if (*n)
        h[i] = x;
    return top;
}

oq_status ir_toposort(oq_graph *g, oq_diag *d)
{
    /* Kahn's algorithm, O(E log N): a node is ready when every input's producer is placed;
     * among ready nodes the earliest in file order goes first (already-sorted graphs keep
     * their order). Dead nodes are kept, in file order relative to their inputs. */
    uint32_t nn = g->nnode;
    if (nn == 0)
        return OQ_OK;
    size_t nedge = 0;
    for (uint32_t n = 0; n < nn; n++)
        nedge += g->nodes[n].nin;
    uint32_t *indeg = oq_arena_alloc(&g->arena, (nn + 1) * sizeof(uint32_t));
    uint32_t *order = oq_arena_alloc(&g->arena, (nn + 1) * sizeof(uint32_t));
    uint32_t *heap = oq_arena_alloc(&g->arena, (nn + 1) * sizeof(uint32_t));
    uint32_t *prod = oq_arena_alloc(&g->arena, (g->nvalue + 1) * sizeof(uint32_t));
    uint32_t *first = oq_arena_alloc(&g->arena, (nn + 2) * sizeof(uint32_t));
    uint32_t *succ = oq_arena_alloc(&g->arena, (nedge + 1) * sizeof(uint32_t));
    if (!indeg || !order || !heap || !prod || !first || !succ)
        return oq_errorf(d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory sorting the graph");
    for (uint32_t v = 0; v < g->nvalue; v++)
        prod[v] = OQ_NONE;
    for (uint32_t n = 0; n < nn; n++)
        for (uint32_t i = 0; i < g->nodes[n].nout; i++) {
            uint32_t v = g->nodes[n].out[i];
            if (v != OQ_NONE && v < g->nvalue)
                prod[v] = n;
        }
    /* successor lists in CSR form: first[p]..first[p+1] are the consumers of node p */
    for (uint32_t n = 0; n < nn; n++)
        for (uint32_t i = 0; i < g->nodes[n].nin; i++) {
            uint32_t v = g->nodes[n].in[i];
            if (v != OQ_NONE && v < g->nvalue && prod[v] != OQ_NONE) {
                first[prod[v] + 1]++;
                indeg[n]++;
            }
        }
    for (uint32_t n = 0; n < nn; n++)
        first[n + 1] += first[n];
    for (uint32_t n = 0; n < nn; n++)
        for (uint32_t i = 0; i < g->nodes[n].nin; i++) {
            uint32_t v = g->nodes[n].in[i];
            if (v != OQ_NONE && v < g->nvalue && prod[v] != OQ_NONE)
                succ[first[prod[v]] + (heap[prod[v]]++)] = n;  /* heap[] as fill counters */
        }
    uint32_t nh = 0, k = 0;
    for (uint32_t n = 0; n < nn; n++)
        if (indeg[n] == 0)
            order[k++] = n;    /* seed (stage in order[], heap[] is still the fill counter) */
    for (uint32_t i = 0; i < k; i++)
        heap_push(heap, &nh, order[i]);
    k = 0;
    while (nh) {
        uint32_t n = heap_pop(heap, &nh);
        order[k++] = n;
        for (uint32_t e = first[n]; e < first[n + 1]; e++)
            if (--indeg[succ[e]] == 0)
                heap_push(heap, &nh, succ[e]);
    }
    if (k < nn) {
        for (uint32_t n = 0; n < nn; n++)
            if (indeg[n])
                return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL,
                                 "graph has a cycle through this node");
    }
    oq_node *sorted = oq_arena_alloc(&g->arena, (nn + 1) * sizeof(oq_node));
    if (!sorted)
        return oq_errorf(d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory sorting the graph");
    for (uint32_t i = 0; i < nn; i++)
        sorted[i] = g->nodes[order[i]];
    memcpy(g->nodes, sorted, nn * sizeof(oq_node));
    for (uint32_t v = 0; v < g->nvalue; v++)
        g->values[v].producer = OQ_NONE;
    for (uint32_t n = 0; n < nn; n++)
        set_producers(g, n);
    return OQ_OK;
}

bool ir_set_dim_param(oq_graph *g, uint32_t v, int dim, const char *name)
{
    graph_impl *gi = (graph_impl *)g;
    for (uint32_t i = 0; i < gi->ndp; i++)
        if (gi->dps[i].value == v && gi->dps[i].dim == dim) {
            const char *nm = oq_arena_strdup(&g->arena, name);
            if (!nm)
                return false;
            gi->dps[i].name = nm;
            return true;
        }
    if (!grow(g, (void **)&gi->dps, gi->ndp, &gi->cdp, sizeof(dimparam)))
        return false;
    const char *nm = oq_arena_strdup(&g->arena, name);
    if (!nm)
        return false;
    gi->dps[gi->ndp++] = (dimparam){v, dim, nm};
    return true;
}

const char *ir_dim_param(const oq_graph *g, uint32_t v, int dim)
{
    const graph_impl *gi = (const graph_impl *)g;
    for (uint32_t i = 0; i < gi->ndp; i++)
        if (gi->dps[i].value == v && gi->dps[i].dim == dim)
            return gi->dps[i].name;
    return NULL;
}

void *ir_set_const(oq_graph *g, uint32_t v, const void *data)
{
    size_t n = ir_value_nbytes(g, v);
    void *p = oq_arena_alloc(&g->arena, n ? n : 1);
    if (!p)
        return NULL;
    if (data && n)
        memcpy(p, data, n);
    g->values[v].data = p;
    return p;
}

const oq_attr *ir_attr(const oq_node *n, const char *name)
{
    for (uint32_t i = 0; i < n->nattr; i++)
        if (strcmp(n->attr[i].name, name) == 0)
            return &n->attr[i];
    return NULL;
}

int64_t ir_attr_int(const oq_node *n, const char *name, int64_t def)
{
    const oq_attr *a = ir_attr(n, name);
    return a && a->type == OQ_ATTR_INT ? a->i : def;
}

float ir_attr_float(const oq_node *n, const char *name, float def)
{
    const oq_attr *a = ir_attr(n, name);
    if (a && a->type == OQ_ATTR_FLOAT)
        return a->f;
    if (a && a->type == OQ_ATTR_INT)
        return (float)a->i;
    return def;
}

const char *ir_attr_str(const oq_node *n, const char *name, const char *def)
{
    const oq_attr *a = ir_attr(n, name);
    return a && a->type == OQ_ATTR_STRING ? a->s : def;
}

int ir_attr_ints(const oq_node *n, const char *name, const int64_t **out)
{
    const oq_attr *a = ir_attr(n, name);
    if (!a || a->type != OQ_ATTR_INTS) {
        *out = NULL;
        return -1;
    }
    *out = a->ints;
    return (int)a->n;
}

oq_attr *ir_attr_add(oq_graph *g, uint32_t node, const char *name, oq_attr_type t)
{
    oq_node *nd = &g->nodes[node];
    oq_attr *na = oq_arena_alloc(&g->arena, (nd->nattr + 1) * sizeof(oq_attr));
    const char *nm = oq_arena_strdup(&g->arena, name);
    if (!na || !nm)
        return NULL;
    if (nd->nattr)
        memcpy(na, nd->attr, nd->nattr * sizeof(oq_attr));
    nd->attr = na;
    oq_attr *a = &na[nd->nattr++];
    a->name = nm;
    a->type = t;
    return a;
}

int64_t oq_shape_numel(const oq_shape *s)
{
    if (s->rank < 0)
        return -1;
    int64_t n = 1;
    for (int i = 0; i < s->rank; i++) {
        if (s->dim[i] < 0)
            return -1;
        if (s->dim[i] && n > INT64_MAX / s->dim[i])
            return -1;
        n *= s->dim[i];
    }
    return n;
}

bool oq_shape_known(const oq_shape *s) { return oq_shape_numel(s) >= 0; }

size_t ir_value_nbytes(const oq_graph *g, uint32_t v)
{
    const oq_value *val = &g->values[v];
    int64_t n = oq_shape_numel(&val->shape);
    size_t es = oq_dtype_size(val->dtype);
    if (n < 0 || es == 0 || (uint64_t)n > SIZE_MAX / es)
        return 0;
    return (size_t)n * es;
}
