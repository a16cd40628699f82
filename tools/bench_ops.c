/* Times one image operation: `bench_ops <op> <threads> <reps> <input.ghf>` prints
 * `<op> ms=<median>` over reps runs. With reps 0 it runs the op once per line
 * read from standard input and answers each with `ms=<time>`, so a driver can
 * interleave our runs with the reference's under the same machine load. Driven by tools/bench-ops, which times the
 * OpenCV / scikit-image counterpart on the same image in the same run. The input
 * is a GHF file ("GHF1 w h c\n" + planar float32), the format of tests/data/ops. */
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ghiblify/io.h"
#include "ghiblify/ops.h"
#include "ghf.h"

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Runs the op once; returns its status. */
static enum gh_status run(const char *op, const struct gh_image *in, int threads)
{
    struct gh_image *out = NULL;
    enum gh_status st = GH_ERR_ARGUMENT;
    if (!strcmp(op, "resize_area"))
        st = gh_ops_resize(in, 1000, 750, GH_INTERP_AREA, threads, &out);
    else if (!strcmp(op, "resize_linear"))
        st = gh_ops_resize(in, 1024, 768, GH_INTERP_LINEAR, threads, &out);
    else if (!strcmp(op, "resize_cubic"))
        st = gh_ops_resize(in, 1024, 768, GH_INTERP_CUBIC, threads, &out);
    else if (!strcmp(op, "resize_lanczos4"))
        st = gh_ops_resize(in, 1024, 768, GH_INTERP_LANCZOS4, threads, &out);
    else if (!strcmp(op, "resize_up_linear"))
        st = gh_ops_resize(in, 4000, 3000, GH_INTERP_LINEAR, threads, &out);
    else if (!strcmp(op, "gaussian"))
        st = gh_ops_gaussian(in, 2.0, threads, &out);
    else if (!strcmp(op, "bilateral"))
        st = gh_ops_bilateral(in, 9, 30, 5, threads, &out);
    else if (!strcmp(op, "bilateral_large"))
        st = gh_ops_bilateral(in, 0, 30, 12, threads, &out);
    else if (!strcmp(op, "bilateral_fast"))
        st = gh_ops_bilateral_fast(in, 30, 12, threads, &out);
    else if (!strcmp(op, "canny")) {
        /* What a user of the 8-bit path runs, like cv2.Canny on a uint8 image: the
         * input plane is quantized once (untimed, on the warm-up call); each run
         * allocates the uint8 edge map, runs gh_ops_canny_u8 and frees the map. */
        static uint8_t *u8;
        size_t n = gh_image_plane_size(in);
        if (!u8 && (u8 = malloc(n)) != NULL)
            for (size_t i = 0; i < n; i++)
                u8[i] = (uint8_t)lrintf(fminf(fmaxf(in->data[i] * 255.f, 0.f), 255.f));
        uint8_t *edges = malloc(n);
        st = u8 && edges ? gh_ops_canny_u8(u8, (size_t)in->width, in->width, in->height, 50, 150,
                                           0, threads, edges, (size_t)in->width)
                         : GH_ERR_NOMEM;
        free(edges);
    }
    else if (!strcmp(op, "rgb2lab"))
        st = gh_ops_color_convert(in, GH_COLOR_SRGB, GH_COLOR_LAB, threads, &out);
    else if (!strcmp(op, "lab2rgb"))
        st = gh_ops_color_convert(in, GH_COLOR_LAB, GH_COLOR_SRGB, threads, &out);
    else if (!strcmp(op, "rgb2hsv"))
        st = gh_ops_color_convert(in, GH_COLOR_SRGB, GH_COLOR_HSV, threads, &out);
    else if (!strcmp(op, "reinhard")) {
        struct gh_lab_stats target = {{55, 5, 20}, {20, 10, 15}};
        st = gh_ops_reinhard(in, &target, 1.0, threads, &out);
    } else if (!strcmp(op, "histmatch")) {
        /* reference: the image flipped upside down (different histogram per channel
         * after a channel rotation) */
        struct gh_image *ref = NULL;
        st = gh_image_new(in->width, in->height, in->channels, &ref);
        for (int c = 0; st == GH_OK && c < in->channels; c++)
            memcpy(gh_image_plane(ref, c), gh_image_plane(in, (c + 1) % in->channels),
                   gh_image_plane_size(in) * sizeof(float));
        if (st == GH_OK)
            st = gh_ops_histmatch(in, ref, threads, &out);
        gh_image_free(ref);
    } else if (!strcmp(op, "kmeans") || !strcmp(op, "kmeans_all")) {
        size_t n = gh_image_plane_size(in);
        float *pts = malloc(n * 3 * sizeof *pts), centers[8 * 3];
        int *labels = malloc(n * sizeof *labels);
        for (size_t i = 0; pts && i < n; i++)
            for (int c = 0; c < 3; c++)
                pts[i * 3 + (size_t)c] = gh_image_plane(in, c)[i];
        struct gh_kmeans_params p = {.k = 8, .max_iter = 100, .eps = 1e-4, .attempts = 1,
                                     .seed = 1, .max_samples = strcmp(op, "kmeans") ? 0 : 65536};
        double inertia = 0;
        st = pts && labels ? gh_ops_kmeans(pts, n, 3, &p, threads, centers, labels, &inertia)
                           : GH_ERR_NOMEM;
        fprintf(stderr, "kmeans inertia %.6g\n", inertia);
        free(pts);
        free(labels);
    } else if (!strcmp(op, "slic")) {
        int *labels = malloc(gh_image_plane_size(in) * sizeof *labels), count = 0;
        st = labels ? gh_ops_slic(in, 1000, 10, 10, threads, labels, &count) : GH_ERR_NOMEM;
        free(labels);
    } else if (!strcmp(op, "xdog")) {
        st = gh_ops_xdog(in, 1.0, 1.6, 0.98, 0.005, 200, threads, &out);
    } else if (!strcmp(op, "guided")) {
        st = gh_ops_guided(in, in, 8, 0.01, threads, &out);
    } else if (!strcmp(op, "guided_cross")) {
        /* A source other than the guide (its channels rotated), made once, untimed:
         * no guide-is-source shortcut on either side. */
        static struct gh_image *src;
        if (!src && gh_image_new(in->width, in->height, 3, &src) == GH_OK)
            for (int c = 0; c < 3; c++)
                memcpy(gh_image_plane(src, c), gh_image_plane(in, (c + 1) % 3),
                       gh_image_plane_size(in) * sizeof(float));
        st = src ? gh_ops_guided(in, src, 8, 0.01, threads, &out) : GH_ERR_NOMEM;
    } else if (!strcmp(op, "kuwahara")) {
        st = gh_ops_kuwahara(in, 4, threads, &out);
    } else if (!strcmp(op, "kuwahara_generalized")) {
        struct gh_kuwahara_params p = GH_KUWAHARA_PARAMS_DEFAULT; /* radius 4, q 8 */
        st = gh_ops_kuwahara_generalized(in, &p, threads, &out);
    } else if (!strcmp(op, "jpeg_decode") || !strcmp(op, "png_decode")) {
        /* File to image, like cv2.imread: the file is named by BENCH_IO_FILE. */
        struct gh_picture *pic = NULL;
        st = gh_io_read_picture(getenv("BENCH_IO_FILE"), 0, &pic);
        gh_picture_free(pic);
    } else if (!strcmp(op, "jpeg_encode") || !strcmp(op, "png_encode")) {
        /* Image to file, like cv2.imwrite (our writes are atomic; default options). */
        unsigned char *bytes = NULL;
        size_t size = 0;
        st = gh_io_encode(in, NULL, op[0] == 'j' ? GH_FORMAT_JPEG : GH_FORMAT_PNG, 92, &bytes, &size);
        if (st == GH_OK)
            st = gh_io_write_all(getenv("BENCH_IO_FILE"), bytes, size, GH_IO_WRITE_OVERWRITE);
        free(bytes);
    }
    gh_image_free(out);
    return st;
}

