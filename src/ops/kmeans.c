/* k-means with k-means++ seeding and Lloyd iterations. Reductions run over a
 * fixed number of blocks combined in order, so results do not depend on the
 * thread count. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ghiblify/ops.h"
#include "ops_internal.h"

static uint64_t splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double uniform01(uint64_t *state)
{
    return (double)(splitmix64(state) >> 11) * (1.0 / 9007199254740992.0);
}

enum { KM_BLOCK = 2048 };

struct km_job {
    const float *pts;
    size_t n;
    int dim, k;
    const float *centers;
    int *labels;      /* may be NULL */
    float *mind;      /* per point: distance to the nearest center (or candidate) */
    double *sums;     /* per block: k * dim sums */
    double *counts;   /* per block: k counts */
    double *partial;  /* per block: inertia */
    const float *cand; /* k-means++ candidate, or NULL */
    int update_mind;  /* k-means++: write min(mind, d(cand)) */
    const float *soa; /* the same points as dim planes of n values (Lloyd steps) */
    float cnorm[GH_KMEANS_MAX_K];                    /* |c|^2 per center */
    float cneg2[GH_KMEANS_MAX_K * GH_KMEANS_MAX_DIM]; /* -2 c */
};

/* Points i .. i + m of a block, nearest centers found as the smallest
 * |c|^2 - 2 x.c (|x|^2 is the same for every center), pixels along the SIMD lanes
 * and centers in an outer loop; e receives the exact squared distance to the
 * chosen center. Ties go to the lower index, as in the direct comparison. */
enum { KM_SUB = 256 };

/* Per-block cluster sums of the fused AVX2 kernel (3 dimensions, k <= 8): runs of
 * 8 pixels that share a cluster (most of them: neighbors look alike) add whole
 * vectors into vsum; mixed groups add lane by lane into 8 interleaved scalar
 * sets, so that no add waits for the previous store. */
struct km_acc {
    float vsum[8][3][8]; /* cluster, axis, lane */
    float vcount[8];
    float sets[8][8 * 4]; /* set, cluster * (x, y, z, count) */
};

static inline __attribute__((always_inline)) void
km_nearest_body(const struct km_job *j, size_t at, int m, int *restrict bi, float *restrict e)
{
    int dim = j->dim, k = j->k;
    size_t n = j->n;
    float bd[KM_SUB];
    for (int i = 0; i < m; i++) {
        bd[i] = FLT_MAX;
        bi[i] = 0;
    }
    if (dim == 3) {
        const float *restrict x0 = j->soa + at, *restrict x1 = x0 + n, *restrict x2 = x1 + n;
        for (int c = 0; c < k; c++) {
            float w0 = j->cneg2[c * 3], w1 = j->cneg2[c * 3 + 1], w2 = j->cneg2[c * 3 + 2];
            float cn = j->cnorm[c];
            for (int i = 0; i < m; i++) {
                float d = cn + w0 * x0[i] + w1 * x1[i] + w2 * x2[i];
                int closer = d < bd[i];
                bi[i] = closer ? c : bi[i];
                bd[i] = closer ? d : bd[i];
            }
        }
    } else {
        for (int c = 0; c < k; c++)
            for (int i = 0; i < m; i++) {
                float d = j->cnorm[c];
                for (int q = 0; q < dim; q++)
                    d += j->cneg2[c * dim + q] * j->soa[(size_t)q * n + at + (size_t)i];
                int closer = d < bd[i];
                bi[i] = closer ? c : bi[i];
                bd[i] = closer ? d : bd[i];
            }
    }
    for (int i = 0; i < m; i++) {
        const float *ctr = j->centers + (size_t)bi[i] * (size_t)dim;
        float s = 0;
        for (int q = 0; q < dim; q++) {
            float t = j->soa[(size_t)q * n + at + (size_t)i] - ctr[q];
            s += t * t;
        }
        e[i] = s;
    }
}

static void km_nearest_generic(const struct km_job *j, size_t at, int m, int *bi, float *e,
                               struct km_acc *acc)
{
    (void)acc; /* km_lloyd_assign sums the clusters itself */
    km_nearest_body(j, at, m, bi, e);
}

#if GH_OPS_X86
#include <immintrin.h>

/* 3 dimensions, at most 8 centers: all centers live in registers, and the exact
 * distance fetches the chosen center's coordinates with one permute per axis. */
