/* gh_nn_stylize_tiled (include/ghiblify/nn.h): gh_nn_stylize over a large
 * image in tiles of a fixed window size, for a model whose global reductions
 * are frozen (gh_nn_replay). The image is padded exactly as gh_nn_stylize pads
 * it, so a tile window that touches the padded image's border sees the same
 * pixels (and the model's own edge padding) as the untiled run; inner window
 * sides carry `margin` pixels of context that are computed and thrown away. */
#include "nn/nn_internal.h"

#include <stdlib.h>
#include <string.h>

static int round_up(int v, int a)
{
    return (v + a - 1) / a * a;
}

/* Start of the window of size win holding core [c0, c0 + core) with margin
 * context on both sides, kept inside [0, full) (windows at the border shift
 * inward, so every window has the same size). */
static int window_start(int c0, int margin, int win, int full)
{
    int s = c0 - margin;
    if (s > full - win)
        s = full - win;
    return s < 0 ? 0 : s;
}

/* Finished output rows wait in a band buffer of window height until no
 * later window reads the input rows they replace (windows only move down),
 * which is what lets the output overwrite the input. */
struct band {
    float *rows; /* cap rows of 3 planes of w floats each: [row][c][x] */
    int w, cap, p0, p1; /* rows [p0, p1) are pending */
};

/* Writes pending rows below `limit` into dst and drops them. */
static void band_flush(struct band *b, struct gh_image *dst, int limit, int bgr)
{
    int n = (limit < b->p1 ? limit : b->p1) - b->p0;
    if (n <= 0)
        return;
    size_t row = (size_t)b->w * 3;
    for (int r = 0; r < n; r++)
        for (int c = 0; c < 3; c++)
            memcpy(gh_image_plane(dst, bgr ? 2 - c : c) + (size_t)(b->p0 + r) * (size_t)b->w,
                   b->rows + (size_t)r * row + (size_t)c * (size_t)b->w, (size_t)b->w * sizeof(float));
    memmove(b->rows, b->rows + (size_t)n * row, (size_t)(b->p1 - b->p0 - n) * row * sizeof(float));
    b->p0 += n;
}

