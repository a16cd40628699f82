/* Benchmark driver for tools/bench-nn (compiled by it against the build's
 * libghiblify_core.a). Runs one model at one size: a warm-up, then N timed
 * runs; prints the median and the process's peak RSS. With --sgemm it instead
 * measures OpenBLAS SGEMM on a convolution-shaped product.
 *
 *   bench_nn MODEL.onnx HxW [--runs 5] [--threads 2] [--profile]
 *       (input [1,H,W,3], or [1,3,H,W] if the model declares 3 channels first)
 *   bench_nn --sgemm [--threads 2]
 *   bench_nn MODEL.onnx --check INPUT.npy
 *   bench_nn MODEL.onnx HxW --no-winograd ...
 * --check runs the model on INPUT.npy (float32 NHWC [1,H,W,3] in [-1,1], e.g. a
 * photo resized with OpenCV INTER_AREA and scaled x/127.5-1) with every fast
 * path (graph rewrites, Winograd) and with none (GH_NN_NO_FUSE, im2col
 * convolutions) and prints the max abs difference of the outputs.
 *   bench_nn MODEL --load [--runs 5]   (median time of gh_nn_load_memory, file already in memory)
 *   bench_nn MODEL HxW --versus MODEL2 [--runs 5] [--threads 2]
 *       (both models in one process, runs alternating A, B, A, B... after one
 *       warm-up each, so machine load drifts hit both alike; prints
 *       ours_ms = MODEL's median, ref_ms = MODEL2's) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "ghiblify/nn.h"
#include "nn/nn_internal.h"
#include "../tests/nn/npy.h"

/* npy.h is shared with the tests; this tool reads float32 only. */
static float (*const unused_npy_get)(const struct npy *, size_t) __attribute__((unused)) = npy_get;

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double peak_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024.0;
}

static int check(const char *model, const char *photo, int threads)
{
    struct gh_nn_model *fast = NULL, *slow = NULL;
    struct npy in;
    if (!npy_read(photo, &in) || in.ndim != 4 || in.elem != 4 || in.shape[0] != 1 || in.shape[3] != 3)
        return fprintf(stderr, "%s: not a float32 [1,H,W,3] .npy\n", photo), 1;
    struct gh_nn_tensor x = {GH_NN_F32, 4, {1, in.shape[1], in.shape[2], 3}, in.data}, y1 = {0}, y2 = {0};
    if (gh_nn_load_file(model, &fast) != GH_OK)
        return fprintf(stderr, "%s\n", gh_error_detail()), 1;
    setenv("GH_NN_NO_FUSE", "1", 1);
    if (gh_nn_load_file(model, &slow) != GH_OK)
        return fprintf(stderr, "%s\n", gh_error_detail()), 1;
    unsetenv("GH_NN_NO_FUSE");
    gh_nn_set_threads(fast, threads);
    gh_nn_set_threads(slow, threads);
    if (gh_nn_run(fast, &x, &y1) != GH_OK)
        return fprintf(stderr, "%s\n", gh_error_detail()), 1;
    gh_nn_use_winograd = 0;
    if (gh_nn_run(slow, &x, &y2) != GH_OK)
        return fprintf(stderr, "%s\n", gh_error_detail()), 1;
    gh_nn_use_winograd = 1;
    double mx = 0, sum = 0;
    size_t n = gh_nn_tensor_count(&y1);
    for (size_t i = 0; i < n; i++) {
        double d = __builtin_fabs((double)((float *)y1.data)[i] - ((float *)y2.data)[i]);
        if (!(d <= mx))
            mx = d;
        sum += d;
    }
    printf("check %s fast vs plain: max_abs=%.3g mean_abs=%.3g nodes %d vs %d\n", photo, mx, sum / (double)n,
           fast->n_nodes, slow->n_nodes);
    gh_nn_tensor_release(&y1);
    gh_nn_tensor_release(&y2);
    free(in.data);
    gh_nn_free(fast);
    gh_nn_free(slow);
    return 0;
}

