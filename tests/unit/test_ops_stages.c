/* The pipeline stages built on the image operations: order, defaults, and that
 * each does exactly what its parameters say. */
#include <string.h>

#include "ghiblify/ops.h"
#include "ghiblify/stages.h"
#include "test_ops_golden.h"
#include "stage_util.h"


static void test_table(void)
{
    /* The look's order: photo stages, the generator, color, palette, line work, full size. */
    static const char *const order[] = {"resize",    "denoise",  "edges",   "stylize",
                                        "color",     "transfer", "histmatch", "segments",
                                        "palette",   "texture",  "lines",   "upsample"};
    enum { N = sizeof order / sizeof order[0] };
    int count, at = 0;
    const struct gh_stage_def *const *table = gh_stages_table(&count);
    for (int i = 0; i < count && at < N; i++)
        if (strcmp(table[i]->name, order[at]) == 0)
            at++;
    CHECK_MSG(at == N, "stages out of pipeline order (matched %d)", at);
    /* Debug-like stages stay off; the look's stages are on. */
    static const char *const off[] = {"edges", "histmatch", "segments"};
    static const char *const on[] = {"resize", "denoise", "stylize", "color", "transfer", "palette", "texture", "lines", "upsample", "dither"};
    for (size_t i = 0; i < sizeof off / sizeof *off; i++)
        CHECK_MSG(gh_stages_find(off[i]) && !gh_stages_find(off[i])->enabled_by_default, "%s off", off[i]);
    for (size_t i = 0; i < sizeof on / sizeof *on; i++)
        CHECK_MSG(gh_stages_find(on[i]) && gh_stages_find(on[i])->enabled_by_default, "%s on", on[i]);
}

static struct gh_stage_ctx ctx = {.threads = 2, .original_width = 160, .original_height = 120};

static void test_edges(const struct gh_image *rgb)
{
    double p[GH_STAGE_MAX_PARAMS];
    const struct gh_stage_def *def = stage_defaults("edges", p);
    struct gh_image *out = NULL, *gray = NULL, *edges = NULL;
    p[stage_param(def, "strength")] = 1;
    CHECK_OK(def->run(&ctx, p, rgb, &out));
    CHECK_OK(gh_ops_rgb_to_gray(rgb, 1, &gray));
    CHECK_OK(gh_ops_canny(gray, p[stage_param(def, "low")], p[stage_param(def, "high")], 0, 1, &edges));
    size_t n = gh_image_plane_size(rgb), bad = 0, count = 0;
    for (size_t i = 0; out && edges && i < n; i++) {
        count += edges->data[i] > 0.5f;
        for (int c = 0; c < 3; c++) {
            float want = edges->data[i] > 0.5f ? 0.f : gh_image_plane(rgb, c)[i];
            bad += gh_image_plane(out, c)[i] != want;
        }
    }
    CHECK_MSG(bad == 0 && count > 100, "edges: %zu wrong values, %zu edge pixels", bad, count);
    gh_image_free(out);
    gh_image_free(gray);
    gh_image_free(edges);
}

static size_t distinct_colors(const struct gh_image *img, size_t limit)
{
    size_t n = gh_image_plane_size(img), found = 0;
    float (*seen)[3] = malloc(limit * sizeof *seen);
    for (size_t i = 0; seen && i < n && found < limit; i++) {
        float c[3] = {gh_image_plane(img, 0)[i], gh_image_plane(img, 1)[i], gh_image_plane(img, 2)[i]};
        size_t k = 0;
        /* The same bits: exactly what is counted. */
        /* NOLINTNEXTLINE(bugprone-suspicious-memory-comparison,cert-exp42-c,cert-flp37-c) */
        while (k < found && memcmp(seen[k], c, sizeof c) != 0)
            k++;
        if (k == found)
            memcpy(seen[found++], c, sizeof c);
    }
    free(seen);
    return found;
}

