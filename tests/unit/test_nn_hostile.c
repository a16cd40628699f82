/* Hostile and broken models: every one must give a clean error with a detail
 * (no crash, no leak under ASan), never GH_OK with garbage. Models are built
 * here with a tiny protobuf writer, plus truncated and bit-flipped copies of a
 * real conformance model. The same writer builds the small models of
 * test_legacy_forms: older-opset operand attributes (Pad, Slice, Upsample)
 * and the float16-weights Cast rule (nn.h), valid and broken. */
#include "check.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ghiblify/nn.h"

/* ---- a minimal protobuf writer ---- */
struct buf {
    unsigned char *p;
    size_t n, cap;
};

static void put(struct buf *b, const void *d, size_t n)
{
    if (!n)
        return;
    if (b->n + n > b->cap) {
        b->cap = (b->n + n) * 2 + 64;
        b->p = realloc(b->p, b->cap);
    }
    memcpy(b->p + b->n, d, n);
    b->n += n;
}

static void varint(struct buf *b, unsigned long long v)
{
    do {
        unsigned char c = (unsigned char)(v & 0x7f);
        v >>= 7;
        if (v)
            c |= 0x80;
        put(b, &c, 1);
    } while (v);
}

static void f_int(struct buf *b, int field, long long v)
{
    varint(b, (unsigned long long)field << 3);
    varint(b, (unsigned long long)v);
}

static void f_bytes(struct buf *b, int field, const void *d, size_t n)
{
    varint(b, (unsigned long long)field << 3 | 2);
    varint(b, n);
    put(b, d, n);
}

static void f_str(struct buf *b, int field, const char *s)
{
    f_bytes(b, field, s, strlen(s));
}

static void f_msg(struct buf *b, int field, struct buf *m)
{
    f_bytes(b, field, m->p, m->n);
    free(m->p);
    memset(m, 0, sizeof *m);
}

/* NodeProto with up to 2 inputs and one output. */
static void node(struct buf *g, const char *op, const char *in0, const char *in1, const char *out, struct buf *attr)
{
    struct buf n = {0};
    if (in0)
        f_str(&n, 1, in0);
    if (in1)
        f_str(&n, 1, in1);
    f_str(&n, 2, out);
    f_str(&n, 3, out);
    f_str(&n, 4, op);
    if (attr)
        f_msg(&n, 5, attr);
    f_msg(g, 1, &n);
}

/* ValueInfoProto: float tensor of the given dims (-1: symbolic). */
static void value_info(struct buf *g, int field, const char *name, int ndim, const long long *dims)
{
    struct buf v = {0}, t = {0}, tt = {0}, shp = {0};
    f_str(&v, 1, name);
    f_int(&tt, 1, 1);
    for (int i = 0; i < ndim; i++) {
        struct buf d = {0};
        if (dims[i] < 0)
            f_str(&d, 2, "N");
        else
            f_int(&d, 1, dims[i]);
        f_msg(&shp, 1, &d);
    }
    f_msg(&tt, 2, &shp);
    f_msg(&t, 1, &tt);
    f_msg(&v, 2, &t);
    f_msg(g, field, &v);
}

/* Initializer: float tensor with dims and n raw floats. */
static void initializer(struct buf *g, const char *name, int ndim, const long long *dims, const float *data, int n)
{
    struct buf t = {0};
    for (int i = 0; i < ndim; i++)
        f_int(&t, 1, dims[i]);
    f_int(&t, 2, 1);
    f_str(&t, 8, name);
    f_bytes(&t, 9, data, (size_t)n * 4);
    f_msg(g, 5, &t);
}

static struct buf model(struct buf *graph, int opset)
{
    struct buf m = {0}, os = {0};
    f_int(&m, 1, 8);
    f_str(&m, 2, "ghiblify-test");
    f_int(&os, 2, opset);
    f_msg(&m, 8, &os);
    f_msg(&m, 7, graph);
    return m;
}

/* Loads; if it loads, runs on a 1x1x4x4 input. Expects failure at load or run
 * with status `want` (0 = any error) and a nonempty detail containing `needle`. */
