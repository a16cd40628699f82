/* Hostile TFLite files: the loader must answer every malformed or unsupported
 * file with GH_ERR_MODEL / GH_ERR_UNSUPPORTED (GH_ERR_TOO_LARGE for limits)
 * and a detail naming the problem, never crash, read out of bounds or leak
 * (this test runs under ASan/LSan in the sanitizer build).
 *
 * Cases: a small valid model built by tests/unit/tflite_builder.h truncated at
 * every length and with every byte replaced by several values (loaded, and
 * run when it still loads); crafted files (wrong identifier, root offset out of
 * range, vtable loops and oversized vtables, huge vectors, unknown and custom
 * opcodes, tensor/buffer size mismatches, indices out of range, options of the
 * wrong type, shapes that contradict the operators, too many dimensions,
 * unsupported schema version, no subgraph); hostile quantization parameters
 * of a small int8 model (zero, negative, NaN, infinite scale; zero point out
 * of the type's range; per-channel axis out of range; scale count not
 * matching the channels; a quantized INT16 tensor); and the real Hayao model
 * (../shared/models) truncated at many lengths and randomly corrupted. */
#include "check.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "ghiblify/nn.h"
#include "tflite_builder.h"

/* Sanitizer builds run fewer mutations (ASan makes each load ~10x slower). */
#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

static const int32_t S_IN[4] = {1, 8, 8, 2}, S_PADS[2] = {4, 2}, S_PAD[4] = {1, 10, 10, 2}, S_W[4] = {3, 3, 3, 2},
                     S_B[1] = {3}, S_OUT[4] = {1, 8, 8, 3};
static const int32_t PADS[8] = {0, 0, 1, 1, 1, 1, 0, 0};
static uint16_t W16[54];
static float BIAS[3] = {0.5f, -0.25f, 0.0f};

/* input -> MIRROR_PAD(reflect 1) -> CONV_2D(VALID, DEQUANTIZE(float16 weights), bias) -> output */
static void base_model(struct tb_model *m, size_t w_bytes)
{
    memset(m, 0, sizeof *m);
    for (int i = 0; i < 54; i++)
        W16[i] = tb_half((float)((i * 7) % 11) / 11.0f - 0.5f);
    int x = tb_tensor(m, TB_F32, 4, S_IN, NULL, 0);
    int pads = tb_tensor(m, TB_I32, 2, S_PADS, PADS, sizeof PADS);
    int xp = tb_tensor(m, TB_F32, 4, S_PAD, NULL, 0);
    int w16 = tb_tensor(m, TB_F16, 4, S_W, W16, w_bytes);
    int w = tb_tensor(m, TB_F32, 4, S_W, NULL, 0);
    int b = tb_tensor(m, TB_F32, 1, S_B, BIAS, sizeof BIAS);
    int y = tb_tensor(m, TB_F32, 4, S_OUT, NULL, 0);
    int32_t i0[2] = {x, pads}, i1[1] = {w16}, i2[3] = {xp, w, b};
    struct tb_op *o = tb_op(m, 100, 77, 2, i0, xp);
    tb_opt(o, 0, 1, 0);
    tb_op(m, 6, 0, 1, i1, w);
    o = tb_op(m, 3, 1, 3, i2, y);
    tb_opt(o, 0, 1, 1);
    tb_opt(o, 1, 4, 1);
    tb_opt(o, 2, 4, 1);
    m->n_in = 1;
    m->in[0] = x;
    m->n_out = 1;
    m->out[0] = y;
}

/* An external-attention-like block (MEAN, SQUARED_DIFFERENCE, RESHAPE
 * flatten/unflatten of the grid, TRANSPOSE, SOFTMAX over the grid, SUM, DIV,
 * RESIZE_BILINEAR): a second fuzz seed, and a small check of the reshape
 * generalization at a size other than the file's. */
static const int32_t AX12[2] = {1, 2}, AX2[1] = {2}, R1[4] = {1, 1, 64, 4}, R2[3] = {1, 64, 4}, R3[4] = {1, 8, 8, 4},
                     P021[3] = {0, 2, 1}, SZ[2] = {16, 16};

