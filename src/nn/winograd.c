/* Winograd F(4x4, 3x3) for stride-1, undilated 3x3 convolutions (Lavin &
 * Gray 2015): each 4x4 output tile comes from a 6x6 input tile through
 *   Y = A^T [ (G g G^T) (.) (B^T d B) ] A,
 * so the 36 multiplications per input channel and tile become 36 batched
 * products U[xi][M][C] x V[xi][C][tiles] (gemm_kernel.c): 2.25x fewer
 * multiply-adds than im2col (4x for the products alone).
 *
 * Tiles are processed in bands (a range of tile indices) so V and the
 * products stay in cache; each thread owns whole bands and runs single-
 * threaded GEMMs, so no thread waits on another inside a band. Padding (zero,
 * or reflect for a folded Pad) is applied while the 6x6 input tiles are read,
 * never materialized. */
#include "nn/nn_winograd.h"

#include <string.h>

#define T 36 /* 6x6 transformed tile */
/* The 36 planes of V (and of the products) are C x band floats apart, a
 * multiple of 4 KB for most layers: the transforms' 36 writes (reads) of a
 * step then fall in the same few cache sets and evict each other. One extra
 * cache line per plane spreads them over 36 sets. */
#define SKEW 16

void gh_nn_wino_weights(const float *w, int64_t m, int64_t c, float *u)
{
    static const float G[6][3] = {{1.0f / 4, 0, 0},
                                  {-1.0f / 6, -1.0f / 6, -1.0f / 6},
                                  {-1.0f / 6, 1.0f / 6, -1.0f / 6},
                                  {1.0f / 24, 1.0f / 12, 1.0f / 6},
                                  {1.0f / 24, -1.0f / 12, 1.0f / 6},
                                  {0, 0, 1}};
    size_t mc = (size_t)m * (size_t)c;
    for (int64_t o = 0; o < m; o++)
        for (int64_t i = 0; i < c; i++) {
            const float *g = w + ((size_t)o * c + i) * 9;
            double tmp[6][3], r[6][6];
            for (int a = 0; a < 6; a++)
                for (int b = 0; b < 3; b++)
                    tmp[a][b] = G[a][0] * (double)g[0 * 3 + b] + G[a][1] * (double)g[1 * 3 + b] +
                                G[a][2] * (double)g[2 * 3 + b];
            for (int a = 0; a < 6; a++)
                for (int b = 0; b < 6; b++)
                    r[a][b] = tmp[a][0] * G[b][0] + tmp[a][1] * G[b][1] + tmp[a][2] * G[b][2];
            for (int xi = 0; xi < T; xi++)
                u[(size_t)xi * mc + (size_t)o * c + i] = (float)r[xi / 6][xi % 6];
        }
}

/* Input coordinate i (may be outside [0, n)) as an index, or -1 for zero. */
static inline int64_t src_index(int64_t i, int64_t n, int reflect, int64_t pad_lo, int64_t pad_hi)
{
    if (i >= 0 && i < n)
        return i;
    if (!reflect || i < -pad_lo || i >= n + pad_hi)
        return -1; /* zero pad, or beyond the padded input: only feeds discarded outputs */
    return gh_nn_reflect(i, n);
}

/* L tiles side by side (consecutive in a tile row) as SIMD lanes. */
#define L 16

#if defined(__GNUC__) && defined(__x86_64__) && !defined(__clang__) && !defined(__SANITIZE_ADDRESS__)
#define WINO_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define WINO_CLONES
#endif

/* Input transform of L tiles from phase rows: ph[i][k][t] holds padded
 * input row i at column 4t + k, so tile lane l reads ph[i][j & 3][l + (j >> 2)]
 * with contiguous loads. Writes lane l of element xi to dst[xi * stride + l]. */
