/* AnimeGAN pre- and post-processing around a model run, so the CLI's stylize
 * stage is a thin wrapper: planar RGB [0,1] -> x*2-1 in the model's layout,
 * padded by reflection (bottom/right) to the model's size multiple, run,
 * cropped back, (y+1)/2. */
#include "nn/nn_internal.h"

#include <stdlib.h>
#include <string.h>

void gh_nn_padded_size(int w, int h, int multiple, int *pw, int *ph)
{
    int minside = 2 * multiple > 16 ? 2 * multiple : 16;
    *pw = (w + multiple - 1) / multiple * multiple;
    *ph = (h + multiple - 1) / multiple * multiple;
    *pw = *pw < minside ? minside : *pw;
    *ph = *ph < minside ? minside : *ph;
}

enum gh_status gh_nn_image_input(int nhwc, int w, int h, struct gh_nn_tensor *x)
{
    memset(x, 0, sizeof *x);
    x->dtype = GH_NN_F32;
    x->ndim = 4;
    x->shape[0] = 1;
    x->shape[1] = nhwc ? h : 3;
    x->shape[2] = nhwc ? w : h;
    x->shape[3] = nhwc ? 3 : w;
    x->data = malloc((size_t)w * (size_t)h * 3 * sizeof(float));
    return x->data ? GH_OK : gh_error(GH_ERR_NOMEM, "out of memory for the model's input");
}

void gh_nn_pack_window(const struct gh_image *in, int bgr, int nhwc, int x0, int y0, int ww, int wh, float *xd)
{
    size_t plane = (size_t)ww * (size_t)wh;
    int w = in->width, h = in->height;
    for (int c = 0; c < 3; c++) {
        const float *src = gh_image_plane(in, bgr ? 2 - c : c);
        for (int yy = 0; yy < wh; yy++) {
            const float *row = src + (size_t)gh_nn_reflect(y0 + yy, h) * (size_t)w;
            for (int xx = 0; xx < ww; xx++) {
                float v = row[gh_nn_reflect(x0 + xx, w)] * 2.0f - 1.0f;
                size_t i = (size_t)yy * (size_t)ww + (size_t)xx;
                xd[nhwc ? i * 3 + (size_t)c : (size_t)c * plane + i] = v;
            }
        }
    }
}

/* Beside the arena, a run holds the padded input tensor, the output copy and
 * the cropped result image: 3 floats each per padded pixel. */
#define STYLIZE_OWN_BYTES_PER_PIXEL (9.0 * sizeof(float))

enum gh_status gh_nn_stylize_footprint(struct gh_nn_model *model, int multiple,
                                       struct gh_nn_footprint *fp)
{
    /* Two sizes large enough that every downsampling level has a few pixels,
     * small enough to cost milliseconds. */
    static const int side[2] = {64, 128};
    double bytes[2], values[2], pixels[2];
    if (!model || !fp || multiple < 1 || multiple > 256)
        return gh_error(GH_ERR_ARGUMENT, "gh_nn_stylize_footprint: bad argument");
    int threads = model->threads;
    struct gh_image *probe = NULL;
    enum gh_status st = GH_OK;
    for (int i = 0; i < 2; i++) {
        int pw, ph;
        gh_nn_padded_size(side[i], side[i], multiple, &pw, &ph);
        struct gh_image *out = NULL;
        if ((st = gh_image_new(side[i], side[i], 3, &probe)))
            goto out;
        /* A gradient, not a flat image: normalizations see a real variance. */
        for (int c = 0; c < 3; c++) {
            float *plane = gh_image_plane(probe, c);
            for (int k = 0; k < side[i] * side[i]; k++)
                plane[k] = (float)((k * (c + 1)) % 251) / 250.0f;
        }
        gh_nn_arena_empty(model);
        size_t limit = model->arena_limit;
        model->arena_limit = 0;
        st = gh_nn_stylize(model, probe, multiple, threads, &out);
        model->arena_limit = limit;
        gh_image_free(out);
        gh_image_free(probe);
        probe = NULL;
        if (st)
            goto out;
        pixels[i] = (double)pw * ph;
        bytes[i] = (double)model->arena_bytes + STYLIZE_OWN_BYTES_PER_PIXEL * pixels[i];
        values[i] = (double)model->peak_values;
    }
    /* A fully convolutional generator's activations are affine in the pixel count. */
    fp->bytes_per_pixel = (bytes[1] - bytes[0]) / (pixels[1] - pixels[0]);
    fp->bytes_fixed = bytes[0] - fp->bytes_per_pixel * pixels[0];
    fp->values_per_pixel = (values[1] - values[0]) / (pixels[1] - pixels[0]);
    fp->values_fixed = values[0] - fp->values_per_pixel * pixels[0];
    fp->multiple = multiple;
out:
    gh_nn_arena_empty(model);
    return st;
}

