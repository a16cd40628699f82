/* k-means against cv2.kmeans, palettes, palette mapping and SLIC against
 * skimage.segmentation.slic (boundary recall, under-segmentation error). */
#include "ghiblify/ops.h"
#include "test_ops_golden.h"

static float *points_of(const struct gh_image *img)
{
    size_t n = gh_image_plane_size(img);
    float *p = malloc(n * 3 * sizeof *p);
    for (size_t i = 0; p && i < n; i++)
        for (int c = 0; c < 3; c++)
            p[i * 3 + (size_t)c] = gh_image_plane(img, c)[i];
    return p;
}

static void test_kmeans_path(const struct gh_image *rgb)
{
    size_t n = gh_image_plane_size(rgb);
    float *pts = points_of(rgb);
    int *labels = malloc(n * sizeof *labels);
    CHECK(pts && labels);
    if (!pts || !labels)
        goto out;
    /* k = 4 and 8 take the AVX2 kernel where the CPU has it, 16 the portable one */
    static const int ks[] = {4, 8, 16};
    for (int i = 0; i < 3; i++) {
        char key[64];
        double ref = 0, e1 = 0, e2 = 0, sub = 0;
        snprintf(key, sizeof key, "kmeans_k%d_inertia", ks[i]);
        CHECK(golden_read_values("kmeans.txt", key, &ref, 1) == 1);
        float c1[16 * 3], c2[16 * 3];
        struct gh_kmeans_params p = {.k = ks[i], .attempts = 3, .seed = 7};
        CHECK_OK(gh_ops_kmeans(pts, n, 3, &p, 1, c1, labels, &e1));
        CHECK_OK(gh_ops_kmeans(pts, n, 3, &p, 2, c2, NULL, &e2));
        /* deterministic whatever the thread count */
        CHECK(e1 == e2 && memcmp(c1, c2, (size_t)ks[i] * 3 * sizeof(float)) == 0);
        /* inertia agrees with the labels */
        double check = 0;
        for (size_t q = 0; q < n; q++)
            for (int d = 0; d < 3; d++) {
                double t = pts[q * 3 + (size_t)d] - c1[labels[q] * 3 + d];
                check += t * t;
            }
        CHECK(fabs(check - e1) <= 1e-3 * e1);
        p.max_samples = 4000;
        p.attempts = 1;
        CHECK_OK(gh_ops_kmeans(pts, n, 3, &p, 2, c2, NULL, &sub));
        printf("kmeans k=%d: inertia %.4f (3 attempts), %.4f (1 attempt on 4000 samples), "
               "cv2.kmeans best of 3: %.4f, ratio %.4f\n", ks[i], e1, sub, ref, e1 / ref);
        CHECK_MSG(e1 <= 1.01 * ref, "k=%d inertia %g vs OpenCV %g", ks[i], e1, ref);
        CHECK_MSG(sub <= 1.03 * ref, "k=%d subsampled inertia %g vs OpenCV %g", ks[i], sub, ref);
    }
    /* k = n and bad arguments */
    float three[9] = {0, 0, 0, 1, 1, 1, 0.5f, 0.2f, 0.1f}, c[9];
    double e = -1;
    struct gh_kmeans_params p = {.k = 3, .seed = 1};
    CHECK_OK(gh_ops_kmeans(three, 3, 3, &p, 2, c, NULL, &e));
    CHECK(e == 0);
    p.k = 4;
    CHECK(gh_ops_kmeans(three, 3, 3, &p, 2, c, NULL, &e) == GH_ERR_ARGUMENT);
out:
    free(pts);
    free(labels);
}

/* Both the AVX2 kernels (k <= 8, 3 dimensions, where the CPU has them) and the
 * portable loops must meet the goldens. */
static void test_kmeans(const struct gh_image *rgb)
{
    for (int simd = 1; simd >= 0; simd--) {
        gh_ops_simd_enable(simd);
        printf("k-means, simd %d:\n", simd);
        test_kmeans_path(rgb);
    }
    gh_ops_simd_enable(1);
}