WINO_CLONES static void input_tiles_ph(const float *ph, size_t pk, float *dst, size_t stride)
{
    float t[6][6][L];
    for (int j = 0; j < 6; j++) {
        float d[6][L];
        for (int i = 0; i < 6; i++) {
            const float *r = ph + (size_t)(i * 4 + (j & 3)) * pk + (j >> 2);
            for (int l = 0; l < L; l++)
                d[i][l] = r[l];
        }
        for (int l = 0; l < L; l++) {
            t[0][j][l] = 4 * d[0][l] - 5 * d[2][l] + d[4][l];
            t[1][j][l] = -4 * (d[1][l] + d[2][l]) + d[3][l] + d[4][l];
            t[2][j][l] = 4 * (d[1][l] - d[2][l]) - d[3][l] + d[4][l];
            t[3][j][l] = -2 * (d[1][l] - d[3][l]) - d[2][l] + d[4][l];
            t[4][j][l] = 2 * (d[1][l] - d[3][l]) - d[2][l] + d[4][l];
            t[5][j][l] = 4 * d[1][l] - 5 * d[3][l] + d[5][l];
        }
    }
    for (int i = 0; i < 6; i++) {
        /* Computed into a local block first: stores through dst at a run-time
         * stride may alias, which keeps the compiler from vectorizing. */
        float o[6][L];
        for (int l = 0; l < L; l++) {
            float d0 = t[i][0][l], d1 = t[i][1][l], d2 = t[i][2][l], d3 = t[i][3][l], d4 = t[i][4][l],
                  d5 = t[i][5][l];
            o[0][l] = 4 * d0 - 5 * d2 + d4;
            o[1][l] = -4 * (d1 + d2) + d3 + d4;
            o[2][l] = 4 * (d1 - d2) - d3 + d4;
            o[3][l] = -2 * (d1 - d3) - d2 + d4;
            o[4][l] = 2 * (d1 - d3) - d2 + d4;
            o[5][l] = 4 * d1 - 5 * d3 + d5;
        }
        for (int k = 0; k < 6; k++)
            memcpy(dst + (size_t)(i * 6 + k) * stride, o[k], sizeof o[k]);
    }
}

/* Output transform of L tiles side by side: lane l of element xi at
 * src[xi * stride + l]; writes the 4x4 tiles plus b at q, q+4, ... (row
 * pitch w). The bias here saves a pass over the output (it was a serial one,
 * 5-10% of a Hayao run: every Winograd convolution there has a bias). */
WINO_CLONES static void output_tiles(const float *src, size_t stride, float *q, int64_t w, float b)
{
    float t[4][6][L];
    for (int j = 0; j < 6; j++) {
        float m[6][L];
        for (int i = 0; i < 6; i++)
            for (int l = 0; l < L; l++)
                m[i][l] = src[(size_t)(i * 6 + j) * stride + l];
        for (int l = 0; l < L; l++) {
            t[0][j][l] = m[0][l] + m[1][l] + m[2][l] + m[3][l] + m[4][l];
            t[1][j][l] = m[1][l] - m[2][l] + 2 * (m[3][l] - m[4][l]);
            t[2][j][l] = m[1][l] + m[2][l] + 4 * (m[3][l] + m[4][l]);
            t[3][j][l] = m[1][l] - m[2][l] + 8 * (m[3][l] - m[4][l]) + m[5][l];
        }
    }
    for (int i = 0; i < 4; i++) {
        float y[4][L];
        for (int l = 0; l < L; l++) {
            float m0 = t[i][0][l], m1 = t[i][1][l], m2 = t[i][2][l], m3 = t[i][3][l], m4 = t[i][4][l],
                  m5 = t[i][5][l];
            y[0][l] = m0 + m1 + m2 + m3 + m4 + b;
            y[1][l] = m1 - m2 + 2 * (m3 - m4) + b;
            y[2][l] = m1 + m2 + 4 * (m3 + m4) + b;
            y[3][l] = m1 - m2 + 8 * (m3 - m4) + m5 + b;
        }
        float row[4 * L];
        for (int l = 0; l < L; l++)
            for (int j = 0; j < 4; j++)
                row[4 * l + j] = y[j][l];
        memcpy(q + i * w, row, sizeof row);
    }
}

/* ph[k][q] = src[4q + k] for q in [q0, q1): a row split into its four column
 * phases, vectorized as an interleaved load. */
WINO_CLONES static void split_phases(const float *restrict src, float *restrict ph, size_t pk, int64_t q0, int64_t q1)
{
    float *restrict p0 = ph, *restrict p1 = ph + pk, *restrict p2 = ph + 2 * pk, *restrict p3 = ph + 3 * pk;
    for (int64_t q = q0; q < q1; q++) {
        p0[q] = src[4 * q];
        p1[q] = src[4 * q + 1];
        p2[q] = src[4 * q + 2];
        p3[q] = src[4 * q + 3];
    }
}

