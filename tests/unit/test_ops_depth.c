/* Built-in depth estimate (gh_ops_depth_estimate), ordinal checks: the map is
 * relative, so tests ask for orders, not values. Synthetic scenes: a landscape
 * (sky over ground that fades into haze toward the horizon), a haze gradient
 * running sideways (so the height cue cannot explain it), a near object on a
 * hazy background (smooth inside, edges on the object's edges); real photos:
 * sky farther than the ground, the lower border nearer than the horizon. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "ghiblify/io.h"
#include "ghiblify/ops.h"

static const float air[3] = {0.80f, 0.85f, 0.92f};

/* Ground of texture amplitude amp veiled toward the air light by haze (0..1). */
static void ground(float *rgb, int x, int y, float haze, float amp)
{
    const float base[3] = {0.25f, 0.40f, 0.15f};
    for (int c = 0; c < 3; c++) {
        float v = base[c] + amp * (check_hash01((unsigned)x / 2, (unsigned)y / 2, (unsigned)c) - 0.5f);
        rgb[c] = v * (1.0f - haze) + air[c] * haze;
    }
}

static double mean_rows(const struct gh_image *d, int y0, int y1, int x0, int x1)
{
    double s = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++)
            s += d->data[(size_t)y * d->width + x];
    return s / ((double)(y1 - y0) * (x1 - x0));
}

static struct gh_image *estimate(const struct gh_image *img, int with_sky)
{
    struct gh_image *sky = NULL, *depth = NULL;
    if (with_sky)
        CHECK_OK(gh_ops_sky_mask(img, 2, &sky));
    CHECK_OK(gh_ops_depth_estimate(img, sky, 2, &depth));
    if (depth) {
        CHECK(depth->width == img->width && depth->height == img->height && depth->channels == 1);
        float lo = 1, hi = 0;
        for (size_t i = 0; i < gh_image_plane_size(depth); i++) {
            lo = fminf(lo, depth->data[i]);
            hi = fmaxf(hi, depth->data[i]);
        }
        CHECK_MSG(lo >= 0 && hi <= 1 && hi - lo > 0.2f, "depth in [0,1] with range (%g..%g)", lo, hi);
    }
    gh_image_free(sky);
    return depth;
}

/* Sky over ground; the ground's haze grows and its texture fades toward the horizon. */
static void landscape(void)
{
    int w = 320, h = 240, horizon = 100;
    struct gh_image *img = NULL;
    CHECK_OK(gh_image_new(w, h, 3, &img));
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            float rgb[3];
            if (y < horizon) {
                float t = (float)y / horizon;
                rgb[0] = 0.40f + 0.4f * t, rgb[1] = 0.60f + 0.25f * t, rgb[2] = 0.95f;
            } else {
                float dist = (float)(h - y) / (h - horizon); /* 1 at the horizon */
                ground(rgb, x, y, 0.7f * dist * dist, 0.35f * (1.0f - 0.8f * dist));
            }
            for (int c = 0; c < 3; c++)
                gh_image_plane(img, c)[(size_t)y * w + x] = rgb[c];
        }
    struct gh_image *d = estimate(img, 1);
    if (d) {
        double sky = mean_rows(d, 0, horizon - 10, 0, w);
        double far = mean_rows(d, horizon + 5, horizon + 30, 0, w);
        double mid = mean_rows(d, horizon + 60, horizon + 80, 0, w);
        double near = mean_rows(d, h - 20, h, 0, w);
        printf("landscape: sky %.3f, far ground %.3f, middle %.3f, near %.3f\n", sky, far, mid, near);
        CHECK_MSG(sky < far && far < mid && mid < near, "sky < horizon < middle < bottom");
        CHECK_MSG(sky < 0.1, "the sky is the farthest (%g)", sky);
    }
    gh_image_free(d);
    gh_image_free(img);
}

/* Haze from none on the left to heavy on the right, no sky: only the haze and
 * texture cues can order the columns (the height cue is the same for all). */
static void sideways_haze(void)
{
    int w = 300, h = 200;
    struct gh_image *img = NULL;
    CHECK_OK(gh_image_new(w, h, 3, &img));
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            float rgb[3], t = (float)x / (w - 1);
            ground(rgb, x, y, 0.8f * t, 0.35f);
            for (int c = 0; c < 3; c++)
                gh_image_plane(img, c)[(size_t)y * w + x] = rgb[c];
        }
    struct gh_image *d = estimate(img, 0);
    if (d) {
        double a = mean_rows(d, 0, h, 10, 90), b = mean_rows(d, 0, h, 110, 190),
               c = mean_rows(d, 0, h, 210, 290);
        printf("sideways haze: left %.3f, middle %.3f, right %.3f\n", a, b, c);
        CHECK_MSG(a > b + 0.05 && b > c + 0.05, "clear (near) > hazy > hazier (far)");
    }
    gh_image_free(d);
    gh_image_free(img);
}

/* A near, crisply textured square on a hazy, smooth background: the map is
 * smooth inside the square and its steps sit on the square's edges. */
