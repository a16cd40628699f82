/* Gaussian and bilateral filters with OpenCV's reflect-101 border. Row kernels
 * exist twice, for the baseline ISA and for AVX2+FMA (picked at run time by
 * gh_ops_simd_level), from one always_inline body or as intrinsics. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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

/* Row kernels of the separable convolution with a symmetric kernel (kc[0] is the
 * center tap). Compiled for the baseline ISA and, on x86-64, for AVX2+FMA. */
static inline __attribute__((always_inline)) void
sym_row_h_body(int w, int r, const float *restrict kc, const float *restrict b,
               float *restrict dst)
{
    for (int x = 0; x < w; x++)
        dst[x] = kc[0] * b[x];
    for (int k = 1; k <= r; k++) {
        float wk = kc[k];
        for (int x = 0; x < w; x++)
            dst[x] += wk * (b[x - k] + b[x + k]);
    }
}

static inline __attribute__((always_inline)) void
sym_row_v_body(int w, int r, const float *restrict kc, const float *const *up,
               const float *const *dn, const float *restrict mid, float *restrict dst)
{
    for (int x = 0; x < w; x++)
        dst[x] = kc[0] * mid[x];
    for (int k = 1; k <= r; k++) {
        const float *restrict u = up[k], *restrict d = dn[k];
        float wk = kc[k];
        for (int x = 0; x < w; x++)
            dst[x] += wk * (u[x] + d[x]);
    }
}

static void sym_row_h_generic(int w, int r, const float *kc, const float *b, float *dst)
{
    sym_row_h_body(w, r, kc, b, dst);
}

static void sym_row_v_generic(int w, int r, const float *kc, const float *const *up,
                              const float *const *dn, const float *mid, float *dst)
{
    sym_row_v_body(w, r, kc, up, dn, mid, dst);
}

#if GH_OPS_X86
#include <immintrin.h>

/* Register-blocked: each group of 8 outputs accumulates all taps in a register,
 * so dst is written once instead of once per tap. */
__attribute__((target("avx2,fma"))) static void
sym_row_h_avx2(int w, int r, const float *kc, const float *b, float *dst)
{
    int x = 0;
    for (; x + 8 <= w; x += 8) {
        __m256 acc = _mm256_mul_ps(_mm256_set1_ps(kc[0]), _mm256_loadu_ps(b + x));
        for (int k = 1; k <= r; k++)
            acc = _mm256_fmadd_ps(_mm256_set1_ps(kc[k]),
                                  _mm256_add_ps(_mm256_loadu_ps(b + x - k), _mm256_loadu_ps(b + x + k)),
                                  acc);
        _mm256_storeu_ps(dst + x, acc);
    }
    for (; x < w; x++) {
        float acc = kc[0] * b[x];
        for (int k = 1; k <= r; k++)
            acc += kc[k] * (b[x - k] + b[x + k]);
        dst[x] = acc;
    }
}

__attribute__((target("avx2,fma"))) static void
sym_row_v_avx2(int w, int r, const float *kc, const float *const *up, const float *const *dn,
               const float *mid, float *dst)
{
    int x = 0;
    for (; x + 8 <= w; x += 8) {
        __m256 acc = _mm256_mul_ps(_mm256_set1_ps(kc[0]), _mm256_loadu_ps(mid + x));
        for (int k = 1; k <= r; k++)
            acc = _mm256_fmadd_ps(_mm256_set1_ps(kc[k]),
                                  _mm256_add_ps(_mm256_loadu_ps(up[k] + x), _mm256_loadu_ps(dn[k] + x)),
                                  acc);
        _mm256_storeu_ps(dst + x, acc);
    }
    for (; x < w; x++) {
        float acc = kc[0] * mid[x];
        for (int k = 1; k <= r; k++)
            acc += kc[k] * (up[k][x] + dn[k][x]);
        dst[x] = acc;
    }
}
#endif

