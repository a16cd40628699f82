/* The bundled Hayao generator run straight from its TFLite file
 * (../shared/models/AnimeGANv3_Hayao_36_QUANTIZED_fp16.tflite, float16
 * weights) against goldens of ../shared/tools/tflite_reference.py made by
 * tools/make-tflite-goldens: max abs error <= 2e-3 on the raw [-1,1] output at
 * 24x40, 256x256, 512x512 and 384x640 (the file's shapes are for 512x512, so
 * every other size exercises the loader's size generalization). Also: same
 * output as the converted ONNX model through the ONNX loader, loading by
 * content (a TFLite file named .onnx, memory vs file), the declared input
 * shape, and a clean error at a size the network cannot run.
 *
 * Goldens are PNGs read with libpng's simplified API (no setjmp): inputs 8-bit
 * RGB (exact u8), outputs 16-bit RGB holding round((y + 1) * 32767.5), the
 * larger sizes subsampled every 3rd row and column. Under AddressSanitizer the
 * 512x512 and 384x640 cases are skipped (too slow there) and the ONNX
 * cross-check runs at 24x40 instead of 256x256; the 24x40 and 256x256 goldens
 * always run. */
#include "check.h"

#include <math.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>

#include "ghiblify/nn.h"

#define TOL 2e-3

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

static const char *MODEL = "models/AnimeGANv3_Hayao_36_QUANTIZED_fp16.tflite";
static const char *ONNX_MODEL = "models/AnimeGANv3_Hayao_36.onnx";

/* Reads an RGB PNG as 8-bit (bits 8) or 16-bit (bits 16) samples. */
static void *png_read(const char *path, int bits, int *w, int *h)
{
    png_image im;
    memset(&im, 0, sizeof im);
    im.version = PNG_IMAGE_VERSION;
    if (!png_image_begin_read_from_file(&im, path))
        return NULL;
    im.format = bits == 16 ? PNG_FORMAT_LINEAR_RGB : PNG_FORMAT_RGB;
    void *buf = malloc(PNG_IMAGE_SIZE(im));
    if (!buf || !png_image_finish_read(&im, NULL, buf, 0, NULL)) {
        free(buf);
        png_image_free(&im);
        return NULL;
    }
    *w = (int)im.width;
    *h = (int)im.height;
    return buf;
}

static unsigned char *read_file(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    long n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    unsigned char *d = n > 0 && fseek(f, 0, SEEK_SET) == 0 ? malloc((size_t)n) : NULL;
    if (d && fread(d, 1, (size_t)n, f) != (size_t)n) {
        free(d);
        d = NULL;
    }
    (void)fclose(f);
    *size = d ? (size_t)n : 0;
    return d;
}

/* NHWC [1,h,w,3] input x = u8 / 127.5 - 1 from tests/data/tflite/in_<h>x<w>.png. */
static float *load_input(int h, int w)
{
    char rel[128];
    snprintf(rel, sizeof rel, "tests/data/tflite/in_%dx%d.png", h, w);
    int pw, ph;
    unsigned char *u8 = png_read(check_source_path(rel), 8, &pw, &ph);
    CHECK_MSG(u8 && pw == w && ph == h, "cannot read %s", rel);
    if (!u8 || pw != w || ph != h) {
        free(u8);
        return NULL;
    }
    float *x = malloc((size_t)h * w * 3 * sizeof *x);
    for (size_t i = 0; x && i < (size_t)h * w * 3; i++)
        x[i] = (float)u8[i] / 127.5f - 1.0f;
    free(u8);
    return x;
}

static enum gh_status run(struct gh_nn_model *m, float *x, int h, int w, struct gh_nn_tensor *y)
{
    struct gh_nn_tensor in = {GH_NN_F32, 4, {1, h, w, 3}, x};
    return gh_nn_run(m, &in, y);
}

/* Compares output y with the golden (every stride-th row/column). */
static void compare_golden(const struct gh_nn_tensor *y, int h, int w, int stride, double *max_err, double *mean_err)
{
    char rel[128];
    snprintf(rel, sizeof rel, "tests/data/tflite/out_%dx%d_s%d.png", h, w, stride);
    int gw, gh;
    unsigned short *g = png_read(check_source_path(rel), 16, &gw, &gh);
    int ew = (w + stride - 1) / stride, eh = (h + stride - 1) / stride;
    CHECK_MSG(g && gw == ew && gh == eh, "cannot read %s", rel);
    *max_err = INFINITY;
    *mean_err = INFINITY;
    if (!g || gw != ew || gh != eh) {
        free(g);
        return;
    }
    const float *o = y->data;
    double mx = 0, sum = 0;
    size_t n = 0;
    for (int i = 0; i < gh; i++)
        for (int j = 0; j < gw; j++)
            for (int k = 0; k < 3; k++) {
                double ref = g[((size_t)i * gw + j) * 3 + k] / 32767.5 - 1.0;
                double v = o[(((size_t)i * stride) * w + (size_t)j * stride) * 3 + k];
                double d = fabs(v - ref);
                if (!(d <= mx)) /* NaN propagates as a failure */
                    mx = d;
                sum += d;
                n++;
            }
    free(g);
    *max_err = mx;
    *mean_err = sum / (double)n;
}

