/* Band-wise stages: a stage at a photo's full size (--detail full) holds its
 * temporaries for one band of rows at a time instead of the whole image, so
 * its memory does not grow with the photo beyond the image itself. */
#include <math.h>
#include <string.h>

#include "ghiblify/ops.h"
#include "stage_defs.h"

/* Copies rows [from, to) of src (whose first row is image row src_top) into
 * dst (whose first row is image row dst_top), every channel. */
static void copy_rows(const struct gh_image *src, int src_top, struct gh_image *dst, int dst_top,
                      int from, int to)
{
    if (to <= from)
        return;
    size_t w = (size_t)src->width, bytes = (size_t)(to - from) * w * sizeof(float);
    for (int c = 0; c < src->channels; c++)
        memcpy(gh_image_plane(dst, c) + (size_t)(from - dst_top) * w,
               gh_image_plane(src, c) + (size_t)(from - src_top) * w, bytes);
}

int gh_stage_band_rows(const struct gh_stage_ctx *ctx, int width, int halo)
{
    long pixels = ctx->band_pixels > 0 ? ctx->band_pixels : GH_STAGE_BAND_PIXELS;
    long budget = pixels / (width > 0 ? width : 1);
    /* The halo counts against the band's pixels, but a band is never
     * narrower than its halo (or the budget): more would be recomputed than
     * kept (skysmooth's halo at 50 MP is 257 rows). */
    long least = halo < budget ? halo : budget, rows = budget - 2L * halo;
    rows = rows < least ? least : rows;
    return rows < 1 ? 1 : rows > GH_IMAGE_MAX_SIDE ? GH_IMAGE_MAX_SIDE : (int)rows;
}

enum gh_status gh_stage_bands(const struct gh_stage_ctx *ctx, const struct gh_image *in, int halo,
                              gh_band_fn fn, void *user, struct gh_image **out)
{
    int w = in->width, h = in->height, rows = gh_stage_band_rows(ctx, w, halo);
    struct gh_band band = {in, 0, 0, h, w, h};
    *out = NULL;
    if (h <= rows) /* one band: the whole image, as a stage without bands */
        return fn(user, &band, out);
    /* In place when the pipeline owns the image: rows already written are
     * read from the previous band's input copy, which still holds them as
     * they were (a band's top halo lies inside the previous band). */
    int in_place = ctx->input_consumable;
    struct gh_image *dst = in_place ? (struct gh_image *)in : NULL, *prev = NULL, *cur = NULL,
                    *done = NULL;
    int prev_top = 0;
    enum gh_status st = GH_OK;
    if (!in_place && (st = gh_image_new_uninit(w, h, in->channels, &dst)) != GH_OK)
        return st;
    for (int y0 = 0; y0 < h; y0 += rows) {
        int y1 = y0 + rows < h ? y0 + rows : h;
        int top = y0 - halo > 0 ? y0 - halo : 0, bottom = y1 + halo < h ? y1 + halo : h;
        if ((st = gh_image_new_uninit(w, bottom - top, in->channels, &cur)) != GH_OK)
            goto out;
        int reused = in_place && prev ? y0 : top; /* rows below it come from in */
        copy_rows(prev, prev_top, cur, top, top, reused);
        copy_rows(in, 0, cur, top, reused, bottom);
        band = (struct gh_band){cur, top, y0, y1, w, h};
        if ((st = fn(user, &band, &done)) != GH_OK)
            goto out;
        if (done->width != w || done->height != bottom - top || done->channels != in->channels) {
            st = gh_error(GH_ERR_INTERNAL, "a band of %dx%d came back %dx%dx%d", w, bottom - top,
                          done->width, done->height, done->channels);
            goto out;
        }
        copy_rows(done, top, dst, 0, y0, y1);
        gh_image_free(done);
        done = NULL;
        gh_image_free(prev);
        prev = cur;
        prev_top = top;
        cur = NULL;
    }
out:
    gh_image_free(prev);
    gh_image_free(cur);
    gh_image_free(done);
    if (st != GH_OK) {
        if (!in_place)
            gh_image_free(dst);
        return st;
    }
    *out = dst;
    return GH_OK;
}

enum gh_status gh_stage_mask_band(const struct gh_stage_ctx *ctx, const struct gh_image *mask,
                                  const struct gh_band *band, struct gh_image **out)
{
    int rows = band->in->height;
    *out = NULL;
    if (mask->width == band->width && mask->height == band->height) {
        enum gh_status st = gh_image_new_uninit(mask->width, rows, mask->channels, out);
        if (st == GH_OK)
            copy_rows(mask, 0, *out, band->top, band->top, band->top + rows);
        return st;
    }
    return gh_ops_resize_rows(mask, band->width, band->height, GH_INTERP_LINEAR, band->top,
                              band->top + rows, ctx->threads, out);
}

enum gh_status gh_stage_bands_read(const struct gh_stage_ctx *ctx, const struct gh_image *in,
                                   gh_band_read_fn fn, void *user)
{
    int w = in->width, h = in->height, rows = gh_stage_band_rows(ctx, w, 0);
    if (h <= rows)
        return fn(user, in, 0);
    enum gh_status st = GH_OK;
    for (int y0 = 0; st == GH_OK && y0 < h; y0 += rows) {
        int y1 = y0 + rows < h ? y0 + rows : h;
        struct gh_image *band = NULL;
        if ((st = gh_image_new_uninit(w, y1 - y0, in->channels, &band)) != GH_OK)
            break;
        copy_rows(in, 0, band, y0, y0, y1);
        st = fn(user, band, y0);
        gh_image_free(band);
    }
    return st;
}

struct lab_sums {
    const struct gh_stage_ctx *ctx;
    const struct gh_lab_stats *means; /* NULL: summing the values; else their deviations */
    double sum[3];
    size_t count;
};

static enum gh_status lab_sums(void *user, const struct gh_image *rows, int top)
{
    (void)top;
    struct lab_sums *j = user;
    struct gh_image *lab = NULL;
    enum gh_status st = gh_ops_color_convert(rows, GH_COLOR_SRGB, GH_COLOR_LAB, j->ctx->threads, &lab);
    if (st != GH_OK)
        return st;
    size_t n = gh_image_plane_size(lab);
    for (int c = 0; c < 3; c++) {
        const float *p = gh_image_plane(lab, c);
        double s = j->sum[c];
        if (!j->means)
            for (size_t i = 0; i < n; i++)
                s += p[i];
        else
            for (size_t i = 0; i < n; i++) {
                double d = p[i] - j->means->mean[c];
                s += d * d;
            }
        j->sum[c] = s;
    }
    j->count += n;
    gh_image_free(lab);
    return GH_OK;
}

enum gh_status gh_stage_lab_stats(const struct gh_stage_ctx *ctx, const struct gh_image *in,
                                  int with_std, struct gh_lab_stats *out)
{
    struct lab_sums j = {ctx, NULL, {0, 0, 0}, 0};
    memset(out, 0, sizeof *out);
    enum gh_status st = gh_stage_bands_read(ctx, in, lab_sums, &j);
    for (int c = 0; st == GH_OK && c < 3; c++)
        out->mean[c] = j.count ? j.sum[c] / (double)j.count : 0;
    if (st != GH_OK || !with_std)
        return st;
    struct lab_sums d = {ctx, out, {0, 0, 0}, 0};
    if ((st = gh_stage_bands_read(ctx, in, lab_sums, &d)) != GH_OK)
        return st;
    for (int c = 0; c < 3; c++)
        out->std[c] = d.count ? sqrt(d.sum[c] / (double)d.count) : 0;
    return GH_OK;
}
