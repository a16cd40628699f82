#include <math.h>

#include "ghiblify/ops.h"
#include "stage_defs.h"

enum { P_METHOD, P_MAX_SIZE, P_RADIUS, P_SIGMA_SPATIAL, P_SIGMA_RANGE };
enum { M_JBU, M_BILINEAR, M_BICUBIC };

static const char *const methods[] = {"jbu", "bilinear", "bicubic", NULL};

static const struct gh_param_def params[] = {
    [P_METHOD] = {"method", NULL, GH_PARAM_ENUM, M_JBU, 0, 0, methods,
                  "jbu: joint bilateral upsampling guided by the full-size photo (edges land on the "
                  "photo's, every value comes from the painting); bilinear or bicubic: plain resize"},
    [P_MAX_SIZE] = {"max-size", "max-size", GH_PARAM_INT, 0, 0, GH_IMAGE_MAX_SIDE, NULL,
                    "largest long side of the output in pixels (0: the photo's own size)"},
    [P_RADIUS] = {"radius", NULL, GH_PARAM_INT, 1, 0, 8, NULL,
                  "jbu taps: (2 radius + 1)^2 working-size pixels"},
    [P_SIGMA_SPATIAL] = {"sigma-spatial", NULL, GH_PARAM_FLOAT, 0.6, 0.1, 100, NULL,
                         "jbu spatial Gaussian in working-size pixels (larger: smoother, more of the photo's edges)"},
    [P_SIGMA_RANGE] = {"sigma-range", NULL, GH_PARAM_FLOAT, 0.1, 0.001, 10, NULL,
                       "jbu color Gaussian on the photo (0..1 units)"},
};

/* Back to the photo's size. JBU needs the photo at both sizes: the decoded one
 * and the working-size one the painting was made from; a stage run without them
 * (or on an image the pipeline resized differently) falls back to bilinear. */
static enum gh_status run(const struct gh_stage_ctx *ctx, const double *p,
                          const struct gh_image *in, struct gh_image **out)
{
    int ow = ctx->original_width, oh = ctx->original_height, max = (int)p[P_MAX_SIZE];
    int long_side = ow > oh ? ow : oh;
    if (max > 0 && long_side > max) {
        double s = (double)max / long_side;
        ow = (int)lround(ow * s);
        oh = (int)lround(oh * s);
        ow = ow < 1 ? 1 : ow;
        oh = oh < 1 ? 1 : oh;
    }
    if (in->width == ow && in->height == oh) /* --detail full: nothing to do */
        return gh_stage_unchanged(ctx, in, out);
    int method = (int)p[P_METHOD];
    const struct gh_stage_products *pr = ctx->products;
    if (method == M_JBU && pr && pr->original && pr->working && pr->working->width == in->width &&
        pr->working->height == in->height && pr->original->width == ctx->original_width &&
        pr->original->height == ctx->original_height && ow > in->width && oh > in->height) {
        struct gh_jbu_params jp = {(int)p[P_RADIUS], p[P_SIGMA_SPATIAL], p[P_SIGMA_RANGE]};
        const struct gh_image *guide = pr->original;
        struct gh_image *smaller = NULL;
        enum gh_status st = GH_OK;
        /* --max-size: the guide at the output's size. */
        if (guide->width != ow || guide->height != oh)
            st = gh_ops_resize(guide, ow, oh, GH_INTERP_AREA, ctx->threads, &smaller);
        if (st == GH_OK)
            st = gh_ops_jbu(in, pr->working, smaller ? smaller : guide, &jp, ctx->threads, out);
        gh_image_free(smaller);
        return st;
    }
    /* Shrinking (a --max-size under the working size) averages; enlarging interpolates. */
    enum gh_interp interp = ow < in->width || oh < in->height ? GH_INTERP_AREA
                            : method == M_BICUBIC                  ? GH_INTERP_CUBIC
                                                                   : GH_INTERP_LINEAR;
    return gh_ops_resize(in, ow, oh, interp, ctx->threads, out);
}

const struct gh_stage_def gh_stage_upsample = {
    "upsample", "return to the photo's original size, guided by the photo (off: --no-keep-size)", 1,
    params, GH_ARRAY_LEN(params), run, 0,
};
