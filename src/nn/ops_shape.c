/* Data movement kernels: shape ops, gathers, padding and resizing. They work
 * on either dtype by element size where the values are only moved. */
#include "nn/nn_ops.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static void strides_of(int ndim, const int64_t *shape, int64_t *strides)
{
    int64_t s = 1;
    for (int i = ndim - 1; i >= 0; i--) {
        strides[i] = s;
        s *= shape[i];
    }
}

/* ---- Reshape, Flatten, Squeeze, Unsqueeze, Identity: same data, new shape ---- */

GH_NN_KERNEL(gh_nn_k_reshape)
{
    const struct gh_nn_tensor *in = gh_nn_in(x, node, 0);
    int64_t shape[GH_NN_MAX_DIMS], vals[GH_NN_MAX_DIMS];
    int r = in->ndim, n = 0, nv;
    enum gh_status st;
    size_t count = gh_nn_tensor_count(in);
    switch (node->op) {
    case GH_NN_OP_IDENTITY:
        n = r;
        memcpy(shape, in->shape, sizeof shape);
        break;
    case GH_NN_OP_RESHAPE: {
        const struct gh_nn_tensor *s = gh_nn_in(x, node, 1);
        if (s->dtype != GH_NN_I64 || s->ndim != 1 || s->shape[0] > GH_NN_MAX_DIMS)
            return gh_error(GH_ERR_MODEL, "shape must be a 1-D int64 tensor of at most %d values", GH_NN_MAX_DIMS);
        n = (int)s->shape[0];
        int allowzero = (int)gh_nn_attr_int(node, "allowzero", 0), infer = -1;
        uint64_t known = 1;
        for (int i = 0; i < n; i++) {
            int64_t d = ((const int64_t *)s->data)[i];
            if (d == 0 && !allowzero) {
                if (i >= r)
                    return gh_error(GH_ERR_MODEL, "0 in shape at position %d beyond the input's rank", i);
                d = in->shape[i];
            }
            if (d == -1) {
                if (infer >= 0)
                    return gh_error(GH_ERR_MODEL, "more than one -1 in shape");
                infer = i;
                d = 1;
            } else if (d < 0 || d > GH_NN_MAX_ELEMS) {
                return gh_error(GH_ERR_MODEL, "bad dimension %lld in shape", (long long)d);
            }
            shape[i] = d;
            known *= (uint64_t)d;
            if (known > (uint64_t)GH_NN_MAX_ELEMS)
                return gh_error(GH_ERR_TOO_LARGE, "shape too large");
        }
        if (infer >= 0) {
            if (known == 0 || count % known)
                return gh_error(GH_ERR_MODEL, "cannot infer -1: %zu values into %llu", count,
                                (unsigned long long)known);
            shape[infer] = (int64_t)(count / known);
        }
        break;
    }
    case GH_NN_OP_FLATTEN: {
        int axis = (int)gh_nn_attr_int(node, "axis", 1);
        if (axis < 0)
            axis += r;
        if (axis < 0 || axis > r)
            return gh_error(GH_ERR_MODEL, "axis out of range");
        shape[0] = 1;
        shape[1] = 1;
        for (int i = 0; i < r; i++)
            shape[i < axis ? 0 : 1] *= in->shape[i];
        n = 2;
        break;
    }
    case GH_NN_OP_SQUEEZE: {
        int drop[GH_NN_MAX_DIMS] = {0};
        if ((st = gh_nn_ints_arg(x, node, "axes", x->m->opset >= 13 ? 1 : -1, vals, GH_NN_MAX_DIMS, &nv)))
            return st;
        if (nv < 0) {
            for (int i = 0; i < r; i++)
                drop[i] = in->shape[i] == 1;
        }
        for (int i = 0; i < nv; i++) {
            int a = gh_nn_axis(vals[i], r);
            if (a < 0 || in->shape[a] != 1)
                return gh_error(GH_ERR_MODEL, "cannot squeeze axis %lld", (long long)vals[i]);
            drop[a] = 1;
        }
        for (int i = 0; i < r; i++)
            if (!drop[i])
                shape[n++] = in->shape[i];
        break;
    }
    case GH_NN_OP_UNSQUEEZE: {
        int add[GH_NN_MAX_DIMS] = {0};
        if ((st = gh_nn_ints_arg(x, node, "axes", x->m->opset >= 13 ? 1 : -1, vals, GH_NN_MAX_DIMS, &nv)))
            return st;
        if (nv < 0)
            return gh_error(GH_ERR_MODEL, "axes missing");
        n = r + nv;
        if (n > GH_NN_MAX_DIMS)
            return gh_error(GH_ERR_UNSUPPORTED, "more than %d dimensions", GH_NN_MAX_DIMS);
        for (int i = 0; i < nv; i++) {
            int a = gh_nn_axis(vals[i], n);
            if (a < 0 || add[a])
                return gh_error(GH_ERR_MODEL, "bad or repeated axis %lld", (long long)vals[i]);
            add[a] = 1;
        }
        for (int i = 0, k = 0; i < n; i++)
            shape[i] = add[i] ? 1 : in->shape[k++];
        break;
    }
    default: return gh_error(GH_ERR_INTERNAL, "not a reshape op");
    }
    if (gh_nn_count(n, shape) != count)
        return gh_error(GH_ERR_MODEL, "cannot reshape %zu values to %zu", count, gh_nn_count(n, shape));
    const void *src = in->data;
    struct gh_nn_tensor *out;
    if ((st = gh_nn_out_inplace(x, node, 0, 0, in->dtype, n, shape, &out)))
        return st;
    if (out->data != src)
        memcpy(out->data, src, count * gh_nn_dtype_size(out->dtype));
    return GH_OK;
}

/* ---- Transpose ---- */

