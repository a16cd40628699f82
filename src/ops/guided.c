/* Guided filter (He, Sun, Tang 2013), streamed over rows in double precision
 * (its variances are differences of nearly equal means, which float sums would
 * swamp).
 *
 * Level 1: running vertical sums of the guide, the source and their products
 * (formed on the fly, never stored), then running horizontal sums, give the box
 * means of one row; a and b of that row follow at once and go into a ring of
 * 2r + 2 rows. Level 2: the same running sums over that ring give the means of a
 * and b, and the output row. Nothing image-sized is written besides the output.
 *
 * Running sums depend on where they start, so vertical sums restart from zero at
 * fixed rows (every K rows: level-1 rows y with y + r a multiple of K, level-2
 * rows that are multiples of K) and work is handed out in whole K-row segments;
 * a chunk of segments recomputes the r level-1 rows on either side that it
 * needs. Every row is then computed the same way for any thread count. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "ghiblify/ops.h"
#include "ops_internal.h"

#define GF_FN(name) gf_##name##_base
#define GF_TARGET
#include "guided_rows.h"
#undef GF_FN
#undef GF_TARGET
#if GH_OPS_X86
#define GF_FN(name) gf_##name##_avx2
#define GF_TARGET __attribute__((target("avx2")))
#include "guided_rows.h"
#undef GF_FN
#undef GF_TARGET
#endif

enum { GF_MAXP1 = 25, GF_MAXP2 = 16, GF_MAXWORKERS = 64 };

/* Scratch of one worker; every row holds st doubles. */
struct gf_ws {
    double *v1, *m1, *k, *ring, *v2, *m2, *f;
};

struct gf_job {
    const float *base[7]; /* guide planes, then (unless self) source planes */
    float *out[4];
    float *coef[3][4]; /* set: per source channel, mean a per guide channel and mean b, not q */
    int8_t fac[GF_MAXP1][2]; /* level-1 plane = base[fac[0]] * base[fac[1]] (-1: 1) */
    int gc, sc, self, np1, np2, w, h, rx, ry, seg, nchunks, chunk, ring_rows, avx2;
    size_t st;
    double eps;
    const double *fx; /* 1 / (window width) per column */
    struct gf_ws *ws;
    atomic_int next_ws, next_chunk;
};

static const int pair3[3][3] = {{0, 1, 2}, {1, 3, 4}, {2, 4, 5}};

static void vacc(const struct gf_job *j, double *v, const float *a0, const float *a1,
                 const float *s0, const float *s1)
{
#if GH_OPS_X86
    if (j->avx2) {
        gf_vacc_avx2(v, a0, a1, s0, s1, j->w);
        return;
    }
#endif
    gf_vacc_base(v, a0, a1, s0, s1, j->w);
}

static void vaccd(const struct gf_job *j, double *v, const double *a, const double *s)
{
#if GH_OPS_X86
    if (j->avx2) {
        gf_vaccd_avx2(v, a, s, j->w);
        return;
    }
#endif
    gf_vaccd_base(v, a, s, j->w);
}

#if GH_OPS_X86
#include <immintrin.h>

/* 4 x 4 transpose: rows a..d in, columns out (in place). */
__attribute__((target("avx2"))) static inline void gf_transpose4(__m256d *a, __m256d *b, __m256d *c,
                                                                 __m256d *d)
{
    __m256d t0 = _mm256_unpacklo_pd(*a, *b), t1 = _mm256_unpackhi_pd(*a, *b);
    __m256d t2 = _mm256_unpacklo_pd(*c, *d), t3 = _mm256_unpackhi_pd(*c, *d);
    *a = _mm256_permute2f128_pd(t0, t2, 0x20);
    *b = _mm256_permute2f128_pd(t1, t3, 0x20);
    *c = _mm256_permute2f128_pd(t0, t2, 0x31);
    *d = _mm256_permute2f128_pd(t1, t3, 0x31);
}

