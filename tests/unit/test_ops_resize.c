/* Resize against cv2.resize goldens (tests/data/ops/resize_*.ppm): within 1 level
 * for every interpolation when shrinking, enlarging, per-axis and on 1xN images. */
#include "ghiblify/ops.h"
#include "test_ops_golden.h"

static const char *const interp_names[] = {"linear", "area", "cubic", "lanczos4"};
static const enum gh_interp interps[] = {GH_INTERP_LINEAR, GH_INTERP_AREA, GH_INTERP_CUBIC,
                                         GH_INTERP_LANCZOS4};

static void check_case(const char *name, const struct gh_image *src, int threads)
{
    for (int i = 0; i < 4; i++) {
        char file[128];
        snprintf(file, sizeof file, "resize_%s_%s.ppm", name, interp_names[i]);
        struct gh_image *golden = golden_read_pnm(file), *ours = NULL;
        CHECK_MSG(golden != NULL, "%s", file);
        if (!golden)
            continue;
        CHECK_OK(gh_ops_resize(src, golden->width, golden->height, interps[i], threads, &ours));
        int d = max_level_diff(ours, golden);
        CHECK_MSG(d <= 1, "%s: max difference %d levels", file, d);
        gh_image_free(ours);
        gh_image_free(golden);
    }
}

/* Shrinking a constant image by any method keeps it constant; so does growing. */
static void test_constant(void)
{
    struct gh_image *img = NULL, *out = NULL;
    CHECK_OK(gh_image_new(7, 5, 3, &img));
    for (size_t i = 0; i < 7 * 5 * 3; i++)
        img->data[i] = 0.25f;
    for (int i = 0; i < 4; i++)
        for (int s = 0; s < 4; s++) {
            static const int sizes[4][2] = {{1, 1}, {3, 2}, {13, 11}, {2, 17}};
            CHECK_OK(gh_ops_resize(img, sizes[s][0], sizes[s][1], interps[i], 2, &out));
            double worst = 0;
            for (size_t k = 0; out && k < gh_image_plane_size(out) * 3; k++)
                worst = fmax(worst, fabs(out->data[k] - 0.25));
            CHECK_MSG(out && worst < 1e-6, "%s to %dx%d: off by %g", interp_names[i], sizes[s][0],
                      sizes[s][1], worst);
            gh_image_free(out);
        }
    gh_image_free(img);
}

/* Tiny and degenerate sizes run without reading outside the source (ASan). */
static void test_tiny(void)
{
    static const int sizes[][2] = {{1, 1}, {1, 2}, {2, 1}, {1, 9}, {9, 1}, {3, 3}, {4, 7}};
    for (size_t a = 0; a < sizeof sizes / sizeof sizes[0]; a++) {
        struct gh_image *src = noise_image(sizes[a][0], sizes[a][1], 3, (unsigned)a);
        for (size_t b = 0; b < sizeof sizes / sizeof sizes[0]; b++)
            for (int i = 0; i < (int)GH_INTERP_COUNT; i++) {
                struct gh_image *out = NULL;
                CHECK_OK(gh_ops_resize(src, sizes[b][0], sizes[b][1], (enum gh_interp)i, 1, &out));
                CHECK(out && out->width == sizes[b][0] && out->height == sizes[b][1]);
                gh_image_free(out);
            }
        gh_image_free(src);
    }
    struct gh_image *src = noise_image(2, 2, 1, 1), *out = NULL;
    CHECK(gh_ops_resize(src, 0, 3, GH_INTERP_LINEAR, 1, &out) == GH_ERR_ARGUMENT && !out);
    CHECK(gh_ops_resize(src, 3, 3, GH_INTERP_COUNT, 1, &out) == GH_ERR_ARGUMENT && !out);
    gh_image_free(src);
}

/* The AVX2 bilinear shrink (permute-picked taps, with a scalar fallback for
 * groups of outputs spread over more than 32 source values) agrees with the
 * portable kernels, which the goldens check, at mild and strong factors. */
static void test_linear_shrink_paths(void)
{
    struct gh_image *src = noise_image(1001, 203, 3, 11);
    static const int widths[] = {997, 500, 256, 131, 77, 13};
    for (size_t i = 0; i < sizeof widths / sizeof widths[0]; i++) {
        struct gh_image *a = NULL, *b = NULL;
        gh_ops_simd_enable(1);
        CHECK_OK(gh_ops_resize(src, widths[i], 51, GH_INTERP_LINEAR, 2, &a));
        gh_ops_simd_enable(0);
        CHECK_OK(gh_ops_resize(src, widths[i], 51, GH_INTERP_LINEAR, 1, &b));
        double worst = 0;
        for (size_t k = 0; a && b && k < gh_image_plane_size(a) * 3; k++)
            worst = fmax(worst, fabs((double)a->data[k] - b->data[k]));
        CHECK_MSG(a && b && worst < 1e-5, "1001 -> %d: simd and portable differ by %g", widths[i],
                  worst);
        gh_image_free(a);
        gh_image_free(b);
    }
    gh_ops_simd_enable(1);
    gh_image_free(src);
}

int main(void)
{
    struct gh_image *rgb = golden_read_pnm("in_rgb.ppm");
    struct gh_image *small = golden_read_pnm("in_small.ppm");
    CHECK(rgb && small);
    if (rgb && small) {
        struct gh_image *row = crop_image(rgb, 0, 0, rgb->width, 1);
        struct gh_image *col = crop_image(rgb, 0, 0, 1, rgb->height);
        for (int threads = 1; threads <= 2; threads++) {
            gh_ops_simd_enable(threads == 2); /* the portable kernels too */
            check_case("shrink", rgb, threads);
            check_case("half", rgb, threads);
            check_case("xonly", rgb, threads);
            check_case("grow", small, threads);
            check_case("mixed", small, threads);
        }
        gh_ops_simd_enable(1);
        check_case("row", row, 2);
        check_case("rowgrow", row, 2);
        check_case("col", col, 2);
        check_case("colgrow", col, 2);
        gh_image_free(row);
        gh_image_free(col);
    }
    gh_image_free(rgb);
    gh_image_free(small);
    test_constant();
    test_tiny();
    test_linear_shrink_paths();
    return check_finish();
}
