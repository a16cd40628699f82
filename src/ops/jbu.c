/* Joint bilateral upsampling (Kopf et al. 2007), see gh_ops_jbu in ops_resize.h.
 *
 * Each output pixel reads (2r + 1)^2 low-resolution taps, so the work is in
 * that inner loop: the low-res planes (src and guide_low) are padded once by
 * replication, so taps need no clamping, and the spatial Gaussian is separable,
 * so it is a product of a per-column and a per-row table. The range weights are
 * taken relative to the closest tap in colour (exp(-(d2 - min d2) k)): the
 * normalized result is the same, but the largest weight is never below 1, so
 * the sums cannot underflow unless the spatial weights do. exp itself is a
 * Cephes-style polynomial rather than a lookup table: the AVX2 kernel would
 * need two gathers per tap for an interpolated table, which costs more than
 * the dozen multiply-adds, and the polynomial keeps 1e-7 relative accuracy at
 * every distance. The AVX2 kernel takes 8 consecutive output pixels at a time:
 * at scale >= 1 their nearest low-res columns lie within 8 of each other, so a
 * tap's 8 values come from one unaligned load and one lane permutation. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ghiblify/ops.h"
#include "ops_internal.h"

#define JBU_MAX_RADIUS 16
#define JBU_MAX_TAPS ((2 * JBU_MAX_RADIUS + 1) * (2 * JBU_MAX_RADIUS + 1))
/* weight sums below this count as underflowed (then spatial weights only) */
#define JBU_TINY 1e-30f
/* exp(-80) is just above FLT_MIN; larger exponents are clamped there, which
 * keeps 2^n a normal number in jbu_exp_neg */
#define JBU_TMAX 80.f
#define JBU_CHUNK 8 /* output rows per work item */

struct jbu_job {
    const struct gh_image *guide;
    struct gh_image *out;
    const float *pad; /* sc src planes, then gc guide_low planes, replicate-padded by
                         r (rows and left) and r + 8 (right, for 8-wide loads) */
    size_t pw, psize; /* padded row length and plane size */
    int sc, gc, r, W;
    const int *nx;   /* per output column: nearest low-res column */
    const float *wx; /* 2r + 1 rows of W: horizontal spatial weight of tap dx */
    const int *ny;   /* per output row: nearest low-res row */
    const float *wy; /* per output row: 2r + 1 vertical spatial weights */
    float k;         /* 1 / (2 sigma_range^2) */
    int simd;
};

/* exp(-t) for t >= 0 (NaN and t > JBU_TMAX give exp(-JBU_TMAX)): range
 * reduction by ln 2 in two parts, degree-5 polynomial on [-ln2/2, ln2/2]
 * (Cephes expf), 2^n put into the exponent bits. */
