/* The texture stage: painterly smoothing only where photographic texture is
 * left, a seeded paper grain, and neither in the sky. */
#include <string.h>

#include "ghiblify/ops.h"
#include "ghiblify/stages.h"
#include "test_ops_golden.h"
#include "stage_util.h"

enum { W = 160, H = 120, HORIZON = 60 };

static const struct gh_stage_def *texture(double *p)
{
    const struct gh_stage_def *def = gh_stages_find("texture");
    CHECK(def != NULL && def->enabled_by_default);
    for (int k = 0; def && k < def->param_count; k++)
        p[k] = def->params[k].default_value;
    return def;
}


/* A synthetic painting: a smooth blue sky gradient over the top half; below,
 * a noisy brown patch (photographic texture the generator kept) on the left
 * and a flat green wash (what the generator paints) on the right. */
static struct gh_image *scene(void)
{
    struct gh_image *img = NULL, *noise = noise_image(W, H, 1, 5);
    if (gh_image_new(W, H, 3, &img) != GH_OK || !noise)
        goto out;
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            size_t i = (size_t)y * W + x;
            float rgb[3];
            if (y < HORIZON) {
                float t = (float)y / HORIZON;
                rgb[0] = 0.45f + 0.15f * t, rgb[1] = 0.62f + 0.13f * t, rgb[2] = 0.92f + 0.03f * t;
            } else if (x < W / 2) {
                float n = 0.24f * (noise->data[i] - 0.5f);
                rgb[0] = 0.45f + n, rgb[1] = 0.35f + n, rgb[2] = 0.2f + n;
            } else {
                rgb[0] = 0.3f, rgb[1] = 0.45f, rgb[2] = 0.2f;
            }
            for (int c = 0; c < 3; c++)
                gh_image_plane(img, c)[i] = rgb[c];
        }
out:
    gh_image_free(noise);
    return img;
}

/* Mean over [x0, x1) x [y0, y1) of the variance of the red channel in 5x5 windows. */
static double local_variance(const struct gh_image *img, int x0, int y0, int x1, int y1)
{
    double total = 0;
    int count = 0;
    for (int y = y0; y < y1; y++)
        for (int x = x0; x < x1; x++) {
            double s = 0, s2 = 0;
            for (int dy = -2; dy <= 2; dy++)
                for (int dx = -2; dx <= 2; dx++) {
                    double v = img->data[(size_t)(y + dy) * img->width + x + dx];
                    s += v, s2 += v * v;
                }
            total += s2 / 25 - (s / 25) * (s / 25);
            count++;
        }
    return total / count;
}

static void test_identity_and_seeds(const struct gh_image *in)
{
    double p[GH_STAGE_MAX_PARAMS];
    const struct gh_stage_def *def = texture(p);
    struct gh_stage_ctx c1 = {.threads = 1, .original_width = W, .original_height = H, .seed = 1};
    struct gh_stage_ctx c2 = c1, c3 = c1;
    c2.threads = 2;
    c3.seed = 2;
    struct gh_image *a = NULL, *b = NULL, *d = NULL;

    p[stage_param(def, "amount")] = 0;
    p[stage_param(def, "grain")] = 0;
    CHECK_OK(def->run(&c2, p, in, &a));
    CHECK_MSG(a && memcmp(a->data, in->data, gh_image_plane_size(in) * 3 * sizeof(float)) == 0,
              "amount 0 and grain 0 must be the identity");
    gh_image_free(a);

    texture(p);
    CHECK_OK(def->run(&c1, p, in, &a));
    CHECK_OK(def->run(&c2, p, in, &b));
    CHECK_OK(def->run(&c3, p, in, &d));
    size_t bytes = gh_image_plane_size(in) * 3 * sizeof(float);
    CHECK_MSG(a && b && memcmp(a->data, b->data, bytes) == 0, "1 and 2 threads differ");
    CHECK_MSG(a && d && memcmp(a->data, d->data, bytes) != 0, "seeds 1 and 2 give the same grain");
    gh_image_free(a);
    gh_image_free(b);
    gh_image_free(d);
}

/* Nothing moves in the sky, smoothing flattens the noisy patch, and the flat
 * wash changes by less than a level (without grain: not at all). */
