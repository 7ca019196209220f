/* Observers: numbers computed by hand, and PyTorch 1.13 references printed by
 * tests/passes/torch_observers.py (/usr/bin/python3, Debian python3-torch 1.13) on the same
 * inputs (gen() below mirrors the script's gen()). Min/max based observers match PyTorch to the
 * bit; histogram observers within 1e-3 relative (PyTorch bins with int()-truncated edges, keeps
 * float32 counts and mixes float32/double in the error search; see observers/histogram.c). */
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#include "passes/observers/observer.h"

/* Same values as torch_observers.py gen(): bell-shaped in [lo, hi], exact lo/hi at 0 and 1. */
static float *gen(int n, int seed, double lo, double hi)
{
    static float buf[8][1000];
    static int next;
    float *out = buf[next++ % 8];
    const double c[4] = {0.6180339887498949, 0.4142135623730951, 0.7320508075688772,
                         0.2360679774997897};
    double mid = (lo + hi) / 2.0, half = (hi - lo) / 2.0;
    for (int i = 0; i < n; i++) {
        double s = 0.0;
        for (int k = 0; k < 4; k++)
            s += fmod((double)(i + seed) * c[k], 1.0);
        out[i] = (float)(mid + (s - 2.0) * half * 0.2);
    }
    out[0] = (float)lo;
    out[1] = (float)hi;
    return out;
}

static oq_shape shape1(int64_t n)
{
    oq_shape s = {.rank = 1};
    s.dim[0] = n;
    return s;
}


/* Runs kind over the batches (each n[i] long) and returns qparams for scheme q. */
static void run(oq_obs_kind kind, const oq_qscheme *q, int nb, float **x, const int *n,
                float *scale, int32_t *zp)
{
    oq_observer o;
    oq_diag d = {0};
    cr_assert_eq(oq_observer_init(&o, kind, -1, 1, &d), OQ_OK, "%s", d.msg);
    for (int i = 0; i < nb; i++) {
        oq_shape s = shape1(n[i]);
        o.vt->observe(&o, x[i], &s);
    }
    cr_assert_eq(oq_observer_qparams(&o, q, scale, zp, &d), OQ_OK);
    oq_observer_free(&o);
}

static const oq_qscheme U8 = {OQ_DT_UINT8, false, false, false};
static const oq_qscheme U8SYM = {OQ_DT_UINT8, true, false, false};
static const oq_qscheme U8RR = {OQ_DT_UINT8, false, true, false};
static const oq_qscheme S8 = {OQ_DT_INT8, false, false, false};
static const oq_qscheme S8SYM = {OQ_DT_INT8, true, false, false};
static const oq_qscheme W8 = {OQ_DT_INT8, true, false, true};

#define EXPECT_QP(s, z, want_s, want_z)                                                           \
    do {                                                                                           \
        cr_expect_eq((s), (want_s), "scale %.9g want %.9g", (double)(s), (double)(want_s));       \
        cr_expect_eq((z), (want_z), "zp %d want %d", (int)(z), (int)(want_z));                    \
    } while (0)

Test(observers, qrange_by_hand)
{
    int32_t lo, hi;
    oq_qrange(&U8, &lo, &hi);
    cr_expect(lo == 0 && hi == 255);
    oq_qrange(&U8RR, &lo, &hi);
    cr_expect(lo == 0 && hi == 127);
    oq_qrange(&S8, &lo, &hi);
    cr_expect(lo == -128 && hi == 127);
    oq_qrange(&W8, &lo, &hi);
    cr_expect(lo == -127 && hi == 127);
    oq_qscheme w8rr = W8;
    w8rr.reduce_range = true;
    oq_qrange(&w8rr, &lo, &hi);
    cr_expect(lo == -64 && hi == 63, "python floor division: got %d %d", lo, hi);
}

