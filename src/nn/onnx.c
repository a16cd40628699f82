/* ONNX loader: a hand-written reader of the protobuf wire format for the
 * messages a model needs (ModelProto, GraphProto, NodeProto, AttributeProto,
 * TensorProto, ValueInfoProto). Every read is bounds-checked against the
 * enclosing message; element counts are validated against the bytes actually
 * present before anything is allocated, so a hostile file can make us allocate
 * at most a small multiple of its own size. */
#include "nn/nn_internal.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Ops whose older versions differ (attributes later turned into inputs,
 * 'broadcast'/'consumed_inputs' attributes) are refused per op by the
 * attribute check, so older opsets load only when every node means the same. */
#define ONNX_MIN_OPSET 1
#define ONNX_MAX_OPSET 17

struct pb {
    const uint8_t *p, *end;
};

static int pb_varint(struct pb *r, uint64_t *v)
{
    uint64_t x = 0;
    for (int s = 0; s < 70; s += 7) {
        if (r->p >= r->end)
            return 0;
        uint8_t b = *r->p++;
        if (s == 63 && (b & 0x7e))
            return 0;
        x |= (uint64_t)(b & 0x7f) << s;
        if (!(b & 0x80)) {
            *v = x;
            return 1;
        }
    }
    return 0;
}

static int pb_key(struct pb *r, uint32_t *field, int *wt)
{
    uint64_t v = 0;
    if (!pb_varint(r, &v) || (v >> 3) == 0 || (v >> 3) > 0x1fffffff)
        return 0;
    *field = (uint32_t)(v >> 3);
    *wt = (int)(v & 7);
    return 1;
}

static int pb_bytes(struct pb *r, struct pb *sub)
{
    uint64_t len;
    if (!pb_varint(r, &len) || len > (uint64_t)(r->end - r->p))
        return 0;
    sub->p = r->p;
    sub->end = r->p + len;
    r->p += len;
    return 1;
}

static int pb_fixed(struct pb *r, int n, uint64_t *v)
{
    if (r->end - r->p < n)
        return 0;
    uint64_t x = 0;
    for (int i = 0; i < n; i++)
        x |= (uint64_t)r->p[i] << (8 * i);
    r->p += n;
    *v = x;
    return 1;
}

static int pb_skip(struct pb *r, int wt)
{
    uint64_t v = 0;
    struct pb sub;
    switch (wt) {
    case 0: return pb_varint(r, &v);
    case 1: return pb_fixed(r, 8, &v);
    case 2: return pb_bytes(r, &sub);
    case 5: return pb_fixed(r, 4, &v);
    default: return 0; /* groups (3, 4) are not used by ONNX */
    }
}

static float bits_to_float(uint32_t u)
{
    float f;
    memcpy(&f, &u, 4);
    return f;
}

static double bits_to_double(uint64_t u)
{
    double d;
    memcpy(&d, &u, 8);
    return d;
}

static enum gh_status truncated(const char *what)
{
    return gh_error(GH_ERR_FORMAT, "ONNX: malformed or truncated %s", what);
}

static enum gh_status nomem(void)
{
    return gh_error(GH_ERR_NOMEM, "ONNX: out of memory");
}

/* Copies a string field; NULL also when it holds a NUL byte (a name that C
 * would silently cut short), which callers report as out of memory or
 * check with has_nul first. */
static int has_nul(struct pb s)
{
    return memchr(s.p, 0, (size_t)(s.end - s.p)) != NULL;
}

static char *dup_str(struct pb s)
{
    size_t n = (size_t)(s.end - s.p);
    char *c = malloc(n + 1);
    if (!c)
        return NULL;
    memcpy(c, s.p, n);
    c[n] = 0;
    return c;
}

static int str_eq(struct pb s, const char *lit)
{
    size_t n = strlen(lit);
    return (size_t)(s.end - s.p) == n && memcmp(s.p, lit, n) == 0;
}

/* Growable arrays of int64 / float / double for repeated (packed or not) fields. */
struct vec {
    void *p;
    size_t n, cap, elem;
};

static int vec_push(struct vec *v, const void *x)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 16;
        void *p = realloc(v->p, cap * v->elem);
        if (!p)
            return 0;
        v->p = p;
        v->cap = cap;
    }
    memcpy((char *)v->p + v->n * v->elem, x, v->elem);
    v->n++;
    return 1;
}

/* Reads a repeated varint field (wire type 0, or packed in wire type 2). */
static enum gh_status read_varints(struct pb *r, int wt, struct vec *v, const char *what)
{
    uint64_t x = 0;
    if (wt == 0) {
        if (!pb_varint(r, &x))
            return truncated(what);
        return vec_push(v, &x) ? GH_OK : nomem();
    }
    if (wt != 2)
        return truncated(what);
    struct pb sub;
    if (!pb_bytes(r, &sub))
        return truncated(what);
    while (sub.p < sub.end) {
        if (!pb_varint(&sub, &x))
            return truncated(what);
        if (!vec_push(v, &x))
            return nomem();
    }
    return GH_OK;
}

