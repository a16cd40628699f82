/* Guided filter (He, Sun, Tang 2013), built on box means computed in double
 * precision: its variances are differences of nearly equal means, which float
 * sums would swamp. */
#include <math.h>
#include <stdlib.h>

#include "ghiblify/ops.h"
#include "ops_internal.h"

struct box_job {
    const double *in;
    double *out, *tmp;
    int w, h, r;
};

/* Horizontal window sums by a running sum, truncated at the borders. */
static void box_rows(void *ctx, int begin, int end)
{
    struct box_job *j = ctx;
    int w = j->w, r = j->r;
    for (int y = begin; y < end; y++) {
        const double *in = j->in + (size_t)y * (size_t)w;
        double *t = j->tmp + (size_t)y * (size_t)w, s = 0;
        for (int x = 0; x < r && x < w; x++)
            s += in[x];
        for (int x = 0; x < w; x++) {
            if (x + r < w)
                s += in[x + r];
            if (x - r - 1 >= 0)
                s -= in[x - r - 1];
            t[x] = s;
        }
    }
}

/* Vertical running sums over a band of rows, divided by the window's pixel count. */
static void box_cols(void *ctx, int begin, int end)
{
    struct box_job *j = ctx;
    int w = j->w, h = j->h, r = j->r;
    double *s = j->out + (size_t)begin * (size_t)w; /* accumulate in the first output row */
    for (int x = 0; x < w; x++)
        s[x] = 0;
    int lo = begin - r < 0 ? 0 : begin - r, hi = begin + r < h - 1 ? begin + r : h - 1;
    for (int y = lo; y <= hi; y++) {
        const double *t = j->tmp + (size_t)y * (size_t)w;
        for (int x = 0; x < w; x++)
            s[x] += t[x];
    }
    for (int y = begin; y < end; y++) {
        double *o = j->out + (size_t)y * (size_t)w;
        if (y > begin) {
            const double *prev = o - w;
            const double *add = y + r < h ? j->tmp + (size_t)(y + r) * (size_t)w : NULL;
            const double *sub = y - r - 1 >= 0 ? j->tmp + (size_t)(y - r - 1) * (size_t)w : NULL;
            for (int x = 0; x < w; x++)
                o[x] = prev[x] + (add ? add[x] : 0) - (sub ? sub[x] : 0);
        }
    }
    /* counts: (rows in window) x (cols in window); divide after all sums are done */
    for (int y = end - 1; y >= begin; y--) {
        double *o = j->out + (size_t)y * (size_t)w;
        int ylo = y - r < 0 ? 0 : y - r, yhi = y + r < h - 1 ? y + r : h - 1;
        double ny = yhi - ylo + 1;
        for (int x = 0; x < w; x++) {
            int xlo = x - r < 0 ? 0 : x - r, xhi = x + r < w - 1 ? x + r : w - 1;
            o[x] /= ny * (xhi - xlo + 1);
        }
    }
}

/* out = mean of in over the (2r+1)^2 window clipped to the image. */
static void box_mean(const double *in, double *out, double *tmp, int w, int h, int r, int threads)
{
    struct box_job j = {in, out, tmp, w, h, r};
    gh_parallel_for(h, threads, box_rows, &j);
    gh_parallel_for(h, threads, box_cols, &j);
}

static void to_double(const float *in, double *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = in[i];
}

static void product(const double *a, const double *b, double *out, size_t n)
{
    for (size_t i = 0; i < n; i++)
        out[i] = a[i] * b[i];
}