struct wino_ctx {
    const struct gh_nn_wino *a;
    float *scratch;
    size_t per_thread; /* floats */
    int64_t tiles_w, tiles;
    int64_t rows, seg; /* a band: `rows` whole tile rows, or (rows 1) a segment of `seg` tiles of one */
    int64_t nbands;
    size_t pk; /* floats per phase row (>= tiles_w + L + 1) */
    int nthreads;
};

/* Tiles [t, t + n) of one tile row starting at t: at most L, within the band. */
static int64_t group_size(const struct wino_ctx *c, int64_t t, int64_t t1)
{
    int64_t n = t1 - t, row = c->tiles_w - t % c->tiles_w;
    n = n < row ? n : row;
    return n < L ? n : L;
}

/* Phase rows ph[i][k][q] = padded input row y0 + i at column 4q + k - pl, for
 * q in [qs, qe). */
static void build_phases(const struct wino_ctx *c, const float *plane, int64_t y0, float *ph, int64_t qs, int64_t qe)
{
    const struct gh_nn_wino *a = c->a;
    /* [qa, qb): all four columns 4q..4q+3 - pl inside the row, split in one
     * pass; each phase's ends follow. */
    int64_t qa = (a->pl + 3) / 4, qb = a->w - 4 + a->pl >= 0 ? (a->w - 4 + a->pl) / 4 + 1 : 0;
    qa = qa > qs ? qa : qs;
    qb = qb < qe ? qb : qe;
    qa = qa < qb ? qa : qb;
    for (int i = 0; i < 6; i++) {
        int64_t iy = src_index(y0 + i, a->h, a->reflect, a->pt, a->pb);
        float *r = ph + (size_t)(i * 4) * c->pk;
        const float *row = iy < 0 ? NULL : plane + iy * a->w;
        if (row)
            split_phases(row - a->pl, r, c->pk, qa, qb);
        for (int k = 0; k < 4; k++, r += c->pk) {
            /* Columns 4q + k - pl inside the row for q in [lo, hi). */
            int64_t lo = qs, hi = qs;
            if (row) {
                lo = a->pl - k > 0 ? (a->pl - k + 3) / 4 : 0;
                int64_t last = a->w - 1 - k + a->pl; /* 4q <= last */
                hi = last < 0 ? 0 : last / 4 + 1;
                hi = hi < qe ? hi : qe;
                lo = lo > qs ? lo : qs;
                lo = lo < hi ? lo : hi;
                const float *src = row + k - a->pl;
                for (int64_t q = lo; q < hi; q++) {
                    if (q == qa && qb > qa)
                        q = qb;
                    if (q >= hi)
                        break;
                    r[q] = src[4 * q];
                }
            }
            for (int64_t q = qs; q < qe; q++) {
                if (q == lo)
                    q = hi;
                if (q >= qe)
                    break;
                int64_t ix = row && q <= c->tiles_w ? src_index(4 * q + k - a->pl, a->w, a->reflect, a->pl, a->pr) : -1;
                r[q] = ix < 0 ? 0 : row[ix];
            }
        }
    }
}

