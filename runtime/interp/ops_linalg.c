/* fp32 Conv, ConvTranspose, Gemm and MatMul over the runtime/f32 kernels. Constant weights are
 * packed once at oq_interp_new (Conv/ConvTranspose weights, Gemm B, 2-D MatMul B); weights
 * computed at run time are packed into the node's buffer before each call. Conv parameters come
 * from oq_kparams_conv (ir_conv_geom and the inferred shapes).
 * MatMul: numpy semantics (1-D operands promoted, batch dims broadcast); when B is one matrix
 * the whole batch of A is a single GEMM. float only (other dtypes: DTYPE error). */
#include <math.h>

#include "kparams.h"
#include "ops.h"
#include "runtime/f32/f32.h"

typedef struct lin_state {
    oq_ws_hdr h;               /* must be first */
    oq_op op;
    oq_f32_conv_params p;      /* Conv / ConvTranspose */
    void *packed;              /* packed weights (conv) or packed B (Gemm/MatMul), or NULL */
    bool wconst;               /* packed once at prep */
    size_t M, N, K;            /* Gemm: product dims */
    bool ta, tb;               /* Gemm transA/transB */
    float *cvec;               /* Gemm: beta * C broadcast vector (max(M, N) floats) */
} lin_state;

/* Frees a lin_state and its packed weights. */
void oq_free_linalg_state(void *state)
{
    lin_state *s = state;
    if (!s)
        return;
    free(s->packed);
    free(s->cvec);
    free(s);
}

/* DTYPE error unless value v (or an absent input) is float. */
static oq_status need_float(const oq_graph *g, uint32_t node, uint32_t v, oq_diag *d)
{
    if (v != OQ_NONE && g->values[v].dtype != OQ_DT_FLOAT)
        return oq_errorf(d, g, node, OQ_ERR_DTYPE, "value '%s' is %s; only float is supported",
                         g->values[v].name, oq_dtype_name(g->values[v].dtype));
    return OQ_OK;
}

/* A zeroed lin_state for node (NULL after reporting NOMEM). */
static lin_state *new_state(const oq_graph *g, uint32_t node, oq_diag *d)
{
    lin_state *s = calloc(1, sizeof *s);
    if (!s)
        oq_errorf(d, g, node, OQ_ERR_NOMEM, "out of memory");
    else
        s->op = g->nodes[node].op;
    return s;
}

/* Conv/ConvTranspose: f32 params from ir_conv_geom and shapes; packs constant weights. */
oq_status oq_prep_conv(const oq_graph *g, uint32_t node, void **state, oq_diag *d)
{
    const oq_node *nd = &g->nodes[node];
    bool tr = nd->op == OQ_OP_ConvTranspose;
    const oq_value *w = &g->values[nd->in[1]];
    oq_status st;
    for (uint32_t i = 0; i < nd->nin; i++)
        if ((st = need_float(g, node, nd->in[i], d)))
            return st;
    oq_f32_conv_params cp;
    if ((st = oq_kparams_conv(g, node, &cp, d)))
        return st;
    lin_state *s = new_state(g, node, d);
    if (!s)
        return OQ_ERR_NOMEM;
    oq_f32_conv_params *p = &s->p;
    *p = cp;
    size_t psz = tr ? oq_f32_conv_transpose_pack_size(p) : oq_f32_conv_pack_size(p);
    s->packed = malloc(psz ? psz : 1);
    if (!s->packed) {
        free(s);
        return oq_errorf(d, g, node, OQ_ERR_NOMEM, "out of memory packing weights");
    }
    if (w->data) {
        if (tr)
            oq_f32_conv_transpose_pack(p, w->data, s->packed);
        else
            oq_f32_conv_pack(p, w->data, s->packed);
        s->wconst = true;
    }
    s->h.size = tr ? oq_f32_conv_transpose_workspace_size(p) : oq_f32_conv_workspace_size(p);
    *state = s;
    return OQ_OK;
}

/* Packs run-time weights if needed, then runs the f32 conv / conv-transpose kernel. */
oq_status oq_exec_conv(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                       oq_rt_tensor *out, void *state, oq_diag *d)
{
    lin_state *s = state;
    bool tr = s->op == OQ_OP_ConvTranspose;
    if (!s->wconst) {
        if (tr)
            oq_f32_conv_transpose_pack(&s->p, in[1].data, s->packed);
        else
            oq_f32_conv_pack(&s->p, in[1].data, s->packed);
    }
    const float *bias = g->nodes[node].nin > 2 ? in[2].data : NULL;
    if (tr)
        oq_f32_conv_transpose(&s->p, in[0].data, s->packed, bias, out[0].data, s->h.ws);
    else
        oq_f32_conv(&s->p, in[0].data, s->packed, bias, out[0].data, s->h.ws);
    return OQ_OK;
}

