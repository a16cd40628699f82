/* Real models with real weights (../shared/models) against ONNX Runtime
 * goldens made by tools/make-nn-goldens: the raw [-1,1] output must be within
 * 2e-3 (max abs) at a square and a non-square size. Also: gh_nn_stylize's pre-
 * and post-processing, and finite output on flat images (nn.h, "Flat inputs").
 *
 * AnimeGANv3 Shinkai (float16 ONNX, opset 9: Upsample, old-form Pad and
 * Slice, Casts) against ORT on its float32 conversion (tools/make-onnx-fp32);
 * measured max abs error against ORT's full output 4.4e-6 at 256x256 and
 * 3.5e-6 at 192x320 (the float16 Casts widened, nn.h; rounding them would give
 * 2.7e-4), 2.45e-4 against the stored goldens (their float16 storage).
 * Read from models/ or ../shared/models; skipped with a message if neither
 * has it. */
#include "check.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ghiblify/nn.h"
#include "../nn/npy.h"
#include "nn/nn_internal.h" /* gh_nn_use_winograd */

/* 3x the 2.45e-4 reached (the goldens' float16 storage): 2e-3 let a Winograd
 * constant off by 0.2% through. */
#define TOL 7.5e-4

static struct gh_nn_model *load(const char *name)
{
    char rel[256];
    struct gh_nn_model *m = NULL;
    snprintf(rel, sizeof rel, "models/%s.onnx", name);
    CHECK_OK(gh_nn_load_file(check_shared_path(rel), &m));
    if (m)
        gh_nn_set_threads(m, 2);
    return m;
}

/* models/NAME.onnx (tools/fetch-models.sh) or ../shared/models; NULL with a
 * message if neither has it. */
static struct gh_nn_model *load_optional(const char *name)
{
    char rel[256];
    struct gh_nn_model *m = NULL;
    snprintf(rel, sizeof rel, "models/%s.onnx", name);
    const char *paths[2] = {check_source_path(rel), check_shared_path(rel)};
    for (int i = 0; i < 2; i++) {
        FILE *f = fopen(paths[i], "rb");
        if (!f)
            continue;
        (void)fclose(f);
        CHECK_OK(gh_nn_load_file(paths[i], &m));
        if (m)
            gh_nn_set_threads(m, 2);
        return m;
    }
    printf("skip %s: not in models/ or ../shared/models (tools/fetch-models.sh)\n", name);
    return NULL;
}

