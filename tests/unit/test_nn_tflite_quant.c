/* Quantized TFLite models (include/ghiblify/nn.h "Quantized models"), on tiny
 * models built in memory (tests/unit/tflite_builder.h) whose expected outputs
 * are computed here from TFLite's definitions, in both load modes:
 * - QUANTIZE / DEQUANTIZE of activations: identity passes values through
 *   exactly; grid rounds half away from zero on the tensor's int8 grid and
 *   clips to [-128, 127] (hand-computed values, ties included);
 * - a UINT8 graph input and output: real values (q - zp) * scale in, on the
 *   uint8 grid in grid mode, clipped to [0, 255];
 * - CONV_2D with int8 per-channel weights and int32 biases read directly by
 *   the op (no DEQUANTIZE; the bias with its own scale or without, then
 *   input_scale * weight_scale), and DEPTHWISE_CONV_2D with per-channel weights on
 *   axis 3, dequantized at load; a dynamic-range (hybrid) float conv;
 * - export-size constants: a uniform [1, H, W, 1] "ones" whose box filter
 *   normalizes (White-box's guided filter) follows the actual size (6x5 and
 *   7x9 for a 4x4 file), a non-uniform one is refused naming the tensor.
 * Tolerance 1e-5 relative (float32 summation order).
 *
 * The four quantized generator files (../shared/models) against the goldens
 * of the independent numpy reference tools/tflite-quant-reference
 * (tests/data/tflite/README.md: inputs, channel order, output clipped to
 * [-1, 1]) at 40x72 and 384x640 (outside AddressSanitizer the cheaper
 * 384x640 cases; all of them with GH_TEST_LONG=1); both sizes differ
 * from the export sizes (256x256, 512x512), so every case also exercises the
 * size generalization (White-box's "ones" regenerated). Tolerances:
 * - identity: max abs error <= 2e-3 (plain float32 math, as the fp16 goldens);
 * - grid: a value that lands within float32 noise of a rounding boundary flips
 *   one grid step in one implementation and not the other, and the step
 *   propagates through every later layer (the reference measured this by
 *   jittering values by 1e-6 relative before each rounding: max 0.08-0.2, mean
 *   0.002-0.025 at 40x72; tests/data/tflite/README.md). Grid mode must have
 *   mean abs error <= 0.03 and max <= 0.3 (the README's bounds), and be
 *   closer on average to the grid golden than to the identity golden (which
 *   fails if the grid were not applied). The int8 Hayao matches its grid
 *   golden exactly at 40x72 (its flips need larger sizes). */
#include "check.h"

#include <math.h>
#include <png.h>
#include <stdlib.h>
#include <string.h>

#include "ghiblify/nn.h"
#include "tflite_builder.h"

#define TOL 1e-5
#define GOLDEN_TOL 2e-3
#define GRID_MEAN 0.03
#define GRID_MAX 0.3

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

enum { CONV = 3, DWCONV = 4, DEQUANT = 6, RELU = 19, DIV = 42, QUANT = 114 };

/* The affine quantization round trip of nn.h: round half away from zero,
 * values within 1/1024 step below a half counting as the half. */
static float grid(float x, float scale, int zp, int lo, int hi)
{
    double v = (double)x / scale;
    double q = copysign(floor(fabs(v) + 0.5 + 1.0 / 1024), v) + zp;
    q = q < lo ? lo : q > hi ? hi : q;
    return (float)((q - zp) * scale);
}

static float *run(struct tb_model *m, int quant_grid, const float *x, int h, int w, int c, struct gh_nn_tensor *y,
                  const char *what)
{
    size_t n;
    uint8_t *d = tb_build(m, &n);
    struct gh_nn_model *model = NULL;
    struct gh_nn_load_options o = {.quant_grid = quant_grid};
    enum gh_status st = gh_nn_load_memory_opts(d, n, &o, &model);
    free(d);
    CHECK_MSG(st == GH_OK, "%s: load: %s", what, gh_error_detail());
    if (st)
        return NULL;
    struct gh_nn_tensor in = {GH_NN_F32, 4, {1, h, w, c}, (void *)x};
    st = gh_nn_run(model, &in, y);
    CHECK_MSG(st == GH_OK, "%s: run: %s", what, gh_error_detail());
    gh_nn_free(model);
    return st ? NULL : y->data;
}

