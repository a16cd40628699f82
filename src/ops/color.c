/* Color spaces as a chain sRGB - linear - XYZ - Lab with HSV beside sRGB: a
 * conversion walks the chain one step at a time, per pixel, so every pair of
 * spaces is covered by eight small functions. Constants are skimage.color's. */
#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ghiblify/ops.h"
#include "ops_internal.h"

/* sRGB primaries, D65 (skimage's xyz_from_rgb) and its inverse. */
static const double XYZ_FROM_RGB[3][3] = {{0.412453, 0.357580, 0.180423},
                                          {0.212671, 0.715160, 0.072169},
                                          {0.019334, 0.119193, 0.950227}};
static double RGB_FROM_XYZ[3][3]; /* filled by invert3 on first use */
static const double WHITE[3] = {0.95047, 1.0, 1.08883};

static void invert3(const double m[3][3], double inv[3][3])
{
    double det = m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) -
                 m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0]) +
                 m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0]);
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) {
            /* cofactor of (j, i) */
            int r0 = (j + 1) % 3, r1 = (j + 2) % 3, c0 = (i + 1) % 3, c1 = (i + 2) % 3;
            inv[i][j] = (m[r0][c0] * m[r1][c1] - m[r0][c1] * m[r1][c0]) / det;
        }
}

static inline float gamma_decode(float v)
{
    return v > 0.04045f ? powf((v + 0.055f) / 1.055f, 2.4f) : v / 12.92f;
}

static inline float gamma_encode(float v)
{
    return v > 0.0031308f ? 1.055f * powf(v, 1.f / 2.4f) - 0.055f : v * 12.92f;
}

static inline float lab_f(float t)
{
    return t > 0.008856f ? cbrtf(t) : 7.787f * t + 16.f / 116.f;
}

static inline float lab_finv(float t)
{
    return t > 0.2068966f ? t * t * t : (t - 16.f / 116.f) / 7.787f;
}

typedef void (*step_fn)(float *p);

static void srgb_to_linear(float *p)
{
    for (int c = 0; c < 3; c++)
        p[c] = gamma_decode(p[c]);
}

static void linear_to_srgb(float *p)
{
    for (int c = 0; c < 3; c++)
        p[c] = gamma_encode(p[c]);
}

static void mat3(const double m[3][3], float *p)
{
    double r = p[0], g = p[1], b = p[2];
    for (int c = 0; c < 3; c++)
        p[c] = (float)(m[c][0] * r + m[c][1] * g + m[c][2] * b);
}

static void linear_to_xyz(float *p)
{
    mat3(XYZ_FROM_RGB, p);
}

static void xyz_to_linear(float *p)
{
    mat3(RGB_FROM_XYZ, p);
}

static void xyz_to_lab(float *p)
{
    float fx = lab_f(p[0] / (float)WHITE[0]), fy = lab_f(p[1]), fz = lab_f(p[2] / (float)WHITE[2]);
    p[0] = 116.f * fy - 16.f;
    p[1] = 500.f * (fx - fy);
    p[2] = 200.f * (fy - fz);
}

static void lab_to_xyz(float *p)
{
    float fy = (p[0] + 16.f) / 116.f, fx = p[1] / 500.f + fy, fz = fy - p[2] / 200.f;
    if (fz < 0) /* as skimage: no negative Z */
        fz = 0;
    p[0] = lab_finv(fx) * (float)WHITE[0];
    p[1] = lab_finv(fy);
    p[2] = lab_finv(fz) * (float)WHITE[2];
}

static void srgb_to_hsv(float *p)
{
    float r = p[0], g = p[1], b = p[2];
    float v = fmaxf(r, fmaxf(g, b)), mn = fminf(r, fminf(g, b)), delta = v - mn;
    float h = 0, s = delta == 0 ? 0 : delta / v;
    if (delta != 0) {
        /* skimage's order: blue wins ties over green over red */
        if (b == v)
            h = 4.f + (r - g) / delta;
        else if (g == v)
            h = 2.f + (b - r) / delta;
        else
            h = (g - b) / delta;
        h /= 6.f;
        h -= floorf(h);
        if (h >= 1.f)
            h = 0;
    }
    p[0] = h;
    p[1] = s;
    p[2] = v;
}

