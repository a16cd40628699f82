#include "ghiblify/ops.h"
#include "stage_defs.h"

enum { P_RADIUS, P_SHARPNESS, P_AMOUNT };

static const struct gh_param_def params[] = {
    [P_RADIUS] = {"radius", NULL, GH_PARAM_INT, 4, 1, 32, NULL,
                  "brush size: radius of the filter disc in pixels"},
    [P_SHARPNESS] = {"sharpness", NULL, GH_PARAM_FLOAT, 8, 0, 16, NULL,
                     "q: how strongly the flattest sectors win (higher: crisper strokes)"},
    [P_AMOUNT] = {"amount", NULL, GH_PARAM_FLOAT, 1, 0, 1, NULL,
                  "blend with the input (0: unchanged, 1: the filtered image)"},
};

/* Painterly texture: the generalized Kuwahara filter flattens areas into brush-
 * stroke patches while keeping edges and corners sharp; out = in + amount *
 * (kuwahara(in) - in). Runs before `lines` so the line work stays crisp. */
static enum gh_status run(const struct gh_stage_ctx *ctx, const double *p,
                          const struct gh_image *in, struct gh_image **out)
{
    struct gh_kuwahara_params kp = GH_KUWAHARA_PARAMS_DEFAULT;
    kp.radius = (int)p[P_RADIUS];
    kp.sharpness = p[P_SHARPNESS];
    enum gh_status st = gh_ops_kuwahara_generalized(in, &kp, ctx->threads, out);
    if (st != GH_OK || p[P_AMOUNT] >= 1)
        return st;
    float a = (float)p[P_AMOUNT];
    size_t n = gh_image_plane_size(in) * (size_t)in->channels;
    for (size_t i = 0; i < n; i++)
        (*out)->data[i] = in->data[i] + a * ((*out)->data[i] - in->data[i]);
    return GH_OK;
}

const struct gh_stage_def gh_stage_texture = {
    "texture", "painterly texture: generalized Kuwahara filter (Papari et al. 2007)", 0, params,
    GH_ARRAY_LEN(params), run, 0,
};
