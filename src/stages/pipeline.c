#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ghiblify/nn.h"
#include "ghiblify/ops.h"
#include "stage_defs.h"

static const struct gh_stage_def *const table[] = {
    &gh_stage_resize,
    &gh_stage_denoise,
    &gh_stage_edges,
    &gh_stage_stylize,
    &gh_stage_skysmooth,
    &gh_stage_color,
    &gh_stage_transfer,
    &gh_stage_histmatch,
    &gh_stage_segments,
    &gh_stage_palette,
    &gh_stage_texture,
    &gh_stage_lines,
    &gh_stage_depth,
    &gh_stage_fog,
    &gh_stage_upsample,
    &gh_stage_dither,
};
_Static_assert(sizeof table / sizeof table[0] <= GH_STAGE_MAX, "raise GH_STAGE_MAX");

const struct gh_stage_def *const *gh_stages_table(int *count)
{
    *count = GH_ARRAY_LEN(table);
    return table;
}

static int stage_index(const char *name, size_t len)
{
    for (int i = 0; i < GH_ARRAY_LEN(table); i++)
        if (strlen(table[i]->name) == len && strncmp(table[i]->name, name, len) == 0)
            return i;
    return -1;
}

const struct gh_stage_def *gh_stages_find(const char *name)
{
    int i = stage_index(name, strlen(name));
    return i < 0 ? NULL : table[i];
}

double gh_pipeline_get(const struct gh_pipeline *pipeline, const char *stage, const char *param)
{
    int i = stage_index(stage, strlen(stage));
    if (i < 0)
        return NAN;
    for (int k = 0; k < table[i]->param_count; k++)
        if (strcmp(table[i]->params[k].name, param) == 0)
            return pipeline->params[i][k];
    return NAN;
}

int gh_pipeline_count(const struct gh_pipeline *pipeline)
{
    int n = 0;
    for (int i = 0; i < GH_ARRAY_LEN(table); i++)
        n += pipeline->enabled[i] != 0;
    return n;
}

void gh_pipeline_init(struct gh_pipeline *pipeline)
{
    memset(pipeline, 0, sizeof *pipeline);
    for (int i = 0; i < GH_ARRAY_LEN(table); i++) {
        pipeline->enabled[i] = table[i]->enabled_by_default;
        for (int k = 0; k < table[i]->param_count; k++)
            pipeline->params[i][k] = table[i]->params[k].default_value;
    }
}

static enum gh_status unknown_stage(const char *name, size_t len)
{
    char names[256] = "";
    for (int i = 0; i < GH_ARRAY_LEN(table); i++) {
        if (i)
            strncat(names, ", ", sizeof names - strlen(names) - 1);
        strncat(names, table[i]->name, sizeof names - strlen(names) - 1);
    }
    return gh_error(GH_ERR_ARGUMENT, "unknown stage '%.*s' (stages: %s)", (int)len, name, names);
}

/* Applies value to every stage named in the comma-separated list. */
static enum gh_status mark(struct gh_pipeline *pipeline, const char *list, int value)
{
    const char *p = list;
    while (*p) {
        size_t len = strcspn(p, ",");
        if (len > 0) {
            int i = stage_index(p, len);
            if (i < 0)
                return unknown_stage(p, len);
            pipeline->enabled[i] = value;
        }
        p += len;
        if (*p == ',')
            p++;
    }
    return GH_OK;
}

enum gh_status gh_pipeline_select(struct gh_pipeline *pipeline, const char *list,
                                  const char *skip)
{
    struct gh_pipeline next = *pipeline;
    enum gh_status st;
    if (list) {
        memset(next.enabled, 0, sizeof next.enabled);
        if ((st = mark(&next, list, 1)) != GH_OK)
            return st;
    }
    if (skip && (st = mark(&next, skip, 0)) != GH_OK)
        return st;
    *pipeline = next;
    return GH_OK;
}

