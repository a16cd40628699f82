/* gh_ops_long_contours and gh_ops_edge_density against references written
 * here: components by iterated minimum-label propagation (a different method
 * from the library's breadth-first search), density by counting each window
 * directly with reflect-101 indices. */
#include <stdint.h>
#include <string.h>

#include "ghiblify/ops.h"
#include "test_ops_golden.h"

/* Labels every edge pixel with the smallest index in its 8-connected
 * component by sweeping until nothing changes; keeps the components with
 * enough pixels and a long enough bounding-box diagonal. */
static struct gh_image *reference_contours(const struct gh_image *e, int min_length, double min_diag)
{
    int w = e->width, h = e->height;
    size_t n = gh_image_plane_size(e);
    int32_t *label = malloc(n * sizeof *label);
    size_t *count = calloc(n, sizeof *count);
    int *x0 = malloc(n * sizeof *x0), *x1 = malloc(n * sizeof *x1), *y0 = malloc(n * sizeof *y0),
        *y1 = malloc(n * sizeof *y1);
    struct gh_image *out = NULL;
    if (!label || !count || !x0 || !x1 || !y0 || !y1 || gh_image_new(w, h, 1, &out) != GH_OK)
        goto done;
    for (size_t i = 0; i < n; i++)
        label[i] = e->data[i] > 0.5f ? (int32_t)i : -1;
    for (int changed = 1; changed;) {
        changed = 0;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                int32_t *l = &label[(size_t)y * w + x];
                if (*l < 0) /* NOLINT(clang-analyzer-core.UndefinedBinaryOperatorResult): all n are set above */
                    continue;
                for (int dy = -1; dy <= 1; dy++)
                    for (int dx = -1; dx <= 1; dx++) {
                        int xx = x + dx, yy = y + dy;
                        if (xx < 0 || yy < 0 || xx >= w || yy >= h)
                            continue;
                        int32_t m = label[(size_t)yy * w + xx];
                        if (m >= 0 && m < *l) {
                            *l = m;
                            changed = 1;
                        }
                    }
            }
    }
    for (size_t i = 0; i < n; i++) {
        x0[i] = y0[i] = 1 << 30;
        x1[i] = y1[i] = -1;
    }
    for (size_t i = 0; i < n; i++) {
        if (label[i] < 0)
            continue;
        int x = (int)(i % (size_t)w), y = (int)(i / (size_t)w), l = label[i];
        count[l]++;
        x0[l] = x < x0[l] ? x : x0[l];
        x1[l] = x > x1[l] ? x : x1[l];
        y0[l] = y < y0[l] ? y : y0[l];
        y1[l] = y > y1[l] ? y : y1[l];
    }
    for (size_t i = 0; i < n; i++) {
        int l = label[i];
        if (l < 0)
            continue;
        double bw = x1[l] - x0[l] + 1, bh = y1[l] - y0[l] + 1;
        out->data[i] = count[l] >= (size_t)min_length && sqrt(bw * bw + bh * bh) >= min_diag - 1e-9;
    }
done:
    free(label);
    free(count);
    free(x0);
    free(x1);
    free(y0);
    free(y1);
    return out;
}

static size_t ones(const struct gh_image *m)
{
    size_t k = 0;
    for (size_t i = 0; m && i < gh_image_plane_size(m); i++)
        k += m->data[i] > 0.5f;
    return k;
}

/* Ours at 1 and 3 threads must equal the reference exactly; returns the kept
 * pixel count. */
static size_t check_contours(const struct gh_image *e, int min_length, double min_diag, const char *what)
{
    struct gh_image *ref = reference_contours(e, min_length, min_diag), *a = NULL, *b = NULL;
    CHECK_OK(gh_ops_long_contours(e, min_length, min_diag, 1, &a));
    CHECK_OK(gh_ops_long_contours(e, min_length, min_diag, 3, &b));
    CHECK_MSG(ref && max_abs_diff(a, ref) == 0 && max_abs_diff(b, ref) == 0,
              "%s (min %d, diagonal %g): %zu kept, reference %zu", what, min_length, min_diag,
              ones(a), ones(ref));
    size_t k = ones(a);
    gh_image_free(ref);
    gh_image_free(a);
    gh_image_free(b);
    return k;
}

static void set(struct gh_image *m, int x, int y)
{
    if (x >= 0 && y >= 0 && x < m->width && y < m->height)
        m->data[(size_t)y * m->width + x] = 1;
}