static void attention_model(struct tb_model *m)
{
    memset(m, 0, sizeof *m);
    int32_t s4[4] = {1, 8, 8, 4}, s1[4] = {1, 1, 1, 4}, sv2[1] = {2}, sv1[1] = {1}, sv4[1] = {4}, sv3[1] = {3},
            sr1[4] = {1, 1, 64, 4}, sr2[3] = {1, 64, 4}, st[3] = {1, 4, 64}, ssu[3] = {1, 64, 1},
            sout[4] = {1, 16, 16, 4};
    int x = tb_tensor(m, TB_F32, 4, s4, NULL, 0);
    int ax12 = tb_tensor(m, TB_I32, 1, sv2, AX12, 8), ax2 = tb_tensor(m, TB_I32, 1, sv1, AX2, 4);
    int r1s = tb_tensor(m, TB_I32, 1, sv4, R1, 16), r2s = tb_tensor(m, TB_I32, 1, sv3, R2, 12);
    int r3s = tb_tensor(m, TB_I32, 1, sv4, R3, 16), perm = tb_tensor(m, TB_I32, 1, sv3, P021, 12);
    int sz = tb_tensor(m, TB_I32, 1, sv2, SZ, 8);
    int mean = tb_tensor(m, TB_F32, 4, s1, NULL, 0), sq = tb_tensor(m, TB_F32, 4, s4, NULL, 0);
    int r1 = tb_tensor(m, TB_F32, 4, sr1, NULL, 0), r2 = tb_tensor(m, TB_F32, 3, sr2, NULL, 0);
    int t = tb_tensor(m, TB_F32, 3, st, NULL, 0), sm = tb_tensor(m, TB_F32, 3, st, NULL, 0);
    int t2 = tb_tensor(m, TB_F32, 3, sr2, NULL, 0), su = tb_tensor(m, TB_F32, 3, ssu, NULL, 0);
    int dv = tb_tensor(m, TB_F32, 3, sr2, NULL, 0), r3 = tb_tensor(m, TB_F32, 4, s4, NULL, 0);
    int y = tb_tensor(m, TB_F32, 4, sout, NULL, 0);
    struct tb_op *o = tb_op(m, 40, 27, 2, (int32_t[]){x, ax12}, mean);
    tb_opt(o, 0, 1, 1);
    tb_op(m, 99, 76, 2, (int32_t[]){x, mean}, sq);
    tb_op(m, 22, 17, 2, (int32_t[]){sq, r1s}, r1);
    tb_op(m, 22, 17, 2, (int32_t[]){r1, r2s}, r2);
    tb_op(m, 39, 26, 2, (int32_t[]){r2, perm}, t);
    o = tb_op(m, 25, 9, 1, (int32_t[]){t}, sm);
    tb_optf(o, 0, 1.0f);
    tb_op(m, 39, 26, 2, (int32_t[]){sm, perm}, t2);
    o = tb_op(m, 74, 27, 2, (int32_t[]){t2, ax2}, su);
    tb_opt(o, 0, 1, 1);
    tb_op(m, 42, 29, 2, (int32_t[]){t2, su}, dv);
    tb_op(m, 22, 17, 2, (int32_t[]){dv, r3s}, r3);
    tb_op(m, 23, 15, 2, (int32_t[]){r3, sz}, y);
    m->n_in = m->n_out = 1;
    m->in[0] = x;
    m->out[0] = y;
}

