/* Protobuf plumbing for the frontend: bounded unpacking (nesting depth checked on the wire
 * before protobuf-c recurses, allocation capped relative to the input), whole-file reads, and
 * TensorProto decoding (typed fields, raw_data, external data confined to the model's folder).
 * Every size is checked for overflow before anything is allocated; data must be present in full
 * (a tensor never claims more bytes than its file holds). */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fe_int.h"

/* ---------------------------------------------------------------- wire-format depth check */

/* Reads a varint; false on truncation or > 10 bytes. */
static bool rd_varint(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
    uint64_t r = 0;
    for (int i = 0; i < 10; i++) {
        if (*p >= end)
            return false;
        uint8_t b = *(*p)++;
        r |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *v = r;
            return true;
        }
    }
    return false;
}

/* Returns the deepest nesting of message fields in [p, end) (depth counts this message); stops
 * early past OQ_FE_MAX_DEPTH. Malformed input returns the depth seen so far: protobuf-c then
 * reports the damage itself. */
static int wire_depth(const ProtobufCMessageDescriptor *desc, const uint8_t *p, const uint8_t *end,
                      int depth)
{
    int deepest = depth;
    if (depth > OQ_FE_MAX_DEPTH)
        return depth;
    while (p < end) {
        uint64_t tag, v;
        if (!rd_varint(&p, end, &tag))
            return deepest;
        switch (tag & 7) {
        case 0:
            if (!rd_varint(&p, end, &v))
                return deepest;
            break;
        case 1:
            if (end - p < 8)
                return deepest;
            p += 8;
            break;
        case 5:
            if (end - p < 4)
                return deepest;
            p += 4;
            break;
        case 2: {
            if (!rd_varint(&p, end, &v) || v > (uint64_t)(end - p))
                return deepest;
            const ProtobufCFieldDescriptor *f =
                tag >> 3 <= UINT32_MAX
                    ? protobuf_c_message_descriptor_get_field(desc, (unsigned)(tag >> 3))
                    : NULL;
            if (f && f->type == PROTOBUF_C_TYPE_MESSAGE) {
                int dd = wire_depth(f->descriptor, p, p + v, depth + 1);
                if (dd > deepest)
                    deepest = dd;
                if (deepest > OQ_FE_MAX_DEPTH)
                    return deepest;
            }
            p += v;
            break;
        }
        default:
            return deepest;    /* groups or garbage */
        }
    }
    return deepest;
}

/* ---------------------------------------------------------------- capped allocator */

typedef struct capalloc {
    size_t used;               /* bytes handed out so far (never decreases) */
    size_t cap;                /* limit */
    bool oom;                  /* the system allocator failed (not the cap) */
} capalloc;

static void *cap_alloc(void *ctx, size_t n)
{
    capalloc *c = ctx;
    if (n > c->cap - c->used)
        return NULL;
    c->used += n;
    void *p = malloc(n);
    if (!p)
        c->oom = true;
    return p;
}

static void cap_free(void *ctx, void *p)
{
    (void)ctx;
    free(p);
}

ProtobufCMessage *oq_fe_unpack(const ProtobufCMessageDescriptor *desc, const void *buf, size_t len,
                               const char *file, oq_diag *d)
{
    const char *fn = file ? file : "<memory>";
    if (len > OQ_FE_MAX_FILE) {
        oq_errorf(d, NULL, OQ_NONE, OQ_ERR_INVALID_MODEL, "%s: %zu bytes is larger than protobuf's "
                  "2 GiB message limit", fn, len);
        return NULL;
    }
    const uint8_t *p = buf;
    if (wire_depth(desc, p, p + len, 0) > OQ_FE_MAX_DEPTH) {
        oq_errorf(d, NULL, OQ_NONE, OQ_ERR_INVALID_MODEL,
                  "%s: messages nested deeper than %d levels (corrupt or hostile file)", fn,
                  OQ_FE_MAX_DEPTH);
        return NULL;
    }
    /* Decoded structs may be several times the wire size (varints widen, empty submessages
     * become structs); legit models stay far below this. */
    capalloc ca = {0, len > (SIZE_MAX - (256u << 20)) / 32 ? SIZE_MAX : len * 32 + (256u << 20),
                   false};
    ProtobufCAllocator al = {cap_alloc, cap_free, &ca};
    ProtobufCMessage *m = protobuf_c_message_unpack(desc, &al, len, p);
    if (!m && ca.oom)
        oq_errorf(d, NULL, OQ_NONE, OQ_ERR_NOMEM,
                  "%s: out of memory decoding the %s protobuf (%zu bytes on disk, %zu bytes "
                  "allocated when the system refused more)", fn, desc->short_name, len, ca.used);
    else if (!m)
        oq_errorf(d, NULL, OQ_NONE, ca.used >= ca.cap ? OQ_ERR_NOMEM : OQ_ERR_INVALID_MODEL,
                  "%s: not a valid %s protobuf (truncated or corrupted)%s", fn, desc->short_name,
                  ca.used >= ca.cap ? " or too large to decode" : "");
    return m;
}