/* gf_hbox with the four running sums of a group of planes in the lanes of one
 * register: blocks of 4 x 4 values are transposed in and out. The same
 * operations in the same order as the scalar loop, so the same bits. */
__attribute__((target("avx2"))) static void gf_hbox_lanes_avx2(const double *restrict v,
                                                               double *restrict out, int np,
                                                               size_t st, int w, int rx,
                                                               const double *restrict f)
{
    int xa = rx + 1 < w ? rx + 1 : w, xb = w - rx > xa ? w - rx : xa;
    int k = 0;
    for (; k + 4 <= np && xb - xa >= 8; k += 4) {
        const double *p[4];
        double *o[4], s[4];
        for (int i = 0; i < 4; i++) {
            p[i] = v + (size_t)(k + i) * st;
            o[i] = out + (size_t)(k + i) * st;
            s[i] = 0;
            for (int x = 0; x < rx && x < w; x++)
                s[i] += p[i][x];
            for (int x = 0; x < xa; x++) {
                if (x + rx < w)
                    s[i] += p[i][x + rx];
                o[i][x] = s[i] * f[x];
            }
        }
        __m256d acc = _mm256_loadu_pd(s);
        int x = xa;
        for (; x + 4 <= xb; x += 4) {
            __m256d d0 = _mm256_sub_pd(_mm256_loadu_pd(p[0] + x + rx), _mm256_loadu_pd(p[0] + x - rx - 1));
            __m256d d1 = _mm256_sub_pd(_mm256_loadu_pd(p[1] + x + rx), _mm256_loadu_pd(p[1] + x - rx - 1));
            __m256d d2 = _mm256_sub_pd(_mm256_loadu_pd(p[2] + x + rx), _mm256_loadu_pd(p[2] + x - rx - 1));
            __m256d d3 = _mm256_sub_pd(_mm256_loadu_pd(p[3] + x + rx), _mm256_loadu_pd(p[3] + x - rx - 1));
            gf_transpose4(&d0, &d1, &d2, &d3); /* now d_i: the 4 planes at x + i */
            acc = _mm256_add_pd(acc, d0);
            d0 = _mm256_mul_pd(acc, _mm256_broadcast_sd(f + x));
            acc = _mm256_add_pd(acc, d1);
            d1 = _mm256_mul_pd(acc, _mm256_broadcast_sd(f + x + 1));
            acc = _mm256_add_pd(acc, d2);
            d2 = _mm256_mul_pd(acc, _mm256_broadcast_sd(f + x + 2));
            acc = _mm256_add_pd(acc, d3);
            d3 = _mm256_mul_pd(acc, _mm256_broadcast_sd(f + x + 3));
            gf_transpose4(&d0, &d1, &d2, &d3);
            _mm256_storeu_pd(o[0] + x, d0);
            _mm256_storeu_pd(o[1] + x, d1);
            _mm256_storeu_pd(o[2] + x, d2);
            _mm256_storeu_pd(o[3] + x, d3);
        }
        _mm256_storeu_pd(s, acc);
        for (int i = 0; i < 4; i++) {
            for (int xx = x; xx < xb; xx++) {
                s[i] += p[i][xx + rx] - p[i][xx - rx - 1];
                o[i][xx] = s[i] * f[xx];
            }
            for (int xx = xb; xx < w; xx++) {
                s[i] -= p[i][xx - rx - 1];
                o[i][xx] = s[i] * f[xx];
            }
        }
    }
    if (k < np)
        gf_hbox_avx2(v, out, k, np, st, w, rx, f);
}
#endif

static void hbox(const struct gf_job *j, const double *v, double *out, int np, const double *f)
{
#if GH_OPS_X86
    if (j->avx2) {
        gf_hbox_lanes_avx2(v, out, np, j->st, j->w, j->rx, f);
        return;
    }
#endif
    gf_hbox_base(v, out, 0, np, j->st, j->w, j->rx, f);
}

