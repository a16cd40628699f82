/* Generalized Kuwahara filter: against the float64 numpy evaluation of the paper's
 * formulas (tools/make-kuwahara-goldens), plus flat areas, step edges, tiny
 * images, thread and SIMD invariance and argument checks. */
#include <math.h>
#include <string.h>

#include "ghiblify/ops.h"
#include "test_ops_golden.h"

/* Float sums against the float64 reference: measured about 1e-6 on the crops. */
#define GOLDEN_TOL 1e-4

static void test_goldens(void)
{
    static const struct {
        const char *golden, *input;
        struct gh_kuwahara_params p;
    } cases[] = {
        {"kuwahara_r4_q8.ghf", "kuwahara_in.ppm", GH_KUWAHARA_PARAMS_DEFAULT},
        {"kuwahara_r3_q5_s0.5.ghf", "kuwahara_in.ppm", {3, 5.0, 0.5}},
        {"kuwahara_r2_q6.5_s0.25_gray.ghf", "kuwahara_in_gray.pgm", {2, 6.5, 0.25}},
        {"kuwahara_r4_q8_tiny.ghf", "kuwahara_in.ppm", GH_KUWAHARA_PARAMS_DEFAULT},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct gh_image *in = golden_read_pnm(cases[i].input), *golden =
                                                                    golden_read_ghf(cases[i].golden);
        CHECK_MSG(in && golden, "%s", cases[i].golden);
        if (!in || !golden)
            goto next;
        if (i == 3) { /* the 3x2 crop at (30, 20) */
            struct gh_image *tiny = crop_image(in, 30, 20, 3, 2);
            gh_image_free(in);
            in = tiny;
        }
        /* AVX2 build (where the CPU has it) and portable one, 1 and 2 threads */
        for (int run = 0; run < 4; run++) {
            struct gh_image *out = NULL;
            gh_ops_simd_enable(run < 2);
            CHECK_OK(gh_ops_kuwahara_generalized(in, &cases[i].p, 1 + run % 2, &out));
            double d = max_abs_diff(out, golden);
            printf("generalized Kuwahara %s (simd %d, %d threads): max |ours - numpy| %.3g\n",
                   cases[i].golden, run < 2, 1 + run % 2, d);
            CHECK_MSG(d <= GOLDEN_TOL, "%s: max difference %g", cases[i].golden, d);
            gh_image_free(out);
        }
        gh_ops_simd_enable(1);
    next:
        gh_image_free(in);
        gh_image_free(golden);
    }
}

static void test_constant(void)
{
    struct gh_image *img = NULL, *out = NULL;
    CHECK_OK(gh_image_new(37, 23, 3, &img));
    for (size_t i = 0; i < gh_image_plane_size(img) * 3; i++)
        img->data[i] = i < gh_image_plane_size(img) ? 0.3f : 0.7f;
    struct gh_kuwahara_params p = GH_KUWAHARA_PARAMS_DEFAULT;
    CHECK_OK(gh_ops_kuwahara_generalized(img, &p, 2, &out));
    CHECK(out && max_abs_diff(out, img) < 1e-6);
    gh_image_free(out);
    gh_image_free(img);
}

/* A vertical 0 | 1 step: a Gaussian of the same size (sigma r / 2) would put
 * 0.2..0.3 into the columns next to the edge; the sector weighting keeps every
 * pixel within 3% of its own side, and beyond those two columns within 0.5%
 * (measured up to radius 8: 2.4% and 0.3%; the sector overlap, which lets a
 * little of the far side in, grows with the radius). */
static void test_step_edge(void)
{
    int w = 33, h = 12, edge = 16;
    struct gh_image *img = NULL, *out = NULL;
    CHECK_OK(gh_image_new(w, h, 3, &img));
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
                gh_image_plane(img, c)[y * w + x] = x >= edge ? 1.f : 0.f;
    for (int r = 2; r <= 8; r += 3) {
        struct gh_kuwahara_params p = {r, 8.0, 1.0 / 3.0};
        CHECK_OK(gh_ops_kuwahara_generalized(img, &p, 2, &out));
        double worst_near = 0, worst_far = 0;
        for (int c = 0; out && c < 3; c++)
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                    double d = fabs(gh_image_plane(out, c)[y * w + x] - (x >= edge ? 1 : 0));
                    if (x == edge - 1 || x == edge)
                        worst_near = fmax(worst_near, d);
                    else
                        worst_far = fmax(worst_far, d);
                }
        printf("step edge, radius %d: off by %.3g next to the edge, %.3g elsewhere\n", r,
               worst_near, worst_far);
        CHECK_MSG(out && worst_near < 0.03 && worst_far < 5e-3, "radius %d: %g, %g", r,
                  worst_near, worst_far);
        gh_image_free(out);
    }
    gh_image_free(img);
}