/* Gemm: product dims, constant B packed once, workspace size. */
oq_status oq_prep_gemm(const oq_graph *g, uint32_t node, void **state, oq_diag *d)
{
    const oq_node *nd = &g->nodes[node];
    const oq_value *a = &g->values[nd->in[0]], *b = &g->values[nd->in[1]];
    oq_status st;
    for (uint32_t i = 0; i < nd->nin; i++)
        if ((st = need_float(g, node, nd->in[i], d)))
            return st;
    if (a->shape.rank != 2 || b->shape.rank != 2)
        return oq_errorf(d, g, node, OQ_ERR_SHAPE, "A and B must be 2-D");
    lin_state *s = new_state(g, node, d);
    if (!s)
        return OQ_ERR_NOMEM;
    s->ta = ir_attr_i(nd, OQ_A_Gemm_transA) != 0;
    s->tb = ir_attr_i(nd, OQ_A_Gemm_transB) != 0;
    s->M = (size_t)a->shape.dim[s->ta ? 1 : 0];
    s->K = (size_t)a->shape.dim[s->ta ? 0 : 1];
    s->N = (size_t)b->shape.dim[s->tb ? 0 : 1];
    if ((size_t)b->shape.dim[s->tb ? 1 : 0] != s->K) {
        free(s);
        return oq_errorf(d, g, node, OQ_ERR_SHAPE, "inner dims of A and B differ");
    }
    s->cvec = malloc((s->M > s->N ? s->M : s->N) * sizeof(float) + 4);
    if (!s->cvec) {
        free(s);
        return oq_errorf(d, g, node, OQ_ERR_NOMEM, "out of memory");
    }
    if (b->data) {
        oq_f32_isa isa = oq_f32_isa_best();
        s->packed = malloc(oq_f32_pack_b_size(isa, s->K, s->N) + 1);
        if (!s->packed) {
            oq_free_linalg_state(s);
            return oq_errorf(d, g, node, OQ_ERR_NOMEM, "out of memory packing B");
        }
        oq_f32_pack_b(isa, s->tb, s->K, s->N, b->data, (size_t)b->shape.dim[1], s->packed);
        s->wconst = true;
    }
    s->h.size = oq_f32_gemm_workspace_size(s->M, s->N, s->K);
    *state = s;
    return OQ_OK;
}

/* Y = alpha op(A) op(B) + beta C (C as column/row bias or a full matrix). */
oq_status oq_exec_gemm(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                       oq_rt_tensor *out, void *state, oq_diag *d)
{
    lin_state *s = state;
    const oq_node *nd = &g->nodes[node];
    size_t M = s->M, N = s->N;
    oq_f32_epilogue ep = oq_f32_epilogue_default();
    ep.alpha = ir_attr_f(nd, OQ_A_Gemm_alpha);
    float beta = ir_attr_f(nd, OQ_A_Gemm_beta);
    float *y = out[0].data;
    if (nd->nin > 2 && in[2].data && beta != 0.0f) {
        const oq_rt_tensor *c = &in[2];
        const float *cp = c->data;
        int64_t cn = oq_rt_numel(c);
        int r = c->shape.rank;
        if (cn == 1) {
            for (size_t j = 0; j < N; j++)
                s->cvec[j] = beta * cp[0];
            ep.bias_n = s->cvec;
        } else if ((size_t)cn == N && (r == 1 || c->shape.dim[0] == 1)) {
            for (size_t j = 0; j < N; j++)
                s->cvec[j] = beta * cp[j];
            ep.bias_n = s->cvec;
        } else if (r == 2 && (size_t)c->shape.dim[0] == M && c->shape.dim[1] == 1) {
            for (size_t i = 0; i < M; i++)
                s->cvec[i] = beta * cp[i];
            ep.bias_m = s->cvec;
        } else if (r == 2 && (size_t)c->shape.dim[0] == M && (size_t)c->shape.dim[1] == N) {
            memcpy(y, cp, M * N * sizeof(float));
            ep.beta = beta;
        } else {
            return oq_errorf(d, g, node, OQ_ERR_SHAPE, "C does not broadcast to [%zu, %zu]", M,
                             N);
        }
    }
    const oq_rt_tensor *a = &in[0], *b = &in[1];
    oq_f32_operand oa = {a->data, (size_t)a->shape.dim[1], s->ta, NULL};
    oq_f32_operand ob = {b->data, (size_t)b->shape.dim[1], s->tb, s->wconst ? s->packed : NULL};
    oq_f32_gemm_ex(OQ_F32_AUTO, M, N, s->K, &oa, &ob, &ep, y, N, s->h.ws);
    return OQ_OK;
}

