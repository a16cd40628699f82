/* Canny against cv2.Canny goldens and XDoG against a numpy reference. */
#include <stdint.h>

#include "ghiblify/ops.h"
#include "test_ops_golden.h"

/* round(v * 255) of a [0, 1] plane, as an 8-bit image. */
static uint8_t *to_u8(const struct gh_image *img)
{
    size_t n = gh_image_plane_size(img);
    uint8_t *q = malloc(n);
    for (size_t i = 0; q && i < n; i++)
        q[i] = (uint8_t)lrintf(fminf(fmaxf(img->data[i], 0.f), 1.f) * 255.f);
    return q;
}

/* Pixels where the float map (1 on edges) and the 8-bit one (255) disagree, or
 * the 8-bit map holds another value. */
static size_t map_differences(const struct gh_image *f, const uint8_t *u8)
{
    size_t bad = 0;
    for (size_t i = 0; i < gh_image_plane_size(f); i++)
        bad += !(u8[i] == 0 || u8[i] == 255) || (f->data[i] > 0.5f) != (u8[i] == 255);
    return bad;
}

/* Both APIs, both kernels (AVX2 and portable) and 1 to 8 threads against a
 * cv2.Canny golden; every run must give the same map as the first. */
static void check_canny(const struct gh_image *gray, const char *file, double lo, double hi, int l2)
{
    struct gh_image *golden = golden_read_pnm(file), *first = NULL;
    uint8_t *src = to_u8(gray), *dst = malloc(gh_image_plane_size(gray));
    CHECK_MSG(golden != NULL, "%s", file);
    CHECK(src && dst);
    for (int simd = 1; golden && src && dst && simd >= 0; simd--) {
        gh_ops_simd_enable(simd);
        for (int threads = 1; threads <= 8; threads++) {
            struct gh_image *ours = NULL;
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
            if (!first)
                printf("canny %s: %.4f%% equal, F1 %.4f, %zu edge pixels\n", file, 100 * frac,
                       f1, tp + fn);
            CHECK_MSG(frac >= 0.995 && f1 >= 0.98, "%s: %.4f equal, F1 %.4f", file, frac, f1);
            CHECK(tp + fn > 100); /* the golden has edges to find */
            CHECK_OK(gh_ops_canny_u8(src, (size_t)gray->width, gray->width, gray->height, lo, hi,
                                     l2, threads, dst, (size_t)gray->width));
            CHECK_MSG(map_differences(ours, dst) == 0, "%s: u8 API differs (simd %d, %d threads)",
                      file, simd, threads);
            if (!first)
                first = ours;
            else {
                CHECK_MSG(max_abs_diff(ours, first) == 0, "%s: simd %d, %d threads differ", file,
                          simd, threads);
                gh_image_free(ours);
            }
        }
    }
    gh_ops_simd_enable(1);
    gh_image_free(first);
    gh_image_free(golden);
    free(src);
    free(dst);
}

/* Sizes of the crops of canny_tiny_in.pgm (height, width), as in tools/make-goldens. */
static const int CANNY_TINY[][2] = {{1, 1}, {1, 2}, {2, 1}, {2, 2}, {3, 2}, {2, 5},
                                    {1, 9}, {9, 1}, {7, 3}, {17, 9}, {33, 31}};

/* Tiny and odd sizes against cv2.Canny exactly: every pixel is near a border. */
static void test_tiny_goldens(const char *file, double lo, double hi, int l2)
{
    struct gh_image *noise = golden_read_pnm("canny_tiny_in.pgm"), *golden = golden_read_pnm(file);
    uint8_t *src = noise ? to_u8(noise) : NULL, dst[33 * 31];
    CHECK(noise && golden && src);
    int y0 = 0;
    for (size_t c = 0; src && golden && c < sizeof CANNY_TINY / sizeof CANNY_TINY[0]; c++) {
        int h = CANNY_TINY[c][0], w = CANNY_TINY[c][1];
        size_t expected = 0;
        for (int simd = 1; simd >= 0; simd--) {
            gh_ops_simd_enable(simd);
            for (int threads = 1; threads <= 40; threads += threads < 3 ? 1 : 37) {
                memset(dst, 7, sizeof dst);
                /* the crop read through the 31-byte rows of the whole noise image */
                CHECK_OK(gh_ops_canny_u8(src, (size_t)noise->width, w, h, lo, hi, l2, threads,
                                         dst, (size_t)noise->width));
                size_t bad = 0, edges = 0;
                for (int y = 0; y < h; y++)
                    for (int x = 0; x < noise->width; x++) {
                        uint8_t v = dst[y * noise->width + x];
                        if (x >= w) { /* beyond the width: untouched */
                            bad += v != 7;
                            continue;
                        }
                        int g = golden->data[(size_t)(y0 + y) * (size_t)golden->width + (size_t)x] > 0.5f;
                        bad += v != (g ? 255 : 0);
                        edges += g;
                    }
                expected = edges;
                CHECK_MSG(bad == 0, "%s %dx%d (simd %d, %d threads): %zu pixels differ", file, w,
                          h, simd, threads, bad);
            }
        }
        if (h * w > 500)
            CHECK_MSG(expected > 100, "%s %dx%d: %zu edges only", file, w, h, expected);
        y0 += h;
    }
    gh_ops_simd_enable(1);
    gh_image_free(noise);
    gh_image_free(golden);
    free(src);
}

