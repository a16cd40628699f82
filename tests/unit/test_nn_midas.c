/* MiDaS v2.1 small (midas_v21_small_256's architecture: EfficientNet-Lite3
 * encoder, the small fusion decoder) exported by torch.onnx.export
 * (tools/make-midas-small: width / 20, random weights, fixed seed). Our output
 * must match PyTorch's within 1e-3 (max abs) at 256x256 and 192x320; measured
 * 6.6e-7 at both sizes (Winograd and im2col, 1 and 2 threads). Every op the
 * export uses (Conv with folded BatchNorm, Clip with min/max inputs for ReLU6,
 * Pad from ZeroPad2d, Resize linear align_corners and half_pixel, the
 * Shape/Slice/Concat plumbing around them) was already supported and has its
 * conformance tests; the comparison runs with the load-time rewrites on
 * (ReLU6/ReLU folded into the Conv before them). Then gh_nn_depth's contract, on hand-made probe graphs
 * and on this model. */
#include "check.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ghiblify/nn.h"
#include "ghiblify/ops_resize.h"
#include "../nn/npy.h"
#include "nn/nn_internal.h" /* gh_nn_use_winograd */

#define MIDAS "tests/data/nn/midas_small_w24.onnx"

/* The photo as MiDaS normalizes it (x/255, ImageNet mean/std), NCHW. */
static float *midas_input(const struct npy *photo)
{
    static const float mean[3] = {0.485f, 0.456f, 0.406f}, std[3] = {0.229f, 0.224f, 0.225f};
    size_t plane = (size_t)photo->shape[0] * (size_t)photo->shape[1];
    float *x = malloc(plane * 3 * sizeof *x);
    if (x)
        for (int c = 0; c < 3; c++)
            for (size_t i = 0; i < plane; i++)
                x[(size_t)c * plane + i] = ((float)photo->data[i * 3 + (size_t)c] / 255.0f - mean[c]) / std[c];
    return x;
}

static void check_golden(struct gh_nn_model *m, int h, int w)
{
    char rel[256];
    struct npy photo, ref;
    snprintf(rel, sizeof rel, "tests/data/nn/photo_%dx%d.npy", h, w);
    CHECK_MSG(npy_read(check_source_path(rel), &photo), "%s", rel);
    snprintf(rel, sizeof rel, "tests/data/nn/midas_small_w24_%dx%d.npy", h, w);
    CHECK_MSG(npy_read(check_source_path(rel), &ref), "%s", rel);
    float *in = photo.data ? midas_input(&photo) : NULL;
    if (!in || !ref.data)
        goto out;
    /* The golden holds every 2nd row and column (tools/make-midas-small). */
    int gh = (h + 1) / 2, gw = (w + 1) / 2;
    CHECK(photo.elem == 1 && photo.shape[0] == h && photo.shape[1] == w && ref.count == (size_t)gh * gw);
    struct gh_nn_tensor x = {GH_NN_F32, 4, {1, 3, h, w}, in}, y = {0};
    /* Both 3x3 paths (Winograd and im2col), each with 1 and 2 threads. */
    for (int run = 0; run < 4; run++) {
        int threads = 1 + (run & 1);
        gh_nn_use_winograd = run < 2;
        gh_nn_set_threads(m, threads);
        CHECK_OK(gh_nn_run(m, &x, &y));
        if (!y.data)
            continue;
        /* MiDaS squeezes the channel: [1, H, W]. */
        CHECK(y.ndim == 3 && y.shape[0] == 1 && y.shape[1] == h && y.shape[2] == w);
        double maxerr = 0;
        for (size_t i = 0; i < ref.count && y.ndim == 3 && y.shape[1] == h && y.shape[2] == w; i++) {
            size_t yy = 2 * (i / (size_t)gw), xx = 2 * (i % (size_t)gw);
            double e = fabs(((float *)y.data)[yy * (size_t)w + xx] - npy_get(&ref, i));
            if (!(e <= maxerr))
                maxerr = e;
        }
        printf("MiDaS small /24 %dx%d %s, %d thread(s): max abs error %.3g vs PyTorch\n", h, w,
               gh_nn_use_winograd ? "Winograd" : "im2col", threads, maxerr);
        CHECK_MSG(maxerr <= 1e-3, "%dx%d: max abs error %g", h, w, maxerr);
        gh_nn_tensor_release(&y);
    }
    gh_nn_use_winograd = 1;
out:
    free(in);
    free(photo.data);
    free(ref.data);
}

