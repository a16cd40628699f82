/* lines: sparse ink lines along the photo's long, clean contours.
 *
 * XDoG alone on the painting draws squiggles along cloud edges and the
 * generator's brush texture, and blotches over foliage, rock and gravel. So
 * the line shape comes from the denoised photo (not the painting), and a gate
 * keeps it only where the photo has a long, isolated contour:
 *
 *   gate = dilate(long_contours(canny(smoothed photo luma)) minus sky and dense
 *          edges), then minus sky and dense edges again (the dilation must not
 *          carry lines back into them)
 *   line = (1 - xdog(photo luma)) * gate, keeping only long drawn pieces
 *   out  = in * (1 - weight * (1 - shade) * line), with a slight chroma boost
 *
 * Lengths and windows are given at a working size of 1024 px and scaled with
 * the image's long side, so smaller working sizes select the same contours;
 * a larger photo (--size above 1024, --detail full) has its lines chosen on
 * a 1024 px copy and drawn at its own size (redrawn_map). */
#include <math.h>
#include <stdlib.h>

#include "ghiblify/ops.h"
#include "stage_defs.h"

enum { P_WEIGHT, P_SIGMA, P_SMOOTH, P_LOW, P_HIGH, P_MIN_LENGTH, P_DENSITY, P_SHADE };

static const struct gh_param_def params[] = {
    [P_WEIGHT] = {"weight", "lines", GH_PARAM_FLOAT, 0.8, 0, 1, NULL,
                  "how strongly lines are drawn (0: not at all, the image is unchanged)"},
    [P_SIGMA] = {"sigma", NULL, GH_PARAM_FLOAT, 1.0, 0.3, 5, NULL,
                 "XDoG inner Gaussian sigma in pixels: the line width"},
    [P_SMOOTH] = {"smooth", NULL, GH_PARAM_FLOAT, 3.0, 0, 10, NULL,
                  "Gaussian sigma (pixels at 1024) smoothing the photo before the contours are "
                  "found, so fine texture gives no edges"},
    [P_LOW] = {"low", NULL, GH_PARAM_FLOAT, 20, 0, 2000, NULL,
               "Canny lower hysteresis threshold of the contour search (0..255 scale)"},
    [P_HIGH] = {"high", NULL, GH_PARAM_FLOAT, 50, 0, 2000, NULL,
                "Canny upper threshold: contours start at gradients above it"},
    [P_MIN_LENGTH] = {"min-length", NULL, GH_PARAM_FLOAT, 60, 1, 10000, NULL,
                      "shortest contour that gets a line, in pixels at a working size of 1024 "
                      "(scaled with the long side)"},
    [P_DENSITY] = {"density", NULL, GH_PARAM_FLOAT, 2.5, 0, 100, NULL,
                   "no lines where a 31x31 window (at 1024) holds more edge pixels than this many "
                   "contours crossing it would (1: one straight contour): foliage, gravel, rock"},
    [P_SHADE] = {"shade", NULL, GH_PARAM_FLOAT, 0.55, 0, 1, NULL,
                 "a full-weight line multiplies the local color by this (0: black lines)"},
};

/* XDoG shape, tuned on photos. tau = 1 is a plain difference of Gaussians:
 * 0 on flat areas of any brightness (tau < 1 inks every dark area the gate
 * crosses, making blotches on dark contours), negative on the dark side of an
 * edge in proportion to its contrast, so lines fall on the darker side and
 * fade with weak edges. */
#define XDOG_K 1.6
#define XDOG_TAU 1.0
#define XDOG_EPSILON (-0.01)
#define XDOG_PHI 100
/* Share of a line's darkening added as saturation, so lines look inked in the
 * local hue rather than greyed. */
#define CHROMA_BOOST 0.5f
/* The long side the thresholds were tuned at (the default working size). */
#define LINES_TUNED_SIDE 1024

/* Luma of the photo, plus its smoothed copy for the contour search. */
static enum gh_status photo_luma(const struct gh_image *photo, double smooth, int threads,
                                 struct gh_image **gray, struct gh_image **smoothed)
{
    enum gh_status st = gh_ops_rgb_to_gray(photo, threads, gray);
    if (st == GH_OK)
        st = gh_ops_gaussian(*gray, smooth, threads, smoothed);
    return st;
}

/* Binary square dilation by radius r: box filter, anything above zero. */
static enum gh_status dilate(const struct gh_image *map, int r, int threads, struct gh_image **out)
{
    enum gh_status st = gh_ops_edge_density(map, r, threads, out);
    for (size_t i = 0; st == GH_OK && i < gh_image_plane_size(*out); i++)
        (*out)->data[i] = (*out)->data[i] > 1e-4f ? 1.0f : 0.0f;
    return st;
}