static enum gh_status stylize_tiled(struct gh_nn_model *model, const struct gh_image *in, int multiple,
                                    const struct gh_nn_tile_options *opts, struct gh_image *dst)
{
    struct gh_nn_tensor info, x, y;
    struct gh_nn_tiling t;
    struct band b = {NULL, in->width, 0, 0, 0};
    enum gh_status st;
    memset(&x, 0, sizeof x);
    memset(&y, 0, sizeof y);
    if (multiple < 1 || multiple > 256)
        return gh_error(GH_ERR_ARGUMENT, "gh_nn_stylize_tiled: size multiple %d out of range", multiple);
    if ((st = gh_nn_analyze(model, multiple, &t)))
        return st;
    if (t.n_global > 0 && model->freeze != GH_NN_FREEZE_REPLAY)
        return gh_error(GH_ERR_ARGUMENT, "gh_nn_stylize_tiled: the model has %d whole-image reductions; "
                                         "replay recorded statistics first (gh_nn_replay)", t.n_global);
    if (opts->tile > 1 << 16 || opts->margin > 1 << 16)
        return gh_error(GH_ERR_ARGUMENT, "gh_nn_stylize_tiled: tile %d or margin %d too large", opts->tile,
                        opts->margin);
    if ((st = gh_nn_input_info(model, 0, &info)))
        return st;
    int nhwc = info.shape[3] == 3, in_place = dst == in;
    int w = in->width, h = in->height, pw, ph;
    /* Alignment: the model's multiple, and strided layers must sample the
     * same pixels in a window as in the image (t.align is a multiple of both). */
    gh_nn_padded_size(w, h, t.align, &pw, &ph);
    int margin = round_up(opts->margin < 0 ? t.margin : opts->margin, t.align);
    int tile = round_up(opts->tile < 1 ? GH_NN_TILE_DEFAULT : opts->tile, t.align);
    int minside = 2 * t.align > 16 ? 2 * t.align : 16;
    int ww = tile + 2 * margin < minside ? minside : tile + 2 * margin;
    int wh = ww;
    ww = ww > pw ? pw : ww;
    wh = wh > ph ? ph : wh;
    size_t plane = (size_t)ww * (size_t)wh;
    if ((st = gh_nn_image_input(nhwc, ww, wh, &x)))
        goto out;
    b.cap = wh + tile;
    b.rows = malloc((size_t)b.cap * (size_t)w * 3 * sizeof(float));
    if (!b.rows) {
        st = gh_error(GH_ERR_NOMEM, "stylize: out of memory");
        goto out;
    }
    gh_nn_set_threads(model, opts->threads);
    for (int y0 = 0; y0 < h; y0 += tile) {
        int y1 = y0 + tile < h ? y0 + tile : h, wy = window_start(y0, margin, wh, ph);
        /* Rows no window from here on reads are final. */
        band_flush(&b, dst, in_place ? wy : h, model->bgr);
        if (y1 - b.p0 > b.cap) {
            st = gh_error(GH_ERR_INTERNAL, "stylize: tile band overflow");
            goto out;
        }
        for (int x0 = 0; x0 < w; x0 += tile) {
            int x1 = x0 + tile < w ? x0 + tile : w, wx = window_start(x0, margin, ww, pw);
            gh_nn_pack_window(in, model->bgr, nhwc, wx, wy, ww, wh, x.data);
            if ((st = gh_nn_run(model, &x, &y)))
                goto out;
            if (gh_nn_tensor_count(&y) != plane * 3 || y.ndim != 4) {
                st = gh_error(GH_ERR_MODEL, "stylize: the model's output is not a 3-channel image of the input's size");
                goto out;
            }
            const float *yd = y.data;
            for (int yy = y0; yy < y1; yy++)
                for (int c = 0; c < 3; c++) {
                    float *q = b.rows + ((size_t)(yy - b.p0) * 3 + (size_t)c) * (size_t)w;
                    for (int xx = x0; xx < x1; xx++) {
                        size_t i = (size_t)(yy - wy) * (size_t)ww + (size_t)(xx - wx);
                        q[xx] = gh_nn_unit(yd[nhwc ? i * 3 + (size_t)c : (size_t)c * plane + i]);
                    }
                }
            gh_nn_tensor_release(&y);
        }
        b.p1 = y1;
    }
    band_flush(&b, dst, h, model->bgr);
out:
    free(b.rows);
    gh_nn_tensor_release(&x);
    gh_nn_tensor_release(&y);
    return st;
}

enum gh_status gh_nn_stylize_tiled(struct gh_nn_model *model, const struct gh_image *in, int multiple,
                                   const struct gh_nn_tile_options *opts, struct gh_image **out)
{
    struct gh_image *img = NULL;
    if (!out)
        return gh_error(GH_ERR_ARGUMENT, "gh_nn_stylize_tiled: NULL out");
    *out = NULL;
    if (!model || !in || !in->data || in->channels != 3 || in->width < 1 || in->height < 1 || !opts)
        return gh_error(GH_ERR_ARGUMENT, "gh_nn_stylize_tiled: needs a 3-channel image and options");
    enum gh_status st = gh_image_new(in->width, in->height, 3, &img);
    if (!st)
        st = stylize_tiled(model, in, multiple, opts, img);
    if (st)
        gh_image_free(img);
    else
        *out = img;
    return st;
}

enum gh_status gh_nn_stylize_tiled_inplace(struct gh_nn_model *model, struct gh_image *img, int multiple,
                                           const struct gh_nn_tile_options *opts)
{
    if (!model || !img || !img->data || img->channels != 3 || img->width < 1 || img->height < 1 || !opts)
        return gh_error(GH_ERR_ARGUMENT, "gh_nn_stylize_tiled_inplace: needs a 3-channel image and options");
    return stylize_tiled(model, img, multiple, opts, img);
}