__attribute__((target("avx2,fma"))) static void
km_nearest3x8_avx2(const struct km_job *j, size_t at, int m, int *bi, float *e,
                   struct km_acc *acc)
{
    int k = j->k;
    size_t n = j->n;
    const float *x0 = j->soa + at, *x1 = x0 + n, *x2 = x1 + n;
    float cx[3][8] = {{0}};
    for (int c = 0; c < k; c++)
        for (int q = 0; q < 3; q++)
            cx[q][c] = j->centers[c * 3 + q];
    __m256 c0 = _mm256_loadu_ps(cx[0]), c1 = _mm256_loadu_ps(cx[1]), c2 = _mm256_loadu_ps(cx[2]);
    __m256 w[8][4];
    for (int c = 0; c < k; c++) {
        w[c][0] = _mm256_set1_ps(j->cneg2[c * 3]);
        w[c][1] = _mm256_set1_ps(j->cneg2[c * 3 + 1]);
        w[c][2] = _mm256_set1_ps(j->cneg2[c * 3 + 2]);
        w[c][3] = _mm256_set1_ps(j->cnorm[c]);
    }
    int cur = -1, run = 0; /* the current run of uniform groups, summed in registers */
    __m256 rx = _mm256_setzero_ps(), ry = rx, rz = rx;
    int i = 0;
    for (; i + 8 <= m; i += 8) {
        __m256 a = _mm256_loadu_ps(x0 + i), b = _mm256_loadu_ps(x1 + i), d = _mm256_loadu_ps(x2 + i);
        __m256 bd = _mm256_fmadd_ps(w[0][2], d, _mm256_fmadd_ps(w[0][1], b,
                                                             _mm256_fmadd_ps(w[0][0], a, w[0][3])));
        __m256i best = _mm256_setzero_si256();
        for (int c = 1; c < k; c++) {
            __m256 dc = _mm256_fmadd_ps(w[c][2], d, _mm256_fmadd_ps(w[c][1], b,
                                                                 _mm256_fmadd_ps(w[c][0], a, w[c][3])));
            __m256 closer = _mm256_cmp_ps(dc, bd, _CMP_LT_OQ);
            bd = _mm256_blendv_ps(bd, dc, closer);
            best = _mm256_castps_si256(_mm256_blendv_ps(_mm256_castsi256_ps(best),
                                                        _mm256_castsi256_ps(_mm256_set1_epi32(c)),
                                                        closer));
        }
        __m256 t0 = _mm256_sub_ps(a, _mm256_permutevar8x32_ps(c0, best));
        __m256 t1 = _mm256_sub_ps(b, _mm256_permutevar8x32_ps(c1, best));
        __m256 t2 = _mm256_sub_ps(d, _mm256_permutevar8x32_ps(c2, best));
        __m256 ex = _mm256_fmadd_ps(t2, t2, _mm256_fmadd_ps(t1, t1, _mm256_mul_ps(t0, t0)));
        _mm256_storeu_si256((__m256i *)(bi + i), best);
        _mm256_storeu_ps(e + i, ex);
        if (!acc)
            continue;
        int first = _mm_cvtsi128_si32(_mm256_castsi256_si128(best));
        int uniform = _mm256_movemask_ps(_mm256_castsi256_ps(
                          _mm256_cmpeq_epi32(best, _mm256_set1_epi32(first)))) == 0xff;
        if (uniform && first == cur) {
            rx = _mm256_add_ps(rx, a);
            ry = _mm256_add_ps(ry, b);
            rz = _mm256_add_ps(rz, d);
            run++;
            continue;
        }
        if (cur >= 0) { /* close the current run */
            float *v = acc->vsum[cur][0];
            _mm256_storeu_ps(v, _mm256_add_ps(_mm256_loadu_ps(v), rx));
            _mm256_storeu_ps(v + 8, _mm256_add_ps(_mm256_loadu_ps(v + 8), ry));
            _mm256_storeu_ps(v + 16, _mm256_add_ps(_mm256_loadu_ps(v + 16), rz));
            acc->vcount[cur] += (float)(8 * run);
            cur = -1;
        }
        if (uniform) {
            cur = first;
            rx = a;
            ry = b;
            rz = d;
            run = 1;
            continue;
        }
        for (int l = 0; l < 8; l++) {
            float *s = acc->sets[l] + bi[i + l] * 4;
            s[0] += x0[i + l];
            s[1] += x1[i + l];
            s[2] += x2[i + l];
            s[3] += 1;
        }
    }
    if (acc && cur >= 0) {
        float *v = acc->vsum[cur][0];
        _mm256_storeu_ps(v, _mm256_add_ps(_mm256_loadu_ps(v), rx));
        _mm256_storeu_ps(v + 8, _mm256_add_ps(_mm256_loadu_ps(v + 8), ry));
        _mm256_storeu_ps(v + 16, _mm256_add_ps(_mm256_loadu_ps(v + 16), rz));
        acc->vcount[cur] += (float)(8 * run);
    }
    if (i < m) {
        km_nearest_generic(j, at + (size_t)i, m - i, bi + i, e + i, NULL);
        for (int q = i; acc && q < m; q++) {
            float *s = acc->sets[q & 7] + bi[q] * 4;
            s[0] += x0[q];
            s[1] += x1[q];
            s[2] += x2[q];
            s[3] += 1;
        }
    }
}
#endif

