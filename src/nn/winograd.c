/* Winograd F(4x4, 3x3) for stride-1, undilated, ungrouped 3x3 convolutions
 * (Lavin & Gray 2015): 36 multiplications per 4x4 output tile per channel pair
 * instead of 144, as 36 independent GEMMs [M,C] x [C,tiles] on OpenBLAS.
 * Tiles are processed in bands sized to stay in cache-friendly scratch, each
 * thread running whole bands (input transform, 36 GEMMs, output transform),
 * so no im2col buffer 9x the input is ever written. Transformed weights are
 * computed once per node and kept in the model. Accuracy in float32 is at the
 * 1e-6 relative level for these matrices, far inside the 2e-3 budget. */
#include "nn/nn_winograd.h"

#include <stdlib.h>
#include <string.h>

#define BAND_BYTES (6u << 20) /* per-thread V + M scratch */

/* U[36][M][C] = G g G^T for every 3x3 kernel g = w[m][c]. */
static void transform_weights(const float *w, int64_t m, int64_t c, float *u)
{
    static const float G[6][3] = {{1.0f / 4, 0, 0},
                                  {-1.0f / 6, -1.0f / 6, -1.0f / 6},
                                  {-1.0f / 6, 1.0f / 6, -1.0f / 6},
                                  {1.0f / 24, 1.0f / 12, 1.0f / 6},
                                  {1.0f / 24, -1.0f / 12, 1.0f / 6},
                                  {0, 0, 1}};
    for (int64_t i = 0; i < m; i++)
        for (int64_t j = 0; j < c; j++) {
            const float *g = w + (i * c + j) * 9;
            float t[6][3], r[6][6];
            for (int a = 0; a < 6; a++)
                for (int b = 0; b < 3; b++)
                    t[a][b] = G[a][0] * g[0 * 3 + b] + G[a][1] * g[1 * 3 + b] + G[a][2] * g[2 * 3 + b];
            for (int a = 0; a < 6; a++)
                for (int b = 0; b < 6; b++)
                    r[a][b] = t[a][0] * G[b][0] + t[a][1] * G[b][1] + t[a][2] * G[b][2];
            for (int k = 0; k < 36; k++)
                u[((size_t)k * (size_t)m + (size_t)i) * (size_t)c + (size_t)j] = r[k / 6][k % 6];
        }
}

#define L 8 /* tiles transformed together, one per SIMD lane */

/* B^T d B for L tiles at once; out plane k gets its L values at v + k*stride. */
static inline void input_tiles(const float d[6][6][L], float *v, size_t stride, int n)
{
    float t[6][6][L];
    for (int j = 0; j < 6; j++)
        for (int l = 0; l < L; l++) {
            float d0 = d[0][j][l], d1 = d[1][j][l], d2 = d[2][j][l], d3 = d[3][j][l], d4 = d[4][j][l],
                  d5 = d[5][j][l];
            t[0][j][l] = 4 * d0 - 5 * d2 + d4;
            t[1][j][l] = -4 * (d1 + d2) + d3 + d4;
            t[2][j][l] = 4 * (d1 - d2) - d3 + d4;
            t[3][j][l] = -2 * (d1 - d3) - d2 + d4;
            t[4][j][l] = 2 * (d1 - d3) - d2 + d4;
            t[5][j][l] = 4 * d1 - 5 * d3 + d5;
        }
    for (int i = 0; i < 6; i++) {
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
        for (int k = 0; k < 6; k++) {
            if (n == L) /* constant size: inlined as two vector stores */
                memcpy(v + (size_t)(i * 6 + k) * stride, o[k], sizeof o[k]);
            else
                memcpy(v + (size_t)(i * 6 + k) * stride, o[k], (size_t)n * sizeof(float));
        }
    }
}

