/* Graph rewrites run once after loading (gh_nn_graph_build calls gh_nn_fuse):
 * patterns that cost many passes over memory as separate ONNX ops become one
 * internal op. Each rewrite only fires when every intermediate value it
 * removes is read by nothing outside the pattern (and is not a graph output),
 * so the graph computes the same function, up to float rounding.
 *
 * 1. Channel normalization (AnimeGANv3's LADE blocks, 13 in the Hayao model):
 *      m = ReduceMean(x, [2,3]); v = ReduceMean((x - m) * (x - m), [2,3])
 *      m1, v1 the same for x1
 *      y = (x - m) * Reciprocal(Sqrt(v + eps)) * Sqrt(v1 + eps1) + m1
 *      [y = LeakyRelu(y, alpha)]
 *    becomes GH_NN_OP_CHANNEL_NORM(x, x1, eps, eps1; alpha): 17 full-size
 *    passes become about 3, and no full-size temporaries. When x1 is a plain
 *    1x1 Conv of some xin read only by the pattern (x1 = Conv_1(x) in
 *    AnimeGANv3), the Conv is folded in as well: ChannelNorm(x, xin, eps,
 *    eps1, W, B) computes x1's statistics from column blocks of W xin + B
 *    and never stores x1.
 *    The means may also be GlobalAveragePool, and the pattern may come in
 *    tf2onnx's NHWC form (AnimeGANv3 Shinkai, opset 9): x - m transposed to
 *    NHWC, divided and multiplied by the statistics Reshaped to [-1,1,1,C],
 *    transposed back before + m1; the same ChannelNorm (fuse_norm_nhwc).
 * 2. A Pad with all-zero pads is dropped (its readers read its input).
 * (Pad -> Conv and the remaining moments() patterns are folded afterwards by
 * graph.c, marking nodes dead in place.) */
#include "nn/nn_internal.h"

#include <stdlib.h>
#include <string.h>

struct fuse_ctx {
    struct gh_nn_model *m;
    int *producer; /* per value: node index or -1 */
    int *readers;  /* per value: number of node inputs reading it (+1 if a graph output) */
    char *dead;    /* per node: removed by a rewrite */
};

static int prod(const struct fuse_ctx *f, int v, enum gh_nn_op op)
{
    if (v < 0)
        return -1;
    int p = f->producer[v];
    return p >= 0 && !f->dead[p] && f->m->nodes[p].op == op ? p : -1;
}

static const struct gh_nn_node *node(const struct fuse_ctx *f, int i)
{
    return &f->m->nodes[i];
}

/* ReduceMean over axes {2,3} (or {-2,-1}) keeping dims. */
static int is_spatial_mean(const struct fuse_ctx *f, int i)
{
    const struct gh_nn_node *n = node(f, i);
    const struct gh_nn_attr *a = gh_nn_attr_find(n, "axes");
    if (n->n_in != 1 || gh_nn_attr_int(n, "keepdims", 1) != 1 || !a || a->type != GH_NN_ATTR_INTS || a->n != 2)
        return 0;
    int64_t a0 = a->ints[0], a1 = a->ints[1];
    return (a0 == 2 && a1 == 3) || (a0 == 3 && a1 == 2) || (a0 == -2 && a1 == -1) || (a0 == -1 && a1 == -2);
}

/* The node producing v if it is a spatial mean: ReduceMean over {2,3} or
 * GlobalAveragePool (the same on the 4-D tensors ChannelNorm accepts; its
 * kernel refuses any other rank). -1 otherwise. */
static int spatial_mean_of(const struct fuse_ctx *f, int v)
{
    int i = prod(f, v, GH_NN_OP_REDUCE_MEAN);
    if (i >= 0)
        return is_spatial_mean(f, i) ? i : -1;
    return prod(f, v, GH_NN_OP_GLOBAL_AVERAGE_POOL);
}

static int is_scalar_const(const struct fuse_ctx *f, int v)
{
    return v >= 0 && f->m->values[v].kind == GH_NN_VALUE_CONST && f->m->values[v].t.dtype == GH_NN_F32 &&
           gh_nn_tensor_count(&f->m->values[v].t) == 1;
}

