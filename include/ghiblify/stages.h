/* ghiblify: pipeline stages described as data.
 *
 * Each stage is one entry of a table (name, documentation, parameters with
 * defaults and ranges, run function). The CLI builds its options, --help and the
 * stage list from these tables, so a stage or parameter is defined exactly once.
 * Stages always run in table order; selection only switches them on or off. */
#ifndef GHIBLIFY_STAGES_H
#define GHIBLIFY_STAGES_H

#include "ghiblify/image.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GH_STAGE_MAX_PARAMS 12
#define GH_STAGE_MAX 24

enum gh_param_type {
    GH_PARAM_INT,
    GH_PARAM_FLOAT,
    GH_PARAM_ENUM, /* value is an index into `choices` */
};

struct gh_param_def {
    const char *name;           /* "sigma-color" */
    const char *flag;           /* CLI long option; NULL means "<stage>-<name>" */
    enum gh_param_type type;
    double default_value;
    double min, max;            /* inclusive range for INT and FLOAT */
    const char *const *choices; /* NULL-terminated names, for ENUM */
    const char *doc;
};

struct gh_nn_model;
struct gh_nn_footprint;

/* Per-image products that later stages need, made once per image and owned by
 * gh_pipeline_run (stages read them; the sky mask is made on first use by
 * gh_stage_sky). Lines and guided upsampling want the photo, not the painting. */
struct gh_stage_products {
    const struct gh_image *original; /* the decoded photo at full resolution */
    struct gh_image *working;        /* the photo at the working size (output of resize) */
    /* The working-size photo after denoise: what stylize paints (with
     * --detail full: that photo at the analysis size, GH_STAGE_ANALYSIS_SIDE). */
    struct gh_image *photo;
    struct gh_image *sky;            /* sky mask at photo's size (1 channel, [0, 1]), or NULL */
    struct gh_image *depth;          /* depth map at photo's size (1 = near), or NULL */
};

/* What a stage may know about the run besides its input image. */
struct gh_stage_ctx {
    int threads;          /* threads for this image's row loops */
    int original_width;   /* size of the decoded photo, before `resize` */
    int original_height;
    /* The generator for `stylize` (NULL when none could be had), owned by the
     * caller and used by one image at a time, and the size multiple its input
     * needs when the stage's own `multiple` parameter is 0 (auto). */
    struct gh_nn_model *generator;
    int generator_multiple;
    /* Free the generator's activations after this image: they are idle (0.6 GB
     * at the default size) while the full-resolution stages run, and keeping
     * them would put a 12 MP photo's peak over 1 GB; but the next image would
     * pay about a second of page faults to get them back, so the batch asks
     * for it only on a worker's last image. */
    int release_generator;
    /* The generator's measured memory use and the bytes one image may take:
     * `stylize` refuses an image that would not fit before running it. NULL
     * or 0: no check. */
    const struct gh_nn_footprint *footprint;
    double memory_limit;
    /* `stylize --detail full` is on: `resize` keeps the photo's size and
     * `stylize` takes its whole-image statistics from a pass at working_size
     * (the long side, --size), then paints the full image in tiles. */
    int detail_full;
    int working_size;
    /* A depth network (--depth-model: MiDaS v2.1 small) for the depth map,
     * owned by the caller and used by one image at a time; NULL: the built-in
     * estimate (gh_ops_depth_estimate). */
    struct gh_nn_model *depth_model;
    /* Errors may name internal nodes and tensors (-v); otherwise they say
     * what failed in the user's terms. */
    int verbose;
    /* A user's reference still (sRGB, any size) whose colors `transfer` and
     * `histmatch` aim at instead of their stored targets; NULL when none. */
    const struct gh_image *reference;
    /* A user's still whose dominant colors `palette` maps onto (--palette-from),
     * instead of the image's own or the look's; NULL when none. */
    const struct gh_image *palette_image;
    /* Seed of every random choice a stage makes (grain, dithering): the same
     * input, options and seed give the same bytes at any thread count. */
    unsigned long seed;
    /* Set by gh_pipeline_run for each stage: the pipeline owns the stage's
     * input and frees it afterwards, so the stage may write its result into
     * it and return that same image as its output. */
    int input_consumable;
    /* Pixels per band for the stages that work in horizontal bands (0:
     * GH_STAGE_BAND_PIXELS); an image with fewer rows than a band runs whole. */
    long band_pixels;
    /* Set by gh_pipeline_run for the stages it runs (callers leave it NULL);
     * a stage run on its own sees NULL and uses its input instead. */
    struct gh_stage_products *products;
};

struct gh_stage_def {
    const char *name;
    const char *doc;
    int enabled_by_default;
    const struct gh_param_def *params;
    int param_count;
    /* Reads in, allocates *out. params holds param_count values in table order. */
    enum gh_status (*run)(const struct gh_stage_ctx *ctx, const double *params,
                          const struct gh_image *in, struct gh_image **out);
    /* Its output is the photo the later stages refer to (products->photo):
     * resize and denoise. */
    int makes_photo;
};