/* The line map (0..1: how much ink) at the photo's size. */
static enum gh_status line_map(const struct gh_stage_ctx *ctx, const double *p,
                               const struct gh_image *photo, struct gh_image **map)
{
    struct gh_image *gray = NULL, *smoothed = NULL, *canny = NULL, *density = NULL,
                    *contours = NULL, *gate = NULL, *xdog = NULL, *sky_owned = NULL;
    const struct gh_image *sky = NULL;
    int w = photo->width, h = photo->height, threads = ctx->threads;
    size_t n = gh_image_plane_size(photo);
    double scale = (w > h ? w : h) / 1024.0;
    int density_radius = (int)lround(15 * scale);
    density_radius = density_radius < 1 ? 1 : density_radius;
    int min_length = (int)lround(p[P_MIN_LENGTH] * scale);
    *map = NULL;
    enum gh_status st = photo_luma(photo, p[P_SMOOTH] * scale, threads, &gray, &smoothed);
    if (st == GH_OK)
        st = gh_ops_canny(smoothed, p[P_LOW], p[P_HIGH], 0, threads, &canny);
    if (st == GH_OK)
        st = gh_ops_edge_density(canny, density_radius, threads, &density);
    if (st == GH_OK)
        st = gh_stage_sky(ctx, photo, &sky, &sky_owned);
    if (st == GH_OK && (sky->width != w || sky->height != h)) {
        /* the pipeline's mask, made at the kept photo's size (redrawn_map) */
        struct gh_image *sized = NULL;
        st = gh_ops_resize(sky, w, h, GH_INTERP_AREA, threads, &sized);
        gh_image_free(sky_owned);
        sky = sky_owned = sized;
    }
    if (st != GH_OK)
        goto out;
    /* Contours are cut where they enter sky or texture before their length is
     * judged: a cloud edge or a bush must not lend its pixels to a short
     * contour beside it. */
    /* A straight contour puts 2 radius + 1 edge pixels into the window: the
     * threshold counts contours, so it means the same at every size. */
    float dens = (float)(p[P_DENSITY] / (2 * density_radius + 1));
    for (size_t i = 0; i < n; i++)
        if (sky->data[i] > 0.5f || density->data[i] > dens)
            canny->data[i] = 0;
    /* A thin edge's bounding box is about its length; half of it rejects
     * compact clusters that survived the density test. */
    st = gh_ops_long_contours(canny, min_length, 0.5 * min_length, threads, &contours);
    if (st == GH_OK)
        st = dilate(contours, 2, threads, &gate);
    if (st == GH_OK)
        st = gh_ops_xdog(gray, p[P_SIGMA], XDOG_K, XDOG_TAU, XDOG_EPSILON, XDOG_PHI, threads, &xdog);
    if (st != GH_OK)
        goto out;
    /* The line map, in place of the XDoG: 1 - xdog inside the gate, 0 outside
     * (and in the sky and dense texture, where the dilation reached). */
    for (size_t i = 0; i < n; i++) {
        int open = gate->data[i] != 0 && sky->data[i] <= 0.5f && density->data[i] <= dens;
        xdog->data[i] = open ? 1 - xdog->data[i] : 0;
    }
    /* XDoG breaks up where a contour's contrast wavers: the pieces would read
     * as dashes and flecks, so drawn lines too must be long. Only the cores
     * (line > 0.25) are judged; a 1 px dilation keeps their soft flanks. */
    gh_image_free(contours);
    contours = NULL;
    for (size_t i = 0; i < n; i++)
        canny->data[i] = xdog->data[i] > 0.25f;
    st = gh_ops_long_contours(canny, min_length, 0.5 * min_length, threads, &contours);
    gh_image_free(gate);
    gate = NULL;
    if (st == GH_OK)
        st = dilate(contours, 1, threads, &gate);
    if (st != GH_OK)
        goto out;
    for (size_t i = 0; i < n; i++)
        xdog->data[i] *= gate->data[i];
    *map = xdog;
    xdog = NULL;
out:
    gh_image_free(gray);
    gh_image_free(smoothed);
    gh_image_free(canny);
    gh_image_free(density);
    gh_image_free(contours);
    gh_image_free(gate);
    gh_image_free(xdog);
    gh_image_free(sky_owned);
    return st;
}

/* The line map of a photo larger than the size the stage is tuned at
 * (LINES_TUNED_SIDE): the lines are chosen on the photo reduced to it (on
 * the photo itself the contours came apart into pieces too short to keep:
 * LadyBird at 2048 px got no line at all), and drawn at the photo's size by
 * an XDoG as wide, relative to the picture, near the lines chosen. */
