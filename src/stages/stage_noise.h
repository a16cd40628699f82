/* Internal: counter-based noise for the stages that make random choices
 * (texture's grain, dither). A value is a pure function of (seed, x, y, c), so
 * the same seed gives the same bytes whatever the thread count, the order rows
 * are visited in, or how the image is cut into pieces; no generator state is
 * shared between threads, and nothing depends on rand(). */
#ifndef GH_STAGE_NOISE_H
#define GH_STAGE_NOISE_H

#include <stdint.h>

/* splitmix64's finalizer (Steele, Lea & Flood 2014): a bijection on 64 bits
 * whose every input bit flips about half of the output bits. */
static inline uint64_t gh_noise_mix(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* 64 hashed bits of sample (x, y) of channel c. Coordinates may be negative
 * (filters read past the image edges) and each is folded in through its own
 * mixing round, so nearby coordinates give unrelated values. */
static inline uint64_t gh_noise_hash(uint64_t seed, int x, int y, int c)
{
    uint64_t h = gh_noise_mix(seed + 0x9e3779b97f4a7c15ull);
    h = gh_noise_mix(h ^ ((uint64_t)(uint32_t)x + 0x632be59bd9b4e019ull));
    h = gh_noise_mix(h ^ ((uint64_t)(uint32_t)y + 0x8cb92ba72f3d8dd7ull));
    return gh_noise_mix(h ^ ((uint64_t)(uint32_t)c + 0x2545f4914f6cdd1dull));
}

/* The top 24 bits of h as a float in [0, 1), exactly representable. */
static inline float gh_noise_unit(uint64_t h)
{
    return (float)(h >> 40) * (1.0f / 16777216.0f);
}

#endif