static void test_segments_palette(const struct gh_image *rgb)
{
    double p[GH_STAGE_MAX_PARAMS];
    struct gh_image *out = NULL;
    const struct gh_stage_def *def = stage_defaults("segments", p);
    p[stage_param(def, "count")] = 60;
    CHECK_OK(def->run(&ctx, p, rgb, &out));
    size_t d = out ? distinct_colors(out, 1000) : 0;
    CHECK_MSG(d >= 20 && d <= 120, "segments: %zu flat colors for about 60 regions", d);
    gh_image_free(out);
    p[stage_param(def, "mix")] = 0;
    CHECK_OK(def->run(&ctx, p, rgb, &out));
    CHECK(max_abs_diff(out, rgb) == 0);
    gh_image_free(out);

    def = stage_defaults("palette", p);
    p[stage_param(def, "amount")] = 1;
    p[stage_param(def, "sky")] = 1; /* the whole image, as the op */
    p[stage_param(def, "colors")] = 5;
    p[stage_param(def, "softness")] = 0;
    p[stage_param(def, "mode")] = 0; /* full */
    CHECK_OK(def->run(&ctx, p, rgb, &out));
    d = out ? distinct_colors(out, 1000) : 0;
    CHECK_MSG(d >= 2 && d <= 5, "hard full palette: %zu colors", d);
    gh_image_free(out);
    p[stage_param(def, "method")] = 1; /* median cut */
    CHECK_OK(def->run(&ctx, p, rgb, &out));
    d = out ? distinct_colors(out, 1000) : 0;
    CHECK_MSG(d >= 2 && d <= 5, "hard median-cut palette: %zu colors", d);
    gh_image_free(out);
    p[stage_param(def, "mode")] = 1; /* chroma keeps L */
    p[stage_param(def, "softness")] = 10;
    struct gh_image *a = NULL, *b = NULL;
    CHECK_OK(def->run(&ctx, p, rgb, &out));
    CHECK_OK(gh_ops_color_convert(rgb, GH_COLOR_SRGB, GH_COLOR_LAB, 1, &a));
    CHECK_OK(gh_ops_color_convert(out, GH_COLOR_SRGB, GH_COLOR_LAB, 1, &b));
    double worst = 0;
    for (size_t i = 0; a && b && i < gh_image_plane_size(a); i++)
        worst = fmax(worst, fabs(a->data[i] - b->data[i]));
    CHECK_MSG(worst < 0.05, "chroma palette changed L by %g", worst);
    gh_image_free(a);
    gh_image_free(b);
    gh_image_free(out);
}

static void check_lab_stats(const struct gh_image *img, const double *want_mean,
                            const double *want_std, double tol, const char *what)
{
    struct gh_lab_stats s;
    CHECK_OK(gh_ops_lab_stats(img, 1, &s));
    for (int c = 0; c < 3; c++)
        CHECK_MSG(fabs(s.mean[c] - want_mean[c]) < tol && fabs(s.std[c] - want_std[c]) < tol,
                  "%s channel %d: mean %g std %g, want %g %g", what, c, s.mean[c], s.std[c],
                  want_mean[c], want_std[c]);
}

static void test_transfer_histmatch(const struct gh_image *rgb)
{
    static const double mean[3] = {55, 3, 8}, sd[3] = {15, 6, 9};
    static const char *const names[] = {"transfer", "histmatch"};
    for (int s = 0; s < 2; s++) {
        double p[GH_STAGE_MAX_PARAMS];
        struct gh_image *out = NULL;
        const struct gh_stage_def *def = stage_defaults(names[s], p);
        static const char *const keys[6] = {"l-mean", "a-mean", "b-mean", "l-std", "a-std", "b-std"};
        for (int k = 0; k < 3; k++) {
            p[stage_param(def, keys[k])] = mean[k];
            p[stage_param(def, keys[3 + k])] = sd[k];
        }
        p[stage_param(def, "amount")] = 1;
        if (s == 0)
            p[stage_param(def, "sky")] = 1; /* the whole image, as the op */
        CHECK_OK(def->run(&ctx, p, rgb, &out));
        check_lab_stats(out, mean, sd, s == 0 ? 0.05 : 0.6, names[s]);
        gh_image_free(out);
        p[stage_param(def, "amount")] = 0;
        CHECK_OK(def->run(&ctx, p, rgb, &out));
        CHECK_MSG(max_abs_diff(out, rgb) < 2e-4, "%s amount 0 changed the image", names[s]);
        gh_image_free(out);
    }
}

/* With a reference still, both color stages aim at its Lab statistics and
 * ignore their stored targets; the reference may have any size. */
static void test_reference(const struct gh_image *rgb)
{
    struct gh_image *small = NULL, *ref = NULL;
    CHECK_OK(gh_ops_resize(rgb, 53, 31, GH_INTERP_AREA, 1, &small));
    CHECK_OK(gh_image_new(53, 31, 3, &ref));
    if (!small || !ref)
        goto out;
    /* A cool, darker, flatter look: unlike the photo's own statistics. */
    for (size_t i = 0; i < gh_image_plane_size(ref); i++) {
        float r = gh_image_plane(small, 0)[i], g = gh_image_plane(small, 1)[i],
              b = gh_image_plane(small, 2)[i];
        gh_image_plane(ref, 0)[i] = 0.1f + 0.5f * b * b;
        gh_image_plane(ref, 1)[i] = 0.2f + 0.6f * g;
        gh_image_plane(ref, 2)[i] = 0.3f + 0.7f * r;
    }
    struct gh_lab_stats want;
    CHECK_OK(gh_ops_lab_stats(ref, 1, &want));
    struct gh_stage_ctx with_ref = ctx;
    with_ref.reference = ref;
    static const char *const names[] = {"transfer", "histmatch"};
    for (int s = 0; s < 2; s++) {
        double p[GH_STAGE_MAX_PARAMS];
        struct gh_image *out = NULL;
        const struct gh_stage_def *def = stage_defaults(names[s], p);
        p[stage_param(def, "l-mean")] = 90;
        p[stage_param(def, "amount")] = 1;
        if (s == 0)
            p[stage_param(def, "sky")] = 1;
        CHECK_OK(def->run(&with_ref, p, rgb, &out));
        if (out)
            check_lab_stats(out, want.mean, want.std, s == 0 ? 0.05 : 0.8, names[s]);
        gh_image_free(out);
    }
out:
    gh_image_free(small);
    gh_image_free(ref);
}