/* Reads a repeated fixed32/fixed64 field (4 or 8 bytes, packed or not). */
static enum gh_status read_fixeds(struct pb *r, int wt, int size, struct vec *v, const char *what)
{
    uint64_t x = 0;
    if (wt == (size == 4 ? 5 : 1)) {
        if (!pb_fixed(r, size, &x))
            return truncated(what);
        return vec_push(v, &x) ? GH_OK : nomem();
    }
    if (wt != 2)
        return truncated(what);
    struct pb sub;
    if (!pb_bytes(r, &sub))
        return truncated(what);
    if ((sub.end - sub.p) % size)
        return truncated(what);
    while (sub.p < sub.end) {
        pb_fixed(&sub, size, &x);
        if (!vec_push(v, &x))
            return nomem();
    }
    return GH_OK;
}

float gh_nn_half_to_float(uint16_t h)
{
    uint32_t sign = (uint32_t)(h >> 15) << 31;
    uint32_t exp = (h >> 10) & 0x1f;
    uint32_t man = h & 0x3ff;
    uint32_t u;
    if (exp == 0) {
        if (man == 0) {
            u = sign;
        } else { /* subnormal: renormalize */
            exp = 127 - 15 + 1;
            while (!(man & 0x400)) {
                man <<= 1;
                exp--;
            }
            man &= 0x3ff;
            u = sign | (exp << 23) | (man << 13);
        }
    } else if (exp == 31) {
        u = sign | 0x7f800000u | (man << 13);
    } else {
        u = sign | ((exp + 127 - 15) << 23) | (man << 13);
    }
    return bits_to_float(u);
}

enum onnx_dtype {
    ONNX_FLOAT = 1, ONNX_UINT8 = 2, ONNX_INT8 = 3, ONNX_UINT16 = 4, ONNX_INT16 = 5, ONNX_INT32 = 6,
    ONNX_INT64 = 7, ONNX_STRING = 8, ONNX_BOOL = 9, ONNX_FLOAT16 = 10, ONNX_DOUBLE = 11,
    ONNX_UINT32 = 12, ONNX_UINT64 = 13, ONNX_BFLOAT16 = 16
};

/* Bytes per element in raw_data; 0 for types we do not take. */
static int onnx_raw_size(int64_t dt)
{
    switch (dt) {
    case ONNX_FLOAT: case ONNX_INT32: case ONNX_UINT32: return 4;
    case ONNX_INT64: case ONNX_DOUBLE: case ONNX_UINT64: return 8;
    case ONNX_UINT8: case ONNX_INT8: case ONNX_BOOL: return 1;
    case ONNX_UINT16: case ONNX_INT16: case ONNX_FLOAT16: case ONNX_BFLOAT16: return 2;
    default: return 0;
    }
}

static int onnx_is_float(int64_t dt)
{
    return dt == ONNX_FLOAT || dt == ONNX_FLOAT16 || dt == ONNX_DOUBLE || dt == ONNX_BFLOAT16;
}

/* Converts the ONNX type code to ours (0 if we do not take it). */
static int onnx_map_dtype(int64_t dt, enum gh_nn_dtype *out)
{
    if (!onnx_raw_size(dt))
        return 0;
    *out = onnx_is_float(dt) ? GH_NN_F32 : GH_NN_I64;
    return 1;
}

/* Value of element i of raw little-endian data of ONNX type dt, widened. */
static void raw_elem(const uint8_t *p, int64_t dt, double *d, int64_t *l)
{
    uint64_t u = 0;
    int size = onnx_raw_size(dt);
    for (int b = 0; b < size; b++)
        u |= (uint64_t)p[b] << (8 * b);
    switch (dt) {
    case ONNX_FLOAT: *d = bits_to_float((uint32_t)u); break;
    case ONNX_DOUBLE: *d = bits_to_double(u); break;
    case ONNX_FLOAT16: *d = gh_nn_half_to_float((uint16_t)u); break;
    case ONNX_BFLOAT16: *d = bits_to_float((uint32_t)u << 16); break;
    case ONNX_UINT8: case ONNX_UINT16: case ONNX_UINT32: case ONNX_BOOL: *l = (int64_t)u; break;
    case ONNX_INT8: *l = (int8_t)u; break;
    case ONNX_INT16: *l = (int16_t)u; break;
    case ONNX_INT32: *l = (int32_t)u; break;
    case ONNX_INT64: case ONNX_UINT64: *l = (int64_t)u; break;
    default: break;
    }
}

