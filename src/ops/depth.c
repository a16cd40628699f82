/* Built-in monocular depth estimate, see gh_ops_depth_estimate in ops_filter.h.
 *
 * No network: outdoor photos share a few strong regularities, and each gives a
 * cue for how far a pixel is.
 *   - Position: the ground recedes upward from the lower border to the horizon.
 *   - Haze: light scattered by the air adds a veil that grows with distance;
 *     the dark channel (the minimum over a patch and the three channels) of a
 *     haze-free region is near 0, so a high dark channel means a far region
 *     (He, Sun and Tang, CVPR 2009, "Single Image Haze Removal Using Dark
 *     Channel Prior").
 *   - Texture: near surfaces show their detail; far ones are small, blurred and
 *     hazed into flat tones, so low local gradient energy hints at distance.
 *   - Sky: the farthest thing in the picture (the sky mask).
 * The cues are mixed at a reduced size (long side DEPTH_WORK), smoothed to
 * region scale, normalized by percentiles (a few outliers must not set the
 * range), brought back to the photo's size and refined by a guided filter with
 * the photo as guide, so depth edges land on the photo's edges.
 * Where it fails: indoor scenes and close-ups (no receding ground, no haze),
 * photos looking down, and bright near objects at the top of the frame. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ghiblify/ops.h"
#include "ops_internal.h"

#define DEPTH_WORK 256       /* long side the cues are computed at */
#define DEPTH_PATCH 3        /* dark-channel window radius at DEPTH_WORK (7x7) */
#define DEPTH_TEXTURE_R 6    /* texture energy box radius at DEPTH_WORK */
#define DEPTH_SMOOTH 6.0     /* Gaussian sigma of the mixed cues at DEPTH_WORK */
#define DEPTH_W_POSITION 0.5f
#define DEPTH_W_HAZE 0.3f
#define DEPTH_W_TEXTURE 0.2f
#define DEPTH_LAND_FAR 0.85f /* farthest land, below the sky's 1 */

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

/* The p-quantile (0..1) of v[0..n) (n > 0), by sorting a copy. */
static float quantile(const float *v, size_t n, float p, float *scratch)
{
    memcpy(scratch, v, n * sizeof *v);
    qsort(scratch, n, sizeof *scratch, cmp_float);
    size_t k = (size_t)(p * (float)(n - 1) + 0.5f);
    return scratch[k < n ? k : n - 1];
}

/* Minimum (or, with mean set, the mean) over a (2r+1)^2 box clipped at the borders, separably. */
static void box_pass(const float *in, float *tmp, float *out, int w, int h, int r, int mean)
{
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int x0 = x - r < 0 ? 0 : x - r, x1 = x + r >= w ? w - 1 : x + r;
            float acc = mean ? 0.0f : INFINITY;
            for (int k = x0; k <= x1; k++) {
                /* NOLINTNEXTLINE(clang-analyzer-core.uninitialized.Assign): in is a full w*h plane */
                float v = in[(size_t)y * w + k];
                acc = mean ? acc + v : (v < acc ? v : acc);
            }
            tmp[(size_t)y * w + x] = mean ? acc / (float)(x1 - x0 + 1) : acc;
        }
    for (int y = 0; y < h; y++) {
        int y0 = y - r < 0 ? 0 : y - r, y1 = y + r >= h ? h - 1 : y + r;
        for (int x = 0; x < w; x++) {
            float acc = mean ? 0.0f : INFINITY;
            for (int k = y0; k <= y1; k++) {
                float v = tmp[(size_t)k * w + x];
                acc = mean ? acc + v : (v < acc ? v : acc);
            }
            out[(size_t)y * w + x] = mean ? acc / (float)(y1 - y0 + 1) : acc;
        }
    }
}

/* Land farness (0 near .. 1 far) of the reduced photo from position, haze and texture. */
static enum gh_status land_farness(const struct gh_image *im, const struct gh_image *sky,
                                   struct gh_image *far)
{
    int w = im->width, h = im->height;
    size_t n = (size_t)w * (size_t)h;
    const float *r = gh_image_plane(im, 0), *g = gh_image_plane(im, 1), *b = gh_image_plane(im, 2);
    float *buf = malloc(5 * n * sizeof *buf);
    if (!buf)
        return gh_error(GH_ERR_NOMEM, "depth: out of memory");
    float *mn = buf, *tmp = buf + n, *dark = buf + 2 * n, *tex = buf + 3 * n, *scratch = buf + 4 * n;
    for (size_t i = 0; i < n; i++)
        mn[i] = fminf(r[i], fminf(g[i], b[i]));
    box_pass(mn, tmp, dark, w, h, DEPTH_PATCH, 0);
    /* Luma gradient magnitude, then its local mean: the texture energy. */
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int xl = x > 0 ? x - 1 : x, xr = x < w - 1 ? x + 1 : x;
            int yu = y > 0 ? y - 1 : y, yd = y < h - 1 ? y + 1 : y;
            size_t i = (size_t)y * w;
#define LUMA(k) (0.299f * r[k] + 0.587f * g[k] + 0.114f * b[k])
            float gx = LUMA(i + xr) - LUMA(i + xl);
            float gy = LUMA((size_t)yd * w + x) - LUMA((size_t)yu * w + x);
#undef LUMA
            mn[i + x] = sqrtf(gx * gx + gy * gy);
        }
    box_pass(mn, tmp, tex, w, h, DEPTH_TEXTURE_R, 1);
    /* Scales from the land only: the sky is smooth and bright and would set
     * both ranges. With no land at all, any scale does. */
    size_t m = 0;
    for (size_t i = 0; i < n; i++)
        if (!sky || sky->data[i] < 0.5f)
            tmp[m++] = dark[i];
    float airlight = 1.0f, busy = 1.0f;
    if (m > 0) {
        airlight = fmaxf(quantile(tmp, m, 0.999f, scratch), 0.05f);
        m = 0;
        for (size_t i = 0; i < n; i++)
            if (!sky || sky->data[i] < 0.5f)
                tmp[m++] = tex[i];
        busy = fmaxf(quantile(tmp, m, 0.95f, scratch), 1e-4f);
    }
    for (int y = 0; y < h; y++) {
        float pos = h > 1 ? 1.0f - (float)y / (float)(h - 1) : 0.5f;
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * w + x;
            float haze = fminf(dark[i] / airlight, 1.0f);
            float flat = 1.0f - fminf(tex[i] / busy, 1.0f);
            far->data[i] = DEPTH_W_POSITION * pos + DEPTH_W_HAZE * haze + DEPTH_W_TEXTURE * flat;
        }
    }
    free(buf);
    return GH_OK;
}

