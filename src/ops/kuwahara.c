/* Kuwahara filters: the classic four-quadrant one and the generalized filter of
 * Papari, Petkov & Campisi (2007), "Artistic edge and corner enhancing smoothing",
 * IEEE TIP 16(10), with the bounded sector weights 1 / (1 + s^q) of Kyprianidis
 * et al. (2009). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ghiblify/ops.h"
#include "ops_internal.h"

/* ---- Classic Kuwahara ---------------------------------------------------- */
struct kuwahara_job {
    const struct gh_image *in;
    struct gh_image *out;
    const double *sat; /* per channel summed-area table of values, then of squares:
                          2 * channels tables of (w + 1) x (h + 1) */
    int r;
};

static inline double rect_sum(const double *t, int w, int x0, int y0, int x1, int y1)
{
    size_t s = (size_t)w + 1; /* inclusive pixel bounds -> table corners */
    return t[(size_t)(y1 + 1) * s + (size_t)(x1 + 1)] - t[(size_t)y0 * s + (size_t)(x1 + 1)] -
           t[(size_t)(y1 + 1) * s + (size_t)x0] + t[(size_t)y0 * s + (size_t)x0];
}

static void kuwahara_rows(void *ctx, int begin, int end)
{
    struct kuwahara_job *j = ctx;
    int w = j->in->width, h = j->in->height, ch = j->in->channels, r = j->r;
    size_t tsize = ((size_t)w + 1) * ((size_t)h + 1);
    for (int y = begin; y < end; y++)
        for (int x = 0; x < w; x++) {
            double best_var = INFINITY, best_mean[4] = {0};
            for (int q = 0; q < 4; q++) {
                int x0 = q & 1 ? x : x - r, x1 = q & 1 ? x + r : x;
                int y0 = q & 2 ? y : y - r, y1 = q & 2 ? y + r : y;
                x0 = x0 < 0 ? 0 : x0;
                y0 = y0 < 0 ? 0 : y0;
                x1 = x1 > w - 1 ? w - 1 : x1;
                y1 = y1 > h - 1 ? h - 1 : y1;
                double cnt = (double)(x1 - x0 + 1) * (y1 - y0 + 1), var = 0, mean[4];
                for (int c = 0; c < ch; c++) {
                    double s = rect_sum(j->sat + (size_t)c * tsize, w, x0, y0, x1, y1);
                    double s2 = rect_sum(j->sat + (size_t)(ch + c) * tsize, w, x0, y0, x1, y1);
                    mean[c] = s / cnt;
                    var += s2 / cnt - mean[c] * mean[c];
                }
                if (var < best_var) {
                    best_var = var;
                    memcpy(best_mean, mean, sizeof mean);
                }
            }
            for (int c = 0; c < ch; c++)
                gh_image_plane(j->out, c)[(size_t)y * (size_t)w + (size_t)x] = (float)best_mean[c];
        }
}

enum gh_status gh_ops_kuwahara(const struct gh_image *in, int radius, int threads,
                               struct gh_image **out)
{
    *out = NULL;
    if (radius < 1 || radius > 1000)
        return gh_error(GH_ERR_ARGUMENT, "Kuwahara radius %d (1..1000)", radius);
    int w = in->width, h = in->height, ch = in->channels;
    size_t tsize = ((size_t)w + 1) * ((size_t)h + 1);
    double *sat = calloc(2 * (size_t)ch * tsize, sizeof *sat);
    if (!sat)
        return gh_error(GH_ERR_NOMEM, "no memory for Kuwahara on %dx%d", w, h);
    for (int t = 0; t < 2 * ch; t++) {
        const float *p = gh_image_plane(in, t % ch);
        double *s = sat + (size_t)t * tsize;
        for (int y = 0; y < h; y++) {
            double row = 0;
            for (int x = 0; x < w; x++) {
                double v = p[(size_t)y * (size_t)w + (size_t)x];
                row += t < ch ? v : v * v;
                s[(size_t)(y + 1) * ((size_t)w + 1) + (size_t)x + 1] =
                    s[(size_t)y * ((size_t)w + 1) + (size_t)x + 1] + row;
            }
        }
    }
    enum gh_status st = gh_image_new(w, h, ch, out);
    if (st == GH_OK) {
        struct kuwahara_job j = {in, *out, sat, radius};
        gh_parallel_for(h, threads, kuwahara_rows, &j);
    }
    free(sat);
    return st;
}