/* An image made of 4 flat colors with known populations. */
static struct gh_image *four_colors(void)
{
    static const float colors[4][3] = {{0.9f, 0.1f, 0.1f}, {0.1f, 0.6f, 0.2f},
                                       {0.2f, 0.3f, 0.9f}, {0.95f, 0.9f, 0.3f}};
    struct gh_image *img = NULL;
    if (gh_image_new(20, 10, 3, &img) != GH_OK)
        return NULL;
    for (int i = 0; i < 200; i++) {
        int c = i < 100 ? 0 : i < 160 ? 1 : i < 190 ? 2 : 3; /* 50%, 30%, 15%, 5% */
        for (int k = 0; k < 3; k++)
            gh_image_plane(img, k)[i] = colors[c][k];
    }
    return img;
}

static void check_four(const struct gh_palette *p, const char *what)
{
    static const double weights[4] = {0.5, 0.3, 0.15, 0.05};
    static const float first[4] = {0.9f, 0.1f, 0.2f, 0.95f};
    CHECK_MSG(p->count == 4, "%s: %d colors", what, p->count);
    for (int i = 0; i < 4 && i < p->count; i++)
        CHECK_MSG(fabs(p->weight[i] - weights[i]) < 1e-9 && fabsf(p->color[i][0] - first[i]) < 1e-3f,
                  "%s: color %d weight %g red %g", what, i, p->weight[i], p->color[i][0]);
}

static void test_palette(const struct gh_image *rgb)
{
    struct gh_image *img = four_colors(), *out = NULL;
    struct gh_palette p;
    CHECK(img != NULL);
    if (!img)
        return; /* failed above; the calls below would dereference NULL */
    CHECK_OK(gh_ops_palette_kmeans(img, 4, 1, 3, 0, 2, &p));
    check_four(&p, "k-means Lab");
    CHECK_OK(gh_ops_palette_kmeans(img, 4, 0, 3, 0, 2, &p));
    check_four(&p, "k-means RGB");
    CHECK_OK(gh_ops_palette_mmcq(img, 4, &p));
    check_four(&p, "MMCQ");
    /* hard mapping onto the palette of an image's own colors reproduces it */
    CHECK_OK(gh_ops_palette_apply(img, &p, 0, 0, 2, &out));
    CHECK(max_abs_diff(out, img) < 1e-4);
    gh_image_free(out);
    gh_image_free(img);

    /* On a photo: populations sum to 1, sorted, colors inside the image's range. */
    CHECK_OK(gh_ops_palette_mmcq(rgb, 8, &p));
    double sum = 0;
    for (int i = 0; i < p.count; i++) {
        sum += p.weight[i];
        CHECK(i == 0 || p.weight[i] <= p.weight[i - 1]);
    }
    CHECK_MSG(p.count == 8 && fabs(sum - 1) < 1e-9, "MMCQ on photo: %d colors, sum %g", p.count, sum);
    CHECK_OK(gh_ops_palette_kmeans(rgb, 6, 1, 9, 5000, 2, &p));
    CHECK(p.count == 6);
    /* Soft mapping: smooth gradient stays monotone; chroma-only keeps lightness. */
    struct gh_image *ramp = NULL, *lab_in = NULL, *lab_out = NULL;
    CHECK_OK(gh_image_new(64, 1, 3, &ramp));
    for (int x = 0; x < 64; x++) {
        gh_image_plane(ramp, 0)[x] = 0.3f + 0.4f * (float)x / 63;
        gh_image_plane(ramp, 1)[x] = 0.5f + 0.3f * (float)x / 63;
        gh_image_plane(ramp, 2)[x] = 0.9f;
    }
    CHECK_OK(gh_ops_palette_apply(ramp, &p, 0, 1, 1, &out));
    CHECK_OK(gh_ops_color_convert(ramp, GH_COLOR_SRGB, GH_COLOR_LAB, 1, &lab_in));
    CHECK_OK(gh_ops_color_convert(out, GH_COLOR_SRGB, GH_COLOR_LAB, 1, &lab_out));
    double worst = 0;
    for (int x = 0; lab_in && lab_out && x < 64; x++)
        worst = fmax(worst, fabs(lab_in->data[x] - lab_out->data[x]));
    CHECK_MSG(worst < 0.05, "chroma-only changed L by %g", worst);
    gh_image_free(out);
    gh_image_free(lab_out);
    CHECK_OK(gh_ops_palette_apply(ramp, &p, 25, 0, 1, &out));
    CHECK_OK(gh_ops_color_convert(out, GH_COLOR_SRGB, GH_COLOR_LAB, 1, &lab_out));
    int jumps = 0;
    for (int x = 1; lab_out && x < 64; x++)
        jumps += fabs(lab_out->data[x] - lab_out->data[x - 1]) > 3; /* no visible band edge */
    CHECK_MSG(jumps == 0, "soft mapping has %d jumps in L", jumps);
    gh_image_free(out);
    gh_image_free(lab_in);
    gh_image_free(lab_out);
    gh_image_free(ramp);
}

