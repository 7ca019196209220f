/* Canonicalization to the forms later passes match:
 *  - Identity, Dropout (inference) and a Cast to the type its input already has (PyTorch's
 *    QDQ export puts Cast(to=uint8) between QuantizeLinear and DequantizeLinear) disappear
 *    (their output's uses read the input);
 *  - Clip(x, 0, +inf or absent) becomes Relu; Clip(x, 0, 6) is the Relu6 form and stays;
 *  - Gemm alpha/beta fold into new weight/bias constants (alpha = beta = 1 afterwards);
 *  - the linear form: MatMul(A[M,K], const W[K,N]) + const bias[N] (and Gemm without C + bias)
 *    becomes one Gemm(A, W, bias), the node the quantizer treats like PyTorch's Linear. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "passes.h"

static const float *const_f32(const oq_graph *g, uint32_t v)
{
    if (v == OQ_NONE || !g->values[v].data || g->values[v].dtype != OQ_DT_FLOAT)
        return NULL;
    return g->values[v].data;
}

static bool set_inputs(oq_graph *g, oq_node *nd, const uint32_t *in, uint32_t nin)
{
    uint32_t *p = oq_arena_alloc(&g->arena, nin * sizeof *p);
    if (!p)
        return false;
    memcpy(p, in, nin * sizeof *p);
    nd->in = p;
    nd->nin = nin;
    return true;
}

static void set_float_attr(oq_node *nd, const char *name, float f)
{
    oq_attr *a = (oq_attr *)ir_attr(nd, name);
    if (a) {
        a->type = OQ_ATTR_FLOAT;
        a->f = f;
    }
}

/* New constant = scale * v. */
static uint32_t scaled_const(oq_graph *g, uint32_t v, float scale, const char *suffix)
{
    int64_t n = oq_shape_numel(&g->values[v].shape);
    float *buf = malloc((size_t)(n > 0 ? n : 1) * sizeof *buf);
    if (!buf)
        return OQ_NONE;
    const float *src = g->values[v].data;
    for (int64_t i = 0; i < n; i++)
        buf[i] = src[i] * scale;
    char base[256];
    snprintf(base, sizeof base, "%s_%s", g->values[v].name, suffix);
    uint32_t r = oq_add_const(g, base, OQ_DT_FLOAT, &g->values[v].shape, buf);
    free(buf);
    return r;
}

static bool drop_passthrough(oq_graph *g, uint32_t n)
{
    oq_node *nd = &g->nodes[n];
    uint32_t x = nd->in[0], y = nd->out[0];
    for (uint32_t i = 1; i < nd->nout; i++)
        if (nd->out[i] != OQ_NONE && g->values[nd->out[i]].nuse)
            return false;      /* Dropout mask in use */
    if (g->values[y].is_output || x == OQ_NONE)
        return false;
    nd->dead = true;
    ir_replace_uses(g, y, x);
    return true;
}

