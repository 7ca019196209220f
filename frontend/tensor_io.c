/* Tensor files: ONNX TensorProto .pb (the ONNX test-data format) and numpy .npy (v1/v2/v3,
 * little-endian, C order). Reads land in a caller's arena; writes go through
 * oq_write_file_atomic (ir/file.c): a failed write never leaves a half file behind, and an
 * input of the run is never replaced. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fe_int.h"

/* Folder part of path (malloc), "." when it has none. */
static char *dir_of(const char *path)
{
    char *dir = strdup(path);
    if (!dir)
        return NULL;
    char *slash = strrchr(dir, '/');
    if (!slash)
        strcpy(dir, ".");
    else if (slash == dir)
        dir[1] = 0;
    else
        *slash = 0;
    return dir;
}

oq_status oq_read_tensor_pb(const char *path, oq_arena *a, oq_tensor_file *t, oq_diag *d)
{
    memset(t, 0, sizeof *t);
    void *buf;
    size_t len;
    oq_status st = oq_fe_read_file(path, &buf, &len, d);
    if (st != OQ_OK)
        return st;
    Onnx__TensorProto *tp =
        (Onnx__TensorProto *)oq_fe_unpack(&onnx__tensor_proto__descriptor, buf, len, path, d);
    free(buf);
    if (!tp)
        return d ? d->status : OQ_ERR_INVALID_MODEL;
    char *dir = dir_of(path);
    oq_fe_where w = {path, dir};
    char what[256];
    snprintf(what, sizeof what, "tensor '%.200s'", tp->name ? tp->name : "");
    oq_tensor_const tc;
    st = dir ? oq_fe_tensor(a, tp, &w, what, &tc, d)
             : oq_errorf(d, NULL, OQ_NONE, OQ_ERR_NOMEM, "%s: out of memory", path);
    if (st == OQ_OK) {
        t->name = oq_arena_strdup(a, tp->name ? tp->name : "");
        t->dtype = tc.dtype;
        t->shape = tc.shape;
        t->data = tc.data;
        if (!t->name)
            st = oq_errorf(d, NULL, OQ_NONE, OQ_ERR_NOMEM, "%s: out of memory", path);
    }
    free(dir);
    protobuf_c_message_free_unpacked(&tp->base, NULL);
    return st;
}

/* numpy descr ("<f4", "|u1", ...) <-> dtype */
static const struct {
    const char *code;
    oq_dtype dt;
} npy_types[] = {
    {"f4", OQ_DT_FLOAT},  {"u1", OQ_DT_UINT8},  {"i1", OQ_DT_INT8},   {"i2", OQ_DT_INT16},
    {"u2", OQ_DT_UINT16}, {"i4", OQ_DT_INT32},  {"u4", OQ_DT_UINT32}, {"i8", OQ_DT_INT64},
    {"u8", OQ_DT_UINT64}, {"f8", OQ_DT_DOUBLE}, {"b1", OQ_DT_BOOL},   {"f2", OQ_DT_FLOAT16},
};

/* Finds 'key' in the header dict and returns a pointer just past its ':' (NULL if absent). */
static const char *npy_key(const char *h, const char *key)
{
    const char *p = strstr(h, key);
    if (!p)
        return NULL;
    p += strlen(key);
    while (*p == ' ')
        p++;
    if (*p != ':')
        return NULL;
    p++;
    while (*p == ' ')
        p++;
    return p;
}

/* Times 'key' (quoted as in the header) occurs in h. */
static int npy_key_count(const char *h, const char *key)
{
    int n = 0;
    for (const char *p = strstr(h, key); p; p = strstr(p + 1, key))
        n++;
    return n;
}

/* Parses the header dict into dtype and shape. numpy reads a dict with exactly the keys descr,
 * fortran_order and shape (a repeated key is the last one for numpy): a header that repeats a
 * key is refused rather than read differently from numpy. */