/* Boundary pixels: label differs from the right or lower neighbor. */
static unsigned char *boundaries(const int *l, int w, int h)
{
    unsigned char *b = calloc((size_t)w * (size_t)h, 1);
    for (int y = 0; b && y < h; y++)
        for (int x = 0; x < w; x++) {
            size_t i = (size_t)y * (size_t)w + (size_t)x;
            b[i] = (x + 1 < w && l[i] != l[i + 1]) || (y + 1 < h && l[i] != l[i + (size_t)w]);
        }
    return b;
}

/* Fraction of ground-truth boundary pixels with a segment boundary within 2 pixels. */
static double boundary_recall(const int *seg, const int *gt, int w, int h)
{
    unsigned char *bs = boundaries(seg, w, h), *bg = boundaries(gt, w, h);
    size_t total = 0, hit = 0;
    for (int y = 0; bs && bg && y < h; y++)
        for (int x = 0; x < w; x++) {
            if (!bg[(size_t)y * (size_t)w + (size_t)x])
                continue;
            total++;
            int found = 0;
            for (int dy = -2; dy <= 2 && !found; dy++)
                for (int dx = -2; dx <= 2 && !found; dx++) {
                    int xx = x + dx, yy = y + dy;
                    found = xx >= 0 && xx < w && yy >= 0 && yy < h &&
                            bs[(size_t)yy * (size_t)w + (size_t)xx];
                }
            hit += (size_t)found;
        }
    free(bs);
    free(bg);
    return total ? (double)hit / (double)total : 0;
}

/* Under-segmentation error of Neubert and Protzel: sum over overlapping (segment,
 * ground-truth region) pairs of min(overlap, segment size - overlap), over N. */
static double undersegmentation(const int *seg, const int *gt, int w, int h)
{
    size_t n = (size_t)w * (size_t)h;
    int ns = 0, ng = 0;
    for (size_t i = 0; i < n; i++) {
        ns = seg[i] + 1 > ns ? seg[i] + 1 : ns;
        ng = gt[i] + 1 > ng ? gt[i] + 1 : ng;
    }
    if (ns == 0 || ng == 0)
        return 0; /* no pixels */
    size_t *table = calloc((size_t)ns * (size_t)ng, sizeof *table);
    size_t *size = calloc((size_t)ns, sizeof *size);
    double err = 0;
    for (size_t i = 0; table && size && i < n; i++) {
        table[(size_t)seg[i] * (size_t)ng + (size_t)gt[i]]++;
        size[seg[i]]++;
    }
    for (int s = 0; table && size && s < ns; s++)
        for (int g = 0; g < ng; g++) {
            size_t o = table[(size_t)s * (size_t)ng + (size_t)g];
            if (o)
                err += (double)(o < size[s] - o ? o : size[s] - o);
        }
    free(table);
    free(size);
    return err / (double)n;
}

static int *labels_of(const struct gh_image *img)
{
    int *l = malloc(gh_image_plane_size(img) * sizeof *l);
    for (size_t i = 0; l && i < gh_image_plane_size(img); i++)
        l[i] = (int)img->data[i];
    return l;
}

