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

enum gh_status gh_nn_stylize_tiled(struct gh_nn_model *model, const struct gh_image *in, int multiple,
                                   const struct gh_nn_tile_options *opts, struct gh_image **out)
{
    struct gh_nn_tensor info, x, y;
    struct gh_nn_tiling t;
    struct gh_image *img = NULL;
    enum gh_status st;
    memset(&x, 0, sizeof x);
    memset(&y, 0, sizeof y);
    if (!out)
        return gh_error(GH_ERR_ARGUMENT, "gh_nn_stylize_tiled: NULL out");
    *out = NULL;
    if (!model || !in || !in->data || in->channels != 3 || in->width < 1 || in->height < 1 || !opts)
        return gh_error(GH_ERR_ARGUMENT, "gh_nn_stylize_tiled: needs a 3-channel image and options");
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
    int nhwc = info.shape[3] == 3;
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
    x.dtype = GH_NN_F32;
    x.ndim = 4;
    x.shape[0] = 1;
    x.shape[1] = nhwc ? wh : 3;
    x.shape[2] = nhwc ? ww : wh;
    x.shape[3] = nhwc ? 3 : ww;
    x.data = malloc(plane * 3 * sizeof(float));
    if (!x.data)
        return gh_error(GH_ERR_NOMEM, "stylize: out of memory");
    if ((st = gh_image_new(w, h, 3, &img)))
        goto out;
    gh_nn_set_threads(model, opts->threads);
    float *xd = x.data;
    for (int y0 = 0; y0 < h; y0 += tile) {
        int y1 = y0 + tile < h ? y0 + tile : h, wy = window_start(y0, margin, wh, ph);
        for (int x0 = 0; x0 < w; x0 += tile) {
            int x1 = x0 + tile < w ? x0 + tile : w, wx = window_start(x0, margin, ww, pw);
            for (int c = 0; c < 3; c++) {
                const float *src = gh_image_plane(in, model->bgr ? 2 - c : c);
                for (int yy = 0; yy < wh; yy++) {
                    const float *row = src + (size_t)gh_nn_reflect(wy + yy, h) * (size_t)w;
                    for (int xx = 0; xx < ww; xx++) {
                        float v = row[gh_nn_reflect(wx + xx, w)] * 2.0f - 1.0f;
                        size_t i = (size_t)yy * (size_t)ww + (size_t)xx;
                        xd[nhwc ? i * 3 + (size_t)c : (size_t)c * plane + i] = v;
                    }
                }
            }
            if ((st = gh_nn_run(model, &x, &y)))
                goto out;
            if (gh_nn_tensor_count(&y) != plane * 3 || y.ndim != 4) {
                st = gh_error(GH_ERR_MODEL, "stylize: the model's output is not a 3-channel image of the input's size");
                goto out;
            }
            const float *yd = y.data;
            for (int c = 0; c < 3; c++) {
                float *dst = gh_image_plane(img, model->bgr ? 2 - c : c);
                for (int yy = y0; yy < y1; yy++)
                    for (int xx = x0; xx < x1; xx++) {
                        size_t i = (size_t)(yy - wy) * (size_t)ww + (size_t)(xx - wx);
                        float v = yd[nhwc ? i * 3 + (size_t)c : (size_t)c * plane + i];
                        float u = (v + 1.0f) * 0.5f;
                        dst[(size_t)yy * (size_t)w + (size_t)xx] = u < 0.0f ? 0.0f : u > 1.0f ? 1.0f : u;
                    }
            }
            gh_nn_tensor_release(&y);
        }
    }
    *out = img;
    img = NULL;
out:
    gh_image_free(img);
    gh_nn_tensor_release(&x);
    gh_nn_tensor_release(&y);
    return st;
}