static void compare(const char *what, const float *got, const float *want, size_t n)
{
    double mx = 0;
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs((double)got[i] - want[i]) / (1.0 + fabs(want[i]));
        if (!(d <= mx)) {
            mx = d;
            at = i;
        }
    }
    CHECK_MSG(mx <= TOL, "%s: max error %g at %zu (got %g, want %g)", what, mx, at, (double)got[at],
              (double)want[at]);
}

static void quant(struct tb_model *m, int t, int n, const float *scale, const int64_t *zp, int axis)
{
    m->t[t].q_n = n;
    m->t[t].q_scale = scale;
    m->t[t].q_zp = zp;
    m->t[t].q_axis = axis;
}

/* input -> QUANTIZE (int8, scale 0.5, zp -1) -> DEQUANTIZE -> output */
static void quantize_dequantize(void)
{
    static const float S[1] = {0.5f};
    static const int64_t Z[1] = {-1};
    struct tb_model m;
    memset(&m, 0, sizeof m);
    int32_t sh[4] = {1, 2, 4, 1};
    int x = tb_tensor(&m, TB_F32, 4, sh, NULL, 0);
    int q = tb_tensor(&m, TB_I8, 4, sh, NULL, 0);
    quant(&m, q, 1, S, Z, 0);
    int y = tb_tensor(&m, TB_F32, 4, sh, NULL, 0);
    int32_t i0[1] = {x}, i1[1] = {q};
    tb_op(&m, QUANT, 0, 1, i0, q);
    tb_op(&m, DEQUANT, 0, 1, i1, y);
    m.n_in = m.n_out = 1;
    m.in[0] = x;
    m.out[0] = y;
    /* 0.75 / 0.5 = 1.5 and -0.75 / 0.5 = -1.5 are ties (away from zero: 2, -2),
     * 1.749 / 0.5 = 3.498 is 0.002 below the half: 3 (q 2, 1.5), 1.74975 / 0.5 =
     * 3.4995 lies within 1/1024 below it, in the tie band: 4 (q 3, 2.0);
     * q = -70 / 0.5 - 1 = -141 and 64.1 / 0.5 - 1 = 127.2 leave the int8 range. */
    const float xs[8] = {0.2f, 0.26f, 0.75f, -0.75f, -70.0f, 64.1f, 1.749f, 1.74975f};
    const float want_grid[8] = {0.0f, 0.5f, 1.0f, -1.0f, -63.5f, 64.0f, 1.5f, 2.0f};
    struct gh_nn_tensor yt;
    float *got = run(&m, 0, xs, 2, 4, 1, &yt, "QUANTIZE identity");
    if (got) {
        compare("QUANTIZE/DEQUANTIZE identity passes values through", got, xs, 8);
        gh_nn_tensor_release(&yt);
    }
    got = run(&m, 1, xs, 2, 4, 1, &yt, "QUANTIZE grid");
    if (got) {
        compare("QUANTIZE/DEQUANTIZE grid rounds and clips", got, want_grid, 8);
        gh_nn_tensor_release(&yt);
    }
}