/* Rows are independent, so the thread count and split cannot change a bit. */
static void test_threads(void)
{
    struct gh_image *in = golden_read_pnm("kuwahara_in.ppm");
    CHECK(in != NULL);
    struct gh_kuwahara_params p = {5, 8.0, 1.0 / 3.0};
    for (int simd = 1; in && simd >= 0; simd--) {
        struct gh_image *a = NULL, *b = NULL;
        gh_ops_simd_enable(simd);
        CHECK_OK(gh_ops_kuwahara_generalized(in, &p, 1, &a));
        CHECK_OK(gh_ops_kuwahara_generalized(in, &p, 3, &b));
        CHECK(a && b && !memcmp(a->data, b->data, gh_image_plane_size(a) * 3 * sizeof(float)));
        gh_image_free(a);
        gh_image_free(b);
    }
    gh_ops_simd_enable(1);
    gh_image_free(in);
}

/* Every size, down to 1x1, with windows larger than the image: the output is a
 * convex combination of input values, so it stays within their range. */
static void test_sizes(void)
{
    static const int sizes[][2] = {{1, 1}, {3, 2}, {2, 3}, {1, 9}, {9, 1}, {5, 5}, {67, 3}};
    for (size_t a = 0; a < sizeof sizes / sizeof sizes[0]; a++)
        for (int ch = 1; ch <= 4; ch += 3) {
            struct gh_image *src = noise_image(sizes[a][0], sizes[a][1], ch, (unsigned)a + 3);
            struct gh_image *out = NULL;
            struct gh_kuwahara_params p = {7, 8.0, 1.0 / 3.0};
            CHECK_OK(gh_ops_kuwahara_generalized(src, &p, 2, &out));
            CHECK(out && out->width == src->width && out->height == src->height &&
                  out->channels == ch);
            size_t n = gh_image_plane_size(src);
            for (int c = 0; out && c < ch; c++) {
                float lo = 1, hi = 0;
                for (size_t i = 0; i < n; i++) {
                    lo = fminf(lo, gh_image_plane(src, c)[i]);
                    hi = fmaxf(hi, gh_image_plane(src, c)[i]);
                }
                for (size_t i = 0; i < n; i++) {
                    float v = gh_image_plane(out, c)[i];
                    CHECK_MSG(v >= lo - 1e-6f && v <= hi + 1e-6f, "%dx%d: %g outside [%g, %g]",
                              sizes[a][0], sizes[a][1], v, lo, hi);
                }
            }
            if (n == 1) /* a 1x1 image is its own neighborhood */
                CHECK(max_abs_diff(out, src) == 0);
            gh_image_free(out);
            gh_image_free(src);
        }
}

/* Deviations so large that every 1 / (1 + s^q) underflows (values ~1e17, far
 * outside [0, 1]) fall back to equal sector weights instead of 0 / 0. */
static void test_huge_values(void)
{
    struct gh_image *img = NULL, *out = NULL;
    CHECK_OK(gh_image_new(9, 8, 3, &img));
    for (size_t i = 0; i < gh_image_plane_size(img) * 3; i++)
        img->data[i] = (i * 7 / 3) % 2 ? 1e17f : 0.f;
    struct gh_kuwahara_params p = {3, 16.0, 1.0 / 3.0};
    CHECK_OK(gh_ops_kuwahara_generalized(img, &p, 1, &out));
    int bad = 0;
    for (size_t i = 0; out && i < gh_image_plane_size(img) * 3; i++)
        bad += !(out->data[i] >= 0 && out->data[i] <= 1e17f);
    CHECK_MSG(out && bad == 0, "%d values not finite or out of range", bad);
    gh_image_free(out);
    gh_image_free(img);
}

static void test_arguments(void)
{
    struct gh_image *src = noise_image(4, 4, 3, 1), *out = NULL;
    static const struct gh_kuwahara_params bad[] = {
        {0, 8, 0.3}, {33, 8, 0.3}, {4, -1, 0.3}, {4, 17, 0.3}, {4, NAN, 0.3}, {4, 8, 0.01},
        {4, 8, 1.5},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(gh_ops_kuwahara_generalized(src, &bad[i], 1, &out) == GH_ERR_ARGUMENT && !out);
        gh_image_free(out);
    }
    gh_image_free(src);
}

int main(void)
{
    test_goldens();
    test_constant();
    test_step_edge();
    test_threads();
    test_sizes();
    test_huge_values();
    test_arguments();
    return check_finish();
}
