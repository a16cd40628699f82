/* Gaussian and bilateral filters with OpenCV's reflect-101 border. Simple exact
 * versions; the fast paths come with the image-operations work. */
#include <math.h>
#include <stdlib.h>

#include "ghiblify/ops.h"

/* Reflect-101 index (…cb|abc…|…ba), valid for any offset, also when n == 1. */
static inline int reflect101(int i, int n)
{
    if (n == 1)
        return 0;
    int period = 2 * (n - 1);
    i %= period;
    if (i < 0)
        i += period;
    return i < n ? i : period - i;
}

struct gauss_job {
    const struct gh_image *src;
    struct gh_image *dst;
    const float *kernel;
    int radius;
    int vertical;
};

static void gauss_rows(void *ctx, int begin, int end)
{
    struct gauss_job *j = ctx;
    int w = j->src->width, h = j->src->height, r = j->radius;
    for (int row = begin; row < end; row++) {
        int c = row / h, y = row % h;
        const float *plane = gh_image_plane(j->src, c);
        float *dst = gh_image_plane(j->dst, c) + (size_t)y * (size_t)w;
        for (int x = 0; x < w; x++) {
            float acc = 0;
            for (int k = -r; k <= r; k++) {
                float v = j->vertical ? plane[(size_t)reflect101(y + k, h) * (size_t)w + (size_t)x]
                                      : plane[(size_t)y * (size_t)w + (size_t)reflect101(x + k, w)];
                acc += j->kernel[k + r] * v;
            }
            dst[x] = acc;
        }
    }
}

enum gh_status gh_ops_gaussian(const struct gh_image *in, double sigma, int threads,
                               struct gh_image **out)
{
    struct gh_image *tmp = NULL;
    float *kernel = NULL;
    enum gh_status st;
    *out = NULL;
    if (!(sigma > 0))
        return gh_image_clone(in, out);
    if (sigma > 1000)
        return gh_error(GH_ERR_ARGUMENT, "Gaussian sigma %g too large", sigma);
    int radius = (int)lround(sigma * 4);
    kernel = malloc((size_t)(2 * radius + 1) * sizeof *kernel);
    if (!kernel)
        return gh_error(GH_ERR_NOMEM, "no memory for a Gaussian kernel");
    double sum = 0;
    for (int k = -radius; k <= radius; k++)
        sum += kernel[k + radius] = (float)exp(-(double)k * k / (2 * sigma * sigma));
    for (int k = 0; k <= 2 * radius; k++)
        kernel[k] = (float)(kernel[k] / sum);
    if ((st = gh_image_new(in->width, in->height, in->channels, &tmp)) != GH_OK)
        goto out;
    if ((st = gh_image_new(in->width, in->height, in->channels, out)) != GH_OK)
        goto out;
    struct gauss_job job = {in, tmp, kernel, radius, 0};
    gh_parallel_for(in->channels * in->height, threads, gauss_rows, &job);
    job = (struct gauss_job){tmp, *out, kernel, radius, 1};
    gh_parallel_for(in->channels * in->height, threads, gauss_rows, &job);
out:
    free(kernel);
    gh_image_free(tmp);
    return st;
}

struct bilateral_job {
    const struct gh_image *src;
    struct gh_image *dst;
    const int *dx, *dy;
    const float *space_weight;
    int taps;
    double color_coeff; /* -0.5 / sigma_color^2 in [0,1] units */
};

static void bilateral_rows(void *ctx, int begin, int end)
{
    struct bilateral_job *j = ctx;
    int w = j->src->width, h = j->src->height, ch = j->src->channels;
    for (int y = begin; y < end; y++) {
        for (int x = 0; x < w; x++) {
            size_t center = (size_t)y * (size_t)w + (size_t)x;
            double acc[4] = {0}, wsum = 0;
            for (int t = 0; t < j->taps; t++) {
                size_t at = (size_t)reflect101(y + j->dy[t], h) * (size_t)w +
                            (size_t)reflect101(x + j->dx[t], w);
                double dist = 0;
                for (int c = 0; c < ch; c++)
                    dist += fabs((double)gh_image_plane(j->src, c)[at] -
                                 gh_image_plane(j->src, c)[center]);
                double wt = j->space_weight[t] * exp(dist * dist * j->color_coeff);
                for (int c = 0; c < ch; c++)
                    acc[c] += wt * gh_image_plane(j->src, c)[at];
                wsum += wt;
            }
            for (int c = 0; c < ch; c++)
                gh_image_plane(j->dst, c)[center] = (float)(acc[c] / wsum);
        }
    }
}

enum gh_status gh_ops_bilateral(const struct gh_image *in, int d, double sigma_color,
                                double sigma_space, int threads, struct gh_image **out)
{
    int *dx = NULL, *dy = NULL;
    float *space_weight = NULL;
    enum gh_status st = GH_OK;
    *out = NULL;
    if (!(sigma_color > 0) || !(sigma_space > 0))
        return gh_error(GH_ERR_ARGUMENT, "bilateral sigmas must be positive (color %g, space %g)",
                        sigma_color, sigma_space);
    int radius = d > 0 ? d / 2 : (int)lround(sigma_space * 1.5);
    if (radius > 100)
        return gh_error(GH_ERR_ARGUMENT, "bilateral diameter %d too large", 2 * radius + 1);
    size_t max_taps = (size_t)(2 * radius + 1) * (size_t)(2 * radius + 1);
    dx = malloc(max_taps * sizeof *dx);
    dy = malloc(max_taps * sizeof *dy);
    space_weight = malloc(max_taps * sizeof *space_weight);
    if (!dx || !dy || !space_weight) {
        st = gh_error(GH_ERR_NOMEM, "no memory for a bilateral kernel");
        goto out;
    }
    int taps = 0;
    /* Circular support, as OpenCV. */
    for (int y = -radius; y <= radius; y++)
        for (int x = -radius; x <= radius; x++) {
            double r = sqrt((double)x * x + (double)y * y);
            if (r > radius)
                continue;
            dx[taps] = x;
            dy[taps] = y;
            space_weight[taps] = (float)exp(-0.5 * r * r / (sigma_space * sigma_space));
            taps++;
        }
    if ((st = gh_image_new(in->width, in->height, in->channels, out)) != GH_OK)
        goto out;
    double sc = sigma_color / 255.0;
    struct bilateral_job job = {in, *out, dx, dy, space_weight, taps, -0.5 / (sc * sc)};
    gh_parallel_for(in->height, threads, bilateral_rows, &job);
out:
    free(dx);
    free(dy);
    free(space_weight);
    return st;
}