static void attention_sizes(void)
{
    struct tb_model m;
    size_t n;
    attention_model(&m);
    uint8_t *d = tb_build(&m, &n);
    struct gh_nn_model *model = NULL;
    CHECK_OK(gh_nn_load_memory(d, n, &model));
    free(d);
    if (!model)
        return;
    int sizes[3][2] = {{8, 8}, {16, 24}, {8, 40}};
    for (int s = 0; s < 3; s++) {
        int h = sizes[s][0], w = sizes[s][1], np = h * w;
        float *x = malloc((size_t)np * 4 * sizeof *x);
        for (int i = 0; i < np * 4; i++)
            x[i] = (float)((i * 37) % 101) / 50.0f - 1.0f;
        struct gh_nn_tensor in = {GH_NN_F32, 4, {1, h, w, 4}, x}, y;
        CHECK_OK(gh_nn_run(model, &in, &y));
        if (y.data) {
            CHECK(y.ndim == 4 && y.shape[1] == 2 * h && y.shape[2] == 2 * w && y.shape[3] == 4);
            /* Each pixel's 4 values are a softmax over the grid (per channel),
             * L1-normalized over the channels: they sum to 1. Even output pixels
             * copy input pixels (legacy 2x resize). */
            double worst = 0;
            for (int p = 0; p < np; p++) {
                int i = p / w, j = p % w;
                const float *q = (const float *)y.data + (((size_t)2 * i) * (size_t)(2 * w) + 2 * j) * 4;
                double sum = (double)q[0] + q[1] + q[2] + q[3];
                if (!(fabs(sum - 1) <= worst))
                    worst = fabs(sum - 1);
            }
            CHECK_MSG(worst < 1e-5, "attention block at %dx%d: channel sums off by %g", h, w, worst);
            gh_nn_tensor_release(&y);
        }
        free(x);
    }
    gh_nn_free(model);
}

static int acceptable(enum gh_status st)
{
    return st == GH_ERR_MODEL || st == GH_ERR_UNSUPPORTED || st == GH_ERR_TOO_LARGE;
}

/* Loads bytes expecting failure with status want (0: any acceptable error);
 * the detail must contain `needle` when given. */
static void expect_fail(const uint8_t *d, size_t n, enum gh_status want, const char *needle, const char *what)
{
    struct gh_nn_model *m = NULL;
    enum gh_status st = gh_nn_load_memory(d, n, &m);
    CHECK_MSG(st != GH_OK && m == NULL, "%s: loaded", what);
    if (st == GH_OK) {
        gh_nn_free(m);
        return;
    }
    printf("%-40s -> %s: %s\n", what, gh_strerror(st), gh_error_detail());
    CHECK_MSG(want ? st == want : acceptable(st), "%s: status %s (%s)", what, gh_strerror(st), gh_error_detail());
    if (needle)
        CHECK_MSG(strstr(gh_error_detail(), needle) != NULL, "%s: detail '%s' does not mention '%s'", what,
                  gh_error_detail(), needle);
    else
        CHECK_MSG(gh_error_detail()[0] != 0, "%s: no detail", what);
}

/* Loads bytes that may or may not be valid; runs the model if it loads. */
static int load_maybe(const uint8_t *d, size_t n, int run)
{
    struct gh_nn_model *m = NULL;
    enum gh_status st = gh_nn_load_memory(d, n, &m);
    if (st != GH_OK) {
        if (!acceptable(st))
            CHECK_MSG(0, "unexpected status %s (%s)", gh_strerror(st), gh_error_detail());
        return 0;
    }
    if (run) {
        struct gh_nn_tensor info;
        if (gh_nn_input_info(m, 0, &info) == GH_OK && info.ndim == 4 && info.shape[3] > 0 && info.shape[3] <= 16) {
            static float x[8 * 8 * 16];
            for (int i = 0; i < 8 * 8 * 16; i++)
                x[i] = (float)(i % 13) / 13.0f - 0.5f;
            struct gh_nn_tensor in = {GH_NN_F32, 4, {1, 8, 8, info.shape[3]}, x}, y;
            if (gh_nn_run(m, &in, &y) == GH_OK)
                gh_nn_tensor_release(&y);
        }
    }
    gh_nn_free(m);
    return 1;
}

static uint8_t *build(struct tb_model *m, size_t *n)
{
    return tb_build(m, n);
}

