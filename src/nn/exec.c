/* The executor: runs the sorted nodes one kernel each, infers shapes as it
 * goes (kernels size their outputs from their actual inputs), and takes every
 * activation from the model's arena, returning it at the value's last reader.
 * Blocks stay in the arena across runs, so peak memory is about the largest
 * set of live activations and a second run allocates nothing new.
 *
 * Tiled full-resolution runs: the kernels of global reductions (ReduceMean
 * over spatial axes, GlobalAveragePool, Softmax over a spatial axis, the
 * normalizations) record or replay their values (stats.c); the analysis's
 * probe runs (tiles.c) log every value's shape here. */
#include "ghiblify/image.h"
#include "nn/nn_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

size_t gh_nn_dtype_size(enum gh_nn_dtype dtype)
{
    return dtype == GH_NN_I64 ? 8 : 4;
}

size_t gh_nn_count(int ndim, const int64_t *shape)
{
    size_t n = 1;
    for (int i = 0; i < ndim; i++)
        n *= (size_t)shape[i];
    return n;
}

size_t gh_nn_tensor_count(const struct gh_nn_tensor *t)
{
    return gh_nn_count(t->ndim, t->shape);
}

int64_t gh_nn_get_i64(const struct gh_nn_tensor *t, size_t i)
{
    return t->dtype == GH_NN_I64 ? ((const int64_t *)t->data)[i] : gh_nn_f2i(((const float *)t->data)[i]);
}

double gh_nn_get_f64(const struct gh_nn_tensor *t, size_t i)
{
    return t->dtype == GH_NN_I64 ? (double)((const int64_t *)t->data)[i] : (double)((const float *)t->data)[i];
}

void gh_nn_tensor_release(struct gh_nn_tensor *t)
{
    if (!t)
        return;
    free(t->data);
    t->data = NULL;
}

/* ---- arena ---- */

static enum gh_status arena_get(struct gh_nn_model *m, size_t bytes, int *out)
{
    int best = -1, biggest = -1;
    if (bytes == 0)
        bytes = 1;
    for (int b = 0; b < m->n_blocks; b++) {
        if (m->blocks[b].used)
            continue;
        if (m->blocks[b].size >= bytes && (best < 0 || m->blocks[b].size < m->blocks[best].size))
            best = b;
        if (biggest < 0 || m->blocks[b].size > m->blocks[biggest].size)
            biggest = b;
    }
    if (best < 0) {
        size_t total = m->arena_bytes - (biggest >= 0 ? m->blocks[biggest].size : 0) + bytes;
        if (m->arena_limit && total > m->arena_limit)
            return gh_error(GH_ERR_TOO_LARGE,
                            "model: activations would need %zu MB, over the limit of %zu MB",
                            total >> 20, m->arena_limit >> 20);
    }
    if (best < 0 && biggest >= 0) {
        /* Grow the largest free block rather than add one: keeps the block
         * count at the number of simultaneously live values. */
        void *p = malloc(bytes);
        if (!p)
            return gh_error(GH_ERR_NOMEM, "model: out of memory for a %zu-byte activation", bytes);
        gh_image_advise_huge(p, bytes);
        free(m->blocks[biggest].p);
        m->arena_bytes = m->arena_bytes - m->blocks[biggest].size + bytes;
        m->blocks[biggest].p = p;
        m->blocks[biggest].size = bytes;
        best = biggest;
    }
    if (best < 0) {
        if (m->n_blocks == m->cap_blocks) {
            int cap = m->cap_blocks ? m->cap_blocks * 2 : 16;
            struct gh_nn_block *nb = realloc(m->blocks, (size_t)cap * sizeof *nb);
            if (!nb)
                return gh_error(GH_ERR_NOMEM, "model: out of memory");
            m->blocks = nb;
            m->cap_blocks = cap;
        }
        void *p = malloc(bytes);
        if (!p)
            return gh_error(GH_ERR_NOMEM, "model: out of memory for a %zu-byte activation", bytes);
        gh_image_advise_huge(p, bytes);
        best = m->n_blocks++;
        m->blocks[best].p = p;
        m->blocks[best].size = bytes;
        m->arena_bytes += bytes;
    }
    m->blocks[best].used = 1;
    *out = best;
    return GH_OK;
}

