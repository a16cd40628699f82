/* Output names, input expansion, sharding and output planning. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "ghiblify/cli.h"

static struct gh_cli_config base_config(void)
{
    struct gh_cli_config c = {.suffix = "_ghibli", .quality = 92, .jobs = 1};
    return c;
}

static void check_name(const struct gh_cli_config *c, const char *input, const char *rel,
                       const char *expected)
{
    char *name = gh_cli_output_name(c, input, rel);
    CHECK_MSG(name && strcmp(name, expected) == 0, "%s -> %s, expected %s", input,
              name ? name : "(null)", expected);
    free(name);
}

static void test_names(void)
{
    struct gh_cli_config c = base_config();
    check_name(&c, "photo.jpg", "", "photo_ghibli.jpg");
    check_name(&c, "a/b/photo.JPEG", "", "a/b/photo_ghibli.JPEG");
    check_name(&c, "/abs/x.png", "", "/abs/x_ghibli.png");
    check_name(&c, "/x.png", "", "/x_ghibli.png");
    check_name(&c, "dir.v2/noext", "", "dir.v2/noext_ghibli.png");
    check_name(&c, ".hidden.png", "", ".hidden_ghibli.png");
    check_name(&c, "-", "", "-"); /* a filter: standard input to standard output */
    c.out_dir = "out";
    check_name(&c, "-", "", "out/stdin_ghibli.png");
    check_name(&c, "a/b/photo.jpg", "", "out/photo_ghibli.jpg");
    check_name(&c, "a/b/photo.jpg", "b", "out/b/photo_ghibli.jpg");
    c.out_dir = "out/";
    check_name(&c, "photo.jpg", "", "out/photo_ghibli.jpg");
    c.format = GH_FORMAT_PNG;
    check_name(&c, "photo.jpg", "", "out/photo_ghibli.png");
    check_name(&c, "photo.png", "", "out/photo_ghibli.png");
    c.format = GH_FORMAT_JPEG;
    check_name(&c, "photo.jpeg", "", "out/photo_ghibli.jpeg");
    check_name(&c, "photo.png", "", "out/photo_ghibli.jpg");
    c.suffix = "";
    check_name(&c, "photo.png", "", "out/photo.jpg");
    c.output = "given.png";
    check_name(&c, "photo.jpg", "", "given.png");

    struct gh_cli_config f = base_config();
    CHECK(gh_cli_output_format(&f, "x.JPG") == GH_FORMAT_JPEG);
    CHECK(gh_cli_output_format(&f, "x.png") == GH_FORMAT_PNG);
    CHECK(gh_cli_output_format(&f, "x") == GH_FORMAT_PNG);
    f.format = GH_FORMAT_JPEG;
    CHECK(gh_cli_output_format(&f, "x.png") == GH_FORMAT_JPEG);

    CHECK(gh_cli_is_output_name("a/photo_ghibli.jpg", "_ghibli"));
    CHECK(gh_cli_is_output_name("photo_ghibli_ghibli.PNG", "_ghibli"));
    CHECK(gh_cli_is_output_name("photo_ghibli", "_ghibli"));
    CHECK(!gh_cli_is_output_name("photo.jpg", "_ghibli"));
    CHECK(!gh_cli_is_output_name("_ghibli.jpg", "_ghibli")); /* the stem is only the suffix */
    CHECK(!gh_cli_is_output_name("a_ghibli/photo.jpg", "_ghibli"));
    CHECK(!gh_cli_is_output_name("photo_ghibli.jpg", ""));
    CHECK(!gh_cli_is_output_name("-", "_ghibli"));
}

static void test_shard_parse(void)
{
    int k = 0, n = 0;
    CHECK_OK(gh_cli_parse_shard("2/5", &k, &n));
    CHECK(k == 2 && n == 5);
    CHECK(gh_cli_parse_shard("0/5", &k, &n) == GH_ERR_ARGUMENT);
    CHECK(gh_cli_parse_shard("6/5", &k, &n) == GH_ERR_ARGUMENT);
    CHECK(gh_cli_parse_shard("1/0", &k, &n) == GH_ERR_ARGUMENT);
    CHECK(gh_cli_parse_shard("1", &k, &n) == GH_ERR_ARGUMENT);
    CHECK(gh_cli_parse_shard("1/2x", &k, &n) == GH_ERR_ARGUMENT);
    CHECK(gh_cli_parse_shard("a/2", &k, &n) == GH_ERR_ARGUMENT);
}