static void expect_error(struct buf *m, enum gh_status want, const char *needle, const char *what)
{
    struct gh_nn_model *mod = NULL;
    gh_error_clear();
    enum gh_status st = gh_nn_load_memory(m->p, m->n, &mod);
    if (st == GH_OK) {
        float data[16] = {0};
        struct gh_nn_tensor x = {GH_NN_F32, 4, {1, 1, 4, 4}, data}, y = {0};
        st = gh_nn_run(mod, &x, &y);
        gh_nn_tensor_release(&y);
        gh_nn_free(mod);
    } else {
        CHECK_MSG(mod == NULL, "%s: model returned on failure", what);
    }
    CHECK_MSG(st != GH_OK, "%s: accepted", what);
    CHECK_MSG(want == 0 || st == want, "%s: status %s (%s)", what, gh_strerror(st), gh_error_detail());
    CHECK_MSG(gh_error_detail()[0] != 0, "%s: no error detail", what);
    CHECK_MSG(!needle || strstr(gh_error_detail(), needle), "%s: detail '%s' lacks '%s'", what, gh_error_detail(),
              needle);
    free(m->p);
}

static const long long in_dims[4] = {1, 1, 4, 4};

static void test_crafted(void)
{
    struct buf g, m;
    float w[9] = {0};
    long long wd[4] = {1, 1, 3, 3};

    /* A valid one first: Relu, runs fine (the builder itself works). */
    g = (struct buf){0};
    node(&g, "Relu", "x", NULL, "y", NULL);
    value_info(&g, 11, "x", 4, in_dims);
    value_info(&g, 12, "y", 4, in_dims);
    m = model(&g, 13);
    {
        struct gh_nn_model *mod = NULL;
        CHECK_OK(gh_nn_load_memory(m.p, m.n, &mod));
        float data[16];
        for (int i = 0; i < 16; i++)
            data[i] = (float)i - 8;
        struct gh_nn_tensor x = {GH_NN_F32, 4, {1, 1, 4, 4}, data}, y = {0};
        if (mod)
            CHECK_OK(gh_nn_run(mod, &x, &y));
        CHECK(y.data && ((float *)y.data)[0] == 0 && ((float *)y.data)[15] == 7);
        gh_nn_tensor_release(&y);
        gh_nn_free(mod);
        free(m.p);
    }

    g = (struct buf){0};
    node(&g, "FancyOp", "x", NULL, "y", NULL);
    value_info(&g, 11, "x", 4, in_dims);
    value_info(&g, 12, "y", 4, in_dims);
    m = model(&g, 13);
    expect_error(&m, GH_ERR_UNSUPPORTED, "FancyOp", "unknown op");

    /* An op that only graph rewrites create (fuse.c), with its 4 inputs. */
    g = (struct buf){0};
    {
        struct buf n = {0};
        for (int k = 0; k < 4; k++)
            f_str(&n, 1, "x");
        f_str(&n, 2, "y");
        f_str(&n, 3, "y");
        f_str(&n, 4, "ghiblify.ChannelNorm");
        f_msg(&g, 1, &n);
    }
    value_info(&g, 11, "x", 4, in_dims);
    value_info(&g, 12, "y", 4, in_dims);
    m = model(&g, 13);
    expect_error(&m, GH_ERR_UNSUPPORTED, "internal", "internal op in a file");

    g = (struct buf){0};
    struct buf a = {0};
    f_str(&a, 1, "gamma");
    f_int(&a, 20, 1);
    varint(&a, 2 << 3 | 5);
    put(&a, "\0\0\0\0", 4);
    node(&g, "Relu", "x", NULL, "y", &a);
    value_info(&g, 11, "x", 4, in_dims);
    value_info(&g, 12, "y", 4, in_dims);
    m = model(&g, 13);
    expect_error(&m, GH_ERR_UNSUPPORTED, "gamma", "unknown attribute");

    g = (struct buf){0};
    node(&g, "Relu", "nowhere", NULL, "y", NULL);
    value_info(&g, 11, "x", 4, in_dims);
    value_info(&g, 12, "y", 4, in_dims);
    m = model(&g, 13);
    expect_error(&m, GH_ERR_MODEL, "nowhere", "missing input");

    g = (struct buf){0};
    node(&g, "Add", "x", "b", "a", NULL);
    node(&g, "Relu", "a", NULL, "b", NULL);
    node(&g, "Relu", "a", NULL, "y", NULL);
    value_info(&g, 11, "x", 4, in_dims);
    value_info(&g, 12, "y", 4, in_dims);
    m = model(&g, 13);
    expect_error(&m, GH_ERR_MODEL, "cycle", "cycle");

    g = (struct buf){0};
    node(&g, "Relu", "x", NULL, "y", NULL);
    node(&g, "Relu", "x", NULL, "y", NULL);
    value_info(&g, 11, "x", 4, in_dims);
    value_info(&g, 12, "y", 4, in_dims);
    m = model(&g, 13);
    expect_error(&m, GH_ERR_MODEL, "twice", "duplicate producer");

    g = (struct buf){0};
    node(&g, "Relu", "x", NULL, "y", NULL);
    value_info(&g, 11, "x", 4, in_dims);
    value_info(&g, 12, "z", 4, in_dims);
    m = model(&g, 13);
    expect_error(&m, GH_ERR_MODEL, "'z'", "output never produced");

    g = (struct buf){0};
    node(&g, "Relu", "x", NULL, "y", NULL);
    value_info(&g, 11, "x", 4, in_dims);
    value_info(&g, 12, "y", 4, in_dims);
    m = model(&g, 99);
    expect_error(&m, GH_ERR_UNSUPPORTED, "opset 99", "future opset");

    /* Initializer claiming 2^40 x 2^40 values with 36 bytes of data. */
    g = (struct buf){0};
    long long huge[4] = {1, 1, 1LL << 40, 1LL << 40};
    initializer(&g, "w", 4, huge, w, 9);
    node(&g, "Conv", "x", "w", "y", NULL);
    value_info(&g, 11, "x", 4, in_dims);
    value_info(&g, 12, "y", 4, in_dims);
    m = model(&g, 13);
    expect_error(&m, 0, NULL, "huge initializer");

    /* Negative dimension. */
    g = (struct buf){0};
    long long neg[4] = {1, 1, -3, 3};
    initializer(&g, "w", 4, neg, w, 9);
    node(&g, "Conv", "x", "w", "y", NULL);
    value_info(&g, 11, "x", 4, in_dims);
    value_info(&g, 12, "y", 4, in_dims);
    m = model(&g, 13);
    expect_error(&m, GH_ERR_FORMAT, "dimension", "negative dim");

    /* Data shorter than the shape says. */
    g = (struct buf){0};
    initializer(&g, "w", 4, wd, w, 8);
    node(&g, "Conv", "x", "w", "y", NULL);
    value_info(&g, 11, "x", 4, in_dims);
    value_info(&g, 12, "y", 4, in_dims);
    m = model(&g, 13);
    expect_error(&m, GH_ERR_FORMAT, "raw_data", "short raw_data");

    /* Reshape to a huge shape at run time. */
    g = (struct buf){0};
    {
        struct buf t = {0};
        long long sh[3] = {1LL << 30, 1LL << 30, 16};
        f_int(&t, 1, 3);
        f_int(&t, 2, 7);
        f_str(&t, 8, "shape");
        f_bytes(&t, 9, sh, sizeof sh);
        f_msg(&g, 5, &t);
    }
    node(&g, "Reshape", "x", "shape", "y", NULL);
    value_info(&g, 11, "x", 4, in_dims);
    value_info(&g, 12, "y", 3, in_dims);
    m = model(&g, 13);
    expect_error(&m, 0, NULL, "huge reshape");

    /* Resize with an absurd scale at run time. */
    g = (struct buf){0};
    {
        float sc[4] = {1, 1, 1e9f, 1e9f};
        long long d1[1] = {4};
        initializer(&g, "scales", 1, d1, sc, 4);
    }
    {
        struct buf n = {0};
        f_str(&n, 1, "x");
        f_str(&n, 1, "");
        f_str(&n, 1, "scales");
        f_str(&n, 2, "y");
        f_str(&n, 4, "Resize");
        f_msg(&g, 1, &n);
    }
    value_info(&g, 11, "x", 4, in_dims);
    value_info(&g, 12, "y", 4, in_dims);
    m = model(&g, 13);
    expect_error(&m, 0, NULL, "huge resize");

    /* External data. */
    g = (struct buf){0};
    {
        struct buf t = {0};
        f_int(&t, 1, 1);
        f_int(&t, 2, 1);
        f_str(&t, 8, "w");
        f_int(&t, 14, 1);
        f_msg(&g, 5, &t);
    }
    node(&g, "Add", "x", "w", "y", NULL);
    value_info(&g, 11, "x", 4, in_dims);
    value_info(&g, 12, "y", 4, in_dims);
    m = model(&g, 13);
    expect_error(&m, GH_ERR_UNSUPPORTED, "external", "external data");

    /* Graph attribute (subgraphs are not supported). */
    g = (struct buf){0};
    a = (struct buf){0};
    f_str(&a, 1, "then_branch");
    f_int(&a, 20, 5);
    f_bytes(&a, 6, "", 0);
    node(&g, "Relu", "x", NULL, "y", &a);
    value_info(&g, 11, "x", 4, in_dims);
    value_info(&g, 12, "y", 4, in_dims);
    m = model(&g, 13);
    expect_error(&m, GH_ERR_UNSUPPORTED, NULL, "graph attribute");

    /* Wrong magic / not protobuf at all. */
    m = (struct buf){0};
    put(&m, "\x89PNG\r\n\x1a\n\0\0\0\rIHDR", 16);
    expect_error(&m, GH_ERR_MODEL, NULL, "PNG instead of ONNX");
    m = (struct buf){0};
    put(&m, "\x08\x07\x3a\xff\xff\xff\xff\x0f", 8); /* graph length 4 GiB */
    expect_error(&m, GH_ERR_FORMAT, NULL, "length past the end");
    m = (struct buf){0};
    put(&m, "\x08\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff", 12); /* endless varint */
    expect_error(&m, GH_ERR_FORMAT, NULL, "overlong varint");
    m = (struct buf){0};
    put(&m, "", 0);
    expect_error(&m, 0, NULL, "empty file");
    m = (struct buf){0};
    put(&m, "\x08\x07", 2);
    expect_error(&m, GH_ERR_FORMAT, "no graph", "no graph");
}