static void wino_band(const struct wino_ctx *c, float *v, float *mo, float *ph, int64_t t0, int64_t t1)
{
    const struct gh_nn_wino *a = c->a;
    int64_t nt = t1 - t0, C = a->c, M = a->m;
    size_t vs = (size_t)C * (size_t)nt + SKEW, ms = (size_t)M * (size_t)nt + SKEW;
    /* Input transform: V[xi][ch][t], a tile row (or the band's part of one)
     * at a time: its six padded input rows are split into 4 column phases,
     * then L tiles per step. Parts of rows start at a multiple of L, so the
     * last group's reads stay inside the phase rows (pk). */
    for (int64_t ch = 0; ch < C; ch++) {
        const float *plane = a->x + ch * a->h * a->w;
        for (int64_t t = t0; t < t1;) {
            int64_t ty = t / c->tiles_w, txa = t - ty * c->tiles_w;
            int64_t txb = t1 - ty * c->tiles_w < c->tiles_w ? t1 - ty * c->tiles_w : c->tiles_w;
            build_phases(c, plane, ty * 4 - a->pt, ph, txa, txa + (txb - txa + L - 1) / L * L + 1);
            float *dst = v + (size_t)ch * (size_t)nt + (size_t)(t - t0) - (size_t)txa;
            for (int64_t tx = txa; tx < txb; tx += L) {
                if (tx + L <= txb) {
                    input_tiles_ph(ph + tx, c->pk, dst + tx, vs);
                    continue;
                }
                float out[T][L];
                input_tiles_ph(ph + tx, c->pk, &out[0][0], L);
                for (int xi = 0; xi < T; xi++)
                    memcpy(dst + (size_t)xi * vs + (size_t)tx, out[xi], (size_t)(txb - tx) * sizeof(float));
            }
            t += txb - txa;
        }
    }
    /* 36 products: MO[xi][M][t] = U[xi][M][C] * V[xi][C][t]. */
    for (int xi = 0; xi < T; xi++)
        gh_nn_gemm_nn(M, nt, C, a->u + (size_t)xi * (size_t)(M * C), C, v + (size_t)xi * vs, nt, mo + (size_t)xi * ms, nt);
    /* Output transform into the 4x4 tiles, clipped at the bottom/right. */
    for (int64_t o = 0; o < M; o++) {
        float *plane = a->y + o * a->oh * a->ow, b = a->bias ? a->bias[o] : 0.0f;
        for (int64_t t = t0, n; t < t1; t += n) {
            n = group_size(c, t, t1);
            int64_t ty = t / c->tiles_w, tx = t % c->tiles_w;
            const float *src = mo + (size_t)o * (size_t)nt + (size_t)(t - t0);
            float *q = plane + ty * 4 * a->ow + tx * 4;
            if (n == L && ty * 4 + 4 <= a->oh && (tx + L) * 4 <= a->ow) {
                output_tiles(src, ms, q, a->ow, b);
                continue;
            }
            float in[T][L], buf[4][4 * L];
            for (int xi = 0; xi < T; xi++)
                for (int l = 0; l < L; l++)
                    in[xi][l] = l < n ? src[(size_t)xi * ms + (size_t)l] : 0;
            output_tiles(&in[0][0], L, &buf[0][0], 4 * L, b);
            int64_t rows = a->oh - ty * 4 < 4 ? a->oh - ty * 4 : 4;
            int64_t cols = a->ow - tx * 4 < 4 * n ? a->ow - tx * 4 : 4 * n;
            for (int64_t i = 0; i < rows; i++)
                memcpy(q + i * a->ow, buf[i], (size_t)cols * sizeof *q);
        }
    }
}

static void wino_thread(void *arg, int begin, int end)
{
    const struct wino_ctx *c = arg;
    int64_t band = c->seg < c->tiles_w ? c->seg : c->rows * c->tiles_w;
    for (int th = begin; th < end; th++) {
        float *v = c->scratch + (size_t)th * c->per_thread;
        float *mo = v + (size_t)T * ((size_t)c->a->c * (size_t)band + SKEW);
        float *ph = mo + (size_t)T * ((size_t)c->a->m * (size_t)band + SKEW);
        int64_t b0 = c->nbands * th / c->nthreads, b1 = c->nbands * (th + 1) / c->nthreads;
        for (int64_t b = b0; b < b1; b++) {
            int64_t t0, t1;
            if (c->seg < c->tiles_w) {
                int64_t segs = (c->tiles_w + c->seg - 1) / c->seg, ty = b / segs;
                t0 = ty * c->tiles_w + b % segs * c->seg;
                t1 = t0 + c->seg < (ty + 1) * c->tiles_w ? t0 + c->seg : (ty + 1) * c->tiles_w;
            } else {
                t0 = b * c->rows * c->tiles_w;
                t1 = t0 + c->rows * c->tiles_w < c->tiles ? t0 + c->rows * c->tiles_w : c->tiles;
            }
            wino_band(c, v, mo, ph, t0, t1);
        }
    }
}

