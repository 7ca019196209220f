/* lib/dynamic.c: models whose graph inputs have symbolic dims beyond the batch (a text line's
 * width, a sequence length, an image size) that --input-shape leaves open. Such a model is kept
 * twice: the symbolic graph, whose float passes leave every shape computation that depends on
 * those dims in place, and the graph fixed to the first calibration sample's shapes (analyses,
 * bias correction, the quality check and the C backend need static shapes). Calibration runs
 * each sample on the symbolic graph fixed to that sample's own shapes (one instance per distinct
 * shape, made again when the shape changes), into one observer state keyed by value; the
 * fixed graph reads the same states by value name. Both graphs are quantized with the same
 * options and float layers; the QDQ writer writes the symbolic one, so ONNX Runtime runs the
 * quantized model at any extent of those dims. A symbolic dim 0 is the batch: calibrated as 1,
 * kept symbolic in the written model. */
#include <stdlib.h>
#include <string.h>

#include "analysis/analysis.h"
#include "internal.h"

bool lib_dyn_dims(const oq_graph *g)
{
    for (uint32_t i = 0; i < g->ninput; i++) {
        const oq_value *v = &g->values[g->inputs[i]];
        if (v->data)
            continue;
        for (int k = 1; k < v->shape.rank; k++)
            if (v->shape.dim[k] < 0)
                return true;
    }
    return false;
}

typedef struct first_ctx {
    oq_input_shape *shapes;
} first_ctx;

static oq_status record_first(void *ctx, const oq_graph *g, const oq_rt_tensor *in, oq_diag *d)
{
    first_ctx *f = ctx;
    (void)d;
    for (uint32_t i = 0; i < g->ninput; i++) {
        f->shapes[i].name = g->values[g->inputs[i]].name;
        f->shapes[i].shape = in[i].shape;
    }
    return OQ_OK;
}

oq_status lib_dyn_first_shapes(onnxq_session *s, const oq_graph *g, oq_input_shape *shapes)
{
    first_ctx f = {shapes};
    memset(shapes, 0, g->ninput * sizeof *shapes);
    oq_status st = oq_for_each_sample(g, &s->calib, 1, NULL, NULL, record_first, &f, &s->d);
    if (st == OQ_OK && !shapes[0].name)
        st = oq_errorf(&s->d, g, OQ_NONE, OQ_ERR_DATA, "no calibration samples");
    return st;
}

/* g with its graph inputs fixed to the shapes of in, shapes inferred again and static; NULL
 * with the error in d. The value ids are g's. */
