/* The IR verifier (QBE's ssacheck), run after every pass in test builds: ids in range, SSA
 * (each node output names its producer exactly once), topological order, arity from ops.def,
 * inputs defined (graph input, constant or an earlier node), cheap dtype/shape agreement,
 * qparams and constant data sizes, attributes against ir/attrs.def and the node's shapes, and
 * use lists when they have been filled. Allocates nothing. */
#include <string.h>

#include "ir.h"

/* Name of v for messages. */
static const char *nm(const oq_graph *g, uint32_t v) { return g->values[v].name; }

static bool shape_ok(const oq_shape *s)
{
    if (s->rank < -1 || s->rank > OQ_MAX_RANK)
        return false;
    for (int i = 0; i < s->rank; i++)
        if (s->dim[i] < -1)
            return false;
    return true;
}

/* Two shapes that cannot be the same tensor's (both ranks known and differ, or a known dim). */
static bool shapes_clash(const oq_shape *a, const oq_shape *b)
{
    if (a->rank < 0 || b->rank < 0)
        return false;
    if (a->rank != b->rank)
        return true;
    for (int i = 0; i < a->rank; i++)
        if (a->dim[i] >= 0 && b->dim[i] >= 0 && a->dim[i] != b->dim[i])
            return true;
    return false;
}

static oq_status check_value(const oq_graph *g, uint32_t v, oq_diag *d)
{
    const oq_value *val = &g->values[v];
    if (!shape_ok(&val->shape))
        return oq_errorf(d, g, OQ_NONE, OQ_ERR_SHAPE, "value '%s' has a malformed shape (rank %d)",
                         nm(g, v), val->shape.rank);
    if (val->producer != OQ_NONE) {
        if (val->producer >= g->nnode)
            return oq_errorf(d, g, OQ_NONE, OQ_ERR_INTERNAL, "value '%s' has producer %u of %u",
                             nm(g, v), val->producer, g->nnode);
        const oq_node *p = &g->nodes[val->producer];
        if (val->producer_out >= p->nout || p->out[val->producer_out] != v)
            return oq_errorf(d, g, val->producer, OQ_ERR_INTERNAL,
                             "value '%s' claims to be output %u of this node, which it is not",
                             nm(g, v), val->producer_out);
        if (val->is_input)
            return oq_errorf(d, g, val->producer, OQ_ERR_INVALID_MODEL,
                             "graph input '%s' is also produced by this node", nm(g, v));
    }
    if (val->data) {
        int64_t n = oq_shape_numel(&val->shape);
        if (n < 0)
            return oq_errorf(d, g, OQ_NONE, OQ_ERR_SHAPE, "constant '%s' has an unknown shape",
                             nm(g, v));
        if (n > 0 && !ir_value_nbytes(g, v))
            return oq_errorf(d, g, OQ_NONE, OQ_ERR_DTYPE, "constant '%s' has type %s", nm(g, v),
                             oq_dtype_name(val->dtype));
    }
    if (val->q.n) {
        if (!val->q.scale || !val->q.zero_point)
            return oq_errorf(d, g, OQ_NONE, OQ_ERR_INTERNAL, "value '%s' has qparams without data",
                             nm(g, v));
        if (val->q.n > 1) {
            if (val->q.axis < 0 || (val->shape.rank >= 0 && val->q.axis >= val->shape.rank))
                return oq_errorf(d, g, OQ_NONE, OQ_ERR_SHAPE,
                                 "value '%s' has per-axis qparams on axis %d of rank %d",
                                 nm(g, v), (int)val->q.axis, val->shape.rank);
            if (val->shape.rank >= 0 && val->shape.dim[val->q.axis] >= 0 &&
                val->shape.dim[val->q.axis] != (int64_t)val->q.n)
                return oq_errorf(d, g, OQ_NONE, OQ_ERR_SHAPE,
                                 "value '%s' has %u qparams for dim %d of size %lld", nm(g, v),
                                 val->q.n, (int)val->q.axis,
                                 (long long)val->shape.dim[val->q.axis]);
        }
        for (uint32_t i = 0; i < val->q.n; i++)
            if (!(val->q.scale[i] > 0))
                return oq_errorf(d, g, OQ_NONE, OQ_ERR_DATA, "value '%s' has scale[%u] = %g",
                                 nm(g, v), i, (double)val->q.scale[i]);
    }
    return OQ_OK;
}