oq_status oq_fe_read_file(const char *path, void **buf, size_t *len, oq_diag *d)
{
    *buf = NULL;
    *len = 0;
    FILE *f = oq_file_open_read(path, d);   /* regular files only, recorded as an input */
    if (!f)
        return d->status ? d->status : OQ_ERR_IO;
    struct stat st;
    if (fstat(fileno(f), &st) != 0) {
        fclose(f);
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_IO, "%s: cannot stat: %s", path, strerror(errno));
    }
    if ((uint64_t)st.st_size > OQ_FE_MAX_FILE) {
        fclose(f);
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_INVALID_MODEL,
                         "%s: %lld bytes is larger than protobuf's 2 GiB message limit "
                         "(large weights belong in external data)", path, (long long)st.st_size);
    }
    size_t n = (size_t)st.st_size;
    unsigned char *p = malloc(n ? n : 1);
    if (!p) {
        fclose(f);
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_NOMEM, "%s: out of memory reading %zu bytes",
                         path, n);
    }
    size_t got = n ? fread(p, 1, n, f) : 0;
    int err = ferror(f);
    fclose(f);
    if (got != n || err) {
        free(p);
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_IO, "%s: read error", path);
    }
    *buf = p;
    *len = n;
    return OQ_OK;
}

/* Renders "file: " (or "") into a message prefix. */
static const char *fname(const oq_fe_where *w) { return w && w->file ? w->file : "<memory>"; }

oq_status oq_fe_dims(const int64_t *dims, size_t n, oq_dtype dt, oq_shape *s, const oq_fe_where *w,
                     const char *what, oq_diag *d)
{
    if (n > OQ_MAX_RANK)
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_SHAPE,
                         "%s: %s has rank %zu (at most %d supported)", fname(w), what, n,
                         OQ_MAX_RANK);
    s->rank = (int32_t)n;
    uint64_t numel = 1;
    for (size_t i = 0; i < n; i++) {
        if (dims[i] < 0)
            return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_INVALID_MODEL,
                             "%s: %s has negative dim %zu (%lld)", fname(w), what, i,
                             (long long)dims[i]);
        s->dim[i] = dims[i];
        if (dims[i] && numel > (uint64_t)INT64_MAX / (uint64_t)dims[i])
            return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_INVALID_MODEL,
                             "%s: %s: product of dims overflows", fname(w), what);
        numel *= (uint64_t)dims[i];
    }
    size_t es = oq_dtype_size(dt);
    if (es && numel > (uint64_t)(SIZE_MAX / 2) / es)
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_INVALID_MODEL,
                         "%s: %s: %llu elements of %s do not fit in memory", fname(w), what,
                         (unsigned long long)numel, oq_dtype_name(dt));
    return OQ_OK;
}

oq_status oq_fe_resolve(const char *base_dir, const char *rel, const oq_fe_where *w,
                        const char *what, char **out, oq_diag *d)
{
    *out = NULL;
    if (!base_dir)
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_INVALID_MODEL,
                         "%s: %s uses external data '%s' but the model has no folder (loaded "
                         "from memory)", fname(w), what, rel);
    if (!rel[0])
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_INVALID_MODEL,
                         "%s: %s: external data location is empty", fname(w), what);
    if (rel[0] == '/')
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_INVALID_MODEL,
                         "%s: %s: external data location '%s' is absolute; it must be relative "
                         "to the model's folder", fname(w), what, rel);
    for (const char *p = rel; *p;) {
        const char *q = strchr(p, '/');
        size_t n = q ? (size_t)(q - p) : strlen(p);
        if ((n == 2 && p[0] == '.' && p[1] == '.') || memchr(p, '\\', n))
            return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_INVALID_MODEL,
                             "%s: %s: external data location '%s' leaves the model's folder",
                             fname(w), what, rel);
        p += n + (q != NULL);
    }
    char *base = realpath(base_dir, NULL);
    if (!base)
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_IO, "%s: %s: cannot resolve folder '%s': %s",
                         fname(w), what, base_dir, strerror(errno));
    size_t bl = strlen(base), rl = strlen(rel);
    char *joined = malloc(bl + rl + 2);
    if (!joined) {
        free(base);
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_NOMEM, "%s: out of memory", fname(w));
    }
    memcpy(joined, base, bl);
    joined[bl] = '/';
    memcpy(joined + bl + 1, rel, rl + 1);
    char *real = realpath(joined, NULL);
    int err = errno;
    free(joined);
    if (!real) {
        free(base);
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_IO, "%s: %s: external data file '%s': %s",
                         fname(w), what, rel, strerror(err));
    }
    bool inside = strncmp(real, base, bl) == 0 && (real[bl] == '/' || (bl == 1 && base[0] == '/'));
    free(base);
    if (!inside) {
        free(real);
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_INVALID_MODEL,
                         "%s: %s: external data '%s' resolves (through a symlink) outside the "
                         "model's folder", fname(w), what, rel);
    }
    *out = real;
    return OQ_OK;
}

