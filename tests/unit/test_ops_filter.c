/* Gaussian and bilateral filters against cv2.GaussianBlur / cv2.bilateralFilter
 * goldens, plus borders and tiny sizes. */
#include "ghiblify/ops.h"
#include "ghiblify/stages.h"
#include "test_ops_golden.h"

/* share_max: the share of samples allowed to differ from OpenCV by a level,
 * about 1.5x what the code reaches (0-0.002% for the float rule, a rounding
 * tie or two in the portable kernel; 0.13-2.2% for OpenCV's 8-bit fixed-point rule, whose rounding ties
 * fall differently). A kernel that is slightly wrong everywhere passes "at
 * most 1 level" but not this. */
static void check_gauss(const char *file, const struct gh_image *src, int ksize, double sigma, double share_max)
{
    struct gh_image *golden = golden_read_pnm(file), *ours = NULL;
    CHECK_MSG(golden != NULL, "%s", file);
    /* 1 and 2 threads, AVX2 kernels (where the CPU has them) and portable ones */
    for (int run = 0; golden && run < 4; run++) {
        gh_ops_simd_enable(run < 2);
        CHECK_OK(gh_ops_gaussian_ksize(src, ksize, sigma, 1 + run % 2, &ours));
        int d = max_level_diff(ours, golden);
        double share = level_diff_share(ours, golden);
        if (run == 0)
            printf("gaussian %s: max %d levels, %.4f%% of samples differ\n", file, d, 100 * share);
        CHECK_MSG(d <= 1, "%s (simd %d): max difference %d levels", file, run < 2, d);
        CHECK_MSG(share <= share_max, "%s (simd %d): %.4f%% of samples differ by a level (at most %.4f%%)", file,
                  run < 2, 100 * share, 100 * share_max);
        gh_image_free(ours);
    }
    gh_ops_simd_enable(1);
    gh_image_free(golden);
}

static void test_gaussian(const struct gh_image *rgb, const struct gh_image *small)
{
    /* Float rule (the default of gh_ops_gaussian). */
    static const double sigmas[] = {0.8, 1.1, 2.5};
    for (int i = 0; i < 3; i++) {
        char file[64];
        snprintf(file, sizeof file, "gauss_f32_s%g.ppm", sigmas[i]);
        check_gauss(file, rgb, 0, sigmas[i], 1e-4);
        struct gh_image *a = NULL, *golden = golden_read_pnm(file);
        CHECK_OK(gh_ops_gaussian(rgb, sigmas[i], 2, &a));
        CHECK(max_level_diff(a, golden) <= 1);
        gh_image_free(a);
        gh_image_free(golden);
    }
    CHECK(gh_ops_gaussian_ksize_for(1.1, 0) == 11);
    CHECK(gh_ops_gaussian_ksize_for(1.3, 1) == 9);
    /* 8-bit rule and explicit kernel sizes. */
    check_gauss("gauss_u8_s1.3.ppm", rgb, gh_ops_gaussian_ksize_for(1.3, 1), 1.3, 0.023);
    check_gauss("gauss_u8_k5_s0.ppm", rgb, 5, 0, 0.002);
    struct gh_image *tiny = crop_image(small, 0, 0, 3, 5), *row = crop_image(rgb, 0, 0, 160, 1);
    check_gauss("gauss_u8_k7x7_s2_small.ppm", tiny, 7, 2, 0.034);
    check_gauss("gauss_u8_s2_row.ppm", row, gh_ops_gaussian_ksize_for(2, 1), 2, 0.025);
    gh_image_free(tiny);
    gh_image_free(row);
}

