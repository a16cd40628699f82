/* Color spaces against skimage.color, Reinhard transfer against a numpy
 * reference and histogram matching against skimage.exposure.match_histograms. */
#include "ghiblify/ops.h"
#include "test_ops_golden.h"

/* Largest CIE76 Delta-E between two Lab images. */
static double max_delta_e(const struct gh_image *a, const struct gh_image *b)
{
    if (!a || !b || gh_image_plane_size(a) != gh_image_plane_size(b))
        return INFINITY;
    double worst = 0;
    for (size_t i = 0; i < gh_image_plane_size(a); i++) {
        double s = 0;
        for (int c = 0; c < 3; c++) {
            double d = (double)gh_image_plane(a, c)[i] - gh_image_plane(b, c)[i];
            s += d * d;
        }
        worst = fmax(worst, sqrt(s));
    }
    return worst;
}

static void clamp01(struct gh_image *img)
{
    for (size_t i = 0; img && i < gh_image_plane_size(img) * (size_t)img->channels; i++)
        img->data[i] = img->data[i] < 0 ? 0 : img->data[i] > 1 ? 1 : img->data[i];
}

static void test_forward(const char *name)
{
    char file[64];
    snprintf(file, sizeof file, "color_%s.ppm", name);
    struct gh_image *rgb = golden_read_pnm(file), *ours = NULL, *back = NULL;
    CHECK(rgb != NULL);
    if (!rgb)
        return;
    snprintf(file, sizeof file, "color_%s_lab.ghf", name);
    struct gh_image *lab = golden_read_ghf(file);
    CHECK_OK(gh_ops_color_convert(rgb, GH_COLOR_SRGB, GH_COLOR_LAB, 2, &ours));
    double de = max_delta_e(ours, lab);
    printf("rgb2lab %s: max Delta-E %.5f\n", name, de);
    CHECK_MSG(de <= 0.01, "%s: Delta-E %g", name, de);
    /* and back */
    CHECK_OK(gh_ops_color_convert(ours, GH_COLOR_LAB, GH_COLOR_SRGB, 1, &back));
    double d = max_abs_diff(back, rgb);
    CHECK_MSG(d <= 1e-4, "%s: Lab round trip off by %g", name, d);
    gh_image_free(ours);
    gh_image_free(back);
    gh_image_free(lab);

    snprintf(file, sizeof file, "color_%s_xyz.ghf", name);
    struct gh_image *xyz = golden_read_ghf(file);
    CHECK_OK(gh_ops_color_convert(rgb, GH_COLOR_SRGB, GH_COLOR_XYZ, 2, &ours));
    d = max_abs_diff(ours, xyz);
    CHECK_MSG(d <= 1e-5, "%s: XYZ off by %g", name, d);
    CHECK_OK(gh_ops_color_convert(xyz, GH_COLOR_XYZ, GH_COLOR_LINEAR, 2, &back));
    gh_image_free(ours);
    CHECK_OK(gh_ops_color_convert(back, GH_COLOR_LINEAR, GH_COLOR_SRGB, 2, &ours));
    d = max_abs_diff(ours, rgb);
    CHECK_MSG(d <= 1e-4, "%s: XYZ -> linear -> sRGB off by %g", name, d);
    gh_image_free(ours);
    gh_image_free(back);
    gh_image_free(xyz);

    snprintf(file, sizeof file, "color_%s_hsv.ghf", name);
    struct gh_image *hsv = golden_read_ghf(file);
    CHECK_OK(gh_ops_color_convert(rgb, GH_COLOR_SRGB, GH_COLOR_HSV, 2, &ours));
    double worst = 0;
    for (size_t i = 0; ours && hsv && i < gh_image_plane_size(ours); i++)
        for (int c = 0; c < 3; c++) {
            double e = fabs((double)gh_image_plane(ours, c)[i] - gh_image_plane(hsv, c)[i]);
            if (c == 0)
                e = fmin(e, 1 - e); /* hue is circular */
            worst = fmax(worst, e);
        }
    CHECK_MSG(hsv && worst <= 1e-5, "%s: HSV off by %g", name, worst);
    gh_image_free(ours);
    gh_image_free(hsv);
    gh_image_free(rgb);
}