Test(observers, calc_qparams_by_hand)
{
    float s;
    int32_t z;
    /* [-1, 1] u8 affine: scale = float(2/255) is a hair above 2/255, so -1/scale = -127.4999..
     * and zp = 127 (PyTorch agrees: MinMaxObserver on [-1, 1] gives zero_point 127) */
    float lo = -1.0f, hi = 1.0f;
    oq_calc_qparams(&U8, &lo, &hi, 1, &s, &z);
    EXPECT_QP(s, z, 2.0f / 255.0f, 127);
    /* [-1, 3] u8 affine: scale 4/255, -1/scale = -63.75 -> round -64 -> zp 64 */
    lo = -1.0f, hi = 3.0f;
    oq_calc_qparams(&U8, &lo, &hi, 1, &s, &z);
    EXPECT_QP(s, z, 4.0f / 255.0f, 64);
    /* [0.5, 2]: range always includes zero -> [0, 2], zp 0 */
    lo = 0.5f, hi = 2.0f;
    oq_calc_qparams(&U8, &lo, &hi, 1, &s, &z);
    EXPECT_QP(s, z, 2.0f / 255.0f, 0);
    /* [-3, -1] -> [-3, 0]: zp = 0 - round(-3 / (3/255)) = 255 */
    lo = -3.0f, hi = -1.0f;
    oq_calc_qparams(&U8, &lo, &hi, 1, &s, &z);
    EXPECT_QP(s, z, 3.0f / 255.0f, 255);
    /* symmetric s8 [-2, 1.27]: max|.| = 2 -> 2 / 127.5 */
    lo = -2.0f, hi = 1.27f;
    oq_calc_qparams(&S8SYM, &lo, &hi, 1, &s, &z);
    EXPECT_QP(s, z, 2.0f / 127.5f, 0);
    /* weights [-127,127]: 2 / 127 */
    oq_calc_qparams(&W8, &lo, &hi, 1, &s, &z);
    EXPECT_QP(s, z, 2.0f / 127.0f, 0);
    /* u8 symmetric: zp 128 */
    oq_calc_qparams(&U8SYM, &lo, &hi, 1, &s, &z);
    EXPECT_QP(s, z, 2.0f / 127.5f, 128);
    /* all zeros: scale clamps to float eps, zp 0 */
    lo = 0.0f, hi = 0.0f;
    oq_calc_qparams(&U8, &lo, &hi, 1, &s, &z);
    EXPECT_QP(s, z, 1.1920928955078125e-07f, 0);
    /* never observed: PyTorch default 1.0 / 0 */
    lo = INFINITY, hi = -INFINITY;
    oq_calc_qparams(&U8, &lo, &hi, 1, &s, &z);
    EXPECT_QP(s, z, 1.0f, 0);
}

Test(observers, minmax_by_hand)
{
    float a[] = {0.5f, -1.0f, 3.0f, NAN, 2.0f};
    float b[] = {-2.0f, 1.0f};
    oq_observer o;
    oq_diag d = {0};
    cr_assert_eq(oq_observer_init(&o, OQ_OBS_MINMAX, -1, 1, &d), OQ_OK);
    oq_shape s = shape1(5);
    o.vt->observe(&o, a, &s);
    cr_expect(o.min[0] == -1.0f && o.max[0] == 3.0f, "NaN skipped: %g %g", o.min[0], o.max[0]);
    s = shape1(2);
    o.vt->observe(&o, b, &s);
    cr_expect(o.min[0] == -2.0f && o.max[0] == 3.0f);
    oq_observer_free(&o);

    /* moving average: first batch sets, then min += 0.01 * (cur - min) */
    cr_assert_eq(oq_observer_init(&o, OQ_OBS_MOVING_AVG, -1, 1, &d), OQ_OK);
    s = shape1(5);
    o.vt->observe(&o, a, &s);
    s = shape1(2);
    o.vt->observe(&o, b, &s);
    cr_expect_eq(o.min[0], -1.0f + 0.01f * (-2.0f - -1.0f));
    cr_expect_eq(o.max[0], 3.0f + 0.01f * (1.0f - 3.0f));
    oq_observer_free(&o);
}

Test(observers, per_channel_by_hand)
{
    /* shape [2,3] axis 1: channel k = column k */
    float w[] = {1, -2, 0.5f, -3, 4, 0.25f};
    oq_shape s = {.rank = 2, .dim = {2, 3}};
    oq_observer o;
    oq_diag d = {0};
    cr_assert_eq(oq_observer_init(&o, OQ_OBS_MINMAX, 1, 3, &d), OQ_OK);
    o.vt->observe(&o, w, &s);
    cr_expect(o.min[0] == -3 && o.max[0] == 1);
    cr_expect(o.min[1] == -2 && o.max[1] == 4);
    cr_expect(o.min[2] == 0.25f && o.max[2] == 0.5f);
    float sc[3];
    int32_t zp[3];
    cr_assert_eq(oq_observer_qparams(&o, &W8, sc, zp, &d), OQ_OK);
    cr_expect(sc[0] == 3.0f / 127.0f && sc[1] == 4.0f / 127.0f && sc[2] == 0.5f / 127.0f);
    cr_expect(zp[0] == 0 && zp[1] == 0 && zp[2] == 0);
    oq_observer_free(&o);
    cr_expect_neq(oq_observer_init(&o, OQ_OBS_MSE, 0, 3, &d), OQ_OK, "histogram per channel");
}

Test(observers, lookup_names)
{
    cr_expect_eq(oq_observer_lookup("entropy"), OQ_OBS_ENTROPY);
    cr_expect_eq(oq_observer_lookup("minmax"), OQ_OBS_MINMAX);
    cr_expect_eq(oq_observer_lookup("nope"), OQ_OBS_COUNT);
    cr_expect_str_eq(oq_observer_name(OQ_OBS_MSE), "mse");
}

