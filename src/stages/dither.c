#include <math.h>
#include <stdlib.h>

#include "ghiblify/ops.h"
#include "stage_defs.h"
#include "stage_noise.h"

enum { P_AMOUNT, P_NOISE, P_FLAT };
enum { N_TPDF, N_IGN };

static const char *const noises[] = {"tpdf", "ign", NULL};

static const struct gh_param_def params[] = {
    [P_AMOUNT] = {"amount", NULL, GH_PARAM_FLOAT, 1.5, 0, 4, NULL,
                  "dither amplitude in 8-bit levels (0: plain rounding); above the textbook 1 "
                  "because JPEG removes much of the noise"},
    [P_NOISE] = {"noise", NULL, GH_PARAM_ENUM, N_TPDF, 0, 0, noises,
                 "tpdf: triangular white noise (sum of two uniforms); ign: interleaved gradient "
                 "noise (blue-ish, finer, but JPEG removes much of it)"},
    [P_FLAT] = {"flat", NULL, GH_PARAM_FLOAT, 2, 0.1, 100, NULL,
                "local gradient (8-bit levels per pixel) under which an area counts as smooth and "
                "is dithered fully; none above 2x this, so texture gets no noise"},
};


/* How smooth each pixel's neighborhood is, 1 (dither fully) to 0 (leave it):
 * the largest absolute central difference over channels and both directions,
 * in 8-bit levels, averaged by a Gaussian (sigma 2) so the weight follows areas
 * rather than single pixels. Banding only shows where values change by less
 * than a level or two per pixel; anything steeper hides the steps itself. */
struct grad_job {
    const struct gh_image *in;
    struct gh_image *grad;
};

static void grad_rows(void *arg, int begin, int end)
{
    const struct grad_job *j = arg;
    const struct gh_image *in = j->in;
    int w = in->width, h = in->height;
    for (int y = begin; y < end; y++) {
        int yu = y > 0 ? y - 1 : y, yd = y < h - 1 ? y + 1 : y;
        float sy = yd - yu == 2 ? 0.5f : 1.0f;
        float *g = j->grad->data + (size_t)y * w;
        for (int x = 0; x < w; x++)
            g[x] = 0;
        for (int c = 0; c < in->channels; c++) {
            const float *row = gh_image_plane(in, c) + (size_t)y * w;
            const float *up = gh_image_plane(in, c) + (size_t)yu * w;
            const float *dn = gh_image_plane(in, c) + (size_t)yd * w;
            for (int x = 0; x < w; x++) {
                int xl = x > 0 ? x - 1 : x, xr = x < w - 1 ? x + 1 : x;
                float sx = xr - xl == 2 ? 0.5f : 1.0f;
                float gx = fabsf(row[xr] - row[xl]) * sx, gy = fabsf(dn[x] - up[x]) * sy;
                g[x] = fmaxf(g[x], 255.0f * fmaxf(gx, gy));
            }
        }
    }
}

struct weight_job {
    struct gh_image *avg;
    float flat;
};

static void weight_rows(void *arg, int begin, int end)
{
    const struct weight_job *j = arg;
    size_t w = (size_t)j->avg->width;
    for (size_t i = (size_t)begin * w; i < (size_t)end * w; i++)
        j->avg->data[i] = 1 - gh_smoothstep(j->flat, 2 * j->flat, j->avg->data[i]);
}

static enum gh_status smooth_weight(const struct gh_image *in, double flat, int threads,
                                    struct gh_image **weight)
{
    int w = in->width, h = in->height;
    struct gh_image *grad = NULL, *avg = NULL;
    enum gh_status st = gh_image_new_uninit(w, h, 1, &grad);
    if (st != GH_OK)
        goto out;
    struct grad_job gj = {in, grad};
    gh_parallel_for(h, threads, grad_rows, &gj);
    if ((st = gh_ops_gaussian(grad, 2.0, threads, &avg)) != GH_OK)
        goto out;
    struct weight_job wj = {avg, (float)flat};
    gh_parallel_for(h, threads, weight_rows, &wj);
    *weight = avg;
    avg = NULL;
out:
    gh_image_free(grad);
    gh_image_free(avg);
    return st;
}

/* Noise in (-1, 1) for sample (x, y) of channel c. TPDF: the sum of two
 * independent uniforms minus 1, the dither that makes the rounding error's
 * mean and variance independent of the signal (no noise modulation). IGN:
 * Jimenez's interleaved gradient noise, shifted by a seeded offset per
 * channel; uniform, with its energy at high frequencies. Each channel gets
 * its own noise: measured through JPEG (tests/unit/test_stage_dither.c), the
 * same noise in R, G and B (all of it in luma) left more bands and larger
 * row-to-row jumps than independent noise, and IGN, whose high frequencies
 * JPEG quantizes away, left more than TPDF. */
