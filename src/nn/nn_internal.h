/* Internal graph IR of the CNN core, shared by the loaders (ONNX, TFLite),
 * the executor and the kernels.
 *
 * Ops carry ONNX semantics (attribute names and meanings, input order): a
 * loader for another format translates its operators into these. Loaders fill
 * a struct gh_nn_graph_def with named values and nodes; gh_nn_graph_build checks
 * it (every input produced once, no cycles, attributes known to the op) and
 * turns it into a topologically sorted model with value lifetimes. */
#ifndef GH_NN_INTERNAL_H
#define GH_NN_INTERNAL_H

#include <stdint.h>
#include <signal.h>
#include <stddef.h>

#include "ghiblify/nn.h"

/* Hot loops get an AVX2 clone next to the baseline one, picked at load
 * time by the CPU (the build itself targets generic x86-64). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define GH_NN_SIMD __attribute__((target_clones("avx2", "default")))
#else
#define GH_NN_SIMD
#endif

#define GH_NN_MAX_CHAIN 8

/* Largest tensor (values) the executor creates: 2^31 bytes of floats. */
#define GH_NN_MAX_ELEMS ((int64_t)1 << 29)

enum gh_nn_op {
    GH_NN_OP_CONV,
    GH_NN_OP_CONV_TRANSPOSE,
    GH_NN_OP_PAD,
    GH_NN_OP_RELU,
    GH_NN_OP_LEAKY_RELU,
    GH_NN_OP_SIGMOID,
    GH_NN_OP_TANH,
    GH_NN_OP_CLIP,
    GH_NN_OP_SQRT,
    GH_NN_OP_RECIPROCAL,
    GH_NN_OP_IDENTITY,
    GH_NN_OP_ADD,
    GH_NN_OP_SUB,
    GH_NN_OP_MUL,
    GH_NN_OP_DIV,
    GH_NN_OP_POW,
    GH_NN_OP_REDUCE_MEAN,
    GH_NN_OP_REDUCE_SUM,
    GH_NN_OP_GLOBAL_AVERAGE_POOL,
    GH_NN_OP_INSTANCE_NORM,
    GH_NN_OP_SOFTMAX,
    GH_NN_OP_MATMUL,
    GH_NN_OP_TRANSPOSE,
    GH_NN_OP_RESHAPE,
    GH_NN_OP_FLATTEN,
    GH_NN_OP_SQUEEZE,
    GH_NN_OP_UNSQUEEZE,
    GH_NN_OP_CONCAT,
    GH_NN_OP_SLICE,
    GH_NN_OP_SPLIT,
    GH_NN_OP_SHAPE,
    GH_NN_OP_GATHER,
    GH_NN_OP_CAST,
    GH_NN_OP_CONSTANT,
    GH_NN_OP_CONSTANT_OF_SHAPE,
    GH_NN_OP_RESIZE,
    GH_NN_OP_UPSAMPLE,
    /* Internal ops made by graph rewrites (fuse.c), never loaded from a file. */
    GH_NN_OP_CHANNEL_NORM,
    /* Made by the TFLite loader in grid mode (ops_quant.c). */
    GH_NN_OP_FAKE_QUANT,
    GH_NN_OP_COUNT
};

enum gh_nn_attr_type {
    GH_NN_ATTR_FLOAT = 1,
    GH_NN_ATTR_INT = 2,
    GH_NN_ATTR_STRING = 3,
    GH_NN_ATTR_TENSOR = 4,
    GH_NN_ATTR_FLOATS = 6,
    GH_NN_ATTR_INTS = 7,
};

struct gh_nn_attr {
    char *name;
    enum gh_nn_attr_type type;
    int64_t i;
    float f;
    char *s; /* NUL-terminated */
    int n;   /* number of ints/floats */
    int64_t *ints;
    float *floats;
    struct gh_nn_tensor t;
};

struct gh_nn_node {
    enum gh_nn_op op;
    char *name;
    int n_in, n_out;
    int *in;  /* value indices; -1 = optional input left out */
    int *out; /* value indices */
    int n_attrs;
    struct gh_nn_attr *attrs;
    /* Fusion (set at load): a Pad folded into this Conv (pads top, left,
     * bottom, right; reflect or zeros), or this node folded away (dead). */
    int dead;
    int fused_pad; /* 0 none, 1 zeros, 2 reflect, 3 zeros with pads from input 3 at run time */
    int fused_moments; /* ReduceMean of (x - in[1])^2 over H, W: in[0] = x, in[1] = mean(x) */
    /* A folded chain of elementwise ops ending at this node: y = act(x op1 in[1] op2 in[2] ...),
     * in[0] = x; chain_left[k]: in[k+1] is the left operand (for Sub/Div). */
    int chain_len;
    enum gh_nn_op chain_op[GH_NN_MAX_CHAIN];
    unsigned char chain_left[GH_NN_MAX_CHAIN];
    enum gh_nn_op chain_act; /* GH_NN_OP_COUNT = none */
    float chain_alpha;
    int64_t fpads[4];
    /* A Relu or Clip (constant bounds) that read only this Conv's output,
     * folded in (graph.c): the Conv applies it while its output is still in
     * cache and writes the activation's output value. GH_NN_OP_RELU or
     * GH_NN_OP_CLIP; anything else (nodes start zeroed) means none. */
    enum gh_nn_op post_act;
    float post_lo, post_hi;
};

