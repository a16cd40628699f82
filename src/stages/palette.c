#include "ghiblify/ops.h"
#include "stage_defs.h"

enum { P_COLORS, P_METHOD, P_SOFTNESS, P_MODE, P_SAMPLES, P_SEED };
enum { M_KMEANS, M_MEDIANCUT };
enum { MODE_FULL, MODE_CHROMA };

static const char *const methods[] = {"kmeans", "mediancut", NULL};
static const char *const modes[] = {"full", "chroma", NULL};

static const struct gh_param_def params[] = {
    [P_COLORS] = {"colors", NULL, GH_PARAM_INT, 12, 1, GH_PALETTE_MAX, NULL,
                  "number of palette colors"},
    [P_METHOD] = {"method", NULL, GH_PARAM_ENUM, M_KMEANS, 0, 0, methods,
                  "kmeans (k-means++ in CIELAB) or mediancut (MMCQ, as ColorThief)"},
    [P_SOFTNESS] = {"softness", NULL, GH_PARAM_FLOAT, 8, 0, 200, NULL,
                    "soft assignment width in Lab units (0: hard nearest color, which bands)"},
    [P_MODE] = {"mode", NULL, GH_PARAM_ENUM, MODE_CHROMA, 0, 0, modes,
                "full (replace whole colors) or chroma (keep each pixel's lightness: no banding "
                "in smooth gradients)"},
    [P_SAMPLES] = {"samples", NULL, GH_PARAM_INT, 65536, 0, 100000000, NULL,
                   "pixels sampled to fit k-means (0: all)"},
    [P_SEED] = {"seed", NULL, GH_PARAM_INT, 1, 0, 2147483647, NULL,
                "k-means seed (the same seed gives the same palette)"},
};

/* Extracts a palette from the image itself and maps the image onto it. */
static enum gh_status run(const struct gh_stage_ctx *ctx, const double *p,
                          const struct gh_image *in, struct gh_image **out)
{
    struct gh_palette pal;
    enum gh_status st;
    *out = NULL;
    if ((int)p[P_METHOD] == M_MEDIANCUT)
        st = gh_ops_palette_mmcq(in, (int)p[P_COLORS], &pal);
    else
        st = gh_ops_palette_kmeans(in, (int)p[P_COLORS], 1, (uint64_t)p[P_SEED],
                                   (size_t)p[P_SAMPLES], ctx->threads, &pal);
    if (st != GH_OK)
        return st;
    return gh_ops_palette_apply(in, &pal, p[P_SOFTNESS], (int)p[P_MODE] == MODE_CHROMA,
                                ctx->threads, out);
}

const struct gh_stage_def gh_stage_palette = {
    "palette", "flatten colors onto a palette of the image's dominant colors", 0, params,
    GH_ARRAY_LEN(params), run, 0,
};