/* Raw tensor run against the ORT golden; also stylize on the same photo. */
static void check_golden(struct gh_nn_model *m, const char *name, int h, int w)
{
    char rel[256];
    struct npy photo, gold;
    snprintf(rel, sizeof rel, "tests/data/nn/photo_%dx%d.npy", h, w);
    CHECK_MSG(npy_read(check_source_path(rel), &photo), "%s", rel);
    snprintf(rel, sizeof rel, "tests/data/nn/%s_%dx%d.npy", name, h, w);
    CHECK_MSG(npy_read(check_source_path(rel), &gold), "%s", rel);
    if (!photo.data || !gold.data || !m)
        goto out;
    /* The golden holds every 2nd row and column (tools/make-nn-goldens). */
    int gh = (h + 1) / 2, gw = (w + 1) / 2;
    CHECK(photo.count == (size_t)h * w * 3 && gold.count == (size_t)gh * gw * 3);
    if (photo.count != (size_t)h * w * 3 || !photo.count || gold.count != (size_t)gh * gw * 3)
        goto out;
    struct gh_nn_tensor x = {GH_NN_F32, 4, {1, h, w, 3}, NULL}, y = {0};
    x.data = calloc(photo.count, sizeof(float));
    for (size_t i = 0; i < photo.count; i++)
        ((float *)x.data)[i] = (float)photo.data[i] / 127.5f - 1.0f;
    CHECK_OK(gh_nn_run(m, &x, &y));
    if (y.data) {
        CHECK(y.ndim == 4 && y.shape[1] == h && y.shape[2] == w && y.shape[3] == 3);
        double maxerr = 0, sum = 0;
        for (size_t i = 0; i < gold.count; i++) {
            size_t px = (i / 3 / gw * 2) * w + (i / 3 % gw) * 2;
            double e = fabs(((float *)y.data)[px * 3 + i % 3] - npy_get(&gold, i));
            if (!(e <= maxerr))
                maxerr = e; /* NaN sticks */
            sum += e;
        }
        printf("%s %dx%d: max abs error %.3g, mean %.3g vs ONNX Runtime\n", name, h, w, maxerr, sum / gold.count);
        CHECK_MSG(maxerr <= TOL, "%s %dx%d: max abs error %g > %g", name, h, w, maxerr, TOL);
    }
    gh_nn_tensor_release(&y);
    free(x.data);

    /* Same photo through gh_nn_stylize: planar [0,1] in, (y+1)/2 out. */
    struct gh_image *img = NULL, *out = NULL;
    CHECK_OK(gh_image_new(w, h, 3, &img));
    for (int c = 0; c < 3; c++)
        for (long i = 0; i < (long)h * w; i++)
            gh_image_plane(img, c)[i] = photo.data[i * 3 + c] / 255.0f;
    CHECK_OK(gh_nn_stylize(m, img, 16, 2, &out));
    if (out) {
        CHECK(out->width == w && out->height == h && out->channels == 3);
        double maxerr = 0;
        for (int c = 0; c < 3; c++)
            for (long i = 0; i < (long)gh * gw; i++) {
                long px = (i / gw * 2) * w + (i % gw) * 2;
                double e = fabs(gh_image_plane(out, c)[px] - (npy_get(&gold, (size_t)i * 3 + c) + 1) / 2);
                if (!(e <= maxerr))
                    maxerr = e;
            }
        CHECK_MSG(maxerr <= TOL / 2, "%s stylize %dx%d: max error %g", name, h, w, maxerr);
    }
    gh_image_free(out);
    gh_image_free(img);
out:
    free(photo.data);
    free(gold.data);
}

/* gh_nn_stylize output must be finite and within a sane range everywhere. */
static void check_sane(struct gh_nn_model *m, const struct gh_image *img, const char *what)
{
    struct gh_image *out = NULL;
    CHECK_OK(gh_nn_stylize(m, img, 8, 2, &out));
    if (!out)
        return;
    CHECK(out->width == img->width && out->height == img->height);
    size_t bad = 0, n = gh_image_plane_size(out) * 3;
    for (size_t i = 0; i < n; i++)
        bad += !(out->data[i] >= -0.01f && out->data[i] <= 1.01f);
    CHECK_MSG(bad == 0, "%s: %zu of %zu values not finite or out of [0,1]", what, bad, n);
    gh_image_free(out);
}

static void check_flat(struct gh_nn_model *m)
{
    struct gh_image *img = NULL;
    if (!m || gh_image_new(72, 48, 3, &img) != GH_OK)
        return;
    size_t n = gh_image_plane_size(img) * 3;
    for (size_t i = 0; i < n; i++)
        img->data[i] = 0.6f; /* uniform: NaN in ORT and TFLite (eps = 0) */
    check_sane(m, img, "uniform 0.6");
    for (size_t i = 0; i < n; i++)
        img->data[i] = 0.0f; /* black frame */
    check_sane(m, img, "uniform black");
    for (size_t i = 0; i < n; i++) /* nearly uniform: +-1 level of 8-bit noise */
        img->data[i] = 0.6f + (float)((i * 2654435761u >> 7) % 3) / 255.0f;
    check_sane(m, img, "nearly uniform");
    gh_image_free(img);
}

/* An odd size goes through reflection padding and comes back cropped. */
static void check_odd_size(struct gh_nn_model *m)
{
    struct gh_image *img = NULL;
    if (!m || gh_image_new(37, 21, 3, &img) != GH_OK)
        return;
    for (int c = 0; c < 3; c++)
        for (int i = 0; i < 37 * 21; i++) {
            int x = i % 37, y = i / 37;
            gh_image_plane(img, c)[i] = 0.5f + 0.4f * sinf(0.3f * (float)x + 0.7f * (float)y + (float)c);
        }
    check_sane(m, img, "37x21 gradient");
    gh_image_free(img);
}

