#include "ghiblify/image.h"

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

struct range_job {
    void (*fn)(void *ctx, int begin, int end);
    void *ctx;
    int begin;
    int end;
};

static void *run_range(void *arg)
{
    struct range_job *job = arg;
    job->fn(job->ctx, job->begin, job->end);
    return NULL;
}

int gh_cpu_count(void)
{
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n < 1 ? 1 : (int)n;
}

void gh_parallel_for(int n, int threads, void (*fn)(void *ctx, int begin, int end), void *ctx)
{
    if (n <= 0)
        return;
    if (threads > n)
        threads = n;
    if (threads <= 1) {
        fn(ctx, 0, n);
        return;
    }
    struct range_job *jobs = calloc((size_t)threads, sizeof *jobs);
    pthread_t *tids = calloc((size_t)threads, sizeof *tids);
    int *started = calloc((size_t)threads, sizeof *started);
    if (!jobs || !tids || !started) {
        /* Degrade to serial rather than fail: the work itself cannot fail. */
        fn(ctx, 0, n);
        goto out;
    }
    for (int t = 0; t < threads; t++) {
        jobs[t].fn = fn;
        jobs[t].ctx = ctx;
        jobs[t].begin = (int)((long long)n * t / threads);
        jobs[t].end = (int)((long long)n * (t + 1) / threads);
    }
    for (int t = 1; t < threads; t++)
        started[t] = pthread_create(&tids[t], NULL, run_range, &jobs[t]) == 0;
    run_range(&jobs[0]);
    for (int t = 1; t < threads; t++) {
        if (started[t])
            pthread_join(tids[t], NULL);
        else
            run_range(&jobs[t]);
    }
out:
    free(jobs);
    free(tids);
    free(started);
}