static float noise_at(int kind, uint64_t seed, int x, int y, int c)
{
    uint64_t h;
    if (kind == N_TPDF) {
        h = gh_noise_hash(seed, x, y, c);
        return gh_noise_unit(h) + gh_noise_unit(h << 24) - 1.0f;
    }
    h = gh_noise_hash(seed, -1, -1, c);
    double px = x + (double)(h & 1023), py = y + (double)((h >> 10) & 1023);
    double f = 0.06711056 * px + 0.00583715 * py;
    f = 52.9829189 * (f - floor(f));
    return (float)(2 * (f - floor(f)) - 1);
}

struct job {
    const struct gh_image *in;
    const struct gh_image *weight;
    struct gh_image *out;
    float scale;
    int kind;
    uint64_t seed;
    int top; /* in's first row in the whole image: the noise follows image coordinates */
};

/* The 10-bit uniform k (0..5) of a 64-bit hash, centred in its bin. */
static inline float uniform10(uint64_t h, int k)
{
    return ((float)((h >> (10 * k)) & 1023) + 0.5f) * (1.0f / 1024.0f);
}

static void rows(void *arg, int begin, int end)
{
    const struct job *j = arg;
    int w = j->in->width;
    for (int y = begin; y < end; y++) {
        int iy = j->top + y;
        /* TPDF: one hash per pixel gives the two uniforms of all three
         * channels (12 mixing rounds fewer per pixel than hashing each
         * sample; at 12 MP that is most of the stage's time). */
        uint64_t row_key = gh_noise_hash(j->seed, 0, iy, 0);
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            float a = j->scale * j->weight->data[i];
            if (a <= 0)
                continue;
            uint64_t h = j->kind == N_TPDF ? gh_noise_mix(row_key ^ ((uint64_t)(uint32_t)x * 0x9e3779b97f4a7c15ull)) : 0;
            for (int c = 0; c < j->in->channels; c++) {
                float n = j->kind == N_TPDF && c < 3 ? uniform10(h, 2 * c) + uniform10(h, 2 * c + 1) - 1.0f
                                                     : noise_at(j->kind, j->seed, x, iy, c);
                gh_image_plane(j->out, c)[i] = gh_image_plane(j->in, c)[i] + a * n;
            }
        }
    }
}

struct stage_job {
    const struct gh_stage_ctx *ctx;
    const double *p;
};

static enum gh_status dither_band(void *user, const struct gh_band *band, struct gh_image **out)
{
    const struct stage_job *s = user;
    const double *p = s->p;
    struct gh_image *weight = NULL;
    enum gh_status st = smooth_weight(band->in, p[P_FLAT], s->ctx->threads, &weight);
    if (st != GH_OK || (st = gh_image_clone(band->in, out)) != GH_OK)
        goto out;
    struct job j = {band->in, weight, *out, (float)(p[P_AMOUNT] / 255.0), (int)p[P_NOISE],
                    (uint64_t)s->ctx->seed, band->top};
    gh_parallel_for(band->in->height, s->ctx->threads, rows, &j);
out:
    gh_image_free(weight);
    return st;
}

/* Dithering before the 8-bit encoder: a smooth gradient (a sky) rounded to 8
 * bits becomes flat bands a few pixels wide with one-level steps between them,
 * which the eye sees as contour lines, and JPEG keeps. Noise of about one level
 * added before the rounding turns the steps into a fine stipple whose local
 * mean follows the true gradient. Only smooth areas get it: texture hides steps
 * by itself, and noise there would only add grain. Every value is a function of
 * (seed, x, y, channel) and the image, so the bytes do not depend on the thread
 * count. Runs last, at the output size.
 * In bands, the smoothness weight reads 9 rows around a pixel (a central
 * difference and a Gaussian of sigma 2). */
static enum gh_status run(const struct gh_stage_ctx *ctx, const double *p,
                          const struct gh_image *in, struct gh_image **out)
{
    *out = NULL;
    if (p[P_AMOUNT] <= 0)
        return gh_stage_unchanged(ctx, in, out);
    struct stage_job s = {ctx, p};
    return gh_stage_bands(ctx, in, 9, dither_band, &s, out);
}

const struct gh_stage_def gh_stage_dither = {
    "dither",
    "seeded dither before 8-bit output where gradients would band (skies); none on texture",
    1, params, GH_ARRAY_LEN(params), run, 0,
};