/* UINT8 input (scale 0.25, zp 128) -> RELU (uint8, scale 0.125, zp 0) = UINT8 output */
static void uint8_io(void)
{
    static const float SI[1] = {0.25f}, SO[1] = {0.125f};
    static const int64_t ZI[1] = {128}, ZO[1] = {0};
    struct tb_model m;
    memset(&m, 0, sizeof m);
    int32_t sh[4] = {1, 1, 6, 1};
    int x = tb_tensor(&m, TB_U8, 4, sh, NULL, 0);
    quant(&m, x, 1, SI, ZI, 0);
    int y = tb_tensor(&m, TB_U8, 4, sh, NULL, 0);
    quant(&m, y, 1, SO, ZO, 0);
    int32_t i0[1] = {x};
    tb_op(&m, RELU, 0, 1, i0, y);
    m.n_in = m.n_out = 1;
    m.in[0] = x;
    m.out[0] = y;
    const float xs[6] = {1.1f, 40.0f, -40.0f, 0.3f, -0.3f, 31.9f};
    float want_id[6], want_grid[6];
    for (int i = 0; i < 6; i++) {
        want_id[i] = xs[i] > 0 ? xs[i] : 0;
        float g = grid(xs[i], 0.25f, 128, 0, 255);
        want_grid[i] = grid(g > 0 ? g : 0, 0.125f, 0, 0, 255);
    }
    /* by hand: 1.1 -> 1.0; 40 -> q 288 -> 255 -> 31.75; 0.3 -> 0.25; 31.9 -> 31.75 */
    CHECK(want_grid[0] == 1.0f && want_grid[1] == 31.75f && want_grid[3] == 0.25f && want_grid[5] == 31.75f);
    struct gh_nn_tensor info;
    size_t n;
    uint8_t *d = tb_build(&m, &n);
    struct gh_nn_model *model = NULL;
    CHECK_OK(gh_nn_load_memory(d, n, &model));
    free(d);
    if (model) {
        CHECK_OK(gh_nn_input_info(model, 0, &info));
        CHECK_MSG(info.dtype == GH_NN_F32, "a UINT8 input is declared float32 (real values)");
        gh_nn_free(model);
    }
    struct gh_nn_tensor yt;
    float *got = run(&m, 0, xs, 1, 6, 1, &yt, "uint8 identity");
    if (got) {
        compare("uint8 input/output identity", got, want_id, 6);
        gh_nn_tensor_release(&yt);
    }
    got = run(&m, 1, xs, 1, 6, 1, &yt, "uint8 grid");
    if (got) {
        compare("uint8 input/output grid", got, want_grid, 6);
        gh_nn_tensor_release(&yt);
    }
}

/* input -> QUANTIZE (scale 0.1) -> CONV_2D 1x1 (int8 weights per output
 * channel, int32 bias of scale 0.1 * w_scale) -> int8 (scale 0.05) ->
 * DEPTHWISE_CONV_2D 1x1 (int8 weights per channel on axis 3, no bias) ->
 * int8 (scale 0.04, zp 5) -> DEQUANTIZE -> output. Without bias_params the
 * bias carries no scale of its own: 0.1 * w_scale[c] by TFLite's definition. */
