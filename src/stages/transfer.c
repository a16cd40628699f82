#include "ghiblify/ops.h"
#include "stage_defs.h"

enum { P_L_MEAN, P_A_MEAN, P_B_MEAN, P_L_STD, P_A_STD, P_B_STD, P_AMOUNT };

/* Lab statistics of the target look (placeholders until the look is tuned);
 * a reference still (--reference) replaces the six statistics, not `amount`. */
static const struct gh_param_def params[] = {
    [P_L_MEAN] = {"l-mean", NULL, GH_PARAM_FLOAT, 62, 0, 100, NULL, "target mean lightness L"},
    [P_A_MEAN] = {"a-mean", NULL, GH_PARAM_FLOAT, -2, -128, 128, NULL, "target mean of a"},
    [P_B_MEAN] = {"b-mean", NULL, GH_PARAM_FLOAT, 12, -128, 128, NULL, "target mean of b"},
    [P_L_STD] = {"l-std", NULL, GH_PARAM_FLOAT, 20, 0, 100, NULL, "target standard deviation of L"},
    [P_A_STD] = {"a-std", NULL, GH_PARAM_FLOAT, 12, 0, 128, NULL, "target standard deviation of a"},
    [P_B_STD] = {"b-std", NULL, GH_PARAM_FLOAT, 20, 0, 128, NULL, "target standard deviation of b"},
    [P_AMOUNT] = {"amount", NULL, GH_PARAM_FLOAT, 0.5, 0, 1, NULL,
                  "0 keeps the image's colors, 1 gives it exactly the target statistics"},
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
    return gh_ops_reinhard(in, &target, p[P_AMOUNT], ctx->threads, out);
}

const struct gh_stage_def gh_stage_transfer = {
    "transfer", "Reinhard color transfer toward target CIELAB mean and standard deviation (or those of --reference)", 0,
    params, GH_ARRAY_LEN(params), run, 0,
};