static void hsv_to_srgb(float *p)
{
    float h = p[0], s = p[1], v = p[2];
    float hi = floorf(h * 6), f = h * 6 - hi;
    float pp = v * (1 - s), q = v * (1 - f * s), t = v * (1 - (1 - f) * s);
    int sector = ((int)hi % 6 + 6) % 6;
    const float table[6][3] = {{v, t, pp}, {q, v, pp}, {pp, v, t},
                               {pp, q, v}, {t, pp, v}, {v, pp, q}};
    memcpy(p, table[sector], 3 * sizeof *p);
}

/* Chain positions: HSV hangs off sRGB. */
static const step_fn up_steps[] = {srgb_to_linear, linear_to_xyz, xyz_to_lab}; /* i -> i+1 */
static const step_fn down_steps[] = {linear_to_srgb, xyz_to_linear, lab_to_xyz}; /* i+1 -> i */

struct color_job {
    const struct gh_image *in;
    struct gh_image *out;
    step_fn steps[8];
    int nsteps;
    enum gh_color_space from, to;
};

/* Tables with linear interpolation for the transcendental parts of the common
 * conversions of in-range values (errors below 2e-5, far inside the 0.01 Delta-E
 * tolerance); values outside [0, 1] take the exact functions. */
enum { LUT_N = 4096, CBRT_N = 16384 }; /* lut_cbrt spans [0, 2]: XYZ / white slightly above 1 */
static float lut_dec[LUT_N + 1], lut_enc[LUT_N + 1], lut_cbrt[CBRT_N + 1];
static pthread_once_t lut_once = PTHREAD_ONCE_INIT;

static void lut_init(void)
{
    for (int i = 0; i <= LUT_N; i++) {
        double v = (double)i / LUT_N;
        lut_dec[i] = (float)(v > 0.04045 ? pow((v + 0.055) / 1.055, 2.4) : v / 12.92);
        lut_enc[i] = (float)(v > 0.0031308 ? 1.055 * pow(v, 1 / 2.4) - 0.055 : v * 12.92);
    }
    for (int i = 0; i <= CBRT_N; i++)
        lut_cbrt[i] = (float)cbrt(2.0 * i / CBRT_N);
}

static inline float lut_eval(const float *lut, int n, float v)
{
    float t = v * (float)n;
    int i = (int)t;
    if (i > n - 1)
        i = n - 1;
    float f = t - (float)i;
    return lut[i] + f * (lut[i + 1] - lut[i]);
}

static inline float fast_decode(float v)
{
    return v >= 0 && v <= 1 ? lut_eval(lut_dec, LUT_N, v) : gamma_decode(v);
}

static inline float fast_encode(float v)
{
    /* below the breakpoint the curve is linear; the table's first bins would blur it */
    if (v <= 0.0031308f)
        return v * 12.92f;
    return v <= 1 ? lut_eval(lut_enc, LUT_N, v) : gamma_encode(v);
}

static inline float fast_lab_f(float t)
{
    if (t <= 0.008856f)
        return 7.787f * t + 16.f / 116.f;
    return t <= 2 ? lut_eval(lut_cbrt, CBRT_N, 0.5f * t) : cbrtf(t);
}

static void rows_srgb_to_lab(const float *const in[3], float *const out[3], size_t a, size_t b)
{
    float m[3][3];
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 3; k++)
            m[i][k] = (float)(XYZ_FROM_RGB[i][k] / WHITE[i]);
    for (size_t at = a; at < b; at++) {
        float r = fast_decode(in[0][at]), g = fast_decode(in[1][at]), bl = fast_decode(in[2][at]);
        float fx = fast_lab_f(m[0][0] * r + m[0][1] * g + m[0][2] * bl);
        float fy = fast_lab_f(m[1][0] * r + m[1][1] * g + m[1][2] * bl);
        float fz = fast_lab_f(m[2][0] * r + m[2][1] * g + m[2][2] * bl);
        out[0][at] = 116.f * fy - 16.f;
        out[1][at] = 500.f * (fx - fy);
        out[2][at] = 200.f * (fy - fz);
    }
}