static void golden_case(struct gh_nn_model *m, int h, int w, int stride, struct gh_nn_tensor *keep)
{
    float *x = load_input(h, w);
    if (!x)
        return;
    struct gh_nn_tensor y;
    enum gh_status st = run(m, x, h, w, &y);
    CHECK_OK(st);
    if (st == GH_OK) {
        CHECK(y.ndim == 4 && y.shape[0] == 1 && y.shape[1] == h && y.shape[2] == w && y.shape[3] == 3);
        double mx, mean;
        compare_golden(&y, h, w, stride, &mx, &mean);
        printf("TFLite vs tflite_reference.py %dx%d (HxW): max abs %.3g, mean abs %.3g\n", h, w, mx, mean);
        CHECK_MSG(mx <= TOL, "%dx%d: max abs error %g > %g", h, w, mx, TOL);
        if (keep)
            *keep = y;
        else
            gh_nn_tensor_release(&y);
    }
    free(x);
}

int main(void)
{
    char path[4096]; /* check_*_path return a shared static buffer */
    snprintf(path, sizeof path, "%s", check_shared_path(MODEL));
    struct gh_nn_model *m = NULL;
    CHECK_OK(gh_nn_load_file(path, &m));
    if (!m)
        return check_finish();
    gh_nn_set_threads(m, 2);

    /* Declared input: NHWC with dynamic H and W. */
    struct gh_nn_tensor info;
    CHECK_OK(gh_nn_input_info(m, 0, &info));
    CHECK(gh_nn_input_count(m) == 1 && gh_nn_output_count(m) == 1);
    CHECK(info.dtype == GH_NN_F32 && info.ndim == 4 && info.shape[0] == 1 && info.shape[1] == -1 &&
          info.shape[2] == -1 && info.shape[3] == 3);

    struct gh_nn_tensor y24 = {0}, y256 = {0};
    golden_case(m, 24, 40, 1, &y24);
    golden_case(m, 256, 256, 1, &y256);
    if (!UNDER_ASAN) {
        golden_case(m, 512, 512, 3, NULL);
        golden_case(m, 384, 640, 3, NULL);
    } else {
        printf("AddressSanitizer build: 512x512 and 384x640 skipped\n");
    }

    /* Same weights through the ONNX loader (the converted model): at 256x256,
     * or 24x40 under ASan. */
    struct gh_nn_model *onnx = NULL;
    CHECK_OK(gh_nn_load_file(check_shared_path(ONNX_MODEL), &onnx));
    int ch = UNDER_ASAN ? 24 : 256, cw = UNDER_ASAN ? 40 : 256;
    const struct gh_nn_tensor *ytf = UNDER_ASAN ? &y24 : &y256;
    float *x = load_input(ch, cw);
    if (onnx && x && ytf->data) {
        gh_nn_set_threads(onnx, 2);
        struct gh_nn_tensor yo;
        CHECK_OK(run(onnx, x, ch, cw, &yo));
        if (yo.data) {
            double mx = 0, sum = 0;
            size_t n = gh_nn_tensor_count(&yo);
            CHECK(n == gh_nn_tensor_count(ytf));
            for (size_t i = 0; i < n; i++) {
                double d = fabs((double)((float *)yo.data)[i] - ((float *)ytf->data)[i]);
                if (!(d <= mx))
                    mx = d;
                sum += d;
            }
            printf("TFLite vs ONNX loader %dx%d: max abs %.3g, mean abs %.3g\n", ch, cw, mx, sum / (double)n);
            CHECK_MSG(mx <= TOL, "TFLite and ONNX paths differ by %g", mx);
            gh_nn_tensor_release(&yo);
        }
    }
    gh_nn_free(onnx);
    free(x);

    /* Loading by content: from memory, and from a file named .onnx. */
    size_t size;
    unsigned char *bytes = read_file(path, &size);
    CHECK(bytes != NULL);
    x = load_input(24, 40);
    if (bytes && x && y24.data) {
        struct gh_nn_model *mm = NULL;
        CHECK_OK(gh_nn_load_memory(bytes, size, &mm));
        if (mm) {
            struct gh_nn_tensor y;
            gh_nn_set_threads(mm, 2); /* same threads, same summation order: bitwise equal */
            CHECK_OK(run(mm, x, 24, 40, &y));
            CHECK(y.data && memcmp(y.data, y24.data, gh_nn_tensor_count(&y) * sizeof(float)) == 0);
            gh_nn_tensor_release(&y);
            gh_nn_free(mm);
        }
        const char *tmp = "tflite_named_as.onnx";
        FILE *f = fopen(tmp, "wb");
        CHECK(f && fwrite(bytes, 1, size, f) == size);
        if (f)
            CHECK(fclose(f) == 0);
        mm = NULL;
        CHECK_OK(gh_nn_load_file(tmp, &mm));
        if (mm) {
            struct gh_nn_tensor y;
            gh_nn_set_threads(mm, 2); /* same threads, same summation order: bitwise equal */
            CHECK_OK(run(mm, x, 24, 40, &y));
            CHECK(y.data && memcmp(y.data, y24.data, gh_nn_tensor_count(&y) * sizeof(float)) == 0);
            gh_nn_tensor_release(&y);
            gh_nn_free(mm);
        }
        (void)remove(tmp);
    }
    free(bytes);

    /* A size the network cannot run (H, W not multiples of 8): an error, not a crash. */
    if (x) {
        struct gh_nn_tensor y;
        enum gh_status st = run(m, x, 20, 20, &y);
        CHECK_MSG(st != GH_OK, "20x20 input should be refused");
        if (st == GH_OK)
            gh_nn_tensor_release(&y);
        else
            CHECK(gh_error_detail()[0] != 0);
    }
    free(x);

    gh_nn_tensor_release(&y24);
    gh_nn_tensor_release(&y256);
    gh_nn_free(m);
    return check_finish();
}