/* Parses a TensorProto message into t (data allocated). name (optional) gets the name. */
static enum gh_status parse_tensor(struct pb r, struct gh_nn_tensor *t, char **name)
{
    enum gh_status st = GH_OK;
    struct vec dims = {0, 0, 0, 8}, i32 = {0, 0, 0, 8}, i64 = {0, 0, 0, 8}, u64 = {0, 0, 0, 8};
    struct vec f32 = {0, 0, 0, 8}, f64 = {0, 0, 0, 8};
    struct pb raw = {0, 0};
    int have_raw = 0;
    int64_t dt = 0;
    uint64_t v = 0;
    memset(t, 0, sizeof *t);
    if (name)
        *name = NULL;
    while (r.p < r.end) {
        uint32_t f;
        int wt;
        if (!pb_key(&r, &f, &wt)) {
            st = truncated("TensorProto");
            goto out;
        }
        switch (f) {
        case 1: st = read_varints(&r, wt, &dims, "TensorProto.dims"); break;
        case 2:
            if (wt != 0 || !pb_varint(&r, &v))
                st = truncated("TensorProto.data_type");
            dt = (int64_t)v;
            break;
        case 3: st = gh_error(GH_ERR_UNSUPPORTED, "ONNX: unsupported field TensorProto.segment"); break;
        case 4: st = read_fixeds(&r, wt, 4, &f32, "TensorProto.float_data"); break;
        case 5: st = read_varints(&r, wt, &i32, "TensorProto.int32_data"); break;
        case 6: st = gh_error(GH_ERR_UNSUPPORTED, "ONNX: unsupported field TensorProto.string_data"); break;
        case 7: st = read_varints(&r, wt, &i64, "TensorProto.int64_data"); break;
        case 8: {
            struct pb s;
            if (wt != 2 || !pb_bytes(&r, &s)) {
                st = truncated("TensorProto.name");
            } else if (has_nul(s)) {
                st = gh_error(GH_ERR_FORMAT, "ONNX: NUL byte inside a tensor name");
            } else if (name) {
                free(*name);
                if (!(*name = dup_str(s)))
                    st = nomem();
            }
            break;
        }
        case 9:
            if (wt != 2 || !pb_bytes(&r, &raw))
                st = truncated("TensorProto.raw_data");
            have_raw = 1;
            break;
        case 10: st = read_fixeds(&r, wt, 8, &f64, "TensorProto.double_data"); break;
        case 11: st = read_varints(&r, wt, &u64, "TensorProto.uint64_data"); break;
        case 13: st = gh_error(GH_ERR_UNSUPPORTED, "ONNX: unsupported field TensorProto.external_data"); break;
        case 14:
            if (wt != 0 || !pb_varint(&r, &v))
                st = truncated("TensorProto.data_location");
            else if (v != 0)
                st = gh_error(GH_ERR_UNSUPPORTED, "ONNX: unsupported TensorProto.data_location (external data)");
            break;
        default:
            if (!pb_skip(&r, wt))
                st = truncated("TensorProto");
            break;
        }
        if (st)
            goto out;
    }
    if (!onnx_map_dtype(dt, &t->dtype)) {
        st = gh_error(GH_ERR_UNSUPPORTED, "ONNX: unsupported tensor data type %lld", (long long)dt);
        goto out;
    }
    if (dims.n > GH_NN_MAX_DIMS) {
        st = gh_error(GH_ERR_UNSUPPORTED, "ONNX: tensor with %zu dimensions (at most %d)", dims.n, GH_NN_MAX_DIMS);
        goto out;
    }
    t->ndim = (int)dims.n;
    uint64_t count = 1;
    for (size_t i = 0; i < dims.n; i++) {
        int64_t d = ((int64_t *)dims.p)[i];
        if (d < 0 || d > GH_NN_MAX_ELEMS) {
            st = gh_error(GH_ERR_FORMAT, "ONNX: tensor dimension %lld out of range", (long long)d);
            goto out;
        }
        t->shape[i] = d;
        count *= (uint64_t)d;
        if (count > (uint64_t)GH_NN_MAX_ELEMS) {
            st = gh_error(GH_ERR_TOO_LARGE, "ONNX: tensor with more than %lld values", (long long)GH_NN_MAX_ELEMS);
            goto out;
        }
    }
    /* Where the values are, and that there are exactly count of them. */
    struct vec *list = NULL;
    if (have_raw) {
        if ((uint64_t)(raw.end - raw.p) != count * (uint64_t)onnx_raw_size(dt)) {
            st = gh_error(GH_ERR_FORMAT, "ONNX: tensor raw_data has %zu bytes, shape needs %llu",
                          (size_t)(raw.end - raw.p), (unsigned long long)(count * (uint64_t)onnx_raw_size(dt)));
            goto out;
        }
    } else {
        switch (dt) {
        case ONNX_FLOAT: list = &f32; break;
        case ONNX_DOUBLE: list = &f64; break;
        case ONNX_INT64: list = &i64; break;
        case ONNX_UINT32: case ONNX_UINT64: list = &u64; break;
        default: list = &i32; break;
        }
        if (list->n != count) {
            st = gh_error(GH_ERR_FORMAT, "ONNX: tensor has %zu values, shape needs %llu", list->n,
                          (unsigned long long)count);
            goto out;
        }
    }
    t->data = malloc(count ? count * gh_nn_dtype_size(t->dtype) : 1);
    if (!t->data) {
        st = nomem();
        goto out;
    }
    for (size_t i = 0; i < count; i++) {
        double d = 0;
        int64_t l = 0;
        if (have_raw) {
            raw_elem(raw.p + i * (size_t)onnx_raw_size(dt), dt, &d, &l);
        } else {
            uint64_t u = ((uint64_t *)list->p)[i];
            switch (dt) {
            case ONNX_FLOAT: d = bits_to_float((uint32_t)u); break;
            case ONNX_DOUBLE: d = bits_to_double(u); break;
            case ONNX_FLOAT16: d = gh_nn_half_to_float((uint16_t)u); break;
            case ONNX_BFLOAT16: d = bits_to_float((uint32_t)u << 16); break;
            case ONNX_INT32: case ONNX_INT16: case ONNX_INT8: l = (int32_t)u; break;
            default: l = (int64_t)u; break;
            }
        }
        if (t->dtype == GH_NN_F32)
            ((float *)t->data)[i] = (float)d;
        else
            ((int64_t *)t->data)[i] = l;
    }
out:
    free(dims.p);
    free(i32.p);
    free(i64.p);
    free(u64.p);
    free(f32.p);
    free(f64.p);
    if (st) {
        free(t->data);
        t->data = NULL;
        if (name) {
            free(*name);
            *name = NULL;
        }
    }
    return st;
}

