/* Model builder and file helpers for the frontend tests (see fe_test.h). */
#include "fe_test.h"

#include <criterion/criterion.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fm {
    void **blocks;                 /* everything allocated, freed by fm_free */
    size_t nblock, cblock;
    Onnx__ModelProto *model;
    Onnx__GraphProto *graph;
};

void *fm_alloc(fm *m, size_t n)
{
    void *p = calloc(1, n ? n : 1);
    cr_assert_not_null(p);
    if (m->nblock == m->cblock) {
        m->cblock = m->cblock ? m->cblock * 2 : 64;
        m->blocks = realloc(m->blocks, m->cblock * sizeof *m->blocks);
        cr_assert_not_null(m->blocks);
    }
    m->blocks[m->nblock++] = p;
    return p;
}

char *fm_str(fm *m, const char *s)
{
    char *p = fm_alloc(m, strlen(s) + 1);
    strcpy(p, s);
    return p;
}

/* Appends item to a protobuf-c repeated field (array *arr of *n pointers). Capacity is
 * implied: arrays built here always hold the next power of two >= n. */
static void push(fm *m, void ***arr, size_t *n, void *item)
{
    if (*n == 0 || (*n & (*n - 1)) == 0) {
        void **na = fm_alloc(m, (*n ? 2 * *n : 1) * sizeof *na);
        if (*n)
            memcpy(na, *arr, *n * sizeof *na);
        *arr = na;
    }
    (*arr)[(*n)++] = item;
}

fm *fm_new(int64_t ir_version, int64_t opset)
{
    fm *m = calloc(1, sizeof *m);
    cr_assert_not_null(m);
    Onnx__ModelProto *mp = fm_alloc(m, sizeof *mp);
    onnx__model_proto__init(mp);
    mp->has_ir_version = 1;
    mp->ir_version = ir_version;
    Onnx__OperatorSetIdProto *os = fm_alloc(m, sizeof *os);
    onnx__operator_set_id_proto__init(os);
    os->domain = fm_str(m, "");
    os->has_version = 1;
    os->version = opset;
    push(m, (void ***)&mp->opset_import, &mp->n_opset_import, os);
    Onnx__GraphProto *gp = fm_alloc(m, sizeof *gp);
    onnx__graph_proto__init(gp);
    gp->name = fm_str(m, "g");
    mp->graph = gp;
    mp->producer_name = fm_str(m, "onnxq-tests");
    m->model = mp;
    m->graph = gp;
    return m;
}

void fm_free(fm *m)
{
    for (size_t i = 0; i < m->nblock; i++)
        free(m->blocks[i]);
    free(m->blocks);
    free(m);
}

Onnx__ModelProto *fm_model(fm *m) { return m->model; }

/* A ValueInfo with a tensor type. */
static Onnx__ValueInfoProto *value_info(fm *m, const char *name, int dt, int rank,
                                        const int64_t *dims)
{
    Onnx__ValueInfoProto *vi = fm_alloc(m, sizeof *vi);
    onnx__value_info_proto__init(vi);
    vi->name = fm_str(m, name);
    if (dt < 0)
        return vi;
    Onnx__TypeProto *tp = fm_alloc(m, sizeof *tp);
    onnx__type_proto__init(tp);
    Onnx__TypeProto__Tensor *tt = fm_alloc(m, sizeof *tt);
    onnx__type_proto__tensor__init(tt);
    tt->has_elem_type = 1;
    tt->elem_type = dt;
    if (rank >= 0) {
        Onnx__TensorShapeProto *sp = fm_alloc(m, sizeof *sp);
        onnx__tensor_shape_proto__init(sp);
        for (int i = 0; i < rank; i++) {
            Onnx__TensorShapeProto__Dimension *dm = fm_alloc(m, sizeof *dm);
            onnx__tensor_shape_proto__dimension__init(dm);
            if (dims[i] < 0) {
                dm->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
                dm->dim_param = fm_str(m, "N");
            } else {
                dm->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
                dm->dim_value = dims[i];
            }
            push(m, (void ***)&sp->dim, &sp->n_dim, dm);
        }
        tt->shape = sp;
    }
    tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
    tp->tensor_type = tt;
    vi->type = tp;
    return vi;
}