/* One Lloyd assignment over blocks: labels, distances, inertia and (when sums is
 * set) the per-block sums and counts of the points of each cluster. The sums
 * run in 4 interleaved float sets (short dependency chains), added in a fixed
 * order into the block's doubles, so they do not depend on the thread count. */
static void km_lloyd_assign(void *ctx, int begin, int end)
{
    struct km_job *j = ctx;
    int dim = j->dim, k = j->k, stride = dim + 1;
    size_t n = j->n;
    void (*nearest)(const struct km_job *, size_t, int, int *, float *, struct km_acc *) =
        km_nearest_generic;
    struct km_acc fused, *fa = NULL; /* sums kept by the kernel itself */
#if GH_OPS_X86
    if (dim == 3 && k <= 8 && gh_ops_simd_level() >= 1) {
        nearest = km_nearest3x8_avx2;
        if (j->sums)
            fa = &fused;
    }
#endif
    float acc[4][GH_KMEANS_MAX_K * (GH_KMEANS_MAX_DIM + 1)];
    int bi[KM_SUB];
    float e[KM_SUB];
    for (int b = begin; b < end; b++) {
        size_t lo = (size_t)b * KM_BLOCK, hi = lo + KM_BLOCK < n ? lo + KM_BLOCK : n;
        double inertia = 0;
        if (j->sums) {
            for (int s = 0; s < 4; s++)
                memset(acc[s], 0, (size_t)k * (size_t)stride * sizeof acc[s][0]);
            memset(&fused, 0, sizeof fused);
        }
        for (size_t at = lo; at < hi; at += KM_SUB) {
            int m = hi - at < KM_SUB ? (int)(hi - at) : KM_SUB;
            nearest(j, at, m, bi, e, fa);
            /* 8 interleaved float partial sums (vectorizable, fixed order), then double */
            float lanes[8] = {0};
            int i8 = 0;
            for (; i8 + 8 <= m; i8 += 8)
                for (int l = 0; l < 8; l++)
                    lanes[l] += e[i8 + l];
            for (; i8 < m; i8++)
                lanes[0] += e[i8];
            for (int l = 0; l < 8; l++)
                inertia += lanes[l];
            if (j->mind)
                memcpy(j->mind + at, e, (size_t)m * sizeof *e);
            if (j->labels)
                memcpy(j->labels + at, bi, (size_t)m * sizeof *bi);
            if (!j->sums)
                continue;
            if (fa) {
                continue;
            } else if (dim == 3) {
                const float *x0 = j->soa + at, *x1 = x0 + n, *x2 = x1 + n;
                for (int i = 0; i < m; i++) {
                    float *a = acc[i & 3] + bi[i] * 4;
                    a[0] += x0[i];
                    a[1] += x1[i];
                    a[2] += x2[i];
                    a[3] += 1;
                }
            } else {
                for (int i = 0; i < m; i++) {
                    float *a = acc[i & 3] + bi[i] * stride;
                    for (int q = 0; q < dim; q++)
                        a[q] += j->soa[(size_t)q * n + at + (size_t)i];
                    a[dim] += 1;
                }
            }
        }
        if (fa) /* fold the kernel's sums into 4 sets, in a fixed order */
            for (int c = 0; c < k; c++)
                for (int q = 0; q < 4; q++) {
                    float v = 0;
                    for (int l = 0; l < 8; l++)
                        v += q < 3 ? fused.vsum[c][q][l] : 0.f;
                    acc[0][c * 4 + q] = q < 3 ? v : fused.vcount[c];
                    for (int s = 1; s < 4; s++)
                        acc[s][c * 4 + q] = fused.sets[s - 1][c * 4 + q] +
                                            fused.sets[s + 3][c * 4 + q];
                    acc[0][c * 4 + q] += fused.sets[3][c * 4 + q] + fused.sets[7][c * 4 + q];
                }
        if (j->sums) {
            double *sums = j->sums + (size_t)b * (size_t)k * (size_t)dim;
            double *counts = j->counts + (size_t)b * (size_t)k;
            for (int c = 0; c < k; c++) {
                for (int q = 0; q < dim; q++)
                    sums[c * dim + q] = (double)acc[0][c * stride + q] + acc[1][c * stride + q] +
                                        acc[2][c * stride + q] + acc[3][c * stride + q];
                counts[c] = (double)acc[0][c * stride + dim] + acc[1][c * stride + dim] +
                            acc[2][c * stride + dim] + acc[3][c * stride + dim];
            }
        }
        j->partial[b] = inertia;
    }
}

