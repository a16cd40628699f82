#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ghiblify/ops.h"
#include "stage_defs.h"

enum { P_AMOUNT, P_NEAR, P_BLUE };

static const struct gh_param_def params[] = {
    [P_AMOUNT] = {"amount", "fog", GH_PARAM_FLOAT, 0.4, 0, 1, NULL,
                  "atmospheric haze on distant land (0: off, 1: strong)"},
    [P_NEAR] = {"near", NULL, GH_PARAM_FLOAT, 0.45, 0, 0.95, NULL,
                "farness (0 near .. 1 sky) below which land is left exactly as it is"},
    [P_BLUE] = {"blue", NULL, GH_PARAM_FLOAT, 6, 0, 30, NULL,
                "blue shift (CIELAB b*) of the farthest land at full fog"},
};

/* Air light when the photo shows no sky to take it from: a pale blue-gray, the
 * color of distant hills in the films' backgrounds. */
static const float default_air[3] = {0.78f, 0.84f, 0.90f};

/* Share of the image the sky mask covers (soft). */
static double sky_share(const struct gh_image *sky)
{
    if (!sky)
        return 0;
    double sum = 0;
    size_t n = gh_image_plane_size(sky);
    for (size_t i = 0; i < n; i++)
        sum += sky->data[i];
    return n ? sum / (double)n : 0;
}

/* The haze color: the sky just above the horizon (the lowest fifth of the sky
 * mask's rows, where the light that veils far land comes from), lifted halfway
 * toward white as haze is paler than the sky behind it. */
static void airlight(const struct gh_image *in, const struct gh_image *sky, float air[3])
{
    for (int c = 0; c < 3; c++)
        air[c] = default_air[c];
    if (!sky)
        return;
    int w = in->width, h = in->height, lowest = -1, highest = h;
    double total = 0;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            if (sky->data[(size_t)y * w + x] > 0.5f) {
                lowest = y > lowest ? y : lowest;
                highest = y < highest ? y : highest;
                total += 1;
            }
    if (total < 0.01 * w * h)
        return;
    int from = lowest - (lowest - highest) / 5;
    double sum[3] = {0, 0, 0}, n = 0;
    for (int y = from; y <= lowest; y++)
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            if (sky->data[i] > 0.5f) {
                for (int c = 0; c < 3; c++)
                    sum[c] += gh_image_plane(in, c)[i];
                n += 1;
            }
        }
    if (n > 0)
        for (int c = 0; c < 3; c++)
            air[c] = (float)(0.5 * sum[c] / n + 0.5);
}

/* Per column, the row of the horizon: the lowest sky pixel (columns without
 * sky take the nearest column's), NULL when out of memory. */