static void fill(struct gh_cli_items *items, int count, int reversed)
{
    for (int i = 0; i < count; i++) {
        char name[32];
        snprintf(name, sizeof name, "img%04d.jpg", reversed ? count - 1 - i : i);
        struct gh_cli_config c = base_config();
        CHECK_OK(gh_cli_expand(items, name, &c)); /* missing files still become items */
    }
}

static void test_shard_partition(void)
{
    enum { TOTAL = 103, SHARDS = 7 };
    int seen[TOTAL] = {0};
    size_t sizes[SHARDS];
    for (int k = 1; k <= SHARDS; k++) {
        struct gh_cli_items items = {0};
        /* Odd shards get the list in reverse: the shares must not depend on order. */
        fill(&items, TOTAL, k % 2);
        gh_cli_shard(&items, k, SHARDS);
        sizes[k - 1] = items.count;
        for (size_t i = 0; i < items.count; i++)
            seen[atoi(items.item[i].input + 3)]++;
        gh_cli_items_free(&items);
    }
    int each_once = 1;
    for (int i = 0; i < TOTAL; i++)
        each_once &= seen[i] == 1;
    CHECK_MSG(each_once, "every input in exactly one share");
    for (int k = 0; k < SHARDS; k++)
        CHECK_MSG(sizes[k] == TOTAL / SHARDS || sizes[k] == TOTAL / SHARDS + 1,
                  "share %d has %zu inputs", k + 1, sizes[k]);

    struct gh_cli_items items = {0};
    fill(&items, 5, 0);
    gh_cli_shard(&items, 1, 1);
    CHECK(items.count == 5);
    gh_cli_items_free(&items);
}

static void touch(const char *path)
{
    FILE *f = fopen(path, "w");
    CHECK_MSG(f != NULL, "create %s", path);
    if (f)
        CHECK(fclose(f) == 0);
}

