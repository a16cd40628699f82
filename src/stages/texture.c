#include <math.h>
#include <stdlib.h>

#include "ghiblify/ops.h"
#include "stage_defs.h"
#include "stage_noise.h"

enum { P_RADIUS, P_SHARPNESS, P_AMOUNT, P_THRESHOLD, P_GRAIN, P_GRAIN_SIZE };

static const struct gh_param_def params[] = {
    [P_RADIUS] = {"radius", NULL, GH_PARAM_INT, 4, 1, 32, NULL,
                  "brush size: radius of the filter disc in pixels"},
    [P_SHARPNESS] = {"sharpness", NULL, GH_PARAM_FLOAT, 8, 0, 16, NULL,
                     "q: how strongly the flattest sectors win (higher: crisper strokes)"},
    [P_AMOUNT] = {"amount", NULL, GH_PARAM_FLOAT, 0.35, 0, 1, NULL,
                  "painterly smoothing where photographic texture is left (0: none, 1: the "
                  "filtered image there)"},
    [P_THRESHOLD] = {"threshold", NULL, GH_PARAM_FLOAT, 0.6, 0.01, 100, NULL,
                     "texture level (8-bit levels per pixel across the local structure) where "
                     "smoothing starts; it is full at 4x this"},
    [P_GRAIN] = {"grain", "grain", GH_PARAM_FLOAT, 0.02, 0, 0.2, NULL,
                 "paper grain: lightness modulation, +-this fraction (0: none); seeded by --seed, "
                 "none in the sky"},
    [P_GRAIN_SIZE] = {"grain-size", NULL, GH_PARAM_FLOAT, 1, 0.3, 4, NULL,
                      "grain fineness: Gaussian sigma of its fine tooth in working-size pixels "
                      "(its mottle is 3x that)"},
};


/* Where painting may change: 1 on land, 0 on sky. The guided sky mask is soft
 * at the horizon and a little under 1 inside the sky; everything at 0.9 or
 * more counts as sky, so the sky is left exactly as the generator made it.
 * The mask (made at the photo's analysis size) is brought to the band's rows. */
static enum gh_status land_weight(const struct gh_stage_ctx *ctx, const struct gh_image *sky,
                                  const struct gh_band *band, struct gh_image **land)
{
    enum gh_status st = gh_stage_mask_band(ctx, sky, band, land);
    for (size_t i = 0; st == GH_OK && i < gh_image_plane_size(*land); i++)
        (*land)->data[i] = 1 - gh_smoothstep(0.1f, 0.9f, (*land)->data[i]);
    return st;
}

/* How much photographic texture is left, 0..1, Gaussian-smoothed so the blend
 * has no seams. The measure is the smaller eigenvalue of the luma's structure
 * tensor (window sigma 2 px): along a clean edge or line the gradients all
 * point one way and it is ~0, in the generator's flat washes the gradient is
 * ~0, so only busy, directionless detail (grass, gravel, leaves, sensor
 * texture the generator kept) scores, in 8-bit levels per pixel. */
static enum gh_status texture_mask(const struct gh_image *in, double threshold, int threads,
                                   struct gh_image **mask)
{
    struct gh_image *gray = NULL, *tensor = NULL, *blurred = NULL, *t = NULL;
    int w = in->width, h = in->height;
    enum gh_status st = gh_ops_rgb_to_gray(in, threads, &gray);
    if (st != GH_OK || (st = gh_image_new_uninit(w, h, 3, &tensor)) != GH_OK)
        goto out;
    float *jxx = gh_image_plane(tensor, 0), *jyy = gh_image_plane(tensor, 1),
          *jxy = gh_image_plane(tensor, 2);
    for (int y = 0; y < h; y++) {
        const float *up = gray->data + (size_t)(y > 0 ? y - 1 : y) * w;
        const float *dn = gray->data + (size_t)(y < h - 1 ? y + 1 : y) * w;
        const float *row = gray->data + (size_t)y * w;
        float sy = y > 0 && y < h - 1 ? 0.5f : 1.0f;
        for (int x = 0; x < w; x++) {
            int xl = x > 0 ? x - 1 : x, xr = x < w - 1 ? x + 1 : x;
            float gx = (row[xr] - row[xl]) * (xr - xl == 2 ? 0.5f : 1.0f);
            float gy = (dn[x] - up[x]) * sy;
            if (h == 1)
                gy = 0;
            if (w == 1)
                gx = 0;
            size_t i = (size_t)y * w + x;
            jxx[i] = gx * gx;
            jyy[i] = gy * gy;
            jxy[i] = gx * gy;
        }
    }
    if ((st = gh_ops_gaussian(tensor, 2.0, threads, &blurred)) != GH_OK ||
        (st = gh_image_new_uninit(w, h, 1, &t)) != GH_OK)
        goto out;
    float lo = (float)threshold, hi = (float)(4 * threshold);
    for (size_t i = 0; i < gh_image_plane_size(in); i++) {
        float a = gh_image_plane(blurred, 0)[i], b = gh_image_plane(blurred, 1)[i],
              c = gh_image_plane(blurred, 2)[i];
        float half = 0.5f * (a + b), d = 0.25f * (a - b) * (a - b) + c * c;
        float minor = half - sqrtf(d);
        float level = 255.0f * sqrtf(minor > 0 ? minor : 0);
        t->data[i] = gh_smoothstep(lo, hi, level);
    }
    st = gh_ops_gaussian(t, 2.0, threads, mask);
out:
    gh_image_free(gray);
    gh_image_free(tensor);
    gh_image_free(blurred);
    gh_image_free(t);
    return st;
}

