#include "ghiblify/image.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

/* A persistent pool: the CNN core and the filters call gh_parallel_for hundreds
 * of times per image, and creating threads for every call cost more than some
 * of the calls themselves. One caller at a time owns the pool; a concurrent or
 * nested caller (batch workers with -j, a kernel inside a kernel) falls back to
 * threads of its own, so nothing ever waits for the pool. */
#define POOL_MAX 64

static struct {
    pthread_mutex_t owner; /* held by the caller whose job the pool runs */
    pthread_mutex_t lock;  /* guards everything below */
    pthread_cond_t work;
    pthread_cond_t done;
    int workers;
    void (*fn)(void *ctx, int begin, int end);
    void *ctx;
    int n, ranges, next, completed;
    atomic_uint posted; /* jobs posted so far; read without the lock by spinning workers */
} pool = {
    .owner = PTHREAD_MUTEX_INITIALIZER,
    .lock = PTHREAD_MUTEX_INITIALIZER,
    .work = PTHREAD_COND_INITIALIZER,
    .done = PTHREAD_COND_INITIALIZER,
};

/* Takes and runs ranges of the current job until none is left. Called with
 * pool.lock held; returns with it held. */
static void pool_drain(void)
{
    while (pool.next < pool.ranges) {
        int r = pool.next++;
        void (*fn)(void *, int, int) = pool.fn;
        void *ctx = pool.ctx;
        int begin = (int)((long long)pool.n * r / pool.ranges);
        int end = (int)((long long)pool.n * (r + 1) / pool.ranges);
        pthread_mutex_unlock(&pool.lock);
        fn(ctx, begin, end);
        pthread_mutex_lock(&pool.lock);
        if (++pool.completed == pool.ranges)
            pthread_cond_broadcast(&pool.done);
    }
}

/* How long a worker polls for the next job before it sleeps on the condition
 * variable. Parallel loops come in bursts (hundreds per CNN run, several per
 * filter), and waking a sleeping thread costs tens of microseconds on a VM, as
 * much as a whole small loop (a 1-megapixel color conversion takes 300 us per
 * thread). Measured in time, not iterations: a pause instruction takes 1 to 40
 * ns depending on the CPU. */
#define POOL_SPIN_NS 100000

static void spin_pause(void)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#endif
}

static long long now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Polls pool.posted until it differs from seen or POOL_SPIN_NS have passed. */
static void spin_for_job(unsigned seen)
{
    long long until = now_ns() + POOL_SPIN_NS;
    for (;;) {
        for (int i = 0; i < 64; i++) {
            if (atomic_load_explicit(&pool.posted, memory_order_relaxed) != seen)
                return;
            spin_pause();
        }
        if (now_ns() > until)
            return;
    }
}

static void *pool_worker(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&pool.lock);
    for (;;) {
        if (pool.next >= pool.ranges) {
            unsigned seen = atomic_load_explicit(&pool.posted, memory_order_relaxed);
            pthread_mutex_unlock(&pool.lock);
            spin_for_job(seen);
            pthread_mutex_lock(&pool.lock);
        }
        while (pool.next >= pool.ranges)
            pthread_cond_wait(&pool.work, &pool.lock);
        pool_drain();
    }
    return NULL;
}

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

/* Threads of the caller's own, for when the pool is busy. */
static void spawn_for(int n, int threads, void (*fn)(void *ctx, int begin, int end), void *ctx)
{
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

void gh_parallel_for(int n, int threads, void (*fn)(void *ctx, int begin, int end), void *ctx)
{
    if (n <= 0)
        return;
    if (threads > n)
        threads = n;
    if (threads > POOL_MAX)
        threads = POOL_MAX;
    if (threads <= 1) {
        fn(ctx, 0, n);
        return;
    }
    if (pthread_mutex_trylock(&pool.owner) != 0) {
        spawn_for(n, threads, fn, ctx);
        return;
    }
    pthread_mutex_lock(&pool.lock);
    while (pool.workers < threads - 1) {
        pthread_t tid;
        pthread_attr_t attr;
        pthread_attr_init(&attr);
        pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
        int ok = pthread_create(&tid, &attr, pool_worker, NULL) == 0;
        pthread_attr_destroy(&attr);
        if (!ok)
            break; /* fewer helpers: the caller drains what they cannot take */
        pool.workers++;
    }
    pool.fn = fn;
    pool.ctx = ctx;
    pool.n = n;
    pool.ranges = threads;
    pool.next = 0;
    pool.completed = 0;
    atomic_fetch_add_explicit(&pool.posted, 1, memory_order_relaxed);
    pthread_cond_broadcast(&pool.work);
    pool_drain();
    while (pool.completed < pool.ranges)
        pthread_cond_wait(&pool.done, &pool.lock);
    /* Leave the job marked finished so late-waking workers go back to sleep. */
    pool.ranges = 0;
    pool.next = 0;
    pthread_mutex_unlock(&pool.lock);
    pthread_mutex_unlock(&pool.owner);
}
