#include <math.h>

#include "ghiblify/ops.h"
#include "stage_defs.h"

enum { P_AMOUNT, P_NEAR, P_BLUE };

static const struct gh_param_def params[] = {
    [P_AMOUNT] = {"amount", "fog", GH_PARAM_FLOAT, 0.4, 0, 1, NULL,
                  "atmospheric haze on distant land (0: off, 1: strong)"},
    [P_NEAR] = {"near", NULL, GH_PARAM_FLOAT, 0.35, 0, 0.95, NULL,
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

/* Atmospheric perspective on land: with farness f = 1 - depth and
 * g = smoothstep(near, 1, f), out = in t + A (1 - t), t = exp(-beta g), then a
 * blue shift of b* growing with g. The sky keeps its own color (weight
 * 1 - sky mask): fogging by depth alone washed the blue out of every sky. */
static enum gh_status run(const struct gh_stage_ctx *ctx, const double *p,
                          const struct gh_image *in, struct gh_image **out)
{
    *out = NULL;
    float amount = (float)p[P_AMOUNT];
    if (amount <= 0)
        return gh_image_clone(in, out);
    const struct gh_image *depth = NULL, *sky = NULL;
    struct gh_image *own_depth = NULL, *own_sky = NULL, *lab = NULL;
    enum gh_status st = gh_stage_depth_map(ctx, in, &depth, &own_depth);
    if (st == GH_OK)
        st = gh_stage_sky(ctx, in, &sky, &own_sky);
    if (st != GH_OK)
        goto out;
    if (depth->width != in->width || depth->height != in->height) {
        st = gh_error(GH_ERR_ARGUMENT, "the depth map (%dx%d) is not the image's size (%dx%d): "
                      "run fog before resizing stages", depth->width, depth->height, in->width, in->height);
        goto out;
    }
    if (sky && (sky->width != in->width || sky->height != in->height))
        sky = NULL;
    /* Air you can see through needs distance to show, and a photo with no sky
     * is most often a close-up or an indoor scene, where the built-in depth
     * is little more than the height in the frame: veiling the top of a
     * macro shot looked like a washed-out print. So fog fades in with the
     * sky's share of the picture, full from 10%. */
    amount *= gh_smoothstep(0.02f, 0.10f, (float)sky_share(sky));
    if (amount <= 0) {
        st = gh_image_clone(in, out);
        goto out;
    }
    float air[3];
    airlight(in, sky, air);
    if ((st = gh_image_clone(in, out)) != GH_OK)
        goto out;
    size_t n = gh_image_plane_size(in);
    float near = (float)p[P_NEAR], beta = 1.6f * amount;
    float *r = gh_image_plane(*out, 0), *g = gh_image_plane(*out, 1), *b = gh_image_plane(*out, 2);
    for (size_t i = 0; i < n; i++) {
        float land = sky ? 1.0f - sky->data[i] : 1.0f;
        float k = land * gh_smoothstep(near, 1.0f, 1.0f - depth->data[i]);
        float veil = 1.0f - expf(-beta * k);
        r[i] += veil * (air[0] - r[i]);
        g[i] += veil * (air[1] - g[i]);
        b[i] += veil * (air[2] - b[i]);
    }
    if (p[P_BLUE] > 0) {
        if ((st = gh_ops_color_convert(*out, GH_COLOR_SRGB, GH_COLOR_LAB, ctx->threads, &lab)) != GH_OK)
            goto out;
        float *B = gh_image_plane(lab, 2), shift = (float)p[P_BLUE] * amount;
        for (size_t i = 0; i < n; i++) {
            float land = sky ? 1.0f - sky->data[i] : 1.0f;
            B[i] -= shift * land * gh_smoothstep(near, 1.0f, 1.0f - depth->data[i]);
        }
        struct gh_image *shifted = NULL;
        if ((st = gh_ops_color_convert(lab, GH_COLOR_LAB, GH_COLOR_SRGB, ctx->threads, &shifted)) != GH_OK)
            goto out;
        /* Only where there is fog: the Lab round trip alone moves values by
         * float rounding, and near land must stay exactly as it was. */
        for (size_t i = 0; i < n; i++) {
            float land = sky ? 1.0f - sky->data[i] : 1.0f;
            if (land * gh_smoothstep(near, 1.0f, 1.0f - depth->data[i]) > 0)
                for (int c = 0; c < 3; c++)
                    gh_image_plane(*out, c)[i] = gh_image_plane(shifted, c)[i];
        }
        gh_image_free(shifted);
    }
out:
    if (st != GH_OK) {
        gh_image_free(*out);
        *out = NULL;
    }
    gh_image_free(lab);
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
