/* Command-line driver of gh_ops_jbu for tools/eval-upsample (not part of the
 * library or the binary; the script compiles it against libghiblify_core.a).
 *
 *   jbu_driver SRC.ghf GUIDE_LOW.ghf GUIDE.ghf OUT.ghf RADIUS SIGMA_S SIGMA_R THREADS
 *   jbu_driver --time W H w h RADIUS SIGMA_S SIGMA_R THREADS REPS
 *
 * GHF files: "GHF1 w h c\n" + planar float32 little-endian (as tests/data/ops).
 * Prints "jbu_ms=..." (the median of REPS runs for --time, on noise images). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ghiblify/ops.h"
#include "ghf.h"

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static struct gh_image *noise(int w, int h, int c, unsigned s)
{
    struct gh_image *img = NULL;
    if (gh_image_new(w, h, c, &img) != GH_OK)
        return NULL;
    for (size_t i = 0; i < gh_image_plane_size(img) * (size_t)c; i++) {
        s = s * 1664525u + 1013904223u;
        img->data[i] = (float)(s >> 8) / (float)(1u << 24);
    }
    return img;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    struct gh_image *src = NULL, *low = NULL, *guide = NULL, *out = NULL;
    if (argc == 11 && !strcmp(argv[1], "--time")) {
        struct gh_jbu_params p = {atoi(argv[6]), atof(argv[7]), atof(argv[8])};
        int threads = atoi(argv[9]), reps = atoi(argv[10]);
        guide = noise(atoi(argv[2]), atoi(argv[3]), 3, 1);
        src = noise(atoi(argv[4]), atoi(argv[5]), 3, 2);
        low = noise(atoi(argv[4]), atoi(argv[5]), 3, 3);
        double ms[64] = {0};
        reps = reps < 1 ? 1 : reps > 64 ? 64 : reps;
        for (int i = 0; i < reps; i++) {
            double t0 = now_ms();
            if (!guide || !src || !low || gh_ops_jbu(src, low, guide, &p, threads, &out) != GH_OK) {
                fprintf(stderr, "jbu failed: %s\n", gh_error_detail());
                return 1;
            }
            ms[i] = now_ms() - t0;
            gh_image_free(out);
        }
        qsort(ms, (size_t)reps, sizeof ms[0], cmp_double);
        printf("jbu_ms=%.1f simd=%d\n", ms[reps / 2], gh_ops_simd_active());
        return 0;
    }
    if (argc != 9) {
        fprintf(stderr, "usage: see the comment at the top of tools/jbu_driver.c\n");
        return 2;
    }
    src = read_ghf(argv[1]);
    low = read_ghf(argv[2]);
    guide = read_ghf(argv[3]);
    if (!src || !low || !guide) {
        fprintf(stderr, "cannot read the GHF inputs\n");
        return 1;
    }
    struct gh_jbu_params p = {atoi(argv[5]), atof(argv[6]), atof(argv[7])};
    double t0 = now_ms();
    if (gh_ops_jbu(src, low, guide, &p, atoi(argv[8]), &out) != GH_OK) {
        fprintf(stderr, "jbu failed: %s\n", gh_error_detail());
        return 1;
    }
    printf("jbu_ms=%.1f\n", now_ms() - t0);
    return write_ghf(argv[4], out) ? 1 : 0;
}