/* ---- Generalized Kuwahara ------------------------------------------------ */
#define KG_SECTORS 8
#define KG_CHUNK 64 /* pixels per block: the 8-sector sums of a block stay in L1 */
#define KG_UNROLL 4 /* taps per pass; the tap list is padded with zero weights */
_Static_assert(KG_UNROLL == 4, "kg_block spells out 4 taps");

/* Mass of the Gaussian N(p, sigma^2 I) inside the wedge of angles [a, b] with its
 * apex at the origin, i.e. (chi * G_sigma)(p). In polar coordinates around the
 * origin the radial integral has a closed form, leaving a smooth integrand in the
 * angle, integrated by composite 8-point Gauss-Legendre with panels narrower than
 * the angular blur sigma / |p|. */
static double wedge_mass(double px, double py, double sigma, double a, double b)
{
    static const double node[4] = {0.1834346424956498, 0.5255324099163290, 0.7966664774136267,
                                   0.9602898564975363};
    static const double weight[4] = {0.3626837833783620, 0.3137066458778873, 0.2223810344533745,
                                     0.1012285362903763};
    double p2 = px * px + py * py, s2 = 2 * sigma * sigma;
    double base = exp(-p2 / s2) / (2 * M_PI), lin = 1 / (sigma * sqrt(2 * M_PI));
    int panels = 1 + (int)(sqrt(p2) / sigma * (b - a));
    double half = (b - a) / (2 * panels), sum = 0;
    for (int k = 0; k < panels; k++) {
        double mid = a + (2 * k + 1) * half;
        for (int j = 0; j < 8; j++) {
            double phi = mid + (j & 1 ? -half : half) * node[j / 2];
            double t = px * cos(phi) + py * sin(phi), d2 = fmax(p2 - t * t, 0);
            double g = base + lin * t * exp(-d2 / s2) * 0.5 * erfc(-t / (sigma * M_SQRT2));
            sum += half * weight[j / 2] * g;
        }
    }
    return sum;
}

struct kg_job {
    const float *pad; /* reflect-101 padded planes, (w + 2r) x (h + 2r) each */
    size_t pw, psize;
    int w, ch, r, taps;
    const int *dx, *dy;
    const float *wt; /* taps x 8 sector weights, each sector normalized to sum 1 */
    int qint;        /* q is an integer: s^q = t^(q/2) by multiplications (t = s^2) */
    double q;
    struct gh_image *out;
};

/* s^q from t = s^2 for a block; integer q needs no pow(), so it vectorizes. */
static inline __attribute__((always_inline)) void kg_power(const struct kg_job *j, const double *t,
                                                           double *pw, int n)
{
    if (!j->qint) {
        for (int x = 0; x < n; x++)
            pw[x] = pow(t[x], 0.5 * j->q);
        return;
    }
    int k = (int)j->q / 2;
    if ((int)j->q & 1)
        for (int x = 0; x < n; x++)
            pw[x] = sqrt(t[x]);
    else
        for (int x = 0; x < n; x++)
            pw[x] = 1;
    for (int i = 0; i < k; i++)
        for (int x = 0; x < n; x++)
            pw[x] *= t[x];
}

/* One block of n <= KG_CHUNK pixels of row y starting at x0. Sums run over
 * differences to the center pixel, which keeps the float variances (mean of
 * squares minus squared mean) free of cancellation. */
