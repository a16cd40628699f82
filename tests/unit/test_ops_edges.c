/* Canny against cv2.Canny goldens and XDoG against a numpy reference. */
#include "ghiblify/ops.h"
#include "test_ops_golden.h"

static void check_canny(const struct gh_image *gray, const char *file, double lo, double hi, int l2)
{
    struct gh_image *golden = golden_read_pnm(file), *ours = NULL;
    CHECK_MSG(golden != NULL, "%s", file);
    for (int threads = 1; golden && threads <= 2; threads++) {
        CHECK_OK(gh_ops_canny(gray, lo, hi, l2, threads, &ours));
        if (!ours)
            continue;
        size_t n = gh_image_plane_size(ours), equal = 0, tp = 0, fp = 0, fn = 0;
        for (size_t i = 0; i < n; i++) {
            int a = ours->data[i] > 0.5f, b = golden->data[i] > 0.5f;
            equal += a == b;
            tp += a && b;
            fp += a && !b;
            fn += !a && b;
        }
        double frac = (double)equal / (double)n;
        double f1 = tp ? 2.0 * (double)tp / (double)(2 * tp + fp + fn) : 0;
        if (threads == 1)
            printf("canny %s: %.4f%% equal, F1 %.4f, %zu edge pixels\n", file, 100 * frac, f1,
                   tp + fn);
        CHECK_MSG(frac >= 0.995 && f1 >= 0.98, "%s: %.4f equal, F1 %.4f", file, frac, f1);
        CHECK(tp + fn > 100); /* the golden has edges to find */
        gh_image_free(ours);
    }
    gh_image_free(golden);
}

static void test_xdog(void)
{
    struct gh_image *rgb = golden_read_pnm("ref_crop.ppm"), *gray = NULL, *ours = NULL;
    struct gh_image *golden = golden_read_ghf("xdog_s1_k1.6_t0.98_e0.005_p200.ghf");
    CHECK(rgb && golden);
    if (!rgb || !golden)
        goto out;
    CHECK_OK(gh_image_new(rgb->width, rgb->height, 1, &gray));
    for (size_t i = 0; i < gh_image_plane_size(gray); i++)
        gray->data[i] = (float)(0.299 * rgb->data[i] +
                                0.587 * gh_image_plane(rgb, 1)[i] + 0.114 * gh_image_plane(rgb, 2)[i]);
    CHECK_OK(gh_ops_xdog(gray, 1.0, 1.6, 0.98, 0.005, 200, 2, &ours));
    double d = max_abs_diff(ours, golden);
    printf("xdog: max difference %.6f (%.3f levels)\n", d, d * 255);
    CHECK_MSG(d <= 1.0 / 255, "XDoG off by %g", d);
out:
    gh_image_free(rgb);
    gh_image_free(gray);
    gh_image_free(ours);
    gh_image_free(golden);
}

static void test_tiny(void)
{
    static const int sizes[][2] = {{1, 1}, {1, 2}, {2, 1}, {1, 9}, {9, 1}, {3, 3}, {4, 7}};
    for (size_t a = 0; a < sizeof sizes / sizeof sizes[0]; a++) {
        struct gh_image *src = noise_image(sizes[a][0], sizes[a][1], 1, (unsigned)a), *out = NULL;
        CHECK_OK(gh_ops_canny(src, 10, 30, (int)a & 1, 2, &out));
        CHECK(out && out->width == src->width && out->channels == 1);
        gh_image_free(out);
        CHECK_OK(gh_ops_xdog(src, 0.7, 1.6, 0.98, 0.01, 50, 2, &out));
        CHECK(out && out->height == src->height);
        gh_image_free(out);
        gh_image_free(src);
    }
    /* A vertical step gives one column of edge pixels; flat images none. */
    struct gh_image *step = NULL, *out = NULL;
    CHECK_OK(gh_image_new(8, 6, 1, &step));
    for (int y = 0; y < 6; y++)
        for (int x = 4; x < 8; x++)
            step->data[y * 8 + x] = 1;
    CHECK_OK(gh_ops_canny(step, 50, 100, 0, 1, &out));
    int count = 0;
    for (int i = 0; out && i < 48; i++)
        count += out->data[i] > 0.5f;
    CHECK_MSG(count == 6, "%d edge pixels on a 6-row step", count);
    gh_image_free(out);
    struct gh_image *rgb = noise_image(4, 4, 3, 1);
    CHECK(gh_ops_canny(rgb, 1, 2, 0, 1, &out) == GH_ERR_ARGUMENT && !out);
    gh_image_free(rgb);
    gh_image_free(step);
}

int main(void)
{
    struct gh_image *gray = golden_read_pnm("in_gray.pgm");
    CHECK(gray != NULL);
    if (gray) {
        check_canny(gray, "canny_l1_50_150.pgm", 50, 150, 0);
        check_canny(gray, "canny_l2_40_120.pgm", 120, 40, 1); /* swapped thresholds */
        check_canny(gray, "canny_l1_20_60.pgm", 20, 60, 0);
    }
    gh_image_free(gray);
    test_xdog();
    test_tiny();
    return check_finish();
}