/* |c|^2 and -2c of the current centers, for km_lloyd_assign. */
static void km_prepare(struct km_job *j)
{
    for (int c = 0; c < j->k; c++) {
        float s = 0;
        for (int q = 0; q < j->dim; q++) {
            float v = j->centers[c * j->dim + q];
            s += v * v;
            j->cneg2[c * j->dim + q] = -2.f * v;
        }
        j->cnorm[c] = s;
    }
}

static float *km_soa(const float *pts, size_t n, int dim)
{
    float *soa = malloc(n * (size_t)dim * sizeof *soa);
    if (soa)
        for (int q = 0; q < dim; q++)
            for (size_t i = 0; i < n; i++)
                soa[(size_t)q * n + i] = pts[i * (size_t)dim + (size_t)q];
    return soa;
}

/* k-means++ potential of a candidate center: per point min(mind, |x - cand|^2),
 * written back when update_mind is set, summed per block into partial. Points
 * along the SIMD lanes, 8 interleaved float partial sums per KM_SUB points. */
static inline __attribute__((always_inline)) void
km_pp_body(struct km_job *j, int begin, int end)
{
    int dim = j->dim;
    size_t n = j->n;
    for (int b = begin; b < end; b++) {
        size_t lo = (size_t)b * KM_BLOCK, hi = lo + KM_BLOCK < n ? lo + KM_BLOCK : n;
        double inertia = 0;
        for (size_t at = lo; at < hi; at += KM_SUB) {
            int m = hi - at < KM_SUB ? (int)(hi - at) : KM_SUB;
            float d[KM_SUB];
            for (int i = 0; i < m; i++)
                d[i] = 0;
            for (int q = 0; q < dim; q++) {
                const float *restrict x = j->soa + (size_t)q * n + at;
                float cq = j->cand[q];
                for (int i = 0; i < m; i++) {
                    float t = x[i] - cq;
                    d[i] += t * t;
                }
            }
            float *restrict mind = j->mind + at;
            for (int i = 0; i < m; i++)
                d[i] = d[i] < mind[i] ? d[i] : mind[i];
            if (j->update_mind)
                memcpy(mind, d, (size_t)m * sizeof *d);
            float lanes[8] = {0};
            int i8 = 0;
            for (; i8 + 8 <= m; i8 += 8)
                for (int l = 0; l < 8; l++)
                    lanes[l] += d[i8 + l];
            for (; i8 < m; i8++)
                lanes[0] += d[i8];
            for (int l = 0; l < 8; l++)
                inertia += lanes[l];
        }
        j->partial[b] = inertia;
    }
}

static void km_pp_generic(void *ctx, int begin, int end)
{
    km_pp_body(ctx, begin, end);
}

#if GH_OPS_X86
__attribute__((target("avx2,fma"))) static void km_pp_avx2(void *ctx, int begin, int end)
{
    km_pp_body(ctx, begin, end);
}
#endif