static inline __attribute__((always_inline)) void kg_block(const struct kg_job *j, int y, int x0,
                                                           int n)
{
    int ch = j->ch, r = j->r;
    float cen[4][KG_CHUNK], D[KG_UNROLL][5][KG_CHUNK];
    /* per channel, then (index ch) the squares summed over channels */
    float A[5][KG_SECTORS][KG_CHUNK];
    double var[KG_CHUNK], pw[KG_CHUNK], num[4][KG_CHUNK], eq[4][KG_CHUNK], den[KG_CHUNK];
    size_t row0 = (size_t)(y + r) * j->pw + (size_t)(x0 + r);
    for (int c = 0; c < ch; c++)
        memcpy(cen[c], j->pad + (size_t)c * j->psize + row0, (size_t)n * sizeof(float));
    memset(A, 0, sizeof A);
    /* KG_UNROLL taps per pass over the sums: fewer loads and stores of A per flop */
    for (int t = 0; t < j->taps; t += KG_UNROLL) {
        for (int u = 0; u < KG_UNROLL; u++) {
            ptrdiff_t off = (ptrdiff_t)j->dy[t + u] * (ptrdiff_t)j->pw + j->dx[t + u];
            float *sq = D[u][ch];
            for (int x = 0; x < n; x++)
                sq[x] = 0;
            for (int c = 0; c < ch; c++) {
                const float *src = j->pad + (size_t)c * j->psize + row0 + off;
                float *dc = D[u][c];
                for (int x = 0; x < n; x++) {
                    float v = src[x] - cen[c][x];
                    dc[x] = v;
                    sq[x] += v * v;
                }
            }
        }
        const float *w = j->wt + (size_t)t * KG_SECTORS;
        for (int i = 0; i < KG_SECTORS; i++) {
            float w0 = w[i], w1 = w[KG_SECTORS + i], w2 = w[2 * KG_SECTORS + i],
                  w3 = w[3 * KG_SECTORS + i];
            for (int c = 0; c <= ch; c++) {
                float *a = A[c][i];
                const float *d0 = D[0][c], *d1 = D[1][c], *d2 = D[2][c], *d3 = D[3][c];
                for (int x = 0; x < n; x++)
                    a[x] += w0 * d0[x] + w1 * d1[x] + w2 * d2[x] + w3 * d3[x];
            }
        }
    }
    for (int x = 0; x < n; x++)
        den[x] = 0;
    for (int c = 0; c < ch; c++)
        for (int x = 0; x < n; x++)
            num[c][x] = eq[c][x] = 0;
    for (int i = 0; i < KG_SECTORS; i++) {
        for (int x = 0; x < n; x++)
            var[x] = A[ch][i][x];
        for (int c = 0; c < ch; c++)
            for (int x = 0; x < n; x++)
                var[x] -= (double)A[c][i][x] * A[c][i][x];
        for (int x = 0; x < n; x++) /* t = s^2 in 8-bit levels */
            var[x] = var[x] > 0 ? var[x] * (255.0 * 255.0) : 0;
        kg_power(j, var, pw, n);
        for (int x = 0; x < n; x++) {
            pw[x] = 1 / (1 + pw[x]);
            den[x] += pw[x];
        }
        for (int c = 0; c < ch; c++)
            for (int x = 0; x < n; x++) {
                double m = (double)cen[c][x] + A[c][i][x];
                num[c][x] += pw[x] * m;
                eq[c][x] += m;
            }
    }
    /* every a_i underflows only for absurd deviations (far outside [0, 1]):
       then all sectors count alike (f = 1; num is then negligible) */
    for (int x = 0; x < n; x++)
        var[x] = den[x] > 1e-300 ? 0.0 : 1.0;
    for (int c = 0; c < ch; c++) {
        float *o = gh_image_plane(j->out, c) + (size_t)y * (size_t)j->w + (size_t)x0;
        for (int x = 0; x < n; x++)
            o[x] = (float)((num[c][x] + var[x] * eq[c][x] / KG_SECTORS) / (den[x] + var[x]));
    }
}

static void GH_OPS_NO_TRAPS kg_rows_generic(const struct kg_job *j, int begin, int end)
{
    for (int y = begin; y < end; y++)
        for (int x0 = 0; x0 < j->w; x0 += KG_CHUNK)
            kg_block(j, y, x0, j->w - x0 < KG_CHUNK ? j->w - x0 : KG_CHUNK);
}

#if GH_OPS_X86
/* The same code compiled for 8-wide vectors (same results up to rounding). */
__attribute__((target("avx2,fma"))) GH_OPS_NO_TRAPS static void
kg_rows_avx2(const struct kg_job *j, int begin, int end)
{
    for (int y = begin; y < end; y++)
        for (int x0 = 0; x0 < j->w; x0 += KG_CHUNK)
            kg_block(j, y, x0, j->w - x0 < KG_CHUNK ? j->w - x0 : KG_CHUNK);
}
#endif