static void int8_convs(int bias_params)
{
    static const float SX[1] = {0.1f}, SW[2] = {0.5f, 0.25f}, SB[2] = {0.05f, 0.025f}, SY[1] = {0.05f},
                       SD[2] = {0.125f, 2.0f}, SZ[1] = {0.04f};
    static const int64_t Z0[2] = {0, 0}, ZZ[1] = {5};
    static const int8_t WQ[4] = {2, -4, 8, 1}; /* OHWI [2,1,1,2]: w0 = {1, -2}, w1 = {2, 0.25} */
    static const int32_t BQ[2] = {20, -40};    /* b = {1.0, -1.0} */
    static const int8_t DQ[2] = {4, -1};       /* depthwise [1,1,1,2]: {0.5, -2} */
    struct tb_model m;
    memset(&m, 0, sizeof m);
    int32_t sx[4] = {1, 2, 3, 2}, sw[4] = {2, 1, 1, 2}, sb[1] = {2}, sd[4] = {1, 1, 1, 2};
    int x = tb_tensor(&m, TB_F32, 4, sx, NULL, 0);
    int xq = tb_tensor(&m, TB_I8, 4, sx, NULL, 0);
    quant(&m, xq, 1, SX, Z0, 0);
    int w = tb_tensor(&m, TB_I8, 4, sw, WQ, sizeof WQ);
    quant(&m, w, 2, SW, Z0, 0);
    int b = tb_tensor(&m, TB_I32, 1, sb, BQ, sizeof BQ);
    if (bias_params)
        quant(&m, b, 2, SB, Z0, 0);
    int yq = tb_tensor(&m, TB_I8, 4, sx, NULL, 0);
    quant(&m, yq, 1, SY, Z0, 0);
    int dw = tb_tensor(&m, TB_I8, 4, sd, DQ, sizeof DQ);
    quant(&m, dw, 2, SD, Z0, 3);
    int zq = tb_tensor(&m, TB_I8, 4, sx, NULL, 0);
    quant(&m, zq, 1, SZ, ZZ, 0);
    int y = tb_tensor(&m, TB_F32, 4, sx, NULL, 0);
    int32_t i0[1] = {x}, i1[3] = {xq, w, b}, i2[2] = {yq, dw}, i3[1] = {zq};
    tb_op(&m, QUANT, 0, 1, i0, xq);
    struct tb_op *o = tb_op(&m, CONV, 1, 3, i1, yq);
    tb_opt(o, 0, 1, 1); /* VALID */
    tb_opt(o, 1, 4, 1);
    tb_opt(o, 2, 4, 1);
    o = tb_op(&m, DWCONV, 2, 2, i2, zq);
    tb_opt(o, 0, 1, 1);
    tb_opt(o, 1, 4, 1);
    tb_opt(o, 2, 4, 1);
    tb_opt(o, 3, 4, 1);
    tb_op(&m, DEQUANT, 0, 1, i3, y);
    m.n_in = m.n_out = 1;
    m.in[0] = x;
    m.out[0] = y;
    const float xs[12] = {0.31f, -0.12f, 1.04f, 0.77f, -2.2f, 0.05f, 0.6f, 0.6f, -0.33f, -1.49f, 3.0f, -3.0f};
    float want_id[12] = {0}, want_grid[12] = {0};
    const float w0[2] = {1.0f, -2.0f}, w1[2] = {2.0f, 0.25f}, dmul[2] = {0.5f, -2.0f};
    for (int p = 0; p < 6; p++) {
        for (int g = 0; g < 2; g++) {
            float a = xs[2 * p], c = xs[2 * p + 1];
            if (g) {
                a = grid(a, 0.1f, 0, -128, 127);
                c = grid(c, 0.1f, 0, -128, 127);
            }
            float y0 = a * w0[0] + c * w0[1] + 1.0f, y1 = a * w1[0] + c * w1[1] - 1.0f;
            if (g) {
                y0 = grid(y0, 0.05f, 0, -128, 127);
                y1 = grid(y1, 0.05f, 0, -128, 127);
            }
            float z0 = y0 * dmul[0], z1 = y1 * dmul[1];
            if (g) {
                z0 = grid(z0, 0.04f, 5, -128, 127);
                z1 = grid(z1, 0.04f, 5, -128, 127);
            }
            (g ? want_grid : want_id)[2 * p] = z0;
            (g ? want_grid : want_id)[2 * p + 1] = z1;
        }
    }
    struct gh_nn_tensor yt;
    float *got = run(&m, 0, xs, 2, 3, 2, &yt, "int8 convs identity");
    if (got) {
        compare("int8 per-channel CONV_2D + DEPTHWISE_CONV_2D identity", got, want_id, 12);
        gh_nn_tensor_release(&yt);
    }
    got = run(&m, 1, xs, 2, 3, 2, &yt, "int8 convs grid");
    if (got) {
        compare("int8 per-channel CONV_2D + DEPTHWISE_CONV_2D grid", got, want_grid, 12);
        gh_nn_tensor_release(&yt);
    }
}

/* Dynamic range: float input -> CONV_2D 1x1 with int8 weights (per-tensor
 * scale 0.5, zp 3) read directly by the float op, float bias -> output. */