enum gh_status gh_pipeline_enable(struct gh_pipeline *pipeline, const char *name, int enable)
{
    int i = stage_index(name, strlen(name));
    if (i < 0)
        return unknown_stage(name, strlen(name));
    pipeline->enabled[i] = enable != 0;
    return GH_OK;
}

int gh_pipeline_uses(const struct gh_pipeline *pipeline, const char *name)
{
    int i = stage_index(name, strlen(name));
    return i < 0 ? 0 : pipeline->enabled[i];
}

enum gh_status gh_pipeline_set(struct gh_pipeline *pipeline, const char *stage,
                               const char *param, const char *value)
{
    int i = stage_index(stage, strlen(stage));
    if (i < 0)
        return unknown_stage(stage, strlen(stage));
    const struct gh_stage_def *def = table[i];
    for (int k = 0; k < def->param_count; k++) {
        const struct gh_param_def *pd = &def->params[k];
        if (strcmp(pd->name, param) != 0)
            continue;
        if (pd->type == GH_PARAM_ENUM) {
            for (int c = 0; pd->choices[c]; c++)
                if (strcmp(pd->choices[c], value) == 0) {
                    pipeline->params[i][k] = c;
                    return GH_OK;
                }
            char choices[256] = "";
            for (int c = 0; pd->choices[c]; c++) {
                if (c)
                    strncat(choices, ", ", sizeof choices - strlen(choices) - 1);
                strncat(choices, pd->choices[c], sizeof choices - strlen(choices) - 1);
            }
            return gh_error(GH_ERR_ARGUMENT, "%s %s: '%s' is not one of: %s", stage, param,
                            value, choices);
        }
        char *end = NULL;
        errno = 0;
        double v = strtod(value, &end);
        if (end == value || *end != '\0' || errno == ERANGE || !isfinite(v))
            return gh_error(GH_ERR_ARGUMENT, "%s %s: '%s' is not a number", stage, param, value);
        if (pd->type == GH_PARAM_INT && v != floor(v))
            return gh_error(GH_ERR_ARGUMENT, "%s %s: '%s' is not an integer", stage, param, value);
        if (v < pd->min || v > pd->max)
            return gh_error(GH_ERR_ARGUMENT, "%s %s: %s is outside %.10g..%.10g", stage, param, value,
                            pd->min, pd->max);
        pipeline->params[i][k] = v;
        return GH_OK;
    }
    return gh_error(GH_ERR_ARGUMENT, "stage %s has no parameter '%s'", stage, param);
}

enum gh_status gh_stage_unchanged(const struct gh_stage_ctx *ctx, const struct gh_image *in,
                                  struct gh_image **out)
{
    if (!ctx->input_consumable)
        return gh_image_clone(in, out);
    *out = (struct gh_image *)in; /* the pipeline's own (input_consumable) */
    return GH_OK;
}

enum gh_status gh_stage_shrink(const struct gh_stage_ctx *ctx, const struct gh_image *in, int side,
                               struct gh_image **out)
{
    int long_side = in->width > in->height ? in->width : in->height;
    if (long_side <= side)
        return gh_image_clone(in, out);
    double scale = (double)side / long_side;
    int w = (int)lround(in->width * scale), h = (int)lround(in->height * scale);
    return gh_ops_resize(in, w < 1 ? 1 : w, h < 1 ? 1 : h, GH_INTERP_AREA, ctx->threads, out);
}

const struct gh_image *gh_stage_photo(const struct gh_stage_ctx *ctx, const struct gh_image *in)
{
    return ctx->products && ctx->products->photo ? ctx->products->photo : in;
}

enum gh_status gh_stage_sky(const struct gh_stage_ctx *ctx, const struct gh_image *in,
                            const struct gh_image **sky, struct gh_image **owned)
{
    *owned = NULL;
    *sky = NULL;
    struct gh_stage_products *pr = ctx->products;
    if (pr && pr->sky) {
        *sky = pr->sky;
        return GH_OK;
    }
    const struct gh_image *photo = gh_stage_photo(ctx, in);
    enum gh_status st = gh_ops_sky_mask(photo, ctx->threads, pr ? &pr->sky : owned);
    if (st == GH_OK)
        *sky = pr ? pr->sky : *owned;
    return st;
}