static void crafted(void)
{
    struct tb_model m;
    size_t n;
    uint8_t *d;

    /* The base model is valid and runs. */
    base_model(&m, sizeof W16);
    d = build(&m, &n);
    struct gh_nn_model *ok = NULL;
    CHECK_OK(gh_nn_load_memory(d, n, &ok));
    if (ok) {
        float x[128];
        for (int i = 0; i < 128; i++)
            x[i] = (float)i / 128.0f;
        struct gh_nn_tensor in = {GH_NN_F32, 4, {1, 8, 8, 2}, x}, y;
        CHECK_OK(gh_nn_run(ok, &in, &y));
        CHECK(y.data && y.ndim == 4 && y.shape[3] == 3);
        gh_nn_tensor_release(&y);
        gh_nn_free(ok);
    }

    /* Too small, wrong identifier. */
    expect_fail(d, 0, GH_ERR_MODEL, NULL, "empty");
    expect_fail(d, 7, GH_ERR_MODEL, NULL, "7 bytes");
    memcpy(d + 4, "TFL2", 4);
    expect_fail(d, n, GH_ERR_MODEL, "TFLite", "identifier TFL2");
    memcpy(d + 4, "TFL3", 4);

    /* Root offset out of range. */
    uint32_t root = fbb_get32(&(struct fbb){d, n, n}, 0);
    struct fbb b = {d, n, n};
    fbb_put32(&b, 0, 0xfffffff0u);
    expect_fail(d, n, GH_ERR_MODEL, "outside the file", "root offset");
    fbb_put32(&b, 0, root);

    /* vtable loops: the root table's soffset pointing at itself (vtable = table)
     * and at a spot whose vtable size runs past the end. */
    uint32_t so = fbb_get32(&b, root);
    fbb_put32(&b, root, 0);
    expect_fail(d, n, GH_ERR_MODEL, "vtable", "vtable at the table itself");
    fbb_put32(&b, root, (uint32_t)(int32_t)-(int32_t)(n - root - 2));
    expect_fail(d, n, GH_ERR_MODEL, "vtable", "vtable past the end");
    fbb_put32(&b, root, so);

    /* Huge vectors. */
    uint32_t cnt = fbb_get32(&b, m.pos_tensors_vec);
    fbb_put32(&b, m.pos_tensors_vec, 0xffffffffu);
    expect_fail(d, n, GH_ERR_MODEL, "vector", "huge tensor vector");
    fbb_put32(&b, m.pos_tensors_vec, cnt);
    cnt = fbb_get32(&b, m.pos_ops_vec);
    fbb_put32(&b, m.pos_ops_vec, 0x7fffffffu);
    expect_fail(d, n, GH_ERR_MODEL, "vector", "huge operator vector");
    fbb_put32(&b, m.pos_ops_vec, cnt);
    cnt = fbb_get32(&b, m.pos_buffer_data[3]);
    fbb_put32(&b, m.pos_buffer_data[3], 0x40000000u);
    expect_fail(d, n, GH_ERR_MODEL, "vector", "huge buffer");
    fbb_put32(&b, m.pos_buffer_data[3], cnt);
    free(d);

    /* Unknown and custom opcodes. */
    base_model(&m, sizeof W16);
    m.op[1].code = 250;
    d = build(&m, &n);
    expect_fail(d, n, GH_ERR_UNSUPPORTED, "code 250", "unknown opcode");
    free(d);
    base_model(&m, sizeof W16);
    m.op[1].code = 32;
    d = build(&m, &n);
    expect_fail(d, n, GH_ERR_UNSUPPORTED, "custom", "custom opcode");
    free(d);
    base_model(&m, sizeof W16);
    m.op[1].code = 17; /* MAX_POOL_2D: real, not supported */
    d = build(&m, &n);
    expect_fail(d, n, GH_ERR_UNSUPPORTED, "code 17", "unsupported builtin");
    free(d);

    /* Tensor/buffer size mismatch. */
    base_model(&m, sizeof W16 - 2);
    d = build(&m, &n);
    expect_fail(d, n, GH_ERR_MODEL, "buffer has 106 bytes", "short weights buffer");
    free(d);

    /* Indices out of range. */
    base_model(&m, sizeof W16);
    m.op[2].in[1] = 77;
    d = build(&m, &n);
    expect_fail(d, n, GH_ERR_MODEL, "out of range", "input tensor index");
    free(d);
    base_model(&m, sizeof W16);
    m.out[0] = 999;
    d = build(&m, &n);
    expect_fail(d, n, GH_ERR_MODEL, "out of range", "output tensor index");
    free(d);
    base_model(&m, sizeof W16);
    d = build(&m, &n);
    b = (struct fbb){d, n, n};
    {
        /* opcode_index of operator 2 -> 99 */
        size_t t = m.pos_op[2], vt = t - fbb_get32(&b, t);
        size_t off = (size_t)(b.d[vt + 4] | b.d[vt + 5] << 8);
        fbb_put32(&b, t + off, 99);
        expect_fail(d, n, GH_ERR_MODEL, "opcode index", "opcode index");
        /* buffer index of tensor 3 -> 1000 */
        t = m.pos_tensor[3];
        vt = t - fbb_get32(&b, t);
        off = (size_t)(b.d[vt + 8] | b.d[vt + 9] << 8);
        fbb_put32(&b, t + off, 1000);
        fbb_put32(&b, m.pos_op[2] + (size_t)(b.d[m.pos_op[2] - fbb_get32(&b, m.pos_op[2]) + 4]), 2);
        expect_fail(d, n, GH_ERR_MODEL, "buffer index", "buffer index");
    }
    free(d);

    /* Graph output that is a constant; operator options of the wrong type;
     * operators out of order; shapes contradicting the operators. */
    base_model(&m, sizeof W16);
    m.out[0] = 5;
    d = build(&m, &n);
    expect_fail(d, n, GH_ERR_UNSUPPORTED, "constant", "constant output");
    free(d);
    base_model(&m, sizeof W16);
    m.op[2].opt_tag = 5;
    d = build(&m, &n);
    expect_fail(d, n, GH_ERR_MODEL, "options of type 5", "options tag");
    free(d);
    base_model(&m, sizeof W16);
    {
        struct tb_op t = m.op[0];
        m.op[0] = m.op[2];
        m.op[2] = t;
    }
    d = build(&m, &n);
    expect_fail(d, n, 0, "before it is produced", "operators out of order");
    free(d);
    base_model(&m, sizeof W16);
    m.t[6].shape[3] = 4;
    d = build(&m, &n);
    expect_fail(d, n, GH_ERR_MODEL, "file says 4", "output shape contradicts the filter");
    free(d);
    base_model(&m, sizeof W16);
    m.t[1].shape[0] = 3; /* paddings [3,2] with 6 values... data still 8 values: buffer mismatch first */
    d = build(&m, &n);
    expect_fail(d, n, GH_ERR_MODEL, "buffer has", "paddings shape");
    free(d);
    base_model(&m, sizeof W16);
    m.t[4].ndim = 9;
    d = build(&m, &n);
    expect_fail(d, n, GH_ERR_UNSUPPORTED, "9 dimensions", "rank 9");
    free(d);

    /* A resize by more than 64x (a corrupt size constant; found by fuzz_tflite:
     * it made every run allocate gigabytes). */
    {
        static const int32_t big[2] = {1040, 16};
        attention_model(&m);
        m.t[7].data = big;
        m.t[m.n_t - 1].shape[1] = 1040;
        d = build(&m, &n);
        expect_fail(d, n, GH_ERR_UNSUPPORTED, "more than 64x", "resize by 130x");
        free(d);
    }

    /* Schema version, subgraphs. */
    base_model(&m, sizeof W16);
    d = build(&m, &n);
    b = (struct fbb){d, n, n};
    {
        size_t t = m.pos_model, vt = t - fbb_get32(&b, t);
        size_t off = (size_t)(b.d[vt + 4] | b.d[vt + 5] << 8);
        fbb_put32(&b, t + off, 2);
        expect_fail(d, n, GH_ERR_UNSUPPORTED, "schema version 2", "schema version");
        fbb_put32(&b, t + off, 3);
        off = (size_t)(b.d[vt + 8] | b.d[vt + 9] << 8); /* subgraphs vector -> count 0 */
        size_t sv = t + off + fbb_get32(&b, t + off);
        fbb_put32(&b, sv, 0);
        expect_fail(d, n, GH_ERR_MODEL, "no subgraph", "no subgraph");
        fbb_put32(&b, sv, 1);
        /* a field offset beyond its table (vtable entry of field 0 = 0x7fff) */
        fbb_put16(&b, vt + 4, 0x7fff);
        expect_fail(d, n, GH_ERR_MODEL, "outside its table", "field offset");
    }
    free(d);
}

