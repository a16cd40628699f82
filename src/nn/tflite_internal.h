/* Private interface between the TFLite loader's files (tflite.c: entry point;
 * tflite_flatbuf.c: flatbuffer access, parsed model, constants; tflite_shapes.c:
 * rationals, symbolic dimensions, shape inference; tflite_graph.c: IR graph
 * construction and layouts; tflite_ops.c: translation of operators). See the
 * design comment at the top of tflite.c. */
#ifndef GHIBLIFY_NN_TFLITE_INTERNAL_H
#define GHIBLIFY_NN_TFLITE_INTERNAL_H

#include "nn/nn_internal.h"

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#define TFL_MAX_TENSORS (1 << 20)
#define TFL_MAX_OPS (1 << 20)
#define TFL_MAX_OP_IO 4096
#define SYM_MAX_FACTORS 8

/* ---------------------------------------------------------------------- */
/* Flatbuffer access                                                      */
/* ---------------------------------------------------------------------- */
struct fb {
    const uint8_t *d;
    size_t n;
};

struct fb_table {
    const struct fb *fb;
    size_t pos;     /* table start */
    size_t vt;      /* vtable start */
    unsigned nf;    /* fields in the vtable */
    unsigned tlen;  /* inline table size */
    const char *what;
};

/* ---------------------------------------------------------------------- */
/* Parsed model                                                           */
/* ---------------------------------------------------------------------- */

enum tfl_type { TFL_FLOAT32 = 0, TFL_FLOAT16 = 1, TFL_INT32 = 2, TFL_UINT8 = 3, TFL_INT64 = 4, TFL_INT8 = 9 };

enum tfl_op {
    OP_ADD = 0, OP_AVERAGE_POOL_2D = 1, OP_CONCATENATION = 2, OP_CONV_2D = 3, OP_DEPTHWISE_CONV_2D = 4,
    OP_DEQUANTIZE = 6, OP_LOGISTIC = 14, OP_MUL = 18, OP_RELU = 19, OP_RELU_N1_TO_1 = 20, OP_RELU6 = 21,
    OP_RESHAPE = 22, OP_RESIZE_BILINEAR = 23, OP_SOFTMAX = 25, OP_TANH = 28, OP_CUSTOM = 32, OP_PAD = 34,
    OP_TRANSPOSE = 39, OP_MEAN = 40, OP_SUB = 41, OP_DIV = 42, OP_STRIDED_SLICE = 45, OP_MAXIMUM = 55,
    OP_MINIMUM = 57, OP_PADV2 = 60, OP_SUM = 74, OP_SQRT = 75, OP_RSQRT = 76, OP_RESIZE_NEAREST = 97,
    OP_LEAKY_RELU = 98, OP_SQUARED_DIFFERENCE = 99, OP_MIRROR_PAD = 100, OP_QUANTIZE = 114,
    OP_TRANSPOSE_CONV = 67
};

struct q {
    int64_t n, d;
};

struct factor {
    int var; /* 0: constant, 1: H, 2: W */
    struct q coef, off;
};

struct dim {
    int n; /* 0 = the constant 1 */
    struct factor f[SYM_MAX_FACTORS];
};

struct cache_ent {
    uint8_t lay[GH_NN_MAX_DIMS];
    int rank;
    int kind; /* 0: plain layout, 1: OIHW conv weight, 2: depthwise weight, 3: broadcast to rank */
    char *name;
    struct cache_ent *next;
};

struct tfl_tensor {
    int ndim;
    int64_t shape[GH_NN_MAX_DIMS];
    int type;
    const uint8_t *data; /* constant bytes in the file, NULL for activations */
    size_t nbytes;
    int quant;           /* has per-tensor/per-axis scale + zero point */
    size_t q_scale, q_zp; /* vector starts (float32 / int64) */
    uint32_t q_n;
    int q_axis;
    char name[96];
    int deq_of;          /* folded DEQUANTIZE: index of the source constant (-1: none) */
    int regen;           /* uniform constant of the export size, made for the actual size at run time */
    /* symbolic shape */
    int sym_ok;
    struct dim dims[GH_NN_MAX_DIMS];
    /* current IR value */
    char *val;           /* NULL until produced */
    uint8_t lay[GH_NN_MAX_DIMS];
    struct cache_ent *cache;
};

struct tfl_op_rec {
    int code;
    int opt_tag;
    int have_opts;
    struct fb_table opts;
    int n_in, n_out;
    int *in, *out;
};

struct conv {
    struct fb fb;
    int n_tensors, n_ops;
    struct tfl_tensor *t;
    struct tfl_op_rec *ops;
    int input, output_count;
    int *outputs;
    int symbolic;          /* input is [1, H, W, C]: H and W are variables */
    int64_t tH, tW;        /* template size */
    struct gh_nn_graph_def *g;
    int counter;
    size_t const_bytes, const_limit;
    char *input_nhwc;      /* IR value: the graph input as given */
    char *input_shape;     /* IR value: Shape(graph input), made on demand */
    char *input_dim[3];    /* IR values: Gather of H / W */
    float *half;           /* float16 -> float32 table, made on first use */
    int cur_op;
    int grid;              /* gh_nn_load_options.quant_grid */
};

struct attr_spec {
    const char *name;
    enum gh_nn_attr_type type;
    int64_t i;
    float f;
    const char *s;
    int n;
    const int64_t *ints;
};

#define A_INT(nm, v) ((struct attr_spec){.name = (nm), .type = GH_NN_ATTR_INT, .i = (v)})
#define A_FLOAT(nm, v) ((struct attr_spec){.name = (nm), .type = GH_NN_ATTR_FLOAT, .f = (v)})
#define A_STR(nm, v) ((struct attr_spec){.name = (nm), .type = GH_NN_ATTR_STRING, .s = (v)})
#define A_INTS(nm, cnt, v) ((struct attr_spec){.name = (nm), .type = GH_NN_ATTR_INTS, .n = (cnt), .ints = (v)})

