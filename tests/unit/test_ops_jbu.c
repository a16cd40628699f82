/* Joint bilateral upsampling: against the float64 numpy evaluation of the formula
 * (tools/make-jbu-goldens), a Gaussian blur at scale 1, constant and smooth
 * inputs, the convex-combination bound, degenerate weights, thread and SIMD
 * invariance and argument checks. */
#include <math.h>
#include <string.h>

#include "ghiblify/ops.h"
#include "test_ops_golden.h"

/* Float weights and sums against float64: measured below 1e-6 on these images. */
#define GOLDEN_TOL 1e-4

static void test_goldens(void)
{
    static const struct {
        const char *golden, *src, *low, *guide;
        struct gh_jbu_params p;
        int guide_w; /* crop the guide to this width (0: whole) */
    } cases[] = {
        {"jbu_61x47_r2_s1_r0.1.ghf", "jbu_src.ppm", "jbu_guide_low.ppm", "jbu_guide.ppm",
         {2, 1.0, 0.1}, 0},
        {"jbu_48x36_r1_s0.7_r0.05.ghf", "jbu_src2.ppm", "jbu_guide2_low.ppm", "jbu_guide2.ppm",
         {1, 0.7, 0.05}, 0},
        {"jbu_61x47_r3_s1.5_r0.2_gray.ghf", "jbu_src_gray.pgm", "jbu_guide_low.ppm",
         "jbu_guide.ppm", {3, 1.5, 0.2}, 0},
        {"jbu_24x47_r2_s1_r0.1.ghf", "jbu_src.ppm", "jbu_guide_low.ppm", "jbu_guide.ppm",
         {2, 1.0, 0.1}, 24},
        /* scale 1, sigma_range huge: a Gaussian blur (golden from a plain convolution) */
        {"jbu_blur_r2_s1.ghf", "jbu_src.ppm", "jbu_guide_low.ppm", "jbu_guide_low.ppm",
         {2, 1.0, 1e6}, 0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct gh_image *src = golden_read_pnm(cases[i].src), *low = golden_read_pnm(cases[i].low),
                        *guide = golden_read_pnm(cases[i].guide),
                        *golden = golden_read_ghf(cases[i].golden);
        CHECK_MSG(src && low && guide && golden, "%s", cases[i].golden);
        if (!src || !low || !guide || !golden)
            goto next;
        if (cases[i].guide_w) {
            struct gh_image *c = crop_image(guide, 0, 0, cases[i].guide_w, guide->height);
            gh_image_free(guide);
            guide = c;
        }
        for (int run = 0; run < 4; run++) {
            struct gh_image *out = NULL;
            gh_ops_simd_enable(run < 2);
            CHECK_OK(gh_ops_jbu(src, low, guide, &cases[i].p, 1 + run % 2, &out));
            double d = max_abs_diff(out, golden);
            printf("jbu %s (simd %d, %d threads): max |ours - numpy| %.3g\n", cases[i].golden,
                   run < 2, 1 + run % 2, d);
            CHECK_MSG(d <= GOLDEN_TOL, "%s: max difference %g", cases[i].golden, d);
            gh_image_free(out);
        }
        gh_ops_simd_enable(1);
    next:
        gh_image_free(src);
        gh_image_free(low);
        gh_image_free(guide);
        gh_image_free(golden);
    }
}

/* A smooth colour field sampled at w x h (pixel-centre convention). */
static struct gh_image *smooth_image(int w, int h)
{
    struct gh_image *img = NULL;
    if (gh_image_new(w, h, 3, &img) != GH_OK)
        return NULL;
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                double u = (x + 0.5) / w, v = (y + 0.5) / h;
                gh_image_plane(img, c)[y * w + x] =
                    (float)(0.5 + 0.3 * sin(2.1 * u + 1.3 * v + c) * cos(1.7 * v - 0.4 * c));
            }
    return img;
}

static void test_constant(void)
{
    struct gh_image *src = NULL, *low = noise_image(19, 13, 3, 5), *guide = noise_image(77, 50, 3, 6),
                    *out = NULL;
    CHECK_OK(gh_image_new(19, 13, 2, &src));
    for (size_t i = 0; i < gh_image_plane_size(src) * 2; i++)
        src->data[i] = i < gh_image_plane_size(src) ? 0.3f : 0.85f;
    struct gh_jbu_params p = GH_JBU_PARAMS_DEFAULT;
    for (int simd = 1; simd >= 0; simd--) {
        gh_ops_simd_enable(simd);
        CHECK_OK(gh_ops_jbu(src, low, guide, &p, 2, &out));
        double worst = 0;
        for (size_t i = 0; out && i < gh_image_plane_size(out) * 2; i++) {
            double want = i < gh_image_plane_size(out) ? 0.3 : 0.85;
            worst = fmax(worst, fabs(out->data[i] - want));
        }
        printf("jbu constant (simd %d): max error %.3g\n", simd, worst);
        CHECK(out && out->width == 77 && out->height == 50 && out->channels == 2 && worst <= 1e-6);
        gh_image_free(out);
        out = NULL;
    }
    gh_ops_simd_enable(1);
    gh_image_free(src);
    gh_image_free(low);
    gh_image_free(guide);
}

/* src == guide_low, the area reduction of a smooth guide: the output is close to
 * the guide itself (up to the blur of the spatial kernel on a smooth field). */