/* lines at weight 0 is the identity; the rest is in test_lines.c. */
static void test_lines(const struct gh_image *rgb)
{
    double p[GH_STAGE_MAX_PARAMS];
    struct gh_image *out = NULL;
    const struct gh_stage_def *def = stage_defaults("lines", p);
    p[stage_param(def, "weight")] = 0;
    CHECK_OK(def->run(&ctx, p, rgb, &out));
    CHECK(max_abs_diff(out, rgb) == 0);
    gh_image_free(out);
}

/* texture blends the generalized Kuwahara filter in by amount times its
 * texture mask (test_stage_texture.c has the rest): without grain, every
 * value lies between the input and the filtered image, the noisy golden image
 * moves toward the filter, and amount 0 changes nothing. */
static void test_texture(const struct gh_image *rgb)
{
    double p[GH_STAGE_MAX_PARAMS];
    struct gh_image *out = NULL, *k = NULL;
    const struct gh_stage_def *def = stage_defaults("texture", p);
    p[stage_param(def, "radius")] = 3;
    p[stage_param(def, "sharpness")] = 6;
    p[stage_param(def, "amount")] = 1;
    p[stage_param(def, "grain")] = 0;
    struct gh_kuwahara_params kp = GH_KUWAHARA_PARAMS_DEFAULT;
    kp.radius = 3;
    kp.sharpness = 6;
    CHECK_OK(gh_ops_kuwahara_generalized(rgb, &kp, 1, &k));
    CHECK_OK(def->run(&ctx, p, rgb, &out));
    size_t outside = 0;
    for (size_t i = 0; out && k && i < gh_image_plane_size(rgb) * 3; i++) {
        float lo = fminf(rgb->data[i], k->data[i]), hi = fmaxf(rgb->data[i], k->data[i]);
        outside += out->data[i] < lo - 1e-6f || out->data[i] > hi + 1e-6f;
    }
    CHECK_MSG(outside == 0, "texture: %zu values outside [input, filtered]", outside);
    CHECK(max_abs_diff(out, rgb) > 0.02);
    gh_image_free(out);
    p[stage_param(def, "amount")] = 0;
    CHECK_OK(def->run(&ctx, p, rgb, &out));
    CHECK(max_abs_diff(out, rgb) == 0);
    gh_image_free(out);
    gh_image_free(k);
}

/* Every stage on, on small and degenerate images. */
static void test_all_stages(const struct gh_image *rgb)
{
    static const int sizes[][2] = {{1, 1}, {1, 5}, {5, 1}, {7, 3}, {0, 0}};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        struct gh_image *src = sizes[s][0] ? noise_image(sizes[s][0], sizes[s][1], 3, 3) : NULL;
        const struct gh_image *in = src ? src : rgb;
        struct gh_pipeline pl;
        struct gh_stage_ctx c = {.threads = 2, .original_width = in->width, .original_height = in->height};
        struct gh_image *out = NULL;
        gh_pipeline_init(&pl);
        CHECK_OK(gh_pipeline_select(&pl, "denoise,edges,segments,palette,transfer,histmatch,texture,lines", NULL));
        CHECK_OK(gh_pipeline_run(&pl, &c, in, NULL, NULL, &out));
        CHECK(out && out->width == in->width && out->height == in->height && out->channels == 3);
        gh_image_free(out);
        gh_image_free(src);
    }
}

int main(void)
{
    struct gh_image *rgb = golden_read_pnm("in_rgb.ppm");
    CHECK(rgb != NULL);
    test_table();
    if (rgb) {
        test_edges(rgb);
        test_segments_palette(rgb);
        test_transfer_histmatch(rgb);
        test_reference(rgb);
        test_lines(rgb);
        test_texture(rgb);
        test_all_stages(rgb);
    }
    gh_image_free(rgb);
    return check_finish();
}
