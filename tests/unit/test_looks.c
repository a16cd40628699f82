/* Looks as data, and what the look's stages claim, measured: each stage at
 * weight 0 is the identity, the transfer moves the Lab statistics toward its
 * target by its amount, the palette flattens local chroma, the chroma lift
 * lifts chroma, and the color stages leave the sky's colors alone. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "stage_util.h"
#include "ghiblify/ghiblify.h"
#include "stages/stage_defs.h"


/* A scene with a smooth blue sky gradient on top and varied colored land below. */
static struct gh_image *scene(int w, int h, int *sky_rows)
{
    struct gh_image *img = NULL;
    CHECK_OK(gh_image_new(w, h, 3, &img));
    *sky_rows = h * 2 / 5;
    for (int y = 0; img && y < h; y++)
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            float r, g, b;
            if (y < *sky_rows) {
                float t = (float)y / *sky_rows;
                r = 0.40f + 0.15f * t;
                g = 0.60f + 0.10f * t;
                b = 0.90f;
            } else {
                /* Patches of muted greens, browns and reds with fine texture. */
                unsigned hsh = (unsigned)(x / 9) * 2654435761u ^ (unsigned)(y / 7) * 40503u;
                float n = (float)((x * 7 + y * 13) % 17) / 17.0f * 0.08f;
                switch (hsh % 3) {
                case 0: r = 0.30f, g = 0.45f, b = 0.25f; break;
                case 1: r = 0.50f, g = 0.38f, b = 0.28f; break;
                default: r = 0.60f, g = 0.30f, b = 0.28f; break;
                }
                r += n, g += n, b += n;
            }
            gh_image_plane(img, 0)[i] = r;
            gh_image_plane(img, 1)[i] = g;
            gh_image_plane(img, 2)[i] = b;
        }
    return img;
}

static double max_diff(const struct gh_image *a, const struct gh_image *b, int y0, int y1)
{
    double worst = 0;
    for (int c = 0; c < 3; c++)
        for (int y = y0; y < y1; y++)
            for (int x = 0; x < a->width; x++) {
                size_t i = (size_t)y * a->width + x;
                worst = fmax(worst, fabs(gh_image_plane(a, c)[i] - gh_image_plane(b, c)[i]));
            }
    return worst;
}

static void test_table(void)
{
    int count;
    const struct gh_look *looks = gh_looks_table(&count);
    CHECK(count >= 6);
    static const char *const required[] = {"hayao", "totoro", "spirited", "mononoke", "howl", "kiki"};
    for (size_t i = 0; i < sizeof required / sizeof *required; i++)
        CHECK_MSG(gh_looks_find(required[i]) != NULL, "look %s", required[i]);
    CHECK(strcmp(looks[0].name, "hayao") == 0);
    CHECK(gh_looks_find("nope") == NULL);
    /* The palette stage's sources follow the table. */
    CHECK(strcmp(gh_palette_sources[0], "image") == 0);
    for (int i = 0; i < count; i++)
        CHECK_MSG(gh_palette_sources[i + 1] && strcmp(gh_palette_sources[i + 1], looks[i].name) == 0,
                  "palette source %d is not look %s", i + 1, looks[i].name);
    CHECK(gh_palette_sources[count + 1] == NULL);
    for (int i = 0; i < count; i++) {
        struct gh_pipeline pl;
        struct gh_palette pal;
        gh_pipeline_init(&pl);
        CHECK_OK(gh_look_apply(&pl, &looks[i]));
        CHECK_OK(gh_look_palette(&looks[i], &pal));
        CHECK_MSG(pal.count == GH_LOOK_MAX_COLORS, "%s: %d colors", looks[i].name, pal.count);
    }
    /* The defaults are the default look: applying it changes nothing. */
    struct gh_pipeline a, b;
    gh_pipeline_init(&a);
    gh_pipeline_init(&b);
    CHECK_OK(gh_look_apply(&b, &looks[0]));
    /* gh_pipeline_init zeroes the padding too: comparing the bytes compares the members. */
    /* NOLINTNEXTLINE(bugprone-suspicious-memory-comparison,cert-exp42-c,cert-flp37-c) */
    CHECK_MSG(memcmp(&a, &b, sizeof a) == 0, "the defaults differ from look %s", looks[0].name);
    /* Looks differ from each other. */
    gh_pipeline_init(&b);
    CHECK_OK(gh_look_apply(&b, gh_looks_find("spirited")));
    /* NOLINTNEXTLINE(bugprone-suspicious-memory-comparison,cert-exp42-c,cert-flp37-c) */
    CHECK(memcmp(&a, &b, sizeof a) != 0);
}