static void test_regions(const struct gh_image *in)
{
    double p[GH_STAGE_MAX_PARAMS];
    const struct gh_stage_def *def = texture(p);
    struct gh_stage_ctx ctx = {.threads = 2, .original_width = W, .original_height = H, .seed = 7};
    struct gh_image *sky = NULL, *out = NULL, *smooth = NULL;
    CHECK_OK(gh_ops_sky_mask(in, 1, &sky));
    CHECK_OK(def->run(&ctx, p, in, &out));
    p[stage_param(def, "grain")] = 0;
    CHECK_OK(def->run(&ctx, p, in, &smooth));
    if (!sky || !out || !smooth)
        goto out;
    size_t sky_pixels = 0, sky_changed = 0;
    for (size_t i = 0; i < gh_image_plane_size(in); i++) {
        if (sky->data[i] < 0.9f)
            continue;
        sky_pixels++;
        for (int c = 0; c < 3; c++)
            sky_changed += gh_image_plane(out, c)[i] != gh_image_plane(in, c)[i];
    }
    CHECK_MSG(sky_pixels > (size_t)W * (HORIZON - 8), "sky mask covers only %zu pixels", sky_pixels);
    CHECK_MSG(sky_changed == 0, "%zu sky values changed", sky_changed);

    double before = local_variance(in, 10, HORIZON + 10, W / 2 - 10, H - 10);
    double after = local_variance(smooth, 10, HORIZON + 10, W / 2 - 10, H - 10);
    double grained = local_variance(out, 10, HORIZON + 10, W / 2 - 10, H - 10);
    CHECK_MSG(after < 0.5 * before && grained < 0.5 * before,
              "local variance of the noisy patch %g -> %g (%g with grain)", before, after, grained);

    double flat = 0, grain_ratio = 0;
    texture(p);
    float g = (float)p[stage_param(def, "grain")];
    for (int y = HORIZON + 10; y < H; y++)
        for (int x = W / 2 + 12; x < W; x++)
            for (int c = 0; c < 3; c++) {
                size_t i = (size_t)c * W * H + (size_t)y * W + x;
                flat = fmax(flat, fabs(smooth->data[i] - in->data[i]));
                grain_ratio = fmax(grain_ratio, fabs(out->data[i] / in->data[i] - 1));
            }
    CHECK_MSG(flat < 1.0 / 255, "flat wash changed by %g levels without grain", flat * 255);
    CHECK_MSG(grain_ratio <= g * 1.0001 && grain_ratio > 0.3 * g,
              "grain moved the flat wash's lightness by %g (grain %g)", grain_ratio, g);
out:
    gh_image_free(sky);
    gh_image_free(out);
    gh_image_free(smooth);
}

/* The grain at a pixel depends on its coordinates and the seed only, not on
 * the image size: a smaller image gets the same grain where they overlap. */
static void test_grain_split(void)
{
    double p[GH_STAGE_MAX_PARAMS];
    const struct gh_stage_def *def = texture(p);
    p[stage_param(def, "amount")] = 0;
    struct gh_image *big = NULL, *small = NULL, *ob = NULL, *os = NULL;
    CHECK_OK(gh_image_new(96, 64, 3, &big));
    CHECK_OK(gh_image_new(41, 29, 3, &small));
    if (!big || !small)
        goto out;
    /* Dark brown: no sky anywhere. */
    for (int c = 0; c < 3; c++) {
        for (size_t i = 0; i < gh_image_plane_size(big); i++)
            gh_image_plane(big, c)[i] = 0.3f - 0.1f * c;
        for (size_t i = 0; i < gh_image_plane_size(small); i++)
            gh_image_plane(small, c)[i] = 0.3f - 0.1f * c;
    }
    struct gh_stage_ctx cb = {.threads = 2, .original_width = 96, .original_height = 64, .seed = 3};
    struct gh_stage_ctx cs = {.threads = 1, .original_width = 41, .original_height = 29, .seed = 3};
    CHECK_OK(def->run(&cb, p, big, &ob));
    CHECK_OK(def->run(&cs, p, small, &os));
    size_t differ = 0, moved = 0;
    for (int y = 0; ob && os && y < 29; y++)
        for (int x = 0; x < 41; x++) {
            differ += os->data[(size_t)y * 41 + x] != ob->data[(size_t)y * 96 + x];
            moved += os->data[(size_t)y * 41 + x] != small->data[(size_t)y * 41 + x];
        }
    CHECK_MSG(differ == 0 && moved > 41 * 29 / 2, "grain of a smaller image: %zu differ, %zu moved",
              differ, moved);
out:
    gh_image_free(big);
    gh_image_free(small);
    gh_image_free(ob);
    gh_image_free(os);
}

int main(void)
{
    struct gh_image *in = scene();
    CHECK(in != NULL);
    if (in) {
        test_identity_and_seeds(in);
        test_regions(in);
    }
    test_grain_split();
    gh_image_free(in);
    return check_finish();
}