static oq_status npy_header(const char *path, const char *h, oq_dtype *dt, oq_shape *s, oq_diag *d)
{
    static const char *const keys[] = {"'descr'", "'fortran_order'", "'shape'"};
    for (size_t i = 0; i < 3; i++)
        if (npy_key_count(h, keys[i]) > 1)
            return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_DATA, "%s: npy header repeats the key %s",
                             path, keys[i]);
    const char *p = npy_key(h, "'descr'");
    if (!p || (*p != '\'' && *p != '"'))
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_DATA, "%s: npy header has no descr", path);
    char q = *p++;
    char order = *p;
    if (order != '<' && order != '|' && order != '=' && order != '>')
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_DATA, "%s: bad npy descr", path);
    p++;
    size_t k = 0;
    char code[8];
    while (*p && *p != q && k < sizeof code - 1)
        code[k++] = *p++;
    code[k] = 0;
    *dt = OQ_DT_UNDEFINED;
    for (size_t i = 0; i < sizeof npy_types / sizeof npy_types[0]; i++)
        if (strcmp(code, npy_types[i].code) == 0)
            *dt = npy_types[i].dt;
    if (*dt == OQ_DT_UNDEFINED)
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_DTYPE, "%s: npy dtype '%c%s' is not supported "
                         "(f4 f8 f2 u1 i1 i2 u2 i4 u4 i8 u8 b1)", path, order, code);
    if (order == '>' && oq_dtype_size(*dt) > 1)
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_DATA, "%s: big-endian npy is not supported",
                         path);
    p = npy_key(h, "'fortran_order'");
    if (!p || strncmp(p, "False", 5) != 0)
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_DATA,
                         "%s: only C-order npy arrays are supported", path);
    p = npy_key(h, "'shape'");
    if (!p || *p != '(')
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_DATA, "%s: npy header has no shape", path);
    p++;
    s->rank = 0;
    for (;;) {
        while (*p == ' ' || *p == ',')
            p++;
        if (*p == ')')
            break;
        if (*p < '0' || *p > '9')
            return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_DATA, "%s: bad npy shape", path);
        if (s->rank >= OQ_MAX_RANK)
            return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_SHAPE, "%s: npy rank above %d", path,
                             OQ_MAX_RANK);
        int64_t v = 0;
        while (*p >= '0' && *p <= '9') {
            if (v > (INT64_MAX - 9) / 10)
                return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_DATA, "%s: npy dim too large", path);
            v = v * 10 + (*p++ - '0');
        }
        if (*p == 'L')
            p++;
        s->dim[s->rank++] = v;
    }
    return OQ_OK;
}

oq_status oq_fe_parse_npy(const void *buf, size_t len, const char *path, oq_arena *a,
                          oq_tensor_file *t, oq_diag *d)
{
    memset(t, 0, sizeof *t);
    const unsigned char *b = buf;
    size_t hl, off;
    if (len < 10 || memcmp(b, "\x93NUMPY", 6) != 0)
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_DATA, "%s: not a .npy file", path);
    if (b[6] == 1) {
        hl = (size_t)b[8] | (size_t)b[9] << 8;
        off = 10;
    } else if ((b[6] == 2 || b[6] == 3) && len >= 12) {
        hl = (size_t)b[8] | (size_t)b[9] << 8 | (size_t)b[10] << 16 | (size_t)b[11] << 24;
        off = 12;
    } else {
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_DATA, "%s: npy version %d is not supported",
                         path, b[6]);
    }
    if (hl > len - off)
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_DATA, "%s: truncated npy header", path);
    char *h = malloc(hl + 1);
    if (!h)
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_NOMEM, "%s: out of memory", path);
    memcpy(h, b + off, hl);
    h[hl] = 0;
    oq_status st = npy_header(path, h, &t->dtype, &t->shape, d);
    free(h);
    if (st != OQ_OK)
        return st;
    off += hl;
    oq_fe_where w = {path, NULL};
    if ((st = oq_fe_dims(t->shape.dim, (size_t)t->shape.rank, t->dtype, &t->shape, &w, "array",
                         d)) != OQ_OK)
        return st;
    size_t nbytes = (size_t)oq_shape_numel(&t->shape) * oq_dtype_size(t->dtype);
    if (len - off != nbytes)
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_DATA,
                         "%s: npy data holds %zu bytes, its shape needs %zu", path, len - off,
                         nbytes);
    t->name = "";
    t->data = oq_arena_dup(a, b + off, nbytes);
    if (!t->data)
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_NOMEM, "%s: out of memory", path);
    return OQ_OK;
}

oq_status oq_read_npy(const char *path, oq_arena *a, oq_tensor_file *t, oq_diag *d)
{
    memset(t, 0, sizeof *t);
    void *buf;
    size_t len;
    oq_status st = oq_fe_read_file(path, &buf, &len, d);
    if (st != OQ_OK)
        return st;
    st = oq_fe_parse_npy(buf, len, path, a, t, d);
    free(buf);
    return st;
}

typedef struct two_parts {     /* what put_parts writes: p1[n1] then p2[n2] */
    const void *p1, *p2;
    size_t n1, n2;
} two_parts;

/* oq_file_writer: the header then the data. */
static bool put_parts(void *ctx, FILE *f, oq_diag *d)
{
    (void)d;
    const two_parts *t = ctx;
    return (!t->n1 || fwrite(t->p1, 1, t->n1, f) == t->n1) &&
           (!t->n2 || fwrite(t->p2, 1, t->n2, f) == t->n2);
}

/* Writes n1 bytes of p1 then n2 of p2 to path atomically (ir/file.c). */
static oq_status write_atomic(const char *path, const void *p1, size_t n1, const void *p2,
                              size_t n2, oq_diag *d)
{
    two_parts t = {p1, p2, n1, n2};
    return oq_write_file_atomic(path, NULL, 0, put_parts, &t, d);
}

/* Byte count of a tensor with shape s and type dt; false when unknown or too large. */
static bool tensor_bytes(oq_dtype dt, const oq_shape *s, size_t *n)
{
    int64_t numel = oq_shape_numel(s);
    size_t es = oq_dtype_size(dt);
    if (numel < 0 || es == 0 || (uint64_t)numel > SIZE_MAX / es)
        return false;
    *n = (size_t)numel * es;
    return true;
}