static double km_run(struct km_job *j, int nblocks, int threads)
{
    if (!j->cand) {
        km_prepare(j);
        gh_parallel_for(nblocks, threads, km_lloyd_assign, j);
    } else {
        void (*fn)(void *, int, int) = km_pp_generic;
#if GH_OPS_X86
        if (gh_ops_simd_level() >= 1)
            fn = km_pp_avx2;
#endif
        gh_parallel_for(nblocks, threads, fn, j);
    }
    double total = 0;
    for (int b = 0; b < nblocks; b++)
        total += j->partial[b];
    return total;
}

/* Greedy k-means++: each new center is the best of `trials` D^2-sampled candidates. */
static void kmeanspp(struct km_job *j, int nblocks, int threads, uint64_t *rng, float *centers,
                     double *block_pot)
{
    int dim = j->dim, k = j->k, trials = 2 + (int)log(k);
    size_t n = j->n;
    size_t first = (size_t)(uniform01(rng) * (double)n);
    if (first >= n)
        first = n - 1;
    memcpy(centers, j->pts + first * (size_t)dim, (size_t)dim * sizeof *centers);
    for (size_t i = 0; i < n; i++)
        j->mind[i] = FLT_MAX;
    j->cand = centers;
    j->update_mind = 1;
    double pot = km_run(j, nblocks, threads);
    memcpy(block_pot, j->partial, (size_t)nblocks * sizeof *block_pot);
    for (int c = 1; c < k; c++) {
        size_t best = 0;
        double best_pot = INFINITY;
        for (int t = 0; t < trials; t++) {
            /* D^2 sampling: the block from the per-block potentials, then the point */
            double r = uniform01(rng) * pot, acc = 0;
            size_t idx = n - 1;
            int b = 0;
            while (b < nblocks - 1 && acc + block_pot[b] <= r)
                acc += block_pot[b++];
            size_t hi = (size_t)(b + 1) * KM_BLOCK < n ? (size_t)(b + 1) * KM_BLOCK : n;
            for (size_t i = (size_t)b * KM_BLOCK; i < hi; i++) {
                acc += j->mind[i];
                if (acc > r) {
                    idx = i;
                    break;
                }
            }
            j->cand = j->pts + idx * (size_t)dim;
            j->update_mind = 0;
            double p = km_run(j, nblocks, threads);
            if (p < best_pot) {
                best_pot = p;
                best = idx;
            }
        }
        memcpy(centers + (size_t)c * (size_t)dim, j->pts + best * (size_t)dim,
               (size_t)dim * sizeof *centers);
        j->cand = centers + (size_t)c * (size_t)dim;
        j->update_mind = 1;
        pot = km_run(j, nblocks, threads);
        memcpy(block_pot, j->partial, (size_t)nblocks * sizeof *block_pot);
    }
    j->cand = NULL;
}

/* Lloyd iterations from the given centers; returns the inertia of the last assignment. */
static double lloyd(struct km_job *j, int nblocks, int threads, int max_iter, double eps,
                    float *centers)
{
    int dim = j->dim, k = j->k;
    j->centers = centers;
    for (int it = 0; it < max_iter; it++) {
        km_run(j, nblocks, threads);
        double shift = 0;
        for (int c = 0; c < k; c++) {
            double cnt = 0, s[GH_KMEANS_MAX_DIM] = {0};
            for (int b = 0; b < nblocks; b++) {
                cnt += j->counts[(size_t)b * (size_t)k + (size_t)c];
                for (int d = 0; d < dim; d++)
                    s[d] += j->sums[((size_t)b * (size_t)k + (size_t)c) * (size_t)dim + (size_t)d];
            }
            float *ctr = centers + (size_t)c * (size_t)dim;
            if (cnt == 0) { /* empty: restart at the point farthest from its center */
                size_t far = 0;
                for (size_t i = 1; i < j->n; i++)
                    if (j->mind[i] > j->mind[far])
                        far = i;
                memcpy(ctr, j->pts + far * (size_t)dim, (size_t)dim * sizeof *ctr);
                j->mind[far] = 0;
                shift = INFINITY;
                continue;
            }
            double m = 0;
            for (int d = 0; d < dim; d++) {
                float v = (float)(s[d] / cnt);
                m += (double)(v - ctr[d]) * (v - ctr[d]);
                ctr[d] = v;
            }
            shift = fmax(shift, m);
        }
        if (shift <= eps * eps)
            break;
    }
    return km_run(j, nblocks, threads);
}