/* Matches v = ReduceMean((x - m) * (x - m)) with m = ReduceMean(x); returns
 * the variance node, sets *x, *mean_node, *sub_node, *sq_node. */
static int match_var(const struct fuse_ctx *f, int v, int *x, int *mean_node, int *sub_node, int *sq_node)
{
    int rv = spatial_mean_of(f, v);
    if (rv < 0)
        return -1;
    int sq = prod(f, node(f, rv)->in[0], GH_NN_OP_MUL);
    if (sq < 0 || node(f, sq)->in[0] != node(f, sq)->in[1])
        return -1;
    int sub = prod(f, node(f, sq)->in[0], GH_NN_OP_SUB);
    if (sub < 0)
        return -1;
    int mean = spatial_mean_of(f, node(f, sub)->in[1]);
    if (mean < 0 || node(f, mean)->in[0] != node(f, sub)->in[0])
        return -1;
    *x = node(f, sub)->in[0];
    *mean_node = mean;
    *sub_node = sub;
    *sq_node = sq;
    return rv;
}

/* Matches s = Sqrt(v + eps) (either operand order); returns the Add node. */
static int match_sqrt_add(const struct fuse_ctx *f, int s_node, int *var_value, int *eps)
{
    int add = prod(f, node(f, s_node)->in[0], GH_NN_OP_ADD);
    if (add < 0)
        return -1;
    const struct gh_nn_node *a = node(f, add);
    if (is_scalar_const(f, a->in[1])) {
        *var_value = a->in[0];
        *eps = a->in[1];
    } else if (is_scalar_const(f, a->in[0])) {
        *var_value = a->in[1];
        *eps = a->in[0];
    } else {
        return -1;
    }
    return add;
}

/* Every value produced by the nodes in set (n entries) is read only by nodes
 * in the set, except keep (the pattern's output). */
static int closed(const struct fuse_ctx *f, const int *set, int n, int keep)
{
    const struct gh_nn_model *m = f->m;
    for (int i = 0; i < n; i++) {
        const struct gh_nn_node *p = node(f, set[i]);
        for (int k = 0; k < p->n_out; k++) {
            int v = p->out[k];
            if (v == keep)
                continue;
            int inside = 0;
            for (int j = 0; j < n; j++) {
                const struct gh_nn_node *c = node(f, set[j]);
                for (int q = 0; q < c->n_in; q++)
                    inside += c->in[q] == v;
            }
            if (inside != f->readers[v])
                return 0;
        }
    }
    (void)m;
    return 1;
}

static void free_node(struct gh_nn_node *n)
{
    free(n->name);
    free(n->in);
    free(n->out);
    gh_nn_attrs_free(n->attrs, n->n_attrs);
    free(n->attrs);
    memset(n, 0, sizeof *n);
}

/* A Conv with a constant [M, C, 1, 1] weight (and constant bias, if any),
 * unit strides and dilations, no pads and no groups: x1 = W x + b. */
static int conv1x1_plain(const struct fuse_ctx *f, int i)
{
    const struct gh_nn_node *c = node(f, i);
    const struct gh_nn_model *m = f->m;
    if (c->n_in < 2 || c->in[0] < 0 || c->in[1] < 0 || gh_nn_attr_int(c, "group", 1) != 1 || c->fused_pad ||
        strcmp(gh_nn_attr_string(c, "auto_pad", "NOTSET"), "NOTSET"))
        return 0;
    const struct gh_nn_value *w = &m->values[c->in[1]];
    if (w->kind != GH_NN_VALUE_CONST || w->t.dtype != GH_NN_F32 || w->t.ndim != 4 || w->t.shape[2] != 1 ||
        w->t.shape[3] != 1)
        return 0;
    if (c->n_in > 2 && c->in[2] >= 0 &&
        (m->values[c->in[2]].kind != GH_NN_VALUE_CONST || m->values[c->in[2]].t.dtype != GH_NN_F32))
        return 0;
    const char *names[] = {"pads", "strides", "dilations", "kernel_shape"};
    for (int k = 0; k < 4; k++) {
        const struct gh_nn_attr *a = gh_nn_attr_find(c, names[k]);
        if (!a)
            continue;
        if (a->type != GH_NN_ATTR_INTS)
            return 0;
        for (int j = 0; j < a->n; j++)
            if (a->ints[j] != (k == 0 ? 0 : 1))
                return 0;
    }
    return 1;
}

