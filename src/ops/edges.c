/* Canny (following OpenCV's canny.cpp so the edge maps agree pixel for pixel) and XDoG. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ghiblify/ops.h"
#include "ops_internal.h"

enum { CANNY_SHIFT = 15 };
/* tan(22.5 degrees) in CANNY_SHIFT fixed point, as OpenCV. */
static const int64_t TG22 = 13573;

struct canny_job {
    const struct gh_image *gray;
    int16_t *dx, *dy;
    int32_t *mag; /* (h + 2) x (w + 2), zero border */
    uint8_t *map; /* (h + 2) x (w + 2): 0 candidate, 1 not an edge, 2 strong */
    int l2, low, high;
};

/* Quantizes a row to 8-bit levels as cv2.Canny's uint8 input (round half up:
 * vectorizes, unlike lrintf). */
static void quantize_row(const float *p, int w, int32_t *q)
{
    for (int x = 0; x < w; x++) {
        float v = p[x] * 255.f + 0.5f;
        float y = v - 255.f;
        v = 0.5f * (v + fabsf(v));     /* max(v, 0) without a branch */
        v = v - 0.5f * (y + fabsf(y)); /* min(v, 255) */
        q[x] = (int32_t)v;
    }
}

/* 3x3 Sobel with replicated borders (as cv2.Canny), separably: vertical [1 2 1]
 * and [-1 0 1] sums first, then horizontal; integer loops that vectorize. The
 * three quantized source rows live in a small ring. */
static void canny_gradient(void *ctx, int begin, int end)
{
    struct canny_job *j = ctx;
    int w = j->gray->width, h = j->gray->height;
    const float *p = j->gray->data;
    int32_t *buf = malloc(5 * ((size_t)w + 2) * sizeof *buf);
    if (!buf) { /* cannot fail in gh_parallel_for: compute without buffers */
        for (int y = begin; y < end; y++)
            for (int x = 0; x < w; x++) {
                int ym = y > 0 ? y - 1 : 0, yp = y < h - 1 ? y + 1 : h - 1;
                int xm = x > 0 ? x - 1 : 0, xp = x < w - 1 ? x + 1 : w - 1;
#define Q(yy, xx) ((int)fminf(fmaxf(p[(size_t)(yy) * (size_t)w + (size_t)(xx)] * 255.f + 0.5f, 0.f), 255.f))
                int gx = Q(ym, xp) + 2 * Q(y, xp) + Q(yp, xp) - Q(ym, xm) - 2 * Q(y, xm) - Q(yp, xm);
                int gy = Q(yp, xm) + 2 * Q(yp, x) + Q(yp, xp) - Q(ym, xm) - 2 * Q(ym, x) - Q(ym, xp);
#undef Q
                size_t at = (size_t)y * (size_t)w + (size_t)x;
                j->dx[at] = (int16_t)gx;
                j->dy[at] = (int16_t)gy;
                j->mag[(size_t)(y + 1) * (size_t)(w + 2) + (size_t)x + 1] =
                    j->l2 ? gx * gx + gy * gy : abs(gx) + abs(gy);
            }
        return;
    }
    int32_t *sv = buf + 1, *dv = buf + (size_t)w + 3; /* one replicated value each side */
    int32_t *ring = buf + 2 * ((size_t)w + 2);
    int held[3] = {-1, -1, -1};
    for (int y = begin; y < end; y++) {
        const int32_t *r[3];
        for (int k = 0; k < 3; k++) {
            int sy = y - 1 + k;
            sy = sy < 0 ? 0 : sy > h - 1 ? h - 1 : sy;
            int32_t *slot = ring + (size_t)(sy % 3) * ((size_t)w + 2);
            if (held[sy % 3] != sy) {
                quantize_row(p + (size_t)sy * (size_t)w, w, slot);
                held[sy % 3] = sy;
            }
            r[k] = slot;
        }
        const int32_t *r0 = r[0], *r1 = r[1], *r2 = r[2];
        for (int x = 0; x < w; x++) {
            sv[x] = r0[x] + 2 * r1[x] + r2[x];
            dv[x] = r2[x] - r0[x];
        }
        sv[-1] = sv[0];
        sv[w] = sv[w - 1];
        dv[-1] = dv[0];
        dv[w] = dv[w - 1];
        int16_t *dx = j->dx + (size_t)y * (size_t)w, *dy = j->dy + (size_t)y * (size_t)w;
        int32_t *mag = j->mag + (size_t)(y + 1) * (size_t)(w + 2) + 1;
        for (int x = 0; x < w; x++) {
            int32_t gx = sv[x + 1] - sv[x - 1], gy = dv[x - 1] + 2 * dv[x] + dv[x + 1];
            dx[x] = (int16_t)gx;
            dy[x] = (int16_t)gy;
            int32_t ax = gx < 0 ? -gx : gx, ay = gy < 0 ? -gy : gy;
            mag[x] = j->l2 ? gx * gx + gy * gy : ax + ay;
        }
    }
    free(buf);
}

