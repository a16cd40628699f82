/* Graph building and checking, independent of the file format: resolves value
 * names, rejects missing inputs, duplicate producers, cycles and attributes an
 * op does not know, sorts the nodes topologically and records each value's
 * last reader (the executor frees activations there). */
#include "nn/nn_internal.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

void gh_nn_attrs_free(struct gh_nn_attr *attrs, int n)
{
    for (int i = 0; i < n; i++) {
        free(attrs[i].name);
        free(attrs[i].s);
        free(attrs[i].ints);
        free(attrs[i].floats);
        free(attrs[i].t.data);
    }
}

void gh_nn_graph_def_free(struct gh_nn_graph_def *def)
{
    for (int i = 0; i < def->n_consts; i++) {
        free(def->consts[i].name);
        free(def->consts[i].t.data);
    }
    for (int i = 0; i < def->n_inputs; i++)
        free(def->inputs[i].name);
    for (int i = 0; i < def->n_outputs; i++)
        free(def->outputs[i]);
    for (int i = 0; i < def->n_nodes; i++) {
        struct gh_nn_node_def *n = &def->nodes[i];
        for (int k = 0; k < n->n_in; k++)
            free(n->in[k]);
        for (int k = 0; k < n->n_out; k++)
            free(n->out[k]);
        free(n->in);
        free(n->out);
        free(n->name);
        gh_nn_attrs_free(n->attrs, n->n_attrs);
        free(n->attrs);
    }
    free(def->consts);
    free(def->inputs);
    free(def->outputs);
    free(def->nodes);
    memset(def, 0, sizeof *def);
}

/* Open-addressing hash map from value name to index. */
struct name_map {
    size_t cap;
    int *slot; /* value index + 1; 0 = empty */
    struct gh_nn_value *values;
};

static uint64_t hash_str(const char *s)
{
    uint64_t h = 1469598103934665603ull;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 1099511628211ull;
    return h;
}

static int map_find(const struct name_map *m, const char *name)
{
    size_t i = hash_str(name) & (m->cap - 1);
    while (m->slot[i]) {
        if (strcmp(m->values[m->slot[i] - 1].name, name) == 0)
            return m->slot[i] - 1;
        i = (i + 1) & (m->cap - 1);
    }
    return -1;
}

static void map_put(struct name_map *m, const char *name, int index)
{
    size_t i = hash_str(name) & (m->cap - 1);
    while (m->slot[i])
        i = (i + 1) & (m->cap - 1);
    m->slot[i] = index + 1;
}

static enum gh_status check_attrs(const struct gh_nn_node_def *nd, int opset)
{
    const struct gh_nn_op_info *info = &gh_nn_ops[nd->op];
    for (int i = 0; i < nd->n_attrs; i++) {
        const char *a = nd->attrs[i].name;
        size_t len = strlen(a);
        const char *p = info->attrs;
        int known = 0;
        while (len && (p = strstr(p, a)) != NULL) {
            if ((p == info->attrs || p[-1] == ' ') && (p[len] == ' ' || p[len] == 0)) {
                known = 1;
                break;
            }
            p += len;
        }
        if (!known)
            return gh_error(GH_ERR_UNSUPPORTED, "unsupported attribute '%s' of op %s (node '%s')", a, info->name,
                            nd->name);
    }
    (void)opset;
    return GH_OK;
}

/* The tensor of value v if it is known at load: an initializer, or (as
 * torch.onnx.export writes scalars) the output of a Constant node. */
static const struct gh_nn_tensor *load_time_tensor(const struct gh_nn_model *m, const int *producer, int v)
{
    if (m->values[v].kind == GH_NN_VALUE_CONST)
        return &m->values[v].t;
    int p = producer[v];
    if (p < 0 || m->nodes[p].op != GH_NN_OP_CONSTANT)
        return NULL;
    const struct gh_nn_attr *a = gh_nn_attr_find(&m->nodes[p], "value");
    return a && a->type == GH_NN_ATTR_TENSOR && a->t.data ? &a->t : NULL;
}