GH_NN_KERNEL(gh_nn_k_transpose)
{
    const struct gh_nn_tensor *in = gh_nn_in(x, node, 0);
    int r = in->ndim, n;
    int64_t perm[GH_NN_MAX_DIMS], shape[GH_NN_MAX_DIMS], istr[GH_NN_MAX_DIMS], pstr[GH_NN_MAX_DIMS];
    enum gh_status st;
    if ((st = gh_nn_ints_arg(x, node, "perm", -1, perm, GH_NN_MAX_DIMS, &n)))
        return st;
    if (n < 0) {
        n = r;
        for (int i = 0; i < r; i++)
            perm[i] = r - 1 - i;
    }
    int seen[GH_NN_MAX_DIMS] = {0};
    if (n != r)
        return gh_error(GH_ERR_MODEL, "perm has %d values for rank %d", n, r);
    for (int i = 0; i < r; i++) {
        if (perm[i] < 0 || perm[i] >= r || seen[perm[i]]++)
            return gh_error(GH_ERR_MODEL, "perm is not a permutation");
    }
    strides_of(r, in->shape, istr);
    for (int i = 0; i < r; i++) {
        shape[i] = in->shape[perm[i]];
        pstr[i] = istr[perm[i]];
    }
    struct gh_nn_tensor *out;
    if ((st = gh_nn_out(x, node, 0, in->dtype, r, shape, &out)))
        return st;
    size_t count = gh_nn_tensor_count(in), es = gh_nn_dtype_size(in->dtype);
    if (!count)
        return GH_OK;
    int64_t idx[GH_NN_MAX_DIMS] = {0}, off = 0;
    const char *src = in->data;
    char *dst = out->data;
    if (in->dtype == GH_NN_F32 && r >= 2) {
        /* Floats: the last two output dims as plain loops (the model's
         * NHWC <-> NCHW transposes of whole images), the odometer above them. */
        int64_t n1 = shape[r - 2], n0 = shape[r - 1], s1 = pstr[r - 2], s0 = pstr[r - 1];
        const float *sf = in->data;
        float *df = out->data;
        for (size_t i = 0; i < count; i += (size_t)(n1 * n0)) {
            const float *sp = sf + off;
            float *dp = df + i;
            for (int64_t a = 0; a < n1; a++)
                for (int64_t b = 0; b < n0; b++)
                    dp[a * n0 + b] = sp[a * s1 + b * s0];
            for (int d = r - 3; d >= 0; d--) {
                off += pstr[d];
                if (++idx[d] < shape[d])
                    break;
                off -= pstr[d] * shape[d];
                idx[d] = 0;
            }
        }
        return GH_OK;
    }
    for (size_t i = 0; i < count; i++) {
        memcpy(dst + i * es, src + (size_t)off * es, es);
        for (int d = r - 1; d >= 0; d--) {
            /* NOLINTNEXTLINE(clang-analyzer-core.uninitialized.Assign): rank <= GH_NN_MAX_DIMS */
            off += pstr[d];
            if (++idx[d] < shape[d])
                break;
            off -= pstr[d] * shape[d];
            idx[d] = 0;
        }
    }
    return GH_OK;
}

/* ---- Concat ---- */

GH_NN_CHECK(gh_nn_c_concat)
{
    if (opset < 4 && !gh_nn_attr_find(node, "axis"))
        return gh_error(GH_ERR_UNSUPPORTED, "Concat without axis before opset 4 (node '%s')", node->name);
    return GH_OK;
}

GH_NN_KERNEL(gh_nn_k_concat)
{
    const struct gh_nn_tensor *first = gh_nn_in(x, node, 0);
    if (!first)
        return gh_error(GH_ERR_MODEL, "missing input");
    int r = first->ndim;
    int axis = gh_nn_axis(gh_nn_attr_int(node, "axis", 0), r);
    if (axis < 0)
        return gh_error(GH_ERR_MODEL, "axis out of range");
    int64_t shape[GH_NN_MAX_DIMS];
    memcpy(shape, first->shape, sizeof shape);
    shape[axis] = 0;
    for (int k = 0; k < node->n_in; k++) {
        const struct gh_nn_tensor *t = gh_nn_in(x, node, k);
        if (!t || t->ndim != r || t->dtype != first->dtype)
            return gh_error(GH_ERR_MODEL, "inputs differ in rank or type");
        for (int i = 0; i < r; i++)
            if (i != axis && t->shape[i] != first->shape[i])
                return gh_error(GH_ERR_MODEL, "inputs differ in dimension %d", i);
        shape[axis] += t->shape[axis];
        if (shape[axis] > GH_NN_MAX_ELEMS)
            return gh_error(GH_ERR_TOO_LARGE, "output too large");
    }
    struct gh_nn_tensor *out;
    enum gh_status st = gh_nn_out(x, node, 0, first->dtype, r, shape, &out);
    if (st)
        return st;
    size_t es = gh_nn_dtype_size(first->dtype), outer = 1, inner = es;
    for (int i = 0; i < axis; i++)
        outer *= (size_t)shape[i];
    for (int i = axis + 1; i < r; i++)
        inner *= (size_t)shape[i];
    size_t orow = (size_t)shape[axis] * inner, pos = 0;
    for (int k = 0; k < node->n_in; k++) {
        const struct gh_nn_tensor *t = gh_nn_in(x, node, k);
        size_t row = (size_t)t->shape[axis] * inner;
        for (size_t o = 0; o < outer && row; o++)
            memcpy((char *)out->data + o * orow + pos, (const char *)t->data + o * row, row);
        pos += row;
    }
    return GH_OK;
}

/* ---- Slice ---- */