enum gh_status gh_ops_kmeans(const float *points, size_t n, int dim,
                             const struct gh_kmeans_params *params, int threads, float *centers,
                             int *labels, double *inertia)
{
    int k = params->k;
    if (k < 1 || k > GH_KMEANS_MAX_K || dim < 1 || dim > GH_KMEANS_MAX_DIM)
        return gh_error(GH_ERR_ARGUMENT, "k-means with k = %d, dim = %d (limits %d, %d)", k, dim,
                        GH_KMEANS_MAX_K, GH_KMEANS_MAX_DIM);
    if (n < (size_t)k)
        return gh_error(GH_ERR_ARGUMENT, "k-means: %zu points for %d clusters", n, k);
    if (n / KM_BLOCK >= (size_t)1 << 30)
        return gh_error(GH_ERR_TOO_LARGE, "k-means: %zu points", n);
    int max_iter = params->max_iter > 0 ? params->max_iter : 100;
    int attempts = params->attempts > 0 ? params->attempts : 1;
    double eps = params->eps > 0 ? params->eps : 1e-6;
    uint64_t rng = params->seed;
    size_t m = params->max_samples && params->max_samples < n ? params->max_samples : n;
    if (m < (size_t)k)
        m = (size_t)k;
    float *sample = NULL, *trial = NULL, *mind = NULL, *soa_fit = NULL, *soa_all = NULL;
    double *sums = NULL, *counts = NULL, *partial = NULL, *block_pot = NULL;
    enum gh_status st = GH_OK;
    int nblocks_all = (int)((n + KM_BLOCK - 1) / KM_BLOCK);
    int nblocks = (int)((m + KM_BLOCK - 1) / KM_BLOCK);
    mind = malloc(n * sizeof *mind);
    trial = malloc((size_t)k * (size_t)dim * sizeof *trial);
    sums = malloc((size_t)nblocks_all * (size_t)k * (size_t)dim * sizeof *sums);
    counts = malloc((size_t)nblocks_all * (size_t)k * sizeof *counts);
    partial = malloc((size_t)nblocks_all * sizeof *partial);
    block_pot = malloc((size_t)nblocks_all * sizeof *block_pot);
    if (m < n)
        sample = malloc(m * (size_t)dim * sizeof *sample);
    if (!mind || !trial || !sums || !counts || !partial || !block_pot || (m < n && !sample)) {
        st = gh_error(GH_ERR_NOMEM, "no memory for k-means on %zu points", n);
        goto out;
    }
    if (sample) { /* jittered stratified subsample: one random point per stratum */
        for (size_t i = 0; i < m; i++) {
            size_t idx = (size_t)(((double)i + uniform01(&rng)) * (double)n / (double)m);
            if (idx >= n)
                idx = n - 1;
            memcpy(sample + i * (size_t)dim, points + idx * (size_t)dim,
                   (size_t)dim * sizeof *sample);
        }
    }
    /* Lloyd steps read the points as planes (pixels along the SIMD lanes). */
    soa_fit = km_soa(sample ? sample : points, m, dim);
    soa_all = sample ? km_soa(points, n, dim) : soa_fit;
    if (!soa_fit || !soa_all) {
        st = gh_error(GH_ERR_NOMEM, "no memory for k-means on %zu points", n);
        goto out;
    }
    struct km_job j = {sample ? sample : points, m, dim, k, NULL, NULL, mind, sums, counts,
                       partial, NULL, 0, soa_fit, {0}, {0}};
    double best = INFINITY;
    for (int a = 0; a < attempts; a++) {
        kmeanspp(&j, nblocks, threads, &rng, trial, block_pot);
        double e = lloyd(&j, nblocks, threads, max_iter, eps, trial);
        if (e < best) {
            best = e;
            memcpy(centers, trial, (size_t)k * (size_t)dim * sizeof *centers);
        }
    }
    /* Final assignment of every point to the chosen centers. */
    j = (struct km_job){points, n,       dim, k,       centers, labels, NULL, NULL, NULL,
                        partial, NULL, 0, soa_all, {0}, {0}};
    double e = km_run(&j, nblocks_all, threads);
    if (inertia)
        *inertia = e;
out:
    if (soa_all != soa_fit)
        free(soa_all);
    free(soa_fit);
    free(sample);
    free(trial);
    free(mind);
    free(sums);
    free(counts);
    free(partial);
    free(block_pot);
    return st;
}