/* Where value v comes from is valid for a use by node n (or a graph output when n == NONE). */
static oq_status check_def(const oq_graph *g, uint32_t n, uint32_t v, oq_diag *d)
{
    const oq_value *val = &g->values[v];
    if (val->producer == OQ_NONE) {
        if (!val->is_input && !val->data)
            return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL,
                             "value '%s' is not defined (no producer, not an input or constant)",
                             nm(g, v));
        return OQ_OK;
    }
    if (g->nodes[val->producer].dead)
        return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL, "value '%s' comes from a deleted node",
                         nm(g, v));
    if (n != OQ_NONE && val->producer >= n)
        return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL,
                         "input '%s' is produced by node %u at or after this node %u (order)",
                         nm(g, v), val->producer, n);
    return OQ_OK;
}

/* dtype/shape relations that hold for every instance of the op and are cheap to check. */
static oq_status check_types(const oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    const oq_opinfo *oi = oq_op_info(nd->op);
    if (!nd->nin || !nd->nout || nd->in[0] == OQ_NONE || nd->out[0] == OQ_NONE)
        return OQ_OK;
    const oq_value *x = &g->values[nd->in[0]], *y = &g->values[nd->out[0]];
    bool kx = x->dtype != OQ_DT_UNDEFINED, ky = y->dtype != OQ_DT_UNDEFINED;
    if ((oi->flags & (OQ_OPF_UNARY | OQ_OPF_MOVE)) && nd->op != OQ_OP_Gather && kx && ky &&
        x->dtype != y->dtype)
        return oq_errorf(d, g, n, OQ_ERR_DTYPE, "output '%s' is %s but input '%s' is %s",
                         y->name, oq_dtype_name(y->dtype), x->name, oq_dtype_name(x->dtype));
    if (nd->op == OQ_OP_Gather && kx && ky && x->dtype != y->dtype)
        return oq_errorf(d, g, n, OQ_ERR_DTYPE, "output '%s' is %s but data '%s' is %s", y->name,
                         oq_dtype_name(y->dtype), x->name, oq_dtype_name(x->dtype));
    if ((oi->flags & OQ_OPF_UNARY) && shapes_clash(&x->shape, &y->shape))
        return oq_errorf(d, g, n, OQ_ERR_SHAPE, "elementwise output '%s' differs in shape from '%s'",
                         y->name, x->name);
    if ((oi->flags & OQ_OPF_BINARY) && nd->op != OQ_OP_Pow && nd->nin == 2 &&
        nd->in[1] != OQ_NONE) {
        const oq_value *b = &g->values[nd->in[1]];
        if (kx && b->dtype != OQ_DT_UNDEFINED && b->dtype != x->dtype)
            return oq_errorf(d, g, n, OQ_ERR_DTYPE, "inputs '%s' (%s) and '%s' (%s) differ",
                             x->name, oq_dtype_name(x->dtype), b->name, oq_dtype_name(b->dtype));
        oq_dtype want = nd->op == OQ_OP_Equal ? OQ_DT_BOOL : x->dtype;
        if (kx && ky && y->dtype != want)
            return oq_errorf(d, g, n, OQ_ERR_DTYPE, "output '%s' is %s; expected %s", y->name,
                             oq_dtype_name(y->dtype), oq_dtype_name(want));
    }
    if (nd->op == OQ_OP_Shape && ky && y->dtype != OQ_DT_INT64)
        return oq_errorf(d, g, n, OQ_ERR_DTYPE, "Shape output '%s' is %s", y->name,
                         oq_dtype_name(y->dtype));
    return OQ_OK;
}

/* An attribute of type a->type serves where ir/attrs.def says want: the same type, an INT for
 * a FLOAT (read as its value), or an empty list for any list type. */
static bool attr_type_fits(const oq_attr *a, oq_attr_type want)
{
    if (a->type == want || (want == OQ_ATTR_FLOAT && a->type == OQ_ATTR_INT))
        return true;
    bool list = a->type == OQ_ATTR_INTS || a->type == OQ_ATTR_FLOATS || a->type == OQ_ATTR_STRINGS;
    bool want_list = want == OQ_ATTR_INTS || want == OQ_ATTR_FLOATS || want == OQ_ATTR_STRINGS;
    return list && want_list && a->n == 0;
}

/* Each attribute of node n that ir/attrs.def knows for its op has the table's type, and every
 * attribute the table marks required is there; attributes the table does not know are kept. */