static void test_bilateral(const struct gh_image *rgb)
{
    static const struct {
        const char *file;
        int d;
        double sc, ss;
    } cases[] = {{"bilateral_d9_c30_s5.ppm", 9, 30, 5}, {"bilateral_d0_c50_s3.ppm", 0, 50, 3}};
    /* both the AVX2 kernel (where the CPU has it) and the portable one */
    for (int simd = 1; simd >= 0; simd--) {
        gh_ops_simd_enable(simd);
        for (int i = 0; i < 2; i++) {
            struct gh_image *golden = golden_read_pnm(cases[i].file), *ours = NULL;
            CHECK_OK(gh_ops_bilateral(rgb, cases[i].d, cases[i].sc, cases[i].ss, 2, &ours));
            double p = psnr_8bit(ours, golden);
            printf("bilateral %s (%s kernel): PSNR %.2f dB\n", cases[i].file,
                   gh_ops_simd_active() ? "AVX2" : "portable", p);
            /* 95.7 dB reached (float rounding only); 85 leaves 3x the error,
             * where 40 let a bilateral radius one too large through. */
            CHECK_MSG(p >= 85, "%s: PSNR %.2f dB", cases[i].file, p);
            gh_image_free(ours);
            gh_image_free(golden);
        }
    }
    CHECK(gh_ops_simd_active() == 0);
    gh_ops_simd_enable(1);
}

/* gh_ops_guided against numpy goldens, with the AVX2 kernels (where the CPU has
 * them) and the portable ones, on 1 and 2 threads. */
/* The denoise stage's parameter wiring, end to end: parameters set by name
 * as the command line does (gh_pipeline_set), the stage run by the pipeline,
 * compared with the OpenCV goldens above. Swapping sigma-color and
 * sigma-space (or any other wire) fails here, which the op tests cannot see. */
static void test_denoise_stage(const struct gh_image *rgb)
{
    static const struct {
        const char *file, *settings[5][2];
        double min_psnr;
    } cases[] = {
        {"bilateral_d9_c30_s5.ppm",
         {{"method", "bilateral"}, {"diameter", "9"}, {"sigma-color", "30"}, {"sigma-space", "5"}, {NULL, NULL}},
         85},
        {"bilateral_d0_c50_s3.ppm",
         {{"method", "bilateral"}, {"diameter", "0"}, {"sigma-color", "50"}, {"sigma-space", "3"}, {NULL, NULL}},
         85},
        {"gauss_f32_s2.5.ppm", {{"method", "gaussian"}, {"sigma", "2.5"}, {NULL, NULL}}, 85},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct gh_pipeline p;
        gh_pipeline_init(&p);
        CHECK_OK(gh_pipeline_select(&p, "denoise", NULL));
        for (int k = 0; cases[i].settings[k][0]; k++)
            CHECK_OK(gh_pipeline_set(&p, "denoise", cases[i].settings[k][0], cases[i].settings[k][1]));
        struct gh_stage_ctx ctx = {.threads = 2, .original_width = rgb->width, .original_height = rgb->height};
        struct gh_image *out = NULL, *golden = golden_read_pnm(cases[i].file);
        CHECK_OK(gh_pipeline_run(&p, &ctx, rgb, NULL, NULL, &out));
        double q = psnr_8bit(out, golden);
        printf("denoise stage as %s: PSNR %.2f dB\n", cases[i].file, q);
        CHECK_MSG(q >= cases[i].min_psnr, "denoise stage vs %s: PSNR %.2f dB", cases[i].file, q);
        gh_image_free(out);
        gh_image_free(golden);
    }
}

static void check_guided(const char *what, const struct gh_image *guide, const struct gh_image *src,
                         int radius, double eps, const char *golden_file)
{
    struct gh_image *golden = golden_read_ghf(golden_file), *ours = NULL;
    CHECK_MSG(golden != NULL, "%s", golden_file);
    for (int run = 0; golden && run < 4; run++) {
        gh_ops_simd_enable(run < 2);
        CHECK_OK(gh_ops_guided(guide, src, radius, eps, 1 + run % 2, &ours));
        double d = max_abs_diff(ours, golden);
        if (run == 0)
            printf("guided (%s): max difference %.2g\n", what, d);
        CHECK_MSG(d <= 1e-4, "guided filter (%s, simd %d) off by %g", what, run < 2, d);
        gh_image_free(ours);
    }
    gh_ops_simd_enable(1);
    gh_image_free(golden);
}

/* The image turned by 180 degrees. */
static struct gh_image *turned_image(const struct gh_image *in)
{
    struct gh_image *out = NULL;
    if (gh_image_new(in->width, in->height, in->channels, &out) != GH_OK)
        return NULL;
    size_t n = gh_image_plane_size(in);
    for (int c = 0; c < in->channels; c++)
        for (size_t i = 0; i < n; i++)
            gh_image_plane(out, c)[i] = gh_image_plane(in, c)[n - 1 - i];
    return out;
}

