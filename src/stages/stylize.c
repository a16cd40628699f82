#include <stdio.h>
#include <string.h>

#include "ghiblify/nn.h"
#include "stage_defs.h"

enum { P_STRENGTH, P_MULTIPLE };

static const struct gh_param_def params[] = {
    [P_STRENGTH] = {"strength", "strength", GH_PARAM_FLOAT, 1, 0, 1, NULL,
                    "how much of the generator's painting to keep (0: the photo, 1: all of it)"},
    [P_MULTIPLE] = {"multiple", NULL, GH_PARAM_INT, 0, 0, 256, NULL,
                    "pad the image by reflection to a multiple of this size for the model; "
                    "0: 8 for the built-in model, 16 for --model files"},
};

static enum gh_status run(const struct gh_stage_ctx *ctx, const double *p,
                          const struct gh_image *in, struct gh_image **out)
{
    float strength = (float)p[P_STRENGTH];
    if (strength <= 0.0f) /* the identity needs no model */
        return gh_image_clone(in, out);
    if (!ctx->generator)
        return gh_error(GH_ERR_MODEL, "no generator model: this build has none built in "
                                      "(run tools/fetch-models.sh and rebuild) and no --model FILE was given");
    int multiple = (int)p[P_MULTIPLE] ? (int)p[P_MULTIPLE] : ctx->generator_multiple;
    multiple = multiple > 0 ? multiple : 16;
    if (ctx->footprint && ctx->memory_limit > 0) {
        double bytes, values;
        gh_nn_footprint_at(ctx->footprint, in->width, in->height, &bytes, &values);
        if (bytes > ctx->memory_limit || values > GH_NN_MAX_TENSOR_VALUES)
            return gh_error(GH_ERR_TOO_LARGE,
                            "a %dx%d working image needs %.1f GB for the generator, over its limit "
                            "(--max-memory %.0f MB; a %.0f-value tensor cap): lower --size",
                            in->width, in->height, bytes / 1e9, ctx->memory_limit / 1048576.0,
                            GH_NN_MAX_TENSOR_VALUES);
    }
    enum gh_status st = gh_nn_stylize(ctx->generator, in, multiple, ctx->threads, out);
    if (st == GH_OK && strength < 1.0f) {
        size_t n = gh_image_plane_size(in) * 3;
        for (size_t i = 0; i < n; i++)
            (*out)->data[i] = in->data[i] + strength * ((*out)->data[i] - in->data[i]);
    }
    if (ctx->release_generator)
        gh_nn_arena_empty(ctx->generator);
    const char *detail = gh_error_detail();
    if (st != GH_OK && st != GH_ERR_STOPPED && !ctx->verbose && strncmp(detail, "node '", 6) == 0) {
        /* "node 'NAME' (OP): reason": the reason is what the user can act on. */
        const char *reason = strstr(detail, "): ");
        if (reason) {
            char copy[512];
            snprintf(copy, sizeof copy, "%s", reason + 3);
            gh_error(st, "the generator failed: %s (-v names the model node)", copy);
        }
    }
    return st;
}

const struct gh_stage_def gh_stage_stylize = {
    "stylize", "paint the photo with the AnimeGANv3 generator (Hayao style built in; --model FILE)",
    1, params, GH_ARRAY_LEN(params), run, 0,
};
