/* gh_nn_analyze (include/ghiblify/nn.h): which nodes reduce over the whole
 * image, whether the graph can be frozen at them, and how far an output pixel
 * sees (the receptive field), for tiled runs.
 *
 * Whole-image reductions are found by shape, not by name: the graph runs at
 * two small probe sizes (the executor logs every value's shape), and a
 * reduction whose reduced extent differs between them reduces over image
 * axes. The probes differ in both H and W and in H * W, so a reduction over
 * H, W or both shows. The receptive field is a walk over the nodes in order
 * with, per value, its stride S (input pixels per element) and the interval
 * [lo, hi] (input pixels, relative to element o at o * S) that element reads;
 * which axes are image axes also comes from the probes (their sizes differ). */
#include "nn/nn_internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static size_t shape_count(const struct gh_nn_shape *s)
{
    if (s->ndim < 0)
        return 0;
    return gh_nn_count(s->ndim, s->shape);
}

/* The shape of value v in a probe run (constants: their own). */
static const struct gh_nn_shape *shape_of(const struct gh_nn_model *m, const struct gh_nn_shape *log, int v,
                                          struct gh_nn_shape *tmp)
{
    if (m->values[v].kind != GH_NN_VALUE_CONST)
        return &log[v];
    tmp->ndim = m->values[v].t.ndim;
    memcpy(tmp->shape, m->values[v].t.shape, sizeof tmp->shape);
    return tmp;
}

static enum gh_status probe(struct gh_nn_model *m, int nhwc, int h, int w, struct gh_nn_shape *log)
{
    struct gh_nn_tensor x, y;
    memset(&y, 0, sizeof y);
    enum gh_status st = gh_nn_image_input(nhwc, w, h, &x);
    if (st)
        return gh_error_prefix(st, "tiles: probe run");
    size_t n = (size_t)h * (size_t)w * 3;
    float *d = x.data;
    /* A pattern, not a flat image: normalizations see a real variance. */
    for (size_t i = 0; i < n; i++)
        d[i] = (float)((i * 37) % 101) / 50.0f - 1.0f;
    for (int v = 0; v < m->n_values; v++)
        log[v].ndim = -1;
    enum gh_nn_freeze fz = m->freeze;
    m->freeze = GH_NN_FREEZE_OFF;
    m->shape_log = log;
    st = gh_nn_run(m, &x, &y);
    m->shape_log = NULL;
    m->freeze = fz;
    gh_nn_tensor_release(&x);
    gh_nn_tensor_release(&y);
    if (st)
        gh_error_prefix(st, "tiles: probe run");
    return st;
}

static enum gh_status refuse(const struct gh_nn_node *n, const char *why)
{
    return gh_error(GH_ERR_UNSUPPORTED,
                    "tiles: node '%s' (%s) %s: its whole-image dependency cannot be frozen, so the model "
                    "cannot run in tiles",
                    n->name, gh_nn_ops[n->op].name, why);
}

/* Softmax's reduced length for an input shape (as its kernel computes it). */
static int64_t softmax_len(const struct gh_nn_model *m, const struct gh_nn_node *n, const struct gh_nn_shape *s)
{
    int old = m->opset < 13;
    int axis = (int)gh_nn_attr_int(n, "axis", old ? 1 : -1);
    if (axis < 0)
        axis += s->ndim;
    if (axis < 0 || axis >= s->ndim)
        return 0;
    int64_t len = 1;
    for (int i = axis; i < (old ? s->ndim : axis + 1); i++)
        len *= s->shape[i];
    return len;
}

