#include "ghiblify/ops.h"
#include "stage_defs.h"

enum { P_AMOUNT, P_RADIUS, P_EPS };

static const struct gh_param_def params[] = {
    [P_AMOUNT] = {"amount", NULL, GH_PARAM_FLOAT, 1, 0, 1, NULL,
                  "how much of the smoothing the sky gets (0: none)"},
    [P_RADIUS] = {"radius", NULL, GH_PARAM_FLOAT, 16, 1, 200, NULL,
                  "smoothing window radius in pixels at a working size of 1024 (scaled with it)"},
    [P_EPS] = {"eps", NULL, GH_PARAM_FLOAT, 4, 0.1, 100, NULL,
               "steps up to about this many 8-bit levels are smoothed away; larger ones (cloud "
               "edges) are kept"},
};

struct job {
    const struct gh_stage_ctx *ctx;
    const struct gh_image *sky;
    int radius;
    double eps;
    float amount;
};

static enum gh_status smooth_band(void *user, const struct gh_band *band, struct gh_image **out)
{
    const struct job *j = user;
    const struct gh_image *in = band->in;
    struct gh_image *sky = NULL;
    enum gh_status st = gh_stage_mask_band(j->ctx, j->sky, band, &sky);
    if (st != GH_OK)
        return st;
    size_t n = gh_image_plane_size(in);
    float most = 0;
    for (size_t i = 0; i < n; i++)
        most = sky->data[i] > most ? sky->data[i] : most;
    if (most <= 0) /* no sky in these rows: nothing to smooth */
        st = gh_image_clone(in, out);
    else if ((st = gh_ops_guided(in, in, j->radius, j->eps * j->eps, j->ctx->threads, out)) == GH_OK)
        for (int c = 0; c < 3; c++) {
            const float *src = gh_image_plane(in, c);
            float *dst = gh_image_plane(*out, c);
            for (size_t i = 0; i < n; i++)
                dst[i] = src[i] + j->amount * sky->data[i] * (dst[i] - src[i]);
        }
    gh_image_free(sky);
    return st;
}

/* The generator paints a smooth sky gradient as flat steps of one to three
 * levels, which 8-bit output shows as bands (and a chroma lift widens). An
 * edge-preserving guided filter of the painting by itself evens out steps
 * smaller than eps while cloud edges, much larger, stay; only inside the sky
 * mask, so land keeps every stroke. In bands, the filter's two box passes
 * read 2 radius rows around a pixel. */
static enum gh_status run(const struct gh_stage_ctx *ctx, const double *p,
                          const struct gh_image *in, struct gh_image **out)
{
    struct gh_image *owned = NULL;
    *out = NULL;
    if (p[P_AMOUNT] <= 0)
        return gh_stage_unchanged(ctx, in, out);
    int side = in->width > in->height ? in->width : in->height;
    int radius = (int)(p[P_RADIUS] * side / 1024.0 + 0.5);
    struct job j = {ctx, NULL, radius < 1 ? 1 : radius, p[P_EPS] / 255.0, (float)p[P_AMOUNT]};
    enum gh_status st = gh_stage_sky(ctx, in, &j.sky, &owned);
    if (st == GH_OK)
        st = gh_stage_bands(ctx, in, 2 * j.radius + 1, smooth_band, &j, out);
    gh_image_free(owned);
    return st;
}

const struct gh_stage_def gh_stage_skysmooth = {
    "skysmooth", "smooth the generator's steps out of the sky's gradients (inside the sky mask only)", 1,
    params, GH_ARRAY_LEN(params), run, 0,
};