/* Both passes fused: horizontally filtered rows live in a small ring of
 * min(2r + 1, h) rows (the reflected rows a window needs always lie inside it),
 * so no full-size intermediate image is written and read back. */
static void sep_rows_fused(void *ctx, int begin, int end)
{
    struct sep_job *j = ctx;
    int w = j->src->width, h = j->src->height, r = j->radius;
    int ring_rows = 2 * r + 1 < h ? 2 * r + 1 : h;
    /* Rows a power-of-two size apart (1024 floats) would all map to the same L1
     * sets, and the 2r + 1 rows the vertical pass reads at once then evict each
     * other: pad the stride to an odd number of cache lines. */
    size_t stride = (((size_t)w + 15) & ~(size_t)15) | 16;
    float *ring = malloc((size_t)ring_rows * stride * sizeof *ring);
    float *pad = malloc(((size_t)w + 2 * (size_t)r) * sizeof *pad);
    int *held = malloc((size_t)ring_rows * sizeof *held);
    const float **rows = malloc(2 * ((size_t)r + 1) * sizeof *rows);
    if (!ring || !pad || !held || !rows) { /* no memory: direct 2D sums, slow but exact */
        for (int row = begin; row < end; row++) {
            int c = row / h, y = row % h;
            const float *plane = gh_image_plane(j->src, c);
            float *dst = gh_image_plane(j->dst, c) + (size_t)y * (size_t)w;
            for (int x = 0; x < w; x++) {
                float acc = 0;
                for (int ky = -r; ky <= r; ky++) {
                    const float *srow = plane + (size_t)gh_ops_reflect101(y + ky, h) * (size_t)w;
                    float hs = 0;
                    for (int kx = -r; kx <= r; kx++)
                        hs += j->kernel[kx + r] * srow[gh_ops_reflect101(x + kx, w)];
                    acc += j->kernel[ky + r] * hs;
                }
                dst[x] = acc;
            }
        }
        goto out;
    }
    void (*hrow)(int, int, const float *, const float *, float *) = sym_row_h_generic;
    void (*vrow)(int, int, const float *, const float *const *, const float *const *,
                 const float *, float *) = sym_row_v_generic;
#if GH_OPS_X86
    if (gh_ops_simd_level() >= 1) {
        hrow = sym_row_h_avx2;
        vrow = sym_row_v_avx2;
    }
#endif
    int channel = -1;
    for (int row = begin; row < end; row++) {
        int c = row / h, y = row % h;
        const float *plane = gh_image_plane(j->src, c);
        if (c != channel) { /* a new plane: nothing in the ring is valid */
            for (int i = 0; i < ring_rows; i++)
                held[i] = -1;
            channel = c;
        }
        const float **up = rows, **dn = rows + r + 1;
        for (int k = -r; k <= r; k++) {
            int sy = gh_ops_reflect101(y + k, h), slot = sy % ring_rows;
            float *line = ring + (size_t)slot * stride;
            /* NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult): c >= 0 != -1: held[] reset on the first row */
            if (held[slot] != sy) {
                const float *src = plane + (size_t)sy * (size_t)w;
                if (w >= 4 * r) {
                    /* Only the borders need reflected pixels: the interior reads the
                     * source row in place instead of a padded copy of all of it. */
                    for (int i = -r; i < 2 * r; i++)
                        pad[i + r] = src[gh_ops_reflect101(i, w)];
                    hrow(r, r, j->kernel + r, pad + r, line);
                    hrow(w - 2 * r, r, j->kernel + r, src + r, line + r);
                    for (int i = w - 2 * r; i < w + r; i++)
                        pad[i - (w - 2 * r) + r] = src[gh_ops_reflect101(i, w)];
                    hrow(r, r, j->kernel + r, pad + 2 * r, line + w - r);
                } else {
                    gh_ops_pad_row(src, w, r, pad);
                    hrow(w, r, j->kernel + r, pad + r, line);
                }
                held[slot] = sy;
            }
            if (k < 0)
                up[-k] = line;
            else if (k > 0)
                dn[k] = line;
            else
                up[0] = line;
        }
        /* NOLINTNEXTLINE(clang-analyzer-core.CallAndMessage): r >= 0: k = 0 set up[0] */
        vrow(w, r, j->kernel + r, up, dn, up[0], gh_image_plane(j->dst, c) + (size_t)y * (size_t)w);
    }
out:
    free(ring);
    free(pad);
    free(held);
    free(rows);
}