/* Marks m->global and refuses what cannot be frozen (see nn.h). */
static enum gh_status find_global(struct gh_nn_model *m, const struct gh_nn_shape *la, const struct gh_nn_shape *lb,
                                  int *n_global)
{
    struct gh_nn_shape ta, tb;
    *n_global = 0;
    for (int i = 0; i < m->n_nodes; i++) {
        const struct gh_nn_node *n = &m->nodes[i];
        if (n->dead || n->n_in < 1 || n->in[0] < 0)
            continue;
        const struct gh_nn_shape *ia = shape_of(m, la, n->in[0], &ta), *ib = shape_of(m, lb, n->in[0], &tb);
        const struct gh_nn_shape *oa = &la[n->out[0]], *ob = &lb[n->out[0]];
        size_t cia = shape_count(ia), cib = shape_count(ib), coa = shape_count(oa), cob = shape_count(ob);
        int grows = cia != cib, global = 0;
        switch (n->op) {
        case GH_NN_OP_REDUCE_MEAN:
        case GH_NN_OP_REDUCE_SUM:
        case GH_NN_OP_GLOBAL_AVERAGE_POOL:
            if (coa && cob && cia / coa != cib / cob) {
                if (coa != cob)
                    return refuse(n, "reduces over only some of the image axes");
                global = 1;
            }
            break;
        case GH_NN_OP_SOFTMAX: {
            int64_t lena = softmax_len(m, n, ia), lenb = softmax_len(m, n, ib);
            if (lena != lenb) {
                if (!lena || !lenb || cia / (size_t)lena != cib / (size_t)lenb)
                    return refuse(n, "is a softmax over only some of the image axes");
                global = 1;
            }
            break;
        }
        case GH_NN_OP_INSTANCE_NORM:
        case GH_NN_OP_CHANNEL_NORM:
            global = grows;
            break;
        case GH_NN_OP_MATMUL:
            if (ia->ndim > 0 && ib->ndim > 0 && ia->shape[ia->ndim - 1] != ib->shape[ib->ndim - 1])
                return refuse(n, "contracts over image positions (attention)");
            break;
        case GH_NN_OP_RESIZE:
        case GH_NN_OP_UPSAMPLE: {
            const char *ct = gh_nn_attr_string(n, "coordinate_transformation_mode",
                                               n->op == GH_NN_OP_UPSAMPLE ? "asymmetric" : "half_pixel");
            if (grows && strcmp(ct, "asymmetric") && strcmp(ct, "half_pixel") && strcmp(ct, "pytorch_half_pixel"))
                return refuse(n, "resizes with a coordinate mode that depends on the image size");
            if (grows && (!cia || !cib || coa * cib != cob * cia))
                return refuse(n, "resizes to a size that does not scale with the image");
            break;
        }
        default:
            /* A float value of fixed size made from a growing one. */
            /* NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult): the probe runs fill la, lb */
            if (grows && oa->ndim >= 0 && coa == cob && oa->dtype == GH_NN_F32 && ia->dtype == GH_NN_F32)
                return refuse(n, "maps the whole image to a fixed-size value");
            break;
        }
        m->global[i] = (unsigned char)global;
        *n_global += global;
    }
    return GH_OK;
}

struct field {
    double s, lo, hi;
    int spatial;
};

static int64_t ints_at(const struct gh_nn_node *n, const char *name, int k, int64_t dflt)
{
    const struct gh_nn_attr *a = gh_nn_attr_find(n, name);
    return a && a->type == GH_NN_ATTR_INTS && k < a->n ? a->ints[k] : dflt;
}