/* Folds Pad -> Conv pairs: a Pad with constant spatial pads (reflect, or
 * zeros) whose only reader is a 2-D, ungrouped, unpadded Conv with a kernel
 * larger than 1x1 becomes part of that Conv (its im2col/Winograd reads the
 * padded input virtually), saving a full copy of the activation. Zero pads
 * also fold into depthwise Convs (their loop skips out-of-range taps), and
 * zero pads computed by the graph (torch.onnx.export writes ZeroPad2d's pads
 * as a Shape/Concat/Slice/Cast subgraph) fold as fused_pad 3: the Conv keeps
 * the pads value as its input 3 and reads them when it runs. */
static void fuse_pad_conv(struct gh_nn_model *m)
{
    int *producer = malloc((size_t)m->n_values * sizeof *producer);
    int *readers = calloc((size_t)m->n_values, sizeof *readers);
    if (!producer || !readers)
        goto out; /* fusion is optional */
    for (int v = 0; v < m->n_values; v++)
        producer[v] = -1;
    for (int i = 0; i < m->n_nodes; i++) {
        for (int k = 0; k < m->nodes[i].n_out; k++)
            producer[m->nodes[i].out[k]] = i;
        for (int k = 0; k < m->nodes[i].n_in; k++)
            if (m->nodes[i].in[k] >= 0)
                readers[m->nodes[i].in[k]]++;
    }
    for (int i = 0; i < m->n_nodes; i++) {
        struct gh_nn_node *c = &m->nodes[i];
        if (c->op != GH_NN_OP_CONV || producer[c->in[0]] < 0)
            continue;
        struct gh_nn_node *p = &m->nodes[producer[c->in[0]]];
        int padded = c->in[0];
        if (p->op != GH_NN_OP_PAD || readers[padded] != 1 || m->values[padded].last_use == INT32_MAX)
            continue;
        const char *mode = gh_nn_attr_string(p, "mode", "constant");
        int reflect = strcmp(mode, "reflect") == 0;
        if (!reflect && strcmp(mode, "constant") != 0)
            continue;
        if (!reflect && p->n_in > 2 && p->in[2] >= 0) {
            const struct gh_nn_tensor *cv = load_time_tensor(m, producer, p->in[2]);
            if (!cv || gh_nn_tensor_count(cv) != 1 || gh_nn_get_f64(cv, 0) != 0)
                continue;
        }
        if (p->n_in > 3 && p->in[3] >= 0) /* opset 18 axes */
            continue;
        const struct gh_nn_value *pv = &m->values[p->in[1]];
        int runtime = pv->kind != GH_NN_VALUE_CONST;
        if (runtime && (reflect || producer[p->in[1]] < 0))
            continue;
        if (!runtime && (pv->t.dtype != GH_NN_I64 || gh_nn_tensor_count(&pv->t) != 8 || !pv->t.data))
            continue;
        const int64_t *pads = runtime ? NULL : pv->t.data;
        if (pads && (pads[0] || pads[1] || pads[4] || pads[5] || pads[2] < 0 || pads[3] < 0 || pads[6] < 0 ||
                     pads[7] < 0 || pads[2] > 64 || pads[3] > 64 || pads[6] > 64 || pads[7] > 64))
            continue;
        const struct gh_nn_value *w = &m->values[c->in[1]];
        if (w->kind != GH_NN_VALUE_CONST || w->t.ndim != 4 || (w->t.shape[2] == 1 && w->t.shape[3] == 1))
            continue;
        int64_t group = gh_nn_attr_int(c, "group", 1);
        int depthwise = group > 1 && w->t.shape[1] == 1 && w->t.shape[0] == group;
        if (group != 1 && !(depthwise && !reflect))
            continue;
        const char *ap = gh_nn_attr_string(c, "auto_pad", "NOTSET");
        if (strcmp(ap, "NOTSET") && strcmp(ap, "VALID"))
            continue;
        const struct gh_nn_attr *cp = gh_nn_attr_find(c, "pads");
        int zero = 1;
        for (int k = 0; cp && k < cp->n; k++)
            zero &= cp->ints[k] == 0;
        if (!zero)
            continue;
        if (runtime) {
            int *in = malloc(5 * sizeof *in);
            if (!in)
                continue;
            for (int k = 0; k < 3; k++)
                in[k] = k < c->n_in ? c->in[k] : -1;
            in[3] = p->in[1];
            in[4] = -1;
            free(c->in);
            c->in = in;
            c->n_in = 4;
            c->fused_pad = 3;
            if (m->values[p->in[1]].last_use < i)
                m->values[p->in[1]].last_use = i;
        } else {
            c->fused_pad = reflect ? 2 : 1;
            c->fpads[0] = pads[2];
            c->fpads[1] = pads[3];
            c->fpads[2] = pads[6];
            c->fpads[3] = pads[7];
        }
        c->in[0] = p->in[0];
        p->dead = 1;
        if (m->values[p->in[0]].last_use < i)
            m->values[p->in[0]].last_use = i;
    }
out:
    free(producer);
    free(readers);
}