static oq_status check_attr_types(const oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    const char *op = oq_op_info(nd->op)->name;
    for (uint32_t i = 0; i < nd->nattr; i++) {
        const oq_attr *a = &nd->attr[i];
        const oq_attrinfo *r = a->name ? oq_attr_find(nd->op, a->name) : NULL;
        if (r && !attr_type_fits(a, r->type))
            return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL, "attribute '%s' is %s; %s takes %s",
                             a->name, oq_attr_type_name(a->type), op, oq_attr_type_name(r->type));
    }
    for (int id = 0; id < OQ_A_COUNT; id++) {
        const oq_attrinfo *r = oq_attr_info(id);
        if (r->op == (int)nd->op && r->def == OQ_ADEF_REQUIRED && !ir_attr_get(nd, id))
            return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL, "attribute '%s' is missing", r->name);
    }
    return OQ_OK;
}

/* The list attributes of a convolution or pool against spatial rank nsp: entry counts and
 * ranges. */
static oq_status check_window_lists(const oq_graph *g, uint32_t n, int nsp, oq_diag *d)
{
    static const struct {
        oq_attr_id id;
        int per_dim;               /* entries per spatial dim */
        int64_t min;               /* smallest valid entry */
    } lists[] = {
        {OQ_A_Conv_kernel_shape, 1, 1}, {OQ_A_Conv_strides, 1, 1}, {OQ_A_Conv_dilations, 1, 1},
        {OQ_A_Conv_pads, 2, 0}, {OQ_A_ConvTranspose_output_padding, 1, 0},
    };
    const oq_node *nd = &g->nodes[n];
    for (size_t k = 0; k < sizeof lists / sizeof lists[0]; k++) {
        const int64_t *a;
        int na = ir_attr_is(nd, lists[k].id, &a);
        const char *name = oq_attr_info(lists[k].id)->name;
        if (na < 0)
            continue;
        if (na != lists[k].per_dim * nsp)
            return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL,
                             "attribute '%s' has %d entries; %d spatial dims need %d", name, na,
                             nsp, lists[k].per_dim * nsp);
        for (int i = 0; i < na; i++)
            if (a[i] < lists[k].min)
                return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL,
                                 "attribute '%s' has %lld at index %d; expected >= %lld", name,
                                 (long long)a[i], i, (long long)lists[k].min);
    }
    const int64_t *os;
    int nos = ir_attr_is(nd, OQ_A_ConvTranspose_output_shape, &os);
    if (nos >= 0 && nos != nsp && nos != nsp + 2)
        return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL,
                         "attribute 'output_shape' has %d entries for %d spatial dims", nos, nsp);
    return OQ_OK;
}

/* A convolution's kernel_shape and group against its input and weight shapes, where known:
 * kernel_shape equals the weight's spatial dims, group >= 1 divides the input channels and
 * the weight's channel dims match (Conv: W[1] * group = C, group | W[0]; ConvTranspose:
 * W[0] = C). */
static oq_status check_conv_shapes(const oq_graph *g, uint32_t n, int nsp, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    uint32_t wi = nd->op == OQ_OP_QLinearConv ? 3 : 1;
    const oq_value *x = &g->values[nd->in[0]];
    const oq_value *w = nd->nin > wi && nd->in[wi] != OQ_NONE ? &g->values[nd->in[wi]] : NULL;
    int64_t grp = ir_attr_i(nd, OQ_A_Conv_group);
    if (grp < 1)
        return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL, "attribute 'group' is %lld; expected >= 1",
                         (long long)grp);
    if (!w || w->shape.rank != nsp + 2)
        return OQ_OK;          /* weight rank unknown or wrong: inference reports it */
    const int64_t *ks;
    if (ir_attr_is(nd, OQ_A_Conv_kernel_shape, &ks) == nsp)
        for (int i = 0; i < nsp; i++)
            if (w->shape.dim[2 + i] >= 0 && ks[i] != w->shape.dim[2 + i])
                return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL,
                                 "attribute 'kernel_shape' has %lld in spatial dim %d but weight "
                                 "'%s' has %lld", (long long)ks[i], i, w->name,
                                 (long long)w->shape.dim[2 + i]);
    int64_t c = x->shape.rank == nsp + 2 ? x->shape.dim[1] : -1;
    int64_t w0 = w->shape.dim[0], w1 = w->shape.dim[1];
    if (c >= 0 && c % grp)
        return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL,
                         "attribute 'group' = %lld does not divide the %lld channels of input '%s'",
                         (long long)grp, (long long)c, x->name);
    if (nd->op == OQ_OP_ConvTranspose) {
        if (c >= 0 && w0 >= 0 && w0 != c)
            return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL,
                             "weight '%s' has %lld input channels; input '%s' has %lld", w->name,
                             (long long)w0, x->name, (long long)c);
        return OQ_OK;
    }
    if (w0 >= 0 && w0 % grp)
        return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL,
                         "attribute 'group' = %lld does not divide the %lld output channels of "
                         "weight '%s'", (long long)grp, (long long)w0, w->name);
    if (c >= 0 && w1 >= 0 && w1 * grp != c)
        return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL,
                         "input '%s' has %lld channels but weight '%s' expects %lld x group %lld",
                         x->name, (long long)c, w->name, (long long)w1, (long long)grp);
    return OQ_OK;
}