/* MatMul + Add(bias) -> Gemm, or Gemm(no C) + Add(bias) -> Gemm(C). */
static oq_status linear_form(oq_graph *g, uint32_t n, oq_diag *d)
{
    oq_node *mm = &g->nodes[n];
    uint32_t y = mm->out[0];
    const oq_value *a = &g->values[mm->in[0]], *w = &g->values[mm->in[1]];
    if (!const_f32(g, mm->in[1]) || w->shape.rank != 2 || a->shape.rank != 2)
        return OQ_OK;
    if (mm->op == OQ_OP_Gemm && (mm->nin > 2 && mm->in[2] != OQ_NONE))
        return OQ_OK;
    if (mm->op == OQ_OP_Gemm && ir_attr_i(mm, OQ_A_Gemm_transA))
        return OQ_OK;
    int64_t N = mm->op == OQ_OP_Gemm && ir_attr_i(mm, OQ_A_Gemm_transB) ? w->shape.dim[0]
                                                                       : w->shape.dim[1];
    if (g->values[y].nuse != 1 || g->values[y].is_output)
        return OQ_OK;
    oq_node *add = &g->nodes[g->values[y].uses[0]];
    if (add->op != OQ_OP_Add)
        return OQ_OK;
    uint32_t bias = add->in[0] == y ? add->in[1] : add->in[0];
    const oq_value *bv = &g->values[bias];
    if (!const_f32(g, bias) || oq_shape_numel(&bv->shape) != N || bv->shape.rank > 2 ||
        (bv->shape.rank == 2 && bv->shape.dim[0] != 1))
        return OQ_OK;
    uint32_t bias1 = bias;
    if (bv->shape.rank != 1) {
        oq_shape s = {.rank = 1, .dim = {N}};
        char base[256];
        snprintf(base, sizeof base, "%s_1d", bv->name);
        bias1 = oq_add_const(g, base, OQ_DT_FLOAT, &s, bv->data);
        if (bias1 == OQ_NONE)
            return oq_errorf(d, g, n, OQ_ERR_NOMEM, "out of memory");
    }
    mm = &g->nodes[n];
    uint32_t in[3] = {mm->in[0], mm->in[1], bias1};
    if (!set_inputs(g, mm, in, 3))
        return oq_errorf(d, g, n, OQ_ERR_NOMEM, "out of memory");
    mm->op = OQ_OP_Gemm;
    mm->op_type = "Gemm";
    add = &g->nodes[g->values[y].uses[0]];
    uint32_t z = add->out[0];
    mm->out[0] = z;
    add->dead = true;
    g->values[z].producer = n;
    g->values[z].producer_out = 0;
    g->values[y].producer = OQ_NONE;   /* y is left unused */
    ir_fill_uses(g);
    return OQ_OK;
}

oq_status pass_canonicalize(oq_graph *g, const oq_options *o, oq_diag *d)
{
    ir_fill_uses(g);
    for (uint32_t n = 0; n < g->nnode; n++) {
        oq_node *nd = &g->nodes[n];
        if (nd->dead)
            continue;
        switch (nd->op) {
        case OQ_OP_Identity:
        case OQ_OP_Dropout:
            drop_passthrough(g, n);
            break;
        case OQ_OP_Cast:
            if (nd->in[0] != OQ_NONE && g->values[nd->in[0]].dtype != OQ_DT_UNDEFINED &&
                g->values[nd->in[0]].dtype == g->values[nd->out[0]].dtype)
                drop_passthrough(g, n);
            break;
        case OQ_OP_Clip: {
            const float *lo = nd->nin > 1 ? const_f32(g, nd->in[1]) : NULL;
            bool no_hi = nd->nin < 3 || nd->in[2] == OQ_NONE ||
                         (const_f32(g, nd->in[2]) && isinf(*const_f32(g, nd->in[2])));
            if (lo && *lo == 0.0f && no_hi) {
                nd->op = OQ_OP_Relu;
                nd->op_type = "Relu";
                nd->nin = 1;
            }
            break;
        }
        case OQ_OP_Gemm: {
            float alpha = ir_attr_f(nd, OQ_A_Gemm_alpha), beta = ir_attr_f(nd, OQ_A_Gemm_beta);
            if (alpha != 1.0f && const_f32(g, nd->in[1])) {
                uint32_t w = scaled_const(g, nd->in[1], alpha, "alpha");
                if (w == OQ_NONE)
                    return oq_errorf(d, g, n, OQ_ERR_NOMEM, "out of memory");
                g->nodes[n].in[1] = w;
                set_float_attr(&g->nodes[n], "alpha", 1.0f);
            }
            nd = &g->nodes[n];
            if (beta != 1.0f && nd->nin > 2 && const_f32(g, nd->in[2])) {
                uint32_t c = scaled_const(g, nd->in[2], beta, "beta");
                if (c == OQ_NONE)
                    return oq_errorf(d, g, n, OQ_ERR_NOMEM, "out of memory");
                g->nodes[n].in[2] = c;
                set_float_attr(&g->nodes[n], "beta", 1.0f);
            }
            ir_fill_uses(g);
            oq_status st = linear_form(g, n, d);
            if (st != OQ_OK)
                return st;
            break;
        }
        case OQ_OP_MatMul: {
            oq_status st = linear_form(g, n, d);
            if (st != OQ_OK)
                return st;
            break;
        }
        default:
            break;
        }
    }
    return oq_pass_finish(g, o, d);
}
