/* ghiblify: the CNN inference core.
 *
 * A small graph executor for the convolutional generators ghiblify runs
 * (AnimeGANv2/v3, later depth models). A model is loaded once into a graph IR
 * (tensors with shape and dtype, nodes with an op and attributes) by a format
 * loader (ONNX or TFLite); gh_nn_run then infers every shape for the
 * actual input size, runs one kernel per node and reuses activation buffers
 * from one arena per model, so peak memory stays near the largest live set.
 *
 * Values are float32 or int64 (every other ONNX integer/bool type is widened
 * to int64, float16/bfloat16/double narrowed or widened to float32 at load).
 * A graph input or output declared float16 (or double) is a float32 tensor for
 * callers (gh_nn_input_info reports GH_NN_F32; pass and receive float32).
 *
 * Float16 models: an ONNX model whose weights are stored as float16 (e.g.
 * AnimeGANv3 Shinkai: float16 weights, input and output, Cast nodes around its
 * Upsamples) runs as its float32 conversion (tools/make-onnx-fp32): no value
 * is rounded to float16 anywhere, and its Casts to FLOAT16 are Casts to FLOAT.
 * Rounding only where the exporter put a Cast (3 tensors of hundreds) would
 * emulate neither float16 nor float32 execution: on the Shinkai model it moves
 * the output 2.7e-4 from ONNX Runtime's float32 run, against 4.4e-6 without.
 * In any other model Cast to FLOAT16 rounds to the nearest float16 (ties to
 * even), as ONNX specifies (the conformance tests check it).
 *
 * Older opsets: Pad before opset 11 (pads, value), Slice before 10 (starts,
 * ends, axes) and Upsample 7-8 (scales) keep operands as attributes; the ONNX
 * loader rewrites them to the newer input form. Upsample (opset 7-10,
 * "nearest" or "linear") runs on the Resize kernel with ONNX Runtime's
 * mapping: output size floor(input * scale), source coordinate x_out / scale
 * (asymmetric), nearest = floor of it, linear = blend of its two neighbours
 * clamped at the edge; scales below 1 are refused, as the spec asks.
 *
 * Loaders are hostile-input safe: every length and offset is bounds-checked and
 * every size validated before allocating; anything unsupported (op, attribute,
 * attribute value, data type, external data) is refused with GH_ERR_UNSUPPORTED
 * or GH_ERR_MODEL and a detail naming it.
 *
 * TFLite (src/nn/tflite.c): the flatbuffer is translated into the same IR (NCHW
 * inside, one Transpose after an NHWC input and one before the output), float16
 * constants behind DEQUANTIZE folded to float32 at load. A model whose input is
 * [1, H, W, C] gets dynamic H and W (declared as -1): shapes stored for the
 * export size (e.g. 512x512) are generalized like ../shared/tools/
 * tflite_reference.py does (reshapes of the spatial grid follow the actual
 * grid, constant-size resizes keep their scale factor). The Hayao model runs at
 * any H, W that are multiples of 8 (>= 16 to match the reference); sizes that
 * are not fail in gh_nn_run with an error naming the node (a residual Add whose
 * shapes do not broadcast). The same holds for the Shinkai ONNX model
 * (multiple of 8, at least 16 so its reflect pads fit at 1/8 scale). The model bytes are not referenced after loading,
 * so an embedded or mapped model can be loaded from read-only memory.
 *
 * Quantized models (TFLite int8/uint8, full-integer or dynamic-range) run in
 * float32 on the same kernels as float models; there is no integer kernel
 * path. Weights are dequantized once at load: an int8/uint8 constant is
 * w = (q - zero_point) * scale, per tensor or per channel (the file's
 * quantized_dimension), an int32 bias b = q * its scale (input_scale *
 * weight_scale[c] in valid files), whether an int8 op reads it directly or a
 * DEQUANTIZE (float16, hybrid files) stands in front of it. Activations of
 * int8/uint8 type are held as float32 real values, and what QUANTIZE /
 * DEQUANTIZE of an activation do is chosen at load (gh_nn_load_options):
 * - identity (the default): nothing; every activation is plain float, and
 *   the model computes what its float original would with the quantized
 *   weights. The default because the files' calibrated grids clip (the
 *   AnimeGANv2 file's clip inputs above about 230/255 and cap its output at
 *   216/255: dull highlights) and add rounding noise, neither of which we
 *   want in a picture;
 * - grid: every quantized activation tensor (an int8 op's output as well as
 *   an explicit QUANTIZE, and a quantized graph input) is rounded to its grid
 *   and clipped to the type's range, (clamp(round(x / scale) + zp, qmin, qmax)
 *   - zp) * scale, round half away from zero with a 1/1024-step tie band
 *   (exact halves, common on the grid, are not decided by float noise). This
 *   emulates the integer model (to compare with it, or where a model was
 *   trained for it), but results are sensitive: a value within float noise of
 *   a rounding boundary flips one step and the step propagates, so two float
 *   implementations agree only statistically (tests/unit/test_nn_tflite_quant.c).
 *   The int8 AnimeGANv3 Hayao's attention SOFTMAX underflows its 1/256 grid at
 *   sizes above about 64x64 and the model gives NaN in grid mode, as the
 *   numpy reference does; use identity for pictures.
 * A model whose input is UINT8 or INT8 (the int8 AnimeGANv3 Hayao) takes a
 * float32 input holding the real values (q - zero_point) * scale, i.e. the
 * same [-1, 1] contract as its float16 twin (grid mode rounds it to the input
 * grid), and a quantized output is returned as float32 real values
 * (dequantized). A constant whose shape was fixed by the export size, e.g.
 * White-box's guided-filter "ones" [1, 512, 512, 1] whose box filter is the
 * normalizer N, is regenerated for the actual size when it holds one repeated
 * value; any other export-size tensor that meets the size-dependent graph is
 * refused at load (GH_ERR_UNSUPPORTED naming it).
 *
 * Flat inputs: normalizations computed by the graph as (x - mean) / sqrt(var + eps)
 * with eps = 0 (the Hayao model stores eps = 0 after float16 underflow) divide
 * 0 by 0 on a uniform image (NaN in ONNX Runtime and TFLite). ghiblify
 * therefore raises every Sqrt input in [0, 1e-12) to GH_NN_SQRT_FLOOR before
 * the root (negative inputs still give NaN): a no-op for any variance a photo
 * produces (the photo goldens still match), and a uniform or nearly uniform
 * image gives finite output instead of NaN. InstanceNormalization applies the
 * same floor to its variance + epsilon.
 *
 * Threads: gh_nn_set_threads sets how many threads every kernel uses, GEMMs
 * included: OpenBLAS itself is kept single-threaded (openblas_set_num_threads(1)
 * at each run, process-wide) and each product's columns are split across our
 * threads, because OpenBLAS's own pool spin-waits after every call and starves
 * the loops that run between GEMMs. A model is not reentrant: run one
 * gh_nn_run at a time per model (use one model per thread for concurrency).
 * Output does not depend on the thread count (bit for bit): every split of
 * work whose rounding could show (GEMM column chunks, Winograd tile bands,
 * the partial sums of ChannelNorm's statistics) is fixed by the data size and
 * combined in a fixed order; threads only decide who computes which part
 * (tests/unit/test_nn_threads.c).
 *
 * Speed: stride-1 3x3 convolutions run as Winograd F(4x4,3x3), convolutions
 * with <= 4 input or output channels by a direct kernel, the rest by im2col +
 * SGEMM (1x1: plain SGEMM; depthwise: a direct loop). At load, a reflect/zero
 * Pad feeding a Conv is folded into it and TF's moments() variance pattern
 * (Sub, Mul, ReduceMean) into one pass, and AnimeGANv3's whole LADE
 * normalization ((x - mean) / sqrt(var + eps) * sqrt(var1 + eps1) + mean1,
 * LeakyRelu; 17 ops) becomes one internal ChannelNorm op, also in the NHWC
 * form tf2onnx exported for the Shinkai model (Transposes, Reshaped
 * statistics, GlobalAveragePool means; 21 ops). Setting the
 * environment variable GH_NN_NO_FUSE before loading turns every load-time
 * rewrite off (for comparisons). */
