/* The built-in generators (src/nn/zoo.c, models.def): every name is unique,
 * carries a contract and a license, the embedded bytes are the file the list
 * names (same size and sha256 as models/), and the BGR contract swaps the
 * channels on the way in and out. */
#include "check.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ghiblify/io.h"
#include "ghiblify/nn.h"

static void check_catalog(void)
{
    int n = gh_nn_builtin_count();
    CHECK(n >= 6);
    CHECK(strcmp(gh_nn_builtin_at(0)->name, "hayao") == 0);
    CHECK(gh_nn_builtin_at(n) == NULL && gh_nn_builtin_at(-1) == NULL);
    CHECK(gh_nn_builtin_find("no-such-model") == NULL);
    for (int i = 0; i < n; i++) {
        const struct gh_nn_builtin *b = gh_nn_builtin_at(i);
        CHECK_MSG(gh_nn_builtin_find(b->name) == b, "%s found by name", b->name);
        CHECK_MSG(b->multiple == 4 || b->multiple == 8, "%s: multiple %d", b->name, b->multiple);
        CHECK_MSG(strlen(b->sha256) == 64, "%s: sha256", b->name);
        CHECK_MSG(strstr(b->license, "non-commercial") || strstr(b->license, "NC"), "%s: license",
                  b->name);
        if (!b->data)
            continue;
        /* The embedded bytes are exactly the file of that name in models/. */
        char rel[256];
        snprintf(rel, sizeof rel, "models/%s", b->file);
        size_t size = 0;
        unsigned char *file = NULL;
        if (gh_io_read_all(check_source_path(rel), (size_t)1 << 30, &file, &size) != GH_OK) {
            printf("%s not in models/: embedded bytes not compared\n", b->file);
            continue;
        }
        CHECK_MSG(size == b->size && memcmp(file, b->data, size) == 0, "%s: embedded bytes = %s",
                  b->name, rel);
        free(file);
    }
}

/* bgr=1 must equal bgr=0 on the channel-swapped photo, swapped back. */
static void check_bgr(void)
{
    const struct gh_nn_builtin *hayao = gh_nn_builtin_find("hayao");
    if (!hayao || !hayao->data) {
        printf("no built-in hayao: BGR contract not checked\n");
        return;
    }
    struct gh_nn_model *m = NULL;
    struct gh_image *in = NULL, *swapped = NULL, *a = NULL, *b = NULL;
    CHECK_OK(gh_nn_builtin_load(hayao, &m));
    CHECK_OK(gh_image_new(40, 24, 3, &in));
    CHECK_OK(gh_image_new(40, 24, 3, &swapped));
    if (!m || !in || !swapped)
        goto out;
    size_t plane = 40 * 24;
    for (size_t i = 0; i < plane; i++)
        for (int c = 0; c < 3; c++) /* a colored ramp: the three channels differ */
            in->data[c * plane + i] = (float)((i * (c + 3) + 7 * c) % 97) / 96.0f;
    for (int c = 0; c < 3; c++)
        memcpy(gh_image_plane(swapped, 2 - c), gh_image_plane(in, c), plane * sizeof(float));
    gh_nn_set_bgr(m, 1);
    CHECK_OK(gh_nn_stylize(m, in, 8, 1, &a));
    gh_nn_set_bgr(m, 0);
    CHECK_OK(gh_nn_stylize(m, swapped, 8, 1, &b));
    if (!a || !b)
        goto out;
    float worst = 0, diff_rgb = 0;
    for (int c = 0; c < 3; c++)
        for (size_t i = 0; i < plane; i++) {
            float d = gh_image_plane(a, c)[i] - gh_image_plane(b, 2 - c)[i];
            worst = d < 0 ? (-d > worst ? -d : worst) : (d > worst ? d : worst);
            float e = gh_image_plane(a, c)[i] - gh_image_plane(b, c)[i];
            diff_rgb += e < 0 ? -e : e;
        }
    CHECK_MSG(worst == 0.0f, "bgr run = swapped rgb run (max diff %g)", worst);
    CHECK_MSG(diff_rgb / (3.0f * plane) > 1e-3f, "and differs from the unswapped one (%g)",
              diff_rgb / (3.0f * plane));
out:
    gh_image_free(in);
    gh_image_free(swapped);
    gh_image_free(a);
    gh_image_free(b);
    gh_nn_free(m);
}

int main(void)
{
    check_catalog();
    check_bgr();
    return check_finish();
}