/* The folded activation, with the unfused ops' exact semantics (Relu maps NaN
 * to 0, Clip keeps it). */
static inline int gh_nn_has_post_act(const struct gh_nn_node *n)
{
    return n->post_act == GH_NN_OP_RELU || n->post_act == GH_NN_OP_CLIP;
}
static inline float gh_nn_post_act(enum gh_nn_op act, float v, float lo, float hi)
{
    if (act == GH_NN_OP_RELU)
        return v > 0 ? v : 0;
    v = v < lo ? lo : v;
    return v > hi ? hi : v;
}

/* Index i reflected into [0, n) with period 2n-2 (numpy pad "reflect"). */
static inline int64_t gh_nn_reflect(int64_t i, int64_t n)
{
    if (i >= 0 && i < n)
        return i;
    if (n <= 1)
        return 0;
    int64_t period = 2 * (n - 1);
    i %= period;
    if (i < 0)
        i += period;
    return i < n ? i : period - i;
}

enum gh_nn_value_kind { GH_NN_VALUE_ACT, GH_NN_VALUE_CONST, GH_NN_VALUE_INPUT };

struct gh_nn_value {
    char *name;
    enum gh_nn_value_kind kind;
    struct gh_nn_tensor t; /* constant data, or declared dtype/shape of an input (ndim -1: unknown) */
    int last_use;          /* index of the last node reading it; INT32_MAX for graph outputs */
};

/* One kernel per op: reads its inputs from the executor, allocates and fills
 * its outputs. check (optional) validates attributes at load time. */
struct gh_nn_exec;
struct gh_nn_op_info {
    const char *name; /* ONNX op_type */
    enum gh_status (*run)(struct gh_nn_exec *x, const struct gh_nn_node *node);
    enum gh_status (*check)(const struct gh_nn_node *node, int opset);
    int min_in, max_in, min_out, max_out;
    const char *attrs; /* space-separated attribute names the op understands */
};
extern const struct gh_nn_op_info gh_nn_ops[];

struct gh_nn_block {
    void *p;
    size_t size;
    int used;
};

/* Statistics mode (stats.c): what a run does at the global reductions. */
enum gh_nn_freeze { GH_NN_FREEZE_OFF, GH_NN_FREEZE_RECORD, GH_NN_FREEZE_REPLAY };

/* Shape of one value as a run produced it (ndim -1: not produced). */
struct gh_nn_shape {
    int ndim;
    enum gh_nn_dtype dtype;
    int64_t shape[GH_NN_MAX_DIMS];
};

struct gh_nn_model {
    int opset;
    int bgr; /* gh_nn_set_bgr: gh_nn_stylize feeds and reads BGR */
    int n_values;
    struct gh_nn_value *values;
    int n_nodes;
    struct gh_nn_node *nodes; /* topologically sorted */
    int n_inputs, n_outputs;
    int *inputs, *outputs;
    int threads;
    /* Winograd-transformed weights per node (lazily made; NULL if unused). */
    float **wino;
    /* Wall time per op type summed over runs (for tools/bench-nn --profile). */
    double prof_ms[GH_NN_OP_COUNT];
    /* The arena: blocks reused by activations across nodes and runs. */
    int n_blocks, cap_blocks;
    struct gh_nn_block *blocks;
    size_t arena_bytes; /* sum of the blocks' sizes */
    size_t arena_limit; /* 0: none (gh_nn_set_memory_limit) */
    const volatile sig_atomic_t *stop; /* gh_nn_set_stop */
    size_t peak_values; /* largest tensor made by gh_nn_out since the arena was last emptied */
    int prof_calls[GH_NN_OP_COUNT]; /* nodes run per op type, with prof_ms */
    double *prof_node_ms;           /* per node (n_nodes; made on the first run, NULL if out of memory) */
    /* Tiling (tiles.c): per node, 1 if it reduces over the whole image
     * (gh_nn_analyze; NULL until analysed), and what the analysis found. */
    unsigned char *global;
    struct gh_nn_tiling *tiling;
    /* Set during the analysis's probe runs: each produced value's shape. */
    struct gh_nn_shape *shape_log;
    /* gh_nn_record / gh_nn_replay: the mode, the statistics and the ratio of
     * the replayed image's positions to the recorded one's. */
    enum gh_nn_freeze freeze;
    struct gh_nn_stats *stats;
    double count_ratio;
};

