/* Canny (following OpenCV's canny.cpp so the edge maps agree pixel for pixel) and XDoG. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ghiblify/ops.h"
#include "ops_internal.h"

enum { CANNY_SHIFT = 15, CANNY_TG22 = 13573 }; /* tan(22.5 degrees) << CANNY_SHIFT, as OpenCV */

#define CANNY_FN(name) canny_##name##_base
#define CANNY_TARGET
#include "canny_rows.h"
#undef CANNY_FN
#undef CANNY_TARGET
#if GH_OPS_X86
#define CANNY_FN(name) canny_##name##_avx2
#define CANNY_TARGET __attribute__((target("avx2")))
#include "canny_rows.h"
#undef CANNY_FN
#undef CANNY_TARGET
#endif

/* A growable stack of map pixels. */
struct canny_stack {
    uint8_t **at;
    size_t top, cap;
};

/* Room for n more entries; 0 when out of memory. */
static int stack_reserve(struct canny_stack *s, size_t n)
{
    if (s->top + n <= s->cap)
        return 1;
    size_t cap = s->cap ? s->cap : 1024;
    while (cap < s->top + n)
        cap *= 2;
    uint8_t **at = realloc(s->at, cap * sizeof *at);
    if (!at)
        return 0;
    s->at = at;
    s->cap = cap;
    return 1;
}

/* One band of rows, run by one thread: gradients over a ring of three rows, NMS and
 * hysteresis inside the band. Candidates next to the band in another band's rows
 * go to `outside` for the serial pass (the other band may still be writing them). */
struct canny_band {
    int y0, y1;
    struct canny_stack stack, outside;
    int failed;
};

struct canny_job {
    const uint8_t *src;
    size_t src_stride;
    int w, h, l2, low, high, avx2;
    uint8_t *map; /* (h + 2) x (w + 2): 0 candidate, 1 not an edge, 2 edge */
    struct canny_band *bands;
    /* output: dst (255 on edges) or dst_f (1 on edges) */
    uint8_t *dst;
    size_t dst_stride;
    float *dst_f;
};

static void canny_grad(const struct canny_job *j, int y, int16_t *sv, int16_t *dv, int16_t *dx,
                       int16_t *dy, int32_t *mag)
{
    if (y < 0 || y >= j->h) { /* OpenCV's zero magnitude outside the image */
        memset(mag - 1, 0, ((size_t)j->w + 2) * sizeof *mag);
        return;
    }
    const uint8_t *r1 = j->src + (size_t)y * j->src_stride;
    const uint8_t *r0 = y > 0 ? r1 - j->src_stride : r1;
    const uint8_t *r2 = y < j->h - 1 ? r1 + j->src_stride : r1;
#if GH_OPS_X86
    if (j->avx2) {
        canny_grad_row_avx2(r0, r1, r2, j->w, j->l2, sv, dv, dx, dy, mag);
        return;
    }
#endif
    canny_grad_row_base(r0, r1, r2, j->w, j->l2, sv, dv, dx, dy, mag);
}