static void canny_nms(void *ctx, int begin, int end)
{
    struct canny_job *j = ctx;
    int w = j->gray->width;
    size_t stride = (size_t)w + 2;
    for (int y = begin; y < end; y++) {
        const int16_t *dxr = j->dx + (size_t)y * (size_t)w, *dyr = j->dy + (size_t)y * (size_t)w;
        const int32_t *m_a = j->mag + (size_t)(y + 1) * stride + 1;
        const int32_t *m_p = m_a - stride, *m_n = m_a + stride;
        uint8_t *map = j->map + (size_t)(y + 1) * stride + 1;
        for (int x = 0; x < w; x++) {
            int32_t m = m_a[x];
            int keep = 0;
            if (m > j->low) {
                int xs = dxr[x], ys = dyr[x];
                int64_t ax = abs(xs), ay = (int64_t)abs(ys) << CANNY_SHIFT;
                int64_t tg22x = ax * TG22;
                if (ay < tg22x) {
                    keep = m > m_a[x - 1] && m >= m_a[x + 1];
                } else {
                    int64_t tg67x = tg22x + (ax << (CANNY_SHIFT + 1));
                    if (ay > tg67x) {
                        keep = m > m_p[x] && m >= m_n[x];
                    } else {
                        int s = (xs ^ ys) < 0 ? -1 : 1;
                        keep = m > m_p[x - s] && m > m_n[x + s];
                    }
                }
            }
            map[x] = !keep ? 1 : m > j->high ? 2 : 0;
        }
    }
}

