#include "ghiblify/ops.h"
#include "stage_defs.h"

/* The depth map is a product, not a change to the picture: this stage makes
 * it (products->depth) for `fog` and --dump-stages, and passes the image on.
 * Off (--skip depth), `fog` still gets the built-in estimate on first use. */
static enum gh_status run(const struct gh_stage_ctx *ctx, const double *p,
                          const struct gh_image *in, struct gh_image **out)
{
    (void)p;
    const struct gh_image *depth = NULL;
    struct gh_image *owned = NULL;
    *out = NULL;
    enum gh_status st = gh_stage_depth_map(ctx, in, &depth, &owned);
    gh_image_free(owned);
    return st == GH_OK ? gh_stage_unchanged(ctx, in, out) : st;
}

const struct gh_stage_def gh_stage_depth = {
    "depth",
    "estimate depth (1 near, 0 far) from the working photo for the fog stage: built-in cues "
    "(height in the frame, haze, texture, sky), or a MiDaS v2.1 small network (--depth-model FILE)",
    1, NULL, 0, run, 0,
};
