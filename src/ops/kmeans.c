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

static inline float dist2(const float *a, const float *b, int dim)
{
    float s = 0;
    for (int d = 0; d < dim; d++) {
        float t = a[d] - b[d];
        s += t * t;
    }
    return s;
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
};

static void km_assign(void *ctx, int begin, int end)
{
    struct km_job *j = ctx;
    int dim = j->dim, k = j->k;
    for (int b = begin; b < end; b++) {
        size_t lo = (size_t)b * KM_BLOCK, hi = lo + KM_BLOCK < j->n ? lo + KM_BLOCK : j->n;
        double inertia = 0;
        double *sums = j->sums ? j->sums + (size_t)b * (size_t)k * (size_t)dim : NULL;
        double *counts = j->counts ? j->counts + (size_t)b * (size_t)k : NULL;
        if (sums) {
            memset(sums, 0, (size_t)k * (size_t)dim * sizeof *sums);
            memset(counts, 0, (size_t)k * sizeof *counts);
        }
        for (size_t i = lo; i < hi; i++) {
            const float *p = j->pts + i * (size_t)dim;
            if (j->cand) { /* k-means++ potential with a candidate center */
                float d = dist2(p, j->cand, dim);
                float m = d < j->mind[i] ? d : j->mind[i];
                if (j->update_mind)
                    j->mind[i] = m;
                inertia += m;
                continue;
            }
            int best = 0;
            float bd = FLT_MAX;
            for (int c = 0; c < k; c++) {
                float d = dist2(p, j->centers + (size_t)c * (size_t)dim, dim);
                if (d < bd) {
                    bd = d;
                    best = c;
                }
            }
            if (j->labels)
                j->labels[i] = best;
            if (j->mind)
                j->mind[i] = bd;
            inertia += bd;
            if (sums) {
                for (int d = 0; d < dim; d++)
                    sums[(size_t)best * (size_t)dim + (size_t)d] += p[d];
                counts[best] += 1;
            }
        }
        j->partial[b] = inertia;
    }
}

static double km_run(struct km_job *j, int nblocks, int threads)
{
    gh_parallel_for(nblocks, threads, km_assign, j);
    double total = 0;
    for (int b = 0; b < nblocks; b++)
        total += j->partial[b];
    return total;
}

/* Greedy k-means++: each new center is the best of `trials` D^2-sampled candidates. */
static void kmeanspp(struct km_job *j, int nblocks, int threads, uint64_t *rng, float *centers)
{
    int dim = j->dim, k = j->k, trials = 2 + (int)log(k);
    size_t n = j->n;
    size_t first = (size_t)(uniform01(rng) * (double)n);
    if (first >= n)
        first = n - 1;
    memcpy(centers, j->pts + first * (size_t)dim, (size_t)dim * sizeof *centers);
    for (size_t i = 0; i < n; i++)
        j->mind[i] = dist2(j->pts + i * (size_t)dim, centers, dim);
    double pot = 0;
    for (size_t i = 0; i < n; i++)
        pot += j->mind[i];
    for (int c = 1; c < k; c++) {
        size_t best = 0;
        double best_pot = INFINITY;
        for (int t = 0; t < trials; t++) {
            double r = uniform01(rng) * pot, acc = 0;
            size_t idx = n - 1;
            for (size_t i = 0; i < n; i++) {
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
    float *sample = NULL, *trial = NULL, *mind = NULL;
    double *sums = NULL, *counts = NULL, *partial = NULL;
    enum gh_status st = GH_OK;
    int nblocks_all = (int)((n + KM_BLOCK - 1) / KM_BLOCK);
    int nblocks = (int)((m + KM_BLOCK - 1) / KM_BLOCK);
    mind = malloc(n * sizeof *mind);
    trial = malloc((size_t)k * (size_t)dim * sizeof *trial);
    sums = malloc((size_t)nblocks_all * (size_t)k * (size_t)dim * sizeof *sums);
    counts = malloc((size_t)nblocks_all * (size_t)k * sizeof *counts);
    partial = malloc((size_t)nblocks_all * sizeof *partial);
    if (m < n)
        sample = malloc(m * (size_t)dim * sizeof *sample);
    if (!mind || !trial || !sums || !counts || !partial || (m < n && !sample)) {
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
    struct km_job j = {sample ? sample : points, m, dim, k, NULL, NULL, mind, sums, counts,
                       partial, NULL, 0};
    double best = INFINITY;
    for (int a = 0; a < attempts; a++) {
        kmeanspp(&j, nblocks, threads, &rng, trial);
        double e = lloyd(&j, nblocks, threads, max_iter, eps, trial);
        if (e < best) {
            best = e;
            memcpy(centers, trial, (size_t)k * (size_t)dim * sizeof *centers);
        }
    }
    /* Final assignment of every point to the chosen centers. */
    j = (struct km_job){points, n, dim, k, centers, labels, NULL, NULL, NULL, partial, NULL, 0};
    double e = km_run(&j, nblocks_all, threads);
    if (inertia)
        *inertia = e;
out:
    free(sample);
    free(trial);
    free(mind);
    free(sums);
    free(counts);
    free(partial);
    return st;
}