static void hybrid_conv(void)
{
    static const float SW[1] = {0.5f};
    static const int64_t ZW[1] = {3};
    static const int8_t WQ[2] = {5, -1}; /* (5-3)*0.5 = 1, (-1-3)*0.5 = -2 */
    static const float B[1] = {0.25f};
    struct tb_model m;
    memset(&m, 0, sizeof m);
    int32_t sx[4] = {1, 1, 3, 2}, sw[4] = {1, 1, 1, 2}, sb[1] = {1}, sy[4] = {1, 1, 3, 1};
    int x = tb_tensor(&m, TB_F32, 4, sx, NULL, 0);
    int w = tb_tensor(&m, TB_I8, 4, sw, WQ, sizeof WQ);
    quant(&m, w, 1, SW, ZW, 0);
    int b = tb_tensor(&m, TB_F32, 1, sb, B, sizeof B);
    int y = tb_tensor(&m, TB_F32, 4, sy, NULL, 0);
    int32_t i0[3] = {x, w, b};
    struct tb_op *o = tb_op(&m, CONV, 1, 3, i0, y);
    tb_opt(o, 0, 1, 1);
    tb_opt(o, 1, 4, 1);
    tb_opt(o, 2, 4, 1);
    m.n_in = m.n_out = 1;
    m.in[0] = x;
    m.out[0] = y;
    const float xs[6] = {0.3f, 0.7f, -1.0f, 2.0f, 5.0f, 0.125f};
    float want[3];
    for (int p = 0; p < 3; p++)
        want[p] = xs[2 * p] - 2.0f * xs[2 * p + 1] + 0.25f;
    for (int g = 0; g < 2; g++) {
        struct gh_nn_tensor yt;
        float *got = run(&m, g, xs, 1, 3, 2, &yt, "hybrid conv");
        if (got) {
            compare(g ? "hybrid int8-weight conv (grid: float activations unchanged)" : "hybrid int8-weight conv",
                    got, want, 3);
            gh_nn_tensor_release(&yt);
        }
    }
}

/* White-box's guided-filter normalizer: x / DEPTHWISE_CONV_2D(ones, 3x3 of
 * ones, SAME), with ones a [1, 4, 4, 1] constant of the 4x4 export size. */
static void export_size_constant(int uniform)
{
    static float ONES[16], K[9];
    for (int i = 0; i < 16; i++)
        ONES[i] = uniform ? 1.0f : (float)(1 + i % 2);
    for (int i = 0; i < 9; i++)
        K[i] = 1.0f;
    struct tb_model m;
    memset(&m, 0, sizeof m);
    int32_t sx[4] = {1, 4, 4, 2}, s1[4] = {1, 4, 4, 1}, sk[4] = {1, 3, 3, 1};
    int x = tb_tensor(&m, TB_F32, 4, sx, NULL, 0);
    int ones = tb_tensor(&m, TB_F32, 4, s1, ONES, sizeof ONES);
    int k = tb_tensor(&m, TB_F32, 4, sk, K, sizeof K);
    int n = tb_tensor(&m, TB_F32, 4, s1, NULL, 0);
    int y = tb_tensor(&m, TB_F32, 4, sx, NULL, 0);
    int32_t i0[2] = {ones, k}, i1[2] = {x, n};
    struct tb_op *o = tb_op(&m, DWCONV, 2, 2, i0, n);
    tb_opt(o, 0, 1, 0); /* SAME */
    tb_opt(o, 1, 4, 1);
    tb_opt(o, 2, 4, 1);
    tb_opt(o, 3, 4, 1);
    tb_op(&m, DIV, 29, 2, i1, y);
    m.n_in = m.n_out = 1;
    m.in[0] = x;
    m.out[0] = y;
    if (!uniform) {
        size_t len;
        uint8_t *d = tb_build(&m, &len);
        struct gh_nn_model *model = NULL;
        enum gh_status st = gh_nn_load_memory(d, len, &model);
        free(d);
        CHECK_MSG(st == GH_ERR_UNSUPPORTED && strstr(gh_error_detail(), "t3") &&
                      strstr(gh_error_detail(), "export size 4x4"),
                  "non-uniform export-size constant: %s (%s)", gh_strerror(st), gh_error_detail());
        gh_nn_free(model);
        return;
    }
    const int sizes[3][2] = {{4, 4}, {6, 5}, {7, 9}};
    for (int s = 0; s < 3; s++) {
        int h = sizes[s][0], w = sizes[s][1];
        float *xs = malloc((size_t)h * w * 2 * sizeof *xs), *want = malloc((size_t)h * w * 2 * sizeof *want);
        for (int i = 0; i < h; i++)
            for (int j = 0; j < w; j++) {
                /* pixels of the box inside the image: 4 at corners, 6 on edges, 9 inside */
                int rows = (i > 0) + 1 + (i < h - 1), cols = (j > 0) + 1 + (j < w - 1);
                for (int c = 0; c < 2; c++) {
                    size_t at = ((size_t)i * w + j) * 2 + c;
                    xs[at] = (float)(at % 7) - 2.5f;
                    want[at] = xs[at] / (float)(rows * cols);
                }
            }
        struct gh_nn_tensor yt;
        char what[64];
        snprintf(what, sizeof what, "box-count normalizer at %dx%d", h, w);
        float *got = run(&m, 0, xs, h, w, 2, &yt, what);
        if (got) {
            CHECK_MSG(yt.shape[1] == h && yt.shape[2] == w, "%s: output %lldx%lld", what, (long long)yt.shape[1],
                      (long long)yt.shape[2]);
            compare(what, got, want, (size_t)h * w * 2);
            gh_nn_tensor_release(&yt);
        }
        free(xs);
        free(want);
    }
}