/* ---- older-opset forms and float16 models (onnx.c's load-time rewrites) ---- */

static void a_ints(struct buf *a, const char *name, int n, const long long *v)
{
    f_str(a, 1, name);
    for (int i = 0; i < n; i++)
        f_int(a, 8, v[i]);
    f_int(a, 20, 7);
}

static void a_floats(struct buf *a, const char *name, int n, const float *v)
{
    f_str(a, 1, name);
    for (int i = 0; i < n; i++) {
        varint(a, 7 << 3 | 5);
        put(a, &v[i], 4);
    }
    f_int(a, 20, 6);
}

static void a_float(struct buf *a, const char *name, float v)
{
    f_str(a, 1, name);
    varint(a, 2 << 3 | 5);
    put(a, &v, 4);
    f_int(a, 20, 1);
}

static void a_str(struct buf *a, const char *name, const char *v)
{
    f_str(a, 1, name);
    f_str(a, 4, v);
    f_int(a, 20, 3);
}

static void a_int(struct buf *a, const char *name, long long v)
{
    f_str(a, 1, name);
    f_int(a, 3, v);
    f_int(a, 20, 2);
}

/* NodeProto with n_in inputs, one output and n_attrs attributes (consumed). */
static void node_n(struct buf *g, const char *op, int n_in, const char *const *in, const char *out, int n_attrs,
                   struct buf *attrs)
{
    struct buf n = {0};
    for (int i = 0; i < n_in; i++)
        f_str(&n, 1, in[i]);
    f_str(&n, 2, out);
    f_str(&n, 3, out);
    f_str(&n, 4, op);
    for (int i = 0; i < n_attrs; i++)
        f_msg(&n, 5, &attrs[i]);
    f_msg(g, 1, &n);
}