static enum gh_status emit_norm(struct fuse_ctx *f, int top, const int *list, int n_list, int x, int x1, int eps,
                                int eps1);

static enum gh_status fuse_norm(struct fuse_ctx *f, int top)
{
    /* top is an Add(P, m1); it may feed a LeakyRelu. */
    const struct gh_nn_node *add = node(f, top);
    int p = -1, m1 = -1;
    for (int k = 0; k < 2 && p < 0; k++) {
        int mm = spatial_mean_of(f, add->in[k]);
        int pp = prod(f, add->in[1 - k], GH_NN_OP_MUL);
        if (mm >= 0 && pp >= 0) {
            m1 = mm;
            p = pp;
        }
    }
    if (p < 0)
        return GH_OK;
    /* P = Mul(T, S1) with S1 = Sqrt(...), T = Mul(U, R). */
    int t = -1, s1 = -1;
    for (int k = 0; k < 2 && t < 0; k++) {
        int tt = prod(f, node(f, p)->in[k], GH_NN_OP_MUL), ss = prod(f, node(f, p)->in[1 - k], GH_NN_OP_SQRT);
        if (tt >= 0 && ss >= 0) {
            t = tt;
            s1 = ss;
        }
    }
    if (t < 0)
        return GH_OK;
    int u = -1, r = -1;
    for (int k = 0; k < 2 && u < 0; k++) {
        int uu = prod(f, node(f, t)->in[k], GH_NN_OP_SUB), rr = prod(f, node(f, t)->in[1 - k], GH_NN_OP_RECIPROCAL);
        if (uu >= 0 && rr >= 0) {
            u = uu;
            r = rr;
        }
    }
    if (u < 0)
        return GH_OK;
    int s = prod(f, node(f, r)->in[0], GH_NN_OP_SQRT);
    if (s < 0)
        return GH_OK;
    int var_v, eps, var1_v, eps1, x, mean, sub, sq, x1, mean1, sub1, sq1;
    int e = match_sqrt_add(f, s, &var_v, &eps), e1 = match_sqrt_add(f, s1, &var1_v, &eps1);
    if (e < 0 || e1 < 0)
        return GH_OK;
    int v = match_var(f, var_v, &x, &mean, &sub, &sq), v1 = match_var(f, var1_v, &x1, &mean1, &sub1, &sq1);
    if (v < 0 || v1 < 0 || mean1 != m1)
        return GH_OK;
    /* U = x - mean (the same mean node as the variance's). */
    if (node(f, u)->in[0] != x || node(f, u)->in[1] != node(f, mean)->out[0])
        return GH_OK;
    int list[] = {top, p, t, s1, u, r, s, e, e1, v, sq, sub, mean, v1, sq1, sub1, mean1};
    return emit_norm(f, top, list, (int)(sizeof list / sizeof list[0]), x, x1, eps, eps1);
}

/* Replaces the pattern's nodes (list; top = its final Add, which may feed a
 * LeakyRelu that is folded too) by one ChannelNorm(x, x1, eps, eps1), if no
 * node is listed twice and nothing outside reads an intermediate value. */