static void rows_lab_to_srgb(const float *const in[3], float *const out[3], size_t a, size_t b)
{
    float m[3][3];
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 3; k++)
            m[i][k] = (float)(RGB_FROM_XYZ[i][k] * WHITE[k]);
    for (size_t at = a; at < b; at++) {
        float fy = (in[0][at] + 16.f) / 116.f, fx = in[1][at] / 500.f + fy,
              fz = fy - in[2][at] / 200.f;
        fz = fz < 0 ? 0 : fz;
        float x = lab_finv(fx), y = lab_finv(fy), z = lab_finv(fz);
        out[0][at] = fast_encode(m[0][0] * x + m[0][1] * y + m[0][2] * z);
        out[1][at] = fast_encode(m[1][0] * x + m[1][1] * y + m[1][2] * z);
        out[2][at] = fast_encode(m[2][0] * x + m[2][1] * y + m[2][2] * z);
    }
}

/* skimage.color.rgb2hsv written with selects only, so it vectorizes; the same
 * results as srgb_to_hsv. */
static inline __attribute__((always_inline)) GH_OPS_NO_TRAPS void
hsv_body(const float *restrict r_, const float *restrict g_, const float *restrict b_,
         float *restrict h_, float *restrict s_, float *restrict v_, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        float r = r_[i], g = g_[i], b = b_[i];
        float mx = r > g ? r : g, mn = r < g ? r : g;
        mx = mx > b ? mx : b;
        mn = mn < b ? mn : b;
        float delta = mx - mn;
        float dv = mx != 0 ? mx : 1.f, dd = delta != 0 ? delta : 1.f;
        /* skimage: blue wins ties, then green; pick the numerator first so that each
         * pixel costs one division for the hue, not three */
        float num = b == mx ? r - g : g == mx ? b - r : g - b;
        float base = b == mx ? 4.f / 6.f : g == mx ? 2.f / 6.f : 0.f;
        float h = base + num * ((1.f / 6.f) / dd);
        h = h < 0 ? h + 1.f : h;
        h_[i] = delta != 0 ? h : 0.f;
        s_[i] = delta / dv;
        v_[i] = mx;
    }
}

GH_OPS_NO_TRAPS static void hsv_generic(const float *r, const float *g, const float *b, float *h, float *s,
                        float *v, size_t n)
{
    hsv_body(r, g, b, h, s, v, n);
}

#if GH_OPS_X86
/* When an output plane starts a little past an input plane modulo 4 KiB (as
 * heap neighbors do), each load of a forward loop matches the low address bits
 * of the store just before it (4K aliasing) and waits for it: walk such planes
 * backwards, 8 pixels at a time, where the loads run away from the stores. */
__attribute__((target("avx2,fma"))) GH_OPS_NO_TRAPS static void
hsv_avx2(const float *r, const float *g, const float *b, float *h, float *s, float *v, size_t n)
{
    size_t ahead = ((uintptr_t)h - (uintptr_t)r) & 4095;
    if (ahead == 0 || ahead >= 2048) {
        hsv_body(r, g, b, h, s, v, n);
        return;
    }
    size_t i = n;
    for (; i >= 8; i -= 8)
        hsv_body(r + i - 8, g + i - 8, b + i - 8, h + i - 8, s + i - 8, v + i - 8, 8);
    hsv_body(r, g, b, h, s, v, i);
}
#endif

static void rows_srgb_to_hsv(const float *const in[3], float *const out[3], size_t a, size_t b)
{
    void (*fn)(const float *, const float *, const float *, float *, float *, float *, size_t) =
        hsv_generic;
#if GH_OPS_X86
    if (gh_ops_simd_level() >= 1)
        fn = hsv_avx2;
#endif
    fn(in[0] + a, in[1] + a, in[2] + a, out[0] + a, out[1] + a, out[2] + a, b - a);
}

#if GH_OPS_X86
#include <immintrin.h>