static void test_guided(void)
{
    struct gh_image *rgb = golden_read_pnm("ref_crop.ppm"), *gray = NULL, *turned = NULL;
    struct gh_image *small = NULL, *small_turned = NULL;
    CHECK(rgb != NULL);
    if (!rgb)
        return;
    CHECK_OK(gh_image_new(rgb->width, rgb->height, 1, &gray));
    for (size_t i = 0; i < gh_image_plane_size(gray); i++)
        gray->data[i] = (float)(0.299 * rgb->data[i] + 0.587 * gh_image_plane(rgb, 1)[i] +
                                0.114 * gh_image_plane(rgb, 2)[i]);
    turned = turned_image(rgb);
    small = crop_image(rgb, 0, 0, 40, 24);
    small_turned = crop_image(turned, 0, 0, 40, 24);
    check_guided("gray guide", gray, rgb, 4, 0.01, "guided_gray_r4_e0.01.ghf");
    check_guided("color guide", rgb, rgb, 3, 0.001, "guided_color_r3_e0.001.ghf");
    check_guided("color guide, other source", rgb, turned, 5, 0.01, "guided_color_cross_r5_e0.01.ghf");
    check_guided("color guide, radius > height", small, small_turned, 30, 0.001,
                 "guided_color_cross_r30_e0.001_40x24.ghf");
    gh_image_free(rgb);
    gh_image_free(gray);
    gh_image_free(turned);
    gh_image_free(small);
    gh_image_free(small_turned);
}

/* Mean of f(x, y) over the clipped (2r + 1)^2 window around (x0, y0). */
#define WINDOW_MEAN(out, expr)                                                                     \
    do {                                                                                           \
        double s_ = 0;                                                                             \
        int n_ = 0;                                                                                \
        for (int y = y0 - r < 0 ? 0 : y0 - r; y <= y0 + r && y < h; y++)                           \
            for (int x = x0 - r < 0 ? 0 : x0 - r; x <= x0 + r && x < w; x++, n_++)                 \
                s_ += (expr);                                                                      \
        (out) = s_ / n_;                                                                           \
    } while (0)

/* He's guided filter computed directly, pixel by pixel (Gaussian elimination for
 * the 3x3 system), on a small image: every source channel count, both guides,
 * windows larger than the image. */