/* White noise hashed from (seed, x, y, layer), blurred by a Gaussian of sigma
 * `size` and scaled to unit standard deviation. The noise outside the image
 * is hashed like the inside rather than reflected, so every value depends only
 * on its coordinates and the seed, and the sums run in a fixed order: the same
 * bytes for any thread count or image split. One pass on the calling thread
 * (a few ms at the working size). */
static enum gh_status blurred_noise(int w, int h, int top, double size, uint64_t seed, int layer,
                                    float *out)
{
    int r = (int)ceil(3 * size);
    int pw = w + 2 * r;
    float *kernel = malloc((size_t)(2 * r + 1) * sizeof *kernel);
    float *rows = malloc((size_t)pw * (size_t)(h + 2 * r) * sizeof *rows);
    float *cols = malloc((size_t)w * (size_t)(h + 2 * r) * sizeof *cols);
    enum gh_status st = GH_OK;
    if (!kernel || !rows || !cols) {
        st = gh_error(GH_ERR_NOMEM, "no memory for the grain of %dx%d", w, h);
        goto out;
    }
    double norm = 0, sq = 0;
    for (int k = -r; k <= r; k++)
        norm += exp(-0.5 * k * k / (size * size));
    for (int k = -r; k <= r; k++) {
        kernel[k + r] = (float)(exp(-0.5 * k * k / (size * size)) / norm);
        sq += (double)kernel[k + r] * kernel[k + r];
    }
    /* Uniform noise in [-0.5, 0.5) has variance 1/12; the separable blur
     * multiplies it by sq^2. */
    float gain = (float)(1.0 / (sqrt(1.0 / 12.0) * sq));
    for (int y = 0; y < h + 2 * r; y++)
        for (int x = 0; x < pw; x++)
            rows[(size_t)y * pw + x] =
                gh_noise_unit(gh_noise_hash(seed, x - r, top + y - r, layer)) - 0.5f;
    for (int y = 0; y < h + 2 * r; y++)
        for (int x = 0; x < w; x++) {
            const float *src = rows + (size_t)y * pw + x;
            float s = 0;
            for (int k = 0; k <= 2 * r; k++)
                /* NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult): the loops above fill kernel[0..2r] and every row */
                s += kernel[k] * src[k];
            cols[(size_t)y * w + x] = s;
        }
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            float s = 0;
            for (int k = 0; k <= 2 * r; k++)
                /* NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult): kernel[0..2r] and cols' h + 2r rows are filled above */
                s += kernel[k] * cols[(size_t)(y + k) * w + x];
            out[(size_t)y * w + x] = s * gain;
        }
out:
    free(kernel);
    free(rows);
    free(cols);
    return st;
}

/* Paper grain in [-1, 1]: a fine tooth (sigma `size`) over a coarser mottle
 * (3 x size), as in watercolor paper, with unit standard deviation together,
 * halved and clipped (so +-1 is two standard deviations). Blurred, not white:
 * white noise reads as sensor noise, and the upsample stage's enlargement and
 * JPEG would smear it into nothing anyway. */
static enum gh_status make_grain(int w, int h, int top, double size, uint64_t seed,
                                 struct gh_image **out)
{
    float *coarse = malloc((size_t)w * (size_t)h * sizeof *coarse);
    enum gh_status st = coarse ? GH_OK : gh_error(GH_ERR_NOMEM, "no memory for the grain of %dx%d", w, h);
    if (st != GH_OK || (st = gh_image_new_uninit(w, h, 1, out)) != GH_OK ||
        (st = blurred_noise(w, h, top, size, seed, 0, (*out)->data)) != GH_OK ||
        (st = blurred_noise(w, h, top, 3 * size, seed, 1, coarse)) != GH_OK)
        goto out;
    for (size_t i = 0; i < (size_t)w * (size_t)h; i++) {
        /* NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult): blurred_noise wrote all w x h values of both */
        float s = 0.5f * (0.8f * (*out)->data[i] + 0.6f * coarse[i]);
        (*out)->data[i] = s < -1 ? -1 : s > 1 ? 1 : s;
    }
out:
    free(coarse);
    if (st != GH_OK) {
        gh_image_free(*out);
        *out = NULL;
    }
    return st;
}