static enum gh_status check_shape(int ndim, const int64_t *shape, size_t *count)
{
    if (ndim < 0 || ndim > GH_NN_MAX_DIMS)
        return gh_error(GH_ERR_UNSUPPORTED, "tensor with %d dimensions (at most %d)", ndim, GH_NN_MAX_DIMS);
    uint64_t n = 1;
    for (int i = 0; i < ndim; i++) {
        if (shape[i] < 0)
            return gh_error(GH_ERR_MODEL, "negative dimension %lld", (long long)shape[i]);
        if (shape[i] > GH_NN_MAX_ELEMS)
            return gh_error(GH_ERR_TOO_LARGE, "dimension %lld too large", (long long)shape[i]);
        n *= (uint64_t)shape[i];
        if (n > (uint64_t)GH_NN_MAX_ELEMS)
            return gh_error(GH_ERR_TOO_LARGE, "tensor of more than %lld values", (long long)GH_NN_MAX_ELEMS);
    }
    *count = (size_t)n;
    return GH_OK;
}

const struct gh_nn_tensor *gh_nn_in(struct gh_nn_exec *x, const struct gh_nn_node *node, int k)
{
    if (k >= node->n_in || node->in[k] < 0)
        return NULL;
    return &x->vals[node->in[k]];
}

static void set_out(struct gh_nn_tensor *t, enum gh_nn_dtype dtype, int ndim, const int64_t *shape)
{
    t->dtype = dtype;
    t->ndim = ndim;
    memset(t->shape, 0, sizeof t->shape);
    for (int i = 0; i < ndim; i++)
        t->shape[i] = shape[i];
}

enum gh_status gh_nn_out(struct gh_nn_exec *x, const struct gh_nn_node *node, int k, enum gh_nn_dtype dtype,
                         int ndim, const int64_t *shape, struct gh_nn_tensor **out)
{
    size_t count;
    enum gh_status st = check_shape(ndim, shape, &count);
    if (st)
        return st;
    int v = node->out[k], b;
    if (count > x->m->peak_values)
        x->m->peak_values = count;
    if (x->block[v] >= 0)
        return gh_error(GH_ERR_INTERNAL, "output %d written twice", k);
    if ((st = arena_get(x->m, count * gh_nn_dtype_size(dtype), &b)))
        return st;
    x->block[v] = b;
    struct gh_nn_tensor *t = &x->vals[v];
    set_out(t, dtype, ndim, shape);
    t->data = x->m->blocks[b].p;
    *out = t;
    return GH_OK;
}

enum gh_status gh_nn_out_inplace(struct gh_nn_exec *x, const struct gh_nn_node *node, int k, int from,
                                 enum gh_nn_dtype dtype, int ndim, const int64_t *shape,
                                 struct gh_nn_tensor **out)
{
    int src = from < node->n_in ? node->in[from] : -1;
    size_t count;
    enum gh_status st = check_shape(ndim, shape, &count);
    if (st)
        return st;
    if (src >= 0 && x->block[src] >= 0 && x->m->values[src].last_use == x->node_index &&
        gh_nn_tensor_count(&x->vals[src]) * gh_nn_dtype_size(x->vals[src].dtype) == count * gh_nn_dtype_size(dtype)) {
        /* Another input slot of this node reading the same value is fine:
         * in-place kernels read element i before writing element i. */
        int v = node->out[k];
        x->block[v] = x->block[src];
        x->block[src] = -1;
        struct gh_nn_tensor *t = &x->vals[v];
        set_out(t, dtype, ndim, shape);
        t->data = x->vals[src].data;
        *out = t;
        return GH_OK;
    }
    return gh_nn_out(x, node, k, dtype, ndim, shape, out);
}