static void test_golden(void)
{
    struct gh_nn_model *m = NULL;
    CHECK_OK(gh_nn_load_file(check_source_path(MIDAS), &m));
    if (!m)
        return;
    struct gh_nn_tensor info;
    CHECK_OK(gh_nn_input_info(m, 0, &info));
    CHECK(gh_nn_input_count(m) == 1 && gh_nn_output_count(m) == 1);
    CHECK(info.ndim == 4 && info.shape[0] == 1 && info.shape[1] == 3 && info.shape[2] == -1 && info.shape[3] == -1);
    /* Every ReLU6 (Clip 0..6) follows a Conv and is folded into it, and so
     * are the decoder's ReLUs that read only a Conv (the middle one of each of
     * the 7 residual units, the 2 of the head); the first ReLU of a residual
     * unit also feeds its skip Add and stays. */
    int clip = 0, relu = 0, left = 0;
    for (int i = 0; i < m->n_nodes; i++) {
        const struct gh_nn_node *n = &m->nodes[i];
        clip += n->op == GH_NN_OP_CONV && n->post_act == GH_NN_OP_CLIP && n->post_lo == 0 && n->post_hi == 6;
        relu += n->op == GH_NN_OP_CONV && n->post_act == GH_NN_OP_RELU;
        left += !n->dead && (n->op == GH_NN_OP_CLIP || n->op == GH_NN_OP_RELU);
    }
    CHECK_MSG(clip == 48 && relu == 9 && left == 7, "folded: %d Clip, %d Relu; %d left", clip, relu, left);
    /* The 5 ZeroPad2d before the stride-2 convolutions (the stem and 4
     * depthwise) fold into them although their pads are computed by the graph. */
    int runtime_pads = 0, pads_left = 0;
    for (int i = 0; i < m->n_nodes; i++) {
        runtime_pads += m->nodes[i].op == GH_NN_OP_CONV && m->nodes[i].fused_pad == 3;
        pads_left += m->nodes[i].op == GH_NN_OP_PAD && !m->nodes[i].dead;
    }
    CHECK_MSG(runtime_pads == 5 && pads_left == 0, "%d pads folded, %d left", runtime_pads, pads_left);
    check_golden(m, 256, 256);
    check_golden(m, 192, 320);
    gh_nn_free(m);
}

static void test_size_rule(void)
{
    static const int cases[][4] = {
        {256, 256, 256, 256}, {1024, 768, 256, 192}, {768, 1024, 192, 256}, {4000, 3000, 256, 192},
        {640, 480, 256, 192}, /* 256 x 0.75 = 192 exactly */
        {1000, 563, 256, 160}, /* 144.1 -> 160 (nearest multiple) */
        {1000, 500, 256, 128}, {100, 100, 256, 256}, /* small images are enlarged */
        {300, 290, 256, 256}, /* 247.5 rounds to 256: not above the limit */
        {1000, 620, 256, 160}, /* 158.7 -> 160 */
        {2000, 100, 256, 32}, /* 12.8 rounds to 0: kept at one multiple */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int w, h;
        gh_nn_depth_size(cases[i][0], cases[i][1], &w, &h);
        CHECK_MSG(w == cases[i][2] && h == cases[i][3], "%dx%d -> %dx%d, want %dx%d", cases[i][0], cases[i][1], w,
                  h, cases[i][2], cases[i][3]);
    }
}

/* A gray image whose value rises along x: the probe's "depth" is the channel
 * mean of the normalized input, an increasing affine map of the value. */
static struct gh_image *ramp(int w, int h)
{
    struct gh_image *im = NULL;
    CHECK_OK(gh_image_new(w, h, 3, &im));
    if (im)
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    gh_image_plane(im, c)[(size_t)y * w + x] = (float)x / (float)(w - 1);
    return im;
}

