#include "ghiblify/ops.h"
#include "stage_defs.h"

static enum gh_status run(const struct gh_stage_ctx *ctx, const double *p,
                          const struct gh_image *in, struct gh_image **out)
{
    (void)p;
    if (in->width == ctx->original_width && in->height == ctx->original_height)
        return gh_image_clone(in, out);
    return gh_ops_resize(in, ctx->original_width, ctx->original_height, GH_INTERP_LINEAR,
                         ctx->threads, out);
}

const struct gh_stage_def gh_stage_upsample = {
    "upsample", "return to the photo's original size (off: --no-keep-size)", 1, NULL, 0, run, 0,
};
