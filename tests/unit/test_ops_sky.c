/* Sky mask on synthetic scenes: a gradient sky over textured ground with a
 * jagged horizon and a tree poking into the sky (IoU with the known sky), a
 * textured image without sky, and a bright smooth wall that does not touch the
 * top (both empty). */
#include <math.h>
#include <string.h>

#include "ghiblify/ops.h"
#include "test_ops_golden.h"

/* Fills img; truth (if not NULL) gets 1 on the sky. */
static void scene(struct gh_image *img, unsigned char *truth, int with_sky)
{
    int w = img->width, h = img->height;
    double tx = 0.7 * w, ty = 0.42 * h, tr = 0.12 * h; /* tree crown */
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            double horizon = 0.5 * h + 0.06 * h * sin(x * 12.0 / w) + 0.03 * h * ((x * 7 / w) % 2);
            int tree = (x - tx) * (x - tx) + (y - ty) * (y - ty) < tr * tr ||
                       (fabs(x - tx) < 0.02 * w && y > ty);
            int sky = with_sky && y < horizon && !tree;
            size_t i = (size_t)y * w + x;
            float rgb[3];
            if (sky) {
                double t = (double)y / h; /* deep blue at the top, paler down */
                rgb[0] = (float)(0.35 + 0.5 * t);
                rgb[1] = (float)(0.55 + 0.35 * t);
                rgb[2] = (float)(0.92 + 0.05 * t);
            } else {
                float base[3] = {tree ? 0.15f : 0.35f, tree ? 0.35f : 0.45f, tree ? 0.12f : 0.2f};
                for (int c = 0; c < 3; c++)
                    rgb[c] = base[c] + 0.3f * (check_hash01((unsigned)x, (unsigned)y, (unsigned)c) - 0.5f);
            }
            for (int c = 0; c < 3; c++)
                gh_image_plane(img, c)[i] = rgb[c];
            if (truth)
                truth[i] = (unsigned char)sky;
        }
}

static double iou(const struct gh_image *mask, const unsigned char *truth)
{
    size_t inter = 0, uni = 0;
    for (size_t i = 0; i < gh_image_plane_size(mask); i++) {
        int m = mask->data[i] > 0.5f;
        inter += m && truth[i];
        uni += m || truth[i];
    }
    return uni ? (double)inter / uni : 1.0;
}

static void test_scene(int w, int h)
{
    struct gh_image *img = NULL, *mask = NULL;
    unsigned char *truth = calloc((size_t)w * h, 1);
    CHECK_OK(gh_image_new(w, h, 3, &img));
    scene(img, truth, 1);
    CHECK_OK(gh_ops_sky_mask(img, 2, &mask));
    CHECK(mask && mask->width == w && mask->height == h && mask->channels == 1);
    if (mask) {
        double v = iou(mask, truth);
        float lo = 1, hi = 0;
        for (size_t i = 0; i < gh_image_plane_size(mask); i++) {
            lo = fminf(lo, mask->data[i]);
            hi = fmaxf(hi, mask->data[i]);
        }
        printf("sky %dx%d: IoU %.4f, range [%g, %g]\n", w, h, v, lo, hi);
        CHECK(v >= 0.9 && lo >= 0 && hi <= 1);
        /* the same bytes with one thread */
        struct gh_image *one = NULL;
        CHECK_OK(gh_ops_sky_mask(img, 1, &one));
        CHECK(one && !memcmp(one->data, mask->data, gh_image_plane_size(mask) * sizeof(float)));
        gh_image_free(one);
    }
    gh_image_free(mask);
    gh_image_free(img);
    free(truth);
}

static int all_zero(const struct gh_image *m)
{
    for (size_t i = 0; m && i < gh_image_plane_size(m); i++)
        if (m->data[i] != 0)
            return 0;
    return m != NULL;
}

static void test_no_sky(void)
{
    struct gh_image *img = NULL, *mask = NULL;
    CHECK_OK(gh_image_new(300, 200, 3, &img));
    scene(img, NULL, 0); /* texture everywhere */
    CHECK_OK(gh_ops_sky_mask(img, 2, &mask));
    CHECK(all_zero(mask));
    gh_image_free(mask);
    mask = NULL;
    /* a bright, smooth, pale wall in the lower half: sky-like but not touching the top */
    for (int c = 0; c < 3; c++)
        for (int y = 100; y < 200; y++)
            for (int x = 0; x < 300; x++)
                gh_image_plane(img, c)[y * 300 + x] = c == 2 ? 0.95f : 0.9f;
    CHECK_OK(gh_ops_sky_mask(img, 2, &mask));
    CHECK(all_zero(mask));
    gh_image_free(mask);
    mask = NULL;
    struct gh_image *gray = noise_image(8, 8, 1, 1);
    CHECK(gh_ops_sky_mask(gray, 1, &mask) == GH_ERR_ARGUMENT && !mask);
    gh_image_free(gray);
    gh_image_free(img);
}

int main(void)
{
    test_scene(256, 192);  /* decided at full size */
    test_scene(1000, 700); /* decided on a 512 px reduction */
    test_no_sky();
    return check_finish();
}