/* Nonzero if every lane of v lies in [0, 1]. */
__attribute__((target("avx2,fma"))) static inline int in01(__m256 v)
{
    __m256 ok = _mm256_and_ps(_mm256_cmp_ps(v, _mm256_setzero_ps(), _CMP_GE_OQ),
                              _mm256_cmp_ps(v, _mm256_set1_ps(1.f), _CMP_LE_OQ));
    return _mm256_movemask_ps(ok) == 0xff;
}

/* Cube root of positive t without tables (table gathers are slow on some x86
 * cores): the inverse cube root from an exponent-bits guess (3.5% off) refined by
 * 3 division-free Newton steps y <- y (4 - t y^3) / 3, then t y^2 (relative
 * error below 5e-7 on [0.0088, 2]). */
__attribute__((target("avx2,fma"))) static inline __m256 cbrt8(__m256 t)
{
    __m256i bits = _mm256_castps_si256(t);
    __m256i third = _mm256_cvttps_epi32(_mm256_mul_ps(_mm256_cvtepi32_ps(bits),
                                                      _mm256_set1_ps(1.f / 3.f)));
    __m256 y = _mm256_castsi256_ps(_mm256_sub_epi32(_mm256_set1_epi32(0x54a21d2a), third));
    for (int it = 0; it < 3; it++) {
        __m256 y3t = _mm256_mul_ps(_mm256_mul_ps(_mm256_mul_ps(y, y), y), t);
        y = _mm256_mul_ps(y, _mm256_fnmadd_ps(y3t, _mm256_set1_ps(1.f / 3.f),
                                              _mm256_set1_ps(4.f / 3.f)));
    }
    return _mm256_mul_ps(t, _mm256_mul_ps(y, y));
}

/* sRGB decoding on [0, 1]: below the knee v / 12.92, above it a degree-9
 * polynomial fit of ((v + 0.055) / 1.055)^2.4 on [0.04045, 1], least squares
 * weighted by value^-2/3 so that dark colors, where Lab is most sensitive, get
 * the smallest errors (absolute error at most 2.6e-6, about 1e-4 in L). */
__attribute__((target("avx2,fma"))) static inline __m256 decode8(__m256 v)
{
    static const float c[10] = {8.412564057e-04f, 3.592109308e-02f, 4.749680161e-01f,
                                9.469816685e-01f, -1.244431973e+00f, 1.948127747e+00f,
                                -2.332819462e+00f, 1.852297783e+00f, -8.531694412e-01f,
                                1.712857336e-01f};
    __m256 p = _mm256_set1_ps(c[9]);
    for (int i = 8; i >= 0; i--)
        p = _mm256_fmadd_ps(p, v, _mm256_set1_ps(c[i]));
    __m256 lin = _mm256_mul_ps(v, _mm256_set1_ps(1.f / 12.92f));
    return _mm256_blendv_ps(p, lin, _mm256_cmp_ps(v, _mm256_set1_ps(0.04045f), _CMP_LE_OQ));
}

__attribute__((target("avx2,fma"))) static inline __m256 lab_f8(__m256 t)
{
    __m256 lin = _mm256_fmadd_ps(t, _mm256_set1_ps(7.787f), _mm256_set1_ps(16.f / 116.f));
    __m256 small = _mm256_cmp_ps(t, _mm256_set1_ps(0.008856f), _CMP_LE_OQ);
    /* small lanes may hold 0 or tiny values: give them a harmless cube root input */
    __m256 cub = cbrt8(_mm256_blendv_ps(t, _mm256_set1_ps(1.f), small));
    return _mm256_blendv_ps(cub, lin, small);
}

/* 8 pixels at a time; blocks with any value outside the tables' range take the
 * scalar path, which handles everything. */