enum gh_status gh_nn_scratch(struct gh_nn_exec *x, size_t bytes, void **out)
{
    if (x->n_scratch >= (int)(sizeof x->scratch / sizeof x->scratch[0]))
        return gh_error(GH_ERR_INTERNAL, "too many scratch buffers");
    int b;
    enum gh_status st = arena_get(x->m, bytes, &b);
    if (st)
        return st;
    x->scratch[x->n_scratch++] = b;
    *out = x->m->blocks[b].p;
    return GH_OK;
}

/* ---- public API ---- */

enum gh_status gh_nn_load_memory(const void *data, size_t size, struct gh_nn_model **out)
{
    return gh_nn_load_memory_opts(data, size, NULL, out);
}

enum gh_status gh_nn_load_memory_opts(const void *data, size_t size, const struct gh_nn_load_options *opts,
                                      struct gh_nn_model **out)
{
    static const struct gh_nn_load_options defaults = {0};
    if (!out)
        return gh_error(GH_ERR_ARGUMENT, "gh_nn_load_memory: NULL out");
    *out = NULL;
    if (!data && size)
        return gh_error(GH_ERR_ARGUMENT, "gh_nn_load_memory: NULL data");
    if (!opts)
        opts = &defaults;
    if (size >= 8 && memcmp((const uint8_t *)data + 4, "TFL3", 4) == 0)
        return gh_nn_tflite_load(data, size, opts, out);
    /* An ONNX file has no magic: it starts with the key of one of
     * ModelProto's fields 1-8 (ir_version first in every exporter's output). */
    static const uint8_t keys[] = {0x08, 0x12, 0x1a, 0x22, 0x28, 0x32, 0x3a, 0x42};
    if (size < 2 || !memchr(keys, ((const uint8_t *)data)[0], sizeof keys))
        return gh_error(GH_ERR_MODEL,
                        "not an ONNX model (unrecognized first bytes) nor a TFLite model (no \"TFL3\" identifier)");
    return gh_nn_onnx_load(data, size, out);
}

enum gh_status gh_nn_load_file(const char *path, struct gh_nn_model **out)
{
    return gh_nn_load_file_opts(path, NULL, out);
}

enum gh_status gh_nn_load_file_opts(const char *path, const struct gh_nn_load_options *opts,
                                    struct gh_nn_model **out)
{
    enum gh_status st;
    uint8_t *buf = NULL;
    if (!path || !out)
        return gh_error(GH_ERR_ARGUMENT, "gh_nn_load_file: NULL argument");
    *out = NULL;
    FILE *f = fopen(path, "rb");
    if (!f)
        return gh_error(GH_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    long size = -1;
    if (fseek(f, 0, SEEK_END) == 0)
        size = ftell(f);
    if (size < 0 || fseek(f, 0, SEEK_SET) != 0) {
        st = gh_error(GH_ERR_IO, "%s: cannot seek", path);
        goto out;
    }
    if ((unsigned long)size > (1ul << 31)) {
        st = gh_error(GH_ERR_TOO_LARGE, "%s: model file larger than 2 GiB", path);
        goto out;
    }
    buf = malloc((size_t)size + 1);
    if (!buf) {
        st = gh_error(GH_ERR_NOMEM, "%s: out of memory", path);
        goto out;
    }
    if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
        st = gh_error(GH_ERR_IO, "%s: read failed", path);
        goto out;
    }
    st = gh_nn_load_memory_opts(buf, (size_t)size, opts, out);
    if (st)
        gh_error_prefix(st, path);
out:
    fclose(f);
    free(buf);
    return st;
}

void gh_nn_set_memory_limit(struct gh_nn_model *model, size_t bytes)
{
    model->arena_limit = bytes;
}

void gh_nn_set_stop(struct gh_nn_model *m, const volatile sig_atomic_t *flag)
{
    if (m)
        m->stop = flag;
}