static struct gh_image *blank(int w, int h)
{
    struct gh_image *m = NULL;
    CHECK_OK(gh_image_new(w, h, 1, &m));
    return m;
}

/* A rectangular spiral of 1-px lines, 2 px apart: one component of many
 * pixels inside a small box. */
static void test_spiral(void)
{
    struct gh_image *m = blank(41, 41);
    if (!m)
        return;
    int x = 0, y = 0, len = 40, dir = 0, total = 0;
    static const int dx[4] = {1, 0, -1, 0}, dy[4] = {0, 1, 0, -1};
    set(m, x, y);
    total = 1;
    for (int leg = 0; len > 0; leg++) {
        for (int k = 0; k < len; k++) {
            x += dx[dir];
            y += dy[dir];
            set(m, x, y);
            total++;
        }
        dir = (dir + 1) % 4;
        if (leg % 2 == 1 || leg == 0)
            len -= 2;
    }
    size_t px = ones(m);
    CHECK_MSG(check_contours(m, (int)px, 0, "spiral") == px, "the whole spiral is one component");
    CHECK(check_contours(m, (int)px + 1, 0, "spiral") == 0);
    /* Its box is 41 x 39 (the second leg is 2 shorter): a diagonal of 56.59. */
    CHECK(check_contours(m, 10, 56.5, "spiral") == px);
    CHECK(check_contours(m, 10, 56.7, "spiral") == 0);
    CHECK_MSG(px == (size_t)total, "spiral drawn over itself: %zu of %d", px, total);
    gh_image_free(m);
}

/* Two 30 px lines that touch (end to end at a corner, and crossing) count as
 * one 60 px component; apart, neither is long enough. */
static void test_touching(void)
{
    struct gh_image *m = blank(80, 40);
    if (!m)
        return;
    for (int k = 0; k < 30; k++)
        set(m, 5 + k, 5); /* horizontal, ends at (34, 5) */
    for (int k = 0; k < 30; k++)
        set(m, 35 + k, 6 + k); /* diagonal, starts at (35, 6): touches only at a corner */
    CHECK(check_contours(m, 60, 0, "touching at a corner") == 60);
    CHECK(check_contours(m, 61, 0, "touching at a corner") == 0);
    gh_image_free(m);
    m = blank(80, 40);
    if (!m)
        return;
    for (int k = 0; k < 30; k++)
        set(m, 5 + k, 5);
    for (int k = 0; k < 30; k++)
        set(m, 40 + k, 5); /* 5 px gap */
    CHECK(check_contours(m, 31, 0, "apart") == 0);
    CHECK(check_contours(m, 30, 0, "apart") == 60);
    gh_image_free(m);
}

/* A diagonal staircase whose pixels touch only at corners is one 8-connected
 * component, and so are anti-diagonals. */
static void test_diagonal(void)
{
    struct gh_image *m = blank(50, 50);
    if (!m)
        return;
    for (int k = 0; k < 50; k++)
        set(m, k, k);
    for (int k = 0; k < 20; k++)
        set(m, 30 + k, 19 - k); /* touches nothing else */
    CHECK(check_contours(m, 50, 0, "diagonal") == 50);
    CHECK(check_contours(m, 20, 0, "diagonal") == 70);
    CHECK(check_contours(m, 21, 0, "diagonal") == 50);
    gh_image_free(m);
}

/* Components on the borders and wrapping around corners; single-row and
 * single-column images; a lone pixel in a 1x1 image. */
static void test_borders(void)
{
    struct gh_image *m = blank(30, 20);
    if (!m)
        return;
    for (int x = 0; x < 30; x++)
        set(m, x, 0);
    for (int y = 0; y < 20; y++)
        set(m, 29, y); /* top row and right column: 49 px */
    for (int x = 0; x < 10; x++)
        set(m, x, 19); /* bottom-left: 10 px, far from the others */
    set(m, 0, 2);      /* not touching row 0 (1 px gap) */
    CHECK(check_contours(m, 49, 0, "borders") == 49);
    CHECK(check_contours(m, 10, 0, "borders") == 59);
    CHECK(check_contours(m, 1, 0, "borders") == 60);
    gh_image_free(m);
    static const int sizes[][2] = {{1, 1}, {17, 1}, {1, 17}};
    for (int s = 0; s < 3; s++) {
        m = blank(sizes[s][0], sizes[s][1]);
        for (size_t i = 0; m && i < gh_image_plane_size(m); i++)
            m->data[i] = i % 5 != 3;
        check_contours(m, 1, 0, "thin image");
        check_contours(m, 3, 0, "thin image");
        check_contours(m, 4, 3.5, "thin image");
        gh_image_free(m);
    }
}