/* ---- the generator files against the reference's goldens ---- */

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

struct gen {
    const char *name, *file;
    int bgr, uint8_in, has_grid;
    int large_modes; /* 384x640 in the default run: 0 none, 1 identity, 2 grid only */
};

static const struct gen GENS[] = {
    {"animeganv2", "models/animeganv2_hayao_256x256_integer_quant.tflite", 0, 0, 1, 0},
    {"whitebox_int8", "models/whitebox_cartoon_gan_int8.tflite", 1, 0, 1, 2},
    {"whitebox_dr", "models/whitebox_cartoon_gan_dr.tflite", 1, 0, 0, 1},
    {"hayao_int8", "models/AnimeGANv3_Hayao_36_QUANTIZED_int8.tflite", 0, 1, 1, 1},
};

/* The golden's samples as y in [-1, 1] (every stride-th row and column, RGB). */
static double *golden(const char *name, const char *mode, int h, int w, int stride, size_t *n)
{
    char rel[160];
    snprintf(rel, sizeof rel, "tests/data/tflite/q_%s_%s_%dx%d_s%d.png", name, mode, h, w, stride);
    int gw, gh;
    unsigned short *g = png_read(check_source_path(rel), 16, &gw, &gh);
    int ew = (w + stride - 1) / stride, eh = (h + stride - 1) / stride;
    CHECK_MSG(g && gw == ew && gh == eh, "cannot read %s", rel);
    if (!g || gw != ew || gh != eh) {
        free(g);
        return NULL;
    }
    *n = (size_t)gw * gh * 3;
    double *y = malloc(*n * sizeof *y);
    for (size_t i = 0; i < *n; i++)
        y[i] = g[i] / 32767.5 - 1.0;
    free(g);
    return y;
}

/* Our output at the golden's samples, clipped to [-1, 1], channels RGB. */
static double *sample(const struct gen *G, const struct gh_nn_tensor *y, int h, int w, int stride, size_t n)
{
    double *o = malloc(n * sizeof *o);
    const float *v = y->data;
    size_t k = 0;
    for (int i = 0; i < h; i += stride)
        for (int j = 0; j < w; j += stride)
            for (int c = 0; c < 3; c++) {
                double t = v[((size_t)i * w + j) * 3 + (G->bgr ? 2 - c : c)];
                o[k++] = t < -1 ? -1 : t > 1 ? 1 : t;
            }
    return o;
}

static void diff(const double *a, const double *b, size_t n, double *mx, double *mean)
{
    double m = 0, s = 0;
    for (size_t i = 0; i < n; i++) {
        double d = fabs(a[i] - b[i]);
        if (!(d <= m))
            m = d;
        s += d;
    }
    *mx = m;
    *mean = s / (double)n;
}

/* modes: 1 identity (and grid if the file has it), 2 grid only (identity still
 * read as the gap the grid check needs). */
