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

int main(void)
{
    test_resize_rows();
    test_stages();
    test_analysis_size();
    return check_finish();
}