/* Bands: V and the products of one band in about WINO_BAND_BYTES, whole tile
 * rows where they fit, and at least WINO_BANDS bands where the image has that
 * many tile rows, so 2, 3, 4 or 6 threads all get work; otherwise equal
 * segments of each tile row, a multiple of L tiles long, so scratch does not
 * grow with the width. (Bands sized for the 1 MB L2, 640 KB, measured no
 * faster than 2 MB at 512x512 on 64-channel layers, and slower end to end.) A function of the geometry only, never of
 * the thread count, so that no kernel whose rounding depends on the column
 * count (an SGEMM's may; gemm_kernel.c's does not) can make the bytes change
 * with the thread count. */
#define WINO_BANDS 12
#define WINO_BAND_BYTES (2u << 20)

static void band_shape(const struct gh_nn_wino *a, int64_t tiles_w, int64_t tiles_h, int64_t *rows, int64_t *seg)
{
    int64_t fit = WINO_BAND_BYTES / (4 * T * (a->c + a->m));
    *rows = fit / tiles_w;
    *seg = tiles_w;
    if (*rows < 1) {
        int64_t segs = (tiles_w + fit - 1) / (fit < L ? L : fit);
        *rows = 1;
        *seg = ((tiles_w + segs - 1) / segs + L - 1) / L * L;
        if (*seg > tiles_w)
            *seg = tiles_w;
        return;
    }
    while (*rows > 1 && (tiles_h + *rows - 1) / *rows < WINO_BANDS)
        (*rows)--;
}

static size_t phase_floats(int64_t tiles_w)
{
    return (size_t)((tiles_w + L - 1) / L * L + 1);
}

size_t gh_nn_wino_scratch(const struct gh_nn_wino *a, int threads)
{
    int64_t tw = (a->ow + 3) / 4, th = (a->oh + 3) / 4, rows, seg;
    band_shape(a, tw, th, &rows, &seg);
    int64_t band = seg < tw ? seg : rows * tw;
    size_t per = (size_t)T * ((size_t)(a->c + a->m) * (size_t)band + 2 * SKEW) + 24 * phase_floats(tw);
    return (size_t)threads * per * sizeof(float);
}

void gh_nn_wino_run(const struct gh_nn_wino *a, float *scratch, int threads)
{
    struct wino_ctx c;
    c.a = a;
    c.scratch = scratch;
    c.tiles_w = (a->ow + 3) / 4;
    int64_t tiles_h = (a->oh + 3) / 4;
    c.tiles = tiles_h * c.tiles_w;
    band_shape(a, c.tiles_w, tiles_h, &c.rows, &c.seg);
    c.nbands = c.seg < c.tiles_w ? tiles_h * ((c.tiles_w + c.seg - 1) / c.seg) : (tiles_h + c.rows - 1) / c.rows;
    int64_t band = c.seg < c.tiles_w ? c.seg : c.rows * c.tiles_w;
    c.pk = phase_floats(c.tiles_w);
    c.per_thread = (size_t)T * ((size_t)(a->c + a->m) * (size_t)band + 2 * SKEW) + 24 * c.pk;
    c.nthreads = threads;
    gh_parallel_for(threads, threads, wino_thread, &c);
}

size_t gh_nn_wino_weights_size(int64_t m, int64_t c)
{
    return (size_t)T * (size_t)m * (size_t)c;
}

enum gh_status gh_nn_wino_conv(struct gh_nn_exec *x, const struct gh_nn_wino_geom *g, const float *xd,
                               const float *u, const float *bias, float *yd)
{
    /* Bottom/right pads follow from the output size. */
    struct gh_nn_wino a = {NULL, u, NULL, g->c, g->h, g->w, g->m, g->oh, g->ow,
                           g->pt, g->pl, g->oh + 2 - g->h - g->pt, g->ow + 2 - g->w - g->pl, g->reflect, bias};
    int threads = x->threads < 1 ? 1 : x->threads;
    float *scratch;
    enum gh_status st = gh_nn_scratch(x, gh_nn_wino_scratch(&a, threads), (void **)&scratch);
    if (st)
        return st;
    for (int64_t n = 0; n < g->n; n++) {
        a.x = xd + n * g->c * g->h * g->w;
        a.y = yd + n * g->m * g->oh * g->ow;
        gh_nn_wino_run(&a, scratch, threads);
    }
    return GH_OK;
}