/* Attributes of node n: types and required ones from ir/attrs.def, then for convolutions and
 * pools (the ops with a kernel_shape row) their consistency with each other and the shapes. */
static oq_status check_attrs(const oq_graph *g, uint32_t n, oq_diag *d)
{
    oq_status st = check_attr_types(g, n, d);
    const oq_node *nd = &g->nodes[n];
    if (st || !oq_attr_find(nd->op, "kernel_shape") || !nd->nin || nd->in[0] == OQ_NONE)
        return st;
    const oq_value *x = &g->values[nd->in[0]];
    const int64_t *ks;
    int nk = ir_attr_is(nd, OQ_A_Conv_kernel_shape, &ks);
    int nsp = x->shape.rank >= 0 ? x->shape.rank - 2 : nk;
    if (nsp < 1)
        return OQ_OK;          /* rank unknown or too small: inference reports it */
    if ((st = check_window_lists(g, n, nsp, d)))
        return st;
    return oq_attr_find(nd->op, "group") ? check_conv_shapes(g, n, nsp, d) : OQ_OK;
}

oq_status ir_verify_attrs(const oq_graph *g, oq_diag *d)
{
    for (uint32_t n = 0; n < g->nnode; n++) {
        if (g->nodes[n].dead || g->nodes[n].op >= OQ_OP_COUNT)
            continue;
        oq_status st = check_attrs(g, n, d);
        if (st)
            return st;
    }
    return OQ_OK;
}

/* Use lists match the live nodes' inputs (only when ir_fill_uses has run). */
static oq_status check_uses(const oq_graph *g, oq_diag *d)
{
    bool filled = false;
    for (uint32_t v = 0; v < g->nvalue && !filled; v++)
        filled = g->values[v].uses != NULL;
    if (!filled)
        return OQ_OK;
    uint64_t total = 0, want = 0;
    for (uint32_t n = 0; n < g->nnode; n++) {
        const oq_node *nd = &g->nodes[n];
        if (nd->dead)
            continue;
        for (uint32_t i = 0; i < nd->nin; i++)
            want += nd->in[i] != OQ_NONE;
    }
    for (uint32_t v = 0; v < g->nvalue; v++) {
        const oq_value *val = &g->values[v];
        total += val->nuse;
        if (val->nuse && !val->uses)
            return oq_errorf(d, g, OQ_NONE, OQ_ERR_INTERNAL, "value '%s' has %u uses but no list",
                             nm(g, v), val->nuse);
        for (uint32_t k = 0; k < val->nuse; k++) {
            uint32_t u = val->uses[k];
            if (u >= g->nnode || g->nodes[u].dead)
                return oq_errorf(d, g, OQ_NONE, OQ_ERR_INTERNAL,
                                 "use list of '%s' names node %u, which is not live", nm(g, v), u);
            if (k && val->uses[k - 1] == u)
                continue;      /* repeats are adjacent (ir_fill_uses walks nodes in order) */
            const oq_node *nd = &g->nodes[u];
            uint32_t occ = 0, listed = 0;
            for (uint32_t i = 0; i < nd->nin; i++)
                occ += nd->in[i] == v;
            if (occ == 0)
                return oq_errorf(d, g, u, OQ_ERR_INTERNAL,
                                 "use list of '%s' names this node, which does not read it "
                                 "(stale uses: call ir_fill_uses)",
                                 nm(g, v));
            if (val->nuse <= 64) {
                for (uint32_t j = 0; j < val->nuse; j++)
                    listed += val->uses[j] == u;
                if (listed != occ)
                    return oq_errorf(d, g, u, OQ_ERR_INTERNAL,
                                     "use list of '%s' has this node %u times; it reads it %u "
                                     "times (stale uses: call ir_fill_uses)", nm(g, v), listed,
                                     occ);
            }
        }
    }
    if (total != want)
        return oq_errorf(d, g, OQ_NONE, OQ_ERR_INTERNAL,
                         "use lists hold %llu uses but nodes read %llu (stale: call ir_fill_uses)",
                         (unsigned long long)total, (unsigned long long)want);
    return OQ_OK;
}