void gh_nn_footprint_at(const struct gh_nn_footprint *fp, int width, int height, double *bytes,
                        double *values)
{
    int pw, ph;
    gh_nn_padded_size(width, height, fp->multiple, &pw, &ph);
    double n = (double)pw * ph;
    *bytes = fp->bytes_fixed + fp->bytes_per_pixel * n;
    *values = fp->values_fixed + fp->values_per_pixel * n;
}

/* out NULL: a statistics pass (no output copied, no image made), and
 * *owned, the input, is freed once it is packed. */
static enum gh_status stylize(struct gh_nn_model *model, const struct gh_image *in, struct gh_image **owned,
                              int multiple, int threads, struct gh_image **out)
{
    struct gh_nn_tensor info, x, y;
    struct gh_image *img = NULL;
    enum gh_status st;
    memset(&x, 0, sizeof x);
    memset(&y, 0, sizeof y);
    if (out)
        *out = NULL;
    if (!model || !in || !in->data || in->channels != 3 || in->width < 1 || in->height < 1)
        return gh_error(GH_ERR_ARGUMENT, "gh_nn_stylize: needs a 3-channel image");
    if (multiple < 1 || multiple > 256)
        return gh_error(GH_ERR_ARGUMENT, "gh_nn_stylize: size multiple %d out of range", multiple);
    if (gh_nn_input_count(model) != 1)
        return gh_error(GH_ERR_MODEL, "stylize: the model must have one input (it has %d)",
                        gh_nn_input_count(model));
    if ((st = gh_nn_input_info(model, 0, &info)))
        return st;
    int nhwc;
    if (info.ndim == 4 && info.shape[3] == 3)
        nhwc = 1;
    else if (info.ndim == 4 && info.shape[1] == 3)
        nhwc = 0;
    else
        return gh_error(GH_ERR_MODEL, "stylize: the model's input is not [1,H,W,3] or [1,3,H,W]");
    int w = in->width, h = in->height;
    int pw, ph;
    gh_nn_padded_size(w, h, multiple, &pw, &ph);
    size_t plane = (size_t)pw * (size_t)ph;
    if ((st = gh_nn_image_input(nhwc, pw, ph, &x)))
        return st;
    gh_nn_pack_window(in, model->bgr, nhwc, 0, 0, pw, ph, x.data);
    gh_nn_set_threads(model, threads);
    if (!out) { /* the record was the point: neither the output's copy nor an image */
        gh_image_free(*owned); /* in itself when the caller gave it away */
        *owned = NULL;
        st = gh_nn_run_multi(model, 1, &x, 0, NULL);
        goto out;
    }
    if ((st = gh_nn_run(model, &x, &y)))
        goto out;
    if (y.ndim != 4 || y.shape[0] != 1 || (nhwc && (y.shape[1] != ph || y.shape[2] != pw || y.shape[3] != 3)) ||
        (!nhwc && (y.shape[1] != 3 || y.shape[2] != ph || y.shape[3] != pw))) {
        st = gh_error(GH_ERR_MODEL, "stylize: the model's output is not a 3-channel image of the input's size");
        goto out;
    }
    if ((st = gh_image_new(w, h, 3, &img)))
        goto out;
    const float *yd = y.data;
    for (int c = 0; c < 3; c++) {
        float *dst = gh_image_plane(img, model->bgr ? 2 - c : c);
        for (int yy = 0; yy < h; yy++)
            for (int xx = 0; xx < w; xx++) {
                size_t i = (size_t)yy * (size_t)pw + (size_t)xx;
                dst[(size_t)yy * (size_t)w + (size_t)xx] = gh_nn_unit(yd[nhwc ? i * 3 + (size_t)c : (size_t)c * plane + i]);
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

enum gh_status gh_nn_stylize(struct gh_nn_model *model, const struct gh_image *in, int multiple, int threads,
                             struct gh_image **out)
{
    if (!out)
        return gh_error(GH_ERR_ARGUMENT, "gh_nn_stylize: NULL out");
    return stylize(model, in, NULL, multiple, threads, out);
}

enum gh_status gh_nn_stylize_pass(struct gh_nn_model *model, const struct gh_image *in,
                                  struct gh_image **owned, int multiple, int threads)
{
    struct gh_image *none = NULL;
    enum gh_status st = stylize(model, in, owned ? owned : &none, multiple, threads, NULL);
    if (owned) { /* when refused before packing */
        gh_image_free(*owned);
        *owned = NULL;
    }
    return st;
}