int main(int argc, char **argv)
{
    int runs = 5, threads = 2, h = 0, w = 0, sgemm = 0, profile = 0, load_only = 0;
    const char *versus = NULL;
    const char *model = NULL, *photo = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--runs") && i + 1 < argc)
            runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--threads") && i + 1 < argc)
            threads = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--no-direct"))
            gh_nn_use_direct_small = 0;
        else if (!strcmp(argv[i], "--no-winograd"))
            gh_nn_use_winograd = 0;
        else if (!strcmp(argv[i], "--profile"))
            profile = 1;
        else if (!strcmp(argv[i], "--sgemm"))
            sgemm = 1;
        else if (!strcmp(argv[i], "--check") && i + 1 < argc)
            photo = argv[++i];
        else if (!strcmp(argv[i], "--load"))
            load_only = 1;
        else if (!strcmp(argv[i], "--versus") && i + 1 < argc)
            versus = argv[++i];
        else if (!model)
            model = argv[i];
        else if (sscanf(argv[i], "%dx%d", &h, &w) != 2)
            return fprintf(stderr, "bad argument %s\n", argv[i]), 2;
    }
    if (runs < 1 || runs > 100)
        runs = 5;
    double t[100];
    if (sgemm) {
        /* 64 x 262144 x 288: a 3x3 conv, 32 -> 64 channels at 512x512;
         * then a square 2048^3 product. */
        int shapes[2][3] = {{64, 262144, 288}, {2048, 2048, 2048}};
        double gf[2];
        gh_nn_blas_threads(threads);
        for (int sh = 0; sh < 2; sh++) {
            int m = shapes[sh][0], n = shapes[sh][1], k = shapes[sh][2];
            float *a = calloc((size_t)m * k, 4), *b = calloc((size_t)k * n, 4), *c = calloc((size_t)m * n, 4);
            if (!a || !b || !c) {
                free(a);
                free(b);
                free(c);
                return fprintf(stderr, "out of memory\n"), 1;
            }
            for (size_t i = 0; i < (size_t)k * n; i++)
                b[i] = (float)(i % 13) * 0.1f;
            for (size_t i = 0; i < (size_t)m * k; i++)
                a[i] = (float)(i % 7) * 0.1f;
            gh_nn_sgemm(threads, 0, 0, m, n, k, 1, a, k, b, n, 0, c, n);
            for (int r = 0; r < runs; r++) {
                double t0 = now_ms();
                gh_nn_sgemm(threads, 0, 0, m, n, k, 1, a, k, b, n, 0, c, n);
                t[r] = now_ms() - t0;
            }
            qsort(t, (size_t)runs, sizeof t[0], cmp);
            gf[sh] = 2.0 * m * n * k / (t[runs / 2] * 1e6);
            free(a);
            free(b);
            free(c);
        }
        printf("sgemm_gflops=%.1f sgemm_square_gflops=%.1f\n", gf[0], gf[1]);
        return 0;
    }
    if (model && photo)
        return check(model, photo, threads);
    if (load_only && model) {
        /* Load time from memory (what an embedded model costs): one warm-up, median of runs. */
        FILE *f = fopen(model, "rb");
        if (!f)
            return fprintf(stderr, "cannot open %s\n", model), 1;
        long size = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
        void *buf = size > 0 && fseek(f, 0, SEEK_SET) == 0 ? malloc((size_t)size) : NULL;
        if (!buf || fread(buf, 1, (size_t)size, f) != (size_t)size) {
            free(buf);
            (void)fclose(f);
            return fprintf(stderr, "cannot read %s\n", model), 1;
        }
        (void)fclose(f);
        for (int r = -1; r < runs; r++) {
            struct gh_nn_model *lm = NULL;
            double s = now_ms();
            if (gh_nn_load_memory(buf, (size_t)size, &lm) != GH_OK)
                return fprintf(stderr, "%s\n", gh_error_detail()), 1;
            double e = now_ms() - s;
            gh_nn_free(lm);
            if (r >= 0)
                t[r] = e;
        }
        qsort(t, (size_t)runs, sizeof t[0], cmp);
        printf("load_ms=%.2f\n", t[runs / 2]);
        free(buf);
        return 0;
    }
    if (!model || h < 16 || w < 16)
        return fprintf(stderr, "usage: bench_nn MODEL HxW [--runs N] [--threads T]\n"), 2;
    if (versus) {
        struct gh_nn_model *mm[2] = {NULL, NULL};
        const char *paths[2] = {model, versus};
        double tv[2][100];
        for (int k = 0; k < 2; k++) {
            if (gh_nn_load_file(paths[k], &mm[k]) != GH_OK)
                return fprintf(stderr, "%s\n", gh_error_detail()), 1;
            gh_nn_set_threads(mm[k], threads);
        }
        struct gh_nn_tensor xv = {GH_NN_F32, 4, {1, h, w, 3}, NULL}, yv = {0};
        xv.data = malloc((size_t)h * w * 3 * sizeof(float));
        for (size_t i = 0; i < (size_t)h * w * 3; i++) {
            size_t px = i / 3, col = px % (size_t)w, row = px / (size_t)w;
            ((float *)xv.data)[i] = 0.9f * __builtin_sinf((float)(i % 3) + (float)col * 0.05f + (float)row * 0.031f);
        }
        for (int r = -1; r < runs; r++)
            for (int k = 0; k < 2; k++) {
                double s = now_ms();
                if (gh_nn_run(mm[k], &xv, &yv) != GH_OK)
                    return fprintf(stderr, "%s\n", gh_error_detail()), 1;
                double e = now_ms() - s;
                gh_nn_tensor_release(&yv);
                if (r >= 0)
                    tv[k][r] = e;
            }
        qsort(tv[0], (size_t)runs, sizeof tv[0][0], cmp);
        qsort(tv[1], (size_t)runs, sizeof tv[1][0], cmp);
        printf("ours_ms=%.1f ref_ms=%.1f rss_mb=%.0f\n", tv[0][runs / 2], tv[1][runs / 2], peak_rss_mb());
        free(xv.data);
        gh_nn_free(mm[0]);
        gh_nn_free(mm[1]);
        return 0;
    }
    struct gh_nn_model *m = NULL;
    double t0 = now_ms();
    if (gh_nn_load_file(model, &m) != GH_OK)
        return fprintf(stderr, "%s\n", gh_error_detail()), 1;
    double load_ms = now_ms() - t0;
    gh_nn_set_threads(m, threads);
    struct gh_nn_tensor x = {GH_NN_F32, 4, {1, h, w, 3}, NULL}, y = {0}, info;
    /* NCHW models (MiDaS) get [1,3,H,W]; the values are the same pattern. */
    if (gh_nn_input_info(m, 0, &info) == GH_OK && info.ndim == 4 && info.shape[1] == 3 && info.shape[3] != 3) {
        x.shape[1] = 3;
        x.shape[2] = h;
        x.shape[3] = w;
    }
    x.data = malloc((size_t)h * w * 3 * sizeof(float));
    for (size_t i = 0; i < (size_t)h * w * 3; i++) { /* a smooth pattern in [-1, 1] */
        size_t px = i / 3, col = px % (size_t)w, row = px / (size_t)w;
        ((float *)x.data)[i] = 0.9f * __builtin_sinf((float)(i % 3) + (float)col * 0.05f + (float)row * 0.031f);
    }
    for (int r = -1; r < runs; r++) {
        double s = now_ms();
        if (gh_nn_run(m, &x, &y) != GH_OK)
            return fprintf(stderr, "%s\n", gh_error_detail()), 1;
        double e = now_ms() - s;
        gh_nn_tensor_release(&y);
        if (r >= 0)
            t[r] = e;
        else { /* the warm-up run's profile includes first-touch page faults */
            memset(m->prof_ms, 0, sizeof m->prof_ms);
            memset(m->prof_calls, 0, sizeof m->prof_calls);
            if (m->prof_node_ms)
                memset(m->prof_node_ms, 0, (size_t)m->n_nodes * sizeof *m->prof_node_ms);
        }
    }
    qsort(t, (size_t)runs, sizeof t[0], cmp);
    printf("ours_ms=%.1f load_ms=%.1f rss_mb=%.0f\n", t[runs / 2], load_ms, peak_rss_mb());
    if (profile) {
        double total = 0;
        for (int op = 0; op < GH_NN_OP_COUNT; op++)
            total += m->prof_ms[op];
        for (int op = 0; op < GH_NN_OP_COUNT; op++)
            if (m->prof_calls[op])
                printf("profile %-22s %8.1f ms/run %5.1f%% %4d nodes\n", gh_nn_ops[op].name, m->prof_ms[op] / runs,
                       100 * m->prof_ms[op] / total, m->prof_calls[op] / runs);
    }
    for (int k = 0; profile && m->prof_node_ms && k < 12; k++) { /* the slowest nodes */
        int best = -1;
        for (int i = 0; i < m->n_nodes; i++)
            if (m->prof_node_ms[i] >= 0 && (best < 0 || m->prof_node_ms[i] > m->prof_node_ms[best]))
                best = i;
        if (best < 0)
            break;
        const struct gh_nn_node *n = &m->nodes[best];
        const struct gh_nn_value *wv = n->n_in > 1 && n->in[1] >= 0 ? &m->values[n->in[1]] : NULL;
        printf("profile node %-22s %8.1f ms/run", gh_nn_ops[n->op].name, m->prof_node_ms[best] / runs);
        if (n->op == GH_NN_OP_CONV && wv && wv->t.ndim == 4)
            printf("  weights %lldx%lldx%lldx%lld stride %lld", (long long)wv->t.shape[0], (long long)wv->t.shape[1],
                   (long long)wv->t.shape[2], (long long)wv->t.shape[3],
                   (long long)(gh_nn_attr_find(n, "strides") ? gh_nn_attr_find(n, "strides")->ints[0] : 1));
        printf("\n");
        m->prof_node_ms[best] = -1;
    }
    free(x.data);
    gh_nn_free(m);
    return 0;
}
