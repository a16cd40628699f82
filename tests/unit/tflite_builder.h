/* A tiny TFLite flatbuffer writer for tests: builds small models (and
 * deliberately broken ones) in memory, following tensorflow/lite/schema/
 * schema.fbs. Objects are laid out front to back with every reference
 * pointing forward (uoffsets are unsigned): a parent table is written first
 * and its reference fields are patched when the child is appended.
 *
 * Every table field gets a 4-byte slot (byte fields use the slot's first
 * byte), which is valid flatbuffer layout. Header-only (static inline functions)
 * so each test executable can include it. */
#ifndef GH_TEST_TFLITE_BUILDER_H
#define GH_TEST_TFLITE_BUILDER_H

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct fbb {
    uint8_t *d;
    size_t n, cap;
};

static inline size_t fbb_alloc(struct fbb *b, size_t n)
{
    n = (n + 3) & ~(size_t)3;
    if (b->n + n > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->n + n)
            cap *= 2;
        uint8_t *p = realloc(b->d, cap);
        if (!p)
            abort();
        memset(p + b->cap, 0, cap - b->cap);
        b->d = p;
        b->cap = cap;
    }
    size_t at = b->n;
    b->n += n;
    return at;
}

static inline void fbb_put32(struct fbb *b, size_t pos, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        b->d[pos + i] = (uint8_t)(v >> (8 * i));
}

static inline void fbb_put16(struct fbb *b, size_t pos, uint16_t v)
{
    b->d[pos] = (uint8_t)v;
    b->d[pos + 1] = (uint8_t)(v >> 8);
}

static inline uint32_t fbb_get32(const struct fbb *b, size_t pos)
{
    return (uint32_t)b->d[pos] | (uint32_t)b->d[pos + 1] << 8 | (uint32_t)b->d[pos + 2] << 16 |
           (uint32_t)b->d[pos + 3] << 24;
}

/* A table of nf 4-byte fields, all absent; returns the table's position. */
static inline size_t fbb_table(struct fbb *b, int nf)
{
    size_t vt = fbb_alloc(b, 4 + 2 * (size_t)nf);
    size_t t = fbb_alloc(b, 4 + 4 * (size_t)nf);
    fbb_put16(b, vt, (uint16_t)(4 + 2 * nf));
    fbb_put16(b, vt + 2, (uint16_t)(4 + 4 * nf));
    fbb_put32(b, t, (uint32_t)(t - vt));
    return t;
}

static inline size_t fbb_slot(struct fbb *b, size_t t, int i)
{
    size_t vt = t - fbb_get32(b, t);
    fbb_put16(b, vt + 4 + 2 * (size_t)i, (uint16_t)(4 + 4 * i));
    return t + 4 + 4 * (size_t)i;
}

static inline void fbb_set32(struct fbb *b, size_t t, int i, uint32_t v)
{
    fbb_put32(b, fbb_slot(b, t, i), v);
}

static inline void fbb_set8(struct fbb *b, size_t t, int i, uint8_t v)
{
    b->d[fbb_slot(b, t, i)] = v;
}

static inline void fbb_setf(struct fbb *b, size_t t, int i, float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    fbb_set32(b, t, i, u);
}

/* Points field i of table t (or a vector slot when t is a slot position and
 * i < 0) at target. */
static inline void fbb_ref(struct fbb *b, size_t t, int i, size_t target)
{
    size_t slot = i >= 0 ? fbb_slot(b, t, i) : t;
    fbb_put32(b, slot, (uint32_t)(target - slot));
}

static inline size_t fbb_vec32(struct fbb *b, int n, const int32_t *v)
{
    size_t p = fbb_alloc(b, 4 + 4 * (size_t)n);
    fbb_put32(b, p, (uint32_t)n);
    for (int i = 0; i < n; i++)
        fbb_put32(b, p + 4 + 4 * (size_t)i, (uint32_t)v[i]);
    return p;
}

static inline size_t fbb_bytes(struct fbb *b, const void *data, size_t n)
{
    size_t p = fbb_alloc(b, 4 + n);
    fbb_put32(b, p, (uint32_t)n);
    if (n)
        memcpy(b->d + p + 4, data, n);
    return p;
}

/* ---- model description ---- */

enum { TB_F32 = 0, TB_F16 = 1, TB_I32 = 2, TB_U8 = 3, TB_I8 = 9 };

struct tb_tensor {
    int ndim;
    int32_t shape[8];
    int type;
    const void *data; /* constant bytes (NULL: activation) */
    size_t nbytes;
    int q_n;          /* quantization: q_n scales (and zero points), per axis q_axis when q_n > 1 */
    const float *q_scale;
    const int64_t *q_zp;
    int q_axis;
};