enum gh_status gh_stage_depth_map(const struct gh_stage_ctx *ctx, const struct gh_image *in,
                                  const struct gh_image **depth, struct gh_image **owned)
{
    *owned = NULL;
    *depth = NULL;
    struct gh_stage_products *pr = ctx->products;
    if (pr && pr->depth) {
        *depth = pr->depth;
        return GH_OK;
    }
    const struct gh_image *photo = gh_stage_photo(ctx, in), *sky = NULL;
    struct gh_image *own_sky = NULL;
    enum gh_status st = GH_OK;
    if (ctx->depth_model)
        st = gh_nn_depth(ctx->depth_model, photo, ctx->threads, pr ? &pr->depth : owned);
    else if ((st = gh_stage_sky(ctx, photo, &sky, &own_sky)) == GH_OK)
        st = gh_ops_depth_estimate(photo, sky, ctx->threads, pr ? &pr->depth : owned);
    if (st == GH_OK)
        *depth = pr ? pr->depth : *owned;
    gh_image_free(own_sky);
    return st;
}

enum gh_status gh_stage_blend_band(const struct gh_stage_ctx *ctx, const struct gh_band *band,
                                   const struct gh_image *sky, double amount, double sky_amount,
                                   struct gh_image *out)
{
    const struct gh_image *in = band->in;
    struct gh_image *rows = NULL;
    enum gh_status st = GH_OK;
    if (sky_amount >= 1.0)
        sky = NULL;
    if (amount >= 1.0 && !sky)
        return GH_OK;
    if (sky && (st = gh_stage_mask_band(ctx, sky, band, &rows)) != GH_OK)
        return st;
    size_t n = gh_image_plane_size(in);
    float a = (float)amount, s = (float)sky_amount;
    for (int c = 0; c < in->channels; c++) {
        const float *src = gh_image_plane(in, c);
        float *dst = gh_image_plane(out, c);
        for (size_t i = 0; i < n; i++) {
            float w = rows ? a * (1.0f + (s - 1.0f) * rows->data[i]) : a;
            dst[i] = src[i] + w * (dst[i] - src[i]);
        }
    }
    gh_image_free(rows);
    return GH_OK;
}

enum gh_status gh_stage_blend(const struct gh_stage_ctx *ctx, const struct gh_image *in,
                              double amount, double sky_amount, struct gh_image *out)
{
    const struct gh_image *sky = NULL;
    struct gh_image *owned = NULL;
    enum gh_status st = GH_OK;
    if (sky_amount < 1.0 && (st = gh_stage_sky(ctx, in, &sky, &owned)) != GH_OK)
        return st;
    struct gh_band whole = {in, 0, 0, in->height, in->width, in->height};
    st = gh_stage_blend_band(ctx, &whole, sky, amount, sky_amount, out);
    gh_image_free(owned);
    return st;
}

static void products_free(struct gh_stage_products *pr)
{
    gh_image_free(pr->working);
    gh_image_free(pr->photo);
    gh_image_free(pr->sky);
    gh_image_free(pr->depth);
    memset(pr, 0, sizeof *pr);
}

/* The photo the later stages find their masks and contours in: a copy, or
 * in full detail, at most GH_STAGE_ANALYSIS_SIDE on its long side (a 50 MP
 * photo kept whole is 604 MB; the masks are smooth and the stages bring them
 * to the image's size band by band). */
static enum gh_status keep_photo(const struct gh_stage_ctx *ctx, const struct gh_image *image,
                                 struct gh_image **slot)
{
    if (!image)
        return gh_error(GH_ERR_INTERNAL, "no photo to keep");
    return ctx->detail_full ? gh_stage_shrink(ctx, image, GH_STAGE_ANALYSIS_SIDE, slot)
                            : gh_image_clone(image, slot);
}