/* Folds a Relu or Clip (bounds absent or constant float scalars) that is the
 * only reader of a Conv's output into the Conv (post_act): ReLU6 after every
 * convolution of an EfficientNet/MobileNet block, and the ReLUs of MiDaS's
 * decoder, no longer cost a pass over the activation and a buffer each. */
/* For every value of the live nodes: the node that makes it (-1: an input or
 * constant), how many nodes read it, and the last of them. 0 when out of
 * memory (the arrays are then freed or NULL). */
static int use_maps(const struct gh_nn_model *m, int **producer_out, int **readers_out, int **reader_out)
{
    int *producer = malloc((size_t)m->n_values * sizeof *producer);
    int *readers = calloc((size_t)m->n_values, sizeof *readers);
    int *reader = malloc((size_t)m->n_values * sizeof *reader);
    *producer_out = producer;
    *readers_out = readers;
    *reader_out = reader;
    if (!producer || !readers || !reader)
        return 0;
    for (int v = 0; v < m->n_values; v++)
        producer[v] = reader[v] = -1;
    for (int i = 0; i < m->n_nodes; i++) {
        if (m->nodes[i].dead)
            continue;
        for (int k = 0; k < m->nodes[i].n_out; k++)
            producer[m->nodes[i].out[k]] = i;
        for (int k = 0; k < m->nodes[i].n_in; k++)
            if (m->nodes[i].in[k] >= 0) {
                readers[m->nodes[i].in[k]]++;
                reader[m->nodes[i].in[k]] = i;
            }
    }
    return 1;
}

static void fuse_conv_act(struct gh_nn_model *m)
{
    int *producer = NULL, *readers = NULL, *reader = NULL;
    if (!use_maps(m, &producer, &readers, &reader))
        goto out; /* fusion is optional */
    for (int i = 0; i < m->n_nodes; i++) {
        struct gh_nn_node *c = &m->nodes[i];
        if (c->dead || c->op != GH_NN_OP_CONV || gh_nn_has_post_act(c))
            continue;
        int v = c->out[0];
        if (readers[v] != 1 || m->values[v].last_use == INT32_MAX)
            continue;
        struct gh_nn_node *r = &m->nodes[reader[v]];
        if (r->dead || r->chain_len || r->in[0] != v || (r->op != GH_NN_OP_RELU && r->op != GH_NN_OP_CLIP))
            continue;
        float lim[2] = {-INFINITY, INFINITY};
        int ok = 1;
        for (int k = 1; r->op == GH_NN_OP_CLIP && k < r->n_in && k < 3; k++) {
            if (r->in[k] < 0)
                continue;
            const struct gh_nn_tensor *t = load_time_tensor(m, producer, r->in[k]);
            if (!t || t->dtype != GH_NN_F32 || gh_nn_tensor_count(t) != 1)
                ok = 0;
            else
                lim[k - 1] = ((const float *)t->data)[0];
        }
        if (!ok)
            continue;
        c->post_act = r->op;
        c->post_lo = lim[0];
        c->post_hi = lim[1];
        c->out[0] = r->out[0];
        r->dead = 1;
    }
out:
    free(producer);
    free(readers);
    free(reader);
}

