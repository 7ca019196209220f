/* ONNX writer, model assembly and output: checks the graph's values, reserves node names,
 * emits the nodes (onnx_emit.c), adds initializers (used values with constant data and no live
 * producer), graph inputs/outputs and value_info, opset imports and ir_version, then packs the
 * ModelProto into memory or streams it into an atomically written file (ir/file.c). */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "onnx_int.h"

/* ------------------------------------------------------------------ model */

/* Counts live uses; checks every used value is defined (input, constant or live output). */
static bool check_values(wctx *w)
{
    const oq_graph *g = w->g;
    for (uint32_t i = 0; i < g->nnode; i++) {
        const oq_node *n = &g->nodes[i];
        if (n->dead)
            continue;
        const char *dom = oq_op_info(n->op)->domain;
        if (n->op != OQ_OP_UNKNOWN && dom[0] && w->o && w->o->format == OQ_FORMAT_QOP)
            return oq_errorf(w->d, g, i, OQ_ERR_UNSUPPORTED_OP,
                             "QOperator output holds only standard-domain ops (this is a "
                             "%s op)", dom) == OQ_OK;
        if (n->op == OQ_OP_UNKNOWN && w->o && w->o->format == OQ_FORMAT_QOP)
            return oq_errorf(w->d, g, i, OQ_ERR_UNSUPPORTED_OP,
                             "QOperator output holds only standard-domain ops") == OQ_OK;
        for (uint32_t k = 0; k < n->nin; k++) {
            uint32_t v = n->in[k];
            if (v == OQ_NONE)
                continue;
            if (v >= g->nvalue)
                return oq_errorf(w->d, g, i, OQ_ERR_INTERNAL, "input %u: bad value id", k) == OQ_OK;
            w->nuse[v]++;
            const oq_value *val = &g->values[v];
            bool live_prod = val->producer != OQ_NONE && val->producer < g->nnode &&
                             !g->nodes[val->producer].dead;
            if (!live_prod && !val->data && !val->is_input)
                return oq_errorf(w->d, g, i, OQ_ERR_INVALID_MODEL,
                                 "input '%s' has no producer, data or graph input", val->name) ==
                       OQ_OK;
        }
    }
    for (uint32_t i = 0; i < g->noutput; i++) {
        uint32_t v = g->outputs[i];
        const oq_value *val = &g->values[v];
        bool live_prod = val->producer != OQ_NONE && val->producer < g->nnode &&
                         !g->nodes[val->producer].dead;
        if (!live_prod && !val->data && !val->is_input)
            return oq_errorf(w->d, g, OQ_NONE, OQ_ERR_INVALID_MODEL,
                             "graph output '%s' is not computed", val->name) == OQ_OK;
        if (val->dtype == OQ_DT_UNDEFINED)
            return oq_errorf(w->d, g, OQ_NONE, OQ_ERR_DTYPE, "graph output '%s' has no type",
                             val->name) == OQ_OK;
        w->nuse[v]++;
    }
    for (uint32_t i = 0; i < g->ninput; i++)
        if (g->values[g->inputs[i]].dtype == OQ_DT_UNDEFINED)
            return oq_errorf(w->d, g, OQ_NONE, OQ_ERR_DTYPE, "graph input '%s' has no type",
                             g->values[g->inputs[i]].name) == OQ_OK;
    return true;
}

static bool fail_nomem(wctx *w)
{
    oq_errorf(w->d, w->g, OQ_NONE, OQ_ERR_NOMEM, "out of memory building the ONNX model");
    return false;
}