static void test_identities(const struct gh_image *img)
{
    static const struct {
        const char *stage, *param;
        double value;
    } zero[] = {{"color", "chroma", 1}, {"transfer", "amount", 0}, {"palette", "amount", 0},
                {"stylize", "strength", 0}, {"skysmooth", "amount", 0}};
    struct gh_stage_ctx ctx = {.threads = 2, .original_width = img->width, .original_height = img->height};
    for (size_t i = 0; i < sizeof zero / sizeof *zero; i++) {
        double p[GH_STAGE_MAX_PARAMS];
        struct gh_image *out = NULL;
        const struct gh_stage_def *def = stage_defaults(zero[i].stage, p);
        p[stage_param(def, zero[i].param)] = zero[i].value;
        if (strcmp(zero[i].stage, "color") == 0)
            p[stage_param(def, "contrast")] = 1;
        CHECK_OK(def->run(&ctx, p, img, &out));
        CHECK_MSG(out && max_diff(out, img, 0, img->height) == 0, "%s %s=%g is not the identity",
                  zero[i].stage, zero[i].param, zero[i].value);
        gh_image_free(out);
    }
}

static void lab_mean(const struct gh_image *img, int y0, int y1, double mean[3])
{
    struct gh_image *lab = NULL;
    CHECK_OK(gh_ops_color_convert(img, GH_COLOR_SRGB, GH_COLOR_LAB, 1, &lab));
    for (int c = 0; c < 3; c++) {
        double s = 0;
        for (int y = y0; lab && y < y1; y++)
            for (int x = 0; x < img->width; x++)
                s += gh_image_plane(lab, c)[(size_t)y * img->width + x];
        mean[c] = s / ((double)(y1 - y0) * img->width);
    }
    gh_image_free(lab);
}

/* Transfer: amount a moves the land's Lab mean a of the way to the target;
 * the sky keeps its colors; with sky 1 the whole image moves. */
static void test_transfer(const struct gh_image *img, int sky_rows)
{
    double p[GH_STAGE_MAX_PARAMS];
    struct gh_image *out = NULL;
    const struct gh_stage_def *def = stage_defaults("transfer", p);
    struct gh_stage_ctx ctx = {.threads = 2, .original_width = img->width, .original_height = img->height};
    p[stage_param(def, "amount")] = 1;
    p[stage_param(def, "sky")] = 1;
    CHECK_OK(def->run(&ctx, p, img, &out));
    struct gh_lab_stats s;
    CHECK_OK(gh_ops_lab_stats(out, 1, &s));
    static const char *const keys[3] = {"l-mean", "a-mean", "b-mean"};
    for (int c = 0; c < 3; c++)
        CHECK_MSG(fabs(s.mean[c] - p[stage_param(def, keys[c])]) < 0.5, "full transfer: mean %d %.2f", c, s.mean[c]);
    gh_image_free(out);

    struct gh_lab_stats before;
    CHECK_OK(gh_ops_lab_stats(img, 1, &before));
    p[stage_param(def, "amount")] = 0.5;
    CHECK_OK(def->run(&ctx, p, img, &out));
    CHECK_OK(gh_ops_lab_stats(out, 1, &s));
    for (int c = 0; c < 3; c++) {
        double target = p[stage_param(def, keys[c])], want = before.mean[c] + 0.5 * (target - before.mean[c]);
        CHECK_MSG(fabs(s.mean[c] - want) < 1.5, "half transfer: mean %d %.2f, want about %.2f", c, s.mean[c], want);
    }
    gh_image_free(out);

    /* The default: the sky mask keeps its colors, land moves. */
    p[stage_param(def, "sky")] = 0;
    p[stage_param(def, "amount")] = 1;
    CHECK_OK(def->run(&ctx, p, img, &out));
    if (out) {
        double sky = max_diff(out, img, 0, sky_rows - 10), land = max_diff(out, img, sky_rows + 6, img->height);
        CHECK_MSG(sky < 1.0 / 255 && land > 20.0 / 255, "transfer: sky changed %.4f, land %.4f", sky, land);
    }
    gh_image_free(out);
}

