/* Band-wise stages (--detail full, issue 13): every stage that runs in bands
 * gives the same image in bands as in one piece, whether it writes into the
 * pipeline's image or into a new one, for band heights from one row up (a
 * band smaller than the stage's halo reuses the previous band's saved rows).
 * gh_ops_resize_rows gives the rows of gh_ops_resize. At full detail the
 * pipeline keeps the photo (and so the sky and depth masks) at the analysis
 * size, and the stages bring the masks to the image's size. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ghiblify/ops.h"
#include "ghiblify/stages.h"
#include "stage_util.h"
#include "test_ops_golden.h"

#define W 160
#define H 120

/* The scene with a dark house on the ground: long clean contours for lines. */
static struct gh_image *photo(void)
{
    struct gh_image *img = sky_scene(W, H, 1);
    for (int y = 70; img && y < 110; y++)
        for (int x = 40; x < 100; x++)
            for (int c = 0; c < 3; c++)
                gh_image_plane(img, c)[(size_t)y * W + x] = c == 0 ? 0.25f : 0.18f;
    return img;
}

/* Runs stage (through the pipeline, which makes the sky and depth products)
 * with bands of band_rows rows; owned: the pipeline owns a copy of in, so the
 * stage may write into it. */
static struct gh_image *run_stage(const char *stage, const struct gh_image *in, int band_rows,
                                  int owned)
{
    struct gh_pipeline p;
    gh_pipeline_init(&p);
    CHECK_OK(gh_pipeline_select(&p, stage, NULL));
    struct gh_stage_ctx ctx = {.threads = 2, .original_width = in->width,
                               .original_height = in->height, .seed = 7,
                               .band_pixels = (long)band_rows * in->width};
    struct gh_image *out = NULL, *copy = NULL;
    enum gh_status st;
    if (owned) {
        CHECK_OK(gh_image_clone(in, &copy));
        st = gh_pipeline_run_owned(&p, &ctx, copy, NULL, NULL, &out);
    } else {
        st = gh_pipeline_run(&p, &ctx, in, NULL, NULL, &out);
    }
    CHECK_MSG(st == GH_OK, "%s: %s", stage, gh_error_detail());
    return out;
}

static void test_stages(void)
{
    /* Every stage that runs in bands, and the largest difference allowed
     * from the whole-image run: 0 where each value is computed the same way
     * in a band; skysmooth's guided filter sums its windows in double from
     * the band's top, so its sums round differently (float output). */
    static const struct {
        const char *name;
        double tol;
    } stages[] = {
        {"denoise", 0},  {"skysmooth", 1e-6}, {"color", 0}, {"transfer", 0}, {"palette", 0},
        {"texture", 0}, {"lines", 0},        {"fog", 0},   {"dither", 0},
    };
    static const int rows[] = {1, 7, 40, 119};
    struct gh_image *in = photo();
    CHECK(in != NULL);
    for (size_t s = 0; in && s < sizeof stages / sizeof stages[0]; s++) {
        struct gh_image *whole = run_stage(stages[s].name, in, 1 << 20, 0);
        /* the stage must do something here, or equality would prove nothing */
        CHECK_MSG(whole && max_abs_diff(whole, in) > 1e-3, "%s leaves the test image as it is",
                  stages[s].name);
        for (size_t r = 0; whole && r < sizeof rows / sizeof rows[0]; r++)
            for (int owned = 0; owned < 2; owned++) {
                struct gh_image *banded = run_stage(stages[s].name, in, rows[r], owned);
                double d = banded ? max_abs_diff(banded, whole) : INFINITY;
                CHECK_MSG(d <= stages[s].tol, "%s in bands of %d rows (%s): differs by %g",
                          stages[s].name, rows[r], owned ? "in place" : "new image", d);
                gh_image_free(banded);
            }
        printf("%-10s bands of 1..119 rows equal the whole run (tolerance %g)\n", stages[s].name,
               stages[s].tol);
        gh_image_free(whole);
    }
    gh_image_free(in);
}

/* Rows of a resize equal those rows of the whole resize, for every
 * interpolation, enlarging and shrinking. */