/* A vertical step, weak (between low and high) in all rows but a few strong ones
 * at the top, middle or bottom: the edge must reach every row whatever the number
 * of row bands (threads), i.e. hysteresis has to cross band boundaries both ways. */
static void test_bands(void)
{
    enum { W = 12, H = 64 };
    static const int strong_at[] = {0, H / 2, H - 3};
    uint8_t src[W * H], dst[W * H];
    for (size_t s = 0; s < sizeof strong_at / sizeof strong_at[0]; s++)
        for (int all_weak = 0; all_weak <= 1; all_weak++) {
            for (int y = 0; y < H; y++)
                for (int x = 0; x < W; x++) {
                    int strong = !all_weak && y >= strong_at[s] && y < strong_at[s] + 3;
                    /* L1 magnitude 4 * step: 100 (weak) or 240 (strong) for 50/150 */
                    src[y * W + x] = (uint8_t)(x < W / 2 ? 100 : strong ? 160 : 125);
                }
            for (int simd = 1; simd >= 0; simd--) {
                gh_ops_simd_enable(simd);
                for (int threads = 1; threads <= 9; threads++) {
                    CHECK_OK(gh_ops_canny_u8(src, W, W, H, 50, 150, 0, threads, dst, W));
                    int rows = 0, total = 0;
                    for (int y = 0; y < H; y++) {
                        int n = 0;
                        for (int x = 0; x < W; x++)
                            n += dst[y * W + x] == 255;
                        rows += n > 0;
                        total += n;
                    }
                    if (all_weak)
                        CHECK_MSG(total == 0, "weak step: %d edge pixels (%d threads)", total,
                                  threads);
                    else
                        CHECK_MSG(rows == H, "strong at %d, simd %d, %d threads: %d of %d rows",
                                  strong_at[s], simd, threads, rows, H);
                }
            }
        }
    gh_ops_simd_enable(1);
}

/* Thread-count and kernel invariance on a larger synthetic image with many
 * edges crossing the band boundaries; row strides wider than the width. */
static void test_invariance(void)
{
    enum { W = 301, H = 257, SS = W + 5, DS = W + 3 };
    uint8_t *src = malloc((size_t)SS * H), *ref = malloc((size_t)DS * H), *dst = malloc((size_t)DS * H);
    CHECK(src && ref && dst);
    if (!src || !ref || !dst)
        goto out;
    unsigned r = 12345;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < SS; x++) {
            r = r * 1664525u + 1013904223u;
            /* wavy stripes whose contrast changes along them (weak and strong
             * stretches on one contour), on smooth shading, plus a little noise */
            double amp = 20 + 20 * sin(y * 0.03 + x * 0.01);
            int stripe = (int)floor((x + 20 * sin(y * 0.04)) / 23) & 1;
            double v = 100 + 40 * sin(x * 0.02) * cos(y * 0.03) + amp * stripe + (r >> 30);
            src[y * SS + x] = (uint8_t)v;
        }
    for (int l2 = 0; l2 <= 1; l2++) {
        memset(ref, 9, (size_t)DS * H);
        gh_ops_simd_enable(0);
        CHECK_OK(gh_ops_canny_u8(src, SS, W, H, 50, 130, l2, 1, ref, DS));
        size_t edges = 0;
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
                edges += ref[y * DS + x] == 255;
        printf("canny synthetic %dx%d l2 %d: %zu edge pixels\n", W, H, l2, edges);
        CHECK_MSG(edges > 2000 && edges < (size_t)W * H / 4, "%zu edges", edges);
        for (int simd = 1; simd >= 0; simd--) {
            gh_ops_simd_enable(simd);
            for (int threads = 1; threads <= 16; threads += threads < 4 ? 1 : 4) {
                memset(dst, 9, (size_t)DS * H);
                CHECK_OK(gh_ops_canny_u8(src, SS, W, H, 50, 130, l2, threads, dst, DS));
                CHECK_MSG(!memcmp(dst, ref, (size_t)DS * H), "l2 %d, simd %d, %d threads differ",
                          l2, simd, threads);
            }
        }
    }
    gh_ops_simd_enable(1);
    CHECK(gh_ops_canny_u8(src, W - 1, W, H, 30, 90, 0, 1, dst, DS) == GH_ERR_ARGUMENT);
    CHECK(gh_ops_canny_u8(src, SS, W, H, -1, 90, 0, 1, dst, DS) == GH_ERR_ARGUMENT);
out:
    free(src);
    free(ref);
    free(dst);
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
    test_tiny_goldens("canny_tiny_l1_60_180.pgm", 60, 180, 0);
    test_tiny_goldens("canny_tiny_l2_40_120.pgm", 40, 120, 1);
    test_bands();
    test_invariance();
    test_xdog();
    test_tiny();
    return check_finish();
}