/* ReduceMean over axes {2,3} with keepdims (either sign convention). */
static int spatial_mean(const struct gh_nn_node *n)
{
    if (n->op != GH_NN_OP_REDUCE_MEAN || gh_nn_attr_int(n, "keepdims", 1) != 1)
        return 0;
    const struct gh_nn_attr *a = gh_nn_attr_find(n, "axes");
    return a && a->type == GH_NN_ATTR_INTS && a->n == 2 && (a->ints[0] == 2 || a->ints[0] == -2) &&
           (a->ints[1] == 3 || a->ints[1] == -1);
}

/* Folds the population variance pattern of TF's moments():
 *   m = ReduceMean(x); d = Sub(x, m); s = Mul(d, d); v = ReduceMean(s)
 * (d and s read only there) into v = one pass over x given m, so the two
 * full-size temporaries are never written. */
static void fuse_moments(struct gh_nn_model *m)
{
    int *producer = malloc((size_t)m->n_values * sizeof *producer);
    int *readers = calloc((size_t)m->n_values, sizeof *readers);
    if (!producer || !readers)
        goto out;
    for (int v = 0; v < m->n_values; v++)
        producer[v] = -1;
    for (int i = 0; i < m->n_nodes; i++) {
        for (int k = 0; k < m->nodes[i].n_out; k++)
            producer[m->nodes[i].out[k]] = i;
        for (int k = 0; k < m->nodes[i].n_in; k++)
            if (m->nodes[i].in[k] >= 0)
                readers[m->nodes[i].in[k]]++;
    }
    for (int i = 0; i < m->n_nodes; i++) {
        struct gh_nn_node *r = &m->nodes[i];
        if (!spatial_mean(r) || r->dead || producer[r->in[0]] < 0)
            continue;
        int sq = r->in[0];
        struct gh_nn_node *mul = &m->nodes[producer[sq]];
        if (mul->op != GH_NN_OP_MUL || mul->dead || mul->in[0] != mul->in[1] || readers[sq] != 1 ||
            m->values[sq].last_use == INT32_MAX || producer[mul->in[0]] < 0)
            continue;
        int d = mul->in[0];
        struct gh_nn_node *sub = &m->nodes[producer[d]];
        /* Mul(d, d) counts as two reads of d. */
        if (sub->op != GH_NN_OP_SUB || sub->dead || readers[d] != 2 || m->values[d].last_use == INT32_MAX ||
            sub->in[1] < 0 || producer[sub->in[1]] < 0)
            continue;
        const struct gh_nn_node *mean = &m->nodes[producer[sub->in[1]]];
        if (!spatial_mean(mean) || mean->in[0] != sub->in[0])
            continue;
        r->fused_moments = 1;
        r->in[0] = sub->in[0];
        r->in[1] = sub->in[1]; /* the spare slot every node's input array has */
        r->n_in = 2;
        sub->dead = mul->dead = 1;
        for (int k = 0; k < 2; k++)
            if (m->values[r->in[k]].last_use < i)
                m->values[r->in[k]].last_use = i;
    }
out:
    free(producer);
    free(readers);
}

static int is_arith(enum gh_nn_op op)
{
    return op == GH_NN_OP_ADD || op == GH_NN_OP_SUB || op == GH_NN_OP_MUL || op == GH_NN_OP_DIV;
}

/* Folds chains of elementwise arithmetic that start from a Conv output and
 * end in an optional LeakyRelu/Relu (the per-channel affine after each
 * normalization: (x - mean) * a * b + c, LeakyReLU) into the last node, so
 * the chain is one pass over the activation instead of one per op. */