static inline float jbu_exp_neg(float t)
{
    float x = -(t < JBU_TMAX ? t : JBU_TMAX);
    float n = nearbyintf(x * 1.44269504088896341f);
    float f = x - n * 0.693359375f;
    f = f + n * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * f + 1.3981999507e-3f;
    p = p * f + 8.3334519073e-3f;
    p = p * f + 4.1665795894e-2f;
    p = p * f + 1.6666665459e-1f;
    p = p * f + 5.0000001201e-1f;
    float y = p * f * f + f + 1.f;
    uint32_t bits = (uint32_t)((int)n + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return y * scale;
}

/* One output pixel, portable; g holds its guide values, o receives sc values. */
static void jbu_pixel(const struct jbu_job *j, int X, int Y, const float *g, float *o)
{
    int r = j->r, n = 2 * r + 1, taps = n * n, sc = j->sc;
    float d2[JBU_MAX_TAPS], mn = INFINITY;
    const float *wy = j->wy + (size_t)Y * (size_t)n;
    size_t row0 = (size_t)j->ny[Y] * j->pw + (size_t)j->nx[X];
    for (int t = 0; t < taps; t++) {
        size_t off = row0 + (size_t)(t / n) * j->pw + (size_t)(t % n);
        float s = 0;
        for (int c = 0; c < j->gc; c++) {
            float d = g[c] - j->pad[(size_t)(sc + c) * j->psize + off];
            s += d * d;
        }
        d2[t] = s;
        mn = s < mn ? s : mn;
    }
    for (int pass = 0; pass < 2; pass++) {
        float acc[4] = {0, 0, 0, 0}, ws = 0;
        for (int t = 0; t < taps; t++) {
            size_t off = row0 + (size_t)(t / n) * j->pw + (size_t)(t % n);
            float e = pass == 0 ? jbu_exp_neg((d2[t] - mn) * j->k) : 1.f;
            float w = e * j->wx[(size_t)(t % n) * (size_t)j->W + (size_t)X] * wy[t / n];
            for (int c = 0; c < sc; c++)
                acc[c] += w * j->pad[(size_t)c * j->psize + off];
            ws += w;
        }
        if (ws >= JBU_TINY || pass == 1) {
            for (int c = 0; c < sc; c++)
                o[c] = acc[c] / ws;
            return;
        }
    }
}

static void jbu_row_generic(const struct jbu_job *j, int Y, int x0)
{
    int W = j->W;
    for (int X = x0; X < W; X++) {
        float g[4], o[4];
        for (int c = 0; c < j->gc; c++)
            g[c] = gh_image_plane(j->guide, c)[(size_t)Y * (size_t)W + (size_t)X];
        jbu_pixel(j, X, Y, g, o);
        for (int c = 0; c < j->sc; c++)
            gh_image_plane(j->out, c)[(size_t)Y * (size_t)W + (size_t)X] = o[c];
    }
}

#if GH_OPS_X86
#include <immintrin.h>

__attribute__((target("avx2,fma"))) static inline __m256 jbu_exp_neg8(__m256 t)
{
    __m256 x = _mm256_sub_ps(_mm256_setzero_ps(), _mm256_min_ps(t, _mm256_set1_ps(JBU_TMAX)));
    __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                               _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    __m256 f = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
    f = _mm256_fmadd_ps(n, _mm256_set1_ps(2.12194440e-4f), f);
    __m256 p = _mm256_set1_ps(1.9875691500e-4f);
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.3981999507e-3f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(8.3334519073e-3f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(4.1665795894e-2f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(1.6666665459e-1f));
    p = _mm256_fmadd_ps(p, f, _mm256_set1_ps(5.0000001201e-1f));
    __m256 y = _mm256_fmadd_ps(_mm256_mul_ps(p, f), f, _mm256_add_ps(f, _mm256_set1_ps(1.f)));
    __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
    return _mm256_mul_ps(y, _mm256_castsi256_ps(e));
}

/* Full blocks of 8 output pixels of row Y; returns where the portable tail starts. */
__attribute__((target("avx2,fma"))) static int jbu_row_avx2(const struct jbu_job *j, int Y)
{
    int r = j->r, n = 2 * r + 1, sc = j->sc, gc = j->gc, W = j->W;
    size_t pw = j->pw, psize = j->psize, rowY = (size_t)Y * (size_t)W;
    const float *wy = j->wy + (size_t)Y * (size_t)n;
    const float *prow = j->pad + (size_t)j->ny[Y] * pw;
    __m256 d2[JBU_MAX_TAPS];
    int X = 0;
    for (; X + 8 <= W; X += 8) {
        int n0 = j->nx[X];
        __m256i idx = _mm256_sub_epi32(_mm256_loadu_si256((const __m256i *)(j->nx + X)),
                                       _mm256_set1_epi32(n0));
        __m256 g[4];
        for (int c = 0; c < gc; c++)
            g[c] = _mm256_loadu_ps(gh_image_plane(j->guide, c) + rowY + (size_t)X);
        __m256 mn = _mm256_set1_ps(INFINITY);
        for (int dy = 0, t = 0; dy < n; dy++)
            for (int dx = 0; dx < n; dx++, t++) {
                const float *at = prow + (size_t)dy * pw + (size_t)(n0 + dx);
                __m256 s = _mm256_setzero_ps();
                for (int c = 0; c < gc; c++) {
                    __m256 v = _mm256_permutevar8x32_ps(
                        _mm256_loadu_ps(at + (size_t)(sc + c) * psize), idx);
                    __m256 d = _mm256_sub_ps(g[c], v);
                    s = _mm256_fmadd_ps(d, d, s);
                }
                d2[t] = s;
                mn = _mm256_min_ps(mn, s);
            }
        __m256 acc[4], ws = _mm256_setzero_ps(), k = _mm256_set1_ps(j->k);
        for (int c = 0; c < sc; c++)
            acc[c] = _mm256_setzero_ps();
        for (int dy = 0, t = 0; dy < n; dy++) {
            __m256 wyv = _mm256_set1_ps(wy[dy]);
            for (int dx = 0; dx < n; dx++, t++) {
                const float *at = prow + (size_t)dy * pw + (size_t)(n0 + dx);
                __m256 e = jbu_exp_neg8(_mm256_mul_ps(_mm256_sub_ps(d2[t], mn), k));
                __m256 w = _mm256_mul_ps(
                    _mm256_mul_ps(e, _mm256_loadu_ps(j->wx + (size_t)dx * (size_t)W + (size_t)X)),
                    wyv);
                for (int c = 0; c < sc; c++) {
                    __m256 v = _mm256_permutevar8x32_ps(_mm256_loadu_ps(at + (size_t)c * psize), idx);
                    acc[c] = _mm256_fmadd_ps(w, v, acc[c]);
                }
                ws = _mm256_add_ps(ws, w);
            }
        }
        for (int c = 0; c < sc; c++)
            _mm256_storeu_ps(gh_image_plane(j->out, c) + rowY + (size_t)X, _mm256_div_ps(acc[c], ws));
        /* NGE also catches NaN: such lanes go through the portable fallback */
        int bad = _mm256_movemask_ps(_mm256_cmp_ps(ws, _mm256_set1_ps(JBU_TINY), _CMP_NGE_UQ));
        for (int q = 0; bad; q++, bad >>= 1)
            if (bad & 1) {
                float gq[4], o[4];
                for (int c = 0; c < gc; c++)
                    gq[c] = gh_image_plane(j->guide, c)[rowY + (size_t)(X + q)];
                jbu_pixel(j, X + q, Y, gq, o);
                for (int c = 0; c < sc; c++)
                    gh_image_plane(j->out, c)[rowY + (size_t)(X + q)] = o[c];
            }
    }
    return X;
}
#endif

static void jbu_rows(void *ctx, int begin, int end)
{
    const struct jbu_job *j = ctx;
    for (int Y = begin; Y < end; Y++) {
        int x0 = 0;
#if GH_OPS_X86
        if (j->simd)
            x0 = jbu_row_avx2(j, Y);
#endif
        jbu_row_generic(j, Y, x0);
    }
}

/* Nearest low-res index and the low-res position of each of `big` output
 * coordinates (cv2.resize's pixel centres). */
static void jbu_axis(int small, int big, int *nearest, double *pos)
{
    double scale = (double)small / big;
    for (int i = 0; i < big; i++) {
        double x = (i + 0.5) * scale - 0.5;
        int q = (int)floor(x + 0.5);
        nearest[i] = q < 0 ? 0 : q > small - 1 ? small - 1 : q;
        pos[i] = x;
    }
}

enum gh_status gh_ops_jbu(const struct gh_image *src, const struct gh_image *guide_low,
                          const struct gh_image *guide, const struct gh_jbu_params *p,
                          int threads, struct gh_image **out)
{
    *out = NULL;
    enum gh_status st = GH_OK;
    float *pad = NULL, *wx = NULL, *wy = NULL;
    int *nx = NULL, *ny = NULL;
    double *px = NULL, *py = NULL;
    int w = src->width, h = src->height, W = guide->width, H = guide->height;
    int sc = src->channels, gc = guide->channels;
    if (p->radius < 0 || p->radius > JBU_MAX_RADIUS)
        return gh_error(GH_ERR_ARGUMENT, "JBU radius %d (0..%d)", p->radius, JBU_MAX_RADIUS);
    if (!(p->sigma_spatial >= 0.1 && p->sigma_spatial <= 100))
        return gh_error(GH_ERR_ARGUMENT, "JBU sigma_spatial %g (0.1..100)", p->sigma_spatial);
    if (!(p->sigma_range > 0 && p->sigma_range <= 1e6))
        return gh_error(GH_ERR_ARGUMENT, "JBU sigma_range %g (0..1e6]", p->sigma_range);
    if (guide_low->width != w || guide_low->height != h || guide_low->channels != gc)
        return gh_error(GH_ERR_ARGUMENT,
                        "JBU guide_low is %dx%dx%d, want the source's size %dx%d and the guide's "
                        "%d channels",
                        guide_low->width, guide_low->height, guide_low->channels, w, h, gc);
    if (W < w || H < h)
        return gh_error(GH_ERR_ARGUMENT, "JBU guide %dx%d smaller than the source %dx%d", W, H, w,
                        h);
    int r = p->radius, n = 2 * r + 1;
    size_t pw = (size_t)w + 2 * (size_t)r + 8, ph = (size_t)h + 2 * (size_t)r, psize = pw * ph;
    pad = malloc(psize * (size_t)(sc + gc) * sizeof *pad);
    wx = malloc((size_t)n * (size_t)W * sizeof *wx);
    wy = malloc((size_t)n * (size_t)H * sizeof *wy);
    nx = malloc((size_t)W * sizeof *nx);
    ny = malloc((size_t)H * sizeof *ny);
    px = malloc((size_t)W * sizeof *px);
    py = malloc((size_t)H * sizeof *py);
    if (!pad || !wx || !wy || !nx || !ny || !px || !py) {
        st = gh_error(GH_ERR_NOMEM, "no memory for JBU %dx%d -> %dx%d", w, h, W, H);
        goto out;
    }
    for (int c = 0; c < sc + gc; c++) {
        const float *plane = c < sc ? gh_image_plane(src, c) : gh_image_plane(guide_low, c - sc);
        float *dst = pad + (size_t)c * psize;
        for (size_t yy = 0; yy < ph; yy++) {
            long sy = (long)yy - r;
            const float *row = plane + (size_t)(sy < 0 ? 0 : sy >= h ? h - 1 : sy) * (size_t)w;
            float *d = dst + yy * pw;
            for (size_t xx = 0; xx < pw; xx++) {
                long sx = (long)xx - r;
                d[xx] = row[sx < 0 ? 0 : sx >= w ? w - 1 : sx];
            }
        }
    }
    /* The padded plane's column (row) nx + dx is the low-res one nx + dx - r. */
    double inv = -0.5 / (p->sigma_spatial * p->sigma_spatial);
    jbu_axis(w, W, nx, px);
    jbu_axis(h, H, ny, py);
    for (int X = 0; X < W; X++)
        for (int dx = 0; dx < n; dx++) {
            double d = nx[X] + dx - r - px[X];
            wx[(size_t)dx * (size_t)W + (size_t)X] = (float)exp(d * d * inv);
        }
    for (int Y = 0; Y < H; Y++)
        for (int dy = 0; dy < n; dy++) {
            double d = ny[Y] + dy - r - py[Y];
            wy[(size_t)Y * (size_t)n + (size_t)dy] = (float)exp(d * d * inv);
        }
    st = gh_image_new_uninit(W, H, sc, out);
    if (st != GH_OK)
        goto out;
    struct jbu_job j = {.guide = guide,
                        .out = *out,
                        .pad = pad,
                        .pw = pw,
                        .psize = psize,
                        .sc = sc,
                        .gc = gc,
                        .r = r,
                        .W = W,
                        .nx = nx,
                        .wx = wx,
                        .ny = ny,
                        .wy = wy,
                        .k = (float)(0.5 / (p->sigma_range * p->sigma_range)),
                        .simd = gh_ops_simd_level() >= 1};
    gh_ops_parallel_chunks(H, JBU_CHUNK, threads, jbu_rows, &j);
out:
    free(pad);
    free(wx);
    free(wy);
    free(nx);
    free(ny);
    free(px);
    free(py);
    return st;
}
