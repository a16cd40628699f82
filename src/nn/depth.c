/* MiDaS's contract around a depth-model run (gh_nn_depth): the input prepared
 * as intel-isl/MiDaS's run.py prepares it for "midas_v21_small_256", the
 * output brought back to the photo's size and normalized robustly. */
#include "nn/nn_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ghiblify/ops_resize.h"

/* ImageNet statistics (MiDaS's NormalizeImage for the v2.1 models). */
static const float depth_mean[3] = {0.485f, 0.456f, 0.406f};
static const float depth_std[3] = {0.229f, 0.224f, 0.225f};

/* MiDaS transforms.Resize.constrain_to_multiple_of with multiple 32 and
 * max_val = limit: round to the nearest multiple, floor it if that exceeds
 * the limit. MiDaS has no lower guard (a 10:1 panorama would get 0 rows);
 * ours keeps one multiple so the encoder always has a pixel at 1/32. */
static int depth_constrain(double v, int limit)
{
    int y = (int)(floor(v / GH_NN_DEPTH_MULTIPLE + 0.5) * GH_NN_DEPTH_MULTIPLE);
    if (y > limit)
        y = (int)(floor(v / GH_NN_DEPTH_MULTIPLE) * GH_NN_DEPTH_MULTIPLE);
    return y < GH_NN_DEPTH_MULTIPLE ? GH_NN_DEPTH_MULTIPLE : y;
}