GH_NN_KERNEL(gh_nn_k_slice)
{
    const struct gh_nn_tensor *in = gh_nn_in(x, node, 0);
    int r = in->ndim, ns, ne, na, nst;
    int64_t starts[GH_NN_MAX_DIMS], ends[GH_NN_MAX_DIMS], axes[GH_NN_MAX_DIMS], steps[GH_NN_MAX_DIMS];
    enum gh_status st;
    if ((st = gh_nn_ints_arg(x, node, NULL, 1, starts, GH_NN_MAX_DIMS, &ns)) ||
        (st = gh_nn_ints_arg(x, node, NULL, 2, ends, GH_NN_MAX_DIMS, &ne)) ||
        (st = gh_nn_ints_arg(x, node, NULL, 3, axes, GH_NN_MAX_DIMS, &na)) ||
        (st = gh_nn_ints_arg(x, node, NULL, 4, steps, GH_NN_MAX_DIMS, &nst)))
        return st;
    if (ns != ne || ns < 0 || (na >= 0 && na != ns) || (nst >= 0 && nst != ns))
        return gh_error(GH_ERR_MODEL, "starts, ends, axes and steps differ in length");
    int64_t b[GH_NN_MAX_DIMS], step[GH_NN_MAX_DIMS], shape[GH_NN_MAX_DIMS];
    int seen[GH_NN_MAX_DIMS] = {0};
    for (int i = 0; i < r; i++) {
        b[i] = 0;
        step[i] = 1;
        shape[i] = in->shape[i];
    }
    for (int i = 0; i < ns; i++) {
        int a = na >= 0 ? gh_nn_axis(axes[i], r) : i;
        if (a < 0 || a >= r || seen[a]++)
            return gh_error(GH_ERR_MODEL, "bad or repeated axis");
        int64_t s = nst >= 0 ? steps[i] : 1, dim = in->shape[a];
        int64_t lo = starts[i], hi = ends[i];
        if (s == 0)
            return gh_error(GH_ERR_MODEL, "step 0");
        if (lo < 0)
            lo = lo < -dim ? 0 : lo + dim;
        if (hi < 0)
            hi = hi < -dim ? -1 : hi + dim;
        int64_t len;
        if (s > 0) {
            lo = lo > dim ? dim : lo;
            hi = hi < 0 ? 0 : hi > dim ? dim : hi;
            len = hi > lo ? (hi - lo + s - 1) / s : 0;
        } else {
            lo = lo > dim - 1 ? dim - 1 : lo;
            hi = hi > dim - 1 ? dim - 1 : hi;
            len = lo > hi ? (lo - hi + (-s) - 1) / (-s) : 0;
        }
        b[a] = lo;
        step[a] = s;
        shape[a] = len;
    }
    struct gh_nn_tensor *out;
    if ((st = gh_nn_out(x, node, 0, in->dtype, r, shape, &out)))
        return st;
    size_t count = gh_nn_tensor_count(out), es = gh_nn_dtype_size(in->dtype);
    int64_t istr[GH_NN_MAX_DIMS], idx[GH_NN_MAX_DIMS] = {0}, off = 0;
    strides_of(r, in->shape, istr);
    for (int i = 0; i < r; i++)
        off += b[i] * istr[i];
    for (size_t i = 0; i < count; i++) {
        memcpy((char *)out->data + i * es, (const char *)in->data + (size_t)off * es, es);
        for (int d = r - 1; d >= 0; d--) {
            /* NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult): rank <= GH_NN_MAX_DIMS */
            off += step[d] * istr[d];
            if (++idx[d] < shape[d])
                break;
            off -= step[d] * istr[d] * shape[d];
            idx[d] = 0;
        }
    }
    return GH_OK;
}

/* ---- Split ---- */

GH_NN_KERNEL(gh_nn_k_split)
{
    const struct gh_nn_tensor *in = gh_nn_in(x, node, 0);
    int r = in->ndim, n;
    int axis = gh_nn_axis(gh_nn_attr_int(node, "axis", 0), r);
    enum gh_status st;
    if (axis < 0)
        return gh_error(GH_ERR_MODEL, "axis out of range");
    int64_t *split = calloc((size_t)node->n_out, sizeof *split);
    if (!split)
        return gh_error(GH_ERR_NOMEM, "out of memory");
    st = gh_nn_ints_arg(x, node, x->m->opset >= 13 ? NULL : "split", x->m->opset >= 13 ? 1 : -1, split,
                        node->n_out, &n);
    if (st)
        goto out;
    int64_t dim = in->shape[axis], total = 0;
    if (n < 0) {
        if (dim % node->n_out) {
            st = gh_error(GH_ERR_MODEL, "dimension %lld does not split into %d equal parts", (long long)dim,
                          node->n_out);
            goto out;
        }
        for (int k = 0; k < node->n_out; k++)
            split[k] = dim / node->n_out;
        n = node->n_out;
    }
    if (n != node->n_out) {
        st = gh_error(GH_ERR_MODEL, "split has %d values for %d outputs", n, node->n_out);
        goto out;
    }
    for (int k = 0; k < n; k++) {
        if (split[k] < 0 || split[k] > dim) {
            st = gh_error(GH_ERR_MODEL, "bad split size");
            goto out;
        }
        total += split[k];
    }
    if (total != dim) {
        st = gh_error(GH_ERR_MODEL, "split sizes sum to %lld, dimension is %lld", (long long)total, (long long)dim);
        goto out;
    }
    size_t es = gh_nn_dtype_size(in->dtype), outer = 1, inner = es, pos = 0;
    for (int i = 0; i < axis; i++)
        outer *= (size_t)in->shape[i];
    for (int i = axis + 1; i < r; i++)
        inner *= (size_t)in->shape[i];
    size_t irow = (size_t)dim * inner;
    for (int k = 0; k < n; k++) {
        int64_t shape[GH_NN_MAX_DIMS];
        memcpy(shape, in->shape, sizeof shape);
        shape[axis] = split[k];
        struct gh_nn_tensor *out;
        if ((st = gh_nn_out(x, node, k, in->dtype, r, shape, &out)))
            goto out;
        size_t row = (size_t)split[k] * inner;
        for (size_t o = 0; o < outer && row; o++)
            memcpy((char *)out->data + o * row, (const char *)in->data + o * irow + pos, row);
        pos += row;
    }
out:
    free(split);
    return st;
}

/* ---- Shape ---- */