/* A stage's output when it leaves the image as it is: in itself when the
 * pipeline owns it (ctx->input_consumable; a 50 MP image is 604 MB), else a
 * copy. */
enum gh_status gh_stage_unchanged(const struct gh_stage_ctx *ctx, const struct gh_image *in,
                                  struct gh_image **out);

/* Long side of the photo the stages find their masks (sky, depth) and line
 * contours in with --detail full; a smaller photo is used as it is. */
#define GH_STAGE_ANALYSIS_SIDE 2048

/* The long side of the statistics pass `stylize --detail full` makes for
 * --stats-size `side` (not for --stats-size 0, which takes --size as it is)
 * on a width x height photo: side, or for a photo squarer
 * than 4:3, the side that gives a pass as many pixels as a 4:3 one (its
 * memory goes with its pixels: a square 50 MP photo's 1280 x 1280 pass took
 * the peak from 1.42 to 1.69 GB). */
int gh_stage_stats_side(int width, int height, int side);

/* Band-wise stages. A stage whose work at a pixel reads its neighbours
 * within `halo` rows (and, beyond that, only values the stage fixed from the
 * whole image beforehand) runs fn on one horizontal band at a time, so its
 * temporaries are those of a band. 4 Mpixels: a 12 MP photo in 3 bands, each
 * stage's planes 16 MB apiece. */
#define GH_STAGE_BAND_PIXELS (4L << 20)

struct gh_band {
    const struct gh_image *in; /* image rows top .. top + in->height - 1: the band and its halo */
    int top;                   /* in's first row in the whole image */
    int y0, y1;                /* the rows this band is for, y0 <= row < y1 */
    int width, height;         /* the whole image's size */
};

/* Makes *out, a new image of band->in's size: the stage's result on those
 * rows (only rows y0..y1-1 are kept; the halo rows' values may be wrong). */
typedef enum gh_status (*gh_band_fn)(void *user, const struct gh_band *band, struct gh_image **out);

/* Rows per band for an image `width` wide with `halo` rows of context on
 * each side: the band with its halos holds about the band pixels, but has at
 * least min(halo, band pixels / width) rows of its own, and at least 1. */
int gh_stage_band_rows(const struct gh_stage_ctx *ctx, int width, int halo);

/* Runs fn over the bands of in (each with up to `halo` rows of context above
 * and below) and stitches the bands' rows into *out: in itself when the
 * pipeline owns it (ctx->input_consumable), else a new image. An image of one
 * band is passed to fn as it is and *out is fn's result. Within its halo the
 * result equals fn run on the whole image. */
enum gh_status gh_stage_bands(const struct gh_stage_ctx *ctx, const struct gh_image *in, int halo,
                              gh_band_fn fn, void *user, struct gh_image **out);

/* Reads in band by band, in order (no halo): fn gets each band's rows as an
 * image whose first row is image row `top`; an image of one band is passed as
 * it is. For whole-image sums accumulated in the order a single pass would. */
typedef enum gh_status (*gh_band_read_fn)(void *user, const struct gh_image *rows, int top);
enum gh_status gh_stage_bands_read(const struct gh_stage_ctx *ctx, const struct gh_image *in,
                                   gh_band_read_fn fn, void *user);

/* gh_ops_lab_stats of in (the means only unless with_std), read band by band
 * and summed in the order one pass sums: the same doubles. */
struct gh_lab_stats;
enum gh_status gh_stage_lab_stats(const struct gh_stage_ctx *ctx, const struct gh_image *in,
                                  int with_std, struct gh_lab_stats *out);

/* The rows of band of a mask (sky, depth: made at the analysis size) brought
 * to the band's image size as gh_ops_resize(LINEAR) would: a new
 * band->width x band->in->height image. */
enum gh_status gh_stage_mask_band(const struct gh_stage_ctx *ctx, const struct gh_image *mask,
                                  const struct gh_band *band, struct gh_image **out);

/* in reduced by area averaging to `side` pixels on its long side (as the
 * resize stage reduces a photo to --size), or a copy when it is no longer. */
enum gh_status gh_stage_shrink(const struct gh_stage_ctx *ctx, const struct gh_image *in, int side,
                               struct gh_image **out);

/* The working-size photo for a stage that wants the photo, not the painting:
 * products->photo when the pipeline has one, else in. */
const struct gh_image *gh_stage_photo(const struct gh_stage_ctx *ctx, const struct gh_image *in);

/* Turns a stage's full effect `out` (same size as in) into its blend with in:
 * out = in + amount * w * (out - in), with w = 1 on land and sky_amount in the
 * sky mask (soft), so color stages can leave the sky's hue alone. amount 1
 * with sky_amount 1 leaves out as it is, without making the mask. */
enum gh_status gh_stage_blend(const struct gh_stage_ctx *ctx, const struct gh_image *in,
                              double amount, double sky_amount, struct gh_image *out);

struct gh_band;

/* gh_stage_blend on one band (band->in and out of its size), with the sky
 * mask given (at any size; NULL: none) rather than fetched from in. */