static void test_expand(void)
{
    char dir[] = "cli_expand_XXXXXX";
    CHECK(mkdtemp(dir) != NULL);
    char p[256];
    const char *files[] = {"b.jpg", "a.PNG", "c.txt", ".hidden.png", "sub/d.jpeg", "empty/x.md"};
    snprintf(p, sizeof p, "%s/sub", dir);
    mkdir(p, 0777);
    snprintf(p, sizeof p, "%s/empty", dir);
    mkdir(p, 0777);
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        snprintf(p, sizeof p, "%s/%s", dir, files[i]);
        touch(p);
    }
    struct gh_cli_items items = {0};
    struct gh_cli_config flat = base_config(), deep = base_config();
    deep.recursive = 1;
    CHECK_OK(gh_cli_expand(&items, dir, &flat));
    CHECK_MSG(items.count == 2, "%zu items", items.count);
    if (items.count == 2) {
        CHECK(strstr(items.item[0].input, "/a.PNG") != NULL);
        CHECK(strstr(items.item[1].input, "/b.jpg") != NULL);
        CHECK(items.item[0].error == NULL);
    }
    gh_cli_items_free(&items);

    CHECK_OK(gh_cli_expand(&items, dir, &deep));
    CHECK_MSG(items.count == 3, "%zu items", items.count);
    if (items.count == 3) {
        CHECK(strstr(items.item[2].input, "sub/d.jpeg") != NULL);
        CHECK(strcmp(items.item[2].rel_dir, "sub") == 0);
    }
    gh_cli_items_free(&items);

    /* -r never descends into the output folder (given by another spelling). */
    char sub_spelled[300];
    snprintf(sub_spelled, sizeof sub_spelled, "./%s//sub/", dir);
    deep.out_dir = sub_spelled;
    CHECK_OK(gh_cli_expand(&items, dir, &deep));
    CHECK_MSG(items.count == 2, "-r with -d inside: %zu items", items.count);
    gh_cli_items_free(&items);
    deep.out_dir = NULL;
    deep.dump_dir = sub_spelled;
    CHECK_OK(gh_cli_expand(&items, dir, &deep));
    CHECK_MSG(items.count == 2, "-r with --dump-stages inside: %zu items", items.count);
    gh_cli_items_free(&items);

    /* Earlier outputs become skipped items, also when named directly. */
    snprintf(p, sizeof p, "%s/b_ghibli.jpg", dir);
    touch(p);
    CHECK_OK(gh_cli_expand(&items, dir, &flat));
    CHECK_OK(gh_cli_expand(&items, p, &flat));
    CHECK_MSG(items.count == 4, "%zu items", items.count);
    if (items.count == 4) {
        CHECK(items.item[2].earlier_output && items.item[2].skip &&
              strstr(items.item[2].skip, "another --suffix"));
        CHECK(items.item[3].earlier_output && items.item[3].skip);
        CHECK(!items.item[0].earlier_output && !items.item[0].skip);
    }
    gh_cli_items_free(&items);
    flat.suffix = "_x";
    CHECK_OK(gh_cli_expand(&items, p, &flat));
    CHECK(items.count == 1 && !items.item[0].skip);
    gh_cli_items_free(&items);
    flat.suffix = "_ghibli";
    CHECK(unlink(p) == 0);

    snprintf(p, sizeof p, "%s/empty", dir);
    CHECK_OK(gh_cli_expand(&items, p, &flat));
    CHECK(items.count == 1 && items.item[0].error && strstr(items.item[0].error, "no images (PNG, JPEG, WebP, HEIC, AVIF)"));
    gh_cli_items_free(&items);

    CHECK_OK(gh_cli_expand(&items, "definitely/missing.jpg", &flat));
    CHECK(items.count == 1 && items.item[0].error &&
          strstr(items.item[0].error, "No such file or directory"));
    gh_cli_items_free(&items);

    /* Outputs: a collision, and an output that is one of the inputs (via a symlink). */
    struct gh_cli_config c = base_config();
    char a[256], b[256], link_path[256];
    snprintf(a, sizeof a, "%s/b.jpg", dir);
    snprintf(b, sizeof b, "%s/sub/b.jpg", dir);
    touch(b);
    c.out_dir = dir;
    CHECK_OK(gh_cli_expand(&items, a, &c));
    CHECK_OK(gh_cli_expand(&items, b, &c));
    CHECK_OK(gh_cli_plan_outputs(&c, &items));
    CHECK(items.item[0].error == NULL);
    CHECK(items.item[1].error && strstr(items.item[1].error, "would also be written"));
    gh_cli_items_free(&items);

    snprintf(link_path, sizeof link_path, "%s/b_ghibli.jpg", dir);
    CHECK(symlink("b.jpg", link_path) == 0);
    CHECK_OK(gh_cli_expand(&items, a, &c));
    CHECK_OK(gh_cli_plan_outputs(&c, &items));
    CHECK(items.item[0].error && strstr(items.item[0].error, "is an input file"));
    gh_cli_items_free(&items);
    /* With --skip-existing the same output exists, so the item is skipped, not failed. */
    c.existing = GH_EXISTING_SKIP;
    CHECK_OK(gh_cli_expand(&items, a, &c));
    CHECK_OK(gh_cli_plan_outputs(&c, &items));
    CHECK(!items.item[0].error && items.item[0].skip && strstr(items.item[0].skip, "skipped"));
    gh_cli_items_free(&items);
    c.existing = GH_EXISTING_REFUSE;

    c.out_dir = NULL;
    c.suffix = "";
    CHECK_OK(gh_cli_expand(&items, a, &c));
    CHECK_OK(gh_cli_plan_outputs(&c, &items));
    CHECK(items.item[0].error && strstr(items.item[0].error, "is an input file"));
    gh_cli_items_free(&items);

    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    CHECK(system(cmd) == 0);
}

int main(void)
{
    test_names();
    test_shard_parse();
    test_shard_partition();
    test_expand();
    return check_finish();
}