static int *horizon_rows(const struct gh_image *sky, int w, int h)
{
    int *horizon = malloc((size_t)w * sizeof *horizon);
    for (int x = 0; horizon && x < w; x++) {
        horizon[x] = -1;
        for (int y = h - 1; sky && y >= 0 && horizon[x] < 0; y--)
            if (sky->data[(size_t)y * w + x] > 0.5f)
                horizon[x] = y;
    }
    for (int x = 0; horizon && x < w; x++) /* columns without sky: the nearest one's */
        if (horizon[x] < 0)
            for (int d = 1; d < w && horizon[x] < 0; d++) {
                if (x - d >= 0 && horizon[x - d] >= 0)
                    horizon[x] = horizon[x - d];
                else if (x + d < w && horizon[x + d] >= 0)
                    horizon[x] = horizon[x + d];
            }
    /* The lowest horizon within w/48 columns either side: gaps in a lattice
     * or foliage near the top are sky the mask found, the gaps lower down not,
     * and the structure below the found ones must not count as far land. */
    int *low = horizon ? malloc((size_t)w * sizeof *low) : NULL;
    if (!low) {
        free(horizon);
        return NULL;
    }
    int r = w / 48;
    for (int x = 0; x < w; x++) {
        low[x] = horizon[x];
        for (int k = x - r < 0 ? 0 : x - r; k <= x + r && k < w; k++)
            low[x] = horizon[k] > low[x] ? horizon[k] : low[x];
    }
    free(horizon);
    return low;
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* How much the sky looks like a landscape's: the share of columns whose
 * horizon lies within a sixth of the height of the median horizon, mapped
 * through smoothstep(0.6, 0.8). A studio backdrop the sky mask took for sky
 * wraps around the subject (horizon at the head in some columns, at the
 * bottom in others) and gets no fog: veiling a portrait's face looked like a
 * faded print. */
static float landscape_confidence(const int *horizon, int w, int h)
{
    int *sorted = malloc((size_t)w * sizeof *sorted);
    if (!sorted || !horizon)
        return free(sorted), 0.0f;
    memcpy(sorted, horizon, (size_t)w * sizeof *sorted);
    qsort(sorted, (size_t)w, sizeof *sorted, cmp_int);
    int median = sorted[w / 2], close = 0;
    free(sorted);
    if (median < 0)
        return 0.0f;
    for (int x = 0; x < w; x++)
        close += abs(horizon[x] - median) <= h / 6;
    return gh_smoothstep(0.6f, 0.8f, (float)close / (float)w);
}

/* How much fog each pixel takes, 0..1: land only (1 - sky), by farness
 * (smoothstep from `near` to 1 of 1 - depth), and only at or below the horizon
 * of its column (the lowest sky pixel there; columns without sky take the
 * nearest column's), fading over a third of the image height below it. Far
 * land sits just under the horizon; land above the sky's lowest pixel in its
 * column is something standing up into the sky (a tower, a tree) or sky the
 * mask missed (a dark corner of a night sky), and veiling either painted pale
 * patches into the sky. */
static void fog_weight(const struct gh_image *sky, const struct gh_image *depth, const int *horizon,
                       float near, float *weight)
{
    int w = depth->width, h = depth->height;
    float fall = 3.0f / (float)h;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            float land = sky ? 1.0f - sky->data[i] : 1.0f;
            float band = 1.0f;
            if (horizon && horizon[x] >= 0)
                band = y < horizon[x] ? 0.0f : expf(-(float)(y - horizon[x]) * fall);
            weight[i] = land * band * gh_smoothstep(near, 1.0f, 1.0f - depth->data[i]);
        }
}

struct job {
    const struct gh_stage_ctx *ctx;
    const struct gh_image *weight; /* fog per pixel, at the masks' size */
    float air[3], beta, shift;
};

static enum gh_status fog_band(void *user, const struct gh_band *band, struct gh_image **out)
{
    const struct job *j = user;
    struct gh_image *weight = NULL, *lab = NULL, *shifted = NULL;
    enum gh_status st = gh_stage_mask_band(j->ctx, j->weight, band, &weight);
    if (st != GH_OK || (st = gh_image_clone(band->in, out)) != GH_OK)
        goto out;
    size_t n = gh_image_plane_size(*out);
    const float *wt = weight->data;
    float most = 0;
    for (size_t i = 0; i < n; i++)
        most = wt[i] > most ? wt[i] : most;
    if (most <= 0) /* sky and near land only: nothing veiled, no Lab round trip */
        goto out;
    float *r = gh_image_plane(*out, 0), *g = gh_image_plane(*out, 1), *b = gh_image_plane(*out, 2);
    for (size_t i = 0; i < n; i++) {
        float veil = 1.0f - expf(-j->beta * wt[i]);
        r[i] += veil * (j->air[0] - r[i]);
        g[i] += veil * (j->air[1] - g[i]);
        b[i] += veil * (j->air[2] - b[i]);
    }
    if (j->shift > 0) {
        if ((st = gh_ops_color_convert(*out, GH_COLOR_SRGB, GH_COLOR_LAB, j->ctx->threads, &lab)) != GH_OK)
            goto out;
        float *B = gh_image_plane(lab, 2);
        for (size_t i = 0; i < n; i++)
            B[i] -= j->shift * wt[i];
        if ((st = gh_ops_color_convert(lab, GH_COLOR_LAB, GH_COLOR_SRGB, j->ctx->threads, &shifted)) != GH_OK)
            goto out;
        /* Only where there is fog: the Lab round trip alone moves values by
         * float rounding, and near land must stay exactly as it was. */
        for (size_t i = 0; i < n; i++)
            if (wt[i] > 0)
                for (int c = 0; c < 3; c++)
                    gh_image_plane(*out, c)[i] = gh_image_plane(shifted, c)[i];
    }
out:
    if (st != GH_OK) {
        gh_image_free(*out);
        *out = NULL;
    }
    gh_image_free(weight);
    gh_image_free(lab);
    gh_image_free(shifted);
    return st;
}

