/* The statistics mode (include/ghiblify/nn.h): per global node, the values a
 * run computed there, stored by node index, so a later run of the same model
 * (another image size, a tile) can use them instead of its own. The kernels
 * of the global ops (ops_reduce.c) ask gh_nn_freeze_of what to do. */
#include "nn/nn_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct gh_nn_stats {
    int n_nodes;   /* slots (the model's node count at the first record) */
    float **vals;  /* per node, NULL if nothing recorded */
    size_t *count; /* per node */
};

enum gh_status gh_nn_stats_new(struct gh_nn_stats **out)
{
    if (!out)
        return gh_error(GH_ERR_ARGUMENT, "gh_nn_stats_new: NULL out");
    *out = calloc(1, sizeof **out);
    return *out ? GH_OK : gh_error(GH_ERR_NOMEM, "statistics: out of memory");
}

void gh_nn_stats_free(struct gh_nn_stats *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->n_nodes; i++)
        free(s->vals[i]);
    free(s->vals);
    free(s->count);
    free(s);
}

int gh_nn_stats_count(const struct gh_nn_stats *s, size_t *values)
{
    int n = 0;
    size_t total = 0;
    for (int i = 0; s && i < s->n_nodes; i++)
        if (s->vals[i]) {
            n++;
            total += s->count[i];
        }
    if (values)
        *values = total;
    return n;
}

enum gh_status gh_nn_record(struct gh_nn_model *m, struct gh_nn_stats *s)
{
    if (!m || !s)
        return gh_error(GH_ERR_ARGUMENT, "gh_nn_record: NULL argument");
    if (!m->global)
        return gh_error(GH_ERR_ARGUMENT, "gh_nn_record: the model was not analysed (gh_nn_analyze)");
    if (s->n_nodes != m->n_nodes) {
        for (int i = 0; i < s->n_nodes; i++)
            free(s->vals[i]);
        free(s->vals);
        free(s->count);
        s->n_nodes = 0;
        s->vals = calloc((size_t)m->n_nodes + 1, sizeof *s->vals);
        s->count = calloc((size_t)m->n_nodes + 1, sizeof *s->count);
        if (!s->vals || !s->count)
            return gh_error(GH_ERR_NOMEM, "statistics: out of memory");
        s->n_nodes = m->n_nodes;
    }
    m->freeze = GH_NN_FREEZE_RECORD;
    m->stats = s;
    m->count_ratio = 1.0;
    return GH_OK;
}

enum gh_status gh_nn_replay(struct gh_nn_model *m, const struct gh_nn_stats *s, double count_ratio)
{
    if (!m || !s)
        return gh_error(GH_ERR_ARGUMENT, "gh_nn_replay: NULL argument");
    if (!m->global)
        return gh_error(GH_ERR_ARGUMENT, "gh_nn_replay: the model was not analysed (gh_nn_analyze)");
    if (!(count_ratio > 0) || count_ratio > 1e12)
        return gh_error(GH_ERR_ARGUMENT, "gh_nn_replay: count ratio %g out of range", count_ratio);
    for (int i = 0; i < m->n_nodes; i++)
        if (m->global[i] && (s->n_nodes != m->n_nodes || !s->vals[i]))
            return gh_error(GH_ERR_ARGUMENT, "gh_nn_replay: no statistics recorded for node '%s' of this model",
                            m->nodes[i].name);
    m->freeze = GH_NN_FREEZE_REPLAY;
    /* Replay only reads; the record is shared by const callers. */
    m->stats = (struct gh_nn_stats *)s;
    m->count_ratio = count_ratio;
    return GH_OK;
}

void gh_nn_thaw(struct gh_nn_model *m)
{
    if (!m)
        return;
    m->freeze = GH_NN_FREEZE_OFF;
    m->stats = NULL;
    m->count_ratio = 1.0;
}

enum gh_nn_freeze gh_nn_freeze_of(const struct gh_nn_exec *x)
{
    const struct gh_nn_model *m = x->m;
    if (m->freeze == GH_NN_FREEZE_OFF || !m->global || !m->stats || !m->global[x->node_index])
        return GH_NN_FREEZE_OFF;
    return m->freeze;
}

