/* The attribute table (ir/attrs.def) and the accessors that read a node's attributes by table
 * id: the default of an absent attribute is the table's, for the node's own op. Lookup by
 * (op, name) is a bsearch over the rows, which the table keeps sorted (a unit test checks). */
#include <stdlib.h>
#include <string.h>

#include "ir.h"

#define OQ_OP_ANY OQ_ATTR_OP_ANY
#define I(v) OQ_ADEF_VALUE, (v), 0.0f, NULL
#define F(v) OQ_ADEF_VALUE, 0, (v), NULL
#define S(v) OQ_ADEF_VALUE, 0, 0.0f, (v)
#define NODEF OQ_ADEF_NONE, 0, 0.0f, NULL
#define REQ OQ_ADEF_REQUIRED, 0, 0.0f, NULL
static const oq_attrinfo attrtab[] = {
#define OQ_ATTR(op, name, type, def) {OQ_OP_##op, #name, OQ_ATTR_##type, def},
#include "attrs.def"
#undef OQ_ATTR
};
#undef OQ_OP_ANY
#undef I
#undef F
#undef S
#undef NODEF
#undef REQ

const oq_attrinfo *oq_attr_info(oq_attr_id id)
{
    return (unsigned)id < OQ_A_COUNT ? &attrtab[id] : NULL;
}

typedef struct attr_key {
    int op;
    const char *name;
} attr_key;

static int cmp_attr(const void *key, const void *elem)
{
    const attr_key *k = key;
    const oq_attrinfo *r = elem;
    if (k->op != r->op)
        return k->op < r->op ? -1 : 1;
    return strcmp(k->name, r->name);
}

const oq_attrinfo *oq_attr_find(oq_op op, const char *name)
{
    attr_key k = {(int)op, name};
    const oq_attrinfo *r = bsearch(&k, attrtab, OQ_A_COUNT, sizeof attrtab[0], cmp_attr);
    if (!r) {
        k.op = OQ_ATTR_OP_ANY;
        r = bsearch(&k, attrtab, OQ_A_COUNT, sizeof attrtab[0], cmp_attr);
    }
    return r;
}

const char *oq_attr_type_name(oq_attr_type t)
{
    static const char *const names[] = {
        [OQ_ATTR_INT] = "INT", [OQ_ATTR_FLOAT] = "FLOAT", [OQ_ATTR_STRING] = "STRING",
        [OQ_ATTR_INTS] = "INTS", [OQ_ATTR_FLOATS] = "FLOATS", [OQ_ATTR_TENSOR] = "TENSOR",
        [OQ_ATTR_STRINGS] = "STRINGS",
    };
    return (unsigned)t < sizeof names / sizeof names[0] ? names[t] : "?";
}

/* The row whose default applies to node n: id's own row when n has id's op (or id is an
 * ANY row), else the row of n's op with the same name; id's row when n's op has none. */
static const oq_attrinfo *row_for(const oq_node *n, oq_attr_id id)
{
    const oq_attrinfo *r = &attrtab[id];
    if (r->op == (int)n->op || r->op == OQ_ATTR_OP_ANY)
        return r;
    const oq_attrinfo *o = oq_attr_find(n->op, r->name);
    return o ? o : r;
}

const oq_attr *ir_attr_get(const oq_node *n, oq_attr_id id)
{
    return ir_attr(n, attrtab[id].name);
}

int64_t ir_attr_i(const oq_node *n, oq_attr_id id)
{
    const oq_attr *a = ir_attr(n, attrtab[id].name);
    return a && a->type == OQ_ATTR_INT ? a->i : row_for(n, id)->i;
}

float ir_attr_f(const oq_node *n, oq_attr_id id)
{
    const oq_attr *a = ir_attr(n, attrtab[id].name);
    if (a && a->type == OQ_ATTR_FLOAT)
        return a->f;
    if (a && a->type == OQ_ATTR_INT)
        return (float)a->i;
    return row_for(n, id)->f;
}

const char *ir_attr_s(const oq_node *n, oq_attr_id id)
{
    const oq_attr *a = ir_attr(n, attrtab[id].name);
    return a && a->type == OQ_ATTR_STRING ? a->s : row_for(n, id)->s;
}

int ir_attr_is(const oq_node *n, oq_attr_id id, const int64_t **out)
{
    return ir_attr_ints(n, attrtab[id].name, out);
}

int64_t ir_softmax_axis(const oq_node *n)
{
    /* opset < 13 Softmax/LogSoftmax (onnxq_legacy_2d, set on import) defaulted axis to 1 */
    if (!ir_attr_get(n, OQ_A_Softmax_axis) && ir_attr_i(n, OQ_A_Softmax_onnxq_legacy_2d))
        return 1;
    return ir_attr_i(n, OQ_A_Softmax_axis);
}

const char *ir_resize_str(const oq_graph *g, const oq_node *n, oq_attr_id id)
{
    /* Resize-10 (and Upsample) meant asymmetric coordinates and floor rounding; the importer
     * writes both out, so only an IR of an opset <= 10 model that is silent reaches these */
    if (g->opset <= 10 && !ir_attr_get(n, id)) {
        if (id == OQ_A_Resize_coordinate_transformation_mode)
            return "asymmetric";
        if (id == OQ_A_Resize_nearest_mode)
            return "floor";
    }
    return ir_attr_s(n, id);
}