struct job {
    const struct gh_stage_ctx *ctx;
    const double *p;
    const struct gh_image *sky;
};

static enum gh_status texture_band(void *user, const struct gh_band *band, struct gh_image **out)
{
    const struct job *j = user;
    const double *p = j->p;
    const struct gh_image *in = band->in;
    int threads = j->ctx->threads;
    float amount = (float)p[P_AMOUNT], grain = (float)p[P_GRAIN];
    struct gh_image *land = NULL, *mask = NULL, *painted = NULL, *noise = NULL;
    enum gh_status st = land_weight(j->ctx, j->sky, band, &land);
    if (st != GH_OK || (st = gh_image_clone(in, out)) != GH_OK)
        goto out;
    size_t n = gh_image_plane_size(in);
    if (amount > 0) {
        struct gh_kuwahara_params kp = GH_KUWAHARA_PARAMS_DEFAULT;
        kp.radius = (int)p[P_RADIUS];
        kp.sharpness = p[P_SHARPNESS];
        if ((st = texture_mask(in, p[P_THRESHOLD], threads, &mask)) != GH_OK ||
            (st = gh_ops_kuwahara_generalized(in, &kp, threads, &painted)) != GH_OK)
            goto out;
        for (size_t i = 0; i < n; i++) {
            float a = amount * mask->data[i] * land->data[i];
            if (a <= 0)
                continue;
            for (int c = 0; c < in->channels; c++) {
                float v = gh_image_plane(in, c)[i];
                gh_image_plane(*out, c)[i] = v + a * (gh_image_plane(painted, c)[i] - v);
            }
        }
    }
    if (grain > 0) {
        if ((st = make_grain(in->width, in->height, band->top, p[P_GRAIN_SIZE],
                             (uint64_t)j->ctx->seed, &noise)) != GH_OK)
            goto out;
        /* Multiplying all channels keeps hue and saturation: only lightness moves,
         * as paper under a wash does. */
        for (size_t i = 0; i < n; i++) {
            float g = grain * noise->data[i] * land->data[i];
            if (g == 0)
                continue;
            for (int c = 0; c < in->channels; c++)
                gh_image_plane(*out, c)[i] *= 1 + g;
        }
    }
out:
    gh_image_free(land);
    gh_image_free(mask);
    gh_image_free(painted);
    gh_image_free(noise);
    if (st != GH_OK) {
        gh_image_free(*out);
        *out = NULL;
    }
    return st;
}

/* Painterly texture. The generator leaves clean washes where the photo was
 * smooth but keeps some of the photo's fine texture (grass, gravel, noise); a
 * generalized Kuwahara filter turns that into brush-stroke patches, blended in
 * by amount * texture_mask * land, so the washes and the sky stay exactly as
 * they were. Then a faint paper grain modulates lightness on land, never in the
 * sky (a grainy sky reads as noise, and it would band or shimmer after JPEG).
 * Runs before `lines` so the line work stays crisp. In bands: the texture
 * mask reads 17 rows around a pixel (a central difference and two Gaussians
 * of sigma 2, 8 rows each), the Kuwahara disc `radius` rows, and the grain is
 * a function of the pixel's coordinates. */
static enum gh_status run(const struct gh_stage_ctx *ctx, const double *p,
                          const struct gh_image *in, struct gh_image **out)
{
    struct job j = {ctx, p, NULL};
    struct gh_image *owned = NULL;
    *out = NULL;
    if (p[P_AMOUNT] <= 0 && p[P_GRAIN] <= 0)
        return gh_stage_unchanged(ctx, in, out);
    enum gh_status st = gh_stage_sky(ctx, in, &j.sky, &owned);
    if (st == GH_OK)
        st = gh_stage_bands(ctx, in, 17 + (int)p[P_RADIUS], texture_band, &j, out);
    gh_image_free(owned);
    return st;
}

const struct gh_stage_def gh_stage_texture = {
    "texture",
    "painted, not filtered: generalized Kuwahara smoothing (Papari et al. 2007) where photographic "
    "texture is left, and a faint seeded paper grain; never in the sky",
    1, params, GH_ARRAY_LEN(params), run, 0,
};