static void fuse_chains(struct gh_nn_model *m)
{
    int *producer = NULL, *readers = NULL, *reader = NULL;
    if (!use_maps(m, &producer, &readers, &reader))
        goto out; /* fusion is optional */
    for (int i = 0; i < m->n_nodes; i++) {
        struct gh_nn_node *h = &m->nodes[i];
        if (h->dead || h->chain_len || !is_arith(h->op) || h->in[0] == h->in[1])
            continue;
        int main = -1;
        for (int k = 0; k < 2; k++) {
            int p = producer[h->in[k]];
            if (p >= 0 && m->nodes[p].op == GH_NN_OP_CONV)
                main = k;
        }
        if (main < 0)
            continue;
        int nodes[GH_NN_MAX_CHAIN + 1], n = 0, x = h->in[main], cur = i, act = -1;
        while (n < GH_NN_MAX_CHAIN) {
            nodes[n++] = cur;
            int v = m->nodes[cur].out[0];
            if (readers[v] != 1 || m->values[v].last_use == INT32_MAX)
                break;
            struct gh_nn_node *r = &m->nodes[reader[v]];
            if (r->op == GH_NN_OP_LEAKY_RELU || r->op == GH_NN_OP_RELU) {
                act = reader[v];
                break;
            }
            if (!is_arith(r->op) || r->in[0] == r->in[1] || r->chain_len)
                break;
            cur = reader[v];
        }
        if (n + (act >= 0) < 2)
            continue;
        struct gh_nn_node *last = &m->nodes[act >= 0 ? act : nodes[n - 1]];
        int *in = malloc((size_t)(n + 2) * sizeof *in);
        if (!in)
            continue;
        in[0] = x;
        int prev = x;
        for (int k = 0; k < n; k++) {
            struct gh_nn_node *b = &m->nodes[nodes[k]];
            int left = b->in[1] == prev; /* main value is the right operand: side on the left */
            last->chain_op[k] = b->op;
            last->chain_left[k] = (unsigned char)left;
            in[k + 1] = left ? b->in[0] : b->in[1];
            prev = b->out[0];
        }
        last->chain_act = act >= 0 ? last->op : GH_NN_OP_COUNT;
        last->chain_alpha = act >= 0 ? gh_nn_attr_float(last, "alpha", 0.01f) : 0;
        last->chain_len = n;
        free(last->in);
        last->in = in;
        last->n_in = n + 1;
        int li = (int)(last - m->nodes);
        for (int k = 0; k < n; k++)
            if (nodes[k] != li)
                m->nodes[nodes[k]].dead = 1;
        for (int k = 0; k <= n; k++)
            if (m->values[in[k]].last_use < li)
                m->values[in[k]].last_use = li;
    }
out:
    free(producer);
    free(readers);
    free(reader);
}

enum gh_status gh_nn_graph_build(struct gh_nn_graph_def *def, struct gh_nn_model **out)
{
    enum gh_status st = GH_OK;
    struct gh_nn_model *m = calloc(1, sizeof *m);
    struct name_map map = {0, NULL, NULL};
    int *order = NULL, *pending = NULL, *ready = NULL;
    struct gh_nn_node *unsorted = NULL;
    *out = NULL;
    if (!m)
        return gh_error(GH_ERR_NOMEM, "model: out of memory");
    m->opset = def->opset;
    m->threads = 1;