enum gh_status gh_stage_blend_band(const struct gh_stage_ctx *ctx, const struct gh_band *band,
                                   const struct gh_image *sky, double amount, double sky_amount,
                                   struct gh_image *out);

/* The sky mask at the size of the working photo, made on first use from it
 * (gh_ops_sky_mask) and kept in ctx->products; without products it is made
 * from in into *owned, which the caller frees. */
enum gh_status gh_stage_sky(const struct gh_stage_ctx *ctx, const struct gh_image *in,
                            const struct gh_image **sky, struct gh_image **owned);

/* The depth map (1 near, 0 far) at the size of the working photo, made on
 * first use from it (by ctx->depth_model through gh_nn_depth when given, else
 * gh_ops_depth_estimate with the sky mask) and kept in ctx->products; without
 * products it is made from in into *owned. */
enum gh_status gh_stage_depth_map(const struct gh_stage_ctx *ctx, const struct gh_image *in,
                                  const struct gh_image **depth, struct gh_image **owned);

/* All stages in pipeline order; *count receives their number. */
const struct gh_stage_def *const *gh_stages_table(int *count);

/* The stage named name, or NULL. */
const struct gh_stage_def *gh_stages_find(const char *name);

/* Stage choice and parameter values for a run; plain data, copy freely. */
struct gh_pipeline {
    int enabled[GH_STAGE_MAX];
    double params[GH_STAGE_MAX][GH_STAGE_MAX_PARAMS];
};

/* Default stages with default parameters. */
void gh_pipeline_init(struct gh_pipeline *pipeline);

/* Enables exactly the comma-separated stages in `list` (NULL: keep the current
 * set), then disables those in `skip` (NULL: none). Unknown names fail with
 * GH_ERR_ARGUMENT naming the stage and the valid choices. */
enum gh_status gh_pipeline_select(struct gh_pipeline *pipeline, const char *list,
                                  const char *skip);

/* Switches the stage named name on (enable != 0) or off; unknown names fail
 * with GH_ERR_ARGUMENT as in gh_pipeline_select. */
enum gh_status gh_pipeline_enable(struct gh_pipeline *pipeline, const char *name, int enable);

/* Whether the stage named name is enabled (0 for unknown names). */
int gh_pipeline_uses(const struct gh_pipeline *pipeline, const char *name);

/* Value of one parameter (NaN for an unknown stage or parameter). */
double gh_pipeline_get(const struct gh_pipeline *pipeline, const char *stage, const char *param);

/* Number of enabled stages. */
int gh_pipeline_count(const struct gh_pipeline *pipeline);

/* Sets one parameter from text ("1.5", "bilateral"), checking type and range. */
enum gh_status gh_pipeline_set(struct gh_pipeline *pipeline, const char *stage,
                               const char *param, const char *value);

/* Called after each stage that ran with its name and output (the depth
 * stage's output is its depth map), and at the end with each product made on
 * the way ("sky"; "depth-map" when fog made it without the depth stage), e.g.
 * to dump them. A
 * non-OK return stops the pipeline with that status. */
typedef enum gh_status (*gh_stage_observer)(void *user, const char *name, const struct gh_image *image);

/* Runs the enabled stages in order on in; *out is a new image (a copy of in when
 * no stage is enabled). On failure the detail names the stage. */
enum gh_status gh_pipeline_run(const struct gh_pipeline *pipeline, const struct gh_stage_ctx *ctx,
                               const struct gh_image *in, gh_stage_observer observer, void *user,
                               struct gh_image **out);

/* gh_pipeline_run taking ownership of in (freed, or returned as *out), so a
 * stage may paint it in place: a 50 MP photo is then held once, not twice
 * (`stylize --detail full`). The stages get no full-size original besides it
 * (products.original is NULL), which only upsample would use, and only when
 * the image is smaller than the photo. */
enum gh_status gh_pipeline_run_owned(const struct gh_pipeline *pipeline, const struct gh_stage_ctx *ctx,
                                     struct gh_image *in, gh_stage_observer observer, void *user,
                                     struct gh_image **out);

/* Looks: named presets (palette colors and stage parameter values), as data.
 * --look NAME applies one; options given after it override its values. */
#define GH_LOOK_MAX_COLORS 8
struct gh_look {
    const char *name;
    const char *doc;
    const char *palette[GH_LOOK_MAX_COLORS]; /* "#rrggbb" */
    /* Space-separated "stage.param=value" words, applied in order. */
    const char *settings;
};

/* All looks (the first is the default); *count receives their number. */
const struct gh_look *gh_looks_table(int *count);

/* The look named name, or NULL. */
const struct gh_look *gh_looks_find(const char *name);

/* Sets every parameter the look names. */
enum gh_status gh_look_apply(struct gh_pipeline *pipeline, const struct gh_look *look);

/* The look's colors as a palette (equal weights); declared in ops_cluster.h. */
struct gh_palette;
enum gh_status gh_look_palette(const struct gh_look *look, struct gh_palette *out);

#ifdef __cplusplus
}
#endif
#endif
