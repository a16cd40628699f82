#include <stdlib.h>

#include "ghiblify/ops.h"
#include "stage_defs.h"

enum { P_COUNT, P_COMPACTNESS, P_ITERATIONS, P_MIX };

static const struct gh_param_def params[] = {
    [P_COUNT] = {"count", NULL, GH_PARAM_INT, 1500, 1, 1000000, NULL,
                 "approximate number of SLIC superpixels"},
    [P_COMPACTNESS] = {"compactness", NULL, GH_PARAM_FLOAT, 10, 0.01, 1000, NULL,
                       "SLIC compactness: higher gives squarer regions, lower follows color"},
    [P_ITERATIONS] = {"iterations", NULL, GH_PARAM_INT, 10, 1, 100, NULL,
                      "SLIC iterations"},
    [P_MIX] = {"mix", NULL, GH_PARAM_FLOAT, 1, 0, 1, NULL,
               "blend of each region's mean color over the image (1: flat regions)"},
};

/* Flattens SLIC superpixels to their mean color, blended by mix. */
static enum gh_status run(const struct gh_stage_ctx *ctx, const double *p,
                          const struct gh_image *in, struct gh_image **out)
{
    struct gh_image *mean = NULL;
    int count = 0;
    *out = NULL;
    int *labels = malloc(gh_image_plane_size(in) * sizeof *labels);
    if (!labels)
        return gh_error(GH_ERR_NOMEM, "no memory for %dx%d labels", in->width, in->height);
    enum gh_status st = gh_ops_slic(in, (int)p[P_COUNT], p[P_COMPACTNESS], (int)p[P_ITERATIONS],
                                    ctx->threads, labels, &count);
    if (st == GH_OK)
        st = gh_ops_label_mean(in, labels, count, &mean);
    free(labels);
    if (st != GH_OK)
        return st;
    float mix = (float)p[P_MIX];
    size_t n = gh_image_plane_size(in) * (size_t)in->channels;
    for (size_t i = 0; i < n; i++)
        mean->data[i] = mix * mean->data[i] + (1 - mix) * in->data[i];
    *out = mean;
    return GH_OK;
}

const struct gh_stage_def gh_stage_segments = {
    "segments", "flatten SLIC superpixels to their mean color", 0, params, GH_ARRAY_LEN(params),
    run, 0,
};
