/* TFLite loader: building the IR graph (constants, nodes, layouts; see
 * tflite.c for the design). */
#include "nn/tflite_internal.h"

#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------- */
/* Graph construction helpers                                             */
/* ---------------------------------------------------------------------- */

enum gh_status gh_tfl_add_const(struct conv *c, enum gh_nn_dtype dtype, int ndim, const int64_t *shape, void *data,
                                char **name_out)
{
    struct gh_nn_graph_def *g = c->g;
    size_t bytes = gh_nn_count(ndim, shape) * gh_nn_dtype_size(dtype);
    c->const_bytes += bytes;
    if (c->const_bytes > c->const_limit) {
        free(data);
        return gh_tfl_bad("constants would need more than %zu bytes (file has %zu)", c->const_limit, c->fb.n);
    }
    if (g->n_consts == g->cap_consts) {
        int cap = g->cap_consts ? g->cap_consts * 2 : 64;
        void *p = realloc(g->consts, (size_t)cap * sizeof *g->consts);
        if (!p) {
            free(data);
            return gh_tfl_nomem();
        }
        g->consts = p;
        g->cap_consts = cap;
    }
    struct gh_nn_value *v = &g->consts[g->n_consts];
    memset(v, 0, sizeof *v);
    v->name = gh_aprintf("c%d", c->counter++);
    if (!v->name) {
        free(data);
        return gh_tfl_nomem();
    }
    v->kind = GH_NN_VALUE_CONST;
    v->t.dtype = dtype;
    v->t.ndim = ndim;
    for (int i = 0; i < ndim; i++)
        v->t.shape[i] = shape[i];
    v->t.data = data;
    g->n_consts++;
    *name_out = v->name;
    return GH_OK;
}

enum gh_status gh_tfl_const_i64(struct conv *c, int n, const int64_t *vals, char **name)
{
    int64_t *d = malloc((size_t)n * sizeof *d + 8);
    if (!d)
        return gh_tfl_nomem();
    memcpy(d, vals, (size_t)n * sizeof *d);
    int64_t shape[1] = {n};
    return gh_tfl_add_const(c, GH_NN_I64, 1, shape, d, name);
}

enum gh_status gh_tfl_const_f32_scalar(struct conv *c, float v, char **name)
{
    float *d = malloc(sizeof *d);
    if (!d)
        return gh_tfl_nomem();
    *d = v;
    return gh_tfl_add_const(c, GH_NN_F32, 0, NULL, d, name);
}


char *gh_tfl_dup_s(const char *s)
{
    size_t n = strlen(s);
    char *d = malloc(n + 1);
    if (d)
        memcpy(d, s, n + 1);
    return d;
}

/* Appends a node with inputs ins (NULL = optional input left out) and one new
 * output value, whose name is returned in *out (owned by the graph def). */
enum gh_status gh_tfl_add_node(struct conv *c, enum gh_nn_op opk, int n_in, const char *const *ins, int n_attrs,
                               const struct attr_spec *attrs, char **out)
{
    struct gh_nn_graph_def *g = c->g;
    if (g->n_nodes == g->cap_nodes) {
        int cap = g->cap_nodes ? g->cap_nodes * 2 : 64;
        void *p = realloc(g->nodes, (size_t)cap * sizeof *g->nodes);
        if (!p)
            return gh_tfl_nomem();
        g->nodes = p;
        g->cap_nodes = cap;
    }
    struct gh_nn_node_def *nd = &g->nodes[g->n_nodes++];
    memset(nd, 0, sizeof *nd);
    const struct tfl_op_rec *op = c->cur_op >= 0 ? &c->ops[c->cur_op] : NULL;
    const char *tn = op && op->n_out ? c->t[op->out[0]].name : "";
    nd->op = opk;
    nd->name = op ? gh_aprintf("%s#%d:%s", gh_tfl_op_name(op->code), c->cur_op, tn) : gh_aprintf("io%d", c->counter);
    nd->in = calloc((size_t)n_in + 1, sizeof *nd->in);
    nd->out = calloc(1, sizeof *nd->out);
    nd->attrs = calloc((size_t)n_attrs + 1, sizeof *nd->attrs);
    if (!nd->name || !nd->in || !nd->out || !nd->attrs)
        return gh_tfl_nomem();
    for (int k = 0; k < n_in; k++) {
        nd->in[k] = gh_tfl_dup_s(ins[k] ? ins[k] : "");
        if (!nd->in[k])
            return gh_tfl_nomem();
        nd->n_in++;
    }
    nd->out[0] = gh_aprintf("v%d", c->counter++);
    if (!nd->out[0])
        return gh_tfl_nomem();
    nd->n_out = 1;
    for (int k = 0; k < n_attrs; k++) {
        struct gh_nn_attr *a = &nd->attrs[k];
        const struct attr_spec *s = &attrs[k];
        nd->n_attrs++;
        a->name = gh_tfl_dup_s(s->name);
        if (!a->name)
            return gh_tfl_nomem();
        a->type = s->type;
        a->i = s->i;
        a->f = s->f;
        if (s->type == GH_NN_ATTR_STRING && !(a->s = gh_tfl_dup_s(s->s)))
            return gh_tfl_nomem();
        if (s->type == GH_NN_ATTR_INTS) {
            a->ints = malloc((size_t)s->n * sizeof *a->ints + 8);
            if (!a->ints)
                return gh_tfl_nomem();
            memcpy(a->ints, s->ints, (size_t)s->n * sizeof *a->ints);
            a->n = s->n;
        }
    }
    *out = nd->out[0];
    return GH_OK;
}