static void golden_cases(const struct gen *G, int h, int w, int stride, int modes)
{
    if (!modes)
        return;
    char rel[160];
    snprintf(rel, sizeof rel, "tests/data/tflite/%s_%dx%d.png", h == 40 ? "q_in" : "in", h, w);
    int pw, ph;
    unsigned char *u8 = png_read(check_source_path(rel), 8, &pw, &ph);
    CHECK_MSG(u8 && pw == w && ph == h, "cannot read %s", rel);
    if (!u8 || pw != w || ph != h) {
        free(u8);
        return;
    }
    size_t npx = (size_t)h * w;
    float *x = malloc(npx * 3 * sizeof *x);
    for (size_t p = 0; p < npx; p++)
        for (int c = 0; c < 3; c++) {
            unsigned char b = u8[p * 3 + (G->bgr ? 2 - c : c)];
            /* the uint8 input takes the byte as q: (q - zp) * scale of its input tensor */
            x[p * 3 + c] = G->uint8_in ? ((float)b - 127.0f) * 0.00784313772f : (float)b / 127.5f - 1.0f;
        }
    free(u8);
    char path[4096];
    snprintf(path, sizeof path, "%s", check_shared_path(G->file));
    size_t n = 0;
    double *gid = golden(G->name, "identity", h, w, stride, &n);
    for (int g = 0; g < 1 + G->has_grid && gid; g++) {
        /* no 384x640 grid golden for hayao_int8: its int8 softmax underflows (nn.h) */
        if ((g && h != 40 && !strcmp(G->name, "hayao_int8")) || (!g && modes == 2))
            continue;
        size_t ng = n;
        double *want = g ? golden(G->name, "grid", h, w, stride, &ng) : gid;
        struct gh_nn_model *m = NULL;
        struct gh_nn_load_options o = {.quant_grid = g};
        enum gh_status st = gh_nn_load_file_opts(path, &o, &m);
        CHECK_MSG(st == GH_OK, "%s: load: %s", G->name, gh_error_detail());
        struct gh_nn_tensor in = {GH_NN_F32, 4, {1, h, w, 3}, x}, y;
        gh_nn_set_threads(m, 2);
        if (!st && want && ng == n && gh_nn_run(m, &in, &y) == GH_OK) {
            CHECK(y.ndim == 4 && y.shape[1] == h && y.shape[2] == w && y.shape[3] == 3);
            double *ours = sample(G, &y, h, w, stride, n), mx, mean;
            diff(ours, want, n, &mx, &mean);
            printf("%-13s %-8s %dx%d: max abs %.4f, mean abs %.5f", G->name, g ? "grid" : "identity", h, w, mx,
                   mean);
            if (!g) {
                printf("\n");
                CHECK_MSG(mx <= GOLDEN_TOL, "%s identity %dx%d: max abs error %g > %g", G->name, h, w, mx,
                          GOLDEN_TOL);
            } else {
                double imx, imean, omx, omean;
                diff(gid, want, n, &imx, &imean);
                diff(ours, gid, n, &omx, &omean);
                printf(" (reference identity vs grid: mean %.5f; ours vs identity golden: mean %.5f)\n", imean,
                       omean);
                CHECK_MSG(mean <= GRID_MEAN && mx <= GRID_MAX && mean < omean, "%s grid %dx%d: mean abs error %g "
                          "(bound %g), max %g (bound %g), vs the identity golden %g", G->name, h, w, mean, GRID_MEAN,
                          mx, GRID_MAX, omean);
            }
            free(ours);
            gh_nn_tensor_release(&y);
        } else {
            CHECK_MSG(0, "%s %dx%d: %s", G->name, h, w, gh_error_detail());
        }
        gh_nn_free(m);
        if (g)
            free(want);
    }
    free(gid);
    free(x);
}

int main(void)
{
    quantize_dequantize();
    uint8_io();
    int8_convs(1);
    int8_convs(0);
    hybrid_conv();
    export_size_constant(1);
    export_size_constant(0);
    /* 40x72 always; 384x640 (1-11 s a run on 2 cores) outside ASan for the
     * cheaper files, every file and mode with GH_TEST_LONG=1. */
    int all = getenv("GH_TEST_LONG") != NULL;
    for (size_t i = 0; i < sizeof GENS / sizeof GENS[0]; i++) {
        golden_cases(&GENS[i], 40, 72, 1, 1);
        if (!UNDER_ASAN || all)
            golden_cases(&GENS[i], 384, 640, 3, all ? 1 : GENS[i].large_modes);
    }
    return check_finish();
}