oq_status ir_verify(const oq_graph *g, oq_diag *d)
{
    oq_status st;
    for (uint32_t v = 0; v < g->nvalue; v++)
        if ((st = check_value(g, v, d)))
            return st;
    for (uint32_t i = 0; i < g->ninput; i++) {
        uint32_t v = g->inputs[i];
        if (v >= g->nvalue)
            return oq_errorf(d, g, OQ_NONE, OQ_ERR_INTERNAL, "graph input %u has bad id %u", i, v);
        if (!g->values[v].is_input)
            return oq_errorf(d, g, OQ_NONE, OQ_ERR_INTERNAL,
                             "graph input '%s' is not marked is_input", nm(g, v));
        if (g->values[v].producer != OQ_NONE)
            return oq_errorf(d, g, g->values[v].producer, OQ_ERR_INVALID_MODEL,
                             "graph input '%s' is produced by this node", nm(g, v));
    }
    for (uint32_t n = 0; n < g->nnode; n++) {
        const oq_node *nd = &g->nodes[n];
        if (nd->dead)
            continue;
        if (nd->op >= OQ_OP_COUNT)
            return oq_errorf(d, g, n, OQ_ERR_UNSUPPORTED_OP, "unsupported op '%s'",
                             nd->op_type ? nd->op_type : "?");
        const oq_opinfo *oi = oq_op_info(nd->op);
        if ((int)nd->nin < oi->min_in || (int)nd->nin > oi->max_in)
            return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL, "%u inputs; %s takes %d..%d",
                             nd->nin, oi->name, oi->min_in, oi->max_in);
        if ((int)nd->nout < oi->min_out || (int)nd->nout > oi->max_out)
            return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL, "%u outputs; %s gives %d..%d",
                             nd->nout, oi->name, oi->min_out, oi->max_out);
        if (nd->nin && !nd->in)
            return oq_errorf(d, g, n, OQ_ERR_INTERNAL, "input array missing");
        for (uint32_t i = 0; i < nd->nin; i++) {
            uint32_t v = nd->in[i];
            if (v == OQ_NONE) {
                if ((int)i < oi->min_in)
                    return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL, "required input %u is absent",
                                     i);
                continue;
            }
            if (v >= g->nvalue)
                return oq_errorf(d, g, n, OQ_ERR_INTERNAL, "input %u has bad id %u", i, v);
            if ((st = check_def(g, n, v, d)))
                return st;
        }
        bool any = false;
        for (uint32_t i = 0; i < nd->nout; i++) {
            uint32_t v = nd->out[i];
            if (v == OQ_NONE)
                continue;
            any = true;
            if (v >= g->nvalue)
                return oq_errorf(d, g, n, OQ_ERR_INTERNAL, "output %u has bad id %u", i, v);
            if (g->values[v].producer != n || g->values[v].producer_out != i)
                return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL,
                                 "output '%s' has another producer (node %u): not SSA", nm(g, v),
                                 g->values[v].producer);
        }
        if (!any)
            return oq_errorf(d, g, n, OQ_ERR_INVALID_MODEL, "node has no outputs");
        if ((st = check_types(g, n, d)) || (st = check_attrs(g, n, d)))
            return st;
    }
    for (uint32_t i = 0; i < g->noutput; i++) {
        uint32_t v = g->outputs[i];
        if (v >= g->nvalue)
            return oq_errorf(d, g, OQ_NONE, OQ_ERR_INTERNAL, "graph output %u has bad id %u", i,
                             v);
        if ((st = check_def(g, OQ_NONE, v, d)))
            return st;
    }
    return check_uses(g, d);
}