/* Builds the ModelProto in w->a; NULL on error (d set). */
static Onnx__ModelProto *build_model(wctx *w)
{
    const oq_graph *g = w->g;
    w->nuse = ow_alloc(w, (g->nvalue + 1) * sizeof *w->nuse);
    w->vname = ow_alloc(w, (g->nvalue + 1) * sizeof *w->vname);
    w->used = ow_alloc(w, (g->nvalue + 1) * sizeof *w->used);
    if (w->nomem)
        return fail_nomem(w), NULL;
    if (!check_values(w) || !ow_choose_opset(w))
        return NULL;

    /* reserve the IR's node names (first occurrence wins), then emit in topological order */
    w->first_name = ow_alloc(w, (g->nnode + 1) * sizeof *w->first_name);
    for (uint32_t i = 0; i < g->nnode && !w->nomem; i++)
        if (!g->nodes[i].dead && g->nodes[i].name && g->nodes[i].name[0])
            w->first_name[i] = ow_reserve_name(w, g->nodes[i].name);
    if (w->nomem)
        return fail_nomem(w), NULL;
    for (uint32_t i = 0; i < g->nnode; i++)
        if (!g->nodes[i].dead && !ow_emit_node(w, i))
            return w->nomem ? (fail_nomem(w), NULL) : NULL;

    /* initializers: used values with data and no live producer (graph order) */
    for (uint32_t v = 0; v < g->nvalue; v++) {
        const oq_value *val = &g->values[v];
        bool live_prod = val->producer != OQ_NONE && val->producer < g->nnode &&
                         !g->nodes[val->producer].dead;
        if (!(w->used[v] || val->is_output) || live_prod || !val->data || val->is_input)
            continue;
        if (!ow_add_init(w, ow_vname(w, v), val->dtype, &val->shape, val->data, OQ_NONE))
            return w->nomem ? (fail_nomem(w), NULL) : NULL;
    }

    Onnx__GraphProto *gp = ow_alloc(w, sizeof *gp);
    Onnx__ValueInfoProto **ins = ow_alloc(w, (g->ninput + 1) * sizeof *ins);
    Onnx__ValueInfoProto **outs = ow_alloc(w, (g->noutput + 1) * sizeof *outs);
    Onnx__ValueInfoProto **vis = ow_alloc(w, (g->nvalue + 1) * sizeof *vis);
    if (w->nomem)
        return fail_nomem(w), NULL;
    onnx__graph_proto__init(gp);
    gp->name = ow_strdup(w, g->name && g->name[0] ? g->name : "onnxq");
    for (uint32_t i = 0; i < g->ninput; i++)
        if (!(ins[i] = ow_value_info(w, g->inputs[i])))
            return fail_nomem(w), NULL;
    for (uint32_t i = 0; i < g->noutput; i++)
        if (!(outs[i] = ow_value_info(w, g->outputs[i])))
            return fail_nomem(w), NULL;
    size_t nvi = 0;
    if (!(w->o && w->o->no_value_info))
        for (uint32_t i = 0; i < g->nnode; i++) {
            const oq_node *n = &g->nodes[i];
            if (n->dead)
                continue;
            for (uint32_t k = 0; k < n->nout; k++) {
                uint32_t v = n->out[k];
                if (v == OQ_NONE || g->values[v].is_output ||
                    g->values[v].dtype == OQ_DT_UNDEFINED)
                    continue;
                if (!(vis[nvi++] = ow_value_info(w, v)))
                    return fail_nomem(w), NULL;
            }
        }
    gp->n_input = g->ninput;
    gp->input = ins;
    gp->n_output = g->noutput;
    gp->output = outs;
    gp->n_value_info = nvi;
    gp->value_info = vis;
    gp->n_node = w->nnode;
    gp->node = w->nodes;
    gp->n_initializer = w->ninit;
    gp->initializer = w->inits;

    /* opset imports: the default domain, then every other domain unknown nodes use (v1) */
    Onnx__OperatorSetIdProto **ops = ow_alloc(w, (g->nnode + 2) * sizeof *ops);
    Onnx__ModelProto *m = ow_alloc(w, sizeof *m);
    if (w->nomem)
        return fail_nomem(w), NULL;
    size_t nops = 0;
    Onnx__OperatorSetIdProto *def = ow_alloc(w, sizeof *def);
    if (!def)
        return fail_nomem(w), NULL;
    onnx__operator_set_id_proto__init(def);
    def->domain = "";
    def->has_version = 1;
    def->version = w->opset;
    ops[nops++] = def;
    /* then the domains of ops.def's other-domain ops (version: ops.def column opset), then
     * those of unknown nodes (v1) */
    for (int pass = 0; pass < 2; pass++)
        for (uint32_t i = 0; i < g->nnode; i++) {
            const oq_node *n = &g->nodes[i];
            if (n->dead || (pass == 0) == (n->op == OQ_OP_UNKNOWN))
                continue;
            const char *dom = pass == 0 ? oq_op_info(n->op)->domain : n->domain;
            int64_t ver = pass == 0 ? oq_op_info(n->op)->since : 1;
            if (!dom || !dom[0] || strcmp(dom, "ai.onnx") == 0)
                continue;
            size_t k = 0;
            while (k < nops && strcmp(ops[k]->domain, dom) != 0)
                k++;
            if (k < nops) {
                if (ops[k]->version < ver)
                    ops[k]->version = ver;
                continue;
            }
            Onnx__OperatorSetIdProto *op = ow_alloc(w, sizeof *op);
            if (!op)
                return fail_nomem(w), NULL;
            onnx__operator_set_id_proto__init(op);
            op->domain = (char *)dom;
            op->has_version = 1;
            op->version = ver;
            ops[nops++] = op;
        }
    onnx__model_proto__init(m);
    m->has_ir_version = 1;
    m->ir_version = ow_ir_version(w->opset);
    if (g->ir_version > m->ir_version && g->ir_version <= 10)
        m->ir_version = g->ir_version;
    m->producer_name = ow_strdup(w, w->o && w->o->producer_name ? w->o->producer_name : "onnxq");
    m->producer_version = OQ_VERSION;
    m->n_opset_import = nops;
    m->opset_import = ops;
    m->graph = gp;
    if (w->nomem)
        return fail_nomem(w), NULL;
    return m;
}