static int depth_index(void)
{
    for (int i = 0; i < GH_ARRAY_LEN(table); i++)
        if (table[i] == &gh_stage_depth)
            return i;
    return 0;
}

static enum gh_status run(const struct gh_pipeline *pipeline, const struct gh_stage_ctx *ctx,
                          const struct gh_image *in, struct gh_image *owned, gh_stage_observer observer,
                          void *user, struct gh_image **out);

enum gh_status gh_pipeline_run(const struct gh_pipeline *pipeline, const struct gh_stage_ctx *ctx,
                               const struct gh_image *in, gh_stage_observer observer, void *user,
                               struct gh_image **out)
{
    return run(pipeline, ctx, in, NULL, observer, user, out);
}

enum gh_status gh_pipeline_run_owned(const struct gh_pipeline *pipeline, const struct gh_stage_ctx *ctx,
                                     struct gh_image *in, gh_stage_observer observer, void *user,
                                     struct gh_image **out)
{
    return run(pipeline, ctx, in, in, observer, user, out);
}

static enum gh_status run(const struct gh_pipeline *pipeline, const struct gh_stage_ctx *ctx,
                          const struct gh_image *in, struct gh_image *owned, gh_stage_observer observer,
                          void *user, struct gh_image **out)
{
    /* The input is read in place until the first stage has made its own
     * image: a full-resolution copy of a 12 MP photo is 144 MB. */
    struct gh_image *current = owned;
    struct gh_stage_products products = {.original = owned ? NULL : in};
    struct gh_stage_ctx run_ctx = *ctx;
    run_ctx.products = &products;
    enum gh_status st = GH_OK;
    *out = NULL;
    for (int i = 0; st == GH_OK && i < GH_ARRAY_LEN(table); i++) {
        if (!pipeline->enabled[i])
            continue;
        struct gh_image *next = NULL;
        run_ctx.input_consumable = current != NULL;
        st = table[i]->run(&run_ctx, pipeline->params[i], current ? current : in, &next);
        if (st != GH_OK) {
            gh_error_prefix(st, table[i]->name);
            break;
        }
        if (next != current) /* else the stage painted its input in place */
            gh_image_free(current);
        current = next;
        if (table[i]->makes_photo) {
            struct gh_image **slot = table[i] == &gh_stage_resize ? &products.working : &products.photo;
            gh_image_free(*slot);
            *slot = NULL;
            /* The working-size photo serves only upsample's JBU, which needs
             * the original too and an image smaller than it: none of that
             * in full detail (a 50 MP copy is 604 MB). */
            int need = slot != &products.working || (products.original && !ctx->detail_full);
            if (need && (st = keep_photo(ctx, current, slot)) != GH_OK)
                break;
            if (slot == &products.working) {
                /* Until denoise runs, the photo is the working-size photo. */
                gh_image_free(products.photo);
                if ((st = keep_photo(ctx, current, &products.photo)) != GH_OK)
                    break;
            }
        }
        /* The depth stage's product is its output for the observer: its
         * image is the one it was given. */
        if (observer)
            st = observer(user, table[i]->name,
                          table[i] == &gh_stage_depth && products.depth ? products.depth : current);
    }
    if (st == GH_OK && observer && products.sky)
        st = observer(user, "sky", products.sky);
    /* Made by fog on its own when the depth stage is off: a product, not a stage. */
    if (st == GH_OK && observer && products.depth && !pipeline->enabled[depth_index()])
        st = observer(user, "depth-map", products.depth);
    products_free(&products);
    if (st == GH_OK && !current) /* no stage ran */
        st = gh_image_clone(in, &current);
    if (st != GH_OK) {
        gh_image_free(current);
        return st;
    }
    *out = current;
    return GH_OK;
}