/* input -> QUANTIZE (int8) -> CONV_2D 3x3 SAME (int8 weights per output
 * channel, int32 bias) -> LEAKY_RELU (int8) -> DEQUANTIZE -> output: the
 * structure of the int8 generators, as a fuzz seed and for the hostile
 * quantization parameters below. */
static float QS_X[1] = {0.02f}, QS_W[3] = {0.01f, 0.02f, 0.03f}, QS_B[3] = {0.0002f, 0.0004f, 0.0006f},
             QS_Y[1] = {0.05f};
static int64_t QZ_X[1] = {-3}, QZ_W[3] = {0, 0, 0}, QZ_Y[1] = {2};
static int8_t QW[3 * 3 * 3 * 2];
static int32_t QB[3] = {100, -50, 7};

static void quant_model(struct tb_model *m)
{
    static const int32_t sx[4] = {1, 8, 8, 2}, sw[4] = {3, 3, 3, 2}, sb[1] = {3}, sy[4] = {1, 8, 8, 3};
    memset(m, 0, sizeof *m);
    for (size_t i = 0; i < sizeof QW; i++)
        QW[i] = (int8_t)((int)(i * 37 % 255) - 127);
    int x = tb_tensor(m, TB_F32, 4, sx, NULL, 0);
    int xq = tb_tensor(m, TB_I8, 4, sx, NULL, 0);
    int w = tb_tensor(m, TB_I8, 4, sw, QW, sizeof QW);
    int b = tb_tensor(m, TB_I32, 1, sb, QB, sizeof QB);
    int yq = tb_tensor(m, TB_I8, 4, sy, NULL, 0);
    int lq = tb_tensor(m, TB_I8, 4, sy, NULL, 0);
    int y = tb_tensor(m, TB_F32, 4, sy, NULL, 0);
    struct tb_tensor *T = m->t;
    T[xq].q_n = 1, T[xq].q_scale = QS_X, T[xq].q_zp = QZ_X;
    T[w].q_n = 3, T[w].q_scale = QS_W, T[w].q_zp = QZ_W, T[w].q_axis = 0;
    T[b].q_n = 3, T[b].q_scale = QS_B, T[b].q_zp = QZ_W, T[b].q_axis = 0;
    T[yq].q_n = 1, T[yq].q_scale = QS_Y, T[yq].q_zp = QZ_Y;
    T[lq].q_n = 1, T[lq].q_scale = QS_Y, T[lq].q_zp = QZ_Y;
    int32_t i0[1] = {x}, i1[3] = {xq, w, b}, i2[1] = {yq}, i3[1] = {lq};
    tb_op(m, 114, 0, 1, i0, xq);
    struct tb_op *o = tb_op(m, 3, 1, 3, i1, yq);
    tb_opt(o, 0, 1, 0);
    tb_opt(o, 1, 4, 1);
    tb_opt(o, 2, 4, 1);
    o = tb_op(m, 98, 75, 1, i2, lq);
    tb_optf(o, 0, 0.2f);
    tb_op(m, 6, 0, 1, i3, y);
    m->n_in = m->n_out = 1;
    m->in[0] = x;
    m->out[0] = y;
}