enum gh_status gh_ops_separable(const struct gh_image *in, const float *kernel, int radius,
                                int threads, struct gh_image **out)
{
    enum gh_status st = gh_image_new_uninit(in->width, in->height, in->channels, out);
    if (st != GH_OK)
        return st;
    struct sep_job job = {in, *out, kernel, radius};
    gh_parallel_for(in->channels * in->height, threads, sep_rows_fused, &job);
    return GH_OK;
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

/* exp(x) for x <= 0, vectorizable: 2^n by exponent bits times a degree-6
 * polynomial on the reduced argument (relative error about 1e-7). */
static inline float exp_neg(float x)
{
    float y = x + 87.f; /* clamp to -87 without a branch, so loops still vectorize */
    x = 0.5f * (y + fabsf(y)) - 87.f;
    float n = (x * 1.44269504f + 12582912.f) - 12582912.f; /* round to nearest */
    float r = x - n * 0.693145751953125f - n * 1.428606765330187e-06f;
    float p = 1.f + r * (1.f + r * (0.5f + r * (0.16666667f + r * (0.041666668f +
                                        r * (0.0083333338f + r * 0.0013888889f)))));
    union {
        int32_t i;
        float f;
    } scale = {.i = ((int32_t)n + 127) * (1 << 23)};
    return p * scale.f;
}

struct bilateral_job {
    const float *padded; /* channels planes of (w + 2r) x (h + 2r), reflect-101 border */
    struct gh_image *dst;
    const int *dx, *dy;
    const float *space_weight;
    int taps, radius, channels;
    float color_coeff; /* -0.5 / sigma_color^2 in [0,1] units */
};

/* Adds one tap's contribution to a row of accumulators. The same body is
 * compiled for the baseline ISA and for AVX2+FMA (chosen at run time). */
static inline __attribute__((always_inline)) void
bilateral_tap3_body(int w, const float *restrict s0, const float *restrict s1,
                    const float *restrict s2, const float *restrict c0, const float *restrict c1,
                    const float *restrict c2, float sw, float coeff, float *restrict a0,
                    float *restrict a1, float *restrict a2, float *restrict wsum)
{
    for (int x = 0; x < w; x++) {
        float d = fabsf(s0[x] - c0[x]) + fabsf(s1[x] - c1[x]) + fabsf(s2[x] - c2[x]);
        float wt = sw * exp_neg(d * d * coeff);
        a0[x] += wt * s0[x];
        a1[x] += wt * s1[x];
        a2[x] += wt * s2[x];
        wsum[x] += wt;
    }
}

static void bilateral_tap_generic(int w, int ch, const float *const *src, const float *const *ctr,
                                  float sw, float coeff, float *const *acc, float *wsum)
{
    if (ch == 3) {
        bilateral_tap3_body(w, src[0], src[1], src[2], ctr[0], ctr[1], ctr[2], sw, coeff, acc[0],
                            acc[1], acc[2], wsum);
        return;
    }
    for (int x = 0; x < w; x++) {
        float d = 0;
        for (int c = 0; c < ch; c++)
            d += fabsf(src[c][x] - ctr[c][x]);
        float wt = sw * exp_neg(d * d * coeff);
        for (int c = 0; c < ch; c++)
            acc[c][x] += wt * src[c][x];
        wsum[x] += wt;
    }
}

typedef void (*bilateral_tap_fn)(int w, int ch, const float *const *src, const float *const *ctr,
                                 float sw, float coeff, float *const *acc, float *wsum);

#if GH_OPS_X86
__attribute__((target("avx2,fma"))) static void
bilateral_tap_avx2(int w, int ch, const float *const *src, const float *const *ctr, float sw,
                   float coeff, float *const *acc, float *wsum)
{
    if (ch != 3) {
        bilateral_tap_generic(w, ch, src, ctr, sw, coeff, acc, wsum);
        return;
    }
    bilateral_tap3_body(w, src[0], src[1], src[2], ctr[0], ctr[1], ctr[2], sw, coeff, acc[0],
                        acc[1], acc[2], wsum);
}
#endif

static void bilateral_rows(void *ctx, int begin, int end)
{
    struct bilateral_job *j = ctx;
    int w = j->dst->width, h = j->dst->height, ch = j->channels, r = j->radius;
    size_t pw = (size_t)w + 2 * (size_t)r, psize = pw * ((size_t)h + 2 * (size_t)r);
    bilateral_tap_fn tap = bilateral_tap_generic;
#if GH_OPS_X86
    if (gh_ops_simd_level() >= 1)
        tap = bilateral_tap_avx2;
#endif
    float *buf = malloc((size_t)(ch + 1) * (size_t)w * sizeof *buf);
    if (!buf) { /* no memory for accumulators: one pixel at a time */
        for (int y = begin; y < end; y++)
            for (int x = 0; x < w; x++) {
                float acc[4] = {0}, ws = 0;
                size_t c0 = (size_t)(y + r) * pw + (size_t)(x + r);
                for (int t = 0; t < j->taps; t++) {
                    size_t at = (size_t)((ptrdiff_t)c0 + j->dy[t] * (ptrdiff_t)pw + j->dx[t]);
                    float d = 0;
                    for (int c = 0; c < ch; c++)
                        d += fabsf(j->padded[(size_t)c * psize + at] - j->padded[(size_t)c * psize + c0]);
                    float wt = j->space_weight[t] * exp_neg(d * d * j->color_coeff);
                    for (int c = 0; c < ch; c++)
                        acc[c] += wt * j->padded[(size_t)c * psize + at];
                    ws += wt;
                }
                for (int c = 0; c < ch; c++)
                    gh_image_plane(j->dst, c)[(size_t)y * (size_t)w + (size_t)x] = acc[c] / ws;
            }
        return;
    }
    float *acc[4], *wsum = buf + (size_t)ch * (size_t)w;
    for (int c = 0; c < ch; c++)
        acc[c] = buf + (size_t)c * (size_t)w;
    for (int y = begin; y < end; y++) {
        memset(buf, 0, (size_t)(ch + 1) * (size_t)w * sizeof *buf);
        const float *ctr[4], *src[4];
        for (int c = 0; c < ch; c++)
            ctr[c] = j->padded + (size_t)c * psize + (size_t)(y + r) * pw + (size_t)r;
        for (int t = 0; t < j->taps; t++) {
            for (int c = 0; c < ch; c++)
                src[c] = ctr[c] + (ptrdiff_t)j->dy[t] * (ptrdiff_t)pw + j->dx[t];
            tap(w, ch, src, ctr, j->space_weight[t], j->color_coeff, acc, wsum);
        }
        for (int c = 0; c < ch; c++) {
            float *dst = gh_image_plane(j->dst, c) + (size_t)y * (size_t)w;
            for (int x = 0; x < w; x++)
                dst[x] = acc[c][x] / wsum[x];
        }
    }
    free(buf);
}

/* Bilateral filter with taps every `stride` pixels inside the circle of `radius`. */
static enum gh_status bilateral_impl(const struct gh_image *in, int radius, int stride, double sigma_color,
                                     double sigma_space, int threads, struct gh_image **out)
{
    int *dx = NULL, *dy = NULL;
    float *space_weight = NULL, *padded = NULL;
    enum gh_status st = GH_OK;
    int w = in->width, h = in->height, ch = in->channels;
    size_t pw = (size_t)w + 2 * (size_t)radius, ph = (size_t)h + 2 * (size_t)radius;
    size_t max_taps = (size_t)(2 * radius + 1) * (size_t)(2 * radius + 1);
    dx = malloc(max_taps * sizeof *dx);
    dy = malloc(max_taps * sizeof *dy);
    space_weight = malloc(max_taps * sizeof *space_weight);
    padded = malloc((size_t)ch * pw * ph * sizeof *padded);
    if (!dx || !dy || !space_weight || !padded) {
        st = gh_error(GH_ERR_NOMEM, "no memory for a bilateral filter on %dx%d", w, h);
        goto out;
    }
    int taps = 0;
    /* Circular support, as OpenCV; sparse taps stay centered on the pixel. */
    for (int y = -(radius / stride) * stride; y <= radius; y += stride)
        for (int x = -(radius / stride) * stride; x <= radius; x += stride) {
            double rr = sqrt((double)x * x + (double)y * y);
            if (rr > radius)
                continue;
            dx[taps] = x;
            dy[taps] = y;
            space_weight[taps] = (float)exp(-0.5 * rr * rr / (sigma_space * sigma_space));
            taps++;
        }
    for (int c = 0; c < ch; c++)
        for (size_t y = 0; y < ph; y++)
            gh_ops_pad_row(gh_image_plane(in, c) +
                               (size_t)gh_ops_reflect101((int)y - radius, h) * (size_t)w,
                           w, radius, padded + ((size_t)c * ph + y) * pw);
    if ((st = gh_image_new(w, h, ch, out)) != GH_OK)
        goto out;
    double sc = sigma_color / 255.0;
    struct bilateral_job job = {padded, *out, dx, dy, space_weight, taps, radius, ch,
                                (float)(-0.5 / (sc * sc))};
    gh_parallel_for(h, threads, bilateral_rows, &job);
out:
    free(dx);
    free(dy);
    free(space_weight);
    free(padded);
    return st;
}

enum gh_status gh_ops_bilateral(const struct gh_image *in, int d, double sigma_color,
                                double sigma_space, int threads, struct gh_image **out)
{
    *out = NULL;
    if (!(sigma_color > 0) || !(sigma_space > 0))
        return gh_error(GH_ERR_ARGUMENT, "bilateral sigmas must be positive (color %g, space %g)",
                        sigma_color, sigma_space);
    int radius = d > 0 ? d / 2 : (int)lrint(sigma_space * 1.5);
    if (radius > 100)
        return gh_error(GH_ERR_ARGUMENT, "bilateral diameter %d too large", 2 * radius + 1);
    return bilateral_impl(in, radius, 1, sigma_color, sigma_space, threads, out);
}

enum gh_status gh_ops_bilateral_fast(const struct gh_image *in, double sigma_color,
                                     double sigma_space, int threads, struct gh_image **out)
{
    *out = NULL;
    if (!(sigma_color > 0) || !(sigma_space > 0) || sigma_space > 1000)
        return gh_error(GH_ERR_ARGUMENT, "bilateral sigmas: color %g, space %g (0..1000]",
                        sigma_color, sigma_space);
    int radius = (int)lrint(sigma_space * 1.5);
    /* Taps every ~sigma/3 pixels: the sampled spatial Gaussian stays smooth, so the
     * tap count (about 64) no longer grows with the kernel. Prefiltering the
     * neighbors against aliasing was measured to lose more (it blurs across the
     * edges the range weight protects) than it gains. */
    int stride = (int)(sigma_space / 3);
    if (stride < 1)
        stride = 1;
    return bilateral_impl(in, radius, stride, sigma_color, sigma_space, threads, out);
}