static void test_depth_contract(void)
{
    struct gh_nn_model *probe = NULL, *gray = NULL, *fixed = NULL, *midas = NULL;
    struct gh_image *im = NULL, *d = NULL;
    CHECK_OK(gh_nn_load_file(check_source_path("tests/data/nn/depth_probe.onnx"), &probe));
    CHECK_OK(gh_nn_load_file(check_source_path("tests/data/nn/depth_probe_gray.onnx"), &gray));
    CHECK_OK(gh_nn_load_file(check_source_path("tests/data/nn/depth_probe_fixed.onnx"), &fixed));
    CHECK_OK(gh_nn_load_file(check_source_path(MIDAS), &midas));
    if (!probe || !gray || !fixed || !midas)
        goto out;

    /* At the network's own size nothing is resampled: the map is exactly the
     * ramp normalized by its 2nd and 98th percentiles. Each column is 128
     * equal values, so numpy's linear definition lands inside columns: order
     * statistics 0.02 * 32767 = 655.3 and 32111.7 are columns 5 and 250. */
    im = ramp(256, 128);
    CHECK_OK(gh_nn_depth(probe, im, 2, &d));
    if (d) {
        CHECK(d->width == 256 && d->height == 128 && d->channels == 1);
        double maxerr = 0;
        for (int y = 0; y < 128; y++)
            for (int x = 0; x < 256; x++) {
                double want = (x - 5.0) / (250.0 - 5.0);
                want = want < 0 ? 0 : want > 1 ? 1 : want;
                double e = fabs(d->data[(size_t)y * 256 + x] - want);
                maxerr = e > maxerr ? e : maxerr;
            }
        CHECK_MSG(maxerr < 1e-4, "ramp: max error %g", maxerr);
    }

    /* The NHWC layout of MiDaS's TFLite exports: the same map. */
    {
        struct gh_nn_model *nhwc = NULL;
        struct gh_image *d2 = NULL;
        CHECK_OK(gh_nn_load_file(check_source_path("tests/data/nn/depth_probe_nhwc.onnx"), &nhwc));
        if (nhwc)
            CHECK_OK(gh_nn_depth(nhwc, im, 2, &d2));
        if (d && d2) {
            float worst = 0;
            for (size_t i = 0; i < gh_image_plane_size(d); i++)
                worst = fmaxf(worst, fabsf(d->data[i] - d2->data[i]));
            CHECK_MSG(worst < 1e-6f, "NHWC map = NCHW map (max diff %g)", worst);
        }
        gh_image_free(d2);
        gh_nn_free(nhwc);
    }
    gh_image_free(d);
    d = NULL;

    /* Outliers: 1% of the pixels far brighter. Percentiles ignore them, so
     * the ramp keeps its spread (min/max would squash it into the lower third
     * and put the median column near 0.17 instead of 0.5). */
    for (int y = 0; y < 128; y += 8)
        for (int x = 0; x < 256; x += 16)
            for (int c = 0; c < 3; c++)
                gh_image_plane(im, c)[(size_t)y * 256 + x] = 3.0f;
    CHECK_OK(gh_nn_depth(probe, im, 1, &d));
    if (d) {
        float mid = d->data[(size_t)1 * 256 + 128], left = d->data[(size_t)1 * 256 + 3],
              right = d->data[(size_t)1 * 256 + 253];
        CHECK_MSG(fabsf(mid - 0.5f) < 0.02f, "median column at %g", mid);
        CHECK(left == 0.0f && right == 1.0f);
        CHECK(d->data[0] == 1.0f); /* an outlier is clipped to near */
    }
    gh_image_free(d);
    d = NULL;
    gh_image_free(im);

    /* Any size: the map comes back at the image's size, within [0, 1], still
     * increasing along the ramp (resampled through a 256x160 network size). */
    im = ramp(301, 187);
    CHECK_OK(gh_nn_depth(probe, im, 2, &d));
    if (d) {
        CHECK(d->width == 301 && d->height == 187 && d->channels == 1);
        int inrange = 1, monotone = 1;
        for (int y = 0; y < 187; y++)
            for (int x = 0; x < 301; x++) {
                float v = d->data[(size_t)y * 301 + x];
                inrange &= v >= 0.0f && v <= 1.0f;
                if (x > 0)
                    monotone &= v >= d->data[(size_t)y * 301 + x - 1] - 1e-6f;
            }
        CHECK(inrange && monotone);
        CHECK(d->data[0] == 0.0f && d->data[300] == 1.0f);
    }
    gh_image_free(d);
    d = NULL;
    gh_image_free(im);

    /* A model exported at a fixed size (here [1,3,64,96], output [1,1,64,96])
     * is fed exactly that size (any other fails its input check), aspect
     * ratio not kept, and read back at the image's size. */
    im = ramp(301, 187);
    CHECK_OK(gh_nn_depth(fixed, im, 1, &d));
    if (d) {
        CHECK(d->width == 301 && d->height == 187);
        CHECK(d->data[0] == 0.0f && d->data[300] == 1.0f && fabsf(d->data[150] - 0.5f) < 0.02f);
    }
    gh_image_free(d);
    d = NULL;
    gh_image_free(im);

    /* A flat image has no depth order: mid-depth everywhere, not NaN. */
    CHECK_OK(gh_image_new(64, 48, 3, &im));
    CHECK_OK(gh_nn_depth(probe, im, 1, &d));
    if (d) {
        int half = 1;
        for (size_t i = 0; i < (size_t)64 * 48; i++)
            half &= d->data[i] == 0.5f;
        CHECK(half);
    }
    gh_image_free(d);
    d = NULL;
    gh_image_free(im);
    im = NULL;

    /* The MiDaS-shaped model on a real photo, at a size that is not the
     * network's (640x427 -> 256x160 and back). */
    struct npy photo;
    CHECK(npy_read(check_source_path("tests/data/nn/photo_192x320.npy"), &photo));
    if (photo.data) {
        struct gh_image *p = NULL;
        CHECK_OK(gh_image_new(320, 192, 3, &p));
        for (int c = 0; p && c < 3; c++)
            for (size_t i = 0; i < (size_t)320 * 192; i++)
                gh_image_plane(p, c)[i] = photo.data[i * 3 + (size_t)c] / 255.0f;
        if (p)
            CHECK_OK(gh_ops_resize(p, 640, 427, GH_INTERP_LINEAR, 1, &im));
        gh_image_free(p);
        free(photo.data);
    }
    if (im) {
        CHECK_OK(gh_nn_depth(midas, im, 2, &d));
        if (d) {
            CHECK(d->width == 640 && d->height == 427 && d->channels == 1);
            size_t n = (size_t)640 * 427, zeros = 0, ones = 0;
            int inrange = 1;
            for (size_t i = 0; i < n; i++) {
                inrange &= d->data[i] >= 0.0f && d->data[i] <= 1.0f;
                zeros += d->data[i] == 0.0f;
                ones += d->data[i] == 1.0f;
            }
            CHECK(inrange);
            /* About 2% clipped at each end (a bit more at 0: the model's last
             * ReLU ties ~5% of its map at exactly 0). */
            CHECK_MSG(ones > n / 100 && ones < n * 4 / 100, "%zu of %zu at 1", ones, n);
            CHECK_MSG(zeros > n / 100 && zeros < n * 10 / 100, "%zu of %zu at 0", zeros, n);
        }
        gh_image_free(d);
        d = NULL;
    }

    /* Refused: a model whose input is not [1,3,H,W], and bad arguments. */
    struct gh_image *ok = ramp(64, 64);
    CHECK(gh_nn_depth(gray, ok, 1, &d) == GH_ERR_MODEL && d == NULL);
    CHECK(strstr(gh_error_detail(), "[1,3,H,W]") != NULL);
    CHECK(gh_nn_depth(probe, NULL, 1, &d) == GH_ERR_ARGUMENT && d == NULL);
    CHECK(gh_nn_depth(NULL, ok, 1, &d) == GH_ERR_ARGUMENT);
    CHECK(gh_nn_depth(probe, ok, 1, NULL) == GH_ERR_ARGUMENT);
    gh_image_free(ok);
out:
    gh_image_free(im);
    gh_image_free(d);
    gh_nn_free(probe);
    gh_nn_free(gray);
    gh_nn_free(fixed);
    gh_nn_free(midas);
}