/* Quantization parameters no kernel could use: refused at load with
 * GH_ERR_MODEL naming the tensor (GH_ERR_UNSUPPORTED for a type we do not
 * quantize), in both load modes. */
static void hostile_quant(void)
{
    struct tb_model m;
    size_t n;
    uint8_t *d;
    quant_model(&m);
    d = tb_build(&m, &n);
    for (int g = 0; g < 2; g++) {
        struct gh_nn_model *ok = NULL;
        struct gh_nn_load_options o = {.quant_grid = g};
        CHECK_OK(gh_nn_load_memory_opts(d, n, &o, &ok));
        if (ok) {
            float x[128];
            for (int i = 0; i < 128; i++)
                x[i] = (float)i / 64.0f - 1.0f;
            struct gh_nn_tensor in = {GH_NN_F32, 4, {1, 8, 8, 2}, x}, y;
            CHECK_OK(gh_nn_run(ok, &in, &y));
            CHECK(y.data && y.ndim == 4 && y.shape[3] == 3);
            gh_nn_tensor_release(&y);
            gh_nn_free(ok);
        }
    }
    free(d);
    const float nan = NAN, inf = INFINITY;
    const struct {
        int tensor;     /* 1: activation xq, 2: weight */
        float scale;    /* replaces scale 0 (0 = keep) */
        int64_t zp;     /* replaces zero point 0 (INT64_MIN = keep) */
        int axis, q_n;  /* -9: keep */
        int type;       /* -1: keep */
        const char *needle, *what;
        enum gh_status want;
    } cases[] = {
        {2, 0.0f, INT64_MIN, -9, -9, -1, "scale 0", "zero scale", GH_ERR_MODEL},
        {2, -0.5f, INT64_MIN, -9, -9, -1, "scale -0.5", "negative scale", GH_ERR_MODEL},
        {1, nan, INT64_MIN, -9, -9, -1, "scale nan", "NaN scale", GH_ERR_MODEL},
        {1, inf, INT64_MIN, -9, -9, -1, "scale inf", "infinite scale", GH_ERR_MODEL},
        {1, 1.0f, 128, -9, -9, -1, "zero point 128", "int8 zero point 128", GH_ERR_MODEL},
        {1, 1.0f, -129, -9, -9, -1, "zero point -129", "int8 zero point -129", GH_ERR_MODEL},
        {2, 1.0f, INT64_MIN, 4, -9, -1, "quantized_dimension 4", "axis out of range", GH_ERR_MODEL},
        {2, 1.0f, INT64_MIN, -1, -9, -1, "quantized_dimension -1", "negative axis", GH_ERR_MODEL},
        {2, 1.0f, INT64_MIN, 3, -9, -1, "3 scales for 2 channels", "scale count vs channels", GH_ERR_MODEL},
        {2, 1.0f, INT64_MIN, -9, 2, -1, "2 scales for 3 channels", "fewer scales", GH_ERR_MODEL},
        {1, 1.0f, INT64_MIN, -9, -9, 7, "type 7", "quantized INT16", GH_ERR_UNSUPPORTED},
        {1, 1.0f, 300, -9, -9, 3, "zero point 300", "uint8 zero point 300", GH_ERR_MODEL},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        float scales[3];
        int64_t zps[3];
        quant_model(&m);
        struct tb_tensor *T = &m.t[cases[k].tensor];
        memcpy(scales, T->q_scale, (size_t)T->q_n * sizeof *scales);
        memcpy(zps, T->q_zp, (size_t)T->q_n * sizeof *zps);
        if (cases[k].scale != 1.0f)
            scales[0] = cases[k].scale;
        if (cases[k].zp != INT64_MIN)
            zps[0] = cases[k].zp;
        if (cases[k].axis != -9)
            T->q_axis = cases[k].axis;
        if (cases[k].q_n != -9)
            T->q_n = cases[k].q_n;
        if (cases[k].type >= 0)
            T->type = cases[k].type;
        T->q_scale = scales;
        T->q_zp = zps;
        d = tb_build(&m, &n);
        expect_fail(d, n, cases[k].want, cases[k].needle, cases[k].what);
        struct gh_nn_model *gm = NULL;
        struct gh_nn_load_options o = {.quant_grid = 1};
        CHECK_MSG(gh_nn_load_memory_opts(d, n, &o, &gm) == cases[k].want, "%s: grid mode", cases[k].what);
        gh_nn_free(gm);
        free(d);
    }
}

