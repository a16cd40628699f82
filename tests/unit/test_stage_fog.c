/* The fog stage (atmospheric perspective): --fog 0 is the identity; on land the
 * lightness rises and the saturation (CIELAB chroma / lightness) falls, more
 * with farness, in order; near
 * land is left exactly as it was; the sky keeps its chroma (at most 5% less at
 * the default strength); a picture without sky gets no fog. On a synthetic
 * landscape and on real photos. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "ghiblify/io.h"
#include "ghiblify/ops.h"
#include "stage_util.h"

/* What each check protects, in one place. */
#define NEAR_MAX_CHANGE 1e-6f /* near land (farness under `near`) must not change at all */
#define SKY_CHROMA_MAX_DROP 0.05 /* the sky's mean chroma may fall at most this much */
#define BINS 5
#define MIN_BIN 500 /* pixels a farness bin needs to be compared: smaller ones are a few objects */

static struct gh_image *landscape(int with_sky)
{
    int w = 320, h = 240, horizon = with_sky ? 90 : -1;
    struct gh_image *img = NULL;
    CHECK_OK(gh_image_new(w, h, 3, &img));
    for (int y = 0; img && y < h; y++)
        for (int x = 0; x < w; x++) {
            float rgb[3];
            if (y < horizon) {
                float t = (float)y / horizon;
                rgb[0] = 0.35f + 0.4f * t, rgb[1] = 0.55f + 0.3f * t, rgb[2] = 0.95f;
            } else {
                const float base[3] = {0.30f, 0.45f, 0.18f};
                float dist = with_sky ? (float)(h - y) / (h - horizon) : 0.5f;
                for (int c = 0; c < 3; c++)
                    rgb[c] = base[c] + 0.35f * (1 - 0.7f * dist) *
                                           (check_hash01((unsigned)x / 2, (unsigned)y / 2, (unsigned)c) - 0.5f);
            }
            for (int c = 0; c < 3; c++)
                gh_image_plane(img, c)[(size_t)y * w + x] = rgb[c];
        }
    return img;
}

static struct gh_image *run_fog(const struct gh_image *in, double amount)
{
    double p[GH_STAGE_MAX_PARAMS];
    const struct gh_stage_def *def = stage_defaults("fog", p);
    struct gh_image *out = NULL;
    if (!def)
        return NULL;
    if (amount >= 0)
        p[stage_param(def, "amount")] = amount;
    struct gh_stage_ctx ctx = {.threads = 2};
    CHECK_OK(def->run(&ctx, p, in, &out));
    return out;
}

static void measure(const char *what, const struct gh_image *in, int landscape_with_far_land)
{
    double p[GH_STAGE_MAX_PARAMS];
    const struct gh_stage_def *def = stage_defaults("fog", p);
    float near = def ? (float)p[stage_param(def, "near")] : 0.35f;
    struct gh_image *out = run_fog(in, -1), *zero = run_fog(in, 0);
    struct gh_image *sky = NULL, *depth = NULL, *lab_in = NULL, *lab_out = NULL;
    CHECK_OK(gh_ops_sky_mask(in, 2, &sky));
    if (sky)
        CHECK_OK(gh_ops_depth_estimate(in, sky, 2, &depth));
    if (out)
        CHECK_OK(gh_ops_color_convert(in, GH_COLOR_SRGB, GH_COLOR_LAB, 2, &lab_in));
    if (out)
        CHECK_OK(gh_ops_color_convert(out, GH_COLOR_SRGB, GH_COLOR_LAB, 2, &lab_out));
    if (!out || !zero || !depth || !lab_in || !lab_out)
        goto done;
    size_t n = gh_image_plane_size(in);
    float identity = 0;
    for (size_t i = 0; i < 3 * n; i++)
        identity = fmaxf(identity, fabsf(zero->data[i] - in->data[i]));
    CHECK_MSG(identity == 0, "%s: --fog 0 is the identity (max change %g)", what, identity);
    /* Land binned by farness above `near`: lightness change up, chroma change down, in order. */
    double dl[BINS] = {0}, dc[BINS] = {0}, cnt[BINS] = {0}, sky_in = 0, sky_out = 0, sky_n = 0;
    float near_change = 0;
    for (size_t i = 0; i < n; i++) {
        float far = 1.0f - depth->data[i];
        float c_in = hypotf(gh_image_plane(lab_in, 1)[i], gh_image_plane(lab_in, 2)[i]);
        float c_out = hypotf(gh_image_plane(lab_out, 1)[i], gh_image_plane(lab_out, 2)[i]);
        if (sky->data[i] > 0.5f) {
            sky_in += c_in, sky_out += c_out, sky_n++;
            continue;
        }
        if (sky->data[i] > 0.01f)
            continue; /* the soft rim belongs to neither */
        if (far < near) {
            for (int c = 0; c < 3; c++)
                near_change = fmaxf(near_change, fabsf(gh_image_plane(out, c)[i] - gh_image_plane(in, c)[i]));
            continue;
        }
        int b = (int)((far - near) / (1.0f - near) * BINS);
        b = b < 0 ? 0 : b >= BINS ? BINS - 1 : b;
        dl[b] += gh_image_plane(lab_out, 0)[i] - gh_image_plane(lab_in, 0)[i];
        dc[b] += c_out / fmaxf(gh_image_plane(lab_out, 0)[i], 1.0f) -
                 c_in / fmaxf(gh_image_plane(lab_in, 0)[i], 1.0f);
        cnt[b]++;
    }
    CHECK_MSG(near_change <= NEAR_MAX_CHANGE, "%s: near land unchanged (max %g)", what, near_change);
    printf("%s: by farness bin (count, mean dL, mean d(C/L)):", what);
    double prev_l = -1e9, prev_c = 1e9;
    int bins_used = 0;
    for (int b = 0; b < BINS; b++) {
        if (cnt[b] < MIN_BIN)
            continue;
        double l = dl[b] / cnt[b], c = dc[b] / cnt[b];
        printf(" [%.0f %.2f %.3f]", cnt[b], l, c);
        if (landscape_with_far_land)
            CHECK_MSG(l >= prev_l - 0.05 && c <= prev_c + 0.002,
                      "%s: bin %d: lightness rise and saturation fall grow with farness", what, b);
        CHECK_MSG(l >= -0.05 && c <= 0.002, "%s: bin %d: fog never darkens or saturates", what, b);
        prev_l = l, prev_c = c;
        bins_used++;
    }
    printf("; sky chroma %.2f -> %.2f\n", sky_n ? sky_in / sky_n : 0, sky_n ? sky_out / sky_n : 0);
    /* Dune's "far" land is grass tips standing up into the sky (above its
     * horizon): it must not get darker or more saturated, but need not fog. */
    if (landscape_with_far_land) {
        CHECK_MSG(bins_used >= 2, "%s: far land in at least two bins (%d)", what, bins_used);
        CHECK_MSG(prev_l > 0.5 && prev_c < -0.01, "%s: the farthest land is lighter and grayer", what);
    }
    CHECK_MSG(sky_n > 0 && sky_out / sky_n >= (1 - SKY_CHROMA_MAX_DROP) * sky_in / sky_n,
              "%s: sky chroma kept", what);
done:
    gh_image_free(out);
    gh_image_free(zero);
    gh_image_free(sky);
    gh_image_free(depth);
    gh_image_free(lab_in);
    gh_image_free(lab_out);
}