int main(int argc, char **argv)
{
    if (argc != 5) {
        fprintf(stderr, "usage: %s op threads reps input.ghf\n", argv[0]);
        return 2;
    }
    /* Steady state of a long-running process: freed images stay in the heap instead
     * of going back to the kernel, so repeated runs do not pay for page faults on
     * fresh memory (very expensive on this VM; Python's heap shows the same
     * reuse for the reference side). See tools/BENCHMARKS.md. */
    mallopt(M_MMAP_THRESHOLD, 1 << 30);
    mallopt(M_TRIM_THRESHOLD, 1 << 30);
    int threads = atoi(argv[2]), reps = atoi(argv[3]);
    struct gh_image *in = read_ghf(argv[4]);
    if (!in || reps < 0 || reps > 1000) {
        fprintf(stderr, "cannot read %s\n", argv[4]);
        return 2;
    }
    double *ms = malloc((size_t)(reps ? reps : 1) * sizeof *ms);
    if (!ms) {
        gh_image_free(in);
        return 2;
    }
    if (run(argv[1], in, threads) != GH_OK) { /* warm-up, and validates the op name */
        fprintf(stderr, "%s failed: %s\n", argv[1], gh_error_detail());
        free(ms);
        gh_image_free(in);
        return 1;
    }
    if (reps == 0) {
        printf("ready\n");
        (void)fflush(stdout); /* the harness reads lines; a failed write shows there */
        char line[64];
        while (fgets(line, sizeof line, stdin)) {
            double t0 = now_ms();
            run(argv[1], in, threads);
            printf("ms=%.3f\n", now_ms() - t0);
            (void)fflush(stdout);
        }
        free(ms);
        gh_image_free(in);
        return 0;
    }
    for (int r = 0; r < reps; r++) {
        double t0 = now_ms();
        run(argv[1], in, threads);
        ms[r] = now_ms() - t0;
    }
    qsort(ms, (size_t)reps, sizeof *ms, cmp_double);
    printf("%s ms=%.3f\n", argv[1], ms[reps / 2]);
    free(ms);
    gh_image_free(in);
    return 0;
}