/* Every truncation and every byte replaced by several values, of the small model. */
static void mutations(void)
{
    struct tb_model m;
    size_t n;
    base_model(&m, sizeof W16);
    uint8_t *d = build(&m, &n);
    uint8_t *c = malloc(n);
    int failed = 0;
    for (size_t len = 0; len < n; len++) {
        memcpy(c, d, len);
        struct gh_nn_model *mm = NULL;
        enum gh_status st = gh_nn_load_memory(c, len, &mm);
        if (st == GH_OK)
            gh_nn_free(mm);
        else
            failed++;
        CHECK_MSG(st == GH_OK || acceptable(st), "truncated to %zu: %s (%s)", len, gh_strerror(st), gh_error_detail());
    }
    CHECK_MSG(failed == (int)n, "%d of %zu truncations loaded", (int)n - failed, n);
    int loaded = 0, total = 0;
    static const int vals[4] = {0x00, 0xff, 0x80, 0x7f};
    for (size_t pos = 0; pos < n; pos++) {
        for (int k = 0; k < 5; k++) {
            if (UNDER_ASAN && (k == 2 || k == 3))
                continue;
            memcpy(c, d, n);
            c[pos] = (uint8_t)(k < 4 ? vals[k] : c[pos] ^ 0x01);
            if (c[pos] == d[pos])
                continue;
            loaded += load_maybe(c, n, !UNDER_ASAN || k == 0);
            total++;
        }
    }
    printf("small model: %zu truncations refused; %d/%d single-byte mutations still load\n", n, loaded, total);
    free(c);
    free(d);
}