int main(void)
{
    struct gh_image *scene = landscape(1);
    if (scene)
        measure("synthetic landscape", scene, 1);
    gh_image_free(scene);
    /* No sky: a close-up or indoors as far as fog can tell; nothing changes. */
    struct gh_image *flat = landscape(0), *out = flat ? run_fog(flat, 1.0) : NULL;
    if (flat && out) {
        float change = 0;
        for (size_t i = 0; i < 3 * gh_image_plane_size(flat); i++)
            change = fmaxf(change, fabsf(out->data[i] - flat->data[i]));
        CHECK_MSG(change == 0, "no sky, no fog even at --fog 1 (max change %g)", change);
    }
    gh_image_free(out);
    gh_image_free(flat);
    /* A studio backdrop: sky-blue and smooth on top and down both sides to
     * the bottom, a textured subject in the middle. The sky mask may take the
     * backdrop for sky, but its horizon wraps around the subject rather than
     * running across the frame: no fog, even at --fog 1. */
    struct gh_image *studio = NULL, *studio_out = NULL;
    CHECK_OK(gh_image_new(240, 240, 3, &studio));
    for (int y = 0; studio && y < 240; y++)
        for (int x = 0; x < 240; x++) {
            int subject = abs(x - 120) < 60 && y > 50;
            for (int c = 0; c < 3; c++) {
                const float backdrop[3] = {0.55f, 0.70f, 0.92f}, skin[3] = {0.80f, 0.60f, 0.50f};
                gh_image_plane(studio, c)[(size_t)y * 240 + x] =
                    subject ? skin[c] + 0.3f * (check_hash01((unsigned)x, (unsigned)y, (unsigned)c) - 0.5f)
                            : backdrop[c] + 0.05f * (float)y / 240.0f;
            }
        }
    if (studio)
        studio_out = run_fog(studio, 1.0);
    if (studio && studio_out) {
        struct gh_image *mask = NULL;
        CHECK_OK(gh_ops_sky_mask(studio, 1, &mask));
        double covered = 0;
        for (size_t i = 0; mask && i < gh_image_plane_size(mask); i++)
            covered += mask->data[i];
        gh_image_free(mask);
        float change = 0;
        for (size_t i = 0; i < 3 * gh_image_plane_size(studio); i++)
            change = fmaxf(change, fabsf(studio_out->data[i] - studio->data[i]));
        printf("studio backdrop: sky mask covers %.0f%%, fog changes at most %g\n",
               100.0 * covered / (240.0 * 240.0), change);
        CHECK_MSG(covered > 0.1 * 240 * 240, "the backdrop is taken for sky (the case this guards)");
        CHECK_MSG(change == 0, "a backdrop around a subject gets no fog (max change %g)", change);
    }
    gh_image_free(studio_out);
    gh_image_free(studio);
    static const char *const photos[] = {"photos/Storm.jpg", "photos/Dune.jpg"};
    static const int far_land[] = {1, 0};
    for (size_t k = 0; k < sizeof photos / sizeof *photos; k++) {
        struct gh_picture *pic = NULL;
        struct gh_image *small = NULL;
        if (gh_io_read_picture(check_shared_path(photos[k]), 0, &pic) != GH_OK) {
            printf("%s: not readable, skipped\n", photos[k]);
            continue;
        }
        int w = 384, h = (int)(384.0 * pic->rgb->height / pic->rgb->width + 0.5);
        CHECK_OK(gh_ops_resize(pic->rgb, w, h, GH_INTERP_AREA, 2, &small));
        if (small)
            measure(photos[k], small, far_land[k]);
        gh_image_free(small);
        gh_picture_free(pic);
    }
    return check_finish();
}