/* The receptive-field walk (see the top of the file). */
static enum gh_status walk_field(struct gh_nn_model *m, const struct gh_nn_shape *la, const struct gh_nn_shape *lb,
                                 struct gh_nn_tiling *t)
{
    struct field *f = calloc((size_t)m->n_values, sizeof *f);
    struct gh_nn_shape ta, tb;
    double smax = 1;
    enum gh_status st = GH_OK;
    if (!f)
        return gh_error(GH_ERR_NOMEM, "tiles: out of memory");
    f[m->inputs[0]] = (struct field){1, 0, 0, 1};
    for (int i = 0; i < m->n_nodes; i++) {
        const struct gh_nn_node *n = &m->nodes[i];
        if (n->dead)
            continue;
        struct field o = {0, 0, 0, 0};
        for (int k = 0; k < n->n_in; k++) {
            int v = n->in[k];
            if (v < 0 || !f[v].spatial)
                continue;
            if (!o.spatial)
                o = f[v];
            o.lo = fmin(o.lo, f[v].lo);
            o.hi = fmax(o.hi, f[v].hi);
            o.s = fmax(o.s, f[v].s);
        }
        if (!o.spatial || n->in[0] < 0)
            continue;
        const struct gh_nn_shape *ia = shape_of(m, la, n->in[0], &ta), *ib = shape_of(m, lb, n->in[0], &tb);
        const struct gh_nn_shape *oa = &la[n->out[0]];
        int r = ia->ndim;
        if (n->op == GH_NN_OP_CONV && f[n->in[0]].spatial && n->n_in > 1 && n->in[1] >= 0) {
            const struct gh_nn_shape *w = shape_of(m, la, n->in[1], &tb);
            double lo = 0, hi = 0, stride = 0;
            for (int a = 2; a < r && w->ndim == r; a++) {
                if (ia->shape[a] == ib->shape[a] && w->shape[a] == 1)
                    continue; /* not an image axis and nothing read across it */
                int64_t k = w->shape[a], d = ints_at(n, "dilations", a - 2, 1), s = ints_at(n, "strides", a - 2, 1);
                int64_t ext = (k - 1) * d, pb = ints_at(n, "pads", a - 2, 0), pbmin, pbmax;
                const char *ap = gh_nn_attr_string(n, "auto_pad", "NOTSET");
                if (n->fused_pad == 1 || n->fused_pad == 2)
                    pb = n->fpads[a - 2];
                if (n->fused_pad == 3 || !strncmp(ap, "SAME", 4)) {
                    pbmin = 0;
                    pbmax = ext;
                } else {
                    pbmin = pbmax = !strcmp(ap, "VALID") ? 0 : pb;
                }
                lo = fmax(lo, (double)pbmax);
                hi = fmax(hi, (double)(ext - pbmin));
                if (stride && stride != (double)s && ia->shape[a] != ib->shape[a]) {
                    st = gh_error(GH_ERR_UNSUPPORTED, "tiles: node '%s' (Conv) has different strides along H and W",
                                  n->name);
                    goto out;
                }
                if (ia->shape[a] != ib->shape[a])
                    stride = (double)s;
            }
            o.lo -= lo * o.s;
            o.hi += hi * o.s;
            o.s *= stride ? stride : 1;
        } else if (n->op == GH_NN_OP_CONV_TRANSPOSE && n->n_in > 1 && n->in[1] >= 0) {
            const struct gh_nn_shape *w = shape_of(m, la, n->in[1], &tb);
            int64_t k = w->ndim == r && r > 2 ? w->shape[r - 1] : 1, s = ints_at(n, "strides", 0, 1);
            o.lo -= (double)k * o.s;
            o.hi += (double)k * o.s;
            o.s /= (double)(s > 0 ? s : 1);
        } else if (n->op == GH_NN_OP_PAD || n->op == GH_NN_OP_SLICE) {
            /* Shifts which input element an output element is: by the
             * begin pads (from the shapes: both ends as a bound when the
             * pads are not constants), or by a Slice's starts. */
            double grow = 0, pbmin = INFINITY, pbmax = 0;
            int pv = n->n_in > 1 ? n->in[1] : -1;
            const struct gh_nn_tensor *pads = pv >= 0 && m->values[pv].kind == GH_NN_VALUE_CONST ? &m->values[pv].t : NULL;
            if (pads && (pads->dtype != GH_NN_I64 || (int)gh_nn_tensor_count(pads) != 2 * r))
                pads = NULL;
            for (int a = 0; a < r && oa->ndim == r; a++)
                if (ia->shape[a] != ib->shape[a]) {
                    grow = fmax(grow, fabs((double)(oa->shape[a] - ia->shape[a])));
                    if (pads) {
                        pbmin = fmin(pbmin, (double)((const int64_t *)pads->data)[a]);
                        pbmax = fmax(pbmax, (double)((const int64_t *)pads->data)[a]);
                    }
                }
            if (n->op == GH_NN_OP_SLICE && grow > 0) {
                st = gh_error(GH_ERR_UNSUPPORTED, "tiles: node '%s' (Slice) crops an image axis", n->name);
                goto out;
            }
            if (n->op == GH_NN_OP_PAD && pads && pbmin <= pbmax) {
                o.lo -= pbmax * o.s;
                o.hi -= pbmin * o.s;
            } else {
                o.lo -= grow * o.s;
                o.hi += grow * o.s;
            }
        } else if (n->op == GH_NN_OP_RESIZE || n->op == GH_NN_OP_UPSAMPLE) {
            double fct = 1;
            for (int a = 0; a < r && oa->ndim == r; a++)
                if (ia->shape[a] != ib->shape[a] && ia->shape[a] > 0) {
                    fct = (double)oa->shape[a] / (double)ia->shape[a];
                    break;
                }
            /* Each output element reads its source element and the next. */
            o.lo -= o.s;
            o.hi += o.s;
            o.s /= fct;
        }
        for (int k = 0; k < n->n_out; k++) {
            int v = n->out[k];
            int stat = m->global[i] && n->op != GH_NN_OP_SOFTMAX && n->op != GH_NN_OP_CHANNEL_NORM &&
                       n->op != GH_NN_OP_INSTANCE_NORM;
            if (v < 0 || stat)
                continue; /* a frozen statistic: no image axes */
            if (shape_count(&la[v]) == shape_count(&lb[v]))
                continue; /* shapes, sizes and other fixed-size values */
            f[v] = o;
            smax = fmax(smax, o.s);
        }
    }
    const struct field *y = &f[m->outputs[0]];
    if (!y->spatial || fabs(y->s - 1) > 1e-9) {
        st = gh_error(GH_ERR_UNSUPPORTED, "tiles: the model's output is not an image of its input's size");
        goto out;
    }
    t->reach_lo = (int)ceil(-y->lo);
    t->reach_hi = (int)ceil(y->hi);
    t->stride = (int)ceil(smax);
out:
    free(f);
    return st;
}