static void canny_band_run(struct canny_job *j, struct canny_band *b)
{
    int w = j->w;
    size_t stride = (size_t)w + 2, wp = stride + 16;
    /* Three ring slots of dx, dy (w) and magnitude (w + 2, zero ends), plus sv, dv. */
    void *buf = malloc(3 * wp * (2 * sizeof(int16_t) + sizeof(int32_t)) + 2 * wp * sizeof(int16_t));
    if (!buf || !stack_reserve(&b->stack, (size_t)w)) {
        free(buf);
        b->failed = 1;
        return;
    }
    int32_t *mag[3];
    int16_t *dx[3], *dy[3];
    int32_t *mbase = buf;
    int16_t *ibase = (int16_t *)(mbase + 3 * wp);
    for (int k = 0; k < 3; k++) {
        mag[k] = mbase + (size_t)k * wp + 1;
        /* cppcheck-suppress negativeIndex ; mag[k] points one element into its row of wp = w + 2 */
        mag[k][-1] = mag[k][w] = 0;
        dx[k] = ibase + (size_t)k * wp;
        dy[k] = ibase + (size_t)(3 + k) * wp;
    }
    int16_t *sv = ibase + 6 * wp, *dv = sv + wp;
    /* slot of row y: (y + 3) % 3, y >= -1 */
    canny_grad(j, b->y0 - 1, sv, dv, dx[(b->y0 + 2) % 3], dy[(b->y0 + 2) % 3], mag[(b->y0 + 2) % 3]);
    canny_grad(j, b->y0, sv, dv, dx[b->y0 % 3], dy[b->y0 % 3], mag[b->y0 % 3]);
    for (int y = b->y0; y < b->y1; y++) {
        int p = (y + 2) % 3, c = y % 3, n = (y + 1) % 3;
        /* NOLINTNEXTLINE(clang-analyzer-core.CallAndMessage): y >= 0, so n is 0..2 */
        canny_grad(j, y + 1, sv, dv, dx[n], dy[n], mag[n]);
        uint8_t *row = j->map + (size_t)(y + 1) * stride;
        row[0] = row[w + 1] = 1;
#if GH_OPS_X86
        if (j->avx2)
            canny_nms_row_avx2(mag[p], mag[c], mag[n], dx[c], dy[c], w, j->low, j->high, row + 1);
        else
#endif
            canny_nms_row_base(mag[p], mag[c], mag[n], dx[c], dy[c], w, j->low, j->high, row + 1);
        /* Push the row's edge pixels (bit 1 set only in 2s), 8 map bytes at a time. */
        if (!stack_reserve(&b->stack, (size_t)w)) {
            b->failed = 1;
            break;
        }
        uint8_t **top = b->stack.at + b->stack.top;
        int x = 1;
        for (; x + 8 <= w + 1; x += 8) {
            uint64_t word;
            memcpy(&word, row + x, 8);
            if (word & 0x0202020202020202u)
                for (int k = 0; k < 8; k++)
                    if (row[x + k] == 2)
                        *top++ = row + x + k;
        }
        for (; x <= w; x++)
            if (row[x] == 2)
                *top++ = row + x;
        b->stack.top = (size_t)(top - b->stack.at);
    }
    free(buf);
    if (b->failed)
        return;
    /* Hysteresis inside the band: grow edges through 8-connected candidates. The
     * first and last bands own the map's top and bottom frame rows (all 1s). */
    const uint8_t *lo = j->map + (b->y0 == 0 ? 0 : (size_t)(b->y0 + 1) * stride);
    const uint8_t *hi = j->map + (b->y1 == j->h ? (size_t)(j->h + 2) : (size_t)(b->y1 + 1)) * stride;
    const ptrdiff_t off[8] = {-(ptrdiff_t)stride - 1, -(ptrdiff_t)stride, -(ptrdiff_t)stride + 1, -1,
                              1, (ptrdiff_t)stride - 1, (ptrdiff_t)stride, (ptrdiff_t)stride + 1};
    struct canny_stack *s = &b->stack;
    while (s->top > 0) {
        uint8_t *m = s->at[--s->top];
        if (!stack_reserve(s, 8)) {
            b->failed = 1;
            return;
        }
        for (int k = 0; k < 8; k++) {
            uint8_t *q = m + off[k];
            if (q >= lo && q < hi) {
                if (*q == 0) {
                    *q = 2;
                    s->at[s->top++] = q;
                }
            } else {
                if (!stack_reserve(&b->outside, 1)) {
                    b->failed = 1;
                    return;
                }
                b->outside.at[b->outside.top++] = q;
            }
        }
    }
}

static void canny_bands(void *ctx, int begin, int end)
{
    struct canny_job *j = ctx;
    for (int i = begin; i < end; i++)
        canny_band_run(j, &j->bands[i]);
}

static void canny_output(void *ctx, int begin, int end)
{
    struct canny_job *j = ctx;
    size_t stride = (size_t)j->w + 2;
    for (int y = begin; y < end; y++) {
        const uint8_t *map = j->map + (size_t)(y + 1) * stride + 1;
        if (j->dst_f) {
            float *o = j->dst_f + (size_t)y * (size_t)j->w;
            for (int x = 0; x < j->w; x++)
                o[x] = (float)(map[x] >> 1);
            continue;
        }
        uint8_t *o = j->dst + (size_t)y * j->dst_stride;
#if GH_OPS_X86
        if (j->avx2) {
            canny_out_row_u8_avx2(map, j->w, o);
            continue;
        }
#endif
        canny_out_row_u8_base(map, j->w, o);
    }
}