void fm_input(fm *m, const char *name, int dt, int rank, const int64_t *dims)
{
    push(m, (void ***)&m->graph->input, &m->graph->n_input, value_info(m, name, dt, rank, dims));
}

void fm_output(fm *m, const char *name)
{
    push(m, (void ***)&m->graph->output, &m->graph->n_output, value_info(m, name, -1, -1, NULL));
}

void fm_output_typed(fm *m, const char *name, int dt, int rank, const int64_t *dims)
{
    push(m, (void ***)&m->graph->output, &m->graph->n_output, value_info(m, name, dt, rank, dims));
}

Onnx__TensorProto *fm_tensor(fm *m, int dt, int rank, const int64_t *dims, const void *raw,
                             size_t nbytes)
{
    Onnx__TensorProto *t = fm_alloc(m, sizeof *t);
    onnx__tensor_proto__init(t);
    t->has_data_type = 1;
    t->data_type = dt;
    t->n_dims = (size_t)rank;
    t->dims = fm_alloc(m, (size_t)(rank + 1) * sizeof(int64_t));
    if (rank)
        memcpy(t->dims, dims, (size_t)rank * sizeof(int64_t));
    if (raw) {
        t->has_raw_data = 1;
        t->raw_data.len = nbytes;
        t->raw_data.data = fm_alloc(m, nbytes);
        memcpy(t->raw_data.data, raw, nbytes);
    }
    return t;
}

Onnx__TensorProto *fm_init(fm *m, const char *name, int dt, int rank, const int64_t *dims,
                           const void *raw, size_t nbytes)
{
    Onnx__TensorProto *t = fm_tensor(m, dt, rank, dims, raw, nbytes);
    t->name = fm_str(m, name);
    push(m, (void ***)&m->graph->initializer, &m->graph->n_initializer, t);
    return t;
}

/* Splits "a,b,,c" into a string array (empty entries kept). */
static char **split_names(fm *m, const char *s, size_t *n)
{
    *n = 0;
    char **arr = NULL;
    if (!s || !*s)
        return NULL;
    const char *p = s;
    for (;;) {
        const char *q = strchr(p, ',');
        size_t k = q ? (size_t)(q - p) : strlen(p);
        char *nm = fm_alloc(m, k + 1);
        memcpy(nm, p, k);
        push(m, (void ***)&arr, n, nm);
        if (!q)
            break;
        p = q + 1;
    }
    return arr;
}

Onnx__NodeProto *fm_node(fm *m, const char *op, const char *name, const char *ins, const char *outs)
{
    Onnx__NodeProto *n = fm_alloc(m, sizeof *n);
    onnx__node_proto__init(n);
    n->op_type = fm_str(m, op);
    n->name = fm_str(m, name ? name : "");
    n->input = split_names(m, ins, &n->n_input);
    n->output = split_names(m, outs, &n->n_output);
    push(m, (void ***)&m->graph->node, &m->graph->n_node, n);
    return n;
}

static Onnx__AttributeProto *attr(fm *m, Onnx__NodeProto *n, const char *name, int type)
{
    Onnx__AttributeProto *a = fm_alloc(m, sizeof *a);
    onnx__attribute_proto__init(a);
    a->name = fm_str(m, name);
    a->has_type = 1;
    a->type = type;
    push(m, (void ***)&n->attribute, &n->n_attribute, a);
    return a;
}

void fm_attr_int(fm *m, Onnx__NodeProto *n, const char *name, int64_t v)
{
    Onnx__AttributeProto *a = attr(m, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT);
    a->has_i = 1;
    a->i = v;
}