/* Local chroma variance: the mean over 7x7 windows of the variance of a and b. */
static double local_chroma_variance(const struct gh_image *img, int y0)
{
    struct gh_image *lab = NULL;
    CHECK_OK(gh_ops_color_convert(img, GH_COLOR_SRGB, GH_COLOR_LAB, 1, &lab));
    int w = img->width, h = img->height;
    double total = 0;
    size_t n = 0;
    for (int y = y0 + 3; lab && y + 3 < h; y += 4)
        for (int x = 3; x + 3 < w; x += 4)
            for (int c = 1; c < 3; c++) {
                double s = 0, ss = 0;
                for (int dy = -3; dy <= 3; dy++)
                    for (int dx = -3; dx <= 3; dx++) {
                        double v = gh_image_plane(lab, c)[(size_t)(y + dy) * w + x + dx];
                        s += v;
                        ss += v * v;
                    }
                total += ss / 49 - (s / 49) * (s / 49);
                n++;
            }
    gh_image_free(lab);
    return n ? total / n : 0;
}

static void test_palette_color(const struct gh_image *img, int sky_rows)
{
    double p[GH_STAGE_MAX_PARAMS];
    struct gh_image *out = NULL;
    struct gh_stage_ctx ctx = {.threads = 2, .original_width = img->width, .original_height = img->height};
    const struct gh_stage_def *def = stage_defaults("palette", p);
    CHECK_OK(def->run(&ctx, p, img, &out));
    CHECK_MSG(out && max_diff(out, img, 0, sky_rows - 10) < 1.0 / 255, "palette changed the sky");
    gh_image_free(out);
    out = NULL;
    /* Flattening needs real color variation: a photo (no sky in it). */
    struct gh_picture *pic = NULL;
    CHECK_OK(gh_io_read_picture(check_source_path("samples/coffee.png"), 0, &pic));
    if (pic) {
        struct gh_stage_ctx pctx = {.threads = 2, .original_width = pic->rgb->width,
                                    .original_height = pic->rgb->height};
        /* A photo without sky has an empty sky mask, so nothing is held back. */
        struct gh_image *mask = NULL;
        CHECK_OK(gh_ops_sky_mask(pic->rgb, 2, &mask));
        float most = 0;
        for (size_t i = 0; mask && i < gh_image_plane_size(mask); i++)
            most = fmaxf(most, mask->data[i]);
        CHECK_MSG(mask && most < 0.05f, "coffee.png has a sky mask up to %.2f", most);
        gh_image_free(mask);
        CHECK_OK(def->run(&pctx, p, pic->rgb, &out));
        if (out) {
            double before = local_chroma_variance(pic->rgb, 0), after = local_chroma_variance(out, 0);
            printf("palette: local chroma variance %.2f -> %.2f\n", before, after);
            CHECK_MSG(after < 0.9 * before, "palette flattening: %.2f -> %.2f", before, after);
        }
        gh_image_free(out);
        out = NULL;
    }
    gh_picture_free(pic);

    def = stage_defaults("color", p);
    CHECK_OK(def->run(&ctx, p, img, &out));
    if (out) {
        double m0[3], m1[3];
        lab_mean(img, sky_rows, img->height, m0);
        lab_mean(out, sky_rows, img->height, m1);
        double c0 = hypot(m0[1], m0[2]), c1 = hypot(m1[1], m1[2]);
        CHECK_MSG(c1 > 1.1 * c0, "color: land chroma of the mean %.2f -> %.2f", c0, c1);
        lab_mean(img, 0, sky_rows - 10, m0);
        lab_mean(out, 0, sky_rows - 10, m1);
        c0 = hypot(m0[1], m0[2]);
        c1 = hypot(m1[1], m1[2]);
        double dhue = fabs(atan2(m1[2], m1[1]) - atan2(m0[2], m0[1])) * 180 / M_PI;
        CHECK_MSG(c1 >= c0 && dhue < 1 && fabs(m1[0] - m0[0]) < 0.5,
                  "color in the sky: chroma %.2f -> %.2f, hue moved %.2f, L %.2f -> %.2f", c0, c1, dhue, m0[0], m1[0]);
    }
    gh_image_free(out);
}

int main(void)
{
    int sky_rows = 0;
    struct gh_image *img = scene(240, 160, &sky_rows);
    test_table();
    if (img) {
        test_identities(img);
        test_transfer(img, sky_rows);
        test_palette_color(img, sky_rows);
    }
    gh_image_free(img);
    return check_finish();
}
