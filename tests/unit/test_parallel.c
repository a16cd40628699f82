/* gh_parallel_for: every index runs exactly once, whatever the thread count,
 * for nested calls and for callers running at the same time (the pool is
 * shared; a busy pool must fall back, not deadlock or mix jobs up). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "check.h"
#include "ghiblify/image.h"

struct counts {
    atomic_int *hits;
    int n;
    int nested_threads; /* > 0: each range also runs a nested parallel loop */
    atomic_int nested_hits;
};

static void nested_range(void *ctx, int begin, int end)
{
    struct counts *c = ctx;
    atomic_fetch_add(&c->nested_hits, end - begin);
}

static void count_range(void *ctx, int begin, int end)
{
    struct counts *c = ctx;
    for (int i = begin; i < end; i++)
        atomic_fetch_add(&c->hits[i], 1);
    if (c->nested_threads > 0)
        gh_parallel_for(10, c->nested_threads, nested_range, c);
}

/* Runs one loop and returns 1 if every index was hit exactly once. */
static int run_once(int n, int threads, int nested_threads, int *nested_ok)
{
    struct counts c = {calloc((size_t)n, sizeof(atomic_int)), n, nested_threads, 0};
    if (!c.hits)
        return 0;
    gh_parallel_for(n, threads, count_range, &c);
    int ok = 1;
    for (int i = 0; i < n; i++)
        ok &= atomic_load(&c.hits[i]) == 1;
    int ranges = threads < 1 ? 1 : threads > n ? n : threads;
    if (nested_ok)
        *nested_ok = atomic_load(&c.nested_hits) == (nested_threads > 0 ? 10 * ranges : 0);
    free(c.hits);
    return ok;
}

static void *hammer(void *arg)
{
    int *ok = arg;
    for (int r = 0; r < 300; r++)
        *ok &= run_once(97 + r % 13, 2 + r % 3, 0, NULL);
    return NULL;
}

int main(void)
{
    int sizes[] = {1, 2, 3, 7, 64, 1000};
    int thread_counts[] = {0, 1, 2, 3, 8, 100};
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++)
        for (size_t t = 0; t < sizeof thread_counts / sizeof *thread_counts; t++)
            CHECK_MSG(run_once(sizes[s], thread_counts[t], 0, NULL), "n %d threads %d", sizes[s],
                      thread_counts[t]);

    int nested_ok = 0;
    CHECK(run_once(50, 3, 2, &nested_ok));
    CHECK_MSG(nested_ok, "nested loops ran every index once");

    /* Many short loops back to back reuse the pool. */
    int repeat_ok = 1;
    for (int r = 0; r < 2000; r++)
        repeat_ok &= run_once(8, 2, 0, NULL);
    CHECK(repeat_ok);

    /* Two callers at once: one gets the pool, the other its own threads. */
    int ok_a = 1, ok_b = 1;
    pthread_t a, b;
    CHECK(pthread_create(&a, NULL, hammer, &ok_a) == 0);
    CHECK(pthread_create(&b, NULL, hammer, &ok_b) == 0);
    pthread_join(a, NULL);
    pthread_join(b, NULL);
    CHECK(ok_a && ok_b);
    return check_finish();
}