__attribute__((target("avx2,fma"))) static void
rows_srgb_to_lab_avx2(const float *const in[3], float *const out[3], size_t a, size_t b)
{
    float m[3][3];
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 3; k++)
            m[i][k] = (float)(XYZ_FROM_RGB[i][k] / WHITE[i]);
    size_t at = a;
    for (; at + 8 <= b; at += 8) {
        __m256 r = _mm256_loadu_ps(in[0] + at), g = _mm256_loadu_ps(in[1] + at),
               bl = _mm256_loadu_ps(in[2] + at);
        if (!in01(r) || !in01(g) || !in01(bl)) {
            rows_srgb_to_lab(in, out, at, at + 8);
            continue;
        }
        r = decode8(r);
        g = decode8(g);
        bl = decode8(bl);
        __m256 t[3];
        for (int i = 0; i < 3; i++)
            t[i] = _mm256_fmadd_ps(_mm256_set1_ps(m[i][0]), r,
                                   _mm256_fmadd_ps(_mm256_set1_ps(m[i][1]), g,
                                                   _mm256_mul_ps(_mm256_set1_ps(m[i][2]), bl)));
        __m256 half = _mm256_set1_ps(0.5f);
        if (!in01(_mm256_mul_ps(t[0], half)) || !in01(_mm256_mul_ps(t[1], half)) ||
            !in01(_mm256_mul_ps(t[2], half))) {
            rows_srgb_to_lab(in, out, at, at + 8);
            continue;
        }
        __m256 fx = lab_f8(t[0]), fy = lab_f8(t[1]), fz = lab_f8(t[2]);
        _mm256_storeu_ps(out[0] + at, _mm256_fmsub_ps(_mm256_set1_ps(116.f), fy,
                                                      _mm256_set1_ps(16.f)));
        _mm256_storeu_ps(out[1] + at, _mm256_mul_ps(_mm256_set1_ps(500.f), _mm256_sub_ps(fx, fy)));
        _mm256_storeu_ps(out[2] + at, _mm256_mul_ps(_mm256_set1_ps(200.f), _mm256_sub_ps(fy, fz)));
    }
    rows_srgb_to_lab(in, out, at, b);
}

__attribute__((target("avx2,fma"))) static inline __m256 lab_finv8(__m256 t)
{
    __m256 cube = _mm256_mul_ps(_mm256_mul_ps(t, t), t);
    __m256 lin = _mm256_mul_ps(_mm256_sub_ps(t, _mm256_set1_ps(16.f / 116.f)),
                               _mm256_set1_ps(1.f / 7.787f));
    return _mm256_blendv_ps(lin, cube, _mm256_cmp_ps(t, _mm256_set1_ps(0.2068966f), _CMP_GT_OQ));
}

__attribute__((target("avx2,fma"))) static void
rows_lab_to_srgb_avx2(const float *const in[3], float *const out[3], size_t a, size_t b)
{
    float m[3][3];
    for (int i = 0; i < 3; i++)
        for (int k = 0; k < 3; k++)
            m[i][k] = (float)(RGB_FROM_XYZ[i][k] * WHITE[k]);
    size_t at = a;
    for (; at + 8 <= b; at += 8) {
        __m256 fy = _mm256_mul_ps(_mm256_add_ps(_mm256_loadu_ps(in[0] + at), _mm256_set1_ps(16.f)),
                                  _mm256_set1_ps(1.f / 116.f));
        __m256 fx = _mm256_fmadd_ps(_mm256_loadu_ps(in[1] + at), _mm256_set1_ps(1.f / 500.f), fy);
        __m256 fz = _mm256_fnmadd_ps(_mm256_loadu_ps(in[2] + at), _mm256_set1_ps(1.f / 200.f), fy);
        fz = _mm256_max_ps(fz, _mm256_setzero_ps());
        __m256 x = lab_finv8(fx), y = lab_finv8(fy), z = lab_finv8(fz), v[3];
        for (int i = 0; i < 3; i++)
            v[i] = _mm256_fmadd_ps(_mm256_set1_ps(m[i][0]), x,
                                   _mm256_fmadd_ps(_mm256_set1_ps(m[i][1]), y,
                                                   _mm256_mul_ps(_mm256_set1_ps(m[i][2]), z)));
        if (!in01(v[0]) || !in01(v[1]) || !in01(v[2])) {
            rows_lab_to_srgb(in, out, at, at + 8);
            continue;
        }
        for (int i = 0; i < 3; i++) {
            __m256 lin = _mm256_mul_ps(v[i], _mm256_set1_ps(12.92f));
            /* v^(1/2.4) = v^(1/4) v^(1/6) = sqrt(sqrt(v)) sqrt(cbrt(v)), no tables */
            __m256 small = _mm256_cmp_ps(v[i], _mm256_set1_ps(0.0031308f), _CMP_LE_OQ);
            __m256 vs = _mm256_blendv_ps(v[i], _mm256_set1_ps(1.f), small);
            __m256 root = _mm256_mul_ps(_mm256_sqrt_ps(_mm256_sqrt_ps(vs)),
                                        _mm256_sqrt_ps(cbrt8(vs)));
            __m256 enc = _mm256_fmsub_ps(root, _mm256_set1_ps(1.055f), _mm256_set1_ps(0.055f));
            _mm256_storeu_ps(out[i] + at, _mm256_blendv_ps(enc, lin, small));
        }
    }
    rows_lab_to_srgb(in, out, at, b);
}
#endif

