/* Hostile and broken models: every one must give a clean error with a detail
 * (no crash, no leak under ASan), never GH_OK with garbage. Models are built
 * here with a tiny protobuf writer, plus truncated and bit-flipped copies of a
 * real conformance model. */
#include "check.h"

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

static unsigned char *slurp(const char *path, size_t *size)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *d = malloc((size_t)n + 1);
    *size = fread(d, 1, (size_t)n, f);
    fclose(f);
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
    return check_finish();
}
