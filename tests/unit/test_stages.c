/* Stage selection, parameter parsing and pipeline order. */
#include <string.h>

#include "check.h"
#include "ghiblify/stages.h"

static int enabled(const struct gh_pipeline *p, const char *name)
{
    int count;
    const struct gh_stage_def *const *table = gh_stages_table(&count);
    for (int i = 0; i < count; i++)
        if (strcmp(table[i]->name, name) == 0)
            return p->enabled[i];
    return -1;
}

static int param_index(const char *stage, const char *param, int *si)
{
    int count;
    const struct gh_stage_def *const *table = gh_stages_table(&count);
    for (int i = 0; i < count; i++)
        if (strcmp(table[i]->name, stage) == 0)
            for (int k = 0; k < table[i]->param_count; k++)
                if (strcmp(table[i]->params[k].name, param) == 0) {
                    *si = i;
                    return k;
                }
    return -1;
}

static void test_select(void)
{
    struct gh_pipeline p;
    gh_pipeline_init(&p);
    CHECK(enabled(&p, "resize") == 1);
    CHECK(enabled(&p, "denoise") == 1);
    CHECK(enabled(&p, "stylize") == 1);
    CHECK(enabled(&p, "upsample") == 1);

    CHECK_OK(gh_pipeline_select(&p, "denoise", NULL));
    CHECK(enabled(&p, "resize") == 0);
    CHECK(enabled(&p, "denoise") == 1);
    CHECK(enabled(&p, "upsample") == 0);

    gh_pipeline_init(&p);
    CHECK_OK(gh_pipeline_select(&p, NULL, "denoise,upsample"));
    CHECK(enabled(&p, "resize") == 1);
    CHECK(enabled(&p, "denoise") == 0);
    CHECK(enabled(&p, "upsample") == 0);

    /* An unknown name fails and leaves the selection untouched. */
    gh_pipeline_init(&p);
    CHECK(gh_pipeline_select(&p, "resize,bogus", NULL) == GH_ERR_ARGUMENT);
    CHECK(strstr(gh_error_detail(), "bogus") != NULL);
    CHECK(enabled(&p, "denoise") == 1);
    CHECK(gh_pipeline_select(&p, NULL, "nope") == GH_ERR_ARGUMENT);
    CHECK(enabled(&p, "denoise") == 1);
}

static void test_params(void)
{
    struct gh_pipeline p;
    int si = -1;
    gh_pipeline_init(&p);
    int k = param_index("resize", "size", &si);
    CHECK(k >= 0);
    if (k < 0)
        return; /* no such parameter: failed above, and p.params[si][-1] would be out of bounds */
    CHECK(p.params[si][k] == 1024);
    CHECK_OK(gh_pipeline_set(&p, "resize", "size", "512"));
    CHECK(p.params[si][k] == 512);
    CHECK(gh_pipeline_set(&p, "resize", "size", "12.5") == GH_ERR_ARGUMENT);
    CHECK(gh_pipeline_set(&p, "resize", "size", "abc") == GH_ERR_ARGUMENT);
    CHECK(gh_pipeline_set(&p, "resize", "size", "1") == GH_ERR_ARGUMENT);
    CHECK(gh_pipeline_set(&p, "resize", "nosuch", "1") == GH_ERR_ARGUMENT);
    CHECK(p.params[si][k] == 512);

    k = param_index("denoise", "method", &si);
    CHECK(k >= 0);
    if (k < 0)
        return;
    CHECK_OK(gh_pipeline_set(&p, "denoise", "method", "gaussian"));
    CHECK(p.params[si][k] == 1);
    CHECK(gh_pipeline_set(&p, "denoise", "method", "median") == GH_ERR_ARGUMENT);
    CHECK(strstr(gh_error_detail(), "bilateral") != NULL);
}

/* Records which stages ran, in order. */
static enum gh_status observe(void *user, const char *name, const struct gh_image *image)
{
    char *log = user;
    char entry[64];
    snprintf(entry, sizeof entry, "%s:%dx%d ", name, image->width, image->height);
    strncat(log, entry, 255 - strlen(log)); /* log is char[256] (test_run) */
    return GH_OK;
}

static void test_run(void)
{
    struct gh_pipeline p;
    struct gh_image *in = NULL, *out = NULL;
    char log[256] = "";
    gh_pipeline_init(&p);
    CHECK_OK(gh_pipeline_set(&p, "resize", "size", "40"));
    CHECK_OK(gh_image_new(100, 50, 3, &in));
    for (size_t i = 0; i < gh_image_plane_size(in) * 3; i++)
        in->data[i] = (float)(i % 7) / 7.0f;
    struct gh_stage_ctx ctx = {.threads = 2, .original_width = 100, .original_height = 50};
    /* Selection order does not change pipeline order. */
    CHECK_OK(gh_pipeline_select(&p, "upsample,resize", NULL));
    CHECK_OK(gh_pipeline_run(&p, &ctx, in, observe, log, &out));
    CHECK_MSG(strcmp(log, "resize:40x20 upsample:100x50 ") == 0, "log: %s", log);
    CHECK(out && out->width == 100 && out->height == 50);
    gh_image_free(out);
    out = NULL;

    CHECK_OK(gh_pipeline_select(&p, "", NULL));
    CHECK_OK(gh_pipeline_run(&p, &ctx, in, NULL, NULL, &out));
    CHECK(out && memcmp(out->data, in->data, gh_image_plane_size(in) * 3 * sizeof(float)) == 0);
    gh_image_free(out);
    gh_image_free(in);
}

/* Without a generator the stylize stage fails and says how to get one. */
static void test_stylize_without_model(void)
{
    struct gh_pipeline p;
    struct gh_image *in = NULL, *out = NULL;
    gh_pipeline_init(&p);
    CHECK_OK(gh_pipeline_select(&p, "stylize", NULL));
    CHECK_OK(gh_image_new(32, 32, 3, &in));
    struct gh_stage_ctx ctx = {.threads = 1, .original_width = 32, .original_height = 32};
    CHECK(gh_pipeline_run(&p, &ctx, in, NULL, NULL, &out) == GH_ERR_MODEL);
    CHECK(out == NULL);
    CHECK_MSG(strstr(gh_error_detail(), "stylize: ") == gh_error_detail() &&
                  strstr(gh_error_detail(), "tools/fetch-models.sh") != NULL,
              "detail: %s", gh_error_detail());
    gh_image_free(in);
}

int main(void)
{
    test_stylize_without_model();
    test_select();
    test_params();
    test_run();
    return check_finish();
}