    /* Values: constants, graph inputs that are not constants, node outputs. */
    size_t n_values = (size_t)def->n_consts + (size_t)def->n_inputs;
    for (int i = 0; i < def->n_nodes; i++)
        n_values += (size_t)def->nodes[i].n_out;
    if (n_values > (size_t)INT32_MAX / 4) {
        st = gh_error(GH_ERR_TOO_LARGE, "model: too many values");
        goto out;
    }
    m->values = calloc(n_values ? n_values : 1, sizeof *m->values);
    map.cap = 16;
    while (map.cap < n_values * 2)
        map.cap *= 2;
    map.slot = calloc(map.cap, sizeof *map.slot);
    map.values = m->values;
    if (!m->values || !map.slot) {
        st = gh_error(GH_ERR_NOMEM, "model: out of memory");
        goto out;
    }
    for (int i = 0; i < def->n_consts; i++) {
        struct gh_nn_value *v = &def->consts[i];
        if (map_find(&map, v->name) >= 0) {
            st = gh_error(GH_ERR_MODEL, "model: initializer '%s' defined twice", v->name);
            goto out;
        }
        m->values[m->n_values] = *v;
        m->values[m->n_values].kind = GH_NN_VALUE_CONST;
        memset(v, 0, sizeof *v);
        map_put(&map, m->values[m->n_values].name, m->n_values);
        m->n_values++;
    }
    def->n_consts = 0;
    m->inputs = calloc((size_t)def->n_inputs + 1, sizeof *m->inputs);
    m->outputs = calloc((size_t)def->n_outputs + 1, sizeof *m->outputs);
    if (!m->inputs || !m->outputs) {
        st = gh_error(GH_ERR_NOMEM, "model: out of memory");
        goto out;
    }
    for (int i = 0; i < def->n_inputs; i++) {
        struct gh_nn_value *v = &def->inputs[i];
        int found = map_find(&map, v->name);
        if (found >= 0) {
            if (m->values[found].kind == GH_NN_VALUE_CONST)
                continue; /* an initializer doubling as an input (old IR): keep it constant */
            st = gh_error(GH_ERR_MODEL, "model: graph input '%s' listed twice", v->name);
            goto out;
        }
        m->values[m->n_values] = *v;
        m->values[m->n_values].kind = GH_NN_VALUE_INPUT;
        v->name = NULL;
        map_put(&map, m->values[m->n_values].name, m->n_values);
        m->inputs[m->n_inputs++] = m->n_values++;
    }

    m->nodes = calloc((size_t)def->n_nodes + 1, sizeof *m->nodes);
    unsorted = calloc((size_t)def->n_nodes + 1, sizeof *unsorted);
    if (!m->nodes || !unsorted) {
        st = gh_error(GH_ERR_NOMEM, "model: out of memory");
        goto out;
    }
    /* Node outputs first, so inputs can refer to nodes listed later. */
    for (int i = 0; i < def->n_nodes; i++) {
        struct gh_nn_node_def *nd = &def->nodes[i];
        const struct gh_nn_op_info *info = &gh_nn_ops[nd->op];
        struct gh_nn_node *n = &unsorted[i];
        n->op = nd->op;
        n->name = nd->name;
        nd->name = NULL;
        n->attrs = nd->attrs;
        n->n_attrs = nd->n_attrs;
        nd->attrs = NULL;
        nd->n_attrs = 0;
        n->in = calloc((size_t)nd->n_in + 1, sizeof *n->in);
        n->out = calloc((size_t)nd->n_out + 1, sizeof *n->out);
        if (!n->in || !n->out) {
            st = gh_error(GH_ERR_NOMEM, "model: out of memory");
            goto out;
        }
        n->n_in = nd->n_in;
        n->n_out = nd->n_out;
        if (nd->n_in < info->min_in || nd->n_in > info->max_in || nd->n_out < info->min_out ||
            nd->n_out > info->max_out) {
            st = gh_error(GH_ERR_MODEL, "model: node '%s' (%s) has %d inputs and %d outputs", n->name, info->name,
                          nd->n_in, nd->n_out);
            goto out;
        }
        struct gh_nn_node_def tmp = *nd;
        tmp.attrs = n->attrs;
        tmp.n_attrs = n->n_attrs;
        tmp.name = n->name;
        if ((st = check_attrs(&tmp, def->opset)))
            goto out;
        if (info->check && (st = info->check(n, def->opset)))
            goto out;
        for (int k = 0; k < nd->n_out; k++) {
            char *name = nd->out[k];
            if (name[0] && map_find(&map, name) >= 0) {
                st = gh_error(GH_ERR_MODEL, "model: value '%s' is produced twice (node '%s')", name, n->name);
                goto out;
            }
            struct gh_nn_value *v = &m->values[m->n_values];
            v->name = name;
            nd->out[k] = NULL;
            v->kind = GH_NN_VALUE_ACT;
            if (name[0])
                map_put(&map, name, m->n_values);
            n->out[k] = m->n_values++;
        }
    }
    for (int i = 0; i < def->n_nodes; i++) {
        struct gh_nn_node_def *nd = &def->nodes[i];
        for (int k = 0; k < nd->n_in; k++) {
            if (!nd->in[k][0]) {
                if (k < gh_nn_ops[nd->op].min_in) {
                    st = gh_error(GH_ERR_MODEL, "model: node '%s' (%s): required input %d is empty", unsorted[i].name,
                                  gh_nn_ops[nd->op].name, k);
                    goto out;
                }
                unsorted[i].in[k] = -1;
                continue;
            }
            int v = map_find(&map, nd->in[k]);
            if (v < 0) {
                st = gh_error(GH_ERR_MODEL,
                              "model: node '%s' (%s): input '%s' is not produced by any node, initializer "
                              "or graph input",
                              unsorted[i].name, gh_nn_ops[nd->op].name, nd->in[k]);
                goto out;
            }
            unsorted[i].in[k] = v;
        }
    }
    for (int i = 0; i < def->n_outputs; i++) {
        int v = map_find(&map, def->outputs[i]);
        if (v < 0) {
            st = gh_error(GH_ERR_MODEL, "model: graph output '%s' is never produced", def->outputs[i]);
            goto out;
        }
        m->outputs[m->n_outputs++] = v;
    }
    if (m->n_outputs == 0) {
        st = gh_error(GH_ERR_MODEL, "model: graph has no outputs");
        goto out;
    }