void gh_nn_arena_empty(struct gh_nn_model *m)
{
    if (!m)
        return;
    for (int b = 0; b < m->n_blocks; b++)
        free(m->blocks[b].p);
    m->n_blocks = 0;
    m->arena_bytes = 0;
    m->peak_values = 0;
}

size_t gh_nn_arena_bytes(const struct gh_nn_model *m)
{
    return m ? m->arena_bytes : 0;
}

void gh_nn_set_threads(struct gh_nn_model *m, int threads)
{
    if (m)
        m->threads = threads < 1 ? gh_cpu_count() : threads;
}

int gh_nn_input_count(const struct gh_nn_model *m)
{
    return m ? m->n_inputs : 0;
}

int gh_nn_output_count(const struct gh_nn_model *m)
{
    return m ? m->n_outputs : 0;
}

enum gh_status gh_nn_input_info(const struct gh_nn_model *m, int i, struct gh_nn_tensor *info)
{
    if (!m || !info || i < 0 || i >= m->n_inputs)
        return gh_error(GH_ERR_ARGUMENT, "gh_nn_input_info: no input %d", i);
    *info = m->values[m->inputs[i]].t;
    info->data = NULL;
    return GH_OK;
}

static void log_shape(struct gh_nn_model *m, int v, const struct gh_nn_tensor *t)
{
    m->shape_log[v].ndim = t->ndim;
    m->shape_log[v].dtype = t->dtype;
    memcpy(m->shape_log[v].shape, t->shape, sizeof t->shape);
}

