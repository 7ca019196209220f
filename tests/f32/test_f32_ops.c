/* runtime/f32/ops kernels added for the C backend: exact values where the op defines them
 * (Round half to even, Floor/Ceil, Min/Max with NaN, Pow), InstanceNormalization against a
 * double reference, Resize (a kept dim maps to itself, linear and nearest on a small case). */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "runtime/f32/ops/ops.h"

Test(f32_ops, round_floor_ceil)
{
    const float x[] = {0.5f, 1.5f, 2.5f, -0.5f, -1.5f, 2.4f, -2.6f, 0.0f};
    const float rd[] = {0, 2, 2, -0.0f, -2, 2, -3, 0}, fl[] = {0, 1, 2, -1, -2, 2, -3, 0},
                ce[] = {1, 2, 3, -0.0f, -1, 3, -2, 0};
    float y[8];
    oq_f32_round__scalar(8, x, y, 0, 0);
    for (int i = 0; i < 8; i++)
        cr_expect_eq(y[i], rd[i], "Round(%g): got %g want %g", x[i], y[i], rd[i]);
    oq_f32_floor__scalar(8, x, y, 0, 0);
    for (int i = 0; i < 8; i++)
        cr_expect_eq(y[i], fl[i], "Floor(%g): got %g want %g", x[i], y[i], fl[i]);
    oq_f32_ceil__scalar(8, x, y, 0, 0);
    for (int i = 0; i < 8; i++)
        cr_expect_eq(y[i], ce[i], "Ceil(%g): got %g want %g", x[i], y[i], ce[i]);
}

Test(f32_ops, min_max_pow_broadcast)
{
    const float a[] = {1, NAN, -3, 4, 0.25f, -2};
    const float b[] = {2, -1, NAN};    /* broadcast along the last dim of a [2, 3] */
    const int64_t dim[] = {2, 3}, ast[] = {3, 1}, bst[] = {0, 1};
    float y[6];
    oq_f32_min__scalar(2, dim, a, ast, b, bst, y);
    cr_expect(y[0] == 1 && isnan(y[1]) && isnan(y[2]) && y[3] == 2 && y[4] == -1 && isnan(y[5]));
    oq_f32_max__scalar(2, dim, a, ast, b, bst, y);
    cr_expect(y[0] == 2 && isnan(y[1]) && isnan(y[2]) && y[3] == 4 && y[4] == 0.25f &&
              isnan(y[5]));
    const float e[] = {2, 0.5f, 3};
    oq_f32_pow__scalar(2, dim, a, ast, e, bst, y);
    cr_expect(y[0] == 1 && isnan(y[1]) && y[2] == -27 && y[3] == 16 && y[4] == 0.5f &&
              y[5] == -8, "%g %g %g %g %g %g", y[0], y[1], y[2], y[3], y[4], y[5]);
}

Test(f32_ops, instance_norm_matches_double)
{
    enum { N = 2, C = 3, SP = 17 };
    float x[N * C * SP], y[N * C * SP];
    const float sc[C] = {1.5f, -0.5f, 2}, bi[C] = {0.1f, 0, -1};
    for (int i = 0; i < N * C * SP; i++)
        x[i] = sinf((float)i * 0.37f) * 3 + (float)(i % 5);
    oq_f32_instancenormalization__scalar(N, C, SP, x, sc, bi, 1e-5f, y);
    for (int p = 0; p < N * C; p++) {
        double m = 0, v = 0;
        for (int i = 0; i < SP; i++)
            m += x[p * SP + i];
        m /= SP;
        for (int i = 0; i < SP; i++)
            v += (x[p * SP + i] - m) * (x[p * SP + i] - m);
        v /= SP;
        for (int i = 0; i < SP; i++) {
            double want = (x[p * SP + i] - m) / sqrt(v + 1e-5) * sc[p % C] + bi[p % C];
            cr_assert(fabs(y[p * SP + i] - want) <= 1e-5 * (1 + fabs(want)),
                      "at [%d, %d]: got %g want %g", p, i, y[p * SP + i], want);
        }
    }
}

Test(f32_ops, resize_nearest_and_linear)
{
    /* x [1, 2, 2, 3]; tf_half_pixel_for_nn with ceil: the kept dims (N, C, H) map to
     * themselves, W doubles: index ceil((o + 0.5) / 2) clamped */
    float x[12], y[24];
    for (int i = 0; i < 12; i++)
        x[i] = (float)i;
    oq_f32_resize p = {.rank = 4, .mode = OQ_RESIZE_NEAREST,
                       .ctm = OQ_RESIZE_TF_HALF_PIXEL_FOR_NN, .near = OQ_RESIZE_CEIL,
                       .in = {1, 2, 2, 3}, .out = {1, 2, 2, 6}, .scale = {1, 1, 1, 2}};
    static unsigned char ws[4096];
    cr_assert_leq(oq_f32_resize_workspace_size(&p), sizeof ws);
    oq_f32_resize__scalar(&p, x, y, ws);
    const int col[6] = {1, 1, 2, 2, 2, 2};
    for (int r = 0; r < 4; r++)
        for (int o = 0; o < 6; o++)
            cr_expect_eq(y[r * 6 + o], x[r * 3 + col[o]], "row %d col %d: got %g", r, o,
                         y[r * 6 + o]);
    /* linear, half_pixel, W 3 -> 6: (o + 0.5) / 2 - 0.5 between the two neighbours */
    p.mode = OQ_RESIZE_LINEAR, p.ctm = OQ_RESIZE_HALF_PIXEL;
    oq_f32_resize__scalar(&p, x, y, ws);
    const float want[6] = {0, 0.25f, 0.75f, 1.25f, 1.75f, 2};
    for (int o = 0; o < 6; o++)
        cr_expect_eq(y[o], want[o], "col %d: got %g want %g", o, y[o], want[o]);
}