void fm_attr_float(fm *m, Onnx__NodeProto *n, const char *name, float v)
{
    Onnx__AttributeProto *a = attr(m, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT);
    a->has_f = 1;
    a->f = v;
}

void fm_attr_str(fm *m, Onnx__NodeProto *n, const char *name, const char *v)
{
    Onnx__AttributeProto *a = attr(m, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING);
    a->has_s = 1;
    a->s.len = strlen(v);
    a->s.data = (uint8_t *)fm_str(m, v);
}

void fm_attr_ints(fm *m, Onnx__NodeProto *n, const char *name, int k, const int64_t *v)
{
    Onnx__AttributeProto *a = attr(m, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS);
    a->n_ints = (size_t)k;
    a->ints = fm_alloc(m, (size_t)(k + 1) * sizeof(int64_t));
    memcpy(a->ints, v, (size_t)k * sizeof(int64_t));
}

void fm_attr_floats(fm *m, Onnx__NodeProto *n, const char *name, int k, const float *v)
{
    Onnx__AttributeProto *a = attr(m, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS);
    a->n_floats = (size_t)k;
    a->floats = fm_alloc(m, (size_t)(k + 1) * sizeof(float));
    memcpy(a->floats, v, (size_t)k * sizeof(float));
}

void fm_attr_tensor(fm *m, Onnx__NodeProto *n, const char *name, Onnx__TensorProto *t)
{
    Onnx__AttributeProto *a = attr(m, n, name, ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR);
    a->t = t;
}

uint8_t *fm_pack(fm *m, size_t *len)
{
    *len = onnx__model_proto__get_packed_size(m->model);
    uint8_t *buf = fm_alloc(m, *len);
    onnx__model_proto__pack(m->model, buf);
    return buf;
}

static char tmpdir[64];

static int rm_entry(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb, (void)flag, (void)ftw;
    return remove(path);
}

/* Removes the test's temp folder when the test process exits. */
static void rm_tmpdir(void)
{
    if (tmpdir[0])
        nftw(tmpdir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

const char *fe_tmpdir(void)
{
    if (!tmpdir[0]) {
        strcpy(tmpdir, "/tmp/oq_fe_XXXXXX");
        cr_assert_not_null(mkdtemp(tmpdir));
        atexit(rm_tmpdir);
    }
    return tmpdir;
}

void fe_write(const char *path, const void *p, size_t n)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "cannot write %s", path);
    cr_assert_eq(fwrite(p, 1, n, f), n);
    fclose(f);
}

unsigned char *fe_slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *p = malloc(n > 0 ? (size_t)n : 1);
    cr_assert_not_null(p);
    *len = fread(p, 1, (size_t)n, f);
    fclose(f);
    return p;
}

oq_status fm_import_file(fm *m, const char *file, const oq_import_opts *o, oq_graph **g,
                         oq_diag *d, char *path_out, size_t path_cap)
{
    size_t len;
    uint8_t *buf = fm_pack(m, &len);
    snprintf(path_out, path_cap, "%s/%s", fe_tmpdir(), file);
    fe_write(path_out, buf, len);
    return oq_import_onnx(path_out, o, g, d);
}

oq_status fm_import(fm *m, const oq_import_opts *o, oq_graph **g, oq_diag *d)
{
    size_t len;
    uint8_t *buf = fm_pack(m, &len);
    return oq_import_onnx_mem(buf, len, NULL, o, g, d);
}

uint32_t fe_value(const oq_graph *g, const char *name)
{
    for (uint32_t v = 0; v < g->nvalue; v++)
        if (strcmp(g->values[v].name, name) == 0)
            return v;
    cr_assert_fail("no value '%s' in the graph", name);
    return OQ_NONE;
}

uint32_t fe_node_of_op(const oq_graph *g, oq_op op, int nth)
{
    for (uint32_t n = 0; n < g->nnode; n++)
        if (g->nodes[n].op == op && nth-- == 0)
            return n;
    return OQ_NONE;
}