static inline int fb_has(const struct fb *fb, size_t pos, size_t len)
{
    return pos <= fb->n && len <= fb->n - pos;
}

static inline uint32_t rd_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint16_t rd_u16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint64_t rd_u64(const uint8_t *p)
{
    return (uint64_t)rd_u32(p) | (uint64_t)rd_u32(p + 4) << 32;
}

/* tflite_flatbuf.c */
enum gh_status gh_tfl_bad(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
enum gh_status gh_tfl_nomem(void);
enum gh_status gh_tfl_fb_table_at(const struct fb *fb, size_t pos, const char *what, struct fb_table *t);
enum gh_status gh_tfl_fb_scalar(const struct fb_table *t, unsigned i, unsigned size, uint64_t dflt, uint64_t *v);
enum gh_status gh_tfl_fb_vector(const struct fb_table *t, unsigned i, size_t elem, size_t *start, uint32_t *count);
enum gh_status gh_tfl_fb_vector_table(const struct fb *fb, size_t start, uint32_t k, const char *what, struct fb_table *t);
const char *gh_tfl_op_name(int code);
enum gh_status gh_tfl_read_int_vector(const struct fb_table *t, unsigned field, int **out, int *n, int max, const char *what);
enum gh_status gh_tfl_read_tensors(struct conv *c, const struct fb_table *sg, const struct fb_table *model);
enum gh_status gh_tfl_read_ops(struct conv *c, const struct fb_table *sg, const struct fb_table *model);
enum gh_status gh_tfl_opt_i32(const struct tfl_op_rec *op, unsigned i, int32_t dflt, int32_t *v);
enum gh_status gh_tfl_opt_i8(const struct tfl_op_rec *op, unsigned i, int *v);
enum gh_status gh_tfl_opt_f32(const struct tfl_op_rec *op, unsigned i, float dflt, float *v);
const struct tfl_tensor *gh_tfl_const_of(const struct conv *c, int ti, int *dequant);
int gh_tfl_is_const(const struct conv *c, int ti);
size_t gh_tfl_const_count(const struct tfl_tensor *T);
double gh_tfl_const_get(const struct conv *c, const struct tfl_tensor *T, size_t i, int dq);
enum gh_status gh_tfl_const_ints(const struct conv *c, int ti, int64_t *vals, int max, int *n, const char *what);

/* tflite_shapes.c */
struct q gh_tfl_qi(int64_t v);
int gh_tfl_dim_eq(const struct dim *a, const struct dim *b);
struct dim gh_tfl_const_dim(int64_t c);
int gh_tfl_dim_is_const(const struct dim *d);
int64_t gh_tfl_dim_tval(const struct conv *c, const struct dim *d);
enum gh_status gh_tfl_shape_err(const struct conv *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
enum gh_status gh_tfl_shape_tensor(struct conv *c, const struct dim *od, int ro, const struct dim *id, int ri, char **out);
enum gh_status gh_tfl_infer(struct conv *c, const struct tfl_op_rec *op);

#ifdef __clang_analyzer__
/* For clang-tidy's analyzer only, as gh_error in ghiblify/status.h: the
 * status each of these returns, which it cannot see from another file. */
#define gh_tfl_bad(...) (gh_tfl_bad(__VA_ARGS__), GH_ERR_MODEL)
#define gh_tfl_nomem() (gh_tfl_nomem(), GH_ERR_NOMEM)
#define gh_tfl_shape_err(...) (gh_tfl_shape_err(__VA_ARGS__), GH_ERR_UNSUPPORTED)
#endif

/* tflite_graph.c */
enum gh_status gh_tfl_add_const(struct conv *c, enum gh_nn_dtype dtype, int ndim, const int64_t *shape, void *data, char **name_out);
enum gh_status gh_tfl_const_i64(struct conv *c, int n, const int64_t *vals, char **name);
enum gh_status gh_tfl_const_f32_scalar(struct conv *c, float v, char **name);
char *gh_tfl_dup_s(const char *s);
enum gh_status gh_tfl_add_node(struct conv *c, enum gh_nn_op opk, int n_in, const char *const *ins, int n_attrs, const struct attr_spec *attrs, char **out);
enum gh_status gh_tfl_node1(struct conv *c, enum gh_nn_op opk, const char *in, char **out);
enum gh_status gh_tfl_node2(struct conv *c, enum gh_nn_op opk, const char *a, const char *b, char **out);
void gh_tfl_lay_identity(uint8_t *lay, int r);
void gh_tfl_lay_channels_first(uint8_t *lay, int r);
int gh_tfl_lay_eq(const uint8_t *a, const uint8_t *b, int r);
int gh_tfl_lay_index(const uint8_t *lay, int r, int axis);
int gh_tfl_rank_of(const struct conv *c, int ti);
enum gh_status gh_tfl_cache_put(struct tfl_tensor *T, const uint8_t *lay, int r, int kind, char *name);
enum gh_status gh_tfl_emit_const(struct conv *c, int ti, const uint8_t *lay, int r, int kind, char **name);
enum gh_status gh_tfl_get(struct conv *c, int ti, const uint8_t *lay, char **name, uint8_t *got);
void gh_tfl_set_val(struct conv *c, int ti, char *name, const uint8_t *lay);

/* tflite_ops.c */
enum gh_status gh_tfl_convert_op(struct conv *c, const struct tfl_op_rec *op);
enum gh_status gh_tfl_fake_quant(struct conv *c, int ti);

#endif