/* Executor state during one run. */
struct gh_nn_exec {
    struct gh_nn_model *m;
    struct gh_nn_tensor *vals; /* per value; data NULL until produced */
    int *block;                /* per value: arena block owning its data, or -1 */
    int node_index;
    int threads;
    int n_scratch;
    int scratch[4];
};

/* ---- graph definition filled by loaders ---- */
struct gh_nn_node_def {
    enum gh_nn_op op;
    char *name;
    int n_in, n_out;
    char **in;  /* "" = optional input left out */
    char **out;
    int n_attrs;
    struct gh_nn_attr *attrs;
};

struct gh_nn_graph_def {
    int opset;
    int n_consts, cap_consts;
    struct gh_nn_value *consts; /* name + tensor */
    int n_inputs, cap_inputs;
    struct gh_nn_value *inputs; /* name + declared info */
    int n_outputs, cap_outputs;
    char **outputs;
    int n_nodes, cap_nodes;
    struct gh_nn_node_def *nodes;
};

/* Builds a model from def, taking ownership of everything in it (def is left
 * empty and may be freed with gh_nn_graph_def_free either way). */
enum gh_status gh_nn_graph_build(struct gh_nn_graph_def *def, struct gh_nn_model **out);
void gh_nn_graph_def_free(struct gh_nn_graph_def *def);
void gh_nn_attrs_free(struct gh_nn_attr *attrs, int n);

/* Graph rewrites after loading (fuse.c; graph.c folds Pad -> Conv and
 * moments afterwards); GH_NN_NO_FUSE in the environment turns all of them off
 * (for comparisons: tools/bench_nn --check, tests/unit/test_nn_fast.c). */
enum gh_status gh_nn_fuse(struct gh_nn_model *m);

enum gh_status gh_nn_onnx_load(const uint8_t *data, size_t size, struct gh_nn_model **out);
/* TFLite flatbuffer (identifier "TFL3" at offset 4), src/nn/tflite.c. */
enum gh_status gh_nn_tflite_load(const uint8_t *data, size_t size, const struct gh_nn_load_options *opts,
                                 struct gh_nn_model **out);

/* ---- statistics mode, for the kernels of global reductions (stats.c) ---- */
/* What the running node does: OFF unless it is a global reduction of a model
 * that records or replays. */
enum gh_nn_freeze gh_nn_freeze_of(const struct gh_nn_exec *x);
/* Stores n values for the running node (record mode). */
enum gh_status gh_nn_stats_put(struct gh_nn_exec *x, const float *v, size_t n);
/* The n values recorded for the running node (replay mode); an error if the
 * record has none or another count (the model or channels differ). */
enum gh_status gh_nn_stats_get(struct gh_nn_exec *x, size_t n, const float **v);

/* ---- image <-> generator tensors (stylize.c) ---- */
/* x: a new float [1,h,w,3] (nhwc) or [1,3,h,w] input tensor, data malloc'd. */
enum gh_status gh_nn_image_input(int nhwc, int w, int h, struct gh_nn_tensor *x);
/* Writes the window [x0, x0 + ww) x [y0, y0 + wh) of in (reflected past its
 * edges, channels swapped for bgr) into xd as the model's input: x * 2 - 1. */
void gh_nn_pack_window(const struct gh_image *in, int bgr, int nhwc, int x0, int y0, int ww, int wh, float *xd);
/* A generator output value as an image sample: (v + 1) / 2 in [0, 1].
 * White-box's guided filter overshoots [-1, 1]; tanh outputs never do. */
static inline float gh_nn_unit(float v)
{
    float u = (v + 1.0f) * 0.5f;
    return u < 0.0f ? 0.0f : u > 1.0f ? 1.0f : u;
}

/* ---- helpers for kernels ---- */
const struct gh_nn_attr *gh_nn_attr_find(const struct gh_nn_node *node, const char *name);
int64_t gh_nn_attr_int(const struct gh_nn_node *node, const char *name, int64_t dflt);
float gh_nn_attr_float(const struct gh_nn_node *node, const char *name, float dflt);
const char *gh_nn_attr_string(const struct gh_nn_node *node, const char *name, const char *dflt);