enum gh_status gh_nn_tensor_read(const void *data, size_t size, struct gh_nn_tensor *out)
{
    if (!data || !out)
        return gh_error(GH_ERR_ARGUMENT, "gh_nn_tensor_read: NULL argument");
    struct pb r = {data, (const uint8_t *)data + size};
    return parse_tensor(r, out, NULL);
}

static enum gh_status parse_attr(struct pb r, struct gh_nn_attr *a, const char *node)
{
    enum gh_status st = GH_OK;
    struct vec ints = {0, 0, 0, 8}, floats = {0, 0, 0, 8};
    int have_t = 0;
    uint64_t v = 0;
    memset(a, 0, sizeof *a);
    while (r.p < r.end) {
        uint32_t f;
        int wt;
        struct pb s = {0, 0};
        if (!pb_key(&r, &f, &wt)) {
            st = truncated("AttributeProto");
            goto out;
        }
        switch (f) {
        case 1:
            if (wt != 2 || !pb_bytes(&r, &s))
                st = truncated("AttributeProto.name");
            else if (has_nul(s))
                st = gh_error(GH_ERR_FORMAT, "ONNX: NUL byte inside an attribute name");
            else {
                free(a->name);
                if (!(a->name = dup_str(s)))
                    st = nomem();
            }
            break;
        case 2:
            if (wt != 5 || !pb_fixed(&r, 4, &v))
                st = truncated("AttributeProto.f");
            a->f = bits_to_float((uint32_t)v);
            break;
        case 3:
            if (wt != 0 || !pb_varint(&r, &v))
                st = truncated("AttributeProto.i");
            a->i = (int64_t)v;
            break;
        case 4:
            if (wt != 2 || !pb_bytes(&r, &s))
                st = truncated("AttributeProto.s");
            else {
                free(a->s);
                if (!(a->s = dup_str(s)))
                    st = nomem();
            }
            break;
        case 5:
            if (wt != 2 || !pb_bytes(&r, &s)) {
                st = truncated("AttributeProto.t");
            } else {
                free(a->t.data);
                a->t.data = NULL;
                st = parse_tensor(s, &a->t, NULL);
                have_t = 1;
            }
            break;
        case 7: st = read_fixeds(&r, wt, 4, &floats, "AttributeProto.floats"); break;
        case 8: st = read_varints(&r, wt, &ints, "AttributeProto.ints"); break;
        case 20:
            if (wt != 0 || !pb_varint(&r, &v))
                st = truncated("AttributeProto.type");
            a->type = (enum gh_nn_attr_type)v;
            break;
        case 6: case 9: case 10: case 11: case 21: case 22:
            st = gh_error(GH_ERR_UNSUPPORTED, "ONNX: node '%s': unsupported attribute field %u "
                          "(graphs, strings, tensors lists or references)", node, f);
            break;
        default:
            if (!pb_skip(&r, wt))
                st = truncated("AttributeProto");
            break;
        }
        if (st)
            goto out;
    }
    if (!a->name) {
        st = gh_error(GH_ERR_FORMAT, "ONNX: node '%s': attribute without a name", node);
        goto out;
    }
    if (ints.n > INT_MAX / 2 || floats.n > INT_MAX / 2) {
        st = gh_error(GH_ERR_TOO_LARGE, "ONNX: attribute '%s' too long", a->name);
        goto out;
    }
    switch (a->type) {
    case GH_NN_ATTR_FLOAT: case GH_NN_ATTR_INT: break;
    case GH_NN_ATTR_STRING:
        if (!a->s && !(a->s = calloc(1, 1)))
            st = nomem();
        break;
    case GH_NN_ATTR_TENSOR:
        if (!have_t)
            st = gh_error(GH_ERR_FORMAT, "ONNX: node '%s': tensor attribute '%s' without a tensor", node, a->name);
        break;
    case GH_NN_ATTR_INTS:
        a->n = (int)ints.n;
        a->ints = ints.p;
        ints.p = NULL;
        if (!a->ints && !(a->ints = malloc(8)))
            st = nomem();
        break;
    case GH_NN_ATTR_FLOATS:
        a->n = (int)floats.n;
        if (!(a->floats = malloc(floats.n * sizeof(float) + 4))) {
            st = nomem();
            break;
        }
        for (size_t i = 0; i < floats.n; i++)
            a->floats[i] = bits_to_float((uint32_t)((uint64_t *)floats.p)[i]);
        break;
    default:
        st = gh_error(GH_ERR_UNSUPPORTED, "ONNX: node '%s': attribute '%s' has unsupported type %d", node,
                      a->name, (int)a->type);
        break;
    }
out:
    free(ints.p);
    free(floats.p);
    if (st) {
        gh_nn_attrs_free(a, 1);
        memset(a, 0, sizeof *a);
    }
    return st;
}

static enum gh_status op_lookup(struct pb type, enum gh_nn_op *op)
{
    for (int i = 0; i < GH_NN_OP_COUNT; i++) {
        if (str_eq(type, gh_nn_ops[i].name)) {
            *op = (enum gh_nn_op)i;
            return GH_OK;
        }
    }
    return GH_ERR_UNSUPPORTED;
}

static int push_str(char ***arr, int *n, char *s)
{
    char **p = realloc(*arr, (size_t)(*n + 1) * sizeof *p);
    if (!p) {
        free(s);
        return 0;
    }
    *arr = p;
    p[(*n)++] = s;
    return 1;
}

