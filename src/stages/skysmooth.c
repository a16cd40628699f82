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

/* The generator paints a smooth sky gradient as flat steps of one to three
 * levels, which 8-bit output shows as bands (and a chroma lift widens). An
 * edge-preserving guided filter of the painting by itself evens out steps
 * smaller than eps while cloud edges, much larger, stay; only inside the sky
 * mask, so land keeps every stroke. */
static enum gh_status run(const struct gh_stage_ctx *ctx, const double *p,
                          const struct gh_image *in, struct gh_image **out)
{
    const struct gh_image *sky = NULL;
    struct gh_image *owned = NULL;
    *out = NULL;
    if (p[P_AMOUNT] <= 0)
        return gh_stage_unchanged(ctx, in, out);
    int side = in->width > in->height ? in->width : in->height;
    int radius = (int)(p[P_RADIUS] * side / 1024.0 + 0.5);
    double eps = p[P_EPS] / 255.0;
    enum gh_status st = gh_stage_sky(ctx, in, &sky, &owned);
    if (st == GH_OK)
        st = gh_ops_guided(in, in, radius < 1 ? 1 : radius, eps * eps, ctx->threads, out);
    if (st == GH_OK && sky && sky->width == in->width && sky->height == in->height) {
        size_t n = gh_image_plane_size(in);
        float a = (float)p[P_AMOUNT];
        for (int c = 0; c < 3; c++) {
            const float *src = gh_image_plane(in, c);
            float *dst = gh_image_plane(*out, c);
            for (size_t i = 0; i < n; i++)
                dst[i] = src[i] + a * sky->data[i] * (dst[i] - src[i]);
        }
    } else if (st == GH_OK) {
        gh_image_free(*out);
        st = gh_stage_unchanged(ctx, in, out);
    }
    gh_image_free(owned);
    return st;
}

const struct gh_stage_def gh_stage_skysmooth = {
    "skysmooth", "smooth the generator's steps out of the sky's gradients (inside the sky mask only)", 1,
    params, GH_ARRAY_LEN(params), run, 0,
};
