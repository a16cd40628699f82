#include <math.h>
#include <stdio.h>
#include <string.h>

#include "ghiblify/nn.h"
#include "ghiblify/ops.h"
#include "stage_defs.h"

enum { P_STRENGTH, P_MULTIPLE, P_DETAIL, P_TILE, P_MARGIN, P_STATS };

static const char *const details[] = {"working", "full", NULL};

static const struct gh_param_def params[] = {
    [P_STRENGTH] = {"strength", "strength", GH_PARAM_FLOAT, 1, 0, 1, NULL,
                    "how much of the generator's painting to keep (0: the photo, 1: all of it)"},
    [P_MULTIPLE] = {"multiple", NULL, GH_PARAM_INT, 0, 0, 256, NULL,
                    "pad the image by reflection to a multiple of this size for the model; "
                    "0: 8 for the built-in model, 16 for --model files"},
    [P_DETAIL] = {"detail", "detail", GH_PARAM_ENUM, 0, 0, 0, details,
                  "working: the generator paints the working-size image (--size) and upsample enlarges it; "
                  "full: it paints the photo at its own resolution, in tiles, with its whole-image "
                  "statistics (normalization means, attention) taken from passes at --stats-size, and every "
                  "stage runs at full size, band by band, with the sky, depth and line maps found at "
                  "2048 px at most (slower; fine detail instead of an enlarged painting)"},
    [P_TILE] = {"tile", "tile", GH_PARAM_INT, 0, 0, 8192, NULL,
                "tile side in pixels when the generator runs in tiles (--detail full, or a --size too "
                "large for memory); 0: 768, or less if --max-memory needs"},
    [P_MARGIN] = {"margin", "tile-margin", GH_PARAM_INT, -1, -1, 1024, NULL,
                  "context computed around each tile and dropped, in pixels; -1: the generator's "
                  "receptive field (56 for the built-in one), which makes tiles seamless"},
    [P_STATS] = {"stats_size", "stats-size", GH_PARAM_INT, 1280, 0, 65535, NULL,
                 "long side of the pass that measures the generator's whole-image statistics for --detail "
                 "full (a second pass at half of it extrapolates them to the photo's size; a photo squarer "
                 "than 4:3 gets a pass of as many pixels as a 4:3 one); larger is closer to an untiled "
                 "full-size run, slower and needs more memory; 0: --size"},
};

static int long_side(int w, int h)
{
    return w > h ? w : h;
}

/* Whether a w x h run fits in `share` of the memory limit. */
static int fits_in(const struct gh_stage_ctx *ctx, int w, int h, double share)
{
    double bytes, values;
    if (!ctx->footprint)
        return 1;
    gh_nn_footprint_at(ctx->footprint, w, h, &bytes, &values);
    return (ctx->memory_limit <= 0 || bytes <= ctx->memory_limit * share) && values <= GH_NN_MAX_TENSOR_VALUES;
}

static int fits(const struct gh_stage_ctx *ctx, int w, int h)
{
    return fits_in(ctx, w, h, 1.0);
}

/* The sizes chosen for tiled runs keep this share of the limit: the
 * footprint is a fit from two small probes, and at a few hundred pixels a
 * side its prediction ran up to a quarter under the arena actually used. */
#define TILED_SHARE 0.7

/* The image scaled to long side `side` (aspect kept). */
static void scaled(int w, int h, int side, int *sw, int *sh)
{
    double k = (double)side / long_side(w, h);
    *sw = (int)(w * k + 0.5);
    *sh = (int)(h * k + 0.5);
    *sw = *sw < 1 ? 1 : *sw;
    *sh = *sh < 1 ? 1 : *sh;
}

int gh_stage_stats_side(int width, int height, int side)
{
    double aspect = (double)long_side(width, height) / (width < height ? width : height);
    if (aspect >= 4.0 / 3.0)
        return side;
    int s = (int)(side * sqrt(0.75 * aspect));
    return s < 1 ? 1 : s;
}