/* ---- PyTorch references (tests/passes/torch_observers.py, torch 1.13.0a0) ---- */

Test(observers, torch_minmax)
{
    float *A = gen(1000, 0, -4, 8), *C = gen(500, 3, -2, 3);
    float s;
    int32_t z;
    int n1[] = {1000}, n2[] = {1000, 500};
    run(OQ_OBS_MINMAX, &U8, 1, &A, n1, &s, &z);
    EXPECT_QP(s, z, 0.0470588244f, 85);                  /* minmax_u8_A */
    float *AC[] = {A, C};
    run(OQ_OBS_MINMAX, &U8, 2, AC, n2, &s, &z);
    EXPECT_QP(s, z, 0.0470588244f, 85);                  /* minmax_u8_AC */
    run(OQ_OBS_MINMAX, &S8SYM, 1, &A, n1, &s, &z);
    EXPECT_QP(s, z, 0.0627451017f, 0);                   /* minmax_s8sym_A */
    run(OQ_OBS_MINMAX, &U8SYM, 1, &A, n1, &s, &z);
    EXPECT_QP(s, z, 0.0627451017f, 128);                 /* minmax_u8sym_A */
    run(OQ_OBS_MINMAX, &U8RR, 1, &A, n1, &s, &z);
    EXPECT_QP(s, z, 0.0944881886f, 42);                  /* minmax_u8rr_A */
    run(OQ_OBS_MINMAX, &S8, 1, &A, n1, &s, &z);
    EXPECT_QP(s, z, 0.0470588244f, -43);                 /* minmax_s8_A */
}

Test(observers, torch_moving_average)
{
    float *x[] = {gen(1000, 0, -4, 8), gen(1000, 7, -8, 16), gen(500, 3, -2, 3)};
    int n[] = {1000, 1000, 500};
    float s;
    int32_t z;
    run(OQ_OBS_MOVING_AVG, &U8, 3, x, n, &s, &z);
    EXPECT_QP(s, z, 0.0472501926f, 85);                  /* movavg_u8_ABC */
}

Test(observers, torch_per_channel)
{
    float *w = gen(48, 1, -1.0, 0.5);
    oq_diag d = {0};
    oq_observer o;
    float s[4];
    int32_t z[4];
    oq_shape sh = {.rank = 4, .dim = {4, 3, 2, 2}};
    cr_assert_eq(oq_observer_init(&o, OQ_OBS_MINMAX, 0, 4, &d), OQ_OK);
    o.vt->observe(&o, w, &sh);
    cr_assert_eq(oq_observer_qparams(&o, &W8, s, z, &d), OQ_OK);
    const float ws[4] = {0.00787401572f, 0.00314398156f, 0.00313835661f, 0.00313273165f};
    for (int c = 0; c < 4; c++)                          /* perch_s8sym127_W */
        EXPECT_QP(s[c], z[c], ws[c], 0);
    oq_observer_free(&o);
    cr_assert_eq(oq_observer_init(&o, OQ_OBS_MINMAX, 1, 3, &d), OQ_OK);
    o.vt->observe(&o, w, &sh);
    cr_assert_eq(oq_observer_qparams(&o, &U8, s, z, &d), OQ_OK);
    const float us[3] = {0.00588235306f, 0.00156755f, 0.00156647246f};
    const int32_t uz[3] = {170, 255, 255};
    for (int c = 0; c < 3; c++)                          /* perch_u8_axis1_W */
        EXPECT_QP(s[c], z[c], us[c], uz[c]);
    oq_observer_free(&o);
}

#define EXPECT_QP_REL(s, z, want_s, want_z, tol)                                                  \
    do {                                                                                           \
        cr_expect(fabs((double)(s) - (double)(want_s)) <= (tol) * fabs((double)(want_s)),         \
                  "scale %.9g want %.9g", (double)(s), (double)(want_s));                          \
        cr_expect_eq((z), (want_z), "zp %d want %d", (int)(z), (int)(want_z));                    \
    } while (0)

Test(observers, torch_histogram_mse)
{
    float *A = gen(1000, 0, -4, 8), *B = gen(1000, 7, -8, 16), *R = gen(1000, 5, 0, 6);
    float s;
    int32_t z;
    int n1[] = {1000}, n2[] = {1000, 1000};
    run(OQ_OBS_MSE, &U8, 1, &A, n1, &s, &z);
    EXPECT_QP_REL(s, z, 0.0470358469f, 85, 1e-3);       /* hist_u8_A */
    float *AB[] = {A, B};
    run(OQ_OBS_MSE, &U8, 2, AB, n2, &s, &z);
    EXPECT_QP_REL(s, z, 0.0940716937f, 85, 1e-3);       /* hist_u8_AB (range growth) */
    run(OQ_OBS_MSE, &S8SYM, 1, &A, n1, &s, &z);
    EXPECT_QP_REL(s, z, 0.0626991391f, 0, 1e-3);        /* hist_s8sym_A */
    run(OQ_OBS_MSE, &U8, 1, &R, n1, &s, &z);
    EXPECT_QP_REL(s, z, 0.0235179234f, 0, 1e-3);        /* hist_u8_R */
}

