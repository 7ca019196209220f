/* C emitter, driver: a lowered int8 graph -> NAME.h, NAME.c (straight-line kernel calls with
 * every shape, offset and multiplier as literals), NAME_weights.c (weights packed at compile time
 * by the same runtime functions the interpreter uses), NAME_main.c, build files and a copy of
 * the runtime. Conventions of the generated code: rank-4 quantized activations are NHWC inside,
 * everything else keeps ONNX (NCHW, C order) layout; the user keeps the model's NCHW interface.
 * Three phases: classify nodes and size buffers, plan the workspace (memplan.c), write text.
 * The jobs live in c_emit_q8.c (int8 kernels), c_emit_float.c (float, data movement, custom
 * ops), c_emit_files.c (the project files), c_emit_rt.c (the runtime copy) and c_emit_util.c. */
#include "c_emit_int.h"

#include <stdlib.h>
#include <string.h>


static bool valid_ident(const char *s)
{
    if (!s || !*s || !((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
        return false;
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_'))
            return false;
    return true;
}


static uint32_t add_buf(ectx *e, size_t size, uint32_t first, uint32_t last)
{
    if (e->nbuf == e->cbufs) {
        uint32_t nc = e->cbufs ? e->cbufs * 2 : 64;
        oq_membuf *nb = realloc(e->bufs, nc * sizeof *nb);
        if (!nb)
            return OQ_NONE;
        e->bufs = nb;
        e->cbufs = nc;
    }
    e->bufs[e->nbuf] = (oq_membuf){size, first, last, 0};
    return e->nbuf++;
}

/* A debug hook call after node n (with --debug-dump). */
static void emit_hook(ectx *e, uint32_t n)
{
    const oq_node *nd = &e->g->nodes[n];
    for (uint32_t i = 0; i < nd->nout; i++) {
        uint32_t y = nd->out[i];
        if (y == OQ_NONE || e->v[y].store == ST_NONE)
            continue;
        const oq_shape *s = &val(e, y)->shape;
        cbuf_printf(&e->c, "    if (hook) {\n        static const int64_t shp[] = {");
        for (int k = 0; k < s->rank; k++)
            cbuf_printf(&e->c, "%s%lld", k ? ", " : "", (long long)s->dim[k]);
        if (s->rank == 0)
            cbuf_printf(&e->c, "1");
        cbuf_printf(&e->c, "};\n        hook(hook_ctx, \"%s\", %d, %d, shp, ", val(e, y)->name,
                    (int)val(e, y)->dtype, s->rank);
        ce_ptr(e, &e->c, y);
        cbuf_printf(&e->c, ", ");
        cbuf_hexf(&e->c, e->v[y].quant ? e->v[y].qs : 0.0f);
        cbuf_printf(&e->c, ", %d, %d);\n    }\n", e->v[y].quant ? e->v[y].qz : 0, e->v[y].nhwc);
    }
}

/* The profile's category of step n (NAME_main --profile sums the time by category). */
static const char *prof_category(const ectx *e, uint32_t n)
{
    switch (e->k[n]) {
    case K_QUANT: case K_DEQUANT: return "Q/DQ conversion";
    case K_QCONV: case K_QMATMUL: return "int8 GEMM/conv";
    case K_QDWCONV: return "int8 depthwise";
    case K_MAXPOOL: case K_AVGPOOL: case K_GAP: return "int8 pooling";
    case K_QADD: case K_RELU_Q: case K_QMUL: case K_LUT: return "int8 element-wise";
    case K_COPY: case K_QCONCAT: case K_MOVE: return "data movement";
    case K_FLOAT: return "float fallback";
    case K_CUSTOM: return "custom op";
    default: return "int8 other";
    }
}

/* With profile: the table row of step n (its name, op, output shape, category, MACs). */
static void prof_row(ectx *e, uint32_t n, double macs)
{
    const oq_node *nd = &e->g->nodes[n];
    char shape[128] = "";
    size_t k = 0;
    if (nd->nout && nd->out[0] != OQ_NONE) {
        const oq_shape *s = &val(e, nd->out[0])->shape;
        for (int i = 0; i < s->rank && k < sizeof shape - 24; i++)
            k += (size_t)snprintf(shape + k, sizeof shape - k, "%s%lld", i ? "x" : "",
                                  (long long)s->dim[i]);
    }
    cbuf_printf(&e->prof, "    {");
    ce_cstring(&e->prof, nd->name);
    cbuf_printf(&e->prof, ", \"%s\", \"%s\", \"%s\", %.0f, 0, 0},\n", nd->op_type, shape,
                prof_category(e, n), macs);
    e->nprof++;
}

/* ------------------------------------------------------------------------------ driver */

/* The ISAs a target named by an ISA carries: that ISA and every row of its architecture it
 * implies (whose features are a subset of its own), scalar included. */
static oq_isa_set isa_closure(oq_isa t)
{
    oq_isa_set s = 0;
    for (unsigned i = 0; i < OQ_ISA_COUNT; i++) {
        oq_arch a = oq_isa_arch((oq_isa)i);
        oq_features f = oq_isa_features((oq_isa)i);
        if ((a == OQ_ARCH_ANY || a == oq_isa_arch(t)) && (f & oq_isa_features(t)) == f)
            s |= OQ_ISA_BIT(i);
    }
    return s;
}

/* The rows of architecture a, scalar included (a == OQ_ARCH_ANY: every row). */
static oq_isa_set isa_arch_set(oq_arch a)
{
    oq_isa_set s = 0;
    for (unsigned i = 0; i < OQ_ISA_COUNT; i++)
        if (a == OQ_ARCH_ANY || oq_isa_arch((oq_isa)i) == a || i == OQ_ISA_SCALAR)
            s |= OQ_ISA_BIT(i);
    return s;
}

/* What --target selects (see README, Options): the ISAs whose kernels the runtime copy carries
 * (e->isas; run-time dispatch among them) and the packed GEMM layouts (e->lay, e->nlay).
 *   auto (default)   every ISA, N16K4 (read by every kernel family)
 *   native           the ISA of this machine (after ONNXQ_ISA) and those it implies
 *   x86-64, aarch64  every ISA of that architecture; x86-64 packs N16K4 and N16K4W16 and
 *                    picks one at run time (AVX2 runs W16 ~1.4x faster)
 *   an isa.def name  that ISA and those it implies, packed in the layout fastest there
 * USAGE error if unknown. */
static oq_status pick_target(ectx *e)
{
    const char *t = e->o->target && *e->o->target ? e->o->target : "auto";
    e->target = t;
    e->lay[0] = OQ_Q8_LAYOUT_N16K4, e->nlay = 1;
    oq_isa isa = oq_isa_parse(t);
    if (strcmp(t, "auto") == 0) {
        e->isas = isa_arch_set(OQ_ARCH_ANY);
    } else if (strcmp(t, "x86-64") == 0 || strcmp(t, "x86") == 0) {
        e->isas = isa_arch_set(OQ_ARCH_X86);
        e->lay[1] = OQ_Q8_LAYOUT_N16K4W16, e->nlay = 2;
    } else if (strcmp(t, "aarch64") == 0) {
        e->isas = isa_arch_set(OQ_ARCH_ARM);
    } else if (strcmp(t, "native") == 0 || isa != OQ_ISA_COUNT) {
        if (isa == OQ_ISA_COUNT)
            isa = oq_cpu_get()->best;
        e->isas = isa_closure(isa);
        e->lay[0] = oq_q8_gemm_layout(isa);
    } else {
        char names[256];
        size_t k = 0;
        for (unsigned i = 0; i < OQ_ISA_COUNT && k < sizeof names; i++)
            k += (size_t)snprintf(names + k, sizeof names - k, ", %s", oq_isa_name((oq_isa)i));
        return oq_errorf(e->d, NULL, OQ_NONE, OQ_ERR_USAGE, "unknown --target '%s' (auto, native, "
                         "x86-64, aarch64%s)", t, names);
    }
    return OQ_OK;
}

/* Storage classes of the values: constants, graph inputs and outputs (checked for a C type);
 * everything else gets workspace storage at classification. */
static oq_status init_storage(ectx *e)
{
    const oq_graph *g = e->g;
    for (uint32_t v = 0; v < g->nvalue; v++) {
        e->v[v].buf = OQ_NONE;
        e->v[v].cid = OQ_NONE;
        e->v[v].store = g->values[v].data ? ST_CONST : ST_NONE;
    }
    for (uint32_t i = 0; i < g->ninput; i++) {
        uint32_t v = g->inputs[i];
        if (!ce_ctype(val(e, v)->dtype))
            return oq_errorf(e->d, g, OQ_NONE, OQ_ERR_DTYPE, "input '%s' has dtype %s; the C "
                             "backend takes float, uint8, int8, int32, int64 or bool inputs",
                             val(e, v)->name,
                             oq_dtype_name(val(e, v)->dtype));
        e->v[v].store = ST_IN, e->v[v].io = (int)i;
    }
    for (uint32_t i = 0; i < g->noutput; i++) {
        uint32_t v = g->outputs[i];
        if (e->v[v].store == ST_IN || e->v[v].store == ST_CONST || !ce_ctype(val(e, v)->dtype))
            return oq_errorf(e->d, g, OQ_NONE, OQ_ERR_UNSUPPORTED_OP, "output '%s' must be "
                             "computed float, 8-bit, int32, int64 or bool data", val(e, v)->name);
        e->v[v].store = ST_OUT, e->v[v].io = (int)i;
    }
    return OQ_OK;
}

/* Phase 1: the kind of every node (an int8 kernel, else the float side), the qparams and the
 * layout (NHWC or not) of every output. Every node the backend refuses is listed in one error. */
static oq_status classify_all(ectx *e)
{
    const oq_graph *g = e->g;
    oq_unsup u = {0};          /* every node refused, reported together at the end */
    for (uint32_t n = 0; n < g->nnode; n++) {
        bool taken;
        oq_status st = ce_classify_q8(e, n, &taken);
        if (st == OQ_OK && !taken)
            st = ce_classify_tensor(e, n, &taken);
        if (st == OQ_OK && !taken)
            st = ce_classify_float(e, n);
        if (st != OQ_OK && oq_unsup_take(&u, g, n, e->d)) {
            e->k[n] = K_SKIP;
            continue;
        }
        if (st != OQ_OK)
            return st;
        const oq_node *nd = &g->nodes[n];
        if (e->k[n] == K_SKIP)
            continue;
        for (uint32_t i = 0; i < nd->nout; i++) {
            uint32_t y = nd->out[i];
            if (y == OQ_NONE)
                continue;
            vinfo *vy = &e->v[y];
            vy->nhwc = vy->quant && val(e, y)->shape.rank == 4 && vy->store != ST_OUT;
            if (vy->store == ST_NONE)
                vy->store = ST_WS;
        }
    }
    return oq_unsup_report(&u, g, "the C backend", e->d);
}

/* Phase 2: the activation and scratch buffers, with liveness over node positions, placed in
 * one workspace by memplan.c. */
static oq_status plan_workspace(ectx *e)
{
    const oq_graph *g = e->g;
    for (uint32_t v = 0; v < g->nvalue; v++) {
        if (e->v[v].store != ST_WS)
            continue;
        uint32_t last = g->values[v].producer;
        for (uint32_t u = 0; u < g->values[v].nuse; u++)
            if (g->values[v].uses[u] > last)
                last = g->values[v].uses[u];
        e->v[v].buf = add_buf(e, ir_value_nbytes(g, v), g->values[v].producer, last);
    }
    for (uint32_t n = 0; n < g->nnode; n++) {
        bool fl = e->k[n] == K_FLOAT || e->k[n] == K_MOVE || e->k[n] == K_CUSTOM;
        size_t sb = fl ? ce_float_scratch(e, n) : ce_q8_scratch(e, n);
        e->scratch[n] = sb ? add_buf(e, sb, n, n) : OQ_NONE;
    }
    size_t lb = 0;
    e->rep.workspace = e->nbuf ? oq_memplan(e->bufs, e->nbuf, 64, &lb) : 0;
    if (e->rep.workspace == SIZE_MAX)
        return oq_errorf(e->d, NULL, OQ_NONE, OQ_ERR_NOMEM, "out of memory planning the workspace");
    e->rep.lower_bound = lb;
    return OQ_OK;
}

/* Quantized I/O (NAME_run_q) is offered when every input feeds only a QuantizeLinear and every
 * output comes from a DequantizeLinear, all uint8. */
static bool has_quantized_io(const ectx *e)
{
    const oq_graph *g = e->g;
    bool has_q = g->ninput > 0 && g->noutput > 0;
    for (uint32_t i = 0; i < g->ninput && has_q; i++) {
        const oq_value *x = val(e, g->inputs[i]);
        has_q = x->dtype == OQ_DT_FLOAT && x->nuse == 1 &&
                e->k[x->uses[0]] == K_QUANT && val(e, g->nodes[x->uses[0]].out[0])->dtype == OQ_DT_UINT8;
    }
    for (uint32_t i = 0; i < g->noutput && has_q; i++) {
        const oq_value *x = val(e, g->outputs[i]);
        has_q = x->producer != OQ_NONE && e->k[x->producer] == K_DEQUANT &&
                val(e, g->nodes[x->producer].in[0])->dtype == OQ_DT_UINT8;
    }
    return has_q;
}

/* Phase 3: the opening of the run function (argument and workspace checks, before anything is
 * written) and one block per node (c_emit_files.c closes it). */
static oq_status emit_run(ectx *e)
{
    const oq_graph *g = e->g;
    if (e->o->debug_dump)
        cbuf_printf(&e->c, "static int run(const void *const *in, void *const *out, int quantized_io, "
                    "void *workspace, size_t workspace_size, %s_hook hook, void *hook_ctx)\n{\n",
                    e->nm);
    else
        cbuf_printf(&e->c, "static int run(const void *const *in, void *const *out, int quantized_io, "
                    "void *workspace, size_t workspace_size)\n{\n");
    cbuf_printf(&e->c, "    unsigned char *ws = (unsigned char *)workspace;\n"
                "    const uint8_t *const *qin = quantized_io ? (const uint8_t *const *)in : 0;\n"
                "    uint8_t *const *qout = quantized_io ? (uint8_t *const *)out : 0;\n");
    if (e->nlay == 2)
        cbuf_printf(&e->c, "    const oq_q8_layout lay = oq_q8_gemm_layout(oq_cpu_get()->best);\n");
    cbuf_printf(&e->c, "    (void)qin;\n    (void)qout;\n    (void)ws;\n"
                "    if (!workspace || ((uintptr_t)workspace & 15))\n        return 1;\n");
    if (e->rep.workspace)
        cbuf_printf(&e->c, "    if (workspace_size < %zuu)\n        return 3;\n", e->rep.workspace);
    else
        cbuf_printf(&e->c, "    (void)workspace_size;\n");
    for (uint32_t i = 0; i < g->ninput; i++)
        cbuf_printf(&e->c, "    if (!in[%u])\n        return 1;\n", i);
    for (uint32_t i = 0; i < g->noutput; i++)
        cbuf_printf(&e->c, "    if (!out[%u])\n        return 1;\n", i);
    if (e->o->profile)
        cbuf_printf(&e->c, "    unsigned long long pt;\n");
    ce_tensor_prechecks(e);
    for (uint32_t n = 0; n < g->nnode; n++) {
        oq_status st = OQ_OK;
        double macs = e->rep.macs;
        if (e->k[n] != K_SKIP && e->o->profile)
            cbuf_printf(&e->c, "    pt = prof_now();\n");
        switch (e->k[n]) {
        case K_SKIP: continue;
        case K_FLOAT:
        case K_MOVE:
        case K_CUSTOM: st = ce_emit_float(e, n); break;
        case K_TENSOR: st = ce_emit_tensor(e, n); break;
        default: st = ce_emit_q8(e, n); break;
        }
        e->rep.nsteps++;
        if (st != OQ_OK)
            return st;
        if (e->o->profile) {
            cbuf_printf(&e->c, "    prof_tab[%u].ns += prof_now() - pt;\n    prof_tab[%u].calls++;\n",
                        e->nprof, e->nprof);
            prof_row(e, n, e->rep.macs - macs);
        }
        if (e->o->debug_dump)
            emit_hook(e, n);
    }
    return OQ_OK;
}

oq_status oq_emit_c(const oq_graph *g, const oq_emit_opts *o, oq_emit_report *r, oq_diag *d)
{
    ectx E;
    memset(&E, 0, sizeof E);
    ectx *e = &E;
    e->g = g, e->o = o, e->d = d;
    e->nm = o->name && *o->name ? o->name : "model";
    oq_status st = OQ_OK;
    if (!valid_ident(e->nm))
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_USAGE, "--name '%s' is not a C identifier", e->nm);
    if ((st = pick_target(e)) != OQ_OK)
        return st;
    e->v = calloc(g->nvalue + 1, sizeof *e->v);
    e->k = calloc(g->nnode + 1, sizeof *e->k);
    e->scratch = malloc((g->nnode + 1) * sizeof *e->scratch);
    e->cs = calloc(g->nnode + 1, sizeof *e->cs);
    if (!e->v || !e->k || !e->scratch || !e->cs)
        st = oq_errorf(d, NULL, OQ_NONE, OQ_ERR_NOMEM, "out of memory");
    if (st == OQ_OK)
        st = init_storage(e);
    if (st == OQ_OK)
        st = classify_all(e);
    if (st == OQ_OK)
        st = plan_workspace(e);
    if (st == OQ_OK)
        st = emit_run(e);
    if (st == OQ_OK)
        st = ce_write_files(e, has_quantized_io(e));
    if (r)
        *r = e->rep;
    cbuf_free(&e->c);
    cbuf_free(&e->hdr);
    cbuf_free(&e->w);
    cbuf_free(&e->decl);
    cbuf_free(&e->cust);
    cbuf_free(&e->prof);
    free((void *)e->ctypes);
    free(e->v);
    free(e->k);
    free(e->scratch);
    free(e->cs);
    free(e->bufs);
    return st;
}