void gh_nn_depth_size(int width, int height, int *net_w, int *net_h)
{
    /* "upper_bound", keep_aspect_ratio: one scale for both axes, the smaller
     * of side/width and side/height, so the whole image fits in side x side. */
    double sw = (double)GH_NN_DEPTH_SIDE / width, sh = (double)GH_NN_DEPTH_SIDE / height;
    double s = sw < sh ? sw : sh;
    *net_w = depth_constrain(s * width, GH_NN_DEPTH_SIDE);
    *net_h = depth_constrain(s * height, GH_NN_DEPTH_SIDE);
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* numpy.percentile's default ("linear"): between the two order statistics
 * around q/100 * (n - 1). */
static float percentile_sorted(const float *s, size_t n, double q)
{
    double pos = q / 100.0 * (double)(n - 1);
    size_t i = (size_t)pos;
    if (i + 1 >= n)
        return s[n - 1];
    double f = pos - (double)i;
    return (float)(s[i] + (s[i + 1] - s[i]) * f);
}

enum gh_status gh_nn_depth(struct gh_nn_model *model, const struct gh_image *rgb, int threads,
                           struct gh_image **depth)
{
    struct gh_nn_tensor info, x, y;
    struct gh_image *small = NULL, *map = NULL, *net = NULL;
    float *sorted = NULL;
    enum gh_status st;
    memset(&x, 0, sizeof x);
    memset(&y, 0, sizeof y);
    if (!depth)
        return gh_error(GH_ERR_ARGUMENT, "gh_nn_depth: NULL depth");
    *depth = NULL;
    if (!model || !rgb || !rgb->data || rgb->channels != 3 || rgb->width < 1 || rgb->height < 1)
        return gh_error(GH_ERR_ARGUMENT, "gh_nn_depth: needs a 3-channel image");
    if (gh_nn_input_count(model) != 1)
        return gh_error(GH_ERR_MODEL, "depth model: must have one input (it has %d)", gh_nn_input_count(model));
    if ((st = gh_nn_input_info(model, 0, &info)))
        return st;
    /* MiDaS's ONNX exports are NCHW, its TFLite exports NHWC. */
    int nhwc = info.ndim == 4 && info.shape[3] == 3 && info.shape[1] != 3;
    if (info.ndim != 4 || (info.shape[0] != 1 && info.shape[0] != -1) || (info.shape[1] != 3 && !nhwc))
        return gh_error(GH_ERR_MODEL, "depth model: its input is not [1,3,H,W] or [1,H,W,3] (MiDaS's layouts)");
    int nw, nh;
    gh_nn_depth_size(rgb->width, rgb->height, &nw, &nh);
    /* A model exported at a fixed size (the official ONNX files are 256x256)
     * gets exactly that size: the aspect ratio is then not kept, as MiDaS does
     * with --square. */
    int64_t fixed_h = info.shape[nhwc ? 1 : 2], fixed_w = info.shape[nhwc ? 2 : 3];
    if (fixed_h > 0)
        nh = (int)fixed_h;
    if (fixed_w > 0)
        nw = (int)fixed_w;
    if (nw > GH_IMAGE_MAX_SIDE || nh > GH_IMAGE_MAX_SIDE)
        return gh_error(GH_ERR_MODEL, "depth model: fixed input size %dx%d is too large", nw, nh);

    /* MiDaS resizes the [0,1] RGB photo with cv2.INTER_CUBIC (not widened
     * when shrinking, like OpenCV). */
    const struct gh_image *src = rgb;
    if (nw != rgb->width || nh != rgb->height) {
        if ((st = gh_ops_resize(rgb, nw, nh, GH_INTERP_CUBIC, threads, &small)))
            goto out;
        src = small;
    }
    size_t plane = (size_t)nw * (size_t)nh;
    if ((st = gh_nn_image_input(nhwc, nw, nh, &x)))
        goto out;
    for (int c = 0; c < 3; c++) {
        const float *s = gh_image_plane(src, c);
        float *d = (float *)x.data;
        for (size_t i = 0; i < plane; i++)
            d[nhwc ? i * 3 + (size_t)c : (size_t)c * plane + i] = (s[i] - depth_mean[c]) / depth_std[c];
    }
    gh_nn_set_threads(model, threads);
    if ((st = gh_nn_run(model, &x, &y)))
        goto out;
    /* MiDaS squeezes the channel ([1,H,W]); other exports keep it ([1,1,H,W],
     * or [1,H,W,1] in NHWC): the dimensions other than 1 must be H, W. */
    int64_t want[2] = {nh, nw}, got[GH_NN_MAX_DIMS] = {0};
    int n_want = 0, n_got = 0;
    for (int k = 0; k < 2; k++)
        if (want[k] != 1)
            want[n_want++] = want[k];
    for (int k = 0; k < y.ndim; k++)
        if (y.shape[k] != 1)
            got[n_got++] = y.shape[k];
    int ok = y.dtype == GH_NN_F32 && gh_nn_tensor_count(&y) == plane && n_got == n_want;
    for (int k = 0; ok && k < n_want; k++)
        ok = got[k] == want[k];
    if (!ok) {
        st = gh_error(GH_ERR_MODEL, "depth model: its output is not one %dx%d map", nw, nh);
        goto out;
    }
    const float *yd = y.data;
    if (!(sorted = malloc(plane * sizeof *sorted + 1))) { /* + 1: never malloc(0) */
        st = gh_error(GH_ERR_NOMEM, "depth: out of memory");
        goto out;
    }
    for (size_t i = 0; i < plane; i++) {
        if (!isfinite(yd[i])) {
            st = gh_error(GH_ERR_MODEL, "depth model: non-finite output");
            goto out;
        }
        sorted[i] = yd[i];
    }
    /* Percentiles of the network's own map (at most 256x256 values): the
     * bilinear upsampling below only interpolates between them. */
    qsort(sorted, plane, sizeof *sorted, cmp_float);
    float lo = percentile_sorted(sorted, plane, GH_NN_DEPTH_PERCENTILE);
    float hi = percentile_sorted(sorted, plane, 100.0 - GH_NN_DEPTH_PERCENTILE);

    if ((st = gh_image_new_uninit(nw, nh, 1, &net)))
        goto out;
    memcpy(net->data, yd, plane * sizeof(float));
    if (nw != rgb->width || nh != rgb->height) {
        if ((st = gh_ops_resize(net, rgb->width, rgb->height, GH_INTERP_LINEAR, threads, &map)))
            goto out;
    } else {
        map = net;
        net = NULL;
    }
    /* Relative inverse depth has no unit or offset: map [lo, hi] to [0, 1]
     * (larger = nearer, as MiDaS outputs). A flat map carries no order at
     * all (a range within float rounding of its values counts as flat); it
     * becomes mid-depth rather than a division by ~0. */
    float range = hi - lo;
    int flat = !(range > 1e-6f * fmaxf(fabsf(hi), fabsf(lo)));
    size_t n = gh_image_plane_size(map);
    for (size_t i = 0; i < n; i++) {
        float v = flat ? 0.5f : (map->data[i] - lo) / range;
        map->data[i] = v < 0.0f ? 0.0f : v > 1.0f ? 1.0f : v;
    }
    *depth = map;
    map = NULL;
out:
    free(sorted);
    gh_image_free(small);
    gh_image_free(net);
    gh_image_free(map);
    gh_nn_tensor_release(&x);
    gh_nn_tensor_release(&y);
    return st;
}