static enum gh_status emit_norm(struct fuse_ctx *f, int top, const int *list, int n_list, int x, int x1, int eps,
                                int eps1)
{
    struct gh_nn_model *m = f->m;
    const struct gh_nn_node *add = node(f, top);
    int set[24] = {0}, n = 0;
    int out_node = top, leaky = -1;
    int out_v = add->out[0];
    if (f->readers[out_v] == 1) {
        for (int i = top + 1; i < m->n_nodes; i++)
            if (!f->dead[i] && m->nodes[i].op == GH_NN_OP_LEAKY_RELU && m->nodes[i].in[0] == out_v) {
                leaky = i;
                break;
            }
    }
    if (n_list > 23)
        return GH_OK;
    for (int i = 0; i < n_list; i++) {
        for (int j = 0; j < n; j++)
            if (set[j] == list[i])
                return GH_OK; /* a node used twice: not the pattern */
        set[n++] = list[i];
    }
    if (leaky >= 0) {
        set[n++] = leaky;
        out_node = leaky;
    }
    int final_v = node(f, out_node)->out[0];
    if (!closed(f, set, n, final_v))
        return GH_OK;
    float alpha = leaky >= 0 ? gh_nn_attr_float(node(f, leaky), "alpha", 0.01f) : 1.0f;

    /* Build the fused node in place of the last one (it is after every
     * other node of the pattern in topological order). */
    int last = set[0];
    for (int i = 1; i < n; i++)
        last = set[i] > last ? set[i] : last;
    struct gh_nn_node fused;
    memset(&fused, 0, sizeof fused);
    fused.op = GH_NN_OP_CHANNEL_NORM;
    fused.n_in = 4;
    fused.n_out = 1;
    fused.in = malloc(4 * sizeof *fused.in);
    fused.out = malloc(sizeof *fused.out);
    fused.attrs = calloc(1, sizeof *fused.attrs);
    const char *nm = node(f, out_node)->name;
    size_t nm_size = strlen(nm) + 1;
    fused.name = malloc(nm_size);
    char *an = malloc(sizeof "alpha");
    if (!fused.in || !fused.out || !fused.attrs || !fused.name || !an) {
        free(an);
        free_node(&fused);
        return gh_error(GH_ERR_NOMEM, "model: out of memory");
    }
    memcpy(fused.name, nm, nm_size);
    memcpy(an, "alpha", sizeof "alpha");
    fused.n_attrs = 1;
    fused.attrs[0].name = an;
    fused.attrs[0].type = GH_NN_ATTR_FLOAT;
    fused.attrs[0].f = alpha;
    fused.in[0] = x;
    fused.in[1] = x1;
    fused.in[2] = eps;
    fused.in[3] = eps1;
    fused.out[0] = final_v;
    /* x1 from a plain 1x1 Conv read only here: fold it too, the kernel
     * needs x1's statistics only (GEMM in column blocks, never stored). */
    int pc = prod(f, x1, GH_NN_OP_CONV);
    if (pc >= 0 && f->readers[x1] == 2 /* the mean and the variance's Sub */ && conv1x1_plain(f, pc)) {
        int *in6 = realloc(fused.in, 6 * sizeof *in6);
        if (!in6) {
            free_node(&fused);
            return gh_error(GH_ERR_NOMEM, "model: out of memory");
        }
        fused.in = in6;
        fused.n_in = 6;
        fused.in[1] = node(f, pc)->in[0];
        fused.in[4] = node(f, pc)->in[1];
        fused.in[5] = node(f, pc)->n_in > 2 ? node(f, pc)->in[2] : -1;
        free_node(&m->nodes[pc]);
        f->dead[pc] = 1;
    }
    for (int i = 0; i < n; i++) {
        free_node(&m->nodes[set[i]]);
        f->dead[set[i]] = 1;
    }
    m->nodes[last] = fused;
    f->dead[last] = 0;
    f->producer[final_v] = last;
    return GH_OK;
}

/* ---- the same normalization as exported by tf2onnx in NHWC (Shinkai) ----
 *   d = Transpose(x - m, [0,2,3,1]) / Reshape(Sqrt(v + eps), [-1,1,1,C])
 *   y = Transpose(d * Reshape(Sqrt(v1 + eps1), [-1,1,1,C]), [0,3,1,2]) + m1
 * with means and variances by GlobalAveragePool. Reshaping a [N,C,1,1]
 * statistic to [N,1,1,C] keeps its values in order, so scaling the NHWC
 * tensor by it scales channel c by statistic c: y is the NCHW ChannelNorm.
 * That holds only if the reshape's C is the tensor's channel count, so both
 * x and x1 must come from Conv nodes with constant weights of C outputs. */