/* MatMul: packs a constant 2-D B once. */
oq_status oq_prep_matmul(const oq_graph *g, uint32_t node, void **state, oq_diag *d)
{
    const oq_node *nd = &g->nodes[node];
    const oq_value *a = &g->values[nd->in[0]], *b = &g->values[nd->in[1]];
    oq_status st;
    for (uint32_t i = 0; i < nd->nin; i++)
        if ((st = need_float(g, node, nd->in[i], d)))
            return st;
    if (a->shape.rank < 1 || b->shape.rank < 1)
        return oq_errorf(d, g, node, OQ_ERR_SHAPE, "MatMul of a scalar");
    lin_state *s = new_state(g, node, d);
    if (!s)
        return OQ_ERR_NOMEM;
    s->K = (size_t)b->shape.dim[b->shape.rank >= 2 ? b->shape.rank - 2 : 0];
    s->N = b->shape.rank >= 2 ? (size_t)b->shape.dim[b->shape.rank - 1] : 1;
    s->M = a->shape.rank >= 2 ? (size_t)oq_shape_numel(&a->shape) / s->K : 1;
    if (b->data && b->shape.rank == 2) {
        oq_f32_isa isa = oq_f32_isa_best();
        s->packed = malloc(oq_f32_pack_b_size(isa, s->K, s->N) + 1);
        if (!s->packed) {
            free(s);
            return oq_errorf(d, g, node, OQ_ERR_NOMEM, "out of memory packing B");
        }
        oq_f32_pack_b(isa, false, s->K, s->N, b->data, s->N, s->packed);
        s->wconst = true;
    }
    s->h.size = oq_f32_gemm_workspace_size(s->M, s->N, s->K);
    *state = s;
    return OQ_OK;
}

/* Batched MatMul with numpy broadcasting of the batch dims. */
oq_status oq_exec_matmul(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                         oq_rt_tensor *out, void *state, oq_diag *d)
{
    lin_state *s = state;
    const oq_rt_tensor *a = &in[0], *b = &in[1];
    oq_matmul_plan mp;
    oq_status st = oq_matmul_plan_of(g, node, &a->shape, &b->shape, &mp, d);
    if (st)
        return st;
    int64_t M = mp.M, K = mp.K, N = mp.N;
    oq_f32_epilogue ep = oq_f32_epilogue_default();
    float *y = out[0].data;
    int64_t nb = oq_shape_numel(&mp.bb), nob = oq_shape_numel(&mp.ob);
    if (nb == 1) {             /* one B for every batch of A: one GEMM over all rows */
        oq_f32_operand oa = {a->data, (size_t)K, false, NULL};
        oq_f32_operand obp = {b->data, (size_t)N, false, s->wconst ? s->packed : NULL};
        int64_t rows = oq_rt_numel(a) / (K ? K : 1);
        if (K == 0)
            rows = nob * M;
        oq_f32_gemm_ex(OQ_F32_AUTO, (size_t)rows, (size_t)N, (size_t)K, &oa, &obp, &ep, y,
                       (size_t)N, s->h.ws);
        return OQ_OK;
    }
    int64_t idx[OQ_MAX_RANK] = {0}, oa_off = 0, ob_off = 0;
    for (int64_t t = 0; t < nob; t++) {
        oq_f32_operand oa = {(const float *)a->data + oa_off * M * K, (size_t)K, false, NULL};
        oq_f32_operand obp = {(const float *)b->data + ob_off * K * N, (size_t)N, false, NULL};
        oq_f32_gemm_ex(OQ_F32_AUTO, (size_t)M, (size_t)N, (size_t)K, &oa, &obp, &ep,
                       y + t * M * N, (size_t)N, s->h.ws);
        oq_matmul_next(&mp, idx, &oa_off, &ob_off);
    }
    return OQ_OK;
}