/* Input k of the running node (NULL if left out or k >= n_in). */
const struct gh_nn_tensor *gh_nn_in(struct gh_nn_exec *x, const struct gh_nn_node *node, int k);
/* Allocates output k with the given dtype and shape (checked against
 * GH_NN_MAX_ELEMS) and returns it. */
enum gh_status gh_nn_out(struct gh_nn_exec *x, const struct gh_nn_node *node, int k, enum gh_nn_dtype dtype,
                         int ndim, const int64_t *shape, struct gh_nn_tensor **out);
/* Like gh_nn_out but reuses input `from`'s buffer when the input dies at this
 * node, has the same byte size and is not a constant or graph input. */
enum gh_status gh_nn_out_inplace(struct gh_nn_exec *x, const struct gh_nn_node *node, int k, int from,
                                 enum gh_nn_dtype dtype, int ndim, const int64_t *shape,
                                 struct gh_nn_tensor **out);
/* Scratch memory from the arena, released after the node. */
enum gh_status gh_nn_scratch(struct gh_nn_exec *x, size_t bytes, void **out);

size_t gh_nn_count(int ndim, const int64_t *shape);
size_t gh_nn_dtype_size(enum gh_nn_dtype dtype);
/* Reads element i of an int64 or float tensor as int64 / double. */
int64_t gh_nn_get_i64(const struct gh_nn_tensor *t, size_t i);
double gh_nn_get_f64(const struct gh_nn_tensor *t, size_t i);
float gh_nn_half_to_float(uint16_t h);
/* double -> int64 without undefined behavior: NaN gives 0, out of range saturates. */
static inline int64_t gh_nn_f2i(double v)
{
    if (!(v == v))
        return 0;
    if (v >= 9.2233720368547758e18)
        return INT64_MAX;
    if (v <= -9.2233720368547758e18)
        return INT64_MIN;
    return (int64_t)v;
}

/* Use Winograd F(4x4,3x3) for eligible 3x3 convolutions (default 1). Tests
 * clear it to check the im2col path against the same goldens. */
extern int gh_nn_use_winograd;
/* Whether an eligible 3x3 convolution with an oh x ow output runs as
 * Winograd (ops_conv.c): only with at least GH_NN_WINO_MIN_TILES 4x4 output
 * tiles. Each of its 36 tile GEMMs reads its m x c transformed weights (4x the
 * 3x3 weights) for only `tiles` columns, so on small maps the run is bound by
 * weight traffic: MiDaS small's 512-channel 8x8 convolutions (4 tiles) took 5x
 * longer than im2col, its 256-channel 16x16 ones (16 tiles) 2.6x; at 32x32
 * (64 tiles) Winograd was 3x faster (2 threads, tools/bench-nn's machine). */
#define GH_NN_WINO_MIN_TILES 64
static inline int gh_nn_wino_pays(int64_t oh, int64_t ow)
{
    return ((oh + 3) / 4) * ((ow + 3) / 4) >= GH_NN_WINO_MIN_TILES;
}
/* Use the direct kernel for convolutions with <= 4 input or output channels (default 1). */
extern int gh_nn_use_direct_small;
/* im2col + GEMM per thread in L2-sized bands of output rows (default 1);
 * 0: one large band, its GEMM split across threads (the reference path). */
extern int gh_nn_use_banded_im2col;

/* ---- gemm.c: the only place that calls cblas ---- */
/* C[M,N] (ldc) = alpha * op(A)[M,K] * op(B)[K,N] + beta * C, row-major, split
 * over up to `threads` threads by columns. */
/* c[M][N] = a[M][K] x b[K][N], row-major with leading dimensions, single-
 * threaded (gemm_kernel.c): for the CNN's small products, where it beats
 * SGEMM (no packing); the same bytes on every instruction set. */
void gh_nn_gemm_nn(int64_t M, int64_t N, int64_t K, const float *a, int64_t lda, const float *b, int64_t ldb,
                   float *c, int64_t ldc);
/* The instruction set gh_nn_gemm_nn uses: 0 scalar, 1 AVX2+FMA, 2 AVX-512.
 * level >= 0 selects min(level, what the CPU has) (tests compare the paths);
 * -1 only reports. Returns the level in use. */
int gh_nn_gemm_isa(int level);
void gh_nn_sgemm(int threads, int trans_a, int trans_b, int m, int n, int k, float alpha, const float *a, int lda,
                 const float *b, int ldb, float beta, float *c, int ldc);
void gh_nn_blas_threads(int threads);

/* The bytes of the embedded model file called name (src/nn/embedded.c);
 * 0 if this build has none by that name. */
int gh_nn_embedded_find(const char *name, const unsigned char **data, size_t *size);

#endif