static void test_inverse(void)
{
    struct gh_image *lab = golden_read_ghf("color_grid_lab.ghf");
    struct gh_image *rgb = golden_read_ghf("color_grid_rgb.ghf"), *ours = NULL;
    CHECK_OK(gh_ops_color_convert(lab, GH_COLOR_LAB, GH_COLOR_SRGB, 2, &ours));
    clamp01(ours); /* skimage clips out-of-gamut colors */
    double d = max_abs_diff(ours, rgb);
    printf("lab2rgb grid: max difference %.2g\n", d);
    CHECK_MSG(d <= 1e-4, "lab2rgb off by %g", d);
    gh_image_free(ours);
    gh_image_free(lab);
    gh_image_free(rgb);
    struct gh_image *hsv = golden_read_ghf("color_grid_hsv.ghf");
    rgb = golden_read_ghf("color_grid_hsv_rgb.ghf");
    CHECK_OK(gh_ops_color_convert(hsv, GH_COLOR_HSV, GH_COLOR_SRGB, 1, &ours));
    d = max_abs_diff(ours, rgb);
    CHECK_MSG(d <= 1e-5, "hsv2rgb off by %g", d);
    gh_image_free(ours);
    gh_image_free(hsv);
    gh_image_free(rgb);
}

static void test_transfer(void)
{
    struct gh_image *in = golden_read_pnm("in_rgb.ppm"), *ref = golden_read_pnm("transfer_ref.ppm");
    struct gh_image *ours = NULL, *golden = golden_read_pnm("histmatch_rgb.ppm");
    CHECK(in && ref && golden);
    if (!in || !ref || !golden)
        goto out;
    CHECK_OK(gh_ops_histmatch(in, ref, 2, &ours));
    int lv = max_level_diff(ours, golden);
    printf("histmatch: max difference %d levels\n", lv);
    CHECK_MSG(lv <= 1, "histogram matching off by %d levels", lv);
    gh_image_free(ours);
    gh_image_free(golden);

    struct gh_lab_stats stats;
    double mean[3] = {0}, std[3] = {0};
    CHECK_OK(gh_ops_lab_stats(ref, 2, &stats));
    CHECK(golden_read_values("reinhard_stats.txt", "mean", mean, 3) == 3);
    CHECK(golden_read_values("reinhard_stats.txt", "std", std, 3) == 3);
    for (int c = 0; c < 3; c++)
        CHECK_MSG(fabs(stats.mean[c] - mean[c]) < 1e-3 && fabs(stats.std[c] - std[c]) < 1e-3,
                  "Lab stats channel %d: %g/%g vs %g/%g", c, stats.mean[c], stats.std[c], mean[c],
                  std[c]);
    golden = golden_read_pnm("reinhard_rgb.ppm");
    CHECK_OK(gh_ops_reinhard(in, &stats, 1.0, 2, &ours));
    lv = max_level_diff(ours, golden);
    printf("reinhard: max difference %d levels\n", lv);
    CHECK_MSG(lv <= 1, "Reinhard off by %d levels", lv);
    gh_image_free(ours);
    /* amount 0 leaves the image as it was */
    CHECK_OK(gh_ops_reinhard(in, &stats, 0.0, 1, &ours));
    CHECK(max_abs_diff(ours, in) <= 1e-4);
    gh_image_free(ours);
out:
    gh_image_free(in);
    gh_image_free(ref);
    gh_image_free(golden);
}

/* Values outside [0, 1] (stages may leave them) take the exact formulas: the
 * tables of the fast paths only cover [0, 1]. Compared with a double-precision
 * evaluation of skimage's formulas. */
static void test_out_of_range(void)
{
    static const float vals[][3] = {{-0.1f, 0.5f, 1.2f}, {1.5f, 1.1f, 1.0f}, {-0.02f, -0.01f, 0.3f},
                                    {0.0f, 0.0f, 0.0f}, {1.0f, 1.0f, 1.0f}, {0.5f, 1.0001f, 0.2f}};
    static const double m[3][3] = {{0.412453, 0.357580, 0.180423},
                                   {0.212671, 0.715160, 0.072169},
                                   {0.019334, 0.119193, 0.950227}};
    static const double white[3] = {0.95047, 1.0, 1.08883};
    struct gh_image *img = NULL, *lab = NULL, *back = NULL;
    CHECK_OK(gh_image_new(6, 1, 3, &img));
    for (int i = 0; i < 6; i++)
        for (int c = 0; c < 3; c++)
            gh_image_plane(img, c)[i] = vals[i][c];
    CHECK_OK(gh_ops_color_convert(img, GH_COLOR_SRGB, GH_COLOR_LAB, 1, &lab));
    for (int i = 0; lab && i < 6; i++) {
        double lin[3], f[3];
        for (int c = 0; c < 3; c++) {
            double v = vals[i][c];
            lin[c] = v > 0.04045 ? pow((v + 0.055) / 1.055, 2.4) : v / 12.92;
        }
        for (int r = 0; r < 3; r++) {
            double t = (m[r][0] * lin[0] + m[r][1] * lin[1] + m[r][2] * lin[2]) / white[r];
            f[r] = t > 0.008856 ? cbrt(t) : 7.787 * t + 16.0 / 116;
        }
        double want[3] = {116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])}, de = 0;
        for (int c = 0; c < 3; c++)
            de += (want[c] - gh_image_plane(lab, c)[i]) * (want[c] - gh_image_plane(lab, c)[i]);
        CHECK_MSG(sqrt(de) < 0.01, "pixel %d: Delta-E %g", i, sqrt(de));
    }
    CHECK_OK(gh_ops_color_convert(lab, GH_COLOR_LAB, GH_COLOR_SRGB, 1, &back));
    CHECK_MSG(max_abs_diff(back, img) < 2e-4, "round trip off by %g", max_abs_diff(back, img));
    gh_image_free(img);
    gh_image_free(lab);
    gh_image_free(back);
}