/* A^T m A for L tiles at once (plane k's L values at mv + k*stride). */
static inline void output_tiles(const float *mv, size_t stride, float o[4][4][L])
{
    float m[36][L], t[4][6][L];
    for (int k = 0; k < 36; k++)
        memcpy(m[k], mv + (size_t)k * stride, sizeof m[k]);
    for (int j = 0; j < 6; j++)
        for (int l = 0; l < L; l++) {
            float m0 = m[0 * 6 + j][l], m1 = m[1 * 6 + j][l], m2 = m[2 * 6 + j][l], m3 = m[3 * 6 + j][l],
                  m4 = m[4 * 6 + j][l], m5 = m[5 * 6 + j][l];
            t[0][j][l] = m0 + m1 + m2 + m3 + m4;
            t[1][j][l] = m1 - m2 + 2 * (m3 - m4);
            t[2][j][l] = m1 + m2 + 4 * (m3 + m4);
            t[3][j][l] = m1 - m2 + 8 * (m3 - m4) + m5;
        }
    for (int i = 0; i < 4; i++)
        for (int l = 0; l < L; l++) {
            float m0 = t[i][0][l], m1 = t[i][1][l], m2 = t[i][2][l], m3 = t[i][3][l], m4 = t[i][4][l],
                  m5 = t[i][5][l];
            o[i][0][l] = m0 + m1 + m2 + m3 + m4;
            o[i][1][l] = m1 - m2 + 2 * (m3 - m4);
            o[i][2][l] = m1 + m2 + 4 * (m3 + m4);
            o[i][3][l] = m1 - m2 + 8 * (m3 - m4) + m5;
        }
}

struct wino_ctx {
    const struct gh_nn_wino_geom *g;
    const float *x, *u, *bias;
    float *y;
    float *scratch; /* per thread: V [36][C][band] then M [36][M][band] */
    size_t per_thread;
    int64_t band, n_bands, tiles_w, tiles;
    int threads;
};

GH_NN_SIMD static void wino_thread(void *arg, int begin, int end)
{
    const struct wino_ctx *c = arg;
    const struct gh_nn_wino_geom *g = c->g;
    for (int tid = begin; tid < end; tid++) {
        float *v = c->scratch + (size_t)tid * c->per_thread;
        float *mo = v + (size_t)36 * (size_t)g->c * (size_t)c->band;
        for (int64_t b = tid; b < c->n_bands; b += c->threads) {
            int64_t t0 = b * c->band, nt = c->tiles - t0 < c->band ? c->tiles - t0 : c->band;
            size_t sv = (size_t)g->c * (size_t)nt; /* plane stride of V in this band */
            for (int64_t ch = 0; ch < g->c; ch++) {
                const float *plane = c->x + ch * g->h * g->w;
                for (int64_t t = 0; t < nt; t += L) {
                    int n = nt - t < L ? (int)(nt - t) : L;
                    float d[6][6][L];
                    for (int l = 0; l < L; l++) {
                        int64_t tt = t0 + t + (l < n ? l : 0);
                        int64_t ty = tt / c->tiles_w, tx = tt % c->tiles_w;
                        int64_t y0 = ty * 4 - g->pt, x0 = tx * 4 - g->pl;
                        if (y0 >= 0 && x0 >= 0 && y0 + 6 <= g->h && x0 + 6 <= g->w) {
                            for (int i = 0; i < 6; i++) {
                                const float *p = plane + (y0 + i) * g->w + x0;
                                for (int j = 0; j < 6; j++)
                                    d[i][j][l] = p[j];
                            }
                        } else {
                            for (int i = 0; i < 6; i++)
                                for (int j = 0; j < 6; j++) {
                                    int64_t yy = y0 + i, xx = x0 + j;
                                    if (g->reflect)
                                        d[i][j][l] = plane[gh_nn_reflect(yy, g->h) * g->w + gh_nn_reflect(xx, g->w)];
                                    else
                                        d[i][j][l] = yy >= 0 && yy < g->h && xx >= 0 && xx < g->w
                                                         ? plane[yy * g->w + xx]
                                                         : 0;
                                }
                        }
                    }
                    input_tiles((const float(*)[6][L])d, v + (size_t)ch * (size_t)nt + (size_t)t, sv, n);
                }
            }
            for (int k = 0; k < 36; k++)
                gh_nn_sgemm(1, 0, 0, (int)g->m, (int)nt, (int)g->c, 1.0f, c->u + (size_t)k * (size_t)(g->m * g->c),
                            (int)g->c, v + (size_t)k * sv, (int)nt, 0.0f, mo + (size_t)k * (size_t)(g->m * nt),
                            (int)nt);
            size_t sm = (size_t)g->m * (size_t)nt;
            for (int64_t m = 0; m < g->m; m++) {
                float *oplane = c->y + m * g->oh * g->ow;
                float bias = c->bias ? c->bias[m] : 0;
                for (int64_t t = 0; t < nt; t += L) {
                    int n = nt - t < L ? (int)(nt - t) : L;
                    float o[4][4][L];
                    if (n == L) {
                        output_tiles(mo + (size_t)m * (size_t)nt + (size_t)t, sm, o);
                    } else { /* last partial group: copy to a padded buffer first */
                        float tail[36 * L] = {0};
                        for (int k = 0; k < 36; k++)
                            memcpy(tail + k * L, mo + (size_t)k * sm + (size_t)m * (size_t)nt + (size_t)t,
                                   (size_t)n * sizeof(float));
                        output_tiles(tail, L, o);
                    }
                    for (int l = 0; l < n; l++) {
                        int64_t tt = t0 + t + l, ty = tt / c->tiles_w, tx = tt % c->tiles_w;
                        int64_t oy = ty * 4, ox = tx * 4;
                        int64_t rows = g->oh - oy < 4 ? g->oh - oy : 4, cols = g->ow - ox < 4 ? g->ow - ox : 4;
                        for (int64_t i = 0; i < rows; i++)
                            for (int64_t j = 0; j < cols; j++)
                                oplane[(oy + i) * g->ow + ox + j] = o[i][j][l] + bias;
                    }
                }
            }
        }
    }
}