static void color_rows(void *ctx, int begin, int end)
{
    struct color_job *j = ctx;
    size_t w = (size_t)j->in->width;
    const float *i0 = gh_image_plane(j->in, 0), *i1 = gh_image_plane(j->in, 1),
                *i2 = gh_image_plane(j->in, 2);
    float *o0 = gh_image_plane(j->out, 0), *o1 = gh_image_plane(j->out, 1),
          *o2 = gh_image_plane(j->out, 2);
    const float *const in[3] = {i0, i1, i2};
    float *const out[3] = {o0, o1, o2};
    int simd = gh_ops_simd_level() >= 1;
    (void)simd;
    if (j->from == GH_COLOR_SRGB && j->to == GH_COLOR_LAB) {
#if GH_OPS_X86
        if (simd) {
            rows_srgb_to_lab_avx2(in, out, (size_t)begin * w, (size_t)end * w);
            return;
        }
#endif
        rows_srgb_to_lab(in, out, (size_t)begin * w, (size_t)end * w);
        return;
    }
    if (j->from == GH_COLOR_LAB && j->to == GH_COLOR_SRGB) {
#if GH_OPS_X86
        if (simd) {
            rows_lab_to_srgb_avx2(in, out, (size_t)begin * w, (size_t)end * w);
            return;
        }
#endif
        rows_lab_to_srgb(in, out, (size_t)begin * w, (size_t)end * w);
        return;
    }
    if (j->from == GH_COLOR_SRGB && j->to == GH_COLOR_HSV) {
        rows_srgb_to_hsv(in, out, (size_t)begin * w, (size_t)end * w);
        return;
    }
    for (size_t at = (size_t)begin * w; at < (size_t)end * w; at++) {
        float p[3] = {i0[at], i1[at], i2[at]};
        for (int s = 0; s < j->nsteps; s++)
            j->steps[s](p);
        o0[at] = p[0];
        o1[at] = p[1];
        o2[at] = p[2];
    }
}

static void invert_once(void)
{
    invert3(XYZ_FROM_RGB, RGB_FROM_XYZ);
}

static void init_matrices(void)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    pthread_once(&once, invert_once);
}

enum gh_status gh_ops_color_convert(const struct gh_image *in, enum gh_color_space from,
                                    enum gh_color_space to, int threads, struct gh_image **out)
{
    *out = NULL;
    if ((unsigned)from >= GH_COLOR_COUNT || (unsigned)to >= GH_COLOR_COUNT)
        return gh_error(GH_ERR_ARGUMENT, "unknown color space %d or %d", (int)from, (int)to);
    if (in->channels != 3)
        return gh_error(GH_ERR_ARGUMENT, "color conversion needs 3 channels, not %d",
                        in->channels);
    init_matrices();
    pthread_once(&lut_once, lut_init);
    struct color_job j = {.in = in, .from = from, .to = to};
    int a = from, b = to;
    if (a == GH_COLOR_HSV) {
        j.steps[j.nsteps++] = hsv_to_srgb;
        a = GH_COLOR_SRGB;
    }
    int target = b == GH_COLOR_HSV ? GH_COLOR_SRGB : b;
    for (; a < target; a++)
        j.steps[j.nsteps++] = up_steps[a];
    for (; a > target; a--)
        j.steps[j.nsteps++] = down_steps[a - 1];
    if (b == GH_COLOR_HSV)
        j.steps[j.nsteps++] = srgb_to_hsv;
    enum gh_status st = gh_image_new_uninit(in->width, in->height, 3, out);
    if (st != GH_OK)
        return st;
    j.out = *out;
    gh_ops_parallel_chunks(in->height, 32, threads, color_rows, &j);
    return GH_OK;
}