static int is_perm(const struct gh_nn_node *n, int a, int b, int c, int d)
{
    const struct gh_nn_attr *p = gh_nn_attr_find(n, "perm");
    return p && p->type == GH_NN_ATTR_INTS && p->n == 4 && p->ints[0] == a && p->ints[1] == b &&
           p->ints[2] == c && p->ints[3] == d;
}

/* Reshape(v', [-1,1,1,K]) producing v: its node, *k = K; -1 otherwise. */
static int nhwc_stat(const struct fuse_ctx *f, int v, int64_t *k)
{
    int r = prod(f, v, GH_NN_OP_RESHAPE);
    if (r < 0 || node(f, r)->n_in != 2 || node(f, r)->in[1] < 0)
        return -1;
    const struct gh_nn_value *sh = &f->m->values[node(f, r)->in[1]];
    if (sh->kind != GH_NN_VALUE_CONST || sh->t.dtype != GH_NN_I64 || gh_nn_tensor_count(&sh->t) != 4)
        return -1;
    const int64_t *d = sh->t.data;
    if (d[0] != -1 || d[1] != 1 || d[2] != 1 || d[3] <= 0)
        return -1;
    *k = d[3];
    return r;
}

/* Output channels of the Conv producing v, from its constant 4-D weights; -1 if unknown. */
static int64_t conv_channels(const struct fuse_ctx *f, int v)
{
    int c = prod(f, v, GH_NN_OP_CONV);
    if (c < 0 || node(f, c)->n_in < 2 || node(f, c)->in[1] < 0)
        return -1;
    const struct gh_nn_value *w = &f->m->values[node(f, c)->in[1]];
    return w->kind == GH_NN_VALUE_CONST && w->t.ndim == 4 ? w->t.shape[0] : -1;
}

static enum gh_status fuse_norm_nhwc(struct fuse_ctx *f, int top)
{
    const struct gh_nn_node *add = node(f, top);
    int tp = -1, m1 = -1;
    for (int k = 0; k < 2 && tp < 0; k++) {
        int t = prod(f, add->in[k], GH_NN_OP_TRANSPOSE), mm = spatial_mean_of(f, add->in[1 - k]);
        if (t >= 0 && mm >= 0 && is_perm(node(f, t), 0, 3, 1, 2)) {
            tp = t;
            m1 = mm;
        }
    }
    if (tp < 0)
        return GH_OK;
    int p = prod(f, node(f, tp)->in[0], GH_NN_OP_MUL);
    if (p < 0)
        return GH_OK;
    int d = -1, rs1 = -1;
    int64_t k0 = 0, k1 = 0;
    for (int k = 0; k < 2 && d < 0; k++) {
        int dd = prod(f, node(f, p)->in[k], GH_NN_OP_DIV), rr = nhwc_stat(f, node(f, p)->in[1 - k], &k1);
        if (dd >= 0 && rr >= 0) {
            d = dd;
            rs1 = rr;
        }
    }
    if (d < 0)
        return GH_OK;
    int ts = prod(f, node(f, d)->in[0], GH_NN_OP_TRANSPOSE), rs = nhwc_stat(f, node(f, d)->in[1], &k0);
    if (ts < 0 || rs < 0 || !is_perm(node(f, ts), 0, 2, 3, 1))
        return GH_OK;
    int s = prod(f, node(f, rs)->in[0], GH_NN_OP_SQRT), s1 = prod(f, node(f, rs1)->in[0], GH_NN_OP_SQRT);
    if (s < 0 || s1 < 0)
        return GH_OK;
    int var_v, eps, var1_v, eps1, x, mean, sub, sq, x1, mean1, sub1, sq1;
    int e = match_sqrt_add(f, s, &var_v, &eps), e1 = match_sqrt_add(f, s1, &var1_v, &eps1);
    if (e < 0 || e1 < 0)
        return GH_OK;
    int v = match_var(f, var_v, &x, &mean, &sub, &sq), v1 = match_var(f, var1_v, &x1, &mean1, &sub1, &sq1);
    if (v < 0 || v1 < 0 || mean1 != m1)
        return GH_OK;
    /* The normalized tensor is x - mean: the variance's Sub or another one. */
    int u = prod(f, node(f, ts)->in[0], GH_NN_OP_SUB);
    if (u < 0 || node(f, u)->in[0] != x || node(f, u)->in[1] != node(f, mean)->out[0])
        return GH_OK;
    if (conv_channels(f, x) != k0 || conv_channels(f, x1) != k1)
        return GH_OK;
    int list[20] = {top, tp, p, d, ts, rs, rs1, s, s1, e, e1, v, sq, sub, mean, v1, sq1, sub1, mean1};
    int n = 19;
    if (u != sub)
        list[n++] = u;
    return emit_norm(f, top, list, n, x, x1, eps, eps1);
}

