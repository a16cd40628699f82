/* Thread-count determinism of the CNN core: the same input must give
 * byte-identical output at any thread count (the product's promise: same
 * input, options and seed, same bytes). Every generator we ship or test (the
 * built-in Hayao model, the tiny Cute ONNX model, the AnimeGANv2 torch
 * exports) stylizes a real photo region at a multiple-of-16 size and at odd
 * sizes with 1, 2, 3 and 4 threads; all outputs must equal the 1-thread one
 * bit for bit. Also the unfused Hayao graph and Cute through the im2col paths.
 *
 * When they do not, bisect() names the first node whose output differs (its
 * inputs still equal), by running the graph once per thread count with every
 * activation kept as an output: the tool that found the thread-dependent
 * splits this test guards against, kept here rather than in the library. */
#include "check.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ghiblify/ghiblify.h"
#include "ghiblify/nn.h"
#include "nn/nn_internal.h"

#define MAX_THREADS 4

/* The model's input tensor for img (no padding: sizes here are multiples of 16). */
static int make_input(const struct gh_nn_model *m, const struct gh_image *img, struct gh_nn_tensor *x)
{
    struct gh_nn_tensor info;
    if (gh_nn_input_info(m, 0, &info) || info.ndim != 4)
        return 0;
    int nhwc = info.shape[3] == 3, w = img->width, h = img->height;
    size_t plane = (size_t)w * (size_t)h;
    *x = (struct gh_nn_tensor){GH_NN_F32, 4, {1, nhwc ? h : 3, nhwc ? w : h, nhwc ? 3 : w}, NULL};
    float *d = malloc(plane * 3 * sizeof *d);
    if (!d)
        return 0;
    for (int c = 0; c < 3; c++)
        for (size_t i = 0; i < plane; i++)
            d[nhwc ? i * 3 + (size_t)c : (size_t)c * plane + i] = gh_image_plane(img, c)[i] * 2 - 1;
    x->data = d;
    return 1;
}

/* Runs m on x with every live node's outputs as graph outputs (their buffers
 * then live to the end, so nothing is computed in place). */
static enum gh_status run_all(struct gh_nn_model *m, const struct gh_nn_tensor *x, int threads, int n_out,
                              const int *outs, struct gh_nn_tensor *vals)
{
    int *saved_outputs = m->outputs, saved_n = m->n_outputs;
    int *saved_last = malloc((size_t)m->n_values * sizeof *saved_last);
    if (!saved_last)
        return GH_ERR_NOMEM;
    for (int v = 0; v < m->n_values; v++) {
        saved_last[v] = m->values[v].last_use;
        m->values[v].last_use = INT32_MAX;
    }
    m->outputs = (int *)outs;
    m->n_outputs = n_out;
    gh_nn_set_threads(m, threads);
    enum gh_status st = gh_nn_run_multi(m, 1, x, n_out, vals);
    m->outputs = saved_outputs;
    m->n_outputs = saved_n;
    for (int v = 0; v < m->n_values; v++) /* the run does not change n_values */
        m->values[v].last_use = saved_last[v]; /* NOLINT(clang-analyzer-core.uninitialized.Assign) */
    free(saved_last);
    return st;
}

static int same_tensor(const struct gh_nn_tensor *a, const struct gh_nn_tensor *b)
{
    if (a->dtype != b->dtype || a->ndim != b->ndim || memcmp(a->shape, b->shape, sizeof a->shape))
        return 0;
    size_t bytes = gh_nn_tensor_count(a) * gh_nn_dtype_size(a->dtype);
    return !bytes || !memcmp(a->data, b->data, bytes);
}

/* Prints the first node (topological order) whose output differs between 1
 * and `threads` threads. */
static void bisect(struct gh_nn_model *m, const struct gh_image *img, int threads)
{
    struct gh_nn_tensor x;
    if (!make_input(m, img, &x))
        return;
    int *outs = malloc((size_t)m->n_values * sizeof *outs), *producer = malloc((size_t)m->n_values * sizeof *producer);
    int n_out = 0;
    for (int v = 0; outs && producer && v < m->n_values; v++)
        producer[v] = -1;
    for (int i = 0; outs && producer && i < m->n_nodes; i++)
        for (int k = 0; !m->nodes[i].dead && k < m->nodes[i].n_out; k++) {
            outs[n_out++] = m->nodes[i].out[k];
            producer[m->nodes[i].out[k]] = i;
        }
    struct gh_nn_tensor *a = calloc((size_t)n_out + 1, sizeof *a), *b = calloc((size_t)n_out + 1, sizeof *b);
    if (a && b && outs && producer && !run_all(m, &x, 1, n_out, outs, a) && !run_all(m, &x, threads, n_out, outs, b)) {
        int shown = 0;
        for (int k = 0; k < n_out && shown < 3; k++) {
            if (same_tensor(&a[k], &b[k]))
                continue;
            const struct gh_nn_node *nd = &m->nodes[producer[outs[k]]];
            size_t n = gh_nn_tensor_count(&a[k]), diff = 0;
            double maxd = 0;
            for (size_t i = 0; a[k].dtype == GH_NN_F32 && i < n; i++) {
                double d = fabs(((float *)a[k].data)[i] - ((float *)b[k].data)[i]);
                diff += d != 0;
                maxd = d > maxd ? d : maxd;
            }
            fprintf(stderr, "  1 vs %d threads: node '%s' (%s%s%s) differs: %zu of %zu values, max %.3g\n", threads,
                    nd->name, gh_nn_ops[nd->op].name, nd->n_in > 4 ? ", folded 1x1" : "",
                    nd->fused_moments ? ", moments" : "", diff, n, maxd);
            shown++;
        }
    } else {
        fprintf(stderr, "  bisect: run failed: %s\n", gh_error_detail());
    }
    for (int k = 0; k < n_out; k++) {
        if (a)
            gh_nn_tensor_release(&a[k]);
        if (b)
            gh_nn_tensor_release(&b[k]);
    }
    free(a);
    free(b);
    free(outs);
    free(producer);
    free(x.data);
}