static int gcd(int a, int b)
{
    while (b) {
        int t = a % b;
        a = b;
        b = t;
    }
    return a;
}

enum gh_status gh_nn_analyze(struct gh_nn_model *m, int multiple, struct gh_nn_tiling *out)
{
    struct gh_nn_shape *la = NULL, *lb = NULL;
    struct gh_nn_tensor info;
    enum gh_status st;
    if (!m || multiple < 1 || multiple > 256)
        return gh_error(GH_ERR_ARGUMENT, "gh_nn_analyze: bad argument");
    if (m->global && m->tiling) {
        if (out)
            *out = *m->tiling;
        return GH_OK;
    }
    if (m->n_inputs != 1 || m->n_outputs < 1)
        return gh_error(GH_ERR_UNSUPPORTED, "tiles: the model must have one input (it has %d)", m->n_inputs);
    if ((st = gh_nn_input_info(m, 0, &info)))
        return st;
    int nhwc = info.ndim == 4 && info.shape[3] == 3;
    if (info.ndim != 4 || (!nhwc && info.shape[1] != 3))
        return gh_error(GH_ERR_UNSUPPORTED, "tiles: the model's input is not [1,H,W,3] or [1,3,H,W]");
    if (info.shape[nhwc ? 1 : 2] >= 0 || info.shape[nhwc ? 2 : 3] >= 0)
        return gh_error(GH_ERR_UNSUPPORTED, "tiles: the model's input has a fixed size");
    int u = multiple < 8 ? 8 : multiple;
    la = calloc((size_t)m->n_values, sizeof *la);
    lb = calloc((size_t)m->n_values, sizeof *lb);
    m->global = calloc((size_t)m->n_nodes + 1, 1);
    struct gh_nn_tiling *t = calloc(1, sizeof *t);
    if (!la || !lb || !m->global || !t) {
        st = gh_error(GH_ERR_NOMEM, "tiles: out of memory");
        goto out;
    }
    gh_nn_arena_empty(m);
    /* H x W and H' x W' with H != H', W != W', H W != H' W'. */
    if ((st = probe(m, nhwc, 4 * u, 6 * u, la)) || (st = probe(m, nhwc, 6 * u, 10 * u, lb)))
        goto out;
    if ((st = find_global(m, la, lb, &t->n_global)) || (st = walk_field(m, la, lb, t)))
        goto out;
    t->align = t->stride / gcd(t->stride, multiple) * multiple;
    int reach = t->reach_lo > t->reach_hi ? t->reach_lo : t->reach_hi;
    t->margin = (reach + t->align - 1) / t->align * t->align;
    if (out)
        *out = *t;
    m->tiling = t;
    t = NULL;
out:
    gh_nn_arena_empty(m);
    if (st) {
        free(m->global);
        m->global = NULL;
    }
    free(t);
    free(la);
    free(lb);
    return st;
}