struct tb_opt {
    int field, size; /* size 1 or 4 */
    uint32_t v;
};

struct tb_op {
    int code;
    int n_in, n_out;
    int32_t in[8], out[4];
    int opt_tag;
    int n_opt;
    struct tb_opt opt[8];
};

struct tb_model {
    int n_t, n_ops, n_in, n_out;
    struct tb_tensor t[64];
    struct tb_op op[32];
    int32_t in[4], out[4];
    /* positions in the built buffer, for tests that corrupt them */
    size_t pos_model, pos_subgraph, pos_tensors_vec, pos_ops_vec, pos_codes_vec, pos_buffers_vec;
    size_t pos_tensor[64], pos_op[32], pos_buffer_data[64];
};

static inline int tb_tensor(struct tb_model *m, int type, int ndim, const int32_t *shape, const void *data, size_t nbytes)
{
    struct tb_tensor *t = &m->t[m->n_t];
    t->type = type;
    t->ndim = ndim;
    memcpy(t->shape, shape, (size_t)ndim * sizeof *shape);
    t->data = data;
    t->nbytes = nbytes;
    return m->n_t++;
}

static inline struct tb_op *tb_op(struct tb_model *m, int code, int opt_tag, int n_in, const int32_t *in, int out)
{
    struct tb_op *o = &m->op[m->n_ops++];
    memset(o, 0, sizeof *o);
    o->code = code;
    o->opt_tag = opt_tag;
    o->n_in = n_in;
    memcpy(o->in, in, (size_t)n_in * sizeof *in);
    o->n_out = 1;
    o->out[0] = out;
    return o;
}

static inline void tb_opt(struct tb_op *o, int field, int size, uint32_t v)
{
    o->opt[o->n_opt].field = field;
    o->opt[o->n_opt].size = size;
    o->opt[o->n_opt].v = v;
    o->n_opt++;
}

static inline void tb_optf(struct tb_op *o, int field, float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    tb_opt(o, field, 4, u);
}