/* The Shinkai model: float16 graph input and output presented as float32
 * (nn.h), and sizes that are not a multiple of 8 refused with a clear error at
 * run time (its residual adds no longer line up), not a crash. */
static void check_shinkai_contract(struct gh_nn_model *m)
{
    struct gh_nn_tensor info = {0};
    CHECK_OK(gh_nn_input_info(m, 0, &info));
    CHECK(info.dtype == GH_NN_F32 && info.ndim == 4 && info.shape[1] == -1 && info.shape[2] == -1 &&
          info.shape[3] == 3);
    float *data = calloc(20 * 24 * 3, sizeof *data);
    for (int i = 0; data && i < 20 * 24 * 3; i++)
        data[i] = 0.5f * sinf(0.1f * (float)i);
    struct gh_nn_tensor x = {GH_NN_F32, 4, {1, 20, 24, 3}, data}, y = {0};
    gh_error_clear();
    enum gh_status st = gh_nn_run(m, &x, &y);
    CHECK_MSG(st == GH_ERR_MODEL && gh_error_detail()[0], "20x24: status %s (%s)", gh_strerror(st),
              gh_error_detail());
    gh_nn_tensor_release(&y);
    x.shape[1] = 16; /* the smallest multiple of 8 whose reflect pads fit */
    CHECK_OK(gh_nn_run(m, &x, &y));
    CHECK(y.data && y.ndim == 4 && y.shape[1] == 16 && y.shape[2] == 24 && y.shape[3] == 3);
    gh_nn_tensor_release(&y);
    free(data);
}

/* fuse.c's NHWC form of the LADE normalization (tf2onnx's Transposes and
 * Reshaped statistics around GlobalAveragePool moments) fires on all 13
 * blocks, each with its 1x1 conv folded; the goldens above ran fused. */
static void check_shinkai_fused(struct gh_nn_model *m)
{
    int norms = 0, with_conv = 0, transposes = 0;
    for (int i = 0; i < m->n_nodes; i++) {
        norms += m->nodes[i].op == GH_NN_OP_CHANNEL_NORM;
        with_conv += m->nodes[i].op == GH_NN_OP_CHANNEL_NORM && m->nodes[i].n_in == 6;
        transposes += m->nodes[i].op == GH_NN_OP_TRANSPOSE;
    }
    CHECK_MSG(norms == 13 && with_conv == 13, "Shinkai: %d ChannelNorms, %d with their conv", norms, with_conv);
    CHECK_MSG(transposes <= 8, "Shinkai: %d Transposes left (26 belong to the normalizations)", transposes);
}

int main(void)
{
    struct gh_nn_model *hayao = load("AnimeGANv3_Hayao_36");
    check_golden(hayao, "AnimeGANv3_Hayao_36", 256, 256);
    check_golden(hayao, "AnimeGANv3_Hayao_36", 192, 320);
    gh_nn_use_winograd = 0; /* the im2col path for the same 3x3 convs */
    check_golden(hayao, "AnimeGANv3_Hayao_36", 192, 320);
    gh_nn_use_winograd = 1;
    check_flat(hayao);
    check_odd_size(hayao);
    gh_nn_free(hayao);

    struct gh_nn_model *cute = load("AnimeGANv3_tiny_Cute");
    check_golden(cute, "AnimeGANv3_tiny_Cute", 256, 256);
    check_golden(cute, "AnimeGANv3_tiny_Cute", 192, 320);
    gh_nn_free(cute);

    struct gh_nn_model *shinkai = load_optional("AnimeGANv3_Shinkai_37_fp16");
    if (shinkai) {
        check_golden(shinkai, "AnimeGANv3_Shinkai_37_fp16", 256, 256);
        check_golden(shinkai, "AnimeGANv3_Shinkai_37_fp16", 192, 320);
        check_shinkai_contract(shinkai);
        check_shinkai_fused(shinkai);
        check_flat(shinkai);
        check_odd_size(shinkai);
        gh_nn_free(shinkai);
    }
    return check_finish();
}