enum gh_status gh_nn_stats_put(struct gh_nn_exec *x, const float *v, size_t n)
{
    struct gh_nn_stats *s = x->m->stats;
    int i = x->node_index;
    if (!s || i >= s->n_nodes)
        return gh_error(GH_ERR_INTERNAL, "statistics: no record for node %d", i);
    if (!s->vals[i] || s->count[i] != n) {
        float *p = malloc(n * sizeof *p + 1);
        if (!p)
            return gh_error(GH_ERR_NOMEM, "statistics: out of memory");
        free(s->vals[i]);
        s->vals[i] = p;
        s->count[i] = n;
    }
    memcpy(s->vals[i], v, n * sizeof *v);
    return GH_OK;
}

enum gh_status gh_nn_stats_get(struct gh_nn_exec *x, size_t n, const float **v)
{
    const struct gh_nn_stats *s = x->m->stats;
    int i = x->node_index;
    if (!s || i >= s->n_nodes || !s->vals[i])
        return gh_error(GH_ERR_ARGUMENT, "statistics: none recorded for this node");
    if (s->count[i] != n)
        return gh_error(GH_ERR_ARGUMENT, "statistics: %zu values recorded, the node needs %zu", s->count[i], n);
    *v = s->vals[i];
    return GH_OK;
}

/* The damping of gh_nn_stats_extrapolate: on the Hayao generator, with hi and
 * lo a factor 2 apart, full extrapolation (1) overshot and 0.6-0.8 did best
 * on the three large photos of ../shared/photos (1024/512 and 1280/640
 * passes); the lower end, so an image the trend does not hold for moves
 * less. */
#define EXTRAPOLATE_DAMPING 0.6

static double extrap_var(double hi, double lo, double t)
{
    /* Variances in log: they stay positive. A zero variance stays put. */
    return hi > 0 && lo > 0 ? hi * exp(t * log(hi / lo)) : hi;
}

enum gh_status gh_nn_stats_extrapolate(const struct gh_nn_model *m, struct gh_nn_stats *hi, double hi_pixels,
                                       const struct gh_nn_stats *lo, double lo_pixels, double pixels)
{
    if (!m || !hi || !lo || hi->n_nodes != m->n_nodes || lo->n_nodes != m->n_nodes || !m->global)
        return gh_error(GH_ERR_ARGUMENT, "gh_nn_stats_extrapolate: records of another model");
    if (!(lo_pixels > 0) || !(hi_pixels > lo_pixels) || !(pixels >= hi_pixels))
        return gh_error(GH_ERR_ARGUMENT, "gh_nn_stats_extrapolate: sizes %g < %g <= %g expected", lo_pixels,
                        hi_pixels, pixels);
    double t = EXTRAPOLATE_DAMPING * log(pixels / hi_pixels) / log(hi_pixels / lo_pixels);
    for (int i = 0; i < m->n_nodes; i++) {
        if (!m->global[i] || !hi->vals[i] || !lo->vals[i] || hi->count[i] != lo->count[i])
            continue;
        float *h = hi->vals[i];
        const float *l = lo->vals[i];
        size_t n = hi->count[i];
        if (m->nodes[i].op == GH_NN_OP_CHANNEL_NORM && n % 4 == 0) { /* m0[nc] v0[nc] m1[nc] v1[nc] */
            size_t nc = n / 4;
            for (size_t k = 0; k < n; k++)
                h[k] = (k / nc) % 2 ? (float)extrap_var(h[k], l[k], t) : h[k] + (float)t * (h[k] - l[k]);
        } else if (m->nodes[i].op == GH_NN_OP_INSTANCE_NORM && n % 4 == 0) { /* per row: mean, var as float pairs */
            for (size_t r = 0; r < n; r += 4) {
                double mh = (double)h[r] + h[r + 1], ml = (double)l[r] + l[r + 1];
                double vh = (double)h[r + 2] + h[r + 3], vl = (double)l[r + 2] + l[r + 3];
                double mean = mh + t * (mh - ml), var = extrap_var(vh, vl, t);
                h[r] = (float)mean;
                h[r + 1] = (float)(mean - (double)(float)mean);
                h[r + 2] = (float)var;
                h[r + 3] = (float)(var - (double)(float)var);
            }
        }
    }
    return GH_OK;
}