/* Serializes m (file identifier "TFL3", schema version 3); caller frees. */
static inline uint8_t *tb_build(struct tb_model *m, size_t *size)
{
    struct fbb b = {0};
    size_t hdr = fbb_alloc(&b, 8);
    memcpy(b.d + 4, "TFL3", 4);
    size_t model = fbb_table(&b, 5);
    fbb_put32(&b, hdr, (uint32_t)model);
    m->pos_model = model;
    fbb_set32(&b, model, 0, 3);
    /* operator codes: one per op */
    size_t codes = fbb_alloc(&b, 4 + 4 * (size_t)m->n_ops);
    fbb_put32(&b, codes, (uint32_t)m->n_ops);
    fbb_ref(&b, model, 1, codes);
    m->pos_codes_vec = codes;
    for (int i = 0; i < m->n_ops; i++) {
        size_t oc = fbb_table(&b, 4);
        fbb_set8(&b, oc, 0, (uint8_t)(m->op[i].code < 127 ? m->op[i].code : 127));
        fbb_set32(&b, oc, 2, 1);
        fbb_set32(&b, oc, 3, (uint32_t)m->op[i].code);
        fbb_ref(&b, codes + 4 + 4 * (size_t)i, -1, oc);
    }
    /* one subgraph */
    size_t sgs = fbb_alloc(&b, 8);
    fbb_put32(&b, sgs, 1);
    fbb_ref(&b, model, 2, sgs);
    size_t sg = fbb_table(&b, 5);
    fbb_ref(&b, sgs + 4, -1, sg);
    m->pos_subgraph = sg;
    size_t tv = fbb_alloc(&b, 4 + 4 * (size_t)m->n_t);
    fbb_put32(&b, tv, (uint32_t)m->n_t);
    fbb_ref(&b, sg, 0, tv);
    m->pos_tensors_vec = tv;
    int n_buf = 1;
    int buf_of[64] = {0};
    for (int i = 0; i < m->n_t; i++) {
        const struct tb_tensor *t = &m->t[i];
        size_t tt = fbb_table(&b, 5);
        m->pos_tensor[i] = tt;
        fbb_ref(&b, tv + 4 + 4 * (size_t)i, -1, tt);
        fbb_ref(&b, tt, 0, fbb_vec32(&b, t->ndim, t->shape));
        fbb_set8(&b, tt, 1, (uint8_t)t->type);
        buf_of[i] = t->data ? n_buf++ : 0;
        fbb_set32(&b, tt, 2, (uint32_t)buf_of[i]);
        char name[16];
        int nl = snprintf(name, sizeof name, "t%d", i);
        fbb_ref(&b, tt, 3, fbb_bytes(&b, name, (size_t)nl));
        if (t->q_n) {
            size_t q = fbb_table(&b, 7);
            fbb_ref(&b, tt, 4, q);
            fbb_ref(&b, q, 2, fbb_bytes(&b, t->q_scale, 4 * (size_t)t->q_n) );
            fbb_put32(&b, q + 4 + 4 * 2 + fbb_get32(&b, q + 4 + 4 * 2), (uint32_t)t->q_n); /* count, not bytes */
            size_t zp = fbb_alloc(&b, 4 + 8 * (size_t)t->q_n);
            fbb_put32(&b, zp, (uint32_t)t->q_n);
            memcpy(b.d + zp + 4, t->q_zp, 8 * (size_t)t->q_n);
            fbb_ref(&b, q, 3, zp);
            fbb_set32(&b, q, 6, (uint32_t)t->q_axis);
        }
    }
    fbb_ref(&b, sg, 1, fbb_vec32(&b, m->n_in, m->in));
    fbb_ref(&b, sg, 2, fbb_vec32(&b, m->n_out, m->out));
    size_t ov = fbb_alloc(&b, 4 + 4 * (size_t)m->n_ops);
    fbb_put32(&b, ov, (uint32_t)m->n_ops);
    fbb_ref(&b, sg, 3, ov);
    m->pos_ops_vec = ov;
    for (int i = 0; i < m->n_ops; i++) {
        const struct tb_op *o = &m->op[i];
        size_t ot = fbb_table(&b, 5);
        m->pos_op[i] = ot;
        fbb_ref(&b, ov + 4 + 4 * (size_t)i, -1, ot);
        fbb_set32(&b, ot, 0, (uint32_t)i);
        fbb_ref(&b, ot, 1, fbb_vec32(&b, o->n_in, o->in));
        fbb_ref(&b, ot, 2, fbb_vec32(&b, o->n_out, o->out));
        if (o->opt_tag) {
            fbb_set8(&b, ot, 3, (uint8_t)o->opt_tag);
            int nf = 0;
            for (int k = 0; k < o->n_opt; k++)
                if (o->opt[k].field + 1 > nf)
                    nf = o->opt[k].field + 1;
            size_t opt = fbb_table(&b, nf);
            fbb_ref(&b, ot, 4, opt);
            for (int k = 0; k < o->n_opt; k++) {
                if (o->opt[k].size == 1)
                    fbb_set8(&b, opt, o->opt[k].field, (uint8_t)o->opt[k].v);
                else
                    fbb_set32(&b, opt, o->opt[k].field, o->opt[k].v);
            }
        }
    }
    /* buffers: 0 is the empty sentinel */
    size_t bv = fbb_alloc(&b, 4 + 4 * (size_t)n_buf);
    fbb_put32(&b, bv, (uint32_t)n_buf);
    fbb_ref(&b, model, 4, bv);
    m->pos_buffers_vec = bv;
    fbb_ref(&b, bv + 4, -1, fbb_table(&b, 1));
    for (int i = 0; i < m->n_t; i++) {
        if (!buf_of[i])
            continue;
        size_t bt = fbb_table(&b, 1);
        fbb_ref(&b, bv + 4 + 4 * (size_t)buf_of[i], -1, bt);
        size_t data = fbb_bytes(&b, m->t[i].data, m->t[i].nbytes);
        m->pos_buffer_data[i] = data;
        fbb_ref(&b, bt, 0, data);
    }
    *size = b.n;
    return b.d;
}

/* float32 -> IEEE half (round to nearest even; no NaN payloads needed here). */
static inline uint16_t tb_half(float f)
{
    uint32_t u;
    memcpy(&u, &f, 4);
    uint32_t sign = (u >> 16) & 0x8000;
    int32_t e = (int32_t)((u >> 23) & 0xff) - 127 + 15;
    uint32_t man = u & 0x7fffff;
    if (e >= 31)
        return (uint16_t)(sign | 0x7c00);
    if (e <= 0) {
        if (e < -10)
            return (uint16_t)sign;
        man |= 0x800000;
        uint32_t shift = (uint32_t)(14 - e);
        uint32_t h = man >> shift, rem = man & ((1u << shift) - 1), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (h & 1)))
            h++;
        return (uint16_t)(sign | h);
    }
    uint32_t h = ((uint32_t)e << 10) | (man >> 13), rem = man & 0x1fff;
    if (rem > 0x1000 || (rem == 0x1000 && (h & 1)))
        h++;
    return (uint16_t)(sign | h);
}

#endif