/* The real model truncated at many lengths and randomly corrupted. */
static void real_model(void)
{
    const char *path = check_shared_path("models/AnimeGANv3_Hayao_36_QUANTIZED_fp16.tflite");
    FILE *f = fopen(path, "rb");
    CHECK_MSG(f != NULL, "cannot open %s", path);
    if (!f)
        return;
    long size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
    CHECK(size > 0 && fseek(f, 0, SEEK_SET) == 0);
    if (size <= 0) {
        (void)fclose(f);
        return;
    }
    uint8_t *d = malloc((size_t)size), *c = malloc((size_t)size);
    CHECK(fread(d, 1, (size_t)size, f) == (size_t)size);
    (void)fclose(f);
    size_t n = (size_t)size;
    int refused = 0, tried = 0;
    for (size_t len = 0; len < n; len += len < 4096 ? 7 : 10007) {
        memcpy(c, d, len);
        struct gh_nn_model *mm = NULL;
        enum gh_status st = gh_nn_load_memory(c, len, &mm);
        tried++;
        if (st == GH_OK)
            gh_nn_free(mm);
        else
            refused++;
        CHECK_MSG(st == GH_OK || acceptable(st), "truncated to %zu: %s (%s)", len, gh_strerror(st), gh_error_detail());
    }
    CHECK_MSG(refused == tried, "%d of %d truncations loaded", tried - refused, tried);
    uint32_t seed = 12345;
    int loaded = 0;
    int iters = UNDER_ASAN ? 30 : 120;
    for (int it = 0; it < iters; it++) {
        memcpy(c, d, n);
        int flips = 1 + it % 4;
        for (int k = 0; k < flips; k++) {
            seed = seed * 1664525u + 1013904223u;
            size_t pos = (seed >> 8) % n;
            seed = seed * 1664525u + 1013904223u;
            c[pos] = (uint8_t)(seed >> 24);
        }
        loaded += load_maybe(c, n, 0);
    }
    printf("real model: %d truncations refused; %d/%d random corruptions still load\n", refused, loaded, iters);
    free(c);
    free(d);
}

/* Writes the fuzz seeds (tests/fuzz/tflite): the three small models above. */
static int write_seeds(const char *dir)
{
    struct tb_model m;
    size_t n;
    uint8_t *d;
    char path[4096];
    static const char *const names[3] = {"pad_dequantize_conv", "attention_resize", "quantize_int8_conv"};
    for (int k = 0; k < 3; k++) {
        if (k == 0)
            base_model(&m, sizeof W16);
        else if (k == 1)
            attention_model(&m);
        else
            quant_model(&m);
        d = tb_build(&m, &n);
        snprintf(path, sizeof path, "%s/%s.tflite", dir, names[k]);
        FILE *f = fopen(path, "wb");
        if (!f || fwrite(d, 1, n, f) != n || fclose(f) != 0) {
            fprintf(stderr, "cannot write %s\n", path);
            return 1;
        }
        free(d);
        printf("wrote %s (%zu bytes)\n", path, n);
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "--write-seeds") == 0)
        return write_seeds(argv[2]);
    attention_sizes();
    crafted();
    hostile_quant();
    mutations();
    real_model();
    return check_finish();
}
