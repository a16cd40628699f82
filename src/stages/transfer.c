#include "ghiblify/ops.h"
#include "stage_defs.h"

enum { P_L_MEAN, P_A_MEAN, P_B_MEAN, P_L_STD, P_A_STD, P_B_STD, P_AMOUNT, P_SKY };

/* Lab statistics the look aims at (each look sets them; these are the default
 * look's); a reference still (--reference) replaces the six statistics, not `amount`. */
static const struct gh_param_def params[] = {
    [P_L_MEAN] = {"l-mean", NULL, GH_PARAM_FLOAT, 60, 0, 100, NULL, "target mean lightness L"},
    [P_A_MEAN] = {"a-mean", NULL, GH_PARAM_FLOAT, -3, -128, 128, NULL, "target mean of a"},
    [P_B_MEAN] = {"b-mean", NULL, GH_PARAM_FLOAT, 12, -128, 128, NULL, "target mean of b"},
    [P_L_STD] = {"l-std", NULL, GH_PARAM_FLOAT, 22, 0, 100, NULL, "target standard deviation of L"},
    [P_A_STD] = {"a-std", NULL, GH_PARAM_FLOAT, 14, 0, 128, NULL, "target standard deviation of a"},
    [P_B_STD] = {"b-std", NULL, GH_PARAM_FLOAT, 22, 0, 128, NULL, "target standard deviation of b"},
    [P_AMOUNT] = {"amount", NULL, GH_PARAM_FLOAT, 0.15, 0, 1, NULL,
                  "0 keeps the image's colors, 1 gives it exactly the target statistics "
                  "(partial by default: a full transfer tints every photo alike)"},
    [P_SKY] = {"sky", NULL, GH_PARAM_FLOAT, 0, 0, 1, NULL,
               "how much of the transfer reaches the sky mask (0: the sky keeps its colors)"},
};

struct job {
    const struct gh_stage_ctx *ctx;
    const struct gh_image *sky;
    struct gh_lab_stats target, own;
    double amount, sky_amount;
    int measured; /* own holds the whole image's statistics (in bands) */
};

static enum gh_status transfer_band(void *user, const struct gh_band *band, struct gh_image **out)
{
    struct job *j = user;
    enum gh_status st = j->measured
                            ? gh_ops_reinhard_from(band->in, &j->own, &j->target, 1.0, j->ctx->threads, out)
                            : gh_ops_reinhard(band->in, &j->target, 1.0, j->ctx->threads, out);
    if (st == GH_OK)
        st = gh_stage_blend_band(j->ctx, band, j->sky, j->amount, j->sky_amount, *out);
    return st;
}

static enum gh_status run(const struct gh_stage_ctx *ctx, const double *p,
                          const struct gh_image *in, struct gh_image **out)
{
    struct job j = {ctx, NULL,
                    {{p[P_L_MEAN], p[P_A_MEAN], p[P_B_MEAN]}, {p[P_L_STD], p[P_A_STD], p[P_B_STD]}},
                    {{0, 0, 0}, {0, 0, 0}}, p[P_AMOUNT], p[P_SKY], 0};
    struct gh_image *owned = NULL;
    enum gh_status st = GH_OK;
    *out = NULL;
    if (ctx->reference && (st = gh_ops_lab_stats(ctx->reference, ctx->threads, &j.target)) != GH_OK)
        return st;
    if (j.sky_amount < 1.0 && (st = gh_stage_sky(ctx, in, &j.sky, &owned)) != GH_OK)
        return st;
    /* In bands, the image's own statistics are measured first, as one pass would. */
    j.measured = in->height > gh_stage_band_rows(ctx, in->width, 0);
    if (j.measured && (st = gh_stage_lab_stats(ctx, in, 1, &j.own)) != GH_OK)
        goto out;
    st = gh_stage_bands(ctx, in, 0, transfer_band, &j, out);
out:
    gh_image_free(owned);
    return st;
}

const struct gh_stage_def gh_stage_transfer = {
    "transfer", "partial Reinhard color transfer toward the look's CIELAB mean and standard deviation (or those of --reference)", 1,
    params, GH_ARRAY_LEN(params), run, 0,
};