enum gh_status gh_tfl_node1(struct conv *c, enum gh_nn_op opk, const char *in, char **out)
{
    return gh_tfl_add_node(c, opk, 1, &in, 0, NULL, out);
}

enum gh_status gh_tfl_node2(struct conv *c, enum gh_nn_op opk, const char *a, const char *b, char **out)
{
    const char *ins[2] = {a, b};
    return gh_tfl_add_node(c, opk, 2, ins, 0, NULL, out);
}

/* ---- layouts ---- */

void gh_tfl_lay_identity(uint8_t *lay, int r)
{
    if (r > GH_NN_MAX_DIMS)
        r = GH_NN_MAX_DIMS;
    for (int i = 0; i < r; i++)
        lay[i] = (uint8_t)i;
}

/* NHWC-style TFLite axes -> N, C, spatial... */
void gh_tfl_lay_channels_first(uint8_t *lay, int r)
{
    if (r < 3 || r > GH_NN_MAX_DIMS) {
        gh_tfl_lay_identity(lay, r);
        return;
    }
    lay[0] = 0;
    lay[1] = (uint8_t)(r - 1);
    for (int i = 2; i < r; i++)
        lay[i] = (uint8_t)(i - 1);
}

int gh_tfl_lay_eq(const uint8_t *a, const uint8_t *b, int r)
{
    return memcmp(a, b, (size_t)r) == 0;
}

int gh_tfl_lay_index(const uint8_t *lay, int r, int axis)
{
    for (int i = 0; i < r; i++)
        if (lay[i] == axis)
            return i;
    return -1;
}

int gh_tfl_rank_of(const struct conv *c, int ti)
{
    return c->t[ti].ndim;
}

static struct cache_ent *cache_find(struct tfl_tensor *T, const uint8_t *lay, int r, int kind)
{
    for (struct cache_ent *e = T->cache; e; e = e->next)
        if (e->kind == kind && e->rank == r && gh_tfl_lay_eq(e->lay, lay, r))
            return e;
    return NULL;
}

enum gh_status gh_tfl_cache_put(struct tfl_tensor *T, const uint8_t *lay, int r, int kind, char *name)
{
    struct cache_ent *e = calloc(1, sizeof *e);
    if (!e)
        return gh_tfl_nomem();
    memcpy(e->lay, lay, (size_t)r);
    e->rank = r;
    e->kind = kind;
    e->name = name;
    e->next = T->cache;
    T->cache = e;
    return GH_OK;
}

/* Float (or int64 for integer types) IR constant of tensor ti with its data
 * permuted to lay (ONNX axis i = TFLite axis lay[i]); rank r >= ndim pads
 * leading 1s first (broadcast to r dims). */