/* A Pad whose constant pads are all zero copies its input: its readers read
 * the input instead (tf2onnx keeps TF's zero-width MirrorPads before every
 * 1x1 conv, 16 in the Shinkai model). */
static void drop_zero_pads(struct fuse_ctx *f)
{
    struct gh_nn_model *m = f->m;
    for (int i = 0; i < m->n_nodes; i++) {
        struct gh_nn_node *n = &m->nodes[i];
        if (n->op != GH_NN_OP_PAD || n->n_in < 2 || n->in[0] < 0 || n->in[1] < 0 || n->n_out != 1)
            continue;
        const struct gh_nn_value *pv = &m->values[n->in[1]];
        if (pv->kind != GH_NN_VALUE_CONST || pv->t.dtype != GH_NN_I64)
            continue;
        size_t cnt = gh_nn_tensor_count(&pv->t), z = 0;
        while (z < cnt && ((const int64_t *)pv->t.data)[z] == 0)
            z++;
        int out = n->out[0], is_output = 0;
        for (int k = 0; k < m->n_outputs; k++)
            is_output |= m->outputs[k] == out;
        if (cnt == 0 || z != cnt || is_output)
            continue;
        for (int j = i + 1; j < m->n_nodes; j++)
            for (int k = 0; k < m->nodes[j].n_in; k++)
                if (m->nodes[j].in[k] == out)
                    m->nodes[j].in[k] = n->in[0];
        free_node(n);
        f->dead[i] = 1;
    }
}

enum gh_status gh_nn_fuse(struct gh_nn_model *m)
{
    enum gh_status st = GH_OK;
    struct fuse_ctx f = {m, NULL, NULL, NULL};
    if (getenv("GH_NN_NO_FUSE"))
        return GH_OK;
    f.producer = malloc(((size_t)m->n_values + 1) * sizeof *f.producer);
    f.readers = calloc((size_t)m->n_values + 1, sizeof *f.readers);
    f.dead = calloc((size_t)m->n_nodes + 1, 1);
    if (!f.producer || !f.readers || !f.dead) {
        st = gh_error(GH_ERR_NOMEM, "model: out of memory");
        goto out;
    }
    drop_zero_pads(&f);
    for (int v = 0; v < m->n_values; v++)
        f.producer[v] = -1;
    for (int i = 0; i < m->n_nodes; i++) {
        if (f.dead[i])
            continue;
        for (int k = 0; k < m->nodes[i].n_out; k++)
            f.producer[m->nodes[i].out[k]] = i;
        for (int k = 0; k < m->nodes[i].n_in; k++)
            if (m->nodes[i].in[k] >= 0)
                f.readers[m->nodes[i].in[k]]++;
    }
    for (int i = 0; i < m->n_outputs; i++)
        f.readers[m->outputs[i]]++;
    for (int i = 0; i < m->n_nodes && !st; i++)
        if (!f.dead[i] && m->nodes[i].op == GH_NN_OP_ADD && !(st = fuse_norm(&f, i)) && !f.dead[i])
            st = fuse_norm_nhwc(&f, i);
    /* Drop the removed nodes, keeping the order. */
    int k = 0;
    for (int i = 0; i < m->n_nodes; i++)
        if (!f.dead[i])
            m->nodes[k++] = m->nodes[i];
    for (int i = k; i < m->n_nodes; i++) /* moved or freed: the model must not free them again */
        memset(&m->nodes[i], 0, sizeof m->nodes[i]);
    m->n_nodes = k;
out:
    free(f.producer);
    free(f.readers);
    free(f.dead);
    return st;
}
