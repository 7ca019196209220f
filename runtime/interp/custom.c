/* Custom operators for the interpreter: shared libraries loaded with oq_custom_load (the CLI's
 * --custom-op-lib) export  onnxq_custom_<TYPE>  and optionally  onnxq_custom_<TYPE>_shape  with
 * the C ABI of onnxq_custom.h. A node the importer kept as an unknown op (non-default domain,
 * or a type named with --custom-op) runs through the first library that exports its function.
 * The registry is process-wide, guarded by a mutex (loading while interpreters run is safe; a
 * library loaded meanwhile serves the lookups after it). Shapes: oq_custom_infer_graph gives
 * each custom node's outputs the library's shapes, or keeps the model's value_info when the
 * library has no shape function. */
#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "custom.h"
#include "ops.h"

#define MAX_LIBS 16

static void *libs[MAX_LIBS];   /* guarded by lock */
static int lib_fd[MAX_LIBS];   /* the file each library was loaded from, kept open */
static char *lib_path[MAX_LIBS];
static uint32_t nlibs;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;

/* dlopen()s path (RTLD_NOW | RTLD_LOCAL) into the registry and keeps the file it loaded open
 * (the file dlopen found, which oq_custom_note_inputs records as an input); IO error naming
 * dlerror(). */
oq_status oq_custom_load(const char *path, oq_diag *d)
{
    pthread_mutex_lock(&lock);
    oq_status st = OQ_OK;
    if (nlibs == MAX_LIBS) {
        st = oq_errorf(d, NULL, OQ_NONE, OQ_ERR_USAGE, "%s: more than %d custom-op libraries",
                       path, MAX_LIBS);
    } else {
        void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
        struct link_map *lm = NULL;
        int fd = -1;
        char *copy = strdup(path);
        if (!h) {
            const char *why = dlerror();
            st = oq_errorf(d, NULL, OQ_NONE, OQ_ERR_IO, "cannot load custom-op library: %s",
                           why ? why : path);
        } else if (!copy) {
            st = oq_errorf(d, NULL, OQ_NONE, OQ_ERR_NOMEM, "%s: out of memory", path);
        } else if (dlinfo(h, RTLD_DI_LINKMAP, &lm) != 0 || !lm || !lm->l_name ||
                   (fd = open(lm->l_name[0] ? lm->l_name : path, O_RDONLY | O_CLOEXEC)) < 0) {
            st = oq_errorf(d, NULL, OQ_NONE, OQ_ERR_IO, "%s: cannot open the loaded library",
                           path);
        }
        if (st == OQ_OK) {
            libs[nlibs] = h;
            lib_fd[nlibs] = fd;
            lib_path[nlibs++] = copy;
        } else {
            free(copy);
            if (h)
                dlclose(h);
        }
    }
    pthread_mutex_unlock(&lock);
    return st;
}

oq_status oq_custom_note_inputs(oq_diag *d)
{
    oq_status st = OQ_OK;
    pthread_mutex_lock(&lock);
    for (uint32_t i = 0; i < nlibs && st == OQ_OK; i++)
        st = oq_file_note_input(d, lib_fd[i], lib_path[i]);
    pthread_mutex_unlock(&lock);
    return st;
}

/* First symbol "onnxq_custom_<type><suffix>" among the loaded libraries, or NULL. */
static void *find(const char *type, const char *suffix)
{
    char name[256];
    if (snprintf(name, sizeof name, "onnxq_custom_%s%s", type, suffix) >= (int)sizeof name)
        return NULL;
    void *s = NULL;
    pthread_mutex_lock(&lock);
    for (uint32_t i = 0; i < nlibs && !s; i++)
        s = dlsym(libs[i], name);
    pthread_mutex_unlock(&lock);
    return s;
}

/* The compute function of custom op `type`, or NULL. */
onnxq_custom_fn oq_custom_find(const char *type)
{
    onnxq_custom_fn f;
    void *s = find(type, "");
    memcpy(&f, &s, sizeof f);  /* object -> function pointer (POSIX dlsym) */
    return s ? f : NULL;
}

