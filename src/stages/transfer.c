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

static enum gh_status run(const struct gh_stage_ctx *ctx, const double *p,
                          const struct gh_image *in, struct gh_image **out)
{
    struct gh_lab_stats target = {{p[P_L_MEAN], p[P_A_MEAN], p[P_B_MEAN]},
                                  {p[P_L_STD], p[P_A_STD], p[P_B_STD]}};
    if (ctx->reference) {
        enum gh_status st = gh_ops_lab_stats(ctx->reference, ctx->threads, &target);
        if (st != GH_OK) {
            *out = NULL;
            return st;
        }
    }
    enum gh_status st = gh_ops_reinhard(in, &target, 1.0, ctx->threads, out);
    if (st != GH_OK)
        return st;
    return gh_stage_blend(ctx, in, p[P_AMOUNT], p[P_SKY], *out);
}

const struct gh_stage_def gh_stage_transfer = {
    "transfer", "partial Reinhard color transfer toward the look's CIELAB mean and standard deviation (or those of --reference)", 1,
    params, GH_ARRAY_LEN(params), run, 0,
};
