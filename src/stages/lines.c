#include "ghiblify/ops.h"
#include "stage_defs.h"

enum { P_SIGMA, P_K, P_TAU, P_EPSILON, P_PHI, P_STRENGTH };

static const struct gh_param_def params[] = {
    [P_SIGMA] = {"sigma", NULL, GH_PARAM_FLOAT, 1.0, 0.1, 20, NULL,
                 "XDoG inner Gaussian sigma in pixels (line width)"},
    [P_K] = {"k", NULL, GH_PARAM_FLOAT, 1.6, 1.01, 10, NULL, "ratio of the outer to inner sigma"},
    [P_TAU] = {"tau", NULL, GH_PARAM_FLOAT, 0.98, 0.5, 1.5, NULL,
               "weight of the outer Gaussian (closer to 1: fewer lines)"},
    [P_EPSILON] = {"epsilon", NULL, GH_PARAM_FLOAT, 0.005, -1, 1, NULL,
                   "threshold on the difference of Gaussians (0..1 value scale)"},
    [P_PHI] = {"phi", NULL, GH_PARAM_FLOAT, 200, 0, 10000, NULL,
               "sharpness of the tanh ramp below the threshold"},
    [P_STRENGTH] = {"strength", NULL, GH_PARAM_FLOAT, 0.7, 0, 1, NULL,
                    "how dark the lines are drawn (0: none, 1: the full XDoG value)"},
};

/* Multiplies the image by the XDoG line map of its luma:
 * out = in * (1 - strength * (1 - xdog)). */
static enum gh_status run(const struct gh_stage_ctx *ctx, const double *p,
                          const struct gh_image *in, struct gh_image **out)
{
    struct gh_image *gray = NULL, *lines = NULL;
    *out = NULL;
    enum gh_status st = gh_ops_rgb_to_gray(in, ctx->threads, &gray);
    if (st == GH_OK)
        st = gh_ops_xdog(gray, p[P_SIGMA], p[P_K], p[P_TAU], p[P_EPSILON], p[P_PHI], ctx->threads,
                         &lines);
    if (st == GH_OK)
        st = gh_image_clone(in, out);
    if (st == GH_OK) {
        float s = (float)p[P_STRENGTH];
        size_t n = gh_image_plane_size(in);
        for (int c = 0; c < in->channels; c++) {
            float *d = gh_image_plane(*out, c);
            for (size_t i = 0; i < n; i++)
                d[i] *= 1 - s * (1 - lines->data[i]);
        }
    }
    gh_image_free(gray);
    gh_image_free(lines);
    return st;
}

const struct gh_stage_def gh_stage_lines = {
    "lines", "draw XDoG line work (Winnemoeller et al. 2012) over the image", 0, params,
    GH_ARRAY_LEN(params), run, 0,
};