/* MiDaS's decoder runs 3x3 convolutions on 8x8 and 16x16 maps with 256-512
 * channels: those take im2col (Winograd's transformed weights would be read
 * for only 4 or 16 tiles); 32x32 and larger keep Winograd. */
static void test_winograd_choice(void)
{
    CHECK(!gh_nn_wino_pays(8, 8) && !gh_nn_wino_pays(16, 16) && !gh_nn_wino_pays(4, 64));
    CHECK(gh_nn_wino_pays(32, 32) && gh_nn_wino_pays(16, 64) && gh_nn_wino_pays(256, 256));
}

/* A Pad with pads computed in the graph folds into the Conv after it, which
 * can only honour spatial pads: one that also pads the batch must fail with a
 * clear error (unfused, the same graph runs). */
static void test_runtime_pad_refused(void)
{
    struct gh_nn_model *m = NULL;
    CHECK_OK(gh_nn_load_file(check_source_path("tests/data/nn/pad_batch_conv.onnx"), &m));
    if (!m)
        return;
    float data[4 * 6 * 6] = {0};
    struct gh_nn_tensor x = {GH_NN_F32, 4, {1, 4, 6, 6}, data}, y = {0};
    CHECK(gh_nn_run(m, &x, &y) == GH_ERR_UNSUPPORTED && y.data == NULL);
    CHECK(strstr(gh_error_detail(), "only spatial pads") != NULL);
    gh_nn_free(m);
    setenv("GH_NN_NO_FUSE", "1", 1);
    CHECK_OK(gh_nn_load_file(check_source_path("tests/data/nn/pad_batch_conv.onnx"), &m));
    unsetenv("GH_NN_NO_FUSE");
    if (m) {
        CHECK_OK(gh_nn_run(m, &x, &y));
        CHECK(y.ndim == 4 && y.shape[0] == 2 && y.shape[1] == 4 && y.shape[2] == 6 && y.shape[3] == 6);
        gh_nn_tensor_release(&y);
    }
    gh_nn_free(m);
}

int main(void)
{
    test_runtime_pad_refused();
    test_winograd_choice();
    test_golden();
    test_size_rule();
    test_depth_contract();
    return check_finish();
}