static void test_tiny(void)
{
    struct gh_image *one = noise_image(1, 1, 3, 3), *out = NULL, *flat = NULL;
    for (int a = 0; a < GH_COLOR_COUNT; a++)
        for (int b = 0; b < GH_COLOR_COUNT; b++) {
            CHECK_OK(gh_ops_color_convert(one, (enum gh_color_space)a, (enum gh_color_space)b, 2, &out));
            gh_image_free(out);
        }
    CHECK(gh_ops_color_convert(one, GH_COLOR_COUNT, GH_COLOR_LAB, 1, &out) == GH_ERR_ARGUMENT);
    CHECK_OK(gh_ops_histmatch(one, one, 2, &out));
    CHECK(max_abs_diff(out, one) < 1e-4);
    gh_image_free(out);
    /* A flat image takes the reference's mean color (no spread to scale). */
    CHECK_OK(gh_image_new(3, 2, 3, &flat));
    struct gh_lab_stats st = {{60, 10, -20}, {5, 5, 5}}, got;
    CHECK_OK(gh_ops_reinhard(flat, &st, 1, 1, &out));
    CHECK_OK(gh_ops_lab_stats(out, 1, &got));
    CHECK(fabs(got.mean[0] - 60) < 0.01 && fabs(got.mean[1] - 10) < 0.01);
    gh_image_free(out);
    struct gh_image *gray = NULL, *row = noise_image(7, 1, 3, 9);
    CHECK_OK(gh_ops_rgb_to_gray(row, 2, &gray));
    CHECK(gray && gray->channels == 1 &&
          fabsf(gray->data[3] - (0.299f * row->data[3] + 0.587f * row->data[10] +
                                 0.114f * row->data[17])) < 1e-6f);
    gh_image_free(gray);
    gh_image_free(row);
    gh_image_free(flat);
    gh_image_free(one);
}

/* The AVX2 HSV kernel walks backwards when the output lies a little past the
 * input modulo 4 KiB: shift the input through every 4-byte offset of a 4 KiB
 * window, so both directions run whatever the output's address, and compare
 * with the portable kernel (quantized values give ties between channels). */
static void test_hsv_directions(void)
{
    enum { W = 67, H = 3, N = W * H };
    struct gh_image *src = noise_image(W, H, 3, 21);
    float *buf = malloc((3 * N + 1024) * sizeof(float));
    CHECK(src && buf);
    if (!src || !buf)
        goto out;
    for (int i = 0; i < 3 * N; i++)
        src->data[i] = floorf(src->data[i] * 8) / 8;
    struct gh_image *ref = NULL;
    gh_ops_simd_enable(0);
    CHECK_OK(gh_ops_color_convert(src, GH_COLOR_SRGB, GH_COLOR_HSV, 1, &ref));
    gh_ops_simd_enable(1);
    double worst = 0;
    for (int shift = 0; ref && shift < 1024; shift++) {
        struct gh_image view = {W, H, 3, buf + shift}, *out = NULL;
        memcpy(view.data, src->data, 3 * N * sizeof(float));
        CHECK_OK(gh_ops_color_convert(&view, GH_COLOR_SRGB, GH_COLOR_HSV, 1, &out));
        for (int i = 0; out && i < 3 * N; i++)
            worst = fmax(worst, fabs((double)out->data[i] - ref->data[i]));
        gh_image_free(out);
    }
    CHECK_MSG(worst <= 1e-6, "HSV kernels differ by %g", worst);
    gh_image_free(ref);
out:
    free(buf);
    gh_image_free(src);
}

int main(void)
{
    test_forward("cube");
    test_forward("photo");
    gh_ops_simd_enable(0); /* the portable kernels as well */
    test_forward("cube");
    test_forward("photo");
    test_inverse();
    gh_ops_simd_enable(1);
    test_inverse();
    test_transfer();
    test_out_of_range();
    test_hsv_directions();
    test_tiny();
    return check_finish();
}