static int same_image(const struct gh_image *a, const struct gh_image *b)
{
    if (a->width != b->width || a->height != b->height || a->channels != b->channels)
        return 0;
    for (int c = 0; c < a->channels; c++)
        if (memcmp(gh_image_plane(a, c), gh_image_plane(b, c),
                   (size_t)a->width * (size_t)a->height * sizeof(float)))
            return 0;
    return 1;
}

/* Stylizes img at 1..MAX_THREADS threads; every output must equal the first. */
static void check_threads(struct gh_nn_model *m, const char *name, const struct gh_image *img, int multiple)
{
    struct gh_image *ref = NULL;
    CHECK_OK(gh_nn_stylize(m, img, multiple, 1, &ref));
    if (!ref)
        return;
    for (int t = 2; t <= MAX_THREADS; t++) {
        struct gh_image *out = NULL;
        CHECK_OK(gh_nn_stylize(m, img, multiple, t, &out));
        if (!out)
            continue;
        int same = same_image(ref, out);
        printf("%s %dx%d, 1 vs %d threads: %s\n", name, img->width, img->height, t, same ? "identical" : "DIFFERENT");
        CHECK_MSG(same, "%s %dx%d: output with %d threads differs from 1 thread", name, img->width, img->height, t);
        if (!same && img->width % 16 == 0 && img->height % 16 == 0)
            bisect(m, img, t);
        gh_image_free(out);
    }
    gh_image_free(ref);
}

static struct gh_image *photo_region(const struct gh_image *photo, int w, int h)
{
    struct gh_image *out = NULL;
    CHECK_OK(gh_ops_resize(photo, w, h, GH_INTERP_AREA, 1, &out));
    return out;
}

int main(void)
{
    struct gh_picture *pic = NULL;
    CHECK_OK(gh_io_read_picture(check_source_path("samples/coffee.png"), 0, &pic));
    if (!pic)
        return check_finish();
    /* A multiple of 16 (the bisect needs no padding) and an odd size. */
    struct gh_image *big = photo_region(pic->rgb, 256, 192), *odd = photo_region(pic->rgb, 200, 136);
    struct gh_image *small = photo_region(pic->rgb, 96, 64), *odd_small = photo_region(pic->rgb, 75, 53);

    const struct gh_nn_builtin *emb = gh_nn_builtin_at(0);
    struct gh_nn_model *m = NULL;
    if ((emb && emb->data)) {
        CHECK_OK(gh_nn_builtin_load(emb, &m));
        if (m && big && odd) {
            check_threads(m, emb->name, big, 8);
            check_threads(m, emb->name, odd, 8);
        }
        gh_nn_free(m);
        /* Unfused (GH_NN_NO_FUSE, read at load): the plain ReduceMean,
         * moments and 1x1 Conv kernels instead of ChannelNorm. */
        m = NULL;
        setenv("GH_NN_NO_FUSE", "1", 1);
        CHECK_OK(gh_nn_builtin_load(emb, &m));
        unsetenv("GH_NN_NO_FUSE");
        if (m && odd)
            check_threads(m, "Hayao unfused", odd, 8);
        gh_nn_free(m);
    } else {
        fprintf(stderr, "skipping the built-in model: %s\n", gh_error_detail());
    }

    m = NULL;
    const char *cute = check_source_path("models/AnimeGANv3_tiny_Cute.onnx");
    if (gh_nn_load_file(cute, &m) != GH_OK)
        CHECK_OK(gh_nn_load_file(check_shared_path("models/AnimeGANv3_tiny_Cute.onnx"), &m));
    if (m && big && odd) {
        check_threads(m, "AnimeGANv3_tiny_Cute", big, 16);
        check_threads(m, "AnimeGANv3_tiny_Cute", odd, 16);
        /* The other convolution paths: im2col instead of Winograd, then one
         * im2col band whose GEMM is split over the threads. */
        gh_nn_use_winograd = 0;
        check_threads(m, "Cute im2col", big, 16);
        gh_nn_use_banded_im2col = 0;
        check_threads(m, "Cute im2col one band", odd, 16);
        gh_nn_use_winograd = 1;
        gh_nn_use_banded_im2col = 1;
    }
    gh_nn_free(m);

    static const char *const torch[] = {"tests/data/nn/animeganv2_w16_ac.onnx", "tests/data/nn/animeganv2_w16_hp.onnx"};
    for (int i = 0; i < 2; i++) {
        m = NULL;
        CHECK_OK(gh_nn_load_file(check_source_path(torch[i]), &m));
        if (m && small && odd_small) {
            check_threads(m, torch[i] + 14, small, 16);
            check_threads(m, torch[i] + 14, odd_small, 16);
        }
        gh_nn_free(m);
    }

    gh_image_free(big);
    gh_image_free(odd);
    gh_image_free(small);
    gh_image_free(odd_small);
    gh_picture_free(pic);
    return check_finish();
}
