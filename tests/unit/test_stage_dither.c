/* The dither stage: smooth gradients survive 8-bit JPEG output without bands,
 * texture gets no noise, and the noise is a function of the seed alone. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ghiblify/io.h"
#include "ghiblify/ops.h"
#include "ghiblify/stages.h"
#include "test_ops_golden.h"

enum { W = 256, H = 256, HALF = 128 };

/* Sky rows: a vertical ramp of about one level every 4-6 rows per channel,
 * never on a level boundary pattern the encoder could hit by luck. */
static double sky_level(int c, int y)
{
    static const double base[3] = {90.3, 150.1, 210.2}, slope[3] = {1 / 4.0, 1 / 5.0, 1 / 6.0};
    return base[c] + slope[c] * y;
}

/* A smooth sky gradient over the upper half, photo-like noise below. */
static struct gh_image *scene(void)
{
    struct gh_image *img = noise_image(W, H, 3, 11);
    for (int c = 0; img && c < 3; c++)
        for (int y = 0; y < HALF; y++)
            for (int x = 0; x < W; x++)
                gh_image_plane(img, c)[(size_t)y * W + x] = (float)(sky_level(c, y) / 255);
    return img;
}

struct bands {
    int p999;          /* 99.9th percentile of |vertical neighbor difference|, levels */
    double row_jump;   /* largest change of a row mean between neighboring rows */
    int longest_band;  /* most consecutive rows with the same row mean (+-0.05) */
    int contours;      /* row boundaries where >= 90% of the columns step the same way */
    double ramp_rms;   /* RMS of row means against the true ramp, levels */
    double mean_run;   /* mean length of the runs of equal values down a column */
};

/* Encodes img as JPEG (quality 92, the default) and measures the sky half of
 * the decoded image, the three channels together. */
static struct bands measure(const struct gh_image *img)
{
    struct bands b = {0};
    unsigned char *jpg = NULL;
    size_t size = 0;
    struct gh_picture *pic = NULL;
    CHECK_OK(gh_io_encode(img, NULL, GH_FORMAT_JPEG, 92, &jpg, &size));
    if (jpg)
        CHECK_OK(gh_io_decode(jpg, size, 0, &pic));
    free(jpg);
    if (!pic)
        return b;
    int rows = HALF - 8; /* stay clear of the blocks that hold the texture */
    size_t hist[256] = {0}, count = 0, runs = 0;
    double se = 0;
    for (int c = 0; c < 3; c++) {
        const float *p = gh_image_plane(pic->rgb, c);
        double prev = 0;
        int run = 1;
        for (int y = 0; y < rows; y++) {
            double mean = 0;
            int up = 0, down = 0;
            for (int x = 0; x < W; x++) {
                int v = (int)lrintf(p[(size_t)y * W + x] * 255);
                mean += v;
                if (y + 1 < rows) {
                    int d = (int)lrintf(p[(size_t)(y + 1) * W + x] * 255) - v;
                    hist[abs(d) > 255 ? 255 : abs(d)]++;
                    count++;
                    up += d > 0, down += d < 0;
                    runs += d != 0;
                }
            }
            mean /= W;
            se += (mean - sky_level(c, y)) * (mean - sky_level(c, y));
            if (y > 0) {
                b.row_jump = fmax(b.row_jump, fabs(mean - prev));
                run = fabs(mean - prev) < 0.05 ? run + 1 : 1;
                if (run > b.longest_band)
                    b.longest_band = run;
            }
            if (y + 1 < rows && (up >= 0.9 * W || down >= 0.9 * W))
                b.contours++;
            prev = mean;
        }
    }
    b.ramp_rms = sqrt(se / (3.0 * rows));
    b.mean_run = 3.0 * W * rows / (double)(runs + 3 * W);
    size_t seen = 0;
    for (int d = 0; d < 256; d++) {
        seen += hist[d];
        if (seen >= 0.999 * count) {
            b.p999 = d;
            break;
        }
    }
    gh_picture_free(pic);
    return b;
}

static const struct gh_stage_def *dither(double *p)
{
    const struct gh_stage_def *def = gh_stages_find("dither");
    CHECK(def != NULL && def->enabled_by_default && !def->makes_photo);
    for (int k = 0; def && k < def->param_count; k++)
        p[k] = def->params[k].default_value;
    return def;
}

static void report(const char *what, struct bands b)
{
    printf("%s p99.9 |dy| %d  max row-mean jump %.2f  longest band %d rows  contour steps %d  "
           "ramp rms %.3f  mean run %.2f rows\n",
           what, b.p999, b.row_jump, b.longest_band, b.contours, b.ramp_rms, b.mean_run);
}