/* Parses a non-negative decimal int64 (external data offset/length). */
static bool parse_u63(const char *s, int64_t *v)
{
    if (!*s)
        return false;
    int64_t r = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9' || r > (INT64_MAX - (*s - '0')) / 10)
            return false;
        r = r * 10 + (*s - '0');
    }
    *v = r;
    return true;
}

/* Reads nbytes of external data for tensor t into dst. */
static oq_status read_external(const Onnx__TensorProto *t, const oq_fe_where *w, const char *what,
                               void **dst, size_t nbytes, oq_arena *a, oq_diag *d)
{
    const char *loc = NULL;
    int64_t off = 0, len = -1;
    for (size_t i = 0; i < t->n_external_data; i++) {
        const Onnx__StringStringEntryProto *e = t->external_data[i];
        if (!e->key || !e->value)
            continue;
        if (strcmp(e->key, "location") == 0)
            loc = e->value;
        else if (strcmp(e->key, "offset") == 0 && !parse_u63(e->value, &off))
            return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_INVALID_MODEL,
                             "%s: %s: bad external data offset '%s'", fname(w), what, e->value);
        else if (strcmp(e->key, "length") == 0 && !parse_u63(e->value, &len))
            return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_INVALID_MODEL,
                             "%s: %s: bad external data length '%s'", fname(w), what, e->value);
    }
    if (!loc)
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_INVALID_MODEL,
                         "%s: %s: external data without a location", fname(w), what);
    if (len >= 0 && (uint64_t)len != nbytes)
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_INVALID_MODEL,
                         "%s: %s: external data length %lld does not match its dims (%zu bytes)",
                         fname(w), what, (long long)len, nbytes);
    char *path;
    oq_status st = oq_fe_resolve(w ? w->base_dir : NULL, loc, w, what, &path, d);
    if (st != OQ_OK)
        return st;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);   /* a FIFO must not block */
    free(path);
    if (fd < 0)
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_IO, "%s: %s: cannot open external data '%s': %s",
                         fname(w), what, loc, strerror(errno));
    struct stat sb;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        close(fd);
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_IO, "%s: %s: external data '%s' is not a "
                         "regular file", fname(w), what, loc);
    }
    if ((st = oq_file_note_input(d, fd, loc)) != OQ_OK) {
        close(fd);
        return st;
    }
    if ((uint64_t)off > (uint64_t)sb.st_size || nbytes > (uint64_t)sb.st_size - (uint64_t)off) {
        close(fd);
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_INVALID_MODEL,
                         "%s: %s: external data '%s' holds %lld bytes, tensor needs %zu at "
                         "offset %lld", fname(w), what, loc, (long long)sb.st_size, nbytes,
                         (long long)off);
    }
    unsigned char *p = oq_arena_alloc(a, nbytes);
    if (!p) {
        close(fd);
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_NOMEM, "%s: %s: out of memory (%zu bytes)",
                         fname(w), what, nbytes);
    }
    size_t done = 0;
    while (done < nbytes) {
        ssize_t r = pread(fd, p + done, nbytes - done, (off_t)(off + (int64_t)done));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0) {
            close(fd);
            return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_IO, "%s: %s: short read from '%s'",
                             fname(w), what, loc);
        }
        done += (size_t)r;
    }
    close(fd);
    *dst = p;
    return OQ_OK;
}

