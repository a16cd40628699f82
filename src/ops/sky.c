/* Sky mask, see gh_ops_sky_mask in ops_filter.h.
 *
 * The decision is made on a reduced copy (long side <= SKY_WORK): sky is large
 * and smooth, so nothing is lost, and the flood fill stays cheap on 12 MP
 * photos. Edge placement is then the guided filter's job at full resolution. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ghiblify/ops.h"
#include "ops_internal.h"

#define SKY_WORK 512         /* long side of the image the decision is made on */
#define SKY_TEXTURE 0.02f    /* max mean |gradient| of luminance (per pixel) in 3x3 */
#define SKY_BRIGHT 0.35f     /* min luminance of a grey or white sky */
#define SKY_BLUE_BRIGHT 0.12f /* min luminance of a blue sky */
#define SKY_GREY_SAT 0.3f    /* max saturation (max - min) / max of a grey or white sky */
#define SKY_MIN_AREA 0.01    /* regions under this share of the image are not sky */

static float luma(const float *r, const float *g, const float *b, size_t i)
{
    return 0.299f * r[i] + 0.587f * g[i] + 0.114f * b[i];
}

/* 1 where a pixel of the reduced image can be sky: smooth, and bright and grey
 * (clouds, haze, overcast) or blue (a clear sky is blue whatever its brightness,
 * down to a dusk blue). */
static int sky_candidates(const struct gh_image *im, unsigned char *cand)
{
    int w = im->width, h = im->height;
    const float *r = gh_image_plane(im, 0), *g = gh_image_plane(im, 1), *b = gh_image_plane(im, 2);
    float *grad = malloc((size_t)w * (size_t)h * sizeof *grad);
    if (!grad)
        return -1;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            int xl = x > 0 ? x - 1 : x, xr = x < w - 1 ? x + 1 : x;
            int yu = y > 0 ? y - 1 : y, yd = y < h - 1 ? y + 1 : y;
            float gx = luma(r, g, b, (size_t)y * w + xr) - luma(r, g, b, (size_t)y * w + xl);
            float gy = luma(r, g, b, (size_t)yd * w + x) - luma(r, g, b, (size_t)yu * w + x);
            gx /= (float)(xr - xl > 0 ? xr - xl : 1);
            gy /= (float)(yd - yu > 0 ? yd - yu : 1);
            grad[(size_t)y * w + x] = sqrtf(gx * gx + gy * gy);
        }
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++) {
            /* texture: mean gradient over 3x3, so single smooth pixels inside
               foliage or gravel do not count */
            float t = 0;
            int cnt = 0;
            for (int dy = -1; dy <= 1; dy++)
                for (int dx = -1; dx <= 1; dx++) {
                    int xx = x + dx, yy = y + dy;
                    if (xx >= 0 && xx < w && yy >= 0 && yy < h) {
                        t += grad[(size_t)yy * w + xx];
                        cnt++;
                    }
                }
            t /= (float)cnt;
            size_t i = (size_t)y * w + x;
            float L = luma(r, g, b, i), mx = fmaxf(r[i], fmaxf(g[i], b[i])),
                  mn = fminf(r[i], fminf(g[i], b[i]));
            float sat = mx > 0 ? (mx - mn) / mx : 0;
            int blue = b[i] >= r[i] + 0.05f && b[i] >= g[i] - 0.02f && L >= SKY_BLUE_BRIGHT;
            int grey = L >= SKY_BRIGHT && sat <= SKY_GREY_SAT;
            cand[i] = t <= SKY_TEXTURE && (blue || grey);
        }
    free(grad);
    return 0;
}

/* Keeps the candidates 4-connected to the top row; returns how many. */
static size_t sky_fill(unsigned char *cand, int w, int h, int *stack)
{
    size_t top = 0, kept = 0;
    for (int x = 0; x < w; x++)
        /* NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult): cand[] is set for all w*h pixels */
        if (cand[x] == 1) {
            cand[x] = 2;
            stack[top++] = x;
        }
    while (top > 0) {
        int i = stack[--top], x = i % w, y = i / w;
        kept++;
        int nb[4] = {x > 0 ? i - 1 : -1, x < w - 1 ? i + 1 : -1, y > 0 ? i - w : -1,
                     y < h - 1 ? i + w : -1};
        for (int k = 0; k < 4; k++)
            if (nb[k] >= 0 && cand[nb[k]] == 1) {
                cand[nb[k]] = 2; /* marked when pushed: each pixel enters once */
                stack[top++] = nb[k];
            }
    }
    return kept;
}

enum gh_status gh_ops_sky_mask(const struct gh_image *photo, int threads, struct gh_image **mask)
{
    *mask = NULL;
    enum gh_status st = GH_OK;
    struct gh_image *small = NULL, *coarse = NULL, *up = NULL, *refined = NULL;
    unsigned char *cand = NULL;
    int *stack = NULL;
    if (photo->channels != 3)
        return gh_error(GH_ERR_ARGUMENT, "sky mask wants an RGB photo, not %d channels",
                        photo->channels);
    int W = photo->width, H = photo->height, longest = W > H ? W : H;
    double s = longest > SKY_WORK ? (double)SKY_WORK / longest : 1.0;
    int w = (int)lround(W * s), h = (int)lround(H * s);
    w = w < 1 ? 1 : w;
    h = h < 1 ? 1 : h;
    if (s < 1)
        st = gh_ops_resize(photo, w, h, GH_INTERP_AREA, threads, &small);
    else
        st = gh_image_clone(photo, &small);
    if (st != GH_OK)
        goto out;
    cand = malloc((size_t)w * (size_t)h);
    stack = malloc((size_t)w * (size_t)h * sizeof *stack);
    if (!cand || !stack) {
        st = gh_error(GH_ERR_NOMEM, "no memory for the sky mask of %dx%d", W, H);
        goto out;
    }
    if (sky_candidates(small, cand)) {
        st = gh_error(GH_ERR_NOMEM, "no memory for the sky mask of %dx%d", W, H);
        goto out;
    }
    size_t kept = sky_fill(cand, w, h, stack);
    if ((double)kept < SKY_MIN_AREA * w * h) { /* no sky: all zero */
        st = gh_image_new(W, H, 1, mask);
        goto out;
    }
    if ((st = gh_image_new(w, h, 1, &coarse)) != GH_OK)
        goto out;
    for (size_t i = 0; i < (size_t)w * (size_t)h; i++)
        coarse->data[i] = cand[i] == 2 ? 1.f : 0.f;
    if (s < 1)
        st = gh_ops_resize(coarse, W, H, GH_INTERP_LINEAR, threads, &up);
    else
        st = gh_image_clone(coarse, &up);
    if (st != GH_OK)
        goto out;
    /* The guided filter moves the coarse boundary onto the photo's edges; its
     * window spans a few reduced pixels so it covers the coarse mask's error. */
    int radius = (int)lround(4 / s);
    if ((st = gh_ops_guided(photo, up, radius, 1e-3, threads, &refined)) != GH_OK)
        goto out;
    for (size_t i = 0; i < (size_t)W * (size_t)H; i++)
        refined->data[i] = gh_ops_clampf(refined->data[i], 0.f, 1.f);
    *mask = refined;
    refined = NULL;
out:
    gh_image_free(small);
    gh_image_free(coarse);
    gh_image_free(up);
    gh_image_free(refined);
    free(cand);
    free(stack);
    return st;
}