GH_NN_KERNEL(gh_nn_k_shape)
{
    const struct gh_nn_tensor *in = gh_nn_in(x, node, 0);
    int64_t r = in->ndim;
    int64_t start = gh_nn_attr_int(node, "start", 0), end = gh_nn_attr_int(node, "end", r);
    if (start < 0)
        start += r;
    if (end < 0)
        end += r;
    start = start < 0 ? 0 : start > r ? r : start;
    end = end < 0 ? 0 : end > r ? r : end;
    int64_t n = end > start ? end - start : 0;
    struct gh_nn_tensor *out;
    enum gh_status st = gh_nn_out(x, node, 0, GH_NN_I64, 1, &n, &out);
    if (st)
        return st;
    for (int64_t i = 0; i < n; i++)
        ((int64_t *)out->data)[i] = in->shape[start + i];
    return GH_OK;
}

/* ---- Gather ---- */

GH_NN_KERNEL(gh_nn_k_gather)
{
    const struct gh_nn_tensor *in = gh_nn_in(x, node, 0), *ind = gh_nn_in(x, node, 1);
    int r = in->ndim;
    int axis = gh_nn_axis(gh_nn_attr_int(node, "axis", 0), r);
    if (axis < 0)
        return gh_error(GH_ERR_MODEL, "axis out of range");
    if (ind->dtype != GH_NN_I64)
        return gh_error(GH_ERR_MODEL, "indices must be integers");
    int on = r - 1 + ind->ndim;
    if (on > GH_NN_MAX_DIMS)
        return gh_error(GH_ERR_UNSUPPORTED, "more than %d dimensions", GH_NN_MAX_DIMS);
    int64_t shape[GH_NN_MAX_DIMS];
    int k = 0;
    for (int i = 0; i < axis; i++)
        shape[k++] = in->shape[i];
    for (int i = 0; i < ind->ndim; i++)
        shape[k++] = ind->shape[i];
    for (int i = axis + 1; i < r; i++)
        shape[k++] = in->shape[i];
    size_t ni = gh_nn_tensor_count(ind), es = gh_nn_dtype_size(in->dtype), outer = 1, inner = es;
    int64_t dim = in->shape[axis];
    for (size_t i = 0; i < ni; i++) {
        int64_t v = ((const int64_t *)ind->data)[i];
        if (v < -dim || v >= dim)
            return gh_error(GH_ERR_MODEL, "index %lld out of range [%lld, %lld)", (long long)v, (long long)-dim,
                            (long long)dim);
    }
    struct gh_nn_tensor *out;
    enum gh_status st = gh_nn_out(x, node, 0, in->dtype, on, shape, &out);
    if (st)
        return st;
    for (int i = 0; i < axis; i++)
        outer *= (size_t)in->shape[i];
    for (int i = axis + 1; i < r; i++)
        inner *= (size_t)in->shape[i];
    char *dst = out->data;
    for (size_t o = 0; o < outer; o++)
        for (size_t i = 0; i < ni; i++) {
            int64_t v = ((const int64_t *)ind->data)[i];
            if (v < 0)
                v += dim;
            memcpy(dst, (const char *)in->data + (o * (size_t)dim + (size_t)v) * inner, inner);
            dst += inner;
        }
    return GH_OK;
}

/* ---- Constant ---- */

GH_NN_CHECK(gh_nn_c_constant)
{
    (void)opset;
    if (node->n_attrs != 1)
        return gh_error(GH_ERR_UNSUPPORTED, "Constant node '%s' needs exactly one value attribute", node->name);
    return GH_OK;
}

GH_NN_KERNEL(gh_nn_k_constant)
{
    const struct gh_nn_attr *a = &node->attrs[0];
    struct gh_nn_tensor *out;
    enum gh_status st;
    int64_t n = a->n;
    if (a->type == GH_NN_ATTR_TENSOR) {
        if ((st = gh_nn_out(x, node, 0, a->t.dtype, a->t.ndim, a->t.shape, &out)))
            return st;
        memcpy(out->data, a->t.data, gh_nn_tensor_count(&a->t) * gh_nn_dtype_size(a->t.dtype));
    } else if (a->type == GH_NN_ATTR_FLOAT || a->type == GH_NN_ATTR_INT) {
        enum gh_nn_dtype dt = a->type == GH_NN_ATTR_FLOAT ? GH_NN_F32 : GH_NN_I64;
        if ((st = gh_nn_out(x, node, 0, dt, 0, &n, &out)))
            return st;
        if (dt == GH_NN_F32)
            *(float *)out->data = a->f;
        else
            *(int64_t *)out->data = a->i;
    } else if (a->type == GH_NN_ATTR_FLOATS || a->type == GH_NN_ATTR_INTS) {
        enum gh_nn_dtype dt = a->type == GH_NN_ATTR_FLOATS ? GH_NN_F32 : GH_NN_I64;
        if ((st = gh_nn_out(x, node, 0, dt, 1, &n, &out)))
            return st;
        memcpy(out->data, dt == GH_NN_F32 ? (void *)a->floats : (void *)a->ints, (size_t)n * gh_nn_dtype_size(dt));
    } else {
        return gh_error(GH_ERR_UNSUPPORTED, "unsupported Constant attribute '%s'", a->name);
    }
    return GH_OK;
}

GH_NN_KERNEL(gh_nn_k_constant_of_shape)
{
    const struct gh_nn_tensor *s = gh_nn_in(x, node, 0);
    const struct gh_nn_attr *a = gh_nn_attr_find(node, "value");
    int64_t shape[GH_NN_MAX_DIMS];
    if (s->dtype != GH_NN_I64 || s->ndim != 1 || s->shape[0] > GH_NN_MAX_DIMS)
        return gh_error(GH_ERR_MODEL, "input must be a 1-D int64 shape of at most %d values", GH_NN_MAX_DIMS);
    if (a && (a->type != GH_NN_ATTR_TENSOR || gh_nn_tensor_count(&a->t) != 1))
        return gh_error(GH_ERR_MODEL, "value must be a one-element tensor");
    for (int i = 0; i < s->shape[0]; i++)
        shape[i] = ((const int64_t *)s->data)[i];
    enum gh_nn_dtype dt = a ? a->t.dtype : GH_NN_F32;
    struct gh_nn_tensor *out;
    enum gh_status st = gh_nn_out(x, node, 0, dt, (int)s->shape[0], shape, &out);
    if (st)
        return st;
    size_t n = gh_nn_tensor_count(out);
    for (size_t i = 0; i < n; i++) {
        if (dt == GH_NN_F32)
            ((float *)out->data)[i] = a ? ((const float *)a->t.data)[0] : 0.0f;
        else
            ((int64_t *)out->data)[i] = ((const int64_t *)a->t.data)[0];
    }
    return GH_OK;
}