static oq_graph *instance(const oq_graph *g, const oq_rt_tensor *in, oq_diag *d)
{
    oq_graph *c = oq_graph_clone(g);
    if (!c) {
        oq_errorf(d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
        return NULL;
    }
    for (uint32_t i = 0; i < c->ninput; i++)
        if (!c->values[c->inputs[i]].data)
            c->values[c->inputs[i]].shape = in[i].shape;
    if (ir_infer(c, d) != OQ_OK || ir_require_static(c, d) != OQ_OK) {
        oq_graph_free(c);
        return NULL;
    }
    return c;
}

static bool same_shapes(const oq_graph *g, const oq_graph *inst, const oq_rt_tensor *in)
{
    for (uint32_t i = 0; i < g->ninput; i++) {
        const oq_shape *a = &inst->values[inst->inputs[i]].shape, *b = &in[i].shape;
        if (inst->values[inst->inputs[i]].data)
            continue;
        if (a->rank != b->rank || memcmp(a->dim, b->dim, (size_t)a->rank * sizeof *a->dim))
            return false;
    }
    return true;
}

#define OQ_DYN_GROUPS 16    /* distinct sample shapes calibrated group by group, at most */

typedef struct cal_ctx {
    oq_calib *c;
    oq_graph *inst;            /* the symbolic graph at the current group's shapes */
    uint32_t ninst;            /* instances made */
    const oq_graph *want;      /* grouped pass: feed only samples of this instance's shapes */
    oq_graph *groups[OQ_DYN_GROUPS]; /* shape scan: one instance per distinct shape */
    uint32_t ngroups;
    bool many;                 /* more distinct shapes than OQ_DYN_GROUPS */
} cal_ctx;

static oq_status scan(void *ctx, const oq_graph *g, const oq_rt_tensor *in, oq_diag *d)
{
    cal_ctx *k = ctx;
    for (uint32_t i = 0; i < k->ngroups; i++)
        if (same_shapes(g, k->groups[i], in))
            return OQ_OK;
    if (k->ngroups == OQ_DYN_GROUPS) {
        k->many = true;
        return OQ_OK;
    }
    if (!(k->groups[k->ngroups] = instance(g, in, d)))
        return d->status ? d->status : OQ_ERR_SHAPE;
    k->ngroups++;
    return OQ_OK;
}

static oq_status feed(void *ctx, const oq_graph *g, const oq_rt_tensor *in, oq_diag *d)
{
    cal_ctx *k = ctx;
    if (k->want)
        return same_shapes(g, k->want, in) ? oq_calib_feed(k->c, k->want, in, d) : OQ_OK;
    if (!k->inst || !same_shapes(g, k->inst, in)) {
        oq_calib_done(k->c);
        oq_graph_free(k->inst);
        if (!(k->inst = instance(g, in, d)))
            return d->status ? d->status : OQ_ERR_SHAPE;
        k->ninst++;
    }
    return oq_calib_feed(k->c, k->inst, in, d);
}

/* Up to OQ_DYN_GROUPS distinct shapes: one pass per shape (each instance and its interpreter
 * made once; the moving average then sees the samples grouped by shape, in file order within
 * a group); more: one pass in file order, an instance per change of shape. */
oq_status lib_dyn_calibrate(onnxq_session *s, const oq_graph *gsym, oq_calib *c)
{
    cal_ctx k = {.c = c};
    uint32_t lim = s->opt.calib_limit;
    oq_calib_data all = s->calib;      /* every sample fits the symbolic graph, or is an error */
    all.skip_misfit = false;
    oq_status st = oq_for_each_sample(gsym, &all, lim, NULL, NULL, scan, &k, &s->d);
    if (st == OQ_OK && !k.many && k.ngroups > 1) {
        for (uint32_t i = 0; i < k.ngroups && st == OQ_OK; i++) {
            k.want = k.groups[i];
            st = oq_for_each_sample(gsym, &all, lim, NULL, NULL, feed, &k, &s->d);
            oq_calib_done(c);
        }
    } else if (st == OQ_OK) {
        st = oq_for_each_sample(gsym, &all, lim, s->opt.progress, s->opt.progress_ctx, feed,
                                &k, &s->d);
    }
    oq_calib_done(c);
    oq_graph_free(k.inst);
    for (uint32_t i = 0; i < k.ngroups; i++)
        oq_graph_free(k.groups[i]);
    if (st == OQ_OK && (k.ngroups > 1 || k.many))
        lib_info(s, "calibrated at %s%u input shapes (each sample at its own)",
                 k.many ? "more than " : "", k.many ? OQ_DYN_GROUPS : k.ngroups);
    return st;
}

void lib_dyn_transplant(const oq_graph *from, oq_graph *to)
{
    for (uint32_t v = 0; v < to->nvalue; v++) {
        oq_value *t = &to->values[v];
        if (!t->data || t->dtype != OQ_DT_FLOAT)
            continue;
        uint32_t w = ir_find_value(from, t->name);
        if (w == OQ_NONE)
            continue;
        const oq_value *f = &from->values[w];
        size_t n = ir_value_nbytes(to, v);
        if (f->data && f->dtype == t->dtype && f->shape.rank == t->shape.rank &&
            ir_value_nbytes(from, w) == n &&
            !memcmp(f->shape.dim, t->shape.dim, (size_t)t->shape.rank * sizeof *t->shape.dim) &&
            memcmp(f->data, t->data, n))
            ir_set_const(to, v, f->data);   /* NULL on no memory: t keeps its old data */
    }
}
