/* Regressions of the allocation-failure sweep (tests/alloc/alloc_sweep.c;
 * GH_ALLOC_FAIL builds only): each function the sweep caught misbehaving is
 * called here with every one of its allocations failing in turn. Each call
 * must fail cleanly (GH_ERR_NOMEM, its output NULL) or succeed through a
 * fallback; a double free or a leak shows under ASan/LeakSanitizer (the
 * ASan build runs this), a crash in any build. */
#include "check.h"

#include "image/alloc_fail.h"
#include "ghiblify/ghiblify.h"

#include <stdio.h>
#include <string.h>

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

int main(void)
{
    test_resize();
    return check_finish();
}