static void test_resize_rows(void)
{
    struct gh_image *in = photo();
    static const int sizes[][2] = {{400, 300}, {61, 47}, {160, 333}};
    for (int interp = 0; in && interp < GH_INTERP_COUNT; interp++)
        for (int k = 0; k < 3; k++) {
            int w = sizes[k][0], h = sizes[k][1];
            struct gh_image *whole = NULL;
            CHECK_OK(gh_ops_resize(in, w, h, (enum gh_interp)interp, 2, &whole));
            int cuts[][2] = {{0, h}, {0, 1}, {h / 3, h / 3 + 5}, {h - 1, h}};
            for (int q = 0; whole && q < 4; q++) {
                int y0 = cuts[q][0], y1 = cuts[q][1];
                struct gh_image *rows = NULL;
                CHECK_OK(gh_ops_resize_rows(in, w, h, (enum gh_interp)interp, y0, y1, 2, &rows));
                CHECK(rows && rows->width == w && rows->height == y1 - y0 && rows->channels == 3);
                for (int c = 0; rows && c < 3; c++)
                    CHECK_MSG(memcmp(gh_image_plane(rows, c),
                                     gh_image_plane(whole, c) + (size_t)y0 * w,
                                     (size_t)(y1 - y0) * w * sizeof(float)) == 0,
                              "interp %d to %dx%d: rows %d..%d differ", interp, w, h, y0, y1);
                gh_image_free(rows);
            }
            gh_image_free(whole);
        }
    struct gh_image *none = NULL;
    CHECK(gh_ops_resize_rows(in, 10, 10, GH_INTERP_LINEAR, 5, 5, 1, &none) == GH_ERR_ARGUMENT);
    CHECK(gh_ops_resize_rows(in, 10, 10, GH_INTERP_LINEAR, 0, 11, 1, &none) == GH_ERR_ARGUMENT);
    CHECK(none == NULL);
    printf("resize rows: equal to the whole resize's rows\n");
    gh_image_free(in);
}

/* The guided filter's coefficients give its output: sum_c a_c I_c + b. */
static void test_guided_coefficients(void)
{
    struct gh_image *in = photo(), *gray = NULL;
    CHECK(in != NULL);
    if (!in)
        return;
    CHECK_OK(gh_ops_rgb_to_gray(in, 1, &gray));
    const struct gh_image *guides[2] = {in, gray};
    for (int g = 0; in && gray && g < 2; g++) {
        const struct gh_image *guide = guides[g];
        struct gh_image *want = NULL, *coef[3] = {NULL, NULL, NULL};
        CHECK_OK(gh_ops_guided(guide, in, 5, 1e-3, 2, &want));
        CHECK_OK(gh_ops_guided_coefficients(guide, in, 5, 1e-3, 2, coef));
        double worst = 0;
        for (int ch = 0; want && coef[2] && ch < 3; ch++) {
            CHECK(coef[ch]->channels == guide->channels + 1);
            for (size_t i = 0; i < gh_image_plane_size(in); i++) {
                double q = gh_image_plane(coef[ch], guide->channels)[i];
                for (int c = 0; c < guide->channels; c++)
                    q += (double)gh_image_plane(coef[ch], c)[i] * gh_image_plane(guide, c)[i];
                double d = fabs(q - gh_image_plane(want, ch)[i]);
                worst = d > worst ? d : worst;
            }
        }
        /* the coefficients are rounded to float before the sum */
        CHECK_MSG(worst < 1e-5, "%d-channel guide: coefficients give %g off", guide->channels, worst);
        printf("guided coefficients, %d-channel guide: output within %.2g\n", guide->channels, worst);
        gh_image_free(want);
        for (int ch = 0; ch < 3; ch++)
            gh_image_free(coef[ch]);
    }
    struct gh_image *four = NULL, *coef[3];
    CHECK_OK(gh_image_new(8, 8, 4, &four));
    CHECK(gh_ops_guided_coefficients(four, four, 2, 1e-3, 1, coef) == GH_ERR_ARGUMENT);
    gh_image_free(four);
    gh_image_free(gray);
    gh_image_free(in);
}

/* Above the analysis size skysmooth is the fast guided filter: close to the
 * exact filter blended by the sky mask, and it evens out a sky gradient's
 * 1-level steps (as the generator paints them) as much as the exact one. */
static void test_fast_skysmooth(void)
{
    int w = GH_STAGE_ANALYSIS_SIDE * 2, h = 400;
    struct gh_image *in = sky_scene(w, h, 1), *sky = NULL, *exact = NULL;
    CHECK(in != NULL);
    if (!in)
        return;
    /* steps of one 8-bit level every 24 rows in the sky */
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < 3; c++) {
                float *v = gh_image_plane(in, c) + (size_t)y * w + x;
                if (y < 0.35 * h)
                    *v = (float)(0.4 + 0.1 * c + floor(y / 24.0) / 255.0);
            }
    struct gh_image *got = run_stage("skysmooth", in, 1 << 20, 0);
    CHECK_OK(gh_ops_sky_mask(in, 2, &sky));
    CHECK_OK(gh_ops_guided(in, in, (int)(16.0 * w / 1024 + 0.5), (4 / 255.0) * (4 / 255.0), 2, &exact));
    double worst = 0, step_in = 0, step_got = 0, step_exact = 0;
    for (int c = 0; got && sky && exact && c < 3; c++)
        for (size_t i = 0; i < gh_image_plane_size(in); i++) {
            float v = gh_image_plane(in, c)[i];
            float e = v + sky->data[i] * (gh_image_plane(exact, c)[i] - v);
            double d = fabs(gh_image_plane(got, c)[i] - e);
            worst = d > worst ? d : worst;
        }
    /* largest row-to-row change down the middle column inside the sky */
    for (int y = 10; got && sky && exact && y < (int)(0.3 * h); y++) {
        size_t i = (size_t)y * w + w / 2;
        step_in = fmax(step_in, fabs(in->data[i] - in->data[i - w]));
        step_got = fmax(step_got, fabs(got->data[i] - got->data[i - w]));
        double e1 = in->data[i] + sky->data[i] * (exact->data[i] - in->data[i]);
        double e0 = in->data[i - w] + sky->data[i - w] * (exact->data[i - w] - in->data[i - w]);
        step_exact = fmax(step_exact, fabs(e1 - e0));
    }
    printf("fast skysmooth at %dx%d: %.2g from the exact filter; steps of %.2f levels -> %.2f "
           "(exact filter %.2f)\n", w, h, worst, 255 * step_in, 255 * step_got, 255 * step_exact);
    CHECK_MSG(worst < 2.0 / 255, "fast skysmooth is %g from the exact filter", worst);
    CHECK_MSG(step_exact < 0.9 * step_in && step_got < step_exact + 0.1 / 255,
              "fast skysmooth left steps of %g levels (exact filter %g)", 255 * step_got,
              255 * step_exact);
    gh_image_free(got);
    gh_image_free(sky);
    gh_image_free(exact);
    gh_image_free(in);
}