/* Finishes a one-input graph x (dims) -> y as a model of the given opset. */
static struct buf graph_model(struct buf *g, int opset, int ndim, const long long *dims)
{
    value_info(g, 11, "x", ndim, dims);
    value_info(g, 12, "y", ndim, dims);
    return model(g, opset);
}

/* Loads m (freed) and runs it on x; returns the output (release it) or data NULL. */
static struct gh_nn_tensor run_model(struct buf *m, const struct gh_nn_tensor *x, const char *what)
{
    struct gh_nn_model *mod = NULL;
    struct gh_nn_tensor y = {0};
    enum gh_status st = gh_nn_load_memory(m->p, m->n, &mod);
    CHECK_MSG(st == GH_OK, "%s: load: %s", what, gh_error_detail());
    if (mod) {
        st = gh_nn_run(mod, x, &y);
        CHECK_MSG(st == GH_OK, "%s: run: %s", what, gh_error_detail());
    }
    gh_nn_free(mod);
    free(m->p);
    return y;
}

static void test_legacy_forms(void)
{
    struct buf g, m, at[3];
    float x6[6] = {1, 2, 4, 3, 5, 9};
    long long d23[4] = {1, 1, 2, 3};
    struct gh_nn_tensor x = {GH_NN_F32, 4, {1, 1, 2, 3}, x6}, y;

    /* Upsample-9, linear, non-integer scale: ONNX Runtime 1.2x gives exactly
     * this (asymmetric coordinates x_in = x_out / scale, output floor(3 * 1.5)
     * = 4 wide, the last row and column clamped). */
    static const float up_linear[16] = {1, 5.f / 3, 8.f / 3, 4, 2, 3, 4.5f, 6.5f,
                                        3, 13.f / 3, 19.f / 3, 9, 3, 13.f / 3, 19.f / 3, 9};
    float sc[4] = {1, 1, 2, 1.5f};
    long long sd[1] = {4};
    g = (struct buf){0};
    at[0] = (struct buf){0};
    a_str(&at[0], "mode", "linear");
    node_n(&g, "Upsample", 2, (const char *[]){"x", "s"}, "y", 1, at);
    initializer(&g, "s", 1, sd, sc, 4);
    m = graph_model(&g, 9, 4, d23);
    y = run_model(&m, &x, "Upsample-9 linear");
    CHECK(y.data && y.ndim == 4 && y.shape[2] == 4 && y.shape[3] == 4);
    for (int i = 0; y.data && i < 16; i++)
        CHECK_MSG(fabsf(((float *)y.data)[i] - up_linear[i]) < 1e-6f, "Upsample linear [%d] = %g, want %g", i,
                  ((float *)y.data)[i], up_linear[i]);
    gh_nn_tensor_release(&y);

    /* Upsample-9 nearest, non-integer scales: ONNX Runtime takes the source
     * index floor(x_out / scale) (rounding would differ at rows 2 and 4). */
    static const float up_nearest[25] = {1, 1, 2, 2, 4, 1, 1, 2, 2, 4, 1, 1, 2, 2, 4, 3, 3, 5, 5, 9, 3, 3, 5, 5, 9};
    g = (struct buf){0};
    at[0] = (struct buf){0};
    a_str(&at[0], "mode", "nearest");
    node_n(&g, "Upsample", 2, (const char *[]){"x", "s"}, "y", 1, at);
    initializer(&g, "s", 1, sd, (const float[]){1, 1, 2.5f, 1.7f}, 4);
    m = graph_model(&g, 9, 4, d23);
    y = run_model(&m, &x, "Upsample-9 nearest");
    CHECK(y.data && y.ndim == 4 && y.shape[2] == 5 && y.shape[3] == 5);
    for (int i = 0; y.data && i < 25; i++)
        CHECK_MSG(((float *)y.data)[i] == up_nearest[i], "Upsample nearest [%d] = %g, want %g", i,
                  ((float *)y.data)[i], up_nearest[i]);
    gh_nn_tensor_release(&y);

    /* Upsample-7: scales as an attribute; nearest takes floor(x_out / scale). */
    g = (struct buf){0};
    at[0] = (struct buf){0};
    at[1] = (struct buf){0};
    a_floats(&at[0], "scales", 4, (const float[]){1, 1, 2, 2});
    a_str(&at[1], "mode", "nearest");
    node_n(&g, "Upsample", 1, (const char *[]){"x"}, "y", 2, at);
    m = graph_model(&g, 7, 4, d23);
    y = run_model(&m, &x, "Upsample-7 nearest");
    CHECK(y.data && y.shape[2] == 4 && y.shape[3] == 6);
    if (y.data)
        CHECK(((float *)y.data)[0] == 1 && ((float *)y.data)[1] == 1 && ((float *)y.data)[2] == 2 &&
              ((float *)y.data)[6] == 1 && ((float *)y.data)[12] == 3 && ((float *)y.data)[23] == 9);
    gh_nn_tensor_release(&y);

    /* Pad-2 with pads and value attributes (the constant-pad form). */
    g = (struct buf){0};
    at[0] = (struct buf){0};
    at[1] = (struct buf){0};
    a_ints(&at[0], "pads", 8, (const long long[]){0, 0, 1, 0, 0, 0, 0, 1});
    a_float(&at[1], "value", 7);
    node_n(&g, "Pad", 1, (const char *[]){"x"}, "y", 2, at);
    m = graph_model(&g, 10, 4, d23);
    y = run_model(&m, &x, "Pad-10 attributes");
    CHECK(y.data && y.shape[2] == 3 && y.shape[3] == 4);
    if (y.data)
        CHECK(((float *)y.data)[0] == 7 && ((float *)y.data)[3] == 7 && ((float *)y.data)[4] == 1 &&
              ((float *)y.data)[7] == 7 && ((float *)y.data)[10] == 9);
    gh_nn_tensor_release(&y);

    /* Slice-9 with starts/ends/axes attributes. */
    g = (struct buf){0};
    for (int i = 0; i < 3; i++)
        at[i] = (struct buf){0};
    a_ints(&at[0], "starts", 1, (const long long[]){1});
    a_ints(&at[1], "ends", 1, (const long long[]){3});
    a_ints(&at[2], "axes", 1, (const long long[]){3});
    node_n(&g, "Slice", 1, (const char *[]){"x"}, "y", 3, at);
    m = graph_model(&g, 9, 4, d23);
    y = run_model(&m, &x, "Slice-9 attributes");
    CHECK(y.data && y.shape[3] == 2);
    if (y.data)
        CHECK(((float *)y.data)[0] == 2 && ((float *)y.data)[1] == 4 && ((float *)y.data)[3] == 9);
    gh_nn_tensor_release(&y);

    /* Cast to FLOAT16: rounds (ONNX) unless the model stores float16 weights,
     * where it runs as its float32 conversion (nn.h). 1 + 2^-12 is halfway
     * between two float16 values and rounds to 1. */
    float v = 1.0f + 1.0f / 4096;
    struct gh_nn_tensor x1 = {GH_NN_F32, 1, {1}, &v};
    long long d1[1] = {1};
    for (int f16 = 0; f16 < 2; f16++) {
        g = (struct buf){0};
        at[0] = (struct buf){0};
        a_int(&at[0], "to", 10);
        node_n(&g, "Add", 2, (const char *[]){"x", "z"}, "s", 0, NULL);
        node_n(&g, "Cast", 1, (const char *[]){"s"}, "y", 1, at);
        struct buf t = {0};
        f_int(&t, 1, 1);
        f_int(&t, 2, f16 ? 10 : 1);
        f_str(&t, 8, "z");
        f_bytes(&t, 9, "\0\0\0\0", f16 ? 2 : 4); /* a zero */
        f_msg(&g, 5, &t);
        m = graph_model(&g, 13, 1, d1);
        y = run_model(&m, &x1, f16 ? "Cast, float16 weights" : "Cast, float32 weights");
        CHECK_MSG(y.data && ((float *)y.data)[0] == (f16 ? v : 1.0f), "Cast to FLOAT16 with %s weights gave %.9g",
                  f16 ? "float16" : "float32", y.data ? ((float *)y.data)[0] : -1.0);
        gh_nn_tensor_release(&y);
    }

    /* Broken forms: clean errors. */
    g = (struct buf){0};
    at[0] = (struct buf){0};
    a_floats(&at[0], "scales", 4, (const float[]){1, 1, 2, 2});
    node_n(&g, "Upsample", 1, (const char *[]){"x"}, "y", 1, at);
    m = graph_model(&g, 6, 4, d23);
    expect_error(&m, GH_ERR_UNSUPPORTED, "opset 7", "Upsample-6");

    g = (struct buf){0};
    node_n(&g, "Upsample", 1, (const char *[]){"x"}, "y", 0, NULL);
    m = graph_model(&g, 8, 4, d23);
    expect_error(&m, GH_ERR_MODEL, "without scales", "Upsample-8 without scales");

    g = (struct buf){0};
    node_n(&g, "Upsample", 2, (const char *[]){"x", "s"}, "y", 0, NULL);
    initializer(&g, "s", 1, sd, (const float[]){1, 1, 0.5f, 2}, 4);
    m = graph_model(&g, 9, 4, in_dims);
    expect_error(&m, GH_ERR_MODEL, "scale", "Upsample scale below 1");

    g = (struct buf){0};
    node_n(&g, "Upsample", 2, (const char *[]){"x", "s"}, "y", 0, NULL);
    initializer(&g, "s", 1, (const long long[]){3}, (const float[]){1, 2, 2}, 3);
    m = graph_model(&g, 9, 4, in_dims);
    expect_error(&m, GH_ERR_MODEL, "scales", "Upsample scales of the wrong rank");

    g = (struct buf){0};
    at[0] = (struct buf){0};
    a_str(&at[0], "mode", "cubic");
    node_n(&g, "Upsample", 2, (const char *[]){"x", "s"}, "y", 1, at);
    initializer(&g, "s", 1, sd, sc, 4);
    m = graph_model(&g, 9, 4, d23);
    expect_error(&m, GH_ERR_UNSUPPORTED, "cubic", "Upsample cubic");

    g = (struct buf){0};
    node_n(&g, "Pad", 1, (const char *[]){"x"}, "y", 0, NULL);
    m = graph_model(&g, 10, 4, d23);
    expect_error(&m, GH_ERR_MODEL, "without pads", "Pad-10 without pads");

    g = (struct buf){0};
    at[0] = (struct buf){0};
    a_ints(&at[0], "pads", 8, (const long long[]){0, 0, 1, 0, 0, 0, 0, 1});
    node_n(&g, "Pad", 2, (const char *[]){"x", "x"}, "y", 1, at);
    m = graph_model(&g, 10, 4, d23);
    expect_error(&m, GH_ERR_MODEL, "one input", "Pad-10 with two inputs");

    g = (struct buf){0};
    at[0] = (struct buf){0};
    a_str(&at[0], "pads", "1");
    node_n(&g, "Pad", 1, (const char *[]){"x"}, "y", 1, at);
    m = graph_model(&g, 10, 4, d23);
    expect_error(&m, GH_ERR_MODEL, "list of ints", "Pad-10 pads of the wrong type");

    g = (struct buf){0};
    at[0] = (struct buf){0};
    a_ints(&at[0], "pads", 8, (const long long[]){0, 0, 1, 0, 0, 0, 0, 1});
    node_n(&g, "Pad", 2, (const char *[]){"x", "p"}, "y", 1, at);
    initializer(&g, "p", 1, (const long long[]){8}, (const float[8]){0}, 8); /* float: never read */
    m = graph_model(&g, 13, 4, d23);
    expect_error(&m, GH_ERR_UNSUPPORTED, "pads", "Pad-13 with a pads attribute");

    g = (struct buf){0};
    at[0] = (struct buf){0};
    a_ints(&at[0], "starts", 1, (const long long[]){1});
    node_n(&g, "Slice", 1, (const char *[]){"x"}, "y", 1, at);
    m = graph_model(&g, 9, 4, d23);
    expect_error(&m, GH_ERR_MODEL, "starts or ends", "Slice-9 without ends");
}

