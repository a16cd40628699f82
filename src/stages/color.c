#include <math.h>

#include "ghiblify/ops.h"
#include "stage_defs.h"

enum { P_CHROMA, P_CONTRAST, P_SKY };

static const struct gh_param_def params[] = {
    [P_CHROMA] = {"chroma", NULL, GH_PARAM_FLOAT, 1.2, 0, 3, NULL,
                  "chroma lift in CIELAB (1: none); muted colors gain the most, so saturated ones "
                  "do not leave the gamut"},
    [P_CONTRAST] = {"contrast", NULL, GH_PARAM_FLOAT, 1.06, 0, 3, NULL,
                    "lightness contrast around the image's mean L (1: none)"},
    [P_SKY] = {"sky", NULL, GH_PARAM_FLOAT, 0, 0, 1, NULL,
               "how much of the contrast lift the sky mask gets (0: none, so no cloud noise is "
               "amplified; its chroma is lifted all the same)"},
};

/* Vibrance rather than a flat chroma gain: a flat 1.2x pushes already vivid
 * colors out of the sRGB gamut, where clipping shifts their hue; the gain falls
 * from `chroma` at gray to halfway at chroma 60. */
static float chroma_gain(float c, float k)
{
    float r = c / 60.0f;
    return 1.0f + (k - 1.0f) / (1.0f + r * r);
}

struct job {
    const struct gh_stage_ctx *ctx;
    const struct gh_image *sky; /* NULL: no contrast exception for the sky */
    float k, contrast, sky_share;
    double mean; /* of L over the whole image, when measured */
    int measured;
};

static enum gh_status color_band(void *user, const struct gh_band *band, struct gh_image **out)
{
    struct job *j = user;
    struct gh_image *lab = NULL, *sky = NULL;
    enum gh_status st = gh_ops_color_convert(band->in, GH_COLOR_SRGB, GH_COLOR_LAB, j->ctx->threads, &lab);
    if (st != GH_OK || (j->sky && (st = gh_stage_mask_band(j->ctx, j->sky, band, &sky)) != GH_OK))
        goto out;
    size_t n = gh_image_plane_size(lab);
    float *L = gh_image_plane(lab, 0), *A = gh_image_plane(lab, 1), *B = gh_image_plane(lab, 2);
    float mean = (float)j->mean;
    if (!j->measured) { /* the whole image in one band */
        double sum = 0;
        for (size_t i = 0; i < n; i++)
            sum += L[i];
        mean = n ? (float)(sum / (double)n) : 50.0f;
    }
    float k = j->k, contrast = j->contrast, share = j->sky_share;
    for (size_t i = 0; i < n; i++) {
        float c = sky ? contrast + (1.0f - contrast) * sky->data[i] * (1.0f - share) : contrast;
        float l = mean + (L[i] - mean) * c;
        L[i] = l < 0 ? 0 : l > 100 ? 100 : l;
        float g = chroma_gain(sqrtf(A[i] * A[i] + B[i] * B[i]), k);
        A[i] *= g;
        B[i] *= g;
    }
    st = gh_ops_color_convert(lab, GH_COLOR_LAB, GH_COLOR_SRGB, j->ctx->threads, out);
out:
    gh_image_free(lab);
    gh_image_free(sky);
    return st;
}

/* In bands at full size: the mean lightness the contrast pivots on is summed
 * over all bands first, in the order one pass would. */
static enum gh_status run(const struct gh_stage_ctx *ctx, const double *p,
                          const struct gh_image *in, struct gh_image **out)
{
    struct job j = {ctx, NULL, (float)p[P_CHROMA], (float)p[P_CONTRAST], (float)p[P_SKY], 0, 0};
    *out = NULL;
    if (j.k == 1.0f && j.contrast == 1.0f)
        return gh_stage_unchanged(ctx, in, out);
    struct gh_image *owned = NULL;
    enum gh_status st = GH_OK;
    if (j.contrast != 1.0f && j.sky_share < 1 && (st = gh_stage_sky(ctx, in, &j.sky, &owned)) != GH_OK)
        return st;
    if (in->height > gh_stage_band_rows(ctx, in->width, 0)) {
        struct gh_lab_stats whole;
        st = gh_stage_lab_stats(ctx, in, 0, &whole);
        j.mean = whole.mean[0];
        j.measured = 1;
    }
    if (st == GH_OK)
        st = gh_stage_bands(ctx, in, 0, color_band, &j, out);
    gh_image_free(owned);
    return st;
}

const struct gh_stage_def gh_stage_color = {
    "color", "lift chroma and contrast in CIELAB after the generator, which mutes colors", 1, params,
    GH_ARRAY_LEN(params), run, 0,
};