static void wctx_init(wctx *w, const oq_graph *g, const oq_write_opts *o, oq_diag *d)
{
    memset(w, 0, sizeof *w);
    w->g = g;
    w->o = o;
    w->d = d ? d : &w->local;
    oq_arena_init(&w->a, g->arena.alloc, g->arena.alloc_ctx);   /* the graph's allocator */
}

int64_t oq_onnx_write_opset(const oq_graph *g, const oq_write_opts *o, oq_diag *d)
{
    wctx w;
    wctx_init(&w, g, o, d);
    int64_t r = ow_choose_opset(&w) ? w.opset : 0;
    oq_arena_free(&w.a);
    return r;
}

/* ------------------------------------------------------------------ output */

/* Packed size, refusing protobuf's 2 GiB limit. */
static bool packed_size(wctx *w, const Onnx__ModelProto *m, size_t *n)
{
    *n = onnx__model_proto__get_packed_size(m);
    if (*n > (size_t)INT32_MAX)
        return oq_errorf(w->d, w->g, OQ_NONE, OQ_ERR_UNSUPPORTED_ATTR,
                         "model is %zu bytes, over protobuf's 2 GiB limit (external data is not "
                         "written)", *n) == OQ_OK;
    return true;
}

oq_status oq_write_onnx_mem(const oq_graph *g, const oq_write_opts *o, void **buf, size_t *len,
                            oq_diag *d)
{
    wctx w;
    wctx_init(&w, g, o, d);
    d = w.d;
    *buf = NULL;
    *len = 0;
    oq_status st = OQ_OK;
    Onnx__ModelProto *m = build_model(&w);
    size_t n;
    if (!m || !packed_size(&w, m, &n)) {
        st = d->status ? d->status : OQ_ERR_INTERNAL;
        goto done;
    }
    uint8_t *p = malloc(n ? n : 1);
    if (!p) {
        st = oq_errorf(d, g, OQ_NONE, OQ_ERR_NOMEM, "out of memory packing %zu bytes", n);
        goto done;
    }
    onnx__model_proto__pack(m, p);
    *buf = p;
    *len = n;
done:
    oq_arena_free(&w.a);
    return st;
}

typedef struct filebuf {       /* ProtobufCBuffer that streams into a FILE */
    ProtobufCBuffer base;
    FILE *f;
    bool err;                  /* a write failed */
} filebuf;

static void filebuf_append(ProtobufCBuffer *b, size_t len, const uint8_t *data)
{
    filebuf *fb = (filebuf *)b;
    if (!fb->err && len && fwrite(data, 1, len, fb->f) != len)
        fb->err = true;
}

typedef struct packjob {       /* what pack_to_file streams */
    const Onnx__ModelProto *m;
    size_t n;                  /* expected packed size */
} packjob;

/* oq_file_writer: streams the packed model (no whole-model buffer). */
static bool pack_to_file(void *ctx, FILE *f, oq_diag *d)
{
    (void)d;
    const packjob *pj = ctx;
    filebuf fb = {{filebuf_append}, f, false};
    size_t wrote = onnx__model_proto__pack_to_buffer(pj->m, &fb.base);
    return !fb.err && wrote == pj->n;
}

oq_status oq_write_onnx(const oq_graph *g, const char *path, const oq_write_opts *o, oq_diag *d)
{
    const char *protect[2] = {o && o->input_path ? o->input_path : NULL, g->path};
    if (!path || !path[0])
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_USAGE, "no output path given");
    wctx w;
    wctx_init(&w, g, o, d);
    d = w.d;
    oq_status st = OQ_OK;
    Onnx__ModelProto *m = build_model(&w);
    packjob pj = {m, 0};
    if (!m || !packed_size(&w, m, &pj.n))
        st = d->status ? d->status : OQ_ERR_INTERNAL;
    else
        st = oq_write_file_atomic(path, protect, 2, pack_to_file, &pj, d);
    oq_arena_free(&w.a);
    return st;
}