/* The shape function of custom op `type`, or NULL. */
static onnxq_custom_shape_fn find_shape(const char *type)
{
    onnxq_custom_shape_fn f;
    void *s = find(type, "_shape");
    memcpy(&f, &s, sizeof f);
    return s ? f : NULL;
}

/* The node's INT/FLOAT/STRING/INTS/FLOATS attributes in ABI form (malloc; *n entries). */
onnxq_attr *oq_custom_attrs(const oq_node *nd, int32_t *n)
{
    onnxq_attr *a = calloc(nd->nattr + 1, sizeof *a);
    *n = 0;
    if (!a)
        return NULL;
    for (uint32_t i = 0; i < nd->nattr; i++) {
        const oq_attr *s = &nd->attr[i];
        onnxq_attr *t = &a[*n];
        t->name = s->name;
        switch (s->type) {
        case OQ_ATTR_INT: t->type = ONNXQ_ATTR_INT, t->i = s->i; break;
        case OQ_ATTR_FLOAT: t->type = ONNXQ_ATTR_FLOAT, t->f = s->f; break;
        case OQ_ATTR_STRING: t->type = ONNXQ_ATTR_STRING, t->s = s->s; break;
        case OQ_ATTR_INTS: t->type = ONNXQ_ATTR_INTS, t->n = s->n, t->ints = s->ints; break;
        case OQ_ATTR_FLOATS: t->type = ONNXQ_ATTR_FLOATS, t->n = s->n, t->floats = s->floats; break;
        default: continue;     /* tensors, graphs: not passed */
        }
        (*n)++;
    }
    return a;
}

bool oq_custom_is(const oq_graph *g, uint32_t node)
{
    return g->nodes[node].op == OQ_OP_UNKNOWN && !g->nodes[node].dead;
}

/* Output types of custom node n from its library's shape function (or its value_info). */
static oq_status infer_node(oq_graph *g, uint32_t n, oq_diag *d)
{
    const oq_node *nd = &g->nodes[n];
    onnxq_custom_shape_fn sf = find_shape(nd->op_type);
    if (sf) {
        onnxq_tensor in[64];
        int32_t rank[64], dt[64];
        int64_t shp[64][ONNXQ_CUSTOM_MAX_RANK];
        if (nd->nin > 64 || nd->nout > 64)
            return oq_errorf(d, g, n, OQ_ERR_UNSUPPORTED_OP, "custom op with more than 64 "
                             "inputs or outputs");
        for (uint32_t i = 0; i < nd->nin; i++) {
            const oq_value *v = nd->in[i] != OQ_NONE ? &g->values[nd->in[i]] : NULL;
            if (v && !oq_shape_known(&v->shape))
                return oq_errorf(d, g, n, OQ_ERR_SHAPE, "input '%s' of the custom op has no "
                                 "static shape", v->name);
            in[i].shape = v ? v->shape.dim : NULL;
            in[i].rank = v ? v->shape.rank : 0;
            in[i].dtype = v ? (int32_t)v->dtype : 0;
            in[i].data = v ? v->data : NULL;
        }
        int32_t na;
        onnxq_attr *at = oq_custom_attrs(nd, &na);
        if (!at)
            return oq_errorf(d, g, n, OQ_ERR_NOMEM, "out of memory");
        for (uint32_t i = 0; i < nd->nout; i++)
            rank[i] = -1, dt[i] = OQ_DT_FLOAT;
        int rc = sf(in, (int32_t)nd->nin, (int32_t)nd->nout, rank, shp, dt, at, na);
        free(at);
        if (rc != 0)
            return oq_errorf(d, g, n, OQ_ERR_SHAPE, "onnxq_custom_%s_shape failed (%d)",
                             nd->op_type, rc);
        for (uint32_t i = 0; i < nd->nout; i++) {
            if (nd->out[i] == OQ_NONE)
                continue;
            oq_value *v = &g->values[nd->out[i]];
            if (rank[i] < 0 || rank[i] > OQ_MAX_RANK || !oq_dtype_valid(dt[i]))
                return oq_errorf(d, g, n, OQ_ERR_SHAPE, "onnxq_custom_%s_shape gave output %u "
                                 "rank %d, dtype %d", nd->op_type, i, rank[i], dt[i]);
            v->dtype = (oq_dtype)dt[i];
            v->shape.rank = rank[i];
            for (int k = 0; k < rank[i]; k++)
                v->shape.dim[k] = shp[i][k];
        }
    }
    for (uint32_t i = 0; i < nd->nout; i++) {
        const oq_value *v = nd->out[i] != OQ_NONE ? &g->values[nd->out[i]] : NULL;
        if (v && (v->dtype == OQ_DT_UNDEFINED || !oq_shape_known(&v->shape)))
            return oq_errorf(d, g, n, OQ_ERR_SHAPE, "output '%s' of custom op %s has no static "
                             "type: give it a value_info in the model or export "
                             "onnxq_custom_%s_shape from --custom-op-lib", v->name,
                             nd->op_type, nd->op_type);
    }
    return OQ_OK;
}

