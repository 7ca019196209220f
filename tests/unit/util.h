/* Shared helpers for the ir unit tests: build graphs from the text form, render a value's type
 * as "f32[1,?,3]" for exact comparison, and infer with the diagnostic kept for messages. */
#ifndef OQ_TEST_UTIL_H
#define OQ_TEST_UTIL_H
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "ir/ir.h"

/* Parses text or fails the test with the parser's message. */
static inline oq_graph *tu_parse(const char *text)
{
    oq_graph *g = NULL;
    oq_diag d = {0};
    oq_status st = ir_parse(text, &g, &d);
    cr_assert_eq(st, OQ_OK, "parse failed: %s", d.msg);
    return g;
}

/* The value named name (fails the test if absent). */
static inline const oq_value *tu_val(const oq_graph *g, const char *name)
{
    uint32_t v = ir_find_value(g, name);
    cr_assert_neq(v, OQ_NONE, "no value '%s'", name);
    return &g->values[v];
}

/* "f32[1,?,3]" ("f32" for unknown rank) into buf. */
static inline const char *tu_type(const oq_graph *g, const char *name, char *buf, size_t n)
{
    const oq_value *v = tu_val(g, name);
    int k = snprintf(buf, n, "%s", ir_dtype_short(v->dtype));
    if (v->shape.rank >= 0) {
        k += snprintf(buf + k, n - k, "[");
        for (int i = 0; i < v->shape.rank; i++) {
            if (v->shape.dim[i] < 0)
                k += snprintf(buf + k, n - k, i ? ",?" : "?");
            else
                k += snprintf(buf + k, n - k, i ? ",%lld" : "%lld", (long long)v->shape.dim[i]);
        }
        snprintf(buf + k, n - k, "]");
    }
    return buf;
}

#define TU_TYPE(g, name, want)                                                             \
    do {                                                                                   \
        char tu_buf_[128];                                                                 \
        cr_expect_str_eq(tu_type((g), (name), tu_buf_, sizeof tu_buf_), (want),            \
                         "value '%s': got %s want %s", (name), tu_buf_, (want));           \
    } while (0)

/* Parses and infers; fails the test on any error. */
static inline oq_graph *tu_infer(const char *text)
{
    oq_graph *g = tu_parse(text);
    oq_diag d = {0};
    oq_status st = ir_infer(g, &d);
    cr_assert_eq(st, OQ_OK, "infer failed: %s", d.msg);
    return g;
}

/* Parses and infers, expecting status want; the message goes into msg. */
static inline void tu_infer_fails(const char *text, oq_status want, char *msg, size_t n)
{
    oq_graph *g = tu_parse(text);
    oq_diag d = {0};
    oq_status st = ir_infer(g, &d);
    cr_assert_eq(st, want, "status %d (%s), want %d; message: %s", st, oq_status_str(st), want,
                 d.msg);
    snprintf(msg, n, "%s", d.msg);
    oq_graph_free(g);
}

/* int64 constant data of value name (fails if not constant). */
static inline const int64_t *tu_i64(const oq_graph *g, const char *name)
{
    const oq_value *v = tu_val(g, name);
    cr_assert_not_null(v->data, "value '%s' is not constant", name);
    cr_assert_eq(v->dtype, OQ_DT_INT64, "value '%s' is %s", name, oq_dtype_name(v->dtype));
    return v->data;
}
#endif