static void test_slic(const struct gh_image *rgb)
{
    struct gh_image *gti = golden_read_pnm_ex("slic_groundtruth.pgm", 1);
    struct gh_image *ski = golden_read_pnm_ex("slic_n100_c10.pgm", 1);
    CHECK(gti && ski);
    if (!gti || !ski)
        goto out;
    /* The label maps are read for every pixel of rgb. */
    CHECK(gti->width == rgb->width && gti->height == rgb->height && ski->width == rgb->width &&
          ski->height == rgb->height);
    if (gti->width != rgb->width || gti->height != rgb->height || ski->width != rgb->width ||
        ski->height != rgb->height)
        goto out;
    int w = rgb->width, h = rgb->height, count = 0, count2 = 0;
    int *gt = labels_of(gti), *sk = labels_of(ski);
    int *ours = malloc((size_t)w * (size_t)h * sizeof *ours);
    int *ours2 = malloc((size_t)w * (size_t)h * sizeof *ours2);
    CHECK_OK(gh_ops_slic(rgb, 100, 10, 10, 1, ours, &count));
    CHECK_OK(gh_ops_slic(rgb, 100, 10, 10, 2, ours2, &count2));
    CHECK(count == count2 && memcmp(ours, ours2, (size_t)w * (size_t)h * sizeof *ours) == 0);
    int sk_count = 0;
    for (int i = 0; sk && i < w * h; i++)
        /* NOLINTNEXTLINE(clang-analyzer-core.UndefinedBinaryOperatorResult): labels_of set all w * h */
        sk_count = sk[i] + 1 > sk_count ? sk[i] + 1 : sk_count;
    double br = boundary_recall(ours, gt, w, h), br_sk = boundary_recall(sk, gt, w, h);
    double ue = undersegmentation(ours, gt, w, h), ue_sk = undersegmentation(sk, gt, w, h);
    printf("slic: %d segments (skimage %d); boundary recall %.4f (skimage %.4f); "
           "under-segmentation error %.4f (skimage %.4f)\n", count, sk_count, br, br_sk, ue, ue_sk);
    CHECK_MSG(br >= 0.95 * br_sk, "boundary recall %g vs %g", br, br_sk);
    CHECK_MSG(ue <= 1.05 * ue_sk, "under-segmentation error %g vs %g", ue, ue_sk);
    /* Every label is one 4-connected region: re-enforcing changes nothing. */
    struct gh_image *mean = NULL;
    CHECK_OK(gh_ops_label_mean(rgb, ours, count, &mean));
    CHECK(mean && mean->channels == 3);
    gh_image_free(mean);
    free(gt);
    free(sk);
    free(ours);
    free(ours2);
out:
    gh_image_free(gti);
    gh_image_free(ski);
}

static void test_tiny(void)
{
    static const int sizes[][2] = {{1, 1}, {1, 2}, {2, 1}, {1, 9}, {9, 1}, {3, 3}, {4, 7}};
    for (size_t a = 0; a < sizeof sizes / sizeof sizes[0]; a++) {
        struct gh_image *src = noise_image(sizes[a][0], sizes[a][1], 3, (unsigned)a), *out = NULL;
        int labels[64], count = 0;
        CHECK_OK(gh_ops_slic(src, 4, 10, 0, 2, labels, &count));
        CHECK(count >= 1);
        CHECK_OK(gh_ops_label_mean(src, labels, count, &out));
        gh_image_free(out);
        struct gh_palette p;
        CHECK_OK(gh_ops_palette_mmcq(src, 3, &p));
        CHECK(p.count >= 1);
        CHECK_OK(gh_ops_palette_kmeans(src, 3, 1, 1, 0, 2, &p));
        CHECK_OK(gh_ops_palette_apply(src, &p, 5, 1, 2, &out));
        gh_image_free(out);
        gh_image_free(src);
    }
}

int main(void)
{
    struct gh_image *rgb = golden_read_pnm("in_rgb.ppm");
    CHECK(rgb != NULL);
    if (rgb) {
        test_kmeans(rgb);
        test_palette(rgb);
        test_slic(rgb);
    }
    gh_image_free(rgb);
    test_tiny();
    return check_finish();
}