/* See custom.h: node-by-node inference where custom nodes take their library's shapes. */
oq_status oq_custom_infer_graph(oq_graph *g, oq_diag *d)
{
    for (uint32_t n = 0; n < g->nnode; n++) {
        if (g->nodes[n].dead)
            continue;
        oq_status st = oq_custom_is(g, n) ? infer_node(g, n, d) : ir_infer_node(g, n, d);
        if (st)
            return st;
    }
    return OQ_OK;
}

typedef struct custom_state {
    onnxq_custom_fn fn;
    onnxq_attr *attr;
    int32_t nattr;
} custom_state;

static void free_custom(void *p)
{
    custom_state *s = p;
    if (s)
        free(s->attr);
    free(s);
}

/* Prepare: finds the library function, converts the attributes once. */
oq_status oq_prep_custom(const oq_graph *g, uint32_t node, void **state, oq_diag *d)
{
    const oq_node *nd = &g->nodes[node];
    custom_state *s = calloc(1, sizeof *s);
    if (!s)
        return oq_errorf(d, g, node, OQ_ERR_NOMEM, "out of memory");
    s->fn = oq_custom_find(nd->op_type);
    s->attr = oq_custom_attrs(nd, &s->nattr);
    if (!s->fn || !s->attr) {
        bool found = s->fn != NULL;
        free_custom(s);
        return found ? oq_errorf(d, g, node, OQ_ERR_NOMEM, "out of memory")
                     : oq_errorf(d, g, node, OQ_ERR_UNSUPPORTED_OP, "no onnxq_custom_%s in the "
                                 "--custom-op-lib libraries", nd->op_type);
    }
    *state = s;
    return OQ_OK;
}

/* Calls the library's function with the node's tensors. */
oq_status oq_exec_custom(const oq_graph *g, uint32_t node, const oq_rt_tensor *in,
                         oq_rt_tensor *out, void *state, oq_diag *d)
{
    const oq_node *nd = &g->nodes[node];
    const custom_state *s = state;
    onnxq_tensor ti[64], to[64];
    if (nd->nin > 64 || nd->nout > 64)
        return oq_errorf(d, g, node, OQ_ERR_UNSUPPORTED_OP, "custom op with more than 64 "
                         "inputs or outputs");
    for (uint32_t i = 0; i < nd->nin + nd->nout; i++) {
        const oq_rt_tensor *t = i < nd->nin ? &in[i] : &out[i - nd->nin];
        onnxq_tensor *u = i < nd->nin ? &ti[i] : &to[i - nd->nin];
        u->shape = t->data ? t->shape.dim : NULL;
        u->rank = t->data ? t->shape.rank : 0;
        u->dtype = t->data ? (int32_t)t->dtype : 0;
        u->data = t->data;
    }
    int rc = s->fn(ti, (int32_t)nd->nin, to, (int32_t)nd->nout, s->attr, s->nattr);
    if (rc != 0)
        return oq_errorf(d, g, node, OQ_ERR_DATA, "onnxq_custom_%s returned %d", nd->op_type, rc);
    return OQ_OK;
}

/* The impl entry of custom nodes (interp.c). */
const oq_op_impl oq_custom_impl = {oq_exec_custom, oq_prep_custom, free_custom, false};