oq_status oq_write_npy(const char *path, oq_dtype dt, const oq_shape *s, const void *data,
                       oq_diag *d)
{
    const char *code = NULL;
    for (size_t i = 0; i < sizeof npy_types / sizeof npy_types[0]; i++)
        if (npy_types[i].dt == dt)
            code = npy_types[i].code;
    size_t nbytes;
    if (!code)
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_DTYPE, "%s: cannot write %s as npy", path,
                         oq_dtype_name(dt));
    if (!tensor_bytes(dt, s, &nbytes) || s->rank > OQ_MAX_RANK)
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_SHAPE, "%s: tensor shape is not known", path);
    char dict[512];
    int k = snprintf(dict, sizeof dict, "{'descr': '%c%s', 'fortran_order': False, 'shape': (",
                     oq_dtype_size(dt) == 1 ? '|' : '<', code);
    for (int i = 0; i < s->rank; i++)
        k += snprintf(dict + k, sizeof dict - (size_t)k, "%lld%s", (long long)s->dim[i],
                      s->rank == 1 ? "," : (i + 1 < s->rank ? ", " : ""));
    k += snprintf(dict + k, sizeof dict - (size_t)k, "), }");
    /* pad with spaces so magic + len + dict + '\n' is a multiple of 64 */
    size_t total = 10 + (size_t)k + 1;
    size_t pad = (64 - total % 64) % 64;
    unsigned char hdr[10 + sizeof dict + 64];
    memcpy(hdr, "\x93NUMPY\x01\x00", 8);
    size_t hl = (size_t)k + pad + 1;
    hdr[8] = (unsigned char)(hl & 0xff);
    hdr[9] = (unsigned char)(hl >> 8);
    memcpy(hdr + 10, dict, (size_t)k);
    memset(hdr + 10 + k, ' ', pad);
    hdr[10 + k + pad] = '\n';
    return write_atomic(path, hdr, 10 + hl, data, nbytes, d);
}

oq_status oq_write_tensor_pb(const char *path, const char *name, oq_dtype dt, const oq_shape *s,
                             const void *data, oq_diag *d)
{
    size_t nbytes;
    if (!tensor_bytes(dt, s, &nbytes) || s->rank > OQ_MAX_RANK)
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_SHAPE, "%s: tensor shape or type not storable",
                         path);
    Onnx__TensorProto tp = ONNX__TENSOR_PROTO__INIT;
    int64_t dims[OQ_MAX_RANK];
    for (int i = 0; i < s->rank; i++)
        dims[i] = s->dim[i];
    tp.n_dims = (size_t)s->rank;
    tp.dims = dims;
    tp.has_data_type = 1;
    tp.data_type = (int32_t)dt;
    tp.name = (char *)(name ? name : "");
    tp.has_raw_data = 1;
    tp.raw_data.len = nbytes;
    tp.raw_data.data = (uint8_t *)data;
    size_t n = onnx__tensor_proto__get_packed_size(&tp);
    uint8_t *buf = malloc(n ? n : 1);
    if (!buf)
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_NOMEM, "%s: out of memory", path);
    onnx__tensor_proto__pack(&tp, buf);
    oq_status st = write_atomic(path, buf, n, NULL, 0, d);
    free(buf);
    return st;
}

int64_t oq_label_at(const oq_tensor_file *t, int64_t i)
{
    switch (t->dtype) {
    case OQ_DT_INT64: return ((const int64_t *)t->data)[i];
    case OQ_DT_INT32: return ((const int32_t *)t->data)[i];
    case OQ_DT_UINT8: return ((const uint8_t *)t->data)[i];
    case OQ_DT_INT8: return ((const int8_t *)t->data)[i];
    default: return -1;
    }
}

oq_status oq_read_labelled(const char *x, const char *labels, oq_arena *a, oq_tensor_file *tx,
                           oq_tensor_file *ty, oq_diag *d)
{
    oq_status st = oq_read_npy(x, a, tx, d);
    if (st == OQ_OK)
        st = oq_read_npy(labels, a, ty, d);
    if (st != OQ_OK)
        return st;
    if (tx->shape.rank >= 1 && tx->shape.dim[0] == 0)
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_DATA, "%s: holds no samples (dim 0 is 0)", x);
    if (tx->shape.rank < 1 || ty->shape.rank != 1 || ty->shape.dim[0] != tx->shape.dim[0] ||
        oq_label_at(ty, 0) < 0)
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_DATA,
                         "%s / %s: want data [N,...] and integer labels [N] with the same N", x,
                         labels);
    if (tx->dtype == OQ_DT_FLOAT) {
        const float *v = tx->data;
        int64_t n = oq_shape_numel(&tx->shape);
        for (int64_t e = 0; e < n; e++)
            if (!isfinite(v[e]))
                return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_DATA, "%s: element %lld is %s", x,
                                 (long long)e, isnan(v[e]) ? "NaN" : "Inf");
    }
    return OQ_OK;
}