static void kg_rows(void *ctx, int begin, int end)
{
    const struct kg_job *j = ctx;
#if GH_OPS_X86
    if (gh_ops_simd_level() >= 1) {
        kg_rows_avx2(j, begin, end);
        return;
    }
#endif
    kg_rows_generic(j, begin, end);
}

enum gh_status gh_ops_kuwahara_generalized(const struct gh_image *in,
                                           const struct gh_kuwahara_params *p, int threads,
                                           struct gh_image **out)
{
    *out = NULL;
    int r = p->radius;
    if (r < 1 || r > 32)
        return gh_error(GH_ERR_ARGUMENT, "generalized Kuwahara radius %d (1..32)", r);
    if (!(p->sharpness >= 0 && p->sharpness <= 16))
        return gh_error(GH_ERR_ARGUMENT, "generalized Kuwahara sharpness %g (0..16)",
                        p->sharpness);
    if (!(p->smoothing >= 0.05 && p->smoothing <= 1))
        return gh_error(GH_ERR_ARGUMENT, "generalized Kuwahara smoothing %g (0.05..1)",
                        p->smoothing);
    int w = in->width, h = in->height, ch = in->channels;
    size_t side = 2 * (size_t)r + 1, pw = (size_t)w + 2 * (size_t)r;
    size_t psize = pw * ((size_t)h + 2 * (size_t)r);
    size_t max_taps = side * side + KG_UNROLL;
    int *dx = malloc(max_taps * sizeof *dx), *dy = malloc(max_taps * sizeof *dy);
    float *wt = malloc(max_taps * KG_SECTORS * sizeof *wt);
    float *pad = malloc((size_t)ch * psize * sizeof *pad);
    enum gh_status st = GH_OK;
    if (!dx || !dy || !wt || !pad) {
        st = gh_error(GH_ERR_NOMEM, "no memory for generalized Kuwahara on %dx%d", w, h);
        goto out;
    }
    /* the 8 sector kernels over the disc, each normalized to sum 1 */
    double sigma_r = 0.5 * r, sigma_s = p->smoothing * sigma_r, total[KG_SECTORS] = {0};
    int taps = 0;
    for (int ky = -r; ky <= r; ky++)
        for (int kx = -r; kx <= r; kx++) {
            if (kx * kx + ky * ky > r * r)
                continue;
            double g = exp(-(kx * kx + ky * ky) / (2 * sigma_r * sigma_r));
            for (int i = 0; i < KG_SECTORS; i++) {
                double a = (2 * i - 1) * M_PI / KG_SECTORS, b = (2 * i + 1) * M_PI / KG_SECTORS;
                double k = g * wedge_mass(kx, ky, sigma_s, a, b);
                wt[(size_t)taps * KG_SECTORS + (size_t)i] = (float)k;
                total[i] += k;
            }
            dx[taps] = kx;
            dy[taps] = ky;
            taps++;
        }
    for (int t = 0; t < taps; t++)
        for (int i = 0; i < KG_SECTORS; i++)
            wt[(size_t)t * KG_SECTORS + (size_t)i] /= (float)total[i];
    for (; taps % KG_UNROLL; taps++) {
        dx[taps] = dy[taps] = 0;
        for (int i = 0; i < KG_SECTORS; i++)
            wt[(size_t)taps * KG_SECTORS + (size_t)i] = 0;
    }
    for (int c = 0; c < ch; c++) {
        const float *src = gh_image_plane(in, c);
        for (int py = 0; py < h + 2 * r; py++)
            gh_ops_pad_row(src + (size_t)gh_ops_reflect101(py - r, h) * (size_t)w, w, r,
                           pad + (size_t)c * psize + (size_t)py * pw);
    }
    st = gh_image_new(w, h, ch, out);
    if (st != GH_OK)
        goto out;
    struct kg_job j = {pad, pw, psize, w, ch, r, taps, dx, dy, wt,
                       p->sharpness == floor(p->sharpness), p->sharpness, *out};
    gh_parallel_for(h, threads, kg_rows, &j);
out:
    free(dx);
    free(dy);
    free(wt);
    free(pad);
    return st;
}