struct gray_job {
    const struct gh_image *in;
    struct gh_image *out;
};

static void gray_rows(void *ctx, int begin, int end)
{
    struct gray_job *j = ctx;
    size_t w = (size_t)j->in->width;
    const float *r = gh_image_plane(j->in, 0), *g = gh_image_plane(j->in, 1),
                *b = gh_image_plane(j->in, 2);
    float *o = j->out->data;
    for (size_t at = (size_t)begin * w; at < (size_t)end * w; at++)
        o[at] = 0.299f * r[at] + 0.587f * g[at] + 0.114f * b[at];
}

enum gh_status gh_ops_rgb_to_gray(const struct gh_image *in, int threads, struct gh_image **out)
{
    *out = NULL;
    if (in->channels != 3)
        return gh_error(GH_ERR_ARGUMENT, "gray conversion needs 3 channels, not %d", in->channels);
    enum gh_status st = gh_image_new_uninit(in->width, in->height, 1, out);
    if (st != GH_OK)
        return st;
    struct gray_job j = {in, *out};
    gh_parallel_for(in->height, threads, gray_rows, &j);
    return GH_OK;
}

/* Mean/std in double, summed per row range then combined in order (deterministic). */
static void plane_stats(const float *p, size_t n, double *mean, double *std)
{
    double s = 0, ss = 0;
    for (size_t i = 0; i < n; i++)
        s += p[i];
    double m = n ? s / (double)n : 0;
    for (size_t i = 0; i < n; i++) {
        double d = p[i] - m;
        ss += d * d;
    }
    *mean = m;
    *std = n ? sqrt(ss / (double)n) : 0;
}

enum gh_status gh_ops_lab_stats(const struct gh_image *rgb, int threads,
                                struct gh_lab_stats *stats)
{
    struct gh_image *lab = NULL;
    enum gh_status st = gh_ops_color_convert(rgb, GH_COLOR_SRGB, GH_COLOR_LAB, threads, &lab);
    if (st != GH_OK)
        return st;
    for (int c = 0; c < 3; c++)
        plane_stats(gh_image_plane(lab, c), gh_image_plane_size(lab), &stats->mean[c],
                    &stats->std[c]);
    gh_image_free(lab);
    return GH_OK;
}

/* own: in's Lab statistics, or NULL to measure them from in. */
static enum gh_status reinhard(const struct gh_image *in, const struct gh_lab_stats *own,
                               const struct gh_lab_stats *target, double amount, int threads,
                               struct gh_image **out)
{
    struct gh_image *lab = NULL;
    struct gh_lab_stats measured;
    *out = NULL;
    enum gh_status st = gh_ops_color_convert(in, GH_COLOR_SRGB, GH_COLOR_LAB, threads, &lab);
    if (st != GH_OK)
        return st;
    size_t n = gh_image_plane_size(lab);
    for (int c = 0; c < 3; c++) {
        float *p = gh_image_plane(lab, c);
        if (!own)
            plane_stats(p, n, &measured.mean[c], &measured.std[c]);
        const struct gh_lab_stats *src = own ? own : &measured;
        /* A flat channel has no spread to scale: only shift it. */
        double scale = src->std[c] > 1e-12 ? target->std[c] / src->std[c] : 1.0;
        double a = 1 + amount * (scale - 1);
        double b = amount * (target->mean[c] - scale * src->mean[c]);
        for (size_t i = 0; i < n; i++)
            p[i] = (float)(a * p[i] + b);
    }
    st = gh_ops_color_convert(lab, GH_COLOR_LAB, GH_COLOR_SRGB, threads, out);
    gh_image_free(lab);
    return st;
}

enum gh_status gh_ops_reinhard(const struct gh_image *in, const struct gh_lab_stats *target,
                               double amount, int threads, struct gh_image **out)
{
    return reinhard(in, NULL, target, amount, threads, out);
}