Test(observers, percentile_by_hand)
{
    /* 10000 evenly spaced values in [0, 10): the 99th percentile is 9.9 (within a bin) */
    static float x[10000];
    for (int i = 0; i < 10000; i++)
        x[i] = (float)i / 1000.0f;
    oq_observer o;
    oq_diag d = {0};
    cr_assert_eq(oq_observer_init(&o, OQ_OBS_PERCENTILE, -1, 1, &d), OQ_OK);
    o.percentile = 99.0f;
    oq_shape s = shape1(10000);
    o.vt->observe(&o, x, &s);
    float lo, hi;
    o.vt->finalize(&o, &lo, &hi);
    cr_expect_eq(lo, 0.0f, "one-sided keeps min");
    cr_expect(fabsf(hi - 9.9f) < 10.0f / 2048, "hi %g want 9.9", hi);
    /* shifted to [-5, 5): lo is the 1st percentile, -4.9 */
    for (int i = 0; i < 10000; i++)
        x[i] -= 5.0f;
    oq_observer_free(&o);
    cr_assert_eq(oq_observer_init(&o, OQ_OBS_PERCENTILE, -1, 1, &d), OQ_OK);
    o.percentile = 99.0f;
    o.vt->observe(&o, x, &s);
    o.vt->finalize(&o, &lo, &hi);
    cr_expect(fabsf(lo + 4.9f) < 10.0f / 2048 && fabsf(hi - 4.9f) < 10.0f / 2048, "%g %g", lo, hi);
    oq_observer_free(&o);
}

Test(observers, entropy_clips_outliers)
{
    /* a bell in [-1, 1] (10000 values) plus two outliers at -100 and 100: KL picks a threshold
     * far inside the outliers but not inside the body */
    static float x[10002];
    float *b = gen(1000, 11, -1.0, 1.0);
    for (int r = 0; r < 10; r++)
        memcpy(x + r * 1000, b, 1000 * sizeof *x);
    x[10000] = -100.0f;
    x[10001] = 100.0f;
    oq_observer o;
    oq_diag d = {0};
    cr_assert_eq(oq_observer_init(&o, OQ_OBS_ENTROPY, -1, 1, &d), OQ_OK);
    oq_shape s = shape1(10002);
    o.vt->observe(&o, x, &s);
    float lo, hi;
    o.vt->finalize(&o, &lo, &hi);
    cr_expect(hi >= 0.39f && hi < 10.0f, "hi %g", hi);
    cr_expect(lo == -hi, "symmetric threshold: %g %g", lo, hi);
    oq_observer_free(&o);
    /* no outliers: the threshold covers (nearly) the whole range */
    cr_assert_eq(oq_observer_init(&o, OQ_OBS_ENTROPY, -1, 1, &d), OQ_OK);
    s = shape1(10000);
    float *u = x;
    for (int i = 0; i < 10000; i++)
        u[i] = -1.0f + 2.0f * (float)i / 9999.0f;
    o.vt->observe(&o, u, &s);
    o.vt->finalize(&o, &lo, &hi);
    cr_expect(hi > 0.9f && lo < -0.9f, "uniform keeps its range: %g %g", lo, hi);
    oq_observer_free(&o);
}

Test(observers, histogram_bounded_and_deterministic)
{
    /* many batches: state stays 2048 bins; two runs give the same bits */
    float r1[2], r2[2];
    for (int run_ = 0; run_ < 2; run_++) {
        oq_observer o;
        oq_diag d = {0};
        cr_assert_eq(oq_observer_init(&o, OQ_OBS_MSE, -1, 1, &d), OQ_OK);
        for (int k = 0; k < 50; k++) {
            float *x = gen(1000, k, -1.0 - k * 0.1, 2.0 + k * 0.05);
            oq_shape s = shape1(1000);
            o.vt->observe(&o, x, &s);
        }
        cr_expect_eq(o.bins, 2048u);
        double total = 0;
        for (uint32_t i = 0; i < o.bins; i++)
            total += o.hist[i];
        cr_expect(fabs(total - 50000.0) < 1e-6, "mass kept: %g", total);
        float *r = run_ ? r2 : r1;
        o.vt->finalize(&o, &r[0], &r[1]);
        oq_observer_free(&o);
    }
    cr_expect(memcmp(r1, r2, sizeof r1) == 0);
}