/* f = 1 / (window size) for every column of row y. */
static void row_factors(const struct gf_job *j, int y, double *f)
{
    int lo = y - j->ry < 0 ? 0 : y - j->ry, hi = y + j->ry < j->h - 1 ? y + j->ry : j->h - 1;
    double iny = 1.0 / (hi - lo + 1);
    for (int x = 0; x < j->w; x++)
        f[x] = j->fx[x] * iny;
}

static const float *factor_row(const struct gf_job *j, int k, int which, int y)
{
    int b = j->fac[k][which];
    return b < 0 ? NULL : j->base[b] + (size_t)y * (size_t)j->w;
}

/* Level 1 for row y: box means, then a and b into the ring. */
static void level1_row(const struct gf_job *j, struct gf_ws *ws, int y)
{
    int h = j->h, r = j->ry, w = j->w;
    size_t st = j->st;
    if (y == 0 || (y + r) % j->seg == 0) {
        memset(ws->v1, 0, (size_t)j->np1 * st * sizeof *ws->v1);
        for (int yy = y - r < 0 ? 0 : y - r; yy <= y + r && yy < h; yy++)
            for (int k = 0; k < j->np1; k++)
                vacc(j, ws->v1 + (size_t)k * st, factor_row(j, k, 0, yy), factor_row(j, k, 1, yy),
                     NULL, NULL);
    } else {
        int ya = y + r < h ? y + r : -1, ys = y - r - 1, k = 0;
        if (j->gc == 3 && ya >= 0 && ys >= 0) {
            double *v = ws->v1;
            const float *a[3], *s[3];
            for (int c = 0; c < 3; c++) {
                a[c] = j->base[c] + (size_t)ya * (size_t)w;
                s[c] = j->base[c] + (size_t)ys * (size_t)w;
            }
#if GH_OPS_X86
            if (j->avx2)
                gf_vacc9_avx2(v, v + st, v + 2 * st, v + 3 * st, v + 4 * st, v + 5 * st, v + 6 * st,
                              v + 7 * st, v + 8 * st, a[0], a[1], a[2], s[0], s[1], s[2], w);
            else
#endif
                gf_vacc9_base(v, v + st, v + 2 * st, v + 3 * st, v + 4 * st, v + 5 * st, v + 6 * st,
                              v + 7 * st, v + 8 * st, a[0], a[1], a[2], s[0], s[1], s[2], w);
            k = 9;
        }
        for (; k < j->np1; k++)
            vacc(j, ws->v1 + (size_t)k * st, ya >= 0 ? factor_row(j, k, 0, ya) : NULL,
                 ya >= 0 ? factor_row(j, k, 1, ya) : NULL,
                 ys >= 0 ? factor_row(j, k, 0, ys) : NULL, ys >= 0 ? factor_row(j, k, 1, ys) : NULL);
    }
    row_factors(j, y, ws->f);
    hbox(j, ws->v1, ws->m1, j->np1, ws->f);
    /* means: I at 0, products of I from gc, then (unless self) p and I_c p */
    const double *m = ws->m1;
    int gc = j->gc, nii = gc == 3 ? 6 : 1;
    double *ab = ws->ring + (size_t)(y % j->ring_rows) * (size_t)j->np2 * st;
#if GH_OPS_X86
    int avx2 = j->avx2;
#endif
    /* in blocks of columns, so that the inverse stays in L1 for all channels */
    for (int x0 = 0; x0 < w; x0 += 256) {
        int n = w - x0 < 256 ? w - x0 : 256;
        const double *mx = m + x0;
        double *kx = ws->k + x0;
        if (gc == 3) {
#if GH_OPS_X86
            if (avx2)
                gf_inverse3_avx2(mx, st, j->eps, kx, n);
            else
#endif
                gf_inverse3_base(mx, st, j->eps, kx, n);
        }
        for (int ch = 0; ch < j->sc; ch++) {
            const double *mp = mx + (size_t)(j->self ? ch : gc + nii + ch) * st;
            double *a = ab + (size_t)(ch * gc) * st + x0, *b = ab + (size_t)(j->sc * gc + ch) * st + x0;
            if (gc == 3) {
                const double *mip[3];
                for (int c = 0; c < 3; c++)
                    mip[c] = mx + (size_t)(j->self ? 3 + pair3[c][ch]
                                                    : 3 + 6 + j->sc + ch * 3 + c) * st;
#if GH_OPS_X86
                if (avx2)
                    gf_coef3_avx2(kx, mx, mp, mip, st, a, a + st, a + 2 * st, b, n);
                else
#endif
                    gf_coef3_base(kx, mx, mp, mip, st, a, a + st, a + 2 * st, b, n);
            } else {
                const double *mip = mx + (size_t)(j->self ? 1 : 2 + j->sc + ch) * st;
#if GH_OPS_X86
                if (avx2)
                    gf_coef1_avx2(mx, mx + st, mp, mip, j->eps, a, b, n);
                else
#endif
                    gf_coef1_base(mx, mx + st, mp, mip, j->eps, a, b, n);
            }
        }
    }
}

