/* Gaussian and bilateral filters with OpenCV's reflect-101 border. Simple exact
 * versions; the fast paths come with the image-operations work. */
#include <math.h>
#include <stdlib.h>

#include "ghiblify/ops.h"
#include "ops_internal.h"

/* OpenCV's Gaussian kernel (getGaussianKernel): ksize taps; sigma <= 0 derives
 * sigma from ksize, and small odd kernels with sigma <= 0 use OpenCV's fixed table. */
void gh_ops_gaussian_kernel(int ksize, double sigma, float *kernel)
{
    static const float small[4][7] = {
        {1.f},
        {0.25f, 0.5f, 0.25f},
        {0.0625f, 0.25f, 0.375f, 0.25f, 0.0625f},
        {0.03125f, 0.109375f, 0.21875f, 0.28125f, 0.21875f, 0.109375f, 0.03125f}};
    if (ksize % 2 == 1 && ksize <= 7 && sigma <= 0) {
        for (int i = 0; i < ksize; i++)
            kernel[i] = small[ksize / 2][i];
        return;
    }
    if (sigma <= 0)
        sigma = ((ksize - 1) * 0.5 - 1) * 0.3 + 0.8;
    double sum = 0, scale = -0.5 / (sigma * sigma), *tmp = NULL;
    double stack[64];
    tmp = ksize <= 64 ? stack : malloc((size_t)ksize * sizeof *tmp);
    if (!tmp) { /* tiny fallback: single precision in place */
        float fsum = 0;
        for (int i = 0; i < ksize; i++) {
            double x = i - (ksize - 1) * 0.5;
            fsum += kernel[i] = (float)exp(scale * x * x);
        }
        for (int i = 0; i < ksize; i++)
            kernel[i] /= fsum;
        return;
    }
    for (int i = 0; i < ksize; i++) {
        double x = i - (ksize - 1) * 0.5;
        sum += tmp[i] = exp(scale * x * x);
    }
    for (int i = 0; i < ksize; i++)
        kernel[i] = (float)(tmp[i] / sum);
    if (tmp != stack)
        free(tmp);
}

int gh_ops_gaussian_ksize_for(double sigma, int eight_bit)
{
    return ((int)lrint(sigma * (eight_bit ? 3 : 4) * 2 + 1)) | 1;
}

struct sep_job {
    const struct gh_image *src;
    struct gh_image *dst;
    const float *kernel; /* symmetric, 2 * radius + 1 taps */
    int radius;
};

/* Horizontal pass: each row is copied into a reflect-101 padded buffer so the
 * inner loops are plain, vectorizable multiply-adds. */
static void sep_rows_h(void *ctx, int begin, int end)
{
    struct sep_job *j = ctx;
    int w = j->src->width, h = j->src->height, r = j->radius;
    float *buf = malloc(((size_t)w + 2 * (size_t)r) * sizeof *buf);
    if (!buf) { /* no memory: slow path without the buffer */
        for (int row = begin; row < end; row++) {
            int c = row / h, y = row % h;
            const float *src = gh_image_plane(j->src, c) + (size_t)y * (size_t)w;
            float *dst = gh_image_plane(j->dst, c) + (size_t)y * (size_t)w;
            for (int x = 0; x < w; x++) {
                float acc = 0;
                for (int k = -r; k <= r; k++)
                    acc += j->kernel[k + r] * src[gh_ops_reflect101(x + k, w)];
                dst[x] = acc;
            }
        }
        return;
    }
    const float *kc = j->kernel + r;
    for (int row = begin; row < end; row++) {
        int c = row / h, y = row % h;
        const float *src = gh_image_plane(j->src, c) + (size_t)y * (size_t)w;
        float *dst = gh_image_plane(j->dst, c) + (size_t)y * (size_t)w;
        gh_ops_pad_row(src, w, r, buf);
        const float *b = buf + r;
        for (int x = 0; x < w; x++)
            dst[x] = kc[0] * b[x];
        for (int k = 1; k <= r; k++) {
            float wk = kc[k];
            for (int x = 0; x < w; x++)
                dst[x] += wk * (b[x - k] + b[x + k]);
        }
    }
    free(buf);
}

/* Vertical pass: whole rows at a time, reflected row indices. */
static void sep_rows_v(void *ctx, int begin, int end)
{
    struct sep_job *j = ctx;
    int w = j->src->width, h = j->src->height, r = j->radius;
    const float *kc = j->kernel + r;
    for (int row = begin; row < end; row++) {
        int c = row / h, y = row % h;
        const float *plane = gh_image_plane(j->src, c);
        float *dst = gh_image_plane(j->dst, c) + (size_t)y * (size_t)w;
        const float *mid = plane + (size_t)y * (size_t)w;
        for (int x = 0; x < w; x++)
            dst[x] = kc[0] * mid[x];
        for (int k = 1; k <= r; k++) {
            const float *up = plane + (size_t)gh_ops_reflect101(y - k, h) * (size_t)w;
            const float *dn = plane + (size_t)gh_ops_reflect101(y + k, h) * (size_t)w;
            float wk = kc[k];
            for (int x = 0; x < w; x++)
                dst[x] += wk * (up[x] + dn[x]);
        }
    }
}

enum gh_status gh_ops_separable(const struct gh_image *in, const float *kernel, int radius,
                                int threads, struct gh_image **out)
{
    struct gh_image *tmp = NULL;
    enum gh_status st;
    *out = NULL;
    if ((st = gh_image_new(in->width, in->height, in->channels, &tmp)) != GH_OK)
        return st;
    if ((st = gh_image_new(in->width, in->height, in->channels, out)) != GH_OK)
        goto out;
    struct sep_job job = {in, tmp, kernel, radius};
    gh_parallel_for(in->channels * in->height, threads, sep_rows_h, &job);
    job = (struct sep_job){tmp, *out, kernel, radius};
    gh_parallel_for(in->channels * in->height, threads, sep_rows_v, &job);
out:
    gh_image_free(tmp);
    return st;
}

enum gh_status gh_ops_gaussian_ksize(const struct gh_image *in, int ksize, double sigma,
                                     int threads, struct gh_image **out)
{
    *out = NULL;
    if (ksize <= 0) {
        if (!(sigma > 0))
            return gh_image_clone(in, out);
        if (sigma > 1000)
            return gh_error(GH_ERR_ARGUMENT, "Gaussian sigma %g too large", sigma);
        ksize = gh_ops_gaussian_ksize_for(sigma, 0);
    }
    if (ksize % 2 == 0 || ksize > 8001)
        return gh_error(GH_ERR_ARGUMENT, "Gaussian kernel size %d must be odd and at most 8001",
                        ksize);
    float *kernel = malloc((size_t)ksize * sizeof *kernel);
    if (!kernel)
        return gh_error(GH_ERR_NOMEM, "no memory for a Gaussian kernel");
    gh_ops_gaussian_kernel(ksize, sigma, kernel);
    enum gh_status st = gh_ops_separable(in, kernel, ksize / 2, threads, out);
    free(kernel);
    return st;
}

enum gh_status gh_ops_gaussian(const struct gh_image *in, double sigma, int threads,
                               struct gh_image **out)
{
    return gh_ops_gaussian_ksize(in, 0, sigma, threads, out);
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
                size_t at = (size_t)gh_ops_reflect101(y + j->dy[t], h) * (size_t)w +
                            (size_t)gh_ops_reflect101(x + j->dx[t], w);
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
    int radius = d > 0 ? d / 2 : (int)lrint(sigma_space * 1.5);
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
