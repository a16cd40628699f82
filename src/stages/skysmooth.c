#include <math.h>

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
    struct gh_image *coef[3]; /* set: the filter's coefficients at a reduced size */
};

/* The fast guided filter's output on a band: the reduced coefficients
 * brought to the band's rows, applied to the band itself. */
static enum gh_status fast_band(const struct job *j, const struct gh_band *band, struct gh_image **out)
{
    const struct gh_image *in = band->in;
    enum gh_status st = gh_image_new_uninit(in->width, in->height, 3, out);
    size_t n = gh_image_plane_size(in);
    for (int ch = 0; st == GH_OK && ch < 3; ch++) {
        struct gh_image *c = NULL;
        if ((st = gh_stage_mask_band(j->ctx, j->coef[ch], band, &c)) != GH_OK)
            break;
        const float *a0 = gh_image_plane(c, 0), *a1 = gh_image_plane(c, 1),
                    *a2 = gh_image_plane(c, 2), *b = gh_image_plane(c, 3);
        const float *i0 = gh_image_plane(in, 0), *i1 = gh_image_plane(in, 1),
                    *i2 = gh_image_plane(in, 2);
        float *q = gh_image_plane(*out, ch);
        for (size_t i = 0; i < n; i++)
            q[i] = b[i] + a0[i] * i0[i] + a1[i] * i1[i] + a2[i] * i2[i];
        gh_image_free(c);
    }
    if (st != GH_OK) {
        gh_image_free(*out);
        *out = NULL;
    }
    return st;
}

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
    else if (j->coef[0])
        st = fast_band(j, band, out);
    else
        st = gh_ops_guided(in, in, j->radius, j->eps * j->eps, j->ctx->threads, out);
    if (st == GH_OK && most > 0)
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
 * read 2 radius rows around a pixel; above the analysis size it is the fast
 * guided filter (He & Sun 2015) instead, its coefficients found on the image
 * reduced to that size (a 50 MP photo's 257-row halos tripled the work) and
 * brought to each band. */
static enum gh_status run(const struct gh_stage_ctx *ctx, const double *p,
                          const struct gh_image *in, struct gh_image **out)
{
    struct gh_image *owned = NULL, *small = NULL;
    *out = NULL;
    if (p[P_AMOUNT] <= 0)
        return gh_stage_unchanged(ctx, in, out);
    int side = in->width > in->height ? in->width : in->height;
    int radius = (int)(p[P_RADIUS] * side / 1024.0 + 0.5);
    struct job j = {ctx, NULL, radius < 1 ? 1 : radius, p[P_EPS] / 255.0, (float)p[P_AMOUNT],
                    {NULL, NULL, NULL}};
    enum gh_status st = gh_stage_sky(ctx, in, &j.sky, &owned);
    if (st == GH_OK && side > GH_STAGE_ANALYSIS_SIDE && in->channels == 3) {
        long r = lround(j.radius * (double)GH_STAGE_ANALYSIS_SIDE / side);
        st = gh_stage_shrink(ctx, in, GH_STAGE_ANALYSIS_SIDE, &small);
        if (st == GH_OK)
            st = gh_ops_guided_coefficients(small, small, r < 1 ? 1 : (int)r, j.eps * j.eps,
                                            ctx->threads, j.coef);
    }
    if (st == GH_OK)
        st = gh_stage_bands(ctx, in, j.coef[0] ? 0 : 2 * j.radius + 1, smooth_band, &j, out);
    gh_image_free(owned);
    gh_image_free(small);
    for (int c = 0; c < 3; c++)
        gh_image_free(j.coef[c]);
    return st;
}

const struct gh_stage_def gh_stage_skysmooth = {
    "skysmooth", "smooth the generator's steps out of the sky's gradients (inside the sky mask only)", 1,
    params, GH_ARRAY_LEN(params), run, 0,
};