/* Bytes of the typed field that carries dtype dt, and its element count. */
static oq_status typed_count(const Onnx__TensorProto *t, oq_dtype dt, size_t *n)
{
    switch (dt) {
    case OQ_DT_FLOAT: *n = t->n_float_data; return OQ_OK;
    case OQ_DT_UINT8: case OQ_DT_INT8: case OQ_DT_UINT16: case OQ_DT_INT16: case OQ_DT_INT32:
    case OQ_DT_BOOL: case OQ_DT_FLOAT16: case OQ_DT_BFLOAT16:
        *n = t->n_int32_data; return OQ_OK;
    case OQ_DT_INT64: *n = t->n_int64_data; return OQ_OK;
    case OQ_DT_DOUBLE: *n = t->n_double_data; return OQ_OK;
    case OQ_DT_UINT32: case OQ_DT_UINT64: *n = t->n_uint64_data; return OQ_OK;
    default: *n = 0; return OQ_ERR_DTYPE;
    }
}

/* Copies count elements of the typed field into dst (element type dt). */
static void typed_copy(const Onnx__TensorProto *t, oq_dtype dt, void *dst, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        switch (dt) {
        case OQ_DT_FLOAT: ((float *)dst)[i] = t->float_data[i]; break;
        case OQ_DT_UINT8: ((uint8_t *)dst)[i] = (uint8_t)t->int32_data[i]; break;
        case OQ_DT_INT8: ((int8_t *)dst)[i] = (int8_t)t->int32_data[i]; break;
        case OQ_DT_BOOL: ((uint8_t *)dst)[i] = t->int32_data[i] != 0; break;
        case OQ_DT_UINT16: case OQ_DT_FLOAT16: case OQ_DT_BFLOAT16:
            ((uint16_t *)dst)[i] = (uint16_t)t->int32_data[i]; break;
        case OQ_DT_INT16: ((int16_t *)dst)[i] = (int16_t)t->int32_data[i]; break;
        case OQ_DT_INT32: ((int32_t *)dst)[i] = t->int32_data[i]; break;
        case OQ_DT_INT64: ((int64_t *)dst)[i] = t->int64_data[i]; break;
        case OQ_DT_DOUBLE: ((double *)dst)[i] = t->double_data[i]; break;
        case OQ_DT_UINT32: ((uint32_t *)dst)[i] = (uint32_t)t->uint64_data[i]; break;
        case OQ_DT_UINT64: ((uint64_t *)dst)[i] = t->uint64_data[i]; break;
        default: OQ_UNREACHABLE();
        }
    }
}

oq_status oq_fe_tensor(oq_arena *a, const Onnx__TensorProto *t, const oq_fe_where *w,
                       const char *what, oq_tensor_const *out, oq_diag *d)
{
    memset(out, 0, sizeof *out);
    int dtn = t->has_data_type ? t->data_type : 0;
    if (!oq_dtype_valid(dtn) || oq_dtype_size((oq_dtype)dtn) == 0)
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_DTYPE, "%s: %s has unsupported data type %d (%s)",
                         fname(w), what, dtn,
                         oq_dtype_valid(dtn) ? oq_dtype_name((oq_dtype)dtn) : "unknown");
    oq_dtype dt = (oq_dtype)dtn;
    oq_status st = oq_fe_dims(t->dims, t->n_dims, dt, &out->shape, w, what, d);
    if (st != OQ_OK)
        return st;
    if (t->segment)
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_UNSUPPORTED_ATTR,
                         "%s: %s is a segment of a larger tensor (not supported)", fname(w), what);
    size_t es = oq_dtype_size(dt);
    size_t numel = (size_t)oq_shape_numel(&out->shape);
    size_t nbytes = numel * es;  /* fits: checked by oq_fe_dims */
    out->dtype = dt;
    if (t->has_data_location && t->data_location == ONNX__TENSOR_PROTO__DATA_LOCATION__EXTERNAL)
        return read_external(t, w, what, &out->data, nbytes, a, d);
    if (t->has_raw_data) {
        if (t->raw_data.len != nbytes)
            return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_INVALID_MODEL,
                             "%s: %s: raw_data holds %zu bytes but dims need %zu", fname(w), what,
                             t->raw_data.len, nbytes);
        out->data = oq_arena_dup(a, t->raw_data.data, nbytes);
    } else {
        size_t n;
        typed_count(t, dt, &n);
        if (n != numel)
            return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_INVALID_MODEL,
                             "%s: %s holds %zu values but dims need %zu", fname(w), what, n, numel);
        out->data = oq_arena_alloc(a, nbytes);
        if (out->data)
            typed_copy(t, dt, out->data, numel);
    }
    if (!out->data)
        return oq_errorf(d, NULL, OQ_NONE, OQ_ERR_NOMEM, "%s: %s: out of memory (%zu bytes)",
                         fname(w), what, nbytes);
    return OQ_OK;
}