static void object_edges(void)
{
    int w = 256, h = 256, x0 = 80, x1 = 176, y0 = 96, y1 = 224;
    struct gh_image *img = NULL;
    CHECK_OK(gh_image_new(w, h, 3, &img));
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            float rgb[3];
            int in = x >= x0 && x < x1 && y >= y0 && y < y1;
            ground(rgb, x, y, in ? 0.0f : 0.75f, in ? 0.4f : 0.04f);
            for (int c = 0; c < 3; c++)
                gh_image_plane(img, c)[(size_t)y * w + x] = rgb[c];
        }
    struct gh_image *d = estimate(img, 0);
    if (d) {
        double inside = mean_rows(d, y0 + 12, y1 - 12, x0 + 12, x1 - 12);
        double left = mean_rows(d, y0 + 12, y1 - 12, 8, x0 - 12);
        double right = mean_rows(d, y0 + 12, y1 - 12, x1 + 12, w - 8);
        printf("object: inside %.3f, left of it %.3f, right %.3f\n", inside, left, right);
        CHECK_MSG(inside > left + 0.1 && inside > right + 0.1, "the object is nearer than what is beside it");
        /* Steepness of the map: on the vertical edges vs inside the object. */
        double edge = 0, interior = 0;
        int ne = 0, ni = 0;
        for (int y = y0 + 12; y < y1 - 12; y++) {
            const float *row = d->data + (size_t)y * w;
            for (int x = 1; x < w - 1; x++) {
                double g = fabs(row[x + 1] - row[x - 1]) / 2;
                if (abs(x - x0) <= 2 || abs(x - x1) <= 2)
                    edge += g, ne++;
                else if (x > x0 + 12 && x < x1 - 12)
                    interior += g, ni++;
            }
        }
        edge /= ne;
        interior /= ni;
        printf("object: mean |d depth/dx| on its edges %.4f, inside %.4f\n", edge, interior);
        CHECK_MSG(edge > 8 * interior, "steps on the edges (%g), smooth inside (%g)", edge, interior);
        /* Each row's steepest step is within 3 px of a true edge. */
        int off = 0;
        for (int y = y0 + 12; y < y1 - 12; y++) {
            const float *row = d->data + (size_t)y * w;
            int best = 1;
            for (int x = 1; x < w / 2; x++)
                if (fabs(row[x + 1] - row[x - 1]) > fabs(row[best + 1] - row[best - 1]))
                    best = x;
            off += abs(best - x0) > 3;
        }
        CHECK_MSG(off == 0, "left edge found off by more than 3 px in %d rows", off);
    }
    gh_image_free(d);
    gh_image_free(img);
}

static void photos(void)
{
    static const char *const names[] = {"photos/Dune.jpg", "photos/Storm.jpg"};
    for (size_t k = 0; k < sizeof names / sizeof *names; k++) {
        struct gh_picture *pic = NULL;
        struct gh_image *small = NULL, *sky = NULL, *d = NULL;
        if (gh_io_read_picture(check_shared_path(names[k]), 0, &pic) != GH_OK) {
            printf("%s: not readable, skipped\n", names[k]);
            continue;
        }
        int w = 512, h = (int)(512.0 * pic->rgb->height / pic->rgb->width + 0.5);
        CHECK_OK(gh_ops_resize(pic->rgb, w, h, GH_INTERP_AREA, 2, &small));
        if (small)
            CHECK_OK(gh_ops_sky_mask(small, 2, &sky));
        if (sky)
            CHECK_OK(gh_ops_depth_estimate(small, sky, 2, &d));
        if (d) {
            double sky_d = 0, sky_n = 0;
            int lowest_sky = 0;
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++)
                    if (sky->data[(size_t)y * w + x] > 0.5f) {
                        sky_d += d->data[(size_t)y * w + x], sky_n++;
                        lowest_sky = y;
                    }
            double bottom = mean_rows(d, h - h / 10, h, 0, w);
            /* Land just below the sky, where the horizon is. */
            double horizon = 0, hn = 0;
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                    size_t i = (size_t)y * w + x;
                    if (sky->data[i] < 0.5f && y <= lowest_sky + h / 10 && y >= lowest_sky - h / 10)
                        horizon += d->data[i], hn++;
                }
            printf("%s: sky %.3f (%.0f px), horizon land %.3f, bottom %.3f\n", names[k],
                   sky_n ? sky_d / sky_n : -1, sky_n, hn ? horizon / hn : -1, bottom);
            CHECK_MSG(sky_n > 0, "%s has sky", names[k]);
            if (sky_n > 0 && hn > 0) {
                CHECK_MSG(sky_d / sky_n < horizon / hn, "%s: sky farther than the land", names[k]);
                CHECK_MSG(horizon / hn < bottom, "%s: lower border nearer than the horizon", names[k]);
            }
        }
        gh_image_free(d);
        gh_image_free(sky);
        gh_image_free(small);
        gh_picture_free(pic);
    }
}

static void arguments(void)
{
    struct gh_image *rgb = NULL, *gray = NULL, *d = NULL;
    CHECK_OK(gh_image_new(32, 24, 3, &rgb));
    CHECK_OK(gh_image_new(32, 24, 1, &gray));
    CHECK(gh_ops_depth_estimate(gray, NULL, 1, &d) == GH_ERR_ARGUMENT && !d);
    struct gh_image *bad_sky = NULL;
    CHECK_OK(gh_image_new(16, 24, 1, &bad_sky));
    CHECK(gh_ops_depth_estimate(rgb, bad_sky, 1, &d) == GH_ERR_ARGUMENT && !d);
    /* A flat image is no error: the map is just flat-ish and finite. */
    CHECK_OK(gh_ops_depth_estimate(rgb, NULL, 1, &d));
    if (d)
        for (size_t i = 0; i < gh_image_plane_size(d); i++)
            if (!(d->data[i] >= 0 && d->data[i] <= 1)) {
                CHECK_MSG(0, "finite depth on a flat image");
                break;
            }
    gh_image_free(d);
    gh_image_free(bad_sky);
    gh_image_free(gray);
    gh_image_free(rgb);
}

int main(void)
{
    landscape();
    sideways_haze();
    object_edges();
    photos();
    arguments();
    return check_finish();
}
