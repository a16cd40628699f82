#include "ghiblify/ops.h"
#include "stage_defs.h"

enum { P_SIZE };

static const struct gh_param_def params[] = {
    [P_SIZE] = {"size", "size", GH_PARAM_INT, 1024, 16, GH_IMAGE_MAX_SIDE, NULL,
                "long side of the working image in pixels; smaller photos are not enlarged. "
                "Practical range 256..2048: the built-in generator takes about 0.7 GB per working "
                "megapixel in one piece; a size too large for memory (--max-memory) runs in tiles "
                "instead. With --detail full, unused (see --stats-size)"},
};

static enum gh_status run(const struct gh_stage_ctx *ctx, const double *p,
                          const struct gh_image *in, struct gh_image **out)
{
    int size = (int)p[P_SIZE];
    int long_side = in->width > in->height ? in->width : in->height;
    if (ctx->detail_full || long_side <= size) /* full detail: stylize measures at --stats-size */
        return gh_stage_unchanged(ctx, in, out);
    return gh_stage_shrink(ctx, in, size, out);
}

const struct gh_stage_def gh_stage_resize = {
    "resize", "shrink to the working resolution by area averaging", 1, params,
    GH_ARRAY_LEN(params), run, 1,
};
