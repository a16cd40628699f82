#include "ghiblify/ops.h"
#include "stage_defs.h"

enum { P_AMOUNT, P_SOURCE, P_SKY, P_COLORS, P_METHOD, P_SOFTNESS, P_MODE, P_SAMPLES, P_SEED };
enum { M_KMEANS, M_MEDIANCUT };
enum { MODE_FULL, MODE_CHROMA, MODE_HUE, MODE_AUTO };

static const char *const methods[] = {"kmeans", "mediancut", NULL};
static const char *const modes[] = {"full", "chroma", "hue", "auto", NULL};

static const struct gh_param_def params[] = {
    [P_AMOUNT] = {"amount", NULL, GH_PARAM_FLOAT, 0.5, 0, 1, NULL,
                  "how far colors move onto the palette (0: unchanged, 1: fully)"},
    [P_SKY] = {"sky", NULL, GH_PARAM_FLOAT, 0, 0, 1, NULL,
               "how much of the pull reaches the sky mask (0: the sky keeps the generator's hue)"},
    [P_SOURCE] = {"source", NULL, GH_PARAM_ENUM, 0, 0, 0, gh_palette_sources,
                  "where the palette comes from: the image's own dominant colors, or a look's "
                  "colors (--palette-from IMG: a still's)"},
    [P_COLORS] = {"colors", NULL, GH_PARAM_INT, 12, 1, GH_PALETTE_MAX, NULL,
                  "number of palette colors"},
    [P_METHOD] = {"method", NULL, GH_PARAM_ENUM, M_KMEANS, 0, 0, methods,
                  "kmeans (k-means++ in CIELAB) or mediancut (MMCQ, as ColorThief)"},
    [P_SOFTNESS] = {"softness", NULL, GH_PARAM_FLOAT, 8, 0, 200, NULL,
                    "soft assignment width in Lab units (0: hard nearest color, which bands)"},
    [P_MODE] = {"mode", NULL, GH_PARAM_ENUM, MODE_AUTO, 0, 0, modes,
                "full (replace whole colors), chroma (keep each pixel's lightness: no banding in "
                "smooth gradients), hue (keep lightness and chroma, take the palette's hue), or "
                "auto: chroma for the image's own palette, hue for a look's or a still's"},
    [P_SAMPLES] = {"samples", NULL, GH_PARAM_INT, 65536, 0, 100000000, NULL,
                   "pixels sampled to fit k-means (0: all)"},
    [P_SEED] = {"seed", NULL, GH_PARAM_INT, 1, 0, 2147483647, NULL,
                "k-means seed (the same seed gives the same palette)"},
};

struct job {
    const struct gh_stage_ctx *ctx;
    const struct gh_palette *pal;
    const struct gh_image *sky;
    double softness, amount, sky_amount;
    int mode;
};

static enum gh_status palette_band(void *user, const struct gh_band *band, struct gh_image **out)
{
    const struct job *j = user;
    enum gh_status st = gh_ops_palette_apply(band->in, j->pal, j->softness, j->mode, j->ctx->threads, out);
    if (st == GH_OK)
        st = gh_stage_blend_band(j->ctx, band, j->sky, j->amount, j->sky_amount, *out);
    return st;
}

/* Maps the image's colors part of the way onto a palette: its own dominant
 * colors (flattening), a look's, or a still's (--palette-from). At full size
 * the image's own palette is found in it at the analysis size (k-means holds
 * several copies of what it fits) and applied band by band. */
static enum gh_status run(const struct gh_stage_ctx *ctx, const double *p,
                          const struct gh_image *in, struct gh_image **out)
{
    struct gh_palette pal;
    struct gh_image *small = NULL, *owned_sky = NULL;
    enum gh_status st;
    float amount = (float)p[P_AMOUNT];
    *out = NULL;
    if (amount <= 0.0f)
        return gh_stage_unchanged(ctx, in, out);
    int source = (int)p[P_SOURCE];
    const struct gh_image *from = ctx->palette_image ? ctx->palette_image : in;
    int side = from->width > from->height ? from->width : from->height;
    if (from == in && side > GH_STAGE_ANALYSIS_SIDE) {
        if ((st = gh_stage_shrink(ctx, from, GH_STAGE_ANALYSIS_SIDE, &small)) != GH_OK)
            return st;
        from = small;
    }
    if (source > 0 && !ctx->palette_image) {
        int count;
        const struct gh_look *looks = gh_looks_table(&count);
        if (source > count) {
            st = gh_error(GH_ERR_INTERNAL, "palette source %d has no look", source);
            goto out;
        }
        st = gh_look_palette(&looks[source - 1], &pal);
    } else if ((int)p[P_METHOD] == M_MEDIANCUT) {
        st = gh_ops_palette_mmcq(from, (int)p[P_COLORS], &pal);
    } else {
        st = gh_ops_palette_kmeans(from, (int)p[P_COLORS], 1, (uint64_t)p[P_SEED],
                                   (size_t)p[P_SAMPLES], ctx->threads, &pal);
    }
    if (st != GH_OK)
        goto out;
    int mode = (int)p[P_MODE];
    if (mode == MODE_AUTO)
        mode = source > 0 || ctx->palette_image ? MODE_HUE : MODE_CHROMA;
    static const int op_mode[] = {GH_PALETTE_FULL, GH_PALETTE_CHROMA, GH_PALETTE_HUE};
    struct job j = {ctx, &pal, NULL, p[P_SOFTNESS], amount, p[P_SKY], op_mode[mode]};
    if (j.sky_amount < 1.0 && (st = gh_stage_sky(ctx, in, &j.sky, &owned_sky)) != GH_OK)
        goto out;
    st = gh_stage_bands(ctx, in, 0, palette_band, &j, out);
out:
    gh_image_free(small);
    gh_image_free(owned_sky);
    return st;
}

const struct gh_stage_def gh_stage_palette = {
    "palette", "pull colors softly onto a palette (the image's dominant colors, a look's, or a still's); chroma only by default", 1, params,
    GH_ARRAY_LEN(params), run, 0,
};