struct sizes {
    int sky_w, sky_h, depth_w, depth_h;
};

static enum gh_status observe(void *user, const char *name, const struct gh_image *image)
{
    struct sizes *s = user;
    if (strcmp(name, "sky") == 0) {
        s->sky_w = image->width;
        s->sky_h = image->height;
    } else if (strcmp(name, "depth") == 0) {
        s->depth_w = image->width;
        s->depth_h = image->height;
    }
    return GH_OK;
}

/* At full detail a photo longer than GH_STAGE_ANALYSIS_SIDE keeps its masks
 * at that size (a panorama, so the test stays small), while the picture keeps
 * its own; in working mode the masks are the image's size. */
static void test_analysis_size(void)
{
    int w = GH_STAGE_ANALYSIS_SIDE + 452, h = 60;
    struct gh_image *in = sky_scene(w, h, 1);
    CHECK(in != NULL);
    for (int full = 0; in && full < 2; full++) {
        struct gh_pipeline p;
        gh_pipeline_init(&p);
        CHECK_OK(gh_pipeline_select(&p, "resize,denoise,texture,depth,fog", NULL));
        if (!full)
            CHECK_OK(gh_pipeline_set(&p, "resize", "size", "5000"));
        struct gh_stage_ctx ctx = {.threads = 2, .original_width = w, .original_height = h,
                                   .detail_full = full, .working_size = 1024, .seed = 1};
        struct sizes s = {0, 0, 0, 0};
        struct gh_image *out = NULL;
        CHECK_OK(gh_pipeline_run(&p, &ctx, in, observe, &s, &out));
        int aw = full ? GH_STAGE_ANALYSIS_SIDE : w;
        int ah = full ? (int)lround(h * (double)GH_STAGE_ANALYSIS_SIDE / w) : h;
        CHECK_MSG(out && out->width == w && out->height == h, "full %d: output %dx%d", full,
                  out ? out->width : 0, out ? out->height : 0);
        CHECK_MSG(s.sky_w == aw && s.sky_h == ah && s.depth_w == aw && s.depth_h == ah,
                  "full %d: sky %dx%d, depth %dx%d, expected %dx%d", full, s.sky_w, s.sky_h,
                  s.depth_w, s.depth_h, aw, ah);
        printf("detail %s: masks %dx%d for a %dx%d picture\n", full ? "full" : "working", s.sky_w,
               s.sky_h, w, h);
        gh_image_free(out);
    }
    gh_image_free(in);
}

/* The statistics pass of a photo squarer than 4:3 has the pixels of a 4:3
 * pass of --stats-size's long side; others keep that long side. */
static void test_stats_side(void)
{
    static const struct {
        int w, h, side, want;
    } cases[] = {
        {4000, 3000, 1280, 1280}, {3000, 4000, 1280, 1280}, {6000, 4000, 1280, 1280},
        {8000, 2000, 1280, 1280}, {7072, 7072, 1280, 1108}, {5000, 4000, 1280, 1239},
        {4000, 5000, 1280, 1239}, {900, 900, 300, 259},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        int got = gh_stage_stats_side(cases[k].w, cases[k].h, cases[k].side);
        CHECK_MSG(got == cases[k].want, "%dx%d, --stats-size %d: pass side %d, expected %d", cases[k].w,
                  cases[k].h, cases[k].side, got, cases[k].want);
        double pixels = (double)got * got * ((double)(cases[k].w < cases[k].h ? cases[k].w : cases[k].h) /
                                             (cases[k].w > cases[k].h ? cases[k].w : cases[k].h));
        CHECK_MSG(pixels <= 0.75 * cases[k].side * cases[k].side + 1,
                  "%dx%d: a pass of %.0f pixels", cases[k].w, cases[k].h, pixels);
    }
    printf("statistics pass sides: %zu cases\n", sizeof cases / sizeof cases[0]);
}

int main(void)
{
    test_resize_rows();
    test_stats_side();
    test_guided_coefficients();
    test_stages();
    test_fast_skysmooth();
    test_analysis_size();
    return check_finish();
}