static enum gh_status parse_node(struct pb r, struct gh_nn_node_def *nd)
{
    enum gh_status st = GH_OK;
    struct pb type = {0, 0}, domain = {0, 0};
    int have_type = 0, n_attrs = 0;
    memset(nd, 0, sizeof *nd);
    while (r.p < r.end) {
        uint32_t f;
        int wt;
        struct pb s = {0, 0};
        if (!pb_key(&r, &f, &wt))
            return truncated("NodeProto");
        if ((f >= 1 && f <= 5) || f == 7) {
            if (wt != 2 || !pb_bytes(&r, &s))
                return truncated("NodeProto");
        } else if (!pb_skip(&r, wt)) {
            return truncated("NodeProto");
        }
        char *c;
        if (f >= 1 && f <= 4 && has_nul(s))
            return gh_error(GH_ERR_FORMAT, "ONNX: NUL byte inside a node name or value name");
        switch (f) {
        case 1: case 2:
            if (!(c = dup_str(s)))
                return nomem();
            if (!push_str(f == 1 ? &nd->in : &nd->out, f == 1 ? &nd->n_in : &nd->n_out, c))
                return nomem();
            if (nd->n_in > 4096 || nd->n_out > 4096)
                return gh_error(GH_ERR_TOO_LARGE, "ONNX: node with too many inputs or outputs");
            break;
        case 3:
            free(nd->name);
            if (!(nd->name = dup_str(s)))
                return nomem();
            break;
        case 4: type = s; have_type = 1; break;
        case 7: domain = s; break;
        case 5: n_attrs++; break; /* parsed below, once the name is known */
        default: break;
        }
    }
    if (!nd->name && !(nd->name = calloc(1, 1)))
        return nomem();
    if (!have_type)
        return gh_error(GH_ERR_FORMAT, "ONNX: node '%s' without op_type", nd->name);
    if (domain.p && domain.p != domain.end && !str_eq(domain, "ai.onnx")) {
        char *d = dup_str(domain);
        st = gh_error(GH_ERR_UNSUPPORTED, "ONNX: node '%s': unsupported operator domain '%s'", nd->name,
                      d ? d : "?");
        free(d);
        return st;
    }
    if (op_lookup(type, &nd->op) != GH_OK) {
        char *t = dup_str(type);
        st = gh_error(GH_ERR_UNSUPPORTED, "ONNX: unsupported op '%s' (node '%s')", t ? t : "?", nd->name);
        free(t);
        return st;
    }
    if (n_attrs && !(nd->attrs = calloc((size_t)n_attrs, sizeof *nd->attrs)))
        return nomem();
    return GH_OK;
}

/* Second pass over a NodeProto for its attributes (count known from the first). */
static enum gh_status parse_node_attrs(struct pb r, struct gh_nn_node_def *nd)
{
    while (r.p < r.end) {
        uint32_t f;
        int wt;
        struct pb s = {0, 0};
        if (!pb_key(&r, &f, &wt))
            return truncated("NodeProto");
        if (f != 5) {
            if (!pb_skip(&r, wt))
                return truncated("NodeProto");
            continue;
        }
        if (wt != 2 || !pb_bytes(&r, &s))
            return truncated("NodeProto.attribute");
        enum gh_status st = parse_attr(s, &nd->attrs[nd->n_attrs], nd->name);
        if (st)
            return st;
        nd->n_attrs++;
    }
    return GH_OK;
}

static enum gh_status parse_value_info(struct pb r, struct gh_nn_value *v)
{
    memset(v, 0, sizeof *v);
    v->t.ndim = -1;
    v->kind = GH_NN_VALUE_INPUT;
    while (r.p < r.end) {
        uint32_t f;
        int wt;
        struct pb s = {0, 0};
        if (!pb_key(&r, &f, &wt))
            return truncated("ValueInfoProto");
        if (f == 1 || f == 2) {
            if (wt != 2 || !pb_bytes(&r, &s))
                return truncated("ValueInfoProto");
        } else {
            if (!pb_skip(&r, wt))
                return truncated("ValueInfoProto");
            continue;
        }
        if (f == 1) {
            if (has_nul(s))
                return gh_error(GH_ERR_FORMAT, "ONNX: NUL byte inside a graph value name");
            free(v->name);
            if (!(v->name = dup_str(s)))
                return nomem();
            continue;
        }
        /* TypeProto: 1 tensor_type { 1 elem_type, 2 shape { 1 dim { 1 dim_value, 2 dim_param } } } */
        while (s.p < s.end) {
            struct pb tt;
            if (!pb_key(&s, &f, &wt))
                return truncated("TypeProto");
            if (f != 1) {
                if (!pb_skip(&s, wt))
                    return truncated("TypeProto");
                continue;
            }
            if (wt != 2 || !pb_bytes(&s, &tt))
                return truncated("TypeProto.tensor_type");
            while (tt.p < tt.end) {
                uint64_t x;
                struct pb shp;
                if (!pb_key(&tt, &f, &wt))
                    return truncated("TypeProto.Tensor");
                if (f == 1 && wt == 0) {
                    if (!pb_varint(&tt, &x))
                        return truncated("TypeProto.Tensor");
                    if (!onnx_map_dtype((int64_t)x, &v->t.dtype))
                        return gh_error(GH_ERR_UNSUPPORTED, "ONNX: graph value '%s' has unsupported type %llu",
                                        v->name ? v->name : "?", (unsigned long long)x);
                } else if (f == 2 && wt == 2) {
                    if (!pb_bytes(&tt, &shp))
                        return truncated("TensorShapeProto");
                    v->t.ndim = 0;
                    while (shp.p < shp.end) {
                        struct pb dim;
                        if (!pb_key(&shp, &f, &wt))
                            return truncated("TensorShapeProto");
                        if (f != 1) {
                            if (!pb_skip(&shp, wt))
                                return truncated("TensorShapeProto");
                            continue;
                        }
                        if (wt != 2 || !pb_bytes(&shp, &dim))
                            return truncated("TensorShapeProto.dim");
                        if (v->t.ndim >= GH_NN_MAX_DIMS)
                            return gh_error(GH_ERR_UNSUPPORTED, "ONNX: graph value with more than %d dimensions",
                                            GH_NN_MAX_DIMS);
                        int64_t d = -1;
                        while (dim.p < dim.end) {
                            if (!pb_key(&dim, &f, &wt))
                                return truncated("TensorShapeProto.dim");
                            if (f == 1 && wt == 0) {
                                if (!pb_varint(&dim, &x))
                                    return truncated("TensorShapeProto.dim");
                                d = (int64_t)x;
                                if (d < 0)
                                    return gh_error(GH_ERR_FORMAT, "ONNX: negative dimension %lld", (long long)d);
                            } else if (!pb_skip(&dim, wt)) {
                                return truncated("TensorShapeProto.dim");
                            }
                        }
                        v->t.shape[v->t.ndim++] = d;
                    }
                } else if (!pb_skip(&tt, wt)) {
                    return truncated("TypeProto.Tensor");
                }
            }
        }
    }
    if (!v->name)
        return gh_error(GH_ERR_FORMAT, "ONNX: graph input/output without a name");
    return GH_OK;
}