static enum gh_status redrawn_map(const struct gh_stage_ctx *ctx, const double *p,
                                  const struct gh_image *photo, struct gh_image **map)
{
    int w = photo->width, h = photo->height, side = w > h ? w : h, threads = ctx->threads;
    double s = (double)LINES_TUNED_SIDE / side;
    struct gh_image *small = NULL, *chosen = NULL, *near = NULL, *gray = NULL, *wide = NULL;
    *map = NULL;
    enum gh_status st = gh_stage_shrink(ctx, photo, LINES_TUNED_SIDE, &small);
    if (st == GH_OK)
        st = line_map(ctx, p, small, &chosen);
    for (size_t i = 0; st == GH_OK && i < gh_image_plane_size(chosen); i++)
        chosen->data[i] = chosen->data[i] > 0;
    /* the line's soft flanks, as line_map's last dilation keeps them */
    if (st == GH_OK)
        st = dilate(chosen, 1, threads, &near);
    gh_image_free(chosen);
    chosen = NULL;
    if (st == GH_OK)
        st = gh_ops_resize(near, w, h, GH_INTERP_LINEAR, threads, &chosen);
    if (st == GH_OK)
        st = gh_ops_rgb_to_gray(photo, threads, &gray);
    if (st == GH_OK)
        st = gh_ops_xdog(gray, p[P_SIGMA] / s, XDOG_K, XDOG_TAU, XDOG_EPSILON, XDOG_PHI, threads, &wide);
    if (st == GH_OK) {
        for (size_t i = 0; i < gh_image_plane_size(wide); i++)
            wide->data[i] = (1 - wide->data[i]) * chosen->data[i];
        *map = wide;
        wide = NULL;
    }
    gh_image_free(small);
    gh_image_free(chosen);
    gh_image_free(near);
    gh_image_free(gray);
    gh_image_free(wide);
    return st;
}

struct job {
    const struct gh_stage_ctx *ctx;
    const struct gh_image *map;
    float k;
};

static enum gh_status ink_band(void *user, const struct gh_band *band, struct gh_image **out)
{
    const struct job *j = user;
    struct gh_image *map = NULL;
    enum gh_status st = gh_stage_mask_band(j->ctx, j->map, band, &map);
    if (st != GH_OK || (st = gh_image_clone(band->in, out)) != GH_OK) {
        gh_image_free(map);
        return st;
    }
    size_t n = gh_image_plane_size(*out);
    float *r = gh_image_plane(*out, 0), *g = gh_image_plane(*out, 1), *b = gh_image_plane(*out, 2);
    for (size_t i = 0; i < n; i++) {
        float line = map->data[i];
        if (line <= 0)
            continue;
        float d = j->k * line, m = 1 - d;
        /* Darken, and push each channel away from the pixel's grey by a share
         * of the darkening, so the line reads as a deeper shade of the hue. */
        float grey = (r[i] + g[i] + b[i]) / 3, boost = 1 + CHROMA_BOOST * d;
        r[i] = m * (grey + boost * (r[i] - grey));
        g[i] = m * (grey + boost * (g[i] - grey));
        b[i] = m * (grey + boost * (b[i] - grey));
    }
    gh_image_free(map);
    return GH_OK;
}

/* The lines are found in the photo the pipeline kept: at full detail that is
 * the photo at the analysis size, and the line map is brought to the image
 * band by band (contours are whole-image connected sets: at 50 MP their maps
 * alone would be 1.4 GB). */
static enum gh_status run(const struct gh_stage_ctx *ctx, const double *p,
                          const struct gh_image *in, struct gh_image **out)
{
    *out = NULL;
    if (p[P_WEIGHT] <= 0 || in->channels < 3)
        return gh_stage_unchanged(ctx, in, out);
    const struct gh_image *photo = gh_stage_photo(ctx, in);
    int kept = ctx->products && photo == ctx->products->photo && ctx->detail_full;
    if (photo->channels < 3 || (!kept && (photo->width != in->width || photo->height != in->height)))
        photo = in; /* run on its own after a stage that changed the size */
    struct job j = {ctx, NULL, (float)(p[P_WEIGHT] * (1 - p[P_SHADE]))};
    struct gh_image *map = NULL;
    int side = photo->width > photo->height ? photo->width : photo->height;
    enum gh_status st = side > LINES_TUNED_SIDE ? redrawn_map(ctx, p, photo, &map)
                                                : line_map(ctx, p, photo, &map);
    j.map = map;
    if (st == GH_OK)
        st = gh_stage_bands(ctx, in, 0, ink_band, &j, out);
    gh_image_free(map);
    return st;
}

const struct gh_stage_def gh_stage_lines = {
    "lines",
    "ink lines along the photo's long, clean contours (XDoG of the photo, Winnemoeller et al. "
    "2012, gated by long Canny contours; none in the sky or in dense texture), drawn as a darker "
    "shade of the local color",
    1, params, GH_ARRAY_LEN(params), run, 0,
};
