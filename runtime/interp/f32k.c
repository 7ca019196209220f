/* The float kernel of each op, from the f32k column of ir/ops.def: the interpreter runs float
 * tensors through the same runtime/f32/ops functions the emitted C calls. */
#include "ops.h"

static const oq_f32k f32k_tab[OQ_OP_COUNT] = {
#define FK_NONE {0}
#define FK_UNARY(k) {.unary = oq_f32_##k##__scalar}
#define FK_BINARY(k) {.binary = oq_f32_##k##__scalar}
#define FK_POOL(k) {.pool = oq_f32_##k##__scalar}
#define FK_GPOOL(k) {.gpool = oq_f32_##k##__scalar}
#define FK_SOFTMAX(k) {.softmax = oq_f32_##k##__scalar}
#define FK_REDUCE(k) {.reduce = oq_f32_##k##__scalar}
#define OQ_OP(id, str, mini, maxi, mino, maxo, flags, csup, f32k, ...) [OQ_OP_##id] = f32k,
#include "ir/ops.def"
#undef OQ_OP
#undef FK_NONE
#undef FK_UNARY
#undef FK_BINARY
#undef FK_POOL
#undef FK_GPOOL
#undef FK_SOFTMAX
#undef FK_REDUCE
};

const oq_f32k *oq_f32_kernel(oq_op op)
{
    static const oq_f32k none = {0};
    return (unsigned)op < OQ_OP_COUNT ? &f32k_tab[op] : &none;
}