#define GROW(arr, n, cap)                                                                                    \
    do {                                                                                                     \
        if ((n) == (cap)) {                                                                                  \
            int c_ = (cap) ? (cap) * 2 : 16;                                                                 \
            void *p_ = realloc((arr), (size_t)c_ * sizeof *(arr));                                           \
            if (!p_)                                                                                         \
                return nomem();                                                                              \
            (arr) = p_;                                                                                      \
            (cap) = c_;                                                                                      \
        }                                                                                                    \
    } while (0)

/* The data_type field of a TensorProto (0 if absent or malformed). */
static int64_t tensor_proto_dtype(struct pb r)
{
    uint32_t f;
    int wt;
    uint64_t v = 0;
    while (r.p < r.end && pb_key(&r, &f, &wt)) {
        if (f == 2 && wt == 0)
            return pb_varint(&r, &v) ? (int64_t)v : 0;
        if (!pb_skip(&r, wt))
            return 0;
    }
    return 0;
}

/* *f16_weights: set if any initializer is stored as float16. */
static enum gh_status parse_graph(struct pb r, struct gh_nn_graph_def *g, int *f16_weights)
{
    enum gh_status st;
    while (r.p < r.end) {
        uint32_t f;
        int wt;
        struct pb s = {0, 0};
        if (!pb_key(&r, &f, &wt))
            return truncated("GraphProto");
        if (f == 1 || f == 5 || f == 11 || f == 12 || f == 15) {
            if (wt != 2 || !pb_bytes(&r, &s))
                return truncated("GraphProto");
        } else {
            if (!pb_skip(&r, wt))
                return truncated("GraphProto");
            continue;
        }
        switch (f) {
        case 1:
            GROW(g->nodes, g->n_nodes, g->cap_nodes);
            st = parse_node(s, &g->nodes[g->n_nodes]);
            g->n_nodes++; /* counted even on failure so gh_nn_graph_def_free frees it */
            if (st)
                return st;
            if ((st = parse_node_attrs(s, &g->nodes[g->n_nodes - 1])))
                return st;
            break;
        case 5: {
            GROW(g->consts, g->n_consts, g->cap_consts);
            struct gh_nn_value *v = &g->consts[g->n_consts];
            memset(v, 0, sizeof *v);
            v->kind = GH_NN_VALUE_CONST;
            if (tensor_proto_dtype(s) == ONNX_FLOAT16)
                *f16_weights = 1;
            if ((st = parse_tensor(s, &v->t, &v->name)))
                return gh_error_prefix(st, "initializer");
            g->n_consts++;
            if (!v->name)
                return gh_error(GH_ERR_FORMAT, "ONNX: initializer without a name");
            break;
        }
        case 11:
            GROW(g->inputs, g->n_inputs, g->cap_inputs);
            st = parse_value_info(s, &g->inputs[g->n_inputs]);
            g->n_inputs++;
            if (st)
                return st;
            break;
        case 12: {
            struct gh_nn_value v;
            /* Room first: a failed GROW after the parse leaked v.name (clang-tidy). */
            GROW(g->outputs, g->n_outputs, g->cap_outputs);
            st = parse_value_info(s, &v);
            if (st) {
                free(v.name);
                return st;
            }
            g->outputs[g->n_outputs++] = v.name;
            break;
        }
        case 15: return gh_error(GH_ERR_UNSUPPORTED, "ONNX: unsupported field GraphProto.sparse_initializer");
        }
    }
    return GH_OK;
}

/* ---- operands that older opsets kept as attributes ----
 * Pad before opset 11 (pads, value), Slice before 10 (starts, ends, axes) and
 * Upsample 7-8 (scales) hold operands as attributes that later versions take
 * as inputs. Such a node is rewritten here to the newer form with constant
 * inputs, so the kernels and the load-time fusions (Pad -> Conv reads a
 * constant pads input) know one form only. */

