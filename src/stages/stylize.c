#include "ghiblify/nn.h"
#include "stage_defs.h"

enum { P_MULTIPLE };

static const struct gh_param_def params[] = {
    [P_MULTIPLE] = {"multiple", NULL, GH_PARAM_INT, 0, 0, 256, NULL,
                    "pad the image by reflection to a multiple of this size for the model; "
                    "0: 8 for the built-in model, 16 for --model files"},
};

static enum gh_status run(const struct gh_stage_ctx *ctx, const double *p,
                          const struct gh_image *in, struct gh_image **out)
{
    if (!ctx->generator)
        return gh_error(GH_ERR_MODEL, "no generator model: this build has none built in "
                                      "(run tools/fetch-models.sh and rebuild) and no --model FILE was given");
    int multiple = (int)p[P_MULTIPLE] ? (int)p[P_MULTIPLE] : ctx->generator_multiple;
    return gh_nn_stylize(ctx->generator, in, multiple > 0 ? multiple : 16, ctx->threads, out);
}

const struct gh_stage_def gh_stage_stylize = {
    "stylize", "paint the photo with the AnimeGANv3 generator (Hayao style built in; --model FILE)",
    1, params, GH_ARRAY_LEN(params), run,
};