enum gh_status gh_ops_guided(const struct gh_image *guide, const struct gh_image *src, int radius,
                             double eps, int threads, struct gh_image **out)
{
    *out = NULL;
    if (guide->width != src->width || guide->height != src->height ||
        (guide->channels != 1 && guide->channels != 3))
        return gh_error(GH_ERR_ARGUMENT, "guided filter: guide %dx%dx%d for source %dx%d",
                        guide->width, guide->height, guide->channels, src->width, src->height);
    if (radius < 0 || radius > GH_IMAGE_MAX_SIDE || !(eps >= 0))
        return gh_error(GH_ERR_ARGUMENT, "guided filter radius %d, eps %g", radius, eps);
    int w = src->width, h = src->height, gc = guide->channels;
    size_t n = (size_t)w * (size_t)h;
    /* planes: I (gc), mean I (gc), corr II (6 or 1), p, mean p, Ip (gc), a (gc), b, tmp, prod */
    int nplanes = gc + gc + (gc == 3 ? 6 : 1) + 2 + gc + gc + 1 + 2;
    double *mem = malloc((size_t)nplanes * n * sizeof *mem);
    enum gh_status st = GH_OK;
    if (!mem)
        return gh_error(GH_ERR_NOMEM, "no memory for a guided filter on %dx%d", w, h);
    double *I = mem, *mI = I + (size_t)gc * n, *II = mI + (size_t)gc * n;
    double *p = II + (size_t)(gc == 3 ? 6 : 1) * n, *mp = p + n, *Ip = mp + n;
    double *a = Ip + (size_t)gc * n, *b = a + (size_t)gc * n, *tmp = b + n, *prod = tmp + n;
    if ((st = gh_image_new(w, h, src->channels, out)) != GH_OK)
        goto out;
    for (int c = 0; c < gc; c++) {
        to_double(gh_image_plane(guide, c), I + (size_t)c * n, n);
        box_mean(I + (size_t)c * n, mI + (size_t)c * n, tmp, w, h, radius, threads);
    }
    static const int pairs[6][2] = {{0, 0}, {0, 1}, {0, 2}, {1, 1}, {1, 2}, {2, 2}};
    for (int k = 0; k < (gc == 3 ? 6 : 1); k++) {
        product(I + (size_t)pairs[k][0] * n, I + (size_t)pairs[k][1] * n, prod, n);
        box_mean(prod, II + (size_t)k * n, tmp, w, h, radius, threads);
    }
    for (int ch = 0; ch < src->channels; ch++) {
        to_double(gh_image_plane(src, ch), p, n);
        box_mean(p, mp, tmp, w, h, radius, threads);
        for (int c = 0; c < gc; c++) {
            product(I + (size_t)c * n, p, prod, n);
            box_mean(prod, Ip + (size_t)c * n, tmp, w, h, radius, threads);
        }
        if (gc == 1) {
            for (size_t i = 0; i < n; i++) {
                double var = II[i] - mI[i] * mI[i], cov = Ip[i] - mI[i] * mp[i];
                a[i] = cov / (var + eps);
                b[i] = mp[i] - a[i] * mI[i];
            }
        } else {
            for (size_t i = 0; i < n; i++) {
                double m0 = mI[i], m1 = mI[n + i], m2 = mI[2 * n + i];
                double s00 = II[i] - m0 * m0 + eps, s01 = II[n + i] - m0 * m1,
                       s02 = II[2 * n + i] - m0 * m2, s11 = II[3 * n + i] - m1 * m1 + eps,
                       s12 = II[4 * n + i] - m1 * m2, s22 = II[5 * n + i] - m2 * m2 + eps;
                double c0 = Ip[i] - m0 * mp[i], c1 = Ip[n + i] - m1 * mp[i],
                       c2 = Ip[2 * n + i] - m2 * mp[i];
                /* symmetric 3x3 inverse by cofactors */
                double i00 = s11 * s22 - s12 * s12, i01 = s02 * s12 - s01 * s22,
                       i02 = s01 * s12 - s02 * s11, i11 = s00 * s22 - s02 * s02,
                       i12 = s01 * s02 - s00 * s12, i22 = s00 * s11 - s01 * s01;
                double det = s00 * i00 + s01 * i01 + s02 * i02;
                double a0 = (i00 * c0 + i01 * c1 + i02 * c2) / det,
                       a1 = (i01 * c0 + i11 * c1 + i12 * c2) / det,
                       a2 = (i02 * c0 + i12 * c1 + i22 * c2) / det;
                a[i] = a0;
                a[n + i] = a1;
                a[2 * n + i] = a2;
                b[i] = mp[i] - a0 * m0 - a1 * m1 - a2 * m2;
            }
        }
        /* q = mean(a) . I + mean(b); means reuse the Ip and mp planes */
        for (int c = 0; c < gc; c++)
            box_mean(a + (size_t)c * n, Ip + (size_t)c * n, tmp, w, h, radius, threads);
        box_mean(b, mp, tmp, w, h, radius, threads);
        float *q = gh_image_plane(*out, ch);
        for (size_t i = 0; i < n; i++) {
            double v = mp[i];
            for (int c = 0; c < gc; c++)
                v += Ip[(size_t)c * n + i] * I[(size_t)c * n + i];
            q[i] = (float)v;
        }
    }
out:
    free(mem);
    return st;
}
