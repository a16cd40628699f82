/* Regressions of the allocation-failure sweep (tests/alloc/alloc_sweep.c;
 * GH_ALLOC_FAIL builds only): each function the sweep caught misbehaving is
 * called here with every one of its allocations failing in turn. Each call
 * must fail cleanly (GH_ERR_NOMEM, its output NULL) or succeed through a
 * fallback; a double free or a leak shows under ASan/LeakSanitizer (the
 * ASan build runs this), a crash in any build. */
#include "check.h"

#include "image/alloc_fail.h"
#include "ghiblify/ghiblify.h"
#include "ghiblify/nn.h"

#include <stdio.h>
#include <string.h>

#include "tflite_builder.h"

/* One call under test: runs it, returns its status; frees its result. */
struct call {
    const char *name;
    enum gh_status (*run)(void *ctx);
    void (*release)(void *ctx);
    void *ctx;
};

/* Fails allocation 1, 2, ... of the call until one run makes no allocation
 * fail; returns how many allocations the call makes. */
static int fail_each(const struct call *c)
{
    for (uint64_t n = 1; n < 100000; n++) {
        gh_alloc_fail_at(n);
        enum gh_status st = c->run(c->ctx);
        int injected = gh_alloc_failed();
        gh_alloc_fail_at(0);
        if (!injected) {
            CHECK_MSG(st == GH_OK, "%s: %s without an injected failure (%s)", c->name,
                      gh_strerror(st), gh_error_detail());
            c->release(c->ctx);
            return (int)n - 1;
        }
        CHECK_MSG(st == GH_OK || st == GH_ERR_NOMEM, "%s: allocation %llu failing gave %s (%s)",
                  c->name, (unsigned long long)n, gh_strerror(st), gh_error_detail());
        if (st != GH_OK)
            CHECK_MSG(gh_error_detail()[0] != 0, "%s: allocation %llu: no detail", c->name,
                      (unsigned long long)n);
        c->release(c->ctx);
    }
    CHECK_MSG(0, "%s: never ran without a failure", c->name);
    return -1;
}

/* gh_ops_resize: a failed table allocation freed the tables, then the
 * cleanup freed them again (found at N = 4275 of the default pipeline's
 * 4624, in the depth stage's area shrink). */
struct resize_ctx {
    struct gh_image *in, *out;
    int width, height;
    enum gh_interp interp;
};

static enum gh_status resize_run(void *p)
{
    struct resize_ctx *r = p;
    enum gh_status st = gh_ops_resize(r->in, r->width, r->height, r->interp, 1, &r->out);
    if (st != GH_OK)
        CHECK(r->out == NULL);
    return st;
}

static void resize_release(void *p)
{
    struct resize_ctx *r = p;
    gh_image_free(r->out);
    r->out = NULL;
}

static void test_resize(void)
{
    struct gh_image *in = NULL;
    CHECK_OK(gh_image_new(40, 30, 3, &in));
    for (size_t i = 0; i < gh_image_plane_size(in) * 3; i++)
        in->data[i] = (float)(i % 17) / 16.0f;
    const enum gh_interp kinds[] = {GH_INTERP_NEAREST, GH_INTERP_LINEAR, GH_INTERP_AREA,
                                    GH_INTERP_CUBIC, GH_INTERP_LANCZOS4};
    const int sizes[][2] = {{13, 9}, {80, 61}, {40, 12}, {17, 30}};
    for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
        for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
            struct resize_ctx r = {in, NULL, sizes[s][0], sizes[s][1], kinds[k]};
            char name[64];
            snprintf(name, sizeof name, "resize %d to %dx%d", (int)kinds[k], sizes[s][0],
                     sizes[s][1]);
            struct call c = {name, resize_run, resize_release, &r};
            CHECK(fail_each(&c) > 0);
        }
    gh_image_free(in);
}

/* The ONNX loader: a failed growth of the graph's output list, after the
 * output's name had been parsed, leaked the name (found by clang-tidy's
 * analyzer, tools/lint.sh; LeakSanitizer reports it here without the fix). */
struct load_ctx {
    const char *path;
    struct gh_nn_model *model;
};

static enum gh_status load_run(void *p)
{
    struct load_ctx *l = p;
    enum gh_status st = gh_nn_load_file(l->path, &l->model);
    if (st != GH_OK)
        CHECK(l->model == NULL);
    return st;
}

static void load_release(void *p)
{
    struct load_ctx *l = p;
    gh_nn_free(l->model);
    l->model = NULL;
}

static void test_onnx_load(void)
{
    const char *models[] = {"tests/data/nn/depth_probe.onnx", "tests/data/nn/tile_attn.onnx"};
    for (size_t i = 0; i < sizeof models / sizeof models[0]; i++) {
        char path[4096];
        snprintf(path, sizeof path, "%s", check_source_path(models[i]));
        struct load_ctx l = {path, NULL};
        struct call c = {models[i], load_run, load_release, &l};
        CHECK(fail_each(&c) > 0);
    }
}

/* The TFLite loader: an AVERAGE_POOL_2D with SAME padding becomes a window sum
 * divided by window counts; when adding the first of its two constants failed,
 * the second's buffer leaked (found by gcc -fanalyzer, tools/lint.sh's notes in
 * tools/BENCHMARKS.md; LeakSanitizer reports it here without the fix). */
struct mem_ctx {
    const uint8_t *data;
    size_t size;
    struct gh_nn_model *model;
};

static enum gh_status mem_run(void *p)
{
    struct mem_ctx *l = p;
    enum gh_status st = gh_nn_load_memory(l->data, l->size, &l->model);
    if (st != GH_OK)
        CHECK(l->model == NULL);
    return st;
}

static void mem_release(void *p)
{
    struct mem_ctx *l = p;
    gh_nn_free(l->model);
    l->model = NULL;
}

static void test_tflite_pool_load(void)
{
    enum { AVG_POOL_2D = 1 };
    struct tb_model m;
    memset(&m, 0, sizeof m);
    int32_t sx[4] = {1, 8, 8, 3}, sy[4] = {1, 4, 4, 3}; /* as test_nn_tflite_ops.c pool_case(3, 2, 1, 8, 8, ...) */
    int x = tb_tensor(&m, TB_F32, 4, sx, NULL, 0), y = tb_tensor(&m, TB_F32, 4, sy, NULL, 0);
    int32_t in[1] = {x};
    struct tb_op *op = tb_op(&m, AVG_POOL_2D, 5, 1, in, y);
    tb_opt(op, 0, 1, 0); /* SAME */
    tb_opt(op, 1, 4, 2); /* strides */
    tb_opt(op, 2, 4, 2);
    tb_opt(op, 3, 4, 3); /* 3x3 window */
    tb_opt(op, 4, 4, 3);
    m.n_in = m.n_out = 1;
    m.in[0] = x;
    m.out[0] = y;
    struct mem_ctx l = {NULL, 0, NULL};
    uint8_t *d = tb_build(&m, &l.size);
    l.data = d;
    struct call c = {"TFLite AVERAGE_POOL_2D SAME", mem_run, mem_release, &l};
    CHECK(fail_each(&c) > 0);
    free(d);
}

int main(void)
{
    test_resize();
    test_onnx_load();
    test_tflite_pool_load();
    return check_finish();
}