enum gh_status gh_ops_depth_estimate(const struct gh_image *photo, const struct gh_image *sky,
                                     int threads, struct gh_image **depth)
{
    *depth = NULL;
    if (!photo || photo->channels != 3)
        return gh_error(GH_ERR_ARGUMENT, "depth: needs an RGB photo");
    if (sky && (sky->channels != 1 || sky->width != photo->width || sky->height != photo->height))
        return gh_error(GH_ERR_ARGUMENT, "depth: the sky mask must be 1-channel, the photo's size");
    int W = photo->width, H = photo->height, side = W > H ? W : H;
    double scale = side > DEPTH_WORK ? (double)DEPTH_WORK / side : 1.0;
    int w = (int)(W * scale + 0.5), h = (int)(H * scale + 0.5);
    w = w < 1 ? 1 : w;
    h = h < 1 ? 1 : h;
    struct gh_image *small = NULL, *small_sky = NULL, *far = NULL, *smooth = NULL, *big = NULL;
    struct gh_image *gray = NULL;
    float *scratch = NULL;
    enum gh_status st;
    if ((st = gh_ops_resize(photo, w, h, GH_INTERP_AREA, threads, &small)) != GH_OK)
        goto out;
    if (sky && (st = gh_ops_resize(sky, w, h, GH_INTERP_AREA, threads, &small_sky)) != GH_OK)
        goto out;
    if ((st = gh_image_new_uninit(w, h, 1, &far)) != GH_OK)
        goto out;
    if ((st = land_farness(small, small_sky, far)) != GH_OK)
        goto out;
    int small_side = w > h ? w : h;
    if ((st = gh_ops_gaussian(far, DEPTH_SMOOTH * small_side / DEPTH_WORK, threads, &smooth)) != GH_OK)
        goto out;
    /* Land to [0, DEPTH_LAND_FAR] by its 2nd and 98th percentiles; sky at 1. */
    size_t n = (size_t)w * (size_t)h, m = 0;
    if (!(scratch = malloc(2 * n * sizeof *scratch))) {
        st = gh_error(GH_ERR_NOMEM, "depth: out of memory");
        goto out;
    }
    for (size_t i = 0; i < n; i++)
        if (!small_sky || small_sky->data[i] < 0.5f)
            scratch[m++] = smooth->data[i];
    float lo = 0, hi = 1;
    if (m > 0) {
        lo = quantile(scratch, m, 0.02f, scratch + n);
        hi = quantile(scratch, m, 0.98f, scratch + n);
    }
    float span = hi - lo > 1e-4f ? hi - lo : 1e-4f;
    for (size_t i = 0; i < n; i++) {
        float f = (smooth->data[i] - lo) / span;
        f = DEPTH_LAND_FAR * (f < 0 ? 0 : f > 1 ? 1 : f);
        smooth->data[i] = f;
    }
    if ((st = gh_ops_resize(smooth, W, H, GH_INTERP_LINEAR, threads, &big)) != GH_OK)
        goto out;
    /* The sky at full resolution (its edges are already the photo's), then
     * depth = 1 - farness, edges refined on the photo. */
    for (size_t i = 0, N = (size_t)W * (size_t)H; i < N; i++) {
        float s = sky ? sky->data[i] : 0.0f;
        big->data[i] = 1.0f - (big->data[i] * (1.0f - s) + s);
    }
    /* A gray guide: a third of the color guide's time (its 3x3 covariance per
     * pixel), and depth edges are luminance edges often enough. */
    int radius = (int)(side / 64.0 + 0.5);
    if ((st = gh_ops_rgb_to_gray(photo, threads, &gray)) != GH_OK)
        goto out;
    st = gh_ops_guided(gray, big, radius < 2 ? 2 : radius, 1e-3, threads, depth);
    if (st == GH_OK)
        for (size_t i = 0, N = (size_t)W * (size_t)H; i < N; i++) {
            float v = (*depth)->data[i];
            (*depth)->data[i] = v < 0 ? 0 : v > 1 ? 1 : v;
        }
out:
    free(scratch);
    gh_image_free(small);
    gh_image_free(small_sky);
    gh_image_free(far);
    gh_image_free(smooth);
    gh_image_free(big);
    gh_image_free(gray);
    return st;
}