static unsigned char *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    long n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    unsigned char *d = n >= 0 && fseek(f, 0, SEEK_SET) == 0 ? malloc((size_t)n + 1) : NULL;
    *size = d ? fread(d, 1, (size_t)n, f) : 0;
    (void)fclose(f);
    return d;
}

/* Truncations at every length and deterministic byte corruptions of a real
 * model (Conv with strides and padding): load, and run if it loads. */
static void test_mutations(void)
{
    size_t size;
    unsigned char *orig = slurp("/usr/share/libonnx-testdata/data/node/test_conv_with_strides_padding/model.onnx",
                                &size);
    CHECK_MSG(orig != NULL, "libonnx-testdata not installed");
    if (!orig)
        return;
    unsigned char *copy = malloc(size);
    int loaded = 0, refused = 0;
    unsigned long long seed = 12345;
    for (size_t variant = 0; variant < size + 3000; variant++) {
        size_t n = size;
        memcpy(copy, orig, size);
        if (variant < size) {
            n = variant; /* truncated */
        } else {
            for (int k = 0; k < 1 + (int)(variant % 4); k++) {
                seed = seed * 6364136223846793005ull + 1442695040888963407ull;
                size_t pos = (size_t)(seed >> 33) % size;
                copy[pos] = (variant & 1) ? (unsigned char)(seed >> 20) : (unsigned char)(copy[pos] ^ (1u << (seed >> 60 & 7)));
            }
        }
        struct gh_nn_model *m = NULL;
        enum gh_status st = gh_nn_load_memory(copy, n, &m);
        if (st) {
            refused++;
            CHECK_MSG(m == NULL && gh_error_detail()[0], "variant %zu: error without detail", variant);
            continue;
        }
        loaded++;
        float data[35];
        for (int i = 0; i < 35; i++)
            data[i] = (float)i;
        struct gh_nn_tensor x = {GH_NN_F32, 4, {1, 1, 7, 5}, data}, y = {0};
        if (gh_nn_input_count(m) == 1) {
            st = gh_nn_run(m, &x, &y);
            CHECK_MSG(st == GH_OK || gh_error_detail()[0], "variant %zu: run error without detail", variant);
        }
        gh_nn_tensor_release(&y);
        gh_nn_free(m);
    }
    printf("mutations: %d refused, %d loaded\n", refused, loaded);
    CHECK(refused > 0 && loaded > 0);
    free(copy);
    free(orig);
}