enum gh_status gh_tfl_emit_const(struct conv *c, int ti, const uint8_t *lay, int r, int kind, char **name)
{
    struct tfl_tensor *T = &c->t[ti];
    struct cache_ent *e = cache_find(T, lay, r, kind);
    if (e) {
        *name = e->name;
        return GH_OK;
    }
    int dq;
    const struct tfl_tensor *S = gh_tfl_const_of(c, ti, &dq);
    /* Quantized constants (int8/uint8 weights, int32 biases) are dequantized
     * at load whether a DEQUANTIZE was folded in front of them (hybrid and
     * float16 files) or an int8 op reads them directly. */
    dq |= S->quant;
    int is_int = !dq && (S->type == TFL_INT32 || S->type == TFL_INT64 || S->type == TFL_UINT8 || S->type == TFL_INT8);
    int64_t src_shape[GH_NN_MAX_DIMS];
    int sr = S->ndim;
    if (r < sr)
        return gh_tfl_shape_err(c, "constant %d of rank %d used as rank %d", ti, sr, r);
    for (int i = 0; i < r; i++)
        src_shape[i] = i < r - sr ? 1 : S->shape[i - (r - sr)];
    int64_t shape[GH_NN_MAX_DIMS];
    for (int i = 0; i < r; i++)
        shape[i] = src_shape[lay[i]];
    size_t cnt = gh_nn_count(r, shape);
    enum gh_nn_dtype dt = is_int ? GH_NN_I64 : GH_NN_F32;
    if ((c->const_bytes += cnt * 8) > c->const_limit) /* checked again in add_const; early before malloc */
        return gh_tfl_bad("constants would need more than %zu bytes (file has %zu)", c->const_limit, c->fb.n);
    c->const_bytes -= cnt * 8;
    void *data = malloc(cnt * gh_nn_dtype_size(dt) + 8);
    if (!data)
        return gh_tfl_nomem();
    /* Source values in TFLite order (float16 through a lookup table, the
     * model's bulk), then walked in the target order, innermost axis as a
     * strided run. */
    size_t es = is_int ? sizeof(int64_t) : sizeof(float);
    void *src = malloc(cnt * es + 8);
    if (!src) {
        free(data);
        return gh_tfl_nomem();
    }
    if (!is_int && !dq && S->type == TFL_FLOAT32) {
        for (size_t i = 0; i < cnt; i++) {
            uint32_t u = rd_u32(S->data + 4 * i);
            memcpy((float *)src + i, &u, 4);
        }
    } else if (!is_int && S->type == TFL_FLOAT16) {
        if (!c->half) {
            c->half = malloc(65536 * sizeof *c->half);
            if (!c->half) {
                free(src);
                free(data);
                return gh_tfl_nomem();
            }
            for (uint32_t h = 0; h < 65536; h++)
                c->half[h] = gh_nn_half_to_float((uint16_t)h);
        }
        for (size_t i = 0; i < cnt; i++)
            ((float *)src)[i] = c->half[rd_u16(S->data + 2 * i)];
    } else {
        for (size_t i = 0; i < cnt; i++) {
            double v = gh_tfl_const_get(c, S, i, dq);
            if (is_int)
                ((int64_t *)src)[i] = (int64_t)v;
            else
                ((float *)src)[i] = (float)v;
        }
    }
    int64_t sstride[GH_NN_MAX_DIMS] = {0}, ostride[GH_NN_MAX_DIMS];
    int64_t acc = 1;
    for (int i = r - 1; i >= 0; i--) {
        sstride[i] = acc;
        /* NOLINTNEXTLINE(clang-analyzer-core.uninitialized.Assign): rank <= GH_NN_MAX_DIMS */
        acc *= src_shape[i];
    }
    for (int i = 0; i < r; i++)
        ostride[i] = sstride[lay[i]];
    if (r == 0 || cnt == 0) {
        memcpy(data, src, cnt * es);
    } else {
        int64_t idx[GH_NN_MAX_DIMS] = {0};
        int64_t inner = shape[r - 1], istr = ostride[r - 1];
        size_t o = 0;
        while (o < cnt) {
            int64_t base = 0;
            for (int i = 0; i < r - 1; i++)
                base += idx[i] * ostride[i];
            if (is_int)
                for (int64_t j = 0; j < inner; j++)
                    ((int64_t *)data)[o + (size_t)j] = ((const int64_t *)src)[base + j * istr];
            else
                for (int64_t j = 0; j < inner; j++)
                    ((float *)data)[o + (size_t)j] = ((const float *)src)[base + j * istr];
            o += (size_t)inner;
            for (int i = r - 2; i >= 0; i--) {
                /* NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult): rank <= GH_NN_MAX_DIMS */
                if (++idx[i] < shape[i])
                    break;
                idx[i] = 0;
            }
        }
    }
    free(src);
    enum gh_status st = gh_tfl_add_const(c, dt, r, shape, data, name);
    if (st)
        return st;
    return gh_tfl_cache_put(T, lay, r, kind, *name);
}

/* IR value of tensor ti in layout lay (NULL: its current layout, whose
 * permutation is returned in got if non-NULL). */
enum gh_status gh_tfl_get(struct conv *c, int ti, const uint8_t *lay, char **name, uint8_t *got)
{
    struct tfl_tensor *T = &c->t[ti];
    int r = T->ndim;
    if (!T->val) {
        if (!gh_tfl_is_const(c, ti))
            return gh_tfl_shape_err(c, "input tensor %d (%s) is used before it is produced", ti, T->name);
        uint8_t id[GH_NN_MAX_DIMS];
        gh_tfl_lay_identity(id, r);
        const uint8_t *L = lay ? lay : id;
        if (got)
            memcpy(got, L, (size_t)r);
        return gh_tfl_emit_const(c, ti, L, r, 0, name);
    }
    if (!lay || gh_tfl_lay_eq(lay, T->lay, r)) {
        if (got)
            memcpy(got, T->lay, (size_t)r);
        *name = T->val;
        return GH_OK;
    }
    struct cache_ent *e = cache_find(T, lay, r, 0);
    if (e) {
        *name = e->name;
    } else {
        int64_t perm[GH_NN_MAX_DIMS];
        for (int i = 0; i < r; i++)
            perm[i] = gh_tfl_lay_index(T->lay, r, lay[i]);
        struct attr_spec a = A_INTS("perm", r, perm);
        const char *in = T->val;
        enum gh_status st = gh_tfl_add_node(c, GH_NN_OP_TRANSPOSE, 1, &in, 1, &a, name);
        if (st || (st = gh_tfl_cache_put(T, lay, r, 0, *name)))
            return st;
    }
    if (got)
        memcpy(got, lay, (size_t)r);
    return GH_OK;
}

void gh_tfl_set_val(struct conv *c, int ti, char *name, const uint8_t *lay)
{
    struct tfl_tensor *T = &c->t[ti];
    T->val = name;
    memcpy(T->lay, lay, (size_t)T->ndim);
}