/* Removes attribute k of nd (freed). */
static void attr_remove(struct gh_nn_node_def *nd, int k)
{
    gh_nn_attrs_free(&nd->attrs[k], 1);
    memmove(&nd->attrs[k], &nd->attrs[k + 1], (size_t)(nd->n_attrs - k - 1) * sizeof *nd->attrs);
    nd->n_attrs--;
}

static int attr_index(const struct gh_nn_node_def *nd, const char *name)
{
    for (int k = 0; k < nd->n_attrs; k++)
        if (strcmp(nd->attrs[k].name, name) == 0)
            return k;
    return -1;
}

/* Makes constant t (taken over) input `slot` of nd, named after the node's
 * first output; inputs before it that were missing are left out (""). */
static enum gh_status add_const_input(struct gh_nn_graph_def *g, struct gh_nn_node_def *nd, int slot,
                                      const char *what, struct gh_nn_tensor *t)
{
    enum gh_status st = GH_OK;
    char *name = NULL;
    const char *base = nd->n_out > 0 ? nd->out[0] : nd->name;
    size_t len = strlen(base) + strlen(what) + 16;
    if (!(name = malloc(len))) {
        st = nomem();
        goto out;
    }
    snprintf(name, len, "%s/ghiblify.%s", base, what);
    while (nd->n_in <= slot) {
        char *empty = calloc(1, 1);
        if (!empty || !push_str(&nd->in, &nd->n_in, empty)) {
            st = nomem();
            goto out;
        }
    }
    if (g->n_consts == g->cap_consts) {
        int cap = g->cap_consts ? g->cap_consts * 2 : 16;
        void *p = realloc(g->consts, (size_t)cap * sizeof *g->consts);
        if (!p) {
            st = nomem();
            goto out;
        }
        g->consts = p;
        g->cap_consts = cap;
    }
    char *input = strdup(name);
    if (!input) {
        st = nomem();
        goto out;
    }
    free(nd->in[slot]);
    nd->in[slot] = input;
    struct gh_nn_value *v = &g->consts[g->n_consts++];
    memset(v, 0, sizeof *v);
    v->kind = GH_NN_VALUE_CONST;
    v->name = name;
    v->t = *t;
    name = NULL;
    t->data = NULL;
out:
    free(name);
    free(t->data);
    t->data = NULL;
    return st;
}

/* Moves INTS (or FLOATS) attribute `attr` of nd into constant input slot as a
 * 1-D int64 (float) tensor; *found = 0 if the node has no such attribute. */
static enum gh_status attr_to_input(struct gh_nn_graph_def *g, struct gh_nn_node_def *nd, const char *attr,
                                    enum gh_nn_attr_type type, int slot, int *found)
{
    int k = attr_index(nd, attr);
    *found = k >= 0;
    if (k < 0)
        return GH_OK;
    const struct gh_nn_attr *a = &nd->attrs[k];
    if (a->type != type)
        return gh_error(GH_ERR_MODEL, "ONNX: node '%s': attribute '%s' must be a list of %s", nd->name, attr,
                        type == GH_NN_ATTR_INTS ? "ints" : "floats");
    struct gh_nn_tensor t = {type == GH_NN_ATTR_INTS ? GH_NN_I64 : GH_NN_F32, 1, {a->n}, NULL};
    size_t bytes = (size_t)a->n * gh_nn_dtype_size(t.dtype);
    if (!(t.data = malloc(bytes ? bytes : 1)))
        return nomem();
    if (bytes)
        memcpy(t.data, type == GH_NN_ATTR_INTS ? (void *)a->ints : (void *)a->floats, bytes);
    attr_remove(nd, k);
    return add_const_input(g, nd, slot, attr, &t);
}

/* A model whose weights are stored as float16 (e.g. AnimeGANv3 Shinkai,
 * exported with float16 weights and activations) runs as its float32
 * conversion (tools/make-onnx-fp32): every float16 value is held in float32
 * and no op rounds it, so the exporter's Casts to FLOAT16 (storage format, not
 * arithmetic the network was trained with) become Casts to FLOAT rather than
 * rounding 3 tensors out of hundreds. On the Shinkai model this keeps the
 * output within 5e-6 of ONNX Runtime's float32 run instead of 2.7e-4.
 * Elsewhere Cast to FLOAT16 rounds, as ONNX specifies. */
static void widen_f16_casts(struct gh_nn_graph_def *g)
{
    for (int i = 0; i < g->n_nodes; i++) {
        struct gh_nn_node_def *nd = &g->nodes[i];
        if (nd->op != GH_NN_OP_CAST)
            continue;
        for (int k = 0; k < nd->n_attrs; k++)
            if (strcmp(nd->attrs[k].name, "to") == 0 && nd->attrs[k].type == GH_NN_ATTR_INT &&
                nd->attrs[k].i == ONNX_FLOAT16)
                nd->attrs[k].i = ONNX_FLOAT;
    }
}

