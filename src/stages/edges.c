#include "ghiblify/ops.h"
#include "stage_defs.h"

enum { P_LOW, P_HIGH, P_GRADIENT, P_SIGMA, P_STRENGTH };

static const char *const gradients[] = {"l1", "l2", NULL};

static const struct gh_param_def params[] = {
    [P_LOW] = {"low", NULL, GH_PARAM_FLOAT, 50, 0, 2000, NULL,
               "Canny lower hysteresis threshold (Sobel gradient on the 0..255 scale)"},
    [P_HIGH] = {"high", NULL, GH_PARAM_FLOAT, 150, 0, 2000, NULL,
                "Canny upper threshold: edges start at gradients above it"},
    [P_GRADIENT] = {"gradient", NULL, GH_PARAM_ENUM, 0, 0, 0, gradients,
                    "gradient magnitude: l1 (|dx| + |dy|, as cv2.Canny's default) or l2"},
    [P_SIGMA] = {"sigma", NULL, GH_PARAM_FLOAT, 0, 0, 20, NULL,
                 "Gaussian blur of the luma before Canny in pixels (0: none)"},
    [P_STRENGTH] = {"strength", NULL, GH_PARAM_FLOAT, 1, 0, 1, NULL,
                    "how dark edge pixels are drawn: 0 leaves the image, 1 paints them black"},
};

/* Draws the Canny edges of the luma as dark pixels: out = in * (1 - strength) on
 * edges, in elsewhere. */
static enum gh_status run(const struct gh_stage_ctx *ctx, const double *p,
                          const struct gh_image *in, struct gh_image **out)
{
    struct gh_image *gray = NULL, *blurred = NULL, *edges = NULL;
    enum gh_status st = gh_ops_rgb_to_gray(in, ctx->threads, &gray);
    *out = NULL;
    if (st == GH_OK && p[P_SIGMA] > 0)
        st = gh_ops_gaussian(gray, p[P_SIGMA], ctx->threads, &blurred);
    if (st == GH_OK)
        st = gh_ops_canny(blurred ? blurred : gray, p[P_LOW], p[P_HIGH], (int)p[P_GRADIENT] == 1,
                          ctx->threads, &edges);
    if (st == GH_OK)
        st = gh_image_clone(in, out);
    if (st == GH_OK) {
        float keep = (float)(1 - p[P_STRENGTH]);
        size_t n = gh_image_plane_size(in);
        for (int c = 0; c < in->channels; c++) {
            float *d = gh_image_plane(*out, c);
            for (size_t i = 0; i < n; i++)
                if (edges->data[i] > 0.5f)
                    d[i] *= keep;
        }
    }
    gh_image_free(gray);
    gh_image_free(blurred);
    gh_image_free(edges);
    return st;
}

const struct gh_stage_def gh_stage_edges = {
    "edges", "draw Canny edges of the photo as dark lines", 0, params, GH_ARRAY_LEN(params), run, 0,
};