static const double *ring_row(const struct gf_job *j, const struct gf_ws *ws, int y)
{
    return ws->ring + (size_t)(y % j->ring_rows) * (size_t)j->np2 * j->st;
}

/* Level 2 for row y (level-1 rows up to y + r are in the ring): the output row. */
static void level2_row(const struct gf_job *j, struct gf_ws *ws, int y)
{
    int h = j->h, r = j->ry;
    size_t st = j->st;
    if (y % j->seg == 0) {
        memset(ws->v2, 0, (size_t)j->np2 * st * sizeof *ws->v2);
        for (int yy = y - r < 0 ? 0 : y - r; yy <= y + r && yy < h; yy++) {
            const double *row = ring_row(j, ws, yy);
            for (int k = 0; k < j->np2; k++)
                vaccd(j, ws->v2 + (size_t)k * st, row + (size_t)k * st, NULL);
        }
    } else {
        const double *add = y + r < h ? ring_row(j, ws, y + r) : NULL;
        const double *sub = y - r - 1 >= 0 ? ring_row(j, ws, y - r - 1) : NULL;
        for (int k = 0; k < j->np2; k++)
            vaccd(j, ws->v2 + (size_t)k * st, add ? add + (size_t)k * st : NULL,
                  sub ? sub + (size_t)k * st : NULL);
    }
    row_factors(j, y, ws->f);
    hbox(j, ws->v2, ws->m2, j->np2, ws->f);
    const float *guide[3];
    for (int c = 0; c < j->gc; c++)
        guide[c] = j->base[c] + (size_t)y * (size_t)j->w;
    for (int ch = 0; ch < j->sc; ch++) {
        const double *ma = ws->m2 + (size_t)(ch * j->gc) * st,
                     *mb = ws->m2 + (size_t)(j->sc * j->gc + ch) * st;
        if (j->coef[0][0]) {
            for (int c = 0; c <= j->gc; c++) {
                const double *m = c < j->gc ? ma + (size_t)c * st : mb;
                float *row = j->coef[ch][c] + (size_t)y * (size_t)j->w;
                for (int x = 0; x < j->w; x++)
                    row[x] = (float)m[x];
            }
            continue;
        }
        float *q = j->out[ch] + (size_t)y * (size_t)j->w;
#if GH_OPS_X86
        if (j->avx2)
            gf_output_avx2(ma, st, mb, guide, j->gc, q, j->w);
        else
#endif
            gf_output_base(ma, st, mb, guide, j->gc, q, j->w);
    }
}