/* ---- Pad ---- */

enum pad_mode { PAD_CONSTANT, PAD_REFLECT, PAD_EDGE };

static int pad_mode_of(const struct gh_nn_node *node)
{
    const char *m = gh_nn_attr_string(node, "mode", "constant");
    return strcmp(m, "constant") == 0 ? PAD_CONSTANT : strcmp(m, "reflect") == 0 ? PAD_REFLECT
                                                     : strcmp(m, "edge") == 0    ? PAD_EDGE
                                                                                 : -1;
}

GH_NN_CHECK(gh_nn_c_pad)
{
    (void)opset;
    if (pad_mode_of(node) < 0)
        return gh_error(GH_ERR_UNSUPPORTED, "unsupported Pad mode '%s' (node '%s')",
                        gh_nn_attr_string(node, "mode", ""), node->name);
    return GH_OK;
}

/* Source index of output index o along a padded dim (-1: constant). */
static int64_t pad_src(int64_t o, int64_t before, int64_t dim, int mode)
{
    int64_t i = o - before;
    if (i >= 0 && i < dim)
        return i;
    if (mode == PAD_CONSTANT || dim == 0)
        return -1;
    if (mode == PAD_EDGE || dim == 1)
        return i < 0 ? 0 : dim - 1;
    int64_t period = 2 * (dim - 1);
    i %= period;
    if (i < 0)
        i += period;
    return i < dim ? i : period - i;
}

struct pad_ctx {
    const struct gh_nn_tensor *in;
    struct gh_nn_tensor *out;
    const int64_t *before;
    int mode;
    double value;
    int64_t *colmap; /* per output column: source column or -1 */
};

static void pad_rows(void *arg, int begin, int end)
{
    const struct pad_ctx *c = arg;
    const struct gh_nn_tensor *in = c->in;
    int r = in->ndim;
    size_t es = gh_nn_dtype_size(in->dtype);
    int64_t ow = c->out->shape[r - 1], iw = in->shape[r - 1];
    int64_t istr[GH_NN_MAX_DIMS];
    strides_of(r, in->shape, istr);
    /* Columns that copy a contiguous run of the input row. */
    int64_t run0 = -1, run1 = -1;
    for (int64_t o = 0; o < ow; o++)
        if (c->colmap[o] == o - c->before[r - 1] && c->colmap[o] >= 0) {
            if (run0 < 0)
                run0 = o;
            run1 = o + 1;
        }
    for (int64_t row = begin; row < end; row++) {
        int64_t rem = row, off = 0;
        int constant = 0;
        for (int d = r - 2; d >= 0; d--) {
            int64_t o = rem % c->out->shape[d];
            rem /= c->out->shape[d];
            int64_t s = pad_src(o, c->before[d], in->shape[d], c->mode);
            if (s < 0)
                constant = 1;
            else
                /* NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult): rank <= GH_NN_MAX_DIMS */
                off += s * istr[d];
        }
        char *dst = (char *)c->out->data + (size_t)row * (size_t)ow * es;
        const char *src = (const char *)in->data + (size_t)off * es;
        for (int64_t o = 0; o < ow; o++) {
            if (o == run0 && !constant) {
                memcpy(dst + o * es, src + (size_t)c->colmap[o] * es, (size_t)(run1 - run0) * es);
                o = run1 - 1;
                continue;
            }
            int64_t s = constant ? -1 : c->colmap[o];
            if (es == 4) {
                /* cppcheck-suppress invalidPointerCast ; src is a byte view of a float tensor (es == 4) */
                float v = s < 0 ? (float)c->value : ((const float *)src)[s];
                memcpy(dst + o * 4, &v, 4);
            } else {
                int64_t v = s < 0 ? (int64_t)c->value : ((const int64_t *)src)[s];
                memcpy(dst + o * 8, &v, 8);
            }
        }
        (void)iw;
    }
}

GH_NN_KERNEL(gh_nn_k_pad)
{
    const struct gh_nn_tensor *in = gh_nn_in(x, node, 0), *cv = gh_nn_in(x, node, 2);
    int r = in->ndim, n;
    int64_t pads[2 * GH_NN_MAX_DIMS], shape[GH_NN_MAX_DIMS];
    enum gh_status st;
    if ((st = gh_nn_ints_arg(x, node, NULL, 1, pads, 2 * GH_NN_MAX_DIMS, &n)))
        return st;
    if (n != 2 * r || r == 0)
        return gh_error(GH_ERR_MODEL, "pads has %d values for rank %d", n, r);
    int mode = pad_mode_of(node);
    for (int i = 0; i < r; i++) {
        if (pads[i] < -GH_NN_MAX_ELEMS || pads[i] > GH_NN_MAX_ELEMS || pads[r + i] < -GH_NN_MAX_ELEMS ||
            pads[r + i] > GH_NN_MAX_ELEMS)
            return gh_error(GH_ERR_TOO_LARGE, "pad too large");
        shape[i] = in->shape[i] + pads[i] + pads[r + i];
        if (shape[i] < 0)
            return gh_error(GH_ERR_MODEL, "negative output dimension");
        if (mode != PAD_CONSTANT && in->shape[i] == 0 && shape[i] > 0)
            return gh_error(GH_ERR_MODEL, "cannot %s-pad an empty dimension", mode == PAD_EDGE ? "edge" : "reflect");
    }
    if (cv && gh_nn_tensor_count(cv) != 1)
        return gh_error(GH_ERR_MODEL, "constant_value must be a scalar");
    struct gh_nn_tensor *out;
    if ((st = gh_nn_out(x, node, 0, in->dtype, r, shape, &out)))
        return st;
    size_t count = gh_nn_tensor_count(out);
    if (!count)
        return GH_OK;
    int64_t *colmap;
    if ((st = gh_nn_scratch(x, (size_t)shape[r - 1] * sizeof *colmap, (void **)&colmap)))
        return st;
    for (int64_t o = 0; o < shape[r - 1]; o++)
        colmap[o] = pad_src(o, pads[r - 1], in->shape[r - 1], mode);
    struct pad_ctx c = {in, out, pads, mode, cv ? gh_nn_get_f64(cv, 0) : 0, colmap};
    /* count != 0 (returned above), so no dimension is 0 */
    int64_t rows = (int64_t)(count / (size_t)shape[r - 1]); /* NOLINT(clang-analyzer-core.DivideZero) */
    if (rows > INT32_MAX)
        return gh_error(GH_ERR_TOO_LARGE, "too many rows");
    gh_parallel_for((int)rows, count > 65536 ? x->threads : 1, pad_rows, &c);
    return GH_OK;
}