static void test_guided_direct(void)
{
    static const int cases[][5] = {/* w, h, guide channels, source channels, radius */
                                   {1, 1, 3, 3, 2}, {1, 5, 1, 2, 1}, {7, 1, 3, 1, 3}, {9, 6, 3, 4, 2},
                                   {5, 8, 1, 4, 9}, {11, 4, 3, 2, 0}, {6, 6, 3, 3, 40}};
    for (size_t t = 0; t < sizeof cases / sizeof cases[0]; t++) {
        int w = cases[t][0], h = cases[t][1], gc = cases[t][2], sc = cases[t][3], r = cases[t][4];
        double eps = 0.02;
        struct gh_image *I = noise_image(w, h, gc, 40 + (unsigned)t);
        struct gh_image *P = noise_image(w, h, sc, 50 + (unsigned)t), *out = NULL;
        double *A = calloc((size_t)w * h * sc * 4, sizeof *A); /* a (gc) and b per channel */
        CHECK_OK(gh_ops_guided(I, P, r, eps, 2, &out));
        if (!I || !P || !out || !A)
            goto next;
#define G(c, x, y) ((double)gh_image_plane(I, c)[(y) * w + (x)])
#define S(c, x, y) ((double)gh_image_plane(P, c)[(y) * w + (x)])
        for (int y0 = 0; y0 < h; y0++)
            for (int x0 = 0; x0 < w; x0++)
                for (int ch = 0; ch < sc; ch++) {
                    double mi[3], m[3][4], mp, cov[3];
                    WINDOW_MEAN(mp, S(ch, x, y));
                    for (int c = 0; c < gc; c++) {
                        WINDOW_MEAN(mi[c], G(c, x, y));
                        WINDOW_MEAN(cov[c], G(c, x, y) * S(ch, x, y));
                    }
                    for (int c = 0; c < gc; c++) {
                        for (int d = 0; d < gc; d++) {
                            WINDOW_MEAN(m[c][d], G(c, x, y) * G(d, x, y));
                            m[c][d] -= mi[c] * mi[d] - (c == d ? eps : 0);
                        }
                        m[c][gc] = cov[c] - mi[c] * mp;
                    }
                    for (int c = 0; c < gc; c++) /* elimination with partial pivoting */
                        for (int d = c + 1; d < gc; d++) {
                            if (fabs(m[d][c]) > fabs(m[c][c]))
                                for (int k = 0; k <= gc; k++) {
                                    double tmp = m[c][k];
                                    m[c][k] = m[d][k];
                                    m[d][k] = tmp;
                                }
                            double f = m[d][c] / m[c][c];
                            for (int k = c; k <= gc; k++)
                                m[d][k] -= f * m[c][k];
                        }
                    double *a = A + ((size_t)(y0 * w + x0) * (size_t)sc + (size_t)ch) * 4;
                    a[3] = mp;
                    for (int c = gc - 1; c >= 0; c--) {
                        double v = m[c][gc];
                        for (int k = c + 1; k < gc; k++)
                            v -= m[c][k] * a[k];
                        a[c] = v / m[c][c];
                        a[3] -= a[c] * mi[c];
                    }
                }
        double worst = 0;
        for (int y0 = 0; y0 < h; y0++)
            for (int x0 = 0; x0 < w; x0++)
                for (int ch = 0; ch < sc; ch++) {
                    double q = 0, v;
#define COEF(k) A[((size_t)(y * w + x) * (size_t)sc + (size_t)ch) * 4 + (k)]
                    for (int c = 0; c < gc; c++) {
                        WINDOW_MEAN(v, COEF(c));
                        q += v * G(c, x0, y0);
                    }
                    WINDOW_MEAN(v, COEF(3));
                    q += v;
                    double d = fabs(q - gh_image_plane(out, ch)[y0 * w + x0]);
                    worst = d > worst ? d : worst;
                }
        CHECK_MSG(worst <= 1e-5, "guided %dx%d, guide %d, source %d, radius %d: off by %g", w, h,
                  gc, sc, r, worst);
#undef COEF
#undef G
#undef S
    next:
        free(A);
        gh_image_free(I);
        gh_image_free(P);
        gh_image_free(out);
    }
}
#undef WINDOW_MEAN

/* A source equal to the guide takes a shortcut (only the guide's products are
 * summed): it must agree with the general path, run on a source that differs in
 * one corner pixel, everywhere out of that pixel's reach. */
static void test_guided_self(void)
{
    struct gh_image *rgb = golden_read_pnm("ref_crop.ppm"), *gray = NULL;
    CHECK(rgb != NULL);
    if (!rgb)
        return;
    CHECK_OK(gh_image_new(rgb->width, rgb->height, 1, &gray));
    memcpy(gray->data, gh_image_plane(rgb, 1), gh_image_plane_size(gray) * sizeof(float));
    struct gh_image *guides[2] = {gray, rgb};
    int radius = 3, w = rgb->width, h = rgb->height;
    for (int g = 0; g < 2; g++) {
        struct gh_image *other = NULL, *self = NULL, *general = NULL;
        CHECK_OK(gh_image_clone(guides[g], &other));
        if (!other)
            continue;
        other->data[0] += 0.25f;
        CHECK_OK(gh_ops_guided(guides[g], guides[g], radius, 0.01, 1, &self));
        CHECK_OK(gh_ops_guided(guides[g], other, radius, 0.01, 1, &general));
        double worst = 0;
        for (int c = 0; self && general && c < self->channels; c++)
            for (int y = 2 * radius + 1; y < h; y++)
                for (int x = 2 * radius + 1; x < w; x++) {
                    size_t i = (size_t)c * (size_t)(w * h) + (size_t)(y * w + x);
                    double d = fabs((double)self->data[i] - general->data[i]);
                    worst = d > worst ? d : worst;
                }
        CHECK_MSG(self && general && worst <= 1e-6, "guided self (%d channels) vs general: %g",
                  guides[g]->channels, worst);
        gh_image_free(other);
        gh_image_free(self);
        gh_image_free(general);
    }
    gh_image_free(rgb);
    gh_image_free(gray);
}