static void test_runtime_misuse(void)
{
    struct buf g = {0};
    node(&g, "Relu", "x", NULL, "y", NULL);
    value_info(&g, 11, "x", 4, in_dims);
    value_info(&g, 12, "y", 4, in_dims);
    struct buf m = model(&g, 13);
    struct gh_nn_model *mod = NULL;
    CHECK_OK(gh_nn_load_memory(m.p, m.n, &mod));
    free(m.p);
    if (!mod)
        return;
    float data[32] = {0};
    struct gh_nn_tensor x = {GH_NN_F32, 4, {1, 1, 4, 8}, data}, y = {0};
    CHECK(gh_nn_run(mod, &x, &y) == GH_ERR_ARGUMENT); /* declared 4x4 */
    CHECK(y.data == NULL);
    struct gh_nn_tensor x3 = {GH_NN_F32, 3, {1, 4, 4}, data};
    CHECK(gh_nn_run(mod, &x3, &y) == GH_ERR_ARGUMENT);
    struct gh_nn_tensor xi = {GH_NN_I64, 4, {1, 1, 4, 4}, data};
    CHECK(gh_nn_run(mod, &xi, &y) == GH_ERR_ARGUMENT);
    struct gh_nn_tensor info;
    CHECK(gh_nn_input_info(mod, 1, &info) == GH_ERR_ARGUMENT);
    CHECK_OK(gh_nn_input_info(mod, 0, &info));
    CHECK(info.ndim == 4 && info.shape[3] == 4);
    struct gh_nn_model *none = NULL;
    CHECK(gh_nn_load_file("/nonexistent/model.onnx", &none) == GH_ERR_IO && none == NULL);
    gh_nn_free(mod);
}

int main(void)
{
    test_crafted();
    test_mutations();
    test_runtime_misuse();
    test_legacy_forms();
    return check_finish();
}