    /* Kahn's algorithm over producers: a node is ready when all its inputs are. */
    int nn = def->n_nodes;
    int *producer = calloc((size_t)m->n_values + 1, sizeof *producer);
    pending = calloc((size_t)nn + 1, sizeof *pending);
    ready = calloc((size_t)nn + 1, sizeof *ready);
    order = calloc((size_t)nn + 1, sizeof *order);
    if (!producer || !pending || !ready || !order) {
        free(producer);
        st = gh_error(GH_ERR_NOMEM, "model: out of memory");
        goto out;
    }
    for (int v = 0; v < m->n_values; v++)
        producer[v] = -1;
    for (int i = 0; i < nn; i++)
        for (int k = 0; k < unsorted[i].n_out; k++)
            producer[unsorted[i].out[k]] = i;
    /* Consumer lists in CSR form. */
    int *cons_start = calloc((size_t)nn + 2, sizeof *cons_start);
    size_t total_in = 0;
    for (int i = 0; i < nn; i++)
        total_in += (size_t)unsorted[i].n_in;
    int *cons = calloc(total_in + 1, sizeof *cons);
    if (!cons_start || !cons) {
        free(producer);
        free(cons_start);
        free(cons);
        st = gh_error(GH_ERR_NOMEM, "model: out of memory");
        goto out;
    }
    for (int i = 0; i < nn; i++)
        for (int k = 0; k < unsorted[i].n_in; k++) {
            int v = unsorted[i].in[k];
            if (v >= 0 && producer[v] >= 0) {
                pending[i]++;
                cons_start[producer[v] + 1]++;
            }
        }
    for (int i = 0; i < nn; i++)
        cons_start[i + 1] += cons_start[i];
    int *fill = calloc((size_t)nn + 1, sizeof *fill);
    if (!fill) {
        free(producer);
        free(cons_start);
        free(cons);
        st = gh_error(GH_ERR_NOMEM, "model: out of memory");
        goto out;
    }
    for (int i = 0; i < nn; i++)
        for (int k = 0; k < unsorted[i].n_in; k++) {
            int v = unsorted[i].in[k];
            if (v >= 0 && producer[v] >= 0) {
                int p = producer[v];
                cons[cons_start[p] + fill[p]++] = i;
            }
        }
    int head = 0, tail = 0;
    for (int i = 0; i < nn; i++)
        if (!pending[i])
            ready[tail++] = i;
    while (head < tail) {
        int i = ready[head];
        order[head++] = i;
        for (int c = cons_start[i]; c < cons_start[i + 1]; c++)
            if (--pending[cons[c]] == 0)
                ready[tail++] = cons[c];
    }
    free(producer);
    free(cons_start);
    free(cons);
    free(fill);
    if (head != nn) {
        int stuck = 0;
        while (stuck < nn && !pending[stuck])
            stuck++;
        st = gh_error(GH_ERR_MODEL, "model: graph has a cycle (node '%s' depends on its own output)",
                      unsorted[stuck].name);
        goto out;
    }
    for (int i = 0; i < nn; i++) {
        m->nodes[i] = unsorted[order[i]];
        memset(&unsorted[order[i]], 0, sizeof unsorted[0]);
    }
    m->n_nodes = nn;
    if ((st = gh_nn_fuse(m)))
        goto out;
    for (int v = 0; v < m->n_values; v++)
        m->values[v].last_use = -1;
    for (int i = 0; i < m->n_nodes; i++)
        for (int k = 0; k < m->nodes[i].n_in; k++)
            if (m->nodes[i].in[k] >= 0)
                m->values[m->nodes[i].in[k]].last_use = i;
    for (int i = 0; i < m->n_outputs; i++)
        m->values[m->outputs[i]].last_use = INT32_MAX;
    if (!getenv("GH_NN_NO_FUSE")) { /* see gh_nn_fuse */
        fuse_pad_conv(m);
        fuse_moments(m);
        fuse_chains(m);
        fuse_conv_act(m);
    }
    *out = m;
    m = NULL;
out:
    if (unsorted) {
        for (int i = 0; i < def->n_nodes; i++) {
            free(unsorted[i].name);
            free(unsorted[i].in);
            free(unsorted[i].out);
            gh_nn_attrs_free(unsorted[i].attrs, unsorted[i].n_attrs);
            free(unsorted[i].attrs);
        }
        free(unsorted);
    }
    free(order);
    free(pending);
    free(ready);
    free(map.slot);
    gh_nn_free(m);
    return st;
}