/* Rows are handed to threads in chunks whose running sums restart at fixed rows:
 * the result must not depend on the thread count, nor on the kernels used. */
static void test_guided_threads(void)
{
    struct gh_image *rgb = noise_image(37, 300, 3, 21), *other = noise_image(37, 300, 3, 22);
    struct gh_image *gray = noise_image(37, 300, 1, 23), *one = noise_image(37, 300, 1, 24);
    /* squares: values of all magnitudes, so that sums of them round (noise values
     * are multiples of 2^-24 and their window sums would be exact) */
    struct gh_image *all[] = {rgb, other, gray, one};
    for (int k = 0; k < 4; k++)
        for (size_t i = 0; all[k] && i < gh_image_plane_size(all[k]) * (size_t)all[k]->channels; i++)
            all[k]->data[i] *= all[k]->data[i];
    const struct {
        const struct gh_image *guide, *src;
        int radius;
    } cases[] = {{rgb, rgb, 3}, {rgb, other, 5}, {rgb, one, 20}, {gray, rgb, 4},
                 {gray, gray, 0}, {gray, one, 2}, {rgb, rgb, 400}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct gh_image *first = NULL, *again = NULL;
        CHECK_OK(gh_ops_guided(cases[i].guide, cases[i].src, cases[i].radius, 0.01, 1, &first));
        for (int run = 0; first && run < 6; run++) {
            gh_ops_simd_enable(run >= 3);
            CHECK_OK(gh_ops_guided(cases[i].guide, cases[i].src, cases[i].radius, 0.01,
                                   2 + run % 3, &again));
            CHECK_MSG(again && !memcmp(first->data, again->data,
                                       gh_image_plane_size(first) * (size_t)first->channels *
                                           sizeof(float)),
                      "guided case %zu: %d threads (simd %d) differ from 1", i, 2 + run % 3, run >= 3);
            gh_image_free(again);
        }
        gh_ops_simd_enable(1);
        gh_image_free(first);
    }
    gh_image_free(rgb);
    gh_image_free(other);
    gh_image_free(gray);
    gh_image_free(one);
}

/* Brute force: each output pixel is the mean of its least-variance quadrant. */
static void test_kuwahara(void)
{
    struct gh_image *src = noise_image(9, 7, 3, 11), *out = NULL;
    int r = 2, w = 9, h = 7;
    CHECK_OK(gh_ops_kuwahara(src, r, 2, &out));
    double worst = 0;
    for (int y = 0; out && y < h; y++)
        for (int x = 0; x < w; x++) {
            double best = INFINITY, mean[3] = {0};
            for (int q = 0; q < 4; q++) {
                int x0 = q & 1 ? x : x - r, x1 = q & 1 ? x + r : x;
                int y0 = q & 2 ? y : y - r, y1 = q & 2 ? y + r : y;
                double s[3] = {0}, s2 = 0, n = 0;
                for (int yy = y0 < 0 ? 0 : y0; yy <= (y1 < h ? y1 : h - 1); yy++)
                    for (int xx = x0 < 0 ? 0 : x0; xx <= (x1 < w ? x1 : w - 1); xx++) {
                        n++;
                        for (int c = 0; c < 3; c++) {
                            double v = gh_image_plane(src, c)[yy * w + xx];
                            s[c] += v;
                            s2 += v * v;
                        }
                    }
                double var = s2 / n;
                for (int c = 0; c < 3; c++)
                    var -= (s[c] / n) * (s[c] / n);
                if (var < best) {
                    best = var;
                    for (int c = 0; c < 3; c++)
                        mean[c] = s[c] / n;
                }
            }
            for (int c = 0; c < 3; c++)
                worst = fmax(worst, fabs(gh_image_plane(out, c)[y * w + x] - mean[c]));
        }
    CHECK_MSG(worst < 1e-5, "Kuwahara differs from brute force by %g", worst);
    gh_image_free(out);
    gh_image_free(src);
    /* A step edge stays a step. */
    struct gh_image *step = NULL;
    CHECK_OK(gh_image_new(10, 4, 1, &step));
    for (int i = 0; i < 40; i++)
        step->data[i] = i % 10 >= 5 ? 1.f : 0.f;
    CHECK_OK(gh_ops_kuwahara(step, 3, 1, &out));
    CHECK(out && max_abs_diff(out, step) < 1e-6);
    gh_image_free(out);
    gh_image_free(step);
}