enum gh_status gh_ops_canny(const struct gh_image *gray, double low, double high, int l2,
                            int threads, struct gh_image **out)
{
    struct canny_job j = {.gray = gray, .l2 = l2 != 0};
    size_t *stack = NULL;
    enum gh_status st = GH_OK;
    *out = NULL;
    if (gray->channels != 1)
        return gh_error(GH_ERR_ARGUMENT, "Canny needs a 1-channel image, not %d channels",
                        gray->channels);
    if (!(low >= 0) || !(high >= 0))
        return gh_error(GH_ERR_ARGUMENT, "Canny thresholds must be >= 0 (%g, %g)", low, high);
    if (low > high) {
        double t = low;
        low = high;
        high = t;
    }
    if (j.l2) {
        low = fmin(32767.0, low);
        high = fmin(32767.0, high);
        low *= low;
        high *= high;
    }
    j.low = (int)floor(fmin(low, 2147483647.0));
    j.high = (int)floor(fmin(high, 2147483647.0));
    int w = gray->width, h = gray->height;
    size_t n = (size_t)w * (size_t)h, padded = ((size_t)w + 2) * ((size_t)h + 2);
    j.dx = malloc(n * sizeof *j.dx);
    j.dy = malloc(n * sizeof *j.dy);
    j.mag = malloc(padded * sizeof *j.mag);
    j.map = malloc(padded);
    stack = malloc(n * sizeof *stack);
    if (!j.dx || !j.dy || !j.mag || !j.map || !stack) {
        st = gh_error(GH_ERR_NOMEM, "no memory for Canny on %dx%d", w, h);
        goto out;
    }
    /* Only the one-pixel frame needs values: the passes write every inside pixel.
     * Magnitude 0 outside the image (as OpenCV's padding), map 1 (never an edge). */
    size_t stride = (size_t)w + 2;
    memset(j.mag, 0, stride * sizeof *j.mag);
    memset(j.mag + (size_t)(h + 1) * stride, 0, stride * sizeof *j.mag);
    memset(j.map, 1, stride);
    memset(j.map + (size_t)(h + 1) * stride, 1, stride);
    for (size_t y = 1; y <= (size_t)h; y++) {
        j.mag[y * stride] = j.mag[y * stride + stride - 1] = 0;
        j.map[y * stride] = j.map[y * stride + stride - 1] = 1;
    }
    gh_parallel_for(h, threads, canny_gradient, &j);
    gh_parallel_for(h, threads, canny_nms, &j);
    /* Hysteresis: grow strong pixels through 8-connected candidates. */
    size_t top = 0;
    for (size_t i = 0; i < padded; i++)
        if (j.map[i] == 2)
            stack[top++] = i;
    while (top > 0) {
        size_t i = stack[--top];
        static const int off[8][2] = {{-1, -1}, {0, -1}, {1, -1}, {-1, 0},
                                      {1, 0},   {-1, 1}, {0, 1},  {1, 1}};
        for (int k = 0; k < 8; k++) {
            size_t q = (size_t)((ptrdiff_t)i + off[k][0] + off[k][1] * (ptrdiff_t)stride);
            if (j.map[q] == 0) {
                j.map[q] = 2;
                stack[top++] = q;
            }
        }
    }
    if ((st = gh_image_new(w, h, 1, out)) != GH_OK)
        goto out;
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            (*out)->data[(size_t)y * (size_t)w + (size_t)x] =
                j.map[(size_t)(y + 1) * stride + (size_t)x + 1] == 2 ? 1.f : 0.f;
out:
    free(j.dx);
    free(j.dy);
    free(j.mag);
    free(j.map);
    free(stack);
    return st;
}

struct xdog_job {
    const struct gh_image *g1, *g2;
    struct gh_image *out;
    float tau, eps, phi;
};

static void xdog_rows(void *ctx, int begin, int end)
{
    struct xdog_job *j = ctx;
    size_t w = (size_t)j->out->width;
    for (int r = begin; r < end; r++) {
        size_t at = (size_t)r * w;
        const float *a = j->g1->data + at, *b = j->g2->data + at;
        float *o = j->out->data + at;
        for (size_t x = 0; x < w; x++) {
            float d = a[x] - j->tau * b[x];
            o[x] = d >= j->eps ? 1.f : 1.f + tanhf(j->phi * (d - j->eps));
        }
    }
}

enum gh_status gh_ops_xdog(const struct gh_image *in, double sigma, double k, double tau,
                           double epsilon, double phi, int threads, struct gh_image **out)
{
    struct gh_image *g1 = NULL, *g2 = NULL;
    enum gh_status st;
    *out = NULL;
    if (!(sigma > 0) || !(k > 0) || !isfinite(tau) || !isfinite(epsilon) || !(phi >= 0))
        return gh_error(GH_ERR_ARGUMENT, "XDoG parameters: sigma %g, k %g, tau %g, phi %g", sigma,
                        k, tau, phi);
    if ((st = gh_ops_gaussian(in, sigma, threads, &g1)) != GH_OK)
        goto out;
    if ((st = gh_ops_gaussian(in, sigma * k, threads, &g2)) != GH_OK)
        goto out;
    if ((st = gh_image_new(in->width, in->height, in->channels, out)) != GH_OK)
        goto out;
    struct xdog_job j = {g1, g2, *out, (float)tau, (float)epsilon, (float)phi};
    gh_parallel_for(in->channels * in->height, threads, xdog_rows, &j);
out:
    gh_image_free(g1);
    gh_image_free(g2);
    return st;
}