static enum gh_status upgrade_legacy(struct gh_nn_graph_def *g)
{
    enum gh_status st;
    int found;
    for (int i = 0; i < g->n_nodes; i++) {
        struct gh_nn_node_def *nd = &g->nodes[i];
        if (nd->op == GH_NN_OP_PAD && g->opset < 11) {
            if (g->opset < 2)
                return gh_error(GH_ERR_UNSUPPORTED, "ONNX: Pad before opset 2 (node '%s')", nd->name);
            if (nd->n_in != 1)
                return gh_error(GH_ERR_MODEL, "ONNX: node '%s': Pad before opset 11 takes one input", nd->name);
            if ((st = attr_to_input(g, nd, "pads", GH_NN_ATTR_INTS, 1, &found)))
                return st;
            if (!found)
                return gh_error(GH_ERR_MODEL, "ONNX: node '%s': Pad without pads", nd->name);
            int k = attr_index(nd, "value");
            if (k >= 0) {
                if (nd->attrs[k].type != GH_NN_ATTR_FLOAT)
                    return gh_error(GH_ERR_MODEL, "ONNX: node '%s': Pad value must be a float", nd->name);
                struct gh_nn_tensor t = {GH_NN_F32, 0, {0}, malloc(sizeof(float))};
                if (!t.data)
                    return nomem();
                *(float *)t.data = nd->attrs[k].f;
                attr_remove(nd, k);
                if ((st = add_const_input(g, nd, 2, "value", &t)))
                    return st;
            }
        } else if (nd->op == GH_NN_OP_SLICE && g->opset < 10) {
            if (nd->n_in != 1)
                return gh_error(GH_ERR_MODEL, "ONNX: node '%s': Slice before opset 10 takes one input", nd->name);
            int f2 = 0, f3 = 0;
            if ((st = attr_to_input(g, nd, "starts", GH_NN_ATTR_INTS, 1, &found)) ||
                (st = attr_to_input(g, nd, "ends", GH_NN_ATTR_INTS, 2, &f2)) ||
                (st = attr_to_input(g, nd, "axes", GH_NN_ATTR_INTS, 3, &f3)))
                return st;
            if (!found || !f2)
                return gh_error(GH_ERR_MODEL, "ONNX: node '%s': Slice without starts or ends", nd->name);
        } else if (nd->op == GH_NN_OP_UPSAMPLE && g->opset < 9) {
            if (g->opset < 7)
                return gh_error(GH_ERR_UNSUPPORTED, "ONNX: Upsample before opset 7 (node '%s')", nd->name);
            if (nd->n_in != 1)
                return gh_error(GH_ERR_MODEL, "ONNX: node '%s': Upsample before opset 9 takes one input", nd->name);
            if ((st = attr_to_input(g, nd, "scales", GH_NN_ATTR_FLOATS, 1, &found)))
                return st;
            if (!found)
                return gh_error(GH_ERR_MODEL, "ONNX: node '%s': Upsample without scales", nd->name);
        }
    }
    return GH_OK;
}

enum gh_status gh_nn_onnx_load(const uint8_t *data, size_t size, struct gh_nn_model **out)
{
    struct gh_nn_graph_def g;
    memset(&g, 0, sizeof g);
    struct pb r = {data, data + size}, graph = {0, 0};
    int have_graph = 0;
    int64_t opset = -1;
    enum gh_status st = GH_OK;
    *out = NULL;
    while (r.p < r.end) {
        uint32_t f;
        int wt;
        struct pb s = {0, 0};
        if (!pb_key(&r, &f, &wt)) {
            st = truncated("ModelProto");
            goto out;
        }
        if (f == 7 || f == 8) {
            if (wt != 2 || !pb_bytes(&r, &s)) {
                st = truncated("ModelProto");
                goto out;
            }
        } else {
            if (!pb_skip(&r, wt)) {
                st = truncated("ModelProto");
                goto out;
            }
            continue;
        }
        if (f == 7) {
            graph = s;
            have_graph = 1;
            continue;
        }
        /* OperatorSetIdProto: 1 domain, 2 version */
        struct pb dom = {0, 0};
        int64_t ver = -1;
        while (s.p < s.end) {
            uint64_t v;
            if (!pb_key(&s, &f, &wt)) {
                st = truncated("OperatorSetIdProto");
                goto out;
            }
            if (f == 1 && wt == 2) {
                if (!pb_bytes(&s, &dom)) {
                    st = truncated("OperatorSetIdProto");
                    goto out;
                }
            } else if (f == 2 && wt == 0) {
                if (!pb_varint(&s, &v)) {
                    st = truncated("OperatorSetIdProto");
                    goto out;
                }
                ver = (int64_t)v;
            } else if (!pb_skip(&s, wt)) {
                st = truncated("OperatorSetIdProto");
                goto out;
            }
        }
        if (dom.p == dom.end || str_eq(dom, "ai.onnx"))
            opset = ver;
    }
    if (!have_graph) {
        st = gh_error(GH_ERR_FORMAT, "ONNX: no graph (not an ONNX model?)");
        goto out;
    }
    if (opset < ONNX_MIN_OPSET || opset > ONNX_MAX_OPSET) {
        st = gh_error(GH_ERR_UNSUPPORTED, "ONNX: unsupported opset %lld (supported: %d-%d)", (long long)opset,
                      ONNX_MIN_OPSET, ONNX_MAX_OPSET);
        goto out;
    }
    g.opset = (int)opset;
    int f16_weights = 0;
    if ((st = parse_graph(graph, &g, &f16_weights)) || (st = upgrade_legacy(&g)))
        goto out;
    if (f16_weights)
        widen_f16_casts(&g);
    st = gh_nn_graph_build(&g, out);
out:
    gh_nn_graph_def_free(&g);
    return st;
}