/* The fast (sparse-tap) bilateral against our exact filter (which matches OpenCV). */
static void test_bilateral_fast(void)
{
    static const char *const files[] = {"in_rgb.ppm", "transfer_ref.ppm"};
    static const double sig[][2] = {{30, 5}, {50, 8}, {20, 3}, {40, 12}, {30, 20}};
    for (int f = 0; f < 2; f++) {
        struct gh_image *src = golden_read_pnm(files[f]);
        CHECK(src != NULL);
        for (int i = 0; src && i < 5; i++) {
            struct gh_image *exact = NULL, *fast = NULL;
            CHECK_OK(gh_ops_bilateral(src, 0, sig[i][0], sig[i][1], 2, &exact));
            CHECK_OK(gh_ops_bilateral_fast(src, sig[i][0], sig[i][1], 2, &fast));
            double p = psnr_8bit(fast, exact);
            printf("fast bilateral %s sigma_color %g sigma_space %g: PSNR %.2f dB vs exact\n",
                   files[f], sig[i][0], sig[i][1], p);
            CHECK_MSG(p >= 32, "%s: fast bilateral PSNR %.2f dB", files[f], p);
            gh_image_free(exact);
            gh_image_free(fast);
        }
        gh_image_free(src);
    }
    struct gh_image *one = noise_image(1, 1, 3, 2), *out = NULL;
    CHECK_OK(gh_ops_bilateral_fast(one, 30, 4, 1, &out));
    CHECK(max_abs_diff(out, one) < 1e-6);
    gh_image_free(out);
    CHECK(gh_ops_bilateral_fast(one, 30, 0, 1, &out) == GH_ERR_ARGUMENT && !out);
    gh_image_free(one);
}

static void test_tiny(void)
{
    static const int sizes[][2] = {{1, 1}, {1, 2}, {2, 1}, {1, 9}, {9, 1}, {3, 3}, {4, 7}};
    for (size_t a = 0; a < sizeof sizes / sizeof sizes[0]; a++) {
        struct gh_image *src = noise_image(sizes[a][0], sizes[a][1], 3, (unsigned)a), *out = NULL;
        CHECK_OK(gh_ops_gaussian(src, 3.0, 2, &out));
        CHECK(out && out->width == src->width);
        gh_image_free(out);
        CHECK_OK(gh_ops_bilateral(src, 7, 40, 3, 2, &out));
        CHECK(out && out->height == src->height);
        gh_image_free(out);
        CHECK_OK(gh_ops_guided(src, src, 3, 0.01, 2, &out));
        CHECK(out && out->height == src->height);
        gh_image_free(out);
        CHECK_OK(gh_ops_bilateral_fast(src, 30, 2, 2, &out));
        CHECK(out && out->width == src->width);
        gh_image_free(out);
        CHECK_OK(gh_ops_kuwahara(src, 4, 2, &out));
        CHECK(out && out->width == src->width);
        gh_image_free(out);
        gh_image_free(src);
    }
    /* A 1x1 image is its own blur. */
    struct gh_image *one = noise_image(1, 1, 1, 5), *out = NULL;
    CHECK_OK(gh_ops_gaussian(one, 5, 1, &out));
    CHECK(out && fabsf(out->data[0] - one->data[0]) < 1e-6f);
    gh_image_free(out);
    CHECK(gh_ops_gaussian_ksize(one, 4, 1, 1, &out) == GH_ERR_ARGUMENT && !out);
    gh_image_free(one);
}

int main(void)
{
    struct gh_image *rgb = golden_read_pnm("in_rgb.ppm"), *small = golden_read_pnm("in_small.ppm");
    CHECK(rgb && small);
    if (rgb && small) {
        test_gaussian(rgb, small);
        test_bilateral(rgb);
        test_denoise_stage(rgb);
    }
    gh_image_free(rgb);
    gh_image_free(small);
    test_bilateral_fast();
    test_guided();
    test_guided_direct();
    test_guided_self();
    test_guided_threads();
    test_kuwahara();
    test_tiny();
    return check_finish();
}