/* ---- Resize (nearest, linear), separable: one pass per resized axis ---- */

enum coord_mode { CT_HALF_PIXEL, CT_ASYMMETRIC, CT_ALIGN_CORNERS, CT_PYTORCH_HALF_PIXEL, CT_TF_HALF_PIXEL_NN };
enum nearest_mode { NM_ROUND_PREFER_FLOOR, NM_ROUND_PREFER_CEIL, NM_FLOOR, NM_CEIL };

static int lookup(const char *s, const char *const *names, int n)
{
    for (int i = 0; i < n; i++)
        if (strcmp(s, names[i]) == 0)
            return i;
    return -1;
}

static const char *const coord_names[] = {"half_pixel", "asymmetric", "align_corners", "pytorch_half_pixel",
                                          "tf_half_pixel_for_nn"};
static const char *const nearest_names[] = {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"};

GH_NN_CHECK(gh_nn_c_resize)
{
    if (opset < 11)
        return gh_error(GH_ERR_UNSUPPORTED, "Resize before opset 11 (node '%s')", node->name);
    const char *mode = gh_nn_attr_string(node, "mode", "nearest");
    const char *ct = gh_nn_attr_string(node, "coordinate_transformation_mode", "half_pixel");
    const char *nm = gh_nn_attr_string(node, "nearest_mode", "round_prefer_floor");
    if (strcmp(mode, "nearest") && strcmp(mode, "linear"))
        return gh_error(GH_ERR_UNSUPPORTED, "unsupported Resize mode '%s' (node '%s')", mode, node->name);
    if (lookup(ct, coord_names, 5) < 0)
        return gh_error(GH_ERR_UNSUPPORTED, "unsupported Resize coordinate_transformation_mode '%s' (node '%s')", ct,
                        node->name);
    if (lookup(nm, nearest_names, 4) < 0)
        return gh_error(GH_ERR_UNSUPPORTED, "unsupported Resize nearest_mode '%s' (node '%s')", nm, node->name);
    return GH_OK;
}

struct resize_axis {
    int linear;
    int64_t outer, in_len, out_len, inner;
    const float *src;
    float *dst;
    const int64_t *i0, *i1;
    const float *w;
};

GH_NN_SIMD static void resize_range(void *arg, int begin, int end)
{
    const struct resize_axis *c = arg;
    for (int64_t o = begin; o < end; o++) {
        const float *s = c->src + o * c->in_len * c->inner;
        float *d = c->dst + o * c->out_len * c->inner;
        for (int64_t j = 0; j < c->out_len; j++) {
            const float *a = s + c->i0[j] * c->inner;
            float *q = d + j * c->inner;
            if (!c->linear) {
                if (c->inner == 1)
                    q[0] = a[0];
                else
                    memcpy(q, a, (size_t)c->inner * sizeof *q);
                continue;
            }
            const float *b = s + c->i1[j] * c->inner;
            float w = c->w[j];
            for (int64_t k = 0; k < c->inner; k++)
                q[k] = a[k] + (b[k] - a[k]) * w;
        }
    }
}

/* Source indices (i0, i1) and weights w of each output position along one axis. */
static void axis_table(int ct, int nm, int linear, int64_t len, int64_t olen, double s, double flen, int64_t *i0,
                       int64_t *i1, float *w)
{
    for (int64_t j = 0; j < olen; j++) {
        double xo;
        switch (ct) {
        case CT_ASYMMETRIC: xo = (double)j / s; break;
        case CT_ALIGN_CORNERS:
            /* With scales, ONNX's reference divides by len*scale - 1, not by the floored length. */
            xo = flen > 1 ? (double)j * (double)(len - 1) / (flen - 1) : 0;
            break;
        case CT_PYTORCH_HALF_PIXEL: xo = olen > 1 ? ((double)j + 0.5) / s - 0.5 : 0; break;
        case CT_TF_HALF_PIXEL_NN: xo = ((double)j + 0.5) / s; break;
        default: xo = ((double)j + 0.5) / s - 0.5; break;
        }
        if (linear) {
            if (xo < 0)
                xo = 0;
            if (xo > (double)(len - 1))
                xo = (double)(len - 1);
            int64_t f = (int64_t)xo;
            i0[j] = f;
            i1[j] = f + 1 < len ? f + 1 : len - 1;
            w[j] = (float)(xo - (double)f);
        } else {
            double v;
            switch (nm) {
            case NM_ROUND_PREFER_CEIL: v = floor(xo + 0.5); break;
            case NM_FLOOR: v = floor(xo); break;
            case NM_CEIL: v = ceil(xo); break;
            default: v = ceil(xo - 0.5); break;
            }
            int64_t iv = v < 0 ? 0 : v > (double)(len - 1) ? len - 1 : (int64_t)v;
            i0[j] = iv;
        }
    }
}

struct resize2d_ctx {
    const float *src;
    float *dst;
    int64_t h, w, oh, ow;
    const int64_t *y0, *y1, *x0, *x1;
    const float *wy, *wx;
};

/* Both spatial axes in one pass: per output row, the vertical blend of two
 * input rows into a temporary row, then the horizontal blend into the output. */
GH_NN_SIMD static void resize2d_rows(void *arg, int begin, int end)
{
    const struct resize2d_ctx *c = arg;
    float *tmp = malloc((size_t)c->w * sizeof *tmp);
    for (int64_t r = begin; r < end; r++) {
        int64_t plane = r / c->oh, oy = r % c->oh;
        const float *a = c->src + (plane * c->h + c->y0[oy]) * c->w, *b = c->src + (plane * c->h + c->y1[oy]) * c->w;
        float wy = c->wy[oy], *q = c->dst + r * c->ow;
        const float *row = a;
        if (tmp && wy != 0) {
            for (int64_t i = 0; i < c->w; i++)
                tmp[i] = a[i] + (b[i] - a[i]) * wy;
            row = tmp;
        } else if (!tmp && wy != 0) { /* out of memory: blend per pixel instead */
            for (int64_t j = 0; j < c->ow; j++) {
                float p0 = a[c->x0[j]] + (b[c->x0[j]] - a[c->x0[j]]) * wy;
                float p1 = a[c->x1[j]] + (b[c->x1[j]] - a[c->x1[j]]) * wy;
                q[j] = p0 + (p1 - p0) * c->wx[j];
            }
            continue;
        }
        for (int64_t j = 0; j < c->ow; j++) {
            float p0 = row[c->x0[j]], p1 = row[c->x1[j]];
            q[j] = p0 + (p1 - p0) * c->wx[j];
        }
    }
    free(tmp);
}

/* Resamples in to shape (scale per axis; by_sizes: the sizes were given, so
 * align_corners divides by the output length rather than len * scale). */
static enum gh_status resize_apply(struct gh_nn_exec *x, const struct gh_nn_node *node, const struct gh_nn_tensor *in,
                                   const int64_t *shape, const double *scale, int by_sizes, int linear, int ct, int nm)
{
    int r = in->ndim;
    enum gh_status st;
    for (int i = 0; i < r; i++)
        if (in->shape[i] == 0 && shape[i] > 0)
            return gh_error(GH_ERR_MODEL, "cannot resize an empty dimension to %lld", (long long)shape[i]);
    struct gh_nn_tensor *out;
    if ((st = gh_nn_out(x, node, 0, GH_NN_F32, r, shape, &out)))
        return st;
    if (gh_nn_tensor_count(out) == 0)
        return GH_OK;
    /* Axes to resample, and the largest intermediate tensor. */
    int axes[GH_NN_MAX_DIMS], na = 0;
    for (int i = 0; i < r; i++)
        if (shape[i] != in->shape[i] || scale[i] != 1.0 || ct == CT_TF_HALF_PIXEL_NN)
            axes[na++] = i;
    int64_t cur[GH_NN_MAX_DIMS];
    memcpy(cur, in->shape, sizeof cur);
    size_t biggest = 0, maxlen = 1;
    for (int k = 0; k < na; k++) {
        cur[axes[k]] = shape[axes[k]];
        if (k < na - 1 && gh_nn_count(r, cur) > biggest)
            biggest = gh_nn_count(r, cur);
        if ((size_t)shape[axes[k]] > maxlen)
            maxlen = (size_t)shape[axes[k]];
    }
    if (na == 0) {
        memcpy(out->data, in->data, gh_nn_tensor_count(in) * sizeof(float));
        return GH_OK;
    }
    if (linear && r >= 2 && na == 2 && axes[0] == r - 2 && axes[1] == r - 1) {
        int64_t h = in->shape[r - 2], wd = in->shape[r - 1], oh = shape[r - 2], ow = shape[r - 1];
        size_t n = (size_t)(oh + ow);
        int64_t *t;
        if ((st = gh_nn_scratch(x, n * (2 * sizeof(int64_t) + sizeof(float)), (void **)&t)))
            return st;
        struct resize2d_ctx c = {in->data, out->data, h, wd, oh, ow, t, t + oh, t + 2 * oh, t + 2 * oh + ow, NULL,
                                 NULL};
        /* cppcheck-suppress invalidPointerCast ; one scratch block: 2n int64 indices, then n float weights */
        float *wt = (float *)(t + 2 * n);
        c.wy = wt;
        c.wx = wt + oh;
        axis_table(ct, nm, 1, h, oh, scale[r - 2], by_sizes ? (double)oh : (double)h * scale[r - 2], t, t + oh, wt);
        axis_table(ct, nm, 1, wd, ow, scale[r - 1], by_sizes ? (double)ow : (double)wd * scale[r - 1], t + 2 * oh,
                   t + 2 * oh + ow, wt + oh);
        /* the output is not empty (returned above), so ow != 0 */
        int64_t rows = (int64_t)(gh_nn_tensor_count(out) / (size_t)ow); /* NOLINT(clang-analyzer-core.DivideZero) */
        if (rows > INT32_MAX)
            return gh_error(GH_ERR_TOO_LARGE, "too many rows");
        gh_parallel_for((int)rows, gh_nn_tensor_count(out) > 65536 ? x->threads : 1, resize2d_rows, &c);
        return GH_OK;
    }
    float *buf[2] = {NULL, NULL}, *w;
    int64_t *i0, *i1;
    if ((st = gh_nn_scratch(x, maxlen * (2 * sizeof(int64_t) + sizeof(float)), (void **)&i0)))
        return st;
    i1 = i0 + maxlen;
    /* cppcheck-suppress invalidPointerCast ; one scratch block: 2 maxlen int64 indices, then maxlen float weights */
    w = (float *)(i1 + maxlen);
    if (na > 1 && ((st = gh_nn_scratch(x, biggest * sizeof(float), (void **)&buf[0])) ||
                   (na > 2 && (st = gh_nn_scratch(x, biggest * sizeof(float), (void **)&buf[1])))))
        return st;
    memcpy(cur, in->shape, sizeof cur);
    const float *src = in->data;
    for (int k = 0; k < na; k++) {
        int a = axes[k];
        int64_t len = cur[a], olen = shape[a];
        double s = scale[a];
        double flen = by_sizes ? (double)olen : (double)len * s;
        axis_table(ct, nm, linear, len, olen, s, flen, i0, i1, w);
        struct resize_axis c = {linear, 1, len, olen, 1, src, NULL, i0, i1, w};
        for (int i = 0; i < a; i++)
            c.outer *= cur[i];
        for (int i = a + 1; i < r; i++)
            c.inner *= cur[i];
        c.dst = k == na - 1 ? (float *)out->data : buf[k & 1];
        if (c.outer > INT32_MAX)
            return gh_error(GH_ERR_TOO_LARGE, "too many rows");
        gh_parallel_for((int)c.outer, c.outer * olen * c.inner > 65536 ? x->threads : 1, resize_range, &c);
        cur[a] = olen;
        src = c.dst;
    }
    return GH_OK;
}

GH_NN_KERNEL(gh_nn_k_resize)
{
    const struct gh_nn_tensor *in = gh_nn_in(x, node, 0);
    const struct gh_nn_tensor *scales_t = gh_nn_in(x, node, 2), *sizes_t = gh_nn_in(x, node, 3);
    int r = in->ndim;
    double scale[GH_NN_MAX_DIMS];
    int64_t shape[GH_NN_MAX_DIMS];
    if (in->dtype != GH_NN_F32)
        return gh_error(GH_ERR_UNSUPPORTED, "input must be float32");
    int linear = strcmp(gh_nn_attr_string(node, "mode", "nearest"), "linear") == 0;
    int ct = lookup(gh_nn_attr_string(node, "coordinate_transformation_mode", "half_pixel"), coord_names, 5);
    int nm = lookup(gh_nn_attr_string(node, "nearest_mode", "round_prefer_floor"), nearest_names, 4);
    int by_sizes = sizes_t && gh_nn_tensor_count(sizes_t) > 0;
    if (by_sizes) {
        if (sizes_t->dtype != GH_NN_I64 || (int)gh_nn_tensor_count(sizes_t) != r)
            return gh_error(GH_ERR_MODEL, "sizes must hold %d integers", r);
        for (int i = 0; i < r; i++) {
            shape[i] = ((const int64_t *)sizes_t->data)[i];
            if (shape[i] < 0 || shape[i] > GH_NN_MAX_ELEMS)
                return gh_error(GH_ERR_MODEL, "bad size %lld", (long long)shape[i]);
            scale[i] = in->shape[i] ? (double)shape[i] / (double)in->shape[i] : 1.0;
        }
    } else if (scales_t && gh_nn_tensor_count(scales_t) > 0) {
        if (scales_t->dtype != GH_NN_F32 || (int)gh_nn_tensor_count(scales_t) != r)
            return gh_error(GH_ERR_MODEL, "scales must hold %d floats", r);
        for (int i = 0; i < r; i++) {
            float s = ((const float *)scales_t->data)[i];
            if (!(s > 0) || (double)s * (double)in->shape[i] > (double)GH_NN_MAX_ELEMS)
                return gh_error(GH_ERR_MODEL, "bad scale %g", (double)s);
            scale[i] = s;
            shape[i] = (int64_t)floor((double)in->shape[i] * (double)s);
        }
    } else {
        return gh_error(GH_ERR_MODEL, "neither scales nor sizes given");
    }
    return resize_apply(x, node, in, shape, scale, by_sizes, linear, ct, nm);
}

/* Upsample (opset 7-10; scales as input 1 after onnx.c's upgrade): Resize with
 * output = floor(input * scale) and asymmetric coordinates (x_in = x_out /
 * scale), the mapping ONNX Runtime's Upsample uses; "nearest" takes the source
 * index floor(x_in), "linear" blends the two neighbours, clamped at the edge. */
GH_NN_CHECK(gh_nn_c_upsample)
{
    const char *mode = gh_nn_attr_string(node, "mode", "nearest");
    if (opset < 7)
        return gh_error(GH_ERR_UNSUPPORTED, "Upsample before opset 7 (node '%s')", node->name);
    if (strcmp(mode, "nearest") && strcmp(mode, "linear"))
        return gh_error(GH_ERR_UNSUPPORTED, "unsupported Upsample mode '%s' (node '%s')", mode, node->name);
    return GH_OK;
}

GH_NN_KERNEL(gh_nn_k_upsample)
{
    const struct gh_nn_tensor *in = gh_nn_in(x, node, 0), *scales_t = gh_nn_in(x, node, 1);
    int r = in->ndim;
    double scale[GH_NN_MAX_DIMS];
    int64_t shape[GH_NN_MAX_DIMS];
    if (in->dtype != GH_NN_F32)
        return gh_error(GH_ERR_UNSUPPORTED, "input must be float32");
    if (scales_t->dtype != GH_NN_F32 || scales_t->ndim != 1 || (int)gh_nn_tensor_count(scales_t) != r)
        return gh_error(GH_ERR_MODEL, "scales must be a 1-D float tensor of %d values", r);
    for (int i = 0; i < r; i++) {
        float s = ((const float *)scales_t->data)[i];
        /* The spec asks for scales >= 1 (Upsample never shrinks). */
        if (!(s >= 1) || (double)s * (double)in->shape[i] > (double)GH_NN_MAX_ELEMS)
            return gh_error(GH_ERR_MODEL, "bad scale %g", (double)s);
        scale[i] = s;
        shape[i] = (int64_t)floor((double)in->shape[i] * (double)s);
    }
    int linear = strcmp(gh_nn_attr_string(node, "mode", "nearest"), "linear") == 0;
    return resize_apply(x, node, in, shape, scale, 0, linear, CT_ASYMMETRIC, NM_FLOOR);
}