/* A filled 8x8 square has 64 pixels but a diagonal of only 11.3. */
static void test_blob(void)
{
    struct gh_image *m = blank(40, 40);
    if (!m)
        return;
    for (int y = 10; y < 18; y++)
        for (int x = 10; x < 18; x++)
            set(m, x, y);
    CHECK(check_contours(m, 60, 0, "blob") == 64);
    CHECK(check_contours(m, 60, 30, "blob") == 0);
    gh_image_free(m);
}

/* Random maps of several densities (sparse bits to one big cluster). */
static void test_random(void)
{
    for (unsigned seed = 1; seed <= 6; seed++) {
        struct gh_image *m = noise_image(97, 61, 1, seed);
        float keep = 0.1f * (float)seed; /* 10% .. 60% edge pixels */
        for (size_t i = 0; m && i < gh_image_plane_size(m); i++)
            m->data[i] = m->data[i] < keep ? 0.9f : 0.2f;
        check_contours(m, 1, 0, "random");
        check_contours(m, 5, 0, "random");
        check_contours(m, 12, 6, "random");
        check_contours(m, 60, 30, "random");
        gh_image_free(m);
    }
    struct gh_image *m = blank(64, 48);
    CHECK(check_contours(m, 0, 0, "empty") == 0);
    gh_image_free(m);
}

static void test_errors(void)
{
    struct gh_image *rgb = blank(4, 4), *out = NULL, *three = NULL;
    CHECK_OK(gh_image_new(4, 4, 3, &three));
    CHECK(gh_ops_long_contours(three, 5, 0, 1, &out) == GH_ERR_ARGUMENT && out == NULL);
    CHECK(gh_ops_edge_density(three, 5, 1, &out) == GH_ERR_ARGUMENT && out == NULL);
    CHECK(gh_ops_edge_density(rgb, -1, 1, &out) == GH_ERR_ARGUMENT && out == NULL);
    gh_image_free(rgb);
    gh_image_free(three);
}

static int reflect101(int i, int n)
{
    if (n == 1)
        return 0;
    while (i < 0 || i >= n)
        i = i < 0 ? -i : 2 * (n - 1) - i;
    return i;
}

static void test_density(void)
{
    static const int cases[][3] = {{97, 61, 15}, {31, 31, 15}, {12, 40, 15}, {50, 20, 0}, {7, 3, 4}};
    for (int c = 0; c < 5; c++) {
        int w = cases[c][0], h = cases[c][1], r = cases[c][2];
        struct gh_image *m = noise_image(w, h, 1, 7 + (unsigned)c), *a = NULL, *b = NULL;
        for (size_t i = 0; m && i < gh_image_plane_size(m); i++)
            m->data[i] = m->data[i] < 0.3f ? 1.0f : m->data[i] < 0.5f ? 0.5f : 0.0f;
        CHECK_OK(gh_ops_edge_density(m, r, 1, &a));
        CHECK_OK(gh_ops_edge_density(m, r, 4, &b));
        CHECK(max_abs_diff(a, b) == 0);
        double worst = 0;
        for (int y = 0; a && m && y < h; y++)
            for (int x = 0; x < w; x++) {
                int k = 0;
                for (int dy = -r; dy <= r; dy++)
                    for (int dx = -r; dx <= r; dx++)
                        k += m->data[(size_t)reflect101(y + dy, h) * w + reflect101(x + dx, w)] > 0.5f;
                double want = k / (double)((2 * r + 1) * (2 * r + 1));
                worst = fmax(worst, fabs(a->data[(size_t)y * w + x] - want));
            }
        CHECK_MSG(a && worst < 1e-5, "density %dx%d radius %d: off by %g", w, h, r, worst);
        gh_image_free(m);
        gh_image_free(a);
        gh_image_free(b);
    }
}

int main(void)
{
    test_spiral();
    test_touching();
    test_diagonal();
    test_borders();
    test_blob();
    test_random();
    test_errors();
    test_density();
    return check_finish();
}