/* Largest long side <= side at which the w x h image fits in one piece. */
static int largest_fit(const struct gh_stage_ctx *ctx, int w, int h, int side)
{
    int sw, sh, lo = 16, hi = side;
    scaled(w, h, side, &sw, &sh);
    if (fits(ctx, sw, sh))
        return side;
    while (hi - lo > 1) {
        int mid = lo + (hi - lo) / 2;
        scaled(w, h, mid, &sw, &sh);
        if (fits_in(ctx, sw, sh, TILED_SHARE))
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* Below this long side a statistics pass says little about the photo's
 * structures (the generator's receptive field is 110 px across). */
#define EXTRAPOLATE_MIN_SIDE 256

/* Statistics pass on the image shrunk to `side`, then in tiles at full size
 * (include/ghiblify/nn.h, "Statistics mode and tiles"). */
static enum gh_status run_tiled(const struct gh_stage_ctx *ctx, const double *p, const struct gh_image *in,
                                int multiple, int side, struct gh_image **out)
{
    struct gh_nn_model *g = ctx->generator;
    struct gh_nn_tiling t;
    struct gh_nn_stats *stats = NULL, *low = NULL;
    struct gh_image *small = NULL;
    enum gh_status st;
    int sw, sh, pw, ph, qw, qh;
    if ((st = gh_nn_analyze(g, multiple, &t)))
        return st;
    scaled(in->width, in->height, side, &sw, &sh);
    int shrunk = side < long_side(in->width, in->height);
    if (shrunk &&
        (st = gh_ops_resize(in, sw, sh, GH_INTERP_AREA, ctx->threads, &small)))
        return st;
    if ((st = gh_nn_stats_new(&stats)) || (st = gh_nn_record(g, stats)) ||
        (st = gh_nn_stylize_pass(g, small ? small : in, small ? &small : NULL, multiple, ctx->threads)))
        goto out;
    /* The statistics pass's activations are larger than a tile's: let them
     * go before the full-size output image is made. */
    gh_image_free(small);
    small = NULL;
    gh_nn_arena_empty(g);
    gh_nn_padded_size(in->width, in->height, multiple, &pw, &ph);
    gh_nn_padded_size(shrunk ? sw : in->width, shrunk ? sh : in->height, multiple, &qw, &qh);
    if (shrunk && t.n_global > 0 && side / 2 >= EXTRAPOLATE_MIN_SIDE) {
        /* A second pass at half the side gives the statistics' trend with
         * size, followed to the photo's size (gh_nn_stats_extrapolate). */
        int lw, lh, rw, rh;
        scaled(in->width, in->height, side / 2, &lw, &lh);
        gh_nn_padded_size(lw, lh, multiple, &rw, &rh);
        if ((st = gh_nn_stats_new(&low)) || (st = gh_ops_resize(in, lw, lh, GH_INTERP_AREA, ctx->threads, &small)) ||
            (st = gh_nn_record(g, low)) || (st = gh_nn_stylize_pass(g, small, &small, multiple, ctx->threads)))
            goto out;
        gh_nn_thaw(g);
        gh_nn_arena_empty(g);
        gh_image_free(small);
        small = NULL;
        if ((st = gh_nn_stats_extrapolate(g, stats, (double)qw * qh, low, (double)rw * rh, (double)pw * ph)))
            goto out;
    }
    if ((st = gh_nn_replay(g, stats, (double)pw * ph / ((double)qw * qh))))
        goto out;
    struct gh_nn_tile_options o = {(int)p[P_TILE], (int)p[P_MARGIN], ctx->threads};
    if (o.tile == 0) {
        /* The default tile, or the largest whose window fits in memory. */
        int margin = o.margin < 0 ? t.margin : o.margin;
        o.tile = GH_NN_TILE_DEFAULT;
        while (o.tile > t.align && !fits_in(ctx, o.tile + 2 * margin, o.tile + 2 * margin, TILED_SHARE))
            o.tile -= t.align;
    }
    if (ctx->input_consumable && p[P_STRENGTH] >= 1) { /* the blend below would need the photo */
        struct gh_image *img = (struct gh_image *)in; /* ours to overwrite (input_consumable) */
        if ((st = gh_nn_stylize_tiled_inplace(g, img, multiple, &o)) == GH_OK)
            *out = img;
    } else {
        st = gh_nn_stylize_tiled(g, in, multiple, &o, out);
    }
out:
    gh_nn_thaw(g);
    gh_nn_stats_free(stats);
    gh_nn_stats_free(low);
    gh_image_free(small);
    return st;
}

static enum gh_status run(const struct gh_stage_ctx *ctx, const double *p,
                          const struct gh_image *in, struct gh_image **out)
{
    float strength = (float)p[P_STRENGTH];
    if (strength <= 0.0f) /* the identity needs no model */
        return gh_stage_unchanged(ctx, in, out);
    if (!ctx->generator)
        return gh_error(GH_ERR_MODEL, "no generator model: this build has none built in "
                                      "(run tools/fetch-models.sh and rebuild) and no --model FILE was given");
    int multiple = (int)p[P_MULTIPLE] ? (int)p[P_MULTIPLE] : ctx->generator_multiple;
    multiple = multiple > 0 ? multiple : 16;
    int full = p[P_DETAIL] == 1, side = long_side(in->width, in->height);
    int whole = fits(ctx, in->width, in->height);
    enum gh_status st;
    if (full || !whole) {
        /* Statistics at --stats-size (full detail) or at the largest size
         * that fits in one piece (a --size too large for memory). */
        int want = (int)p[P_STATS] > 0 ? gh_stage_stats_side(in->width, in->height, (int)p[P_STATS])
                                        : ctx->working_size; /* --size: the long side asked for */
        int stats_side = full && want > 0 && want < side ? want : side;
        stats_side = largest_fit(ctx, in->width, in->height, stats_side);
        if (stats_side >= side && whole) /* no larger than one piece: no tiles needed */
            st = gh_nn_stylize(ctx->generator, in, multiple, ctx->threads, out);
        else
            st = run_tiled(ctx, p, in, multiple, stats_side, out);
        if (st == GH_ERR_UNSUPPORTED && !full) {
            double bytes, values;
            gh_nn_footprint_at(ctx->footprint, in->width, in->height, &bytes, &values);
            st = gh_error(GH_ERR_TOO_LARGE,
                          "a %dx%d working image needs %.1f GB for the generator, over its limit "
                          "(--max-memory %.0f MB; a %.0f-value tensor cap), and this model cannot run in "
                          "tiles: lower --size",
                          in->width, in->height, bytes / 1e9, ctx->memory_limit / 1048576.0,
                          GH_NN_MAX_TENSOR_VALUES);
        }
    } else {
        st = gh_nn_stylize(ctx->generator, in, multiple, ctx->threads, out);
    }
    if (st == GH_OK && strength < 1.0f) {
        size_t n = gh_image_plane_size(in) * 3;
        for (size_t i = 0; i < n; i++)
            (*out)->data[i] = in->data[i] + strength * ((*out)->data[i] - in->data[i]);
    }
    if (ctx->release_generator)
        gh_nn_arena_empty(ctx->generator);
    const char *detail = gh_error_detail();
    if (st != GH_OK && st != GH_ERR_STOPPED && !ctx->verbose && strncmp(detail, "node '", 6) == 0) {
        /* "node 'NAME' (OP): reason": the reason is what the user can act on. */
        const char *reason = strstr(detail, "): ");
        if (reason) {
            char copy[512];
            snprintf(copy, sizeof copy, "%s", reason + 3);
            gh_error(st, "the generator failed: %s (-v names the model node)", copy);
        }
    }
    return st;
}

const struct gh_stage_def gh_stage_stylize = {
    "stylize", "paint the photo with the AnimeGANv3 generator (Hayao style built in; --model FILE)",
    1, params, GH_ARRAY_LEN(params), run, 0,
};