/* The Canny of the 8-bit plane src into dst or dst_f (see canny_job). */
static enum gh_status canny_run(const uint8_t *src, size_t src_stride, int w, int h, double low,
                                double high, int l2, int threads, uint8_t *dst, size_t dst_stride,
                                float *dst_f)
{
    struct canny_job j = {.src = src, .src_stride = src_stride, .w = w, .h = h, .l2 = l2 != 0,
                          .dst = dst, .dst_stride = dst_stride, .dst_f = dst_f,
                          .avx2 = gh_ops_simd_level() > 0};
    enum gh_status st = GH_OK;
    struct canny_stack serial = {0};
    if (w <= 0 || h <= 0)
        return gh_error(GH_ERR_ARGUMENT, "Canny on an empty %dx%d image", w, h);
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
    int nb = threads < 1 ? 1 : threads < h ? threads : h;
    size_t stride = (size_t)w + 2;
    j.map = malloc(stride * ((size_t)h + 2));
    j.bands = calloc((size_t)nb, sizeof *j.bands);
    if (!j.map || !j.bands) {
        st = gh_error(GH_ERR_NOMEM, "no memory for Canny on %dx%d", w, h);
        goto out;
    }
    memset(j.map, 1, stride);
    memset(j.map + (size_t)(h + 1) * stride, 1, stride);
    for (int i = 0; i < nb; i++) {
        j.bands[i].y0 = (int)((int64_t)h * i / nb);
        j.bands[i].y1 = (int)((int64_t)h * (i + 1) / nb);
    }
    gh_parallel_for(nb, threads, canny_bands, &j);
    /* Serial pass: continue the growth from candidates that touched another band. */
    for (int i = 0; i < nb; i++) {
        struct canny_band *b = &j.bands[i];
        if (b->failed) {
            st = gh_error(GH_ERR_NOMEM, "no memory for Canny on %dx%d", w, h);
            goto out;
        }
        for (size_t k = 0; k < b->outside.top; k++) {
            uint8_t *q = b->outside.at[k];
            if (*q != 0)
                continue;
            *q = 2;
            if (!stack_reserve(&serial, 1)) {
                st = gh_error(GH_ERR_NOMEM, "no memory for Canny on %dx%d", w, h);
                goto out;
            }
            serial.at[serial.top++] = q;
            while (serial.top > 0) {
                uint8_t *m = serial.at[--serial.top];
                if (!stack_reserve(&serial, 8)) {
                    st = gh_error(GH_ERR_NOMEM, "no memory for Canny on %dx%d", w, h);
                    goto out;
                }
                uint8_t *nbr[8] = {m - stride - 1, m - stride, m - stride + 1, m - 1,
                                   m + 1,          m + stride - 1, m + stride, m + stride + 1};
                for (int d = 0; d < 8; d++)
                    if (*nbr[d] == 0) {
                        *nbr[d] = 2;
                        serial.at[serial.top++] = nbr[d];
                    }
            }
        }
    }
    gh_parallel_for(h, threads, canny_output, &j);
out:
    for (int i = 0; j.bands && i < nb; i++) {
        free(j.bands[i].stack.at);
        free(j.bands[i].outside.at);
    }
    free(j.bands);
    free(j.map);
    free(serial.at);
    return st;
}

enum gh_status gh_ops_canny_u8(const uint8_t *src, size_t src_stride, int width, int height,
                               double low, double high, int l2, int threads, uint8_t *dst,
                               size_t dst_stride)
{
    if (src_stride < (size_t)width || dst_stride < (size_t)width)
        return gh_error(GH_ERR_ARGUMENT, "Canny: row strides %zu, %zu below the width %d",
                        src_stride, dst_stride, width);
    return canny_run(src, src_stride, width, height, low, high, l2, threads, dst, dst_stride,
                     NULL);
}

struct quantize_job {
    const float *in;
    uint8_t *out;
    int w;
};

/* round(v * 255) clamped to 0..255, as a uint8 image (round half up: vectorizes,
 * unlike lrintf). */
static void quantize_rows(void *ctx, int begin, int end)
{
    struct quantize_job *j = ctx;
    size_t a = (size_t)begin * (size_t)j->w, b = (size_t)end * (size_t)j->w;
    for (size_t i = a; i < b; i++) {
        float v = j->in[i] * 255.f + 0.5f;
        float y = v - 255.f;
        v = 0.5f * (v + fabsf(v));     /* max(v, 0) without a branch */
        v = v - 0.5f * (y + fabsf(y)); /* min(v, 255) */
        j->out[i] = (uint8_t)v;
    }
}

enum gh_status gh_ops_canny(const struct gh_image *gray, double low, double high, int l2,
                            int threads, struct gh_image **out)
{
    enum gh_status st;
    uint8_t *q = NULL;
    *out = NULL;
    if (gray->channels != 1)
        return gh_error(GH_ERR_ARGUMENT, "Canny needs a 1-channel image, not %d channels",
                        gray->channels);
    int w = gray->width, h = gray->height;
    q = malloc((size_t)w * (size_t)h);
    if (!q)
        return gh_error(GH_ERR_NOMEM, "no memory for Canny on %dx%d", w, h);
    struct quantize_job qj = {gray->data, q, w};
    gh_parallel_for(h, threads, quantize_rows, &qj);
    if ((st = gh_image_new(w, h, 1, out)) != GH_OK)
        goto out;
    st = canny_run(q, (size_t)w, w, h, low, high, l2, threads, NULL, 0, (*out)->data);
out:
    if (st != GH_OK) {
        gh_image_free(*out);
        *out = NULL;
    }
    free(q);
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