#ifndef GHIBLIFY_NN_H
#define GHIBLIFY_NN_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "ghiblify/image.h"
#include "ghiblify/status.h"

#ifdef __cplusplus
extern "C" {
#endif

#define GH_NN_MAX_DIMS 8
/* Smallest value a Sqrt sees (see "Flat inputs" above). */
#define GH_NN_SQRT_FLOOR 1e-12f

enum gh_nn_dtype {
    GH_NN_F32 = 0,
    GH_NN_I64 = 1,
};

/* A dense row-major tensor. data holds shape[0]*...*shape[ndim-1] values of
 * dtype (float or int64_t). ndim 0 is a scalar (one value). */
struct gh_nn_tensor {
    enum gh_nn_dtype dtype;
    int ndim;
    int64_t shape[GH_NN_MAX_DIMS];
    void *data;
};

struct gh_nn_model;

/* Loads an ONNX or TFLite model file, format chosen by content (TFLite: file
 * identifier "TFL3" at offset 4), not by extension. */
enum gh_status gh_nn_load_file(const char *path, struct gh_nn_model **out);

/* Loads a model from size bytes at data (copied as needed; data may be freed
 * after the call). */
enum gh_status gh_nn_load_memory(const void *data, size_t size, struct gh_nn_model **out);

/* How a model is loaded (see "Quantized models" above). Zero-initialize it
 * for the defaults, which gh_nn_load_file / gh_nn_load_memory use. */
struct gh_nn_load_options {
    /* Quantized (int8/uint8) TFLite activations: 0 (default) identity, the
     * activations are plain float32 real values; 1 grid, every quantized
     * activation tensor (and a quantized graph input) is rounded and clipped
     * to its int grid, emulating the integer model. No effect on float models. */
    int quant_grid;
};

/* gh_nn_load_file / gh_nn_load_memory with options (NULL: the defaults). */
enum gh_status gh_nn_load_file_opts(const char *path, const struct gh_nn_load_options *opts,
                                    struct gh_nn_model **out);
enum gh_status gh_nn_load_memory_opts(const void *data, size_t size, const struct gh_nn_load_options *opts,
                                      struct gh_nn_model **out);

/* Frees a model and its arena (NULL is fine). */
void gh_nn_free(struct gh_nn_model *model);

/* Caps the activation memory of gh_nn_run (bytes; 0, the default: no cap). A run
 * that would need more fails with GH_ERR_TOO_LARGE instead of allocating it,
 * e.g. for models from untrusted sources whose shapes ask for gigabytes. */
void gh_nn_set_memory_limit(struct gh_nn_model *model, size_t bytes);

/* A flag (e.g. set by a signal handler) that, once nonzero, makes a run stop
 * before its next node with GH_ERR_STOPPED; NULL (the default): never. */
void gh_nn_set_stop(struct gh_nn_model *model, const volatile sig_atomic_t *flag);

/* Sets how many threads a run uses, GEMMs included (< 1 means all CPUs).
 * Default: 1. */
void gh_nn_set_threads(struct gh_nn_model *model, int threads);

/* Number of graph inputs / outputs. */
int gh_nn_input_count(const struct gh_nn_model *model);
int gh_nn_output_count(const struct gh_nn_model *model);

/* Declared shape of input i (dtype, ndim, shape with -1 for a dynamic
 * dimension; data is NULL). Returns GH_ERR_ARGUMENT if i is out of range. */
enum gh_status gh_nn_input_info(const struct gh_nn_model *model, int i, struct gh_nn_tensor *info);

/* Runs the model on n_in inputs (in graph input order) and fills n_out outputs
 * (graph output order; n_out may be less than gh_nn_output_count to take only
 * the first ones). Each output's data is newly allocated: release it with
 * gh_nn_tensor_release. Shapes are inferred for the given input sizes. */
enum gh_status gh_nn_run_multi(struct gh_nn_model *model, int n_in, const struct gh_nn_tensor *inputs,
                               int n_out, struct gh_nn_tensor *outputs);

/* Runs a one-input model on a float32 tensor and returns its first output
 * (float32; release with gh_nn_tensor_release). */
enum gh_status gh_nn_run(struct gh_nn_model *model, const struct gh_nn_tensor *input,
                         struct gh_nn_tensor *output);

/* Frees the data of a tensor returned by gh_nn_run/gh_nn_run_multi/gh_nn_tensor_read
 * and sets it to NULL (NULL data is fine). */
void gh_nn_tensor_release(struct gh_nn_tensor *tensor);

/* Number of values in a tensor (product of its shape). */
size_t gh_nn_tensor_count(const struct gh_nn_tensor *tensor);

/* Parses one serialized ONNX TensorProto (a .pb file of the ONNX test suite)
 * into a newly allocated tensor. */
enum gh_status gh_nn_tensor_read(const void *data, size_t size, struct gh_nn_tensor *out);

/* AnimeGAN-style stylization of an RGB image (planar, [0,1]): x*2-1, laid out
 * as the model's input wants (NHWC if its last input dimension is 3, else
 * NCHW), spatial size padded by reflection up to a multiple of `multiple`
 * (8 for AnimeGANv3 Hayao, 16 for the tiny models; minimum 16 px per side),
 * run, cropped back, (y+1)/2. *out is a new 3-channel image the caller frees
 * with gh_image_free. threads as in gh_nn_set_threads. */
enum gh_status gh_nn_stylize(struct gh_nn_model *model, const struct gh_image *in, int multiple,
                             int threads, struct gh_image **out);

/* A statistics pass (under gh_nn_record): gh_nn_stylize's run of in without
 * its output: nothing is copied out of the model, and owned (NULL, or the
 * caller's pointer to in) is freed as soon as in is packed and set to NULL,
 * whatever the result. At 1280 px each is 15 MB at the pass's peak. */
enum gh_status gh_nn_stylize_pass(struct gh_nn_model *model, const struct gh_image *in,
                                  struct gh_image **owned, int multiple, int threads);

/* The size gh_nn_stylize runs a w x h image at: padded up to the multiple,
 * at least max(16, 2 * multiple) per side. */
void gh_nn_padded_size(int w, int h, int multiple, int *pw, int *ph);

/* Depth estimation with a MiDaS v2.1 small model (midas_v21_small_256, ONNX,
 * input [1,3,H,W], or [1,H,W,3] as its TFLite exports; any other input layout
 * is refused with GH_ERR_MODEL).
 * MiDaS's preprocessing for that model: the RGB image ([0,1]) resized with
 * bicubic interpolation to gh_nn_depth_size (keeps the aspect ratio) or to the
 * model's own input size if it declares a fixed one, ImageNet mean/std
 * normalization, NCHW. The output ([1,H,W] or [1,1,H,W], relative inverse
 * depth) is resized back to the image's size (bilinear) and mapped to [0,1]
 * by its GH_NN_DEPTH_PERCENTILE and 100 - GH_NN_DEPTH_PERCENTILE percentiles
 * (clipped), so a few extreme pixels do not squash the rest: 1 = near,
 * 0 = far; a flat map gives 0.5 everywhere. *depth is a new 1-channel image
 * of rgb's size (free with gh_image_free). threads as in gh_nn_set_threads. */
#define GH_NN_DEPTH_SIDE 256
#define GH_NN_DEPTH_MULTIPLE 32
#define GH_NN_DEPTH_PERCENTILE 2.0
enum gh_status gh_nn_depth(struct gh_nn_model *model, const struct gh_image *rgb, int threads,
                           struct gh_image **depth);

/* The network size for a width x height image: MiDaS's "upper_bound" resize
 * for midas_v21_small_256 (one scale for both axes so that the image fits in
 * 256x256, i.e. the larger side becomes 256; each side rounded to the nearest
 * multiple of 32, floored if that exceeds 256; at least 32). */
void gh_nn_depth_size(int width, int height, int *net_w, int *net_h);

/* Memory a gh_nn_stylize run needs, as a function of the padded pixel count N:
 * about bytes_fixed + bytes_per_pixel * N bytes in all (activations, input,
 * output), and a largest single tensor of values_fixed + values_per_pixel * N
 * values, which must stay within GH_NN_MAX_TENSOR_VALUES. */
struct gh_nn_footprint {
    double bytes_fixed, bytes_per_pixel;
    double values_fixed, values_per_pixel;
    int multiple;
};

/* Largest tensor (values) a run may create; larger ones fail with GH_ERR_TOO_LARGE. */
#define GH_NN_MAX_TENSOR_VALUES ((double)((int64_t)1 << 29))

/* Measures *fp by stylizing two small probe images (64 and 128 px square;
 * milliseconds): a fully convolutional generator's memory is affine in its
 * pixel count, so the fit predicts any size before it is attempted. Empties the
 * model's arena before and after. */
enum gh_status gh_nn_stylize_footprint(struct gh_nn_model *model, int multiple,
                                       struct gh_nn_footprint *fp);

/* Predicted total bytes and largest-tensor values of stylizing a width x height image. */
void gh_nn_footprint_at(const struct gh_nn_footprint *fp, int width, int height, double *bytes,
                        double *values);

/* Frees the activation memory a model keeps between runs (the next run
 * allocates it again), and its bytes now held. */
void gh_nn_arena_empty(struct gh_nn_model *model);
size_t gh_nn_arena_bytes(const struct gh_nn_model *model);

/* ---- Statistics mode and tiles: a generator at full resolution in bounded memory ----
 *
 * A fully convolutional generator's output at a pixel depends on a finite
 * neighbourhood (its receptive field) except through its global reductions:
 * spatial means and variances (ReduceMean/GlobalAveragePool over the image,
 * InstanceNormalization, the fused ChannelNorm), and softmaxes over image
 * positions (AnimeGANv3's external attention). With those values fixed, the
 * network is local, so it can run tile by tile. The statistics mode fixes them:
 *
 *   struct gh_nn_stats *s;  gh_nn_stats_new(&s);
 *   gh_nn_analyze(model, 8, &tiling);     // which nodes are global, the receptive field
 *   gh_nn_record(model, s);  run on the whole image (e.g. at a working size)
 *   gh_nn_replay(model, s, ratio);  run on tiles: every global node uses s
 *   gh_nn_thaw(model);  back to normal runs
 *
 * What is recorded, per global node and per (image, channel) or softmax row:
 * ChannelNorm's means and variances of both its inputs, InstanceNorm's mean
 * and variance, a global ReduceMean/ReduceSum/GlobalAveragePool's output
 * (a ReduceSum replays as recorded * ratio), a Softmax's row maximum m and
 * sum s of exp(x - m): replayed as exp(x - m) / (s * ratio), i.e. its
 * log-sum-exp shifted by log(ratio). ratio is the number of positions of the
 * replayed image over the recorded one's (1 for the same image; for a
 * recording at a smaller size, full pixels / recorded pixels, padded sizes):
 * a softmax over N positions normalizes by a sum that grows with N.
 * Recording and replaying on the same input gives the normal run's output bit
 * for bit (tests/unit/test_nn_tiles.c).
 *
 * Global nodes are found from the graph (not by model name): gh_nn_analyze
 * runs it at two small probe sizes and calls a reduction global when the
 * extent it reduces changes with the image size. It refuses (GH_ERR_UNSUPPORTED,
 * naming the node) a graph whose whole-image dependencies cannot be frozen
 * this way: a reduction over only some image axes (its output still grows
 * with the image), a MatMul that contracts over image positions (e.g.
 * self-attention), any other float op mapping a growing input to a fixed-size
 * output, a Resize to a fixed size or with align_corners / tf_crop_and_resize
 * (not translation-equivariant), different strides along H and W, or a model
 * without a dynamic H x W input. */
struct gh_nn_stats;

/* What gh_nn_analyze found. The output pixel at p depends on input pixels in
 * [p - reach_lo, p + reach_hi] along each axis, counted through every conv
 * kernel, stride, pad and resize (a bound: each Resize counts one source pixel
 * either side). margin is max(reach_lo, reach_hi) rounded up to align: with
 * that much context around a tile (the statistics replayed) the tile's output
 * equals the untiled run's up to float rounding. Tiles must start at multiples
 * of align (the largest stride times the model's size multiple's lcm), so
 * strided convolutions sample the same pixels in a tile as in the image. */
struct gh_nn_tiling {
    int n_global; /* global reductions found */
    int stride;   /* largest total stride of any activation (8 for AnimeGANv3) */
    int align;
    int reach_lo, reach_hi;
    int margin;
};

/* Finds the global reductions and the receptive field of a one-input image
 * model ([1,H,W,C] or [1,C,H,W] with dynamic H, W) whose H and W must be
 * multiples of `multiple`; fills *tiling (may be NULL). The result is kept in
 * the model: later calls return it without probing. Empties the arena. */
enum gh_status gh_nn_analyze(struct gh_nn_model *model, int multiple, struct gh_nn_tiling *tiling);

/* A new, empty statistics record (gh_nn_stats_free frees it; NULL is fine). */
enum gh_status gh_nn_stats_new(struct gh_nn_stats **out);
void gh_nn_stats_free(struct gh_nn_stats *stats);

/* Number of global nodes with recorded values, and their float count in all. */
int gh_nn_stats_count(const struct gh_nn_stats *stats, size_t *values);

/* Runs of model after this store the values of its global reductions in
 * stats (replacing what it held for that node). Needs gh_nn_analyze first
 * (GH_ERR_ARGUMENT otherwise). stats must outlive the mode. */
enum gh_status gh_nn_record(struct gh_nn_model *model, struct gh_nn_stats *stats);

/* Runs of model after this use stats's values at every global reduction
 * instead of computing them, with the softmax/sum shift of count_ratio (> 0).
 * Fails with GH_ERR_ARGUMENT if stats lacks a global node of this model (not
 * recorded on it); a run fails if a recorded count does not fit. */
enum gh_status gh_nn_replay(struct gh_nn_model *model, const struct gh_nn_stats *stats, double count_ratio);

/* Ends gh_nn_record / gh_nn_replay: runs compute every value again. */
void gh_nn_thaw(struct gh_nn_model *model);

/* Statistics recorded at a smaller size differ from the full-size run's, and
 * more the smaller: the normalizations see the scene's structures smaller
 * (blurring the small image to the full size's per-pixel sharpness does not
 * help: measured). Given records of the same photo at two sizes (hi larger
 * than lo, in padded pixels), moves hi's normalization statistics
 * (ChannelNorm, InstanceNorm: means linearly, variances in log) along the
 * trend from lo to hi, to `pixels` (the replayed size): a damped linear
 * extrapolation in log(pixels), since the trend flattens towards full size
 * (undamped overshoots). Other global values stay hi's. Measured on
 * AnimeGANv3 Hayao (tools/BENCHMARKS.md): 2560 px LadyBird from 1280 and 640
 * px passes 33.5 -> 38.1 dB against the untiled full-size run. */
enum gh_status gh_nn_stats_extrapolate(const struct gh_nn_model *model, struct gh_nn_stats *hi, double hi_pixels,
                                       const struct gh_nn_stats *lo, double lo_pixels, double pixels);

/* Tiled stylization (gh_nn_stylize's contract: same padding, layout and
 * output) for a model in replay mode: the image padded to `multiple`, cut in
 * tiles of tile x tile pixels (rounded up to the alignment), each run with
 * `margin` pixels of context on every side that is not the image border, the
 * tiles' centres stitched. Every tile window has the same size (windows at the
 * borders shift inward), so the arena stays that of one window: memory is
 * the image in and out plus one window's activations, whatever the image
 * size. margin < 0: gh_nn_analyze's; tile < 1: GH_NN_TILE_DEFAULT. */
/* 768: a window (768 + 2 * 56 px for AnimeGANv3) about the pixel count of
 * the 1024 x 768 statistics pass, so tiles add no memory to it, with 1.31x
 * the pixels computed per pixel kept (512 px tiles: 1.49x). */
#define GH_NN_TILE_DEFAULT 768
struct gh_nn_tile_options {
    int tile, margin;
    int threads; /* as gh_nn_set_threads */
};
enum gh_status gh_nn_stylize_tiled(struct gh_nn_model *model, const struct gh_image *in, int multiple,
                                   const struct gh_nn_tile_options *opts, struct gh_image **out);

/* gh_nn_stylize_tiled whose result replaces img's pixels, so a full-size
 * image is held once, not twice (finished rows wait in a buffer of one
 * window's height until no later window reads the rows they replace). Same
 * output bytes. On an error img holds a mix of both. */
enum gh_status gh_nn_stylize_tiled_inplace(struct gh_nn_model *model, struct gh_image *img, int multiple,
                                           const struct gh_nn_tile_options *opts);

/* Built-in generators, by name (--model NAME, --list-models). The list is
 * data (src/nn/models.def for the files, src/nn/zoo.c for what each is and
 * the contract it was trained with); which ones a build embeds is chosen at
 * configure time (GH_EMBED_MODELS), so a name may be known but absent. */
struct gh_nn_builtin {
    const char *name;    /* "hayao", "shinkai", ... */
    const char *style;   /* one line for users */
    const char *file;    /* file name in models/ */
    const char *sha256;  /* of the file, hex */
    const char *url;     /* upstream */
    const char *source;  /* who made it, which export */
    const char *license; /* of the weights */
    /* Contract: H and W are padded (by reflection) to a multiple of this; */
    int multiple;
    /* 1: trained on BGR input (OpenCV order), so it is fed and read back as BGR; */
    int bgr;
    /* 1: quantized activations rounded to their int8 grid, as the int8 model
     *    computes (see the TFLite loader); 0: held as float (identity). */
    int quant_grid;
    /* Working long side the model looks best at when --size is not given (0: the default). */
    int working_size;
    /* Bytes of the embedded file, NULL if this build left it out. */
    const unsigned char *data;
    size_t size;
};

/* Number of built-in generators, and the i-th (0 is the default). */
int gh_nn_builtin_count(void);
const struct gh_nn_builtin *gh_nn_builtin_at(int i);

/* The built-in generator called name, or NULL. */
const struct gh_nn_builtin *gh_nn_builtin_find(const char *name);

/* Loads a built-in generator with its contract applied (channel order,
 * quantization mode). Fails with GH_ERR_MODEL, saying how to get it, when this
 * build did not embed it. */
enum gh_status gh_nn_builtin_load(const struct gh_nn_builtin *builtin, struct gh_nn_model **out);

/* Channel order of gh_nn_stylize for this model: 1 feeds and reads BGR. */
void gh_nn_set_bgr(struct gh_nn_model *model, int bgr);

#ifdef __cplusplus
}
#endif
#endif