enum gh_status gh_nn_run_multi(struct gh_nn_model *m, int n_in, const struct gh_nn_tensor *inputs, int n_out,
                               struct gh_nn_tensor *outputs)
{
    enum gh_status st = GH_OK;
    struct gh_nn_exec x;
    memset(&x, 0, sizeof x);
    if (!m || (n_in && !inputs) || (n_out && !outputs))
        return gh_error(GH_ERR_ARGUMENT, "gh_nn_run: NULL argument");
    for (int i = 0; i < n_out; i++)
        outputs[i].data = NULL;
    if (n_in != m->n_inputs)
        return gh_error(GH_ERR_ARGUMENT, "model takes %d inputs, got %d", m->n_inputs, n_in);
    if (n_out < 0 || n_out > m->n_outputs)
        return gh_error(GH_ERR_ARGUMENT, "model has %d outputs, asked for %d", m->n_outputs, n_out);
    x.m = m;
    x.threads = m->threads;
    x.vals = calloc((size_t)m->n_values, sizeof *x.vals);
    x.block = malloc((size_t)m->n_values * sizeof *x.block);
    if (!x.vals || !x.block) {
        st = gh_error(GH_ERR_NOMEM, "model: out of memory");
        goto out;
    }
    for (int v = 0; v < m->n_values; v++) {
        x.block[v] = -1;
        if (m->values[v].kind == GH_NN_VALUE_CONST)
            x.vals[v] = m->values[v].t;
    }
    for (int i = 0; i < n_in; i++) {
        const struct gh_nn_value *decl = &m->values[m->inputs[i]];
        const struct gh_nn_tensor *in = &inputs[i];
        size_t count;
        if ((st = check_shape(in->ndim, in->shape, &count)))
            goto out;
        if (!in->data && count) {
            st = gh_error(GH_ERR_ARGUMENT, "input '%s' has no data", decl->name);
            goto out;
        }
        if (in->dtype != decl->t.dtype) {
            st = gh_error(GH_ERR_ARGUMENT, "input '%s': wrong data type", decl->name);
            goto out;
        }
        if (decl->t.ndim >= 0) {
            int ok = decl->t.ndim == in->ndim;
            for (int d = 0; ok && d < in->ndim; d++)
                ok = decl->t.shape[d] < 0 || decl->t.shape[d] == in->shape[d];
            if (!ok) {
                st = gh_error(GH_ERR_ARGUMENT, "input '%s': shape does not match the model's", decl->name);
                goto out;
            }
        }
        x.vals[m->inputs[i]] = *in;
        if (m->shape_log)
            log_shape(m, m->inputs[i], in);
    }
    gh_nn_blas_threads(x.threads);
    if (!m->prof_node_ms)
        m->prof_node_ms = calloc((size_t)m->n_nodes + 1, sizeof *m->prof_node_ms);
    for (int i = 0; i < m->n_nodes; i++) {
        const struct gh_nn_node *node = &m->nodes[i];
        if (node->dead)
            continue;
        if (m->stop && *m->stop) {
            st = gh_error(GH_ERR_STOPPED, "interrupted");
            goto out;
        }
        x.node_index = i;
        double t0 = now_ms();
        st = gh_nn_ops[node->op].run(&x, node);
        m->prof_ms[node->op] += now_ms() - t0;
        m->prof_calls[node->op]++;
        if (m->prof_node_ms)
            m->prof_node_ms[i] += now_ms() - t0;
        for (int s = 0; s < x.n_scratch; s++)
            m->blocks[x.scratch[s]].used = 0;
        x.n_scratch = 0;
        if (st) {
            char where[512];
            snprintf(where, sizeof where, "node '%s' (%s)", node->name, gh_nn_ops[node->op].name);
            gh_error_prefix(st, where);
            goto out;
        }
        for (int k = 0; k < node->n_out; k++) {
            if (!x.vals[node->out[k]].data) {
                st = gh_error(GH_ERR_INTERNAL, "node '%s' (%s) left output %d unset", node->name,
                              gh_nn_ops[node->op].name, k);
                goto out;
            }
        }
        if (m->shape_log)
            for (int k = 0; k < node->n_out; k++)
                log_shape(m, node->out[k], &x.vals[node->out[k]]);
        /* Values read for the last time here, and outputs nobody reads. */
        for (int k = 0; k < node->n_in + node->n_out; k++) {
            int v = k < node->n_in ? node->in[k] : node->out[k - node->n_in];
            if (v >= 0 && x.block[v] >= 0 && m->values[v].last_use <= i) {
                m->blocks[x.block[v]].used = 0;
                x.block[v] = -1;
            }
        }
    }
    for (int i = 0; i < n_out; i++) {
        const struct gh_nn_tensor *t = &x.vals[m->outputs[i]];
        size_t bytes = gh_nn_tensor_count(t) * gh_nn_dtype_size(t->dtype);
        outputs[i] = *t;
        outputs[i].data = malloc(bytes ? bytes : 1);
        if (!outputs[i].data) {
            st = gh_error(GH_ERR_NOMEM, "model: out of memory");
            goto out;
        }
        /* t->data is set: graph.c refuses a model whose output no node produces. */
        memcpy(outputs[i].data, t->data, bytes); /* NOLINT(clang-analyzer-core.NonNullParamChecker) */
    }
out:
    if (st)
        for (int i = 0; i < n_out; i++)
            gh_nn_tensor_release(&outputs[i]);
    for (int b = 0; b < m->n_blocks; b++)
        m->blocks[b].used = 0;
    free(x.vals);
    free(x.block);
    return st;
}

enum gh_status gh_nn_run(struct gh_nn_model *m, const struct gh_nn_tensor *input, struct gh_nn_tensor *output)
{
    if (!m || !input || !output)
        return gh_error(GH_ERR_ARGUMENT, "gh_nn_run: NULL argument");
    output->data = NULL;
    if (input->dtype != GH_NN_F32)
        return gh_error(GH_ERR_ARGUMENT, "gh_nn_run: input must be float32");
    enum gh_status st = gh_nn_run_multi(m, 1, input, 1, output);
    if (!st && output->dtype != GH_NN_F32) {
        gh_nn_tensor_release(output);
        return gh_error(GH_ERR_MODEL, "model output is not float32");
    }
    return st;
}