static void test_bands(const struct gh_image *in)
{
    double p[GH_STAGE_MAX_PARAMS] = {0};
    const struct gh_stage_def *def = dither(p);
    struct gh_stage_ctx ctx = {.threads = 2, .original_width = W, .original_height = H, .seed = 1};
    struct gh_image *out = NULL;
    if (!def)
        return;
    struct bands plain = measure(in);
    report("plain rounding  ", plain);
    CHECK_MSG(plain.longest_band >= 3 && plain.contours >= 20,
              "the test gradient should band without dithering");
    /* Both noises at the textbook +-1 level and at the default amount. */
    double amount = p[0], amps[2] = {1, amount};
    for (int kind = 0; def->params[1].choices[kind]; kind++)
        for (int a = 0; a < 2; a++) {
            p[1] = kind;
            p[0] = amps[a];
            CHECK_OK(def->run(&ctx, p, in, &out));
            struct bands d = measure(out);
            printf("%-4s amount %.1f  ", def->params[1].choices[kind], amps[a]);
            report("", d);
            if (kind == (int)def->params[1].default_value && a == 1) {
                CHECK_MSG(d.p999 <= 4 && d.row_jump <= 2, "dither too strong: p99.9 %d, jump %.2f",
                          d.p999, d.row_jump);
                CHECK_MSG(d.longest_band < plain.longest_band && d.contours * 10 <= plain.contours,
                          "dither left bands: %d rows, %d contours", d.longest_band, d.contours);
                CHECK_MSG(d.ramp_rms < plain.ramp_rms, "row means %.3f off the ramp (plain %.3f)",
                          d.ramp_rms, plain.ramp_rms);
                /* Texture below the sky gets nothing. */
                size_t changed = 0;
                for (int c = 0; out && c < 3; c++)
                    for (int y = HALF + 8; y < H; y++)
                        for (int x = 0; x < W; x++) {
                            size_t i = (size_t)c * W * H + (size_t)y * W + x;
                            changed += out->data[i] != in->data[i];
                        }
                CHECK_MSG(changed == 0, "%zu textured values dithered", changed);
            }
            gh_image_free(out);
            out = NULL;
        }
}

static void test_identity_and_seeds(const struct gh_image *in)
{
    double p[GH_STAGE_MAX_PARAMS] = {0};
    const struct gh_stage_def *def = dither(p);
    struct gh_stage_ctx c1 = {.threads = 1, .original_width = W, .original_height = H, .seed = 1};
    struct gh_stage_ctx c2 = c1, c3 = c1;
    c2.threads = 2;
    c3.seed = 2;
    struct gh_image *a = NULL, *b = NULL, *d = NULL;
    size_t bytes = gh_image_plane_size(in) * 3 * sizeof(float);
    if (!def)
        return;
    CHECK_OK(def->run(&c1, p, in, &a));
    CHECK_OK(def->run(&c2, p, in, &b));
    CHECK_OK(def->run(&c3, p, in, &d));
    CHECK_MSG(a && b && memcmp(a->data, b->data, bytes) == 0, "1 and 2 threads differ");
    CHECK_MSG(a && d && memcmp(a->data, d->data, bytes) != 0, "seeds 1 and 2 dither alike");
    CHECK(max_abs_diff(a, in) <= p[0] * 1.0001 / 255);
    /* The amplitude is --dither-amount levels: in the smooth sky (weight 1)
     * the triangular noise on [-A, A] has an RMS of A / sqrt(6). Measured
     * within 0.16% over these 86,000 samples; 1% leaves 6x that, while an
     * amplitude off by a factor (levels mis-scaled) is far outside. */
    double se = 0, count = 0;
    for (int c = 0; a && c < 3; c++)
        for (int y = 8; y < HALF - 8; y++)
            for (int x = 0; x < W; x++) {
                size_t i = (size_t)c * W * H + (size_t)y * W + x;
                double e = 255.0 * (a->data[i] - in->data[i]);
                se += e * e;
                count++;
            }
    double rms = sqrt(se / count), want_rms = p[0] / sqrt(6.0);
    printf("dither amount %.2f: RMS %.4f levels in the sky (triangular: %.4f)\n", p[0], rms, want_rms);
    CHECK_MSG(fabs(rms / want_rms - 1) <= 0.01, "dither RMS %.4f levels, expected %.4f", rms, want_rms);
    gh_image_free(a);
    gh_image_free(b);
    gh_image_free(d);
    p[0] = 0;
    CHECK_OK(def->run(&c2, p, in, &a));
    CHECK_MSG(a && memcmp(a->data, in->data, bytes) == 0, "amount 0 must be the identity");
    gh_image_free(a);
}

int main(void)
{
    struct gh_image *in = scene();
    CHECK(in != NULL);
    if (in) {
        test_bands(in);
        test_identity_and_seeds(in);
    }
    gh_image_free(in);
    return check_finish();
}