/* Output rows [y0, y1), y0 a multiple of the segment length. */
static void band(const struct gf_job *j, struct gf_ws *ws, int y0, int y1)
{
    int r = j->ry, h = j->h;
    int lo = y0 - r < 0 ? 0 : y0 - r, hi = y1 + r < h ? y1 + r : h;
    for (int y = lo; y < hi; y++) {
        level1_row(j, ws, y);
        if (y - r >= y0 && y - r < y1)
            level2_row(j, ws, y - r);
    }
    for (int y = hi - r > y0 ? hi - r : y0; y < y1; y++)
        level2_row(j, ws, y);
}

static void worker(void *ctx, int begin, int end)
{
    struct gf_job *j = ctx;
    for (int t = begin; t < end; t++) {
        struct gf_ws *ws = &j->ws[atomic_fetch_add(&j->next_ws, 1)];
        for (;;) {
            int c = atomic_fetch_add(&j->next_chunk, 1);
            if (c >= j->nchunks)
                break;
            int y0 = c * j->chunk * j->seg, y1 = y0 + j->chunk * j->seg;
            band(j, ws, y0, y1 < j->h ? y1 : j->h);
        }
    }
}

/* out: the filtered image, or with coef set, the coefficient images. */
static enum gh_status guided(const struct gh_image *guide, const struct gh_image *src, int radius,
                             double eps, int threads, struct gh_image **out, struct gh_image **coef)
{
    if (!out == !coef)
        return gh_error(GH_ERR_INTERNAL, "guided filter: an output or coefficients, one of them");
    if (out)
        *out = NULL;
    for (int ch = 0; coef && ch < src->channels && ch < 3; ch++)
        coef[ch] = NULL;
    if (guide->width != src->width || guide->height != src->height ||
        (guide->channels != 1 && guide->channels != 3))
        return gh_error(GH_ERR_ARGUMENT, "guided filter: guide %dx%dx%d for source %dx%d",
                        guide->width, guide->height, guide->channels, src->width, src->height);
    if (coef && src->channels > 3)
        return gh_error(GH_ERR_ARGUMENT, "guided filter coefficients of %d channels (at most 3)",
                        src->channels);
    if (radius < 0 || radius > GH_IMAGE_MAX_SIDE || !(eps >= 0))
        return gh_error(GH_ERR_ARGUMENT, "guided filter radius %d, eps %g", radius, eps);
    int w = src->width, h = src->height, gc = guide->channels, sc = src->channels;
    struct gf_job j = {.gc = gc, .sc = sc, .w = w, .h = h, .eps = eps};
    /* Windows clipped to the image: a radius beyond the size changes nothing. */
    j.rx = radius < w - 1 ? radius : w - 1;
    j.ry = radius < h - 1 ? radius : h - 1;
    /* The guide as its own source (the edge-preserving smoother): the source
     * products are products of the guide, so only those are summed. */
    j.self = guide == src || (gc == sc && !memcmp(guide->data, src->data,
                                                  (size_t)gc * gh_image_plane_size(src) * sizeof(float)));
    for (int c = 0; c < gc; c++)
        j.base[c] = gh_image_plane(guide, c);
    int np = 0;
    for (int c = 0; c < gc; c++) {
        j.fac[np][0] = (int8_t)c;
        j.fac[np++][1] = -1;
    }
    for (int c = 0; c < gc; c++)
        for (int d = c; d < gc; d++) {
            j.fac[np][0] = (int8_t)c;
            j.fac[np++][1] = (int8_t)d;
        }
    if (!j.self) {
        for (int ch = 0; ch < sc; ch++) {
            j.base[gc + ch] = gh_image_plane(src, ch);
            j.fac[np][0] = (int8_t)(gc + ch);
            j.fac[np++][1] = -1;
        }
        for (int ch = 0; ch < sc; ch++)
            for (int c = 0; c < gc; c++) {
                j.fac[np][0] = (int8_t)c;
                j.fac[np++][1] = (int8_t)(gc + ch);
            }
    }
    j.np1 = np;
    j.np2 = gc * sc + sc;
    /* Rows of 1024 doubles would alias in L1 across planes: pad to an odd number
     * of cache lines. */
    j.st = (((size_t)w + 7) & ~(size_t)7) | 8;
    j.ring_rows = 2 * j.ry + 2 < h ? 2 * j.ry + 2 : h;
    j.seg = 4 * j.ry > 64 ? 4 * j.ry : 64;
    int nseg = (h + j.seg - 1) / j.seg;
    if (threads > GF_MAXWORKERS)
        threads = GF_MAXWORKERS;
    j.chunk = threads <= 1 ? nseg : nseg / (2 * threads) > 1 ? nseg / (2 * threads) : 1;
    j.nchunks = (nseg + j.chunk - 1) / j.chunk;
    int nw = threads < 1 ? 1 : threads < j.nchunks ? threads : j.nchunks;
    j.avx2 = gh_ops_simd_level() > 0;
    atomic_init(&j.next_ws, 0);
    atomic_init(&j.next_chunk, 0);

    enum gh_status st = GH_OK;
    size_t per = (size_t)(2 * j.np1 + 6 + j.ring_rows * j.np2 + 2 * j.np2 + 1) * j.st;
    double *fx = malloc((size_t)w * sizeof *fx);
    double *mem = malloc((size_t)nw * per * sizeof *mem);
    struct gf_ws ws[GF_MAXWORKERS];
    if (!fx || !mem) {
        st = gh_error(GH_ERR_NOMEM, "no memory for a guided filter on %dx%d", w, h);
        goto out;
    }
    if (coef) {
        for (int ch = 0; ch < sc; ch++) {
            if ((st = gh_image_new_uninit(w, h, gc + 1, &coef[ch])) != GH_OK)
                goto out;
            for (int c = 0; c <= gc; c++)
                j.coef[ch][c] = gh_image_plane(coef[ch], c);
        }
    } else if (out) {
        if ((st = gh_image_new_uninit(w, h, sc, out)) != GH_OK)
            goto out;
        for (int ch = 0; ch < sc; ch++)
            j.out[ch] = gh_image_plane(*out, ch);
    }
    for (int x = 0; x < w; x++) {
        int lo = x - j.rx < 0 ? 0 : x - j.rx, hi = x + j.rx < w - 1 ? x + j.rx : w - 1;
        fx[x] = 1.0 / (hi - lo + 1);
    }
    j.fx = fx;
    for (int t = 0; t < nw; t++) {
        double *p = mem + (size_t)t * per;
        ws[t].v1 = p;
        ws[t].m1 = ws[t].v1 + (size_t)j.np1 * j.st;
        ws[t].k = ws[t].m1 + (size_t)j.np1 * j.st;
        ws[t].ring = ws[t].k + 6 * j.st;
        ws[t].v2 = ws[t].ring + (size_t)j.ring_rows * (size_t)j.np2 * j.st;
        ws[t].m2 = ws[t].v2 + (size_t)j.np2 * j.st;
        ws[t].f = ws[t].m2 + (size_t)j.np2 * j.st;
    }
    j.ws = ws;
    gh_parallel_for(nw, nw, worker, &j);
out:
    free(fx);
    free(mem);
    for (int ch = 0; st != GH_OK && coef && ch < sc; ch++) {
        gh_image_free(coef[ch]);
        coef[ch] = NULL;
    }
    return st;
}

enum gh_status gh_ops_guided(const struct gh_image *guide, const struct gh_image *src, int radius,
                             double eps, int threads, struct gh_image **out)
{
    return guided(guide, src, radius, eps, threads, out, NULL);
}

enum gh_status gh_ops_guided_coefficients(const struct gh_image *guide, const struct gh_image *src,
                                          int radius, double eps, int threads,
                                          struct gh_image *coef[3])
{
    return guided(guide, src, radius, eps, threads, NULL, coef);
}