enum gh_status gh_ops_reinhard_from(const struct gh_image *in, const struct gh_lab_stats *own,
                                    const struct gh_lab_stats *target, double amount, int threads,
                                    struct gh_image **out)
{
    return reinhard(in, own, target, amount, threads, out);
}

enum { HM_BINS = 65536 };

static inline int hm_key(float v)
{
    float k = v * (HM_BINS - 1);
    return k <= 0 ? 0 : k >= HM_BINS - 1 ? HM_BINS - 1 : (int)lrintf(k);
}

struct hist_job {
    const struct gh_image *in, *ref;
    struct gh_image *out;
    uint32_t *counts; /* 2 * HM_BINS per channel */
    float *lut;       /* HM_BINS per channel */
};

static void histmatch_channels(void *ctx, int begin, int end)
{
    struct hist_job *j = ctx;
    for (int c = begin; c < end; c++) {
        uint32_t *sc = j->counts + (size_t)c * 2 * HM_BINS, *tc = sc + HM_BINS;
        float *lut = j->lut + (size_t)c * HM_BINS;
        const float *src = gh_image_plane(j->in, c), *tmpl = gh_image_plane(j->ref, c);
        size_t ns = gh_image_plane_size(j->in), nt = gh_image_plane_size(j->ref);
        for (size_t i = 0; i < ns; i++)
            sc[hm_key(src[i])]++;
        for (size_t i = 0; i < nt; i++)
            tc[hm_key(tmpl[i])]++;
        /* np.interp(src_quantiles, tmpl_quantiles, tmpl_values) over the occupied bins. */
        uint64_t scum = 0, tcum = 0;
        int t = -1;              /* last template bin with quantile <= current */
        double tq_prev = 0;      /* its quantile */
        int t_next = 0;          /* next occupied template bin */
        while (t_next < HM_BINS && !tc[t_next])
            t_next++;
        for (int k = 0; k < HM_BINS; k++) {
            if (!sc[k])
                continue;
            scum += sc[k];
            double q = (double)scum / (double)ns;
            /* advance while the next template quantile is <= q */
            while (t_next < HM_BINS) {
                double nq = (double)(tcum + tc[t_next]) / (double)nt;
                if (nq > q)
                    break;
                tcum += tc[t_next];
                t = t_next;
                tq_prev = nq;
                t_next++;
                while (t_next < HM_BINS && !tc[t_next])
                    t_next++;
            }
            double v;
            if (t < 0) { /* below the first template quantile */
                v = t_next / (double)(HM_BINS - 1);
            } else if (t_next >= HM_BINS || q == tq_prev) {
                v = t / (double)(HM_BINS - 1);
            } else {
                double nq = (double)(tcum + tc[t_next]) / (double)nt;
                double f = (q - tq_prev) / (nq - tq_prev);
                v = (t + f * (t_next - t)) / (double)(HM_BINS - 1);
            }
            lut[k] = (float)v;
        }
        float *dst = gh_image_plane(j->out, c);
        for (size_t i = 0; i < ns; i++)
            dst[i] = lut[hm_key(src[i])];
    }
}

enum gh_status gh_ops_histmatch(const struct gh_image *in, const struct gh_image *reference,
                                int threads, struct gh_image **out)
{
    *out = NULL;
    if (in->channels != reference->channels)
        return gh_error(GH_ERR_ARGUMENT, "histogram matching: %d channels against %d",
                        in->channels, reference->channels);
    struct hist_job j = {in, reference, NULL, NULL, NULL};
    j.counts = calloc((size_t)in->channels * 2 * HM_BINS, sizeof *j.counts);
    j.lut = malloc((size_t)in->channels * HM_BINS * sizeof *j.lut);
    enum gh_status st = GH_OK;
    if (!j.counts || !j.lut) {
        st = gh_error(GH_ERR_NOMEM, "no memory for histograms");
        goto out;
    }
    if ((st = gh_image_new(in->width, in->height, in->channels, out)) != GH_OK)
        goto out;
    j.out = *out;
    gh_parallel_for(in->channels, threads, histmatch_channels, &j);
out:
    free(j.counts);
    free(j.lut);
    return st;
}
