/* The order of the float passes, as one X-list: PASS(name, "description") gives the run order,
 * the --dump-after= / --stop-after= names and the help text (QBE's -d). Calibration and
 * quantization follow in the CLI (they need data); lower_int runs after quantize for the
 * QOperator writer and the C backend. */
#include <string.h>

#include "passes.h"

#define OQ_PASSES(PASS)                                                                            \
    PASS(canonicalize, "drop Identity/Dropout, Clip(0,inf)->Relu, fold Gemm alpha/beta, "          \
                       "MatMul+Add -> Gemm")                                                       \
    PASS(constfold, "evaluate all-constant nodes (shape chains, Cast, ConstantOfShape, ...)")     \
    PASS(lnfuse, "fuse the decomposed LayerNormalization (ReduceMean, Sub, Pow, Sqrt, Div, "       \
                 "Mul, Add) into one node")                                                        \
    PASS(dce, "remove nodes whose outputs reach no graph output")                                  \
    PASS(cse, "merge equal constants and equal nodes")                                             \
    PASS(bnfold, "fold BatchNormalization into Conv/ConvTranspose/Gemm, else Mul+Add")             \
    PASS(fuse, "mark Conv/Gemm/MatMul/Add + Relu/Clip/... as fused (observe after the "           \
               "activation)")                                                                      \
    PASS(equalize, "cross-layer equalization of Conv/Gemm pairs (only with --equalize)")

static const char *const names[] = {
#define NAME(n, desc) #n,
    OQ_PASSES(NAME)
#undef NAME
    NULL,
};

static const char *const descs[] = {
#define DESC(n, desc) desc,
    OQ_PASSES(DESC)
#undef DESC
};

typedef oq_status (*pass_fn)(oq_graph *, const oq_options *, oq_diag *);
static const pass_fn fns[] = {
#define FN(n, desc) pass_##n,
    OQ_PASSES(FN)
#undef FN
};

const char *const *oq_pass_names(void) { return names; }

const char *oq_pass_description(const char *name)
{
    for (size_t i = 0; names[i]; i++)
        if (strcmp(names[i], name) == 0)
            return descs[i];
    return NULL;
}

/* Unknown dump/stop names are USAGE errors before anything runs. */
oq_status oq_run_passes(oq_graph *g, const oq_options *o, oq_diag *d)
{
    const char *chk[2] = {o ? o->dump_after : NULL, o ? o->stop_after : NULL};
    for (int k = 0; k < 2; k++)
        if (chk[k] && !oq_pass_description(chk[k]))
            return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_USAGE,
                             "unknown pass '%s' (passes: canonicalize constfold lnfuse dce cse "
                             "bnfold fuse equalize)", chk[k]);
    for (size_t i = 0; names[i]; i++) {
        oq_status st = fns[i](g, o, d);
        if (st != OQ_OK)
            return st;
        if (o && o->dump_after && strcmp(o->dump_after, names[i]) == 0 && o->dump_file)
            ir_print(g, o->dump_file, false);
        if (o && o->stop_after && strcmp(o->stop_after, names[i]) == 0)
            break;
    }
    return OQ_OK;
}