static void test_identityish(void)
{
    struct gh_image *guide = smooth_image(200, 150), *low = NULL, *out = NULL;
    CHECK_OK(gh_ops_resize(guide, 64, 48, GH_INTERP_AREA, 1, &low));
    struct gh_jbu_params p = GH_JBU_PARAMS_DEFAULT;
    CHECK_OK(gh_ops_jbu(low, low, guide, &p, 2, &out));
    double d = max_abs_diff(out, guide), mean = 0;
    for (size_t i = 0; out && i < gh_image_plane_size(out) * 3; i++)
        mean += fabs(out->data[i] - guide->data[i]);
    mean /= gh_image_plane_size(guide) * 3;
    printf("jbu smooth guide from its own reduction: |out - guide| max %.3g mean %.3g\n", d, mean);
    /* measured 0.0072 and 0.0003: the spatial kernel's blur of the curved field, at the borders */
    CHECK(d < 0.01 && mean < 0.001);
    gh_image_free(guide);
    gh_image_free(low);
    gh_image_free(out);
}

/* Outputs are convex combinations of src values: never outside src's range,
 * also with noise everywhere and for degenerate weights (tiny sigma_spatial and
 * a guide far from every tap). */
static void test_bounds_and_degenerate(void)
{
    struct gh_image *src = noise_image(31, 23, 3, 1), *low = noise_image(31, 23, 3, 2),
                    *guide = noise_image(97, 71, 3, 3), *far = NULL, *out = NULL;
    CHECK_OK(gh_image_new(97, 71, 3, &far));
    for (size_t i = 0; i < gh_image_plane_size(far) * 3; i++)
        far->data[i] = 40.f; /* every colour distance huge */
    const struct gh_jbu_params ps[] = {{2, 1.0, 0.1}, {4, 2.0, 0.02}, {0, 1.0, 0.1}, {2, 0.1, 0.01}};
    for (int k = 0; k < 8; k++) {
        const struct gh_jbu_params *p = &ps[k % 4];
        for (int simd = 1; simd >= 0; simd--) {
            gh_ops_simd_enable(simd);
            CHECK_OK(gh_ops_jbu(src, low, k < 4 ? guide : far, p, 2, &out));
            for (int c = 0; out && c < 3; c++) {
                float lo = 1, hi = 0;
                const float *s = gh_image_plane(src, c), *o = gh_image_plane(out, c);
                for (size_t i = 0; i < gh_image_plane_size(src); i++) {
                    lo = fminf(lo, s[i]);
                    hi = fmaxf(hi, s[i]);
                }
                int inside = 1;
                for (size_t i = 0; i < gh_image_plane_size(out); i++)
                    inside &= o[i] >= lo - 1e-6f && o[i] <= hi + 1e-6f; /* NaN fails too */
                CHECK_MSG(inside, "case %d simd %d channel %d", k, simd, c);
            }
            gh_image_free(out);
            out = NULL;
        }
    }
    gh_ops_simd_enable(1);
    gh_image_free(src);
    gh_image_free(low);
    gh_image_free(guide);
    gh_image_free(far);
}

/* Thread counts and the two kernels; widths that leave a portable tail. */
static void test_threads_identical(void)
{
    struct gh_image *src = noise_image(40, 30, 3, 7), *low = noise_image(40, 30, 3, 8),
                    *guide = noise_image(101, 77, 3, 9);
    struct gh_jbu_params p = GH_JBU_PARAMS_DEFAULT;
    for (int simd = 1; simd >= 0; simd--) {
        struct gh_image *a = NULL, *b = NULL, *c = NULL;
        gh_ops_simd_enable(simd);
        CHECK_OK(gh_ops_jbu(src, low, guide, &p, 1, &a));
        CHECK_OK(gh_ops_jbu(src, low, guide, &p, 2, &b));
        CHECK_OK(gh_ops_jbu(src, low, guide, &p, 5, &c));
        size_t n = a ? gh_image_plane_size(a) * 3 * sizeof(float) : 0;
        CHECK(a && b && c && !memcmp(a->data, b->data, n) && !memcmp(a->data, c->data, n));
        gh_image_free(a);
        gh_image_free(b);
        gh_image_free(c);
    }
    gh_ops_simd_enable(1);
    gh_image_free(src);
    gh_image_free(low);
    gh_image_free(guide);
}

static void test_tiny_and_args(void)
{
    struct gh_image *src = noise_image(1, 1, 3, 1), *low = noise_image(1, 1, 3, 2),
                    *guide = noise_image(5, 3, 3, 3), *out = NULL;
    struct gh_jbu_params p = GH_JBU_PARAMS_DEFAULT;
    CHECK_OK(gh_ops_jbu(src, low, guide, &p, 2, &out));
    for (int c = 0; out && c < 3; c++)
        for (size_t i = 0; i < 15; i++)
            CHECK(fabsf(gh_image_plane(out, c)[i] - src->data[c]) < 1e-6f);
    gh_image_free(out);
    out = NULL;
    struct gh_jbu_params bad[] = {{-1, 1, 0.1}, {17, 1, 0.1}, {2, 0.05, 0.1}, {2, 1, 0}, {2, NAN, 0.1}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        CHECK(gh_ops_jbu(src, low, guide, &bad[i], 1, &out) == GH_ERR_ARGUMENT && !out);
    }
    /* guide smaller than src; guide_low of the wrong size or channel count */
    CHECK(gh_ops_jbu(guide, guide, src, &p, 1, &out) == GH_ERR_ARGUMENT && !out);
    CHECK(gh_ops_jbu(src, guide, guide, &p, 1, &out) == GH_ERR_ARGUMENT && !out);
    struct gh_image *gray = noise_image(1, 1, 1, 4);
    CHECK(gh_ops_jbu(src, gray, guide, &p, 1, &out) == GH_ERR_ARGUMENT && !out);
    gh_image_free(gray);
    gh_image_free(src);
    gh_image_free(low);
    gh_image_free(guide);
}

int main(void)
{
    test_goldens();
    test_constant();
    test_identityish();
    test_bounds_and_degenerate();
    test_threads_identical();
    test_tiny_and_args();
    return check_finish();
}