size_t gh_nn_wino_weights_size(int64_t m, int64_t c)
{
    return (size_t)36 * (size_t)m * (size_t)c;
}

void gh_nn_wino_weights(const float *w, int64_t m, int64_t c, float *u)
{
    transform_weights(w, m, c, u);
}

enum gh_status gh_nn_wino_conv(struct gh_nn_exec *x, const struct gh_nn_wino_geom *g, const float *xd,
                               const float *u, const float *bias, float *yd)
{
    struct wino_ctx c;
    memset(&c, 0, sizeof c);
    c.g = g;
    c.u = u;
    c.bias = bias;
    c.tiles_w = (g->ow + 3) / 4;
    c.tiles = c.tiles_w * ((g->oh + 3) / 4);
    c.threads = x->threads < 1 ? 1 : x->threads;
    c.band = (int64_t)(BAND_BYTES / (36 * sizeof(float) * (size_t)(g->c + g->m)));
    if (c.band < 16)
        c.band = 16;
    /* Enough bands to keep every thread busy. */
    if (c.band * c.threads > c.tiles)
        c.band = (c.tiles + c.threads - 1) / c.threads;
    if (c.band < 1)
        c.band = 1;
    c.n_bands = (c.tiles + c.band - 1) / c.band;
    if (c.threads > c.n_bands)
        c.threads = (int)c.n_bands;
    c.per_thread = (size_t)36 * (size_t)(g->c + g->m) * (size_t)c.band;
    enum gh_status st = gh_nn_scratch(x, c.per_thread * (size_t)c.threads * sizeof(float), (void **)&c.scratch);
    if (st)
        return st;
    for (int64_t n = 0; n < g->n; n++) {
        c.x = xd + n * g->c * g->h * g->w;
        c.y = yd + n * g->m * g->oh * g->ow;
        gh_parallel_for(c.threads, c.threads, wino_thread, &c);
    }
    return GH_OK;
}