/* Atmospheric perspective on land: with farness f = 1 - depth and
 * g = smoothstep(near, 1, f), out = in t + A (1 - t), t = exp(-beta g), then a
 * blue shift of b* growing with g. The sky keeps its own color (weight
 * 1 - sky mask): fogging by depth alone washed the blue out of every sky.
 * The weights are found at the masks' size (the analysis size at full
 * detail, with the painting reduced to it for the air light) and brought to
 * the image band by band. */
static enum gh_status run(const struct gh_stage_ctx *ctx, const double *p,
                          const struct gh_image *in, struct gh_image **out)
{
    *out = NULL;
    float amount = (float)p[P_AMOUNT];
    if (amount <= 0)
        return gh_stage_unchanged(ctx, in, out);
    const struct gh_image *depth = NULL, *sky = NULL, *look = in;
    struct gh_image *own_depth = NULL, *own_sky = NULL, *small = NULL, *weight = NULL;
    int *horizon = NULL;
    enum gh_status st = gh_stage_depth_map(ctx, in, &depth, &own_depth);
    if (st == GH_OK)
        st = gh_stage_sky(ctx, in, &sky, &own_sky);
    if (st != GH_OK)
        goto out;
    int w = depth->width, h = depth->height;
    if (sky && (sky->width != w || sky->height != h))
        sky = NULL;
    /* Air you can see through needs distance to show, and a photo with no sky
     * is most often a close-up or an indoor scene, where the built-in depth
     * is little more than the height in the frame: veiling the top of a
     * macro shot looked like a washed-out print. So fog fades in with the
     * sky's share of the picture, full from 10%. */
    amount *= gh_smoothstep(0.02f, 0.10f, (float)sky_share(sky));
    if (amount > 0 && !(horizon = horizon_rows(sky, w, h))) {
        st = gh_error(GH_ERR_NOMEM, "fog: out of memory");
        goto out;
    }
    if (amount > 0)
        amount *= landscape_confidence(horizon, w, h);
    if (amount <= 0) {
        st = gh_stage_unchanged(ctx, in, out);
        goto out;
    }
    if (in->width != w || in->height != h) {
        if ((st = gh_ops_resize(in, w, h, GH_INTERP_AREA, ctx->threads, &small)) != GH_OK)
            goto out;
        look = small;
    }
    struct job j = {ctx, NULL, {0, 0, 0}, 1.6f * amount, (float)p[P_BLUE] * amount};
    airlight(look, sky, j.air);
    if ((st = gh_image_new_uninit(w, h, 1, &weight)) != GH_OK)
        goto out;
    fog_weight(sky, depth, horizon, (float)p[P_NEAR], weight->data);
    j.weight = weight;
    st = gh_stage_bands(ctx, in, 0, fog_band, &j, out);
out:
    free(horizon);
    gh_image_free(small);
    gh_image_free(weight);
    gh_image_free(own_depth);
    gh_image_free(own_sky);
    return st;
}

const struct gh_stage_def gh_stage_fog = {
    "fog",
    "atmospheric perspective: distant land paler and bluer by the depth map; the sky and the near "
    "foreground untouched",
    1, params, GH_ARRAY_LEN(params), run, 0,
};