void gh_nn_free(struct gh_nn_model *m)
{
    if (!m)
        return;
    for (int v = 0; v < m->n_values; v++) {
        free(m->values[v].name);
        free(m->values[v].t.data);
    }
    for (int i = 0; i < m->n_nodes; i++) {
        free(m->nodes[i].name);
        free(m->nodes[i].in);
        free(m->nodes[i].out);
        gh_nn_attrs_free(m->nodes[i].attrs, m->nodes[i].n_attrs);
        free(m->nodes[i].attrs);
    }
    for (int b = 0; b < m->n_blocks; b++)
        free(m->blocks[b].p);
    if (m->wino)
        for (int i = 0; i < m->n_nodes; i++)
            free(m->wino[i]);
    free(m->wino);
    free(m->prof_node_ms);
    free(m->global);
    free(m->tiling);
    free(m->shape_log);
    free(m->blocks);
    free(m->values);
    free(m->nodes);
    free(m->inputs);
    free(m->outputs);
    free(m);
}

const struct gh_nn_attr *gh_nn_attr_find(const struct gh_nn_node *node, const char *name)
{
    for (int i = 0; i < node->n_attrs; i++)
        if (strcmp(node->attrs[i].name, name) == 0)
            return &node->attrs[i];
    return NULL;
}

int64_t gh_nn_attr_int(const struct gh_nn_node *node, const char *name, int64_t dflt)
{
    const struct gh_nn_attr *a = gh_nn_attr_find(node, name);
    return a && a->type == GH_NN_ATTR_INT ? a->i : dflt;
}

float gh_nn_attr_float(const struct gh_nn_node *node, const char *name, float dflt)
{
    const struct gh_nn_attr *a = gh_nn_attr_find(node, name);
    return a && a->type == GH_NN_ATTR_FLOAT ? a->f : dflt;
}

const char *gh_nn_attr_string(const struct gh_nn_node *node, const char *name, const char *dflt)
{
    const struct gh_nn_attr *a = gh_nn_attr_find(node, name);
    return a && a->type == GH_NN_ATTR_STRING ? a->s : dflt;
}
