/* Single-core FMA peak probe: independent FMA chains for ~0.3 s, prints JSON.
 * Built by bench/run.mjs with `cc -O2 -mavx512f -mfma` (or `-mavx2 -mfma`). */
#include <immintrin.h>
#include <stdio.h>
#include <time.h>

#if defined(__AVX512F__)
typedef __m512 V;
#define LANES 16
#define ISA "avx512f"
#define SET1 _mm512_set1_ps
#define FMA _mm512_fmadd_ps
#define ADD _mm512_add_ps
static float hsum(V v) { return _mm512_reduce_add_ps(v); }
#else
typedef __m256 V;
#define LANES 8
#define ISA "avx2"
#define SET1 _mm256_set1_ps
#define FMA _mm256_fmadd_ps
#define ADD _mm256_add_ps
static float hsum(V v) {
  float t[8];
  _mm256_storeu_ps(t, v);
  return t[0] + t[1] + t[2] + t[3] + t[4] + t[5] + t[6] + t[7];
}
#endif

static double now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec + ts.tv_nsec * 1e-9;
}

/* 16 chains fit the 32 zmm registers; AVX2 has only 16 ymm registers, so 12 chains
 * (plus the two constants) to avoid spills. Either is >= latency x FMA ports. */
#define STEP(i) a##i = FMA(a##i, m, c)
#if defined(__AVX512F__)
#define CHAINS 16
#define ALL STEP(0); STEP(1); STEP(2); STEP(3); STEP(4); STEP(5); STEP(6); STEP(7); \
            STEP(8); STEP(9); STEP(10); STEP(11); STEP(12); STEP(13); STEP(14); STEP(15)
#else
#define CHAINS 12
#define ALL STEP(0); STEP(1); STEP(2); STEP(3); STEP(4); STEP(5); STEP(6); STEP(7); \
            STEP(8); STEP(9); STEP(10); STEP(11)
#endif

int main(int argc, char **argv) {
  volatile float seed = 0.999999f, add = 1e-7f;
  V m = SET1(seed), c = SET1(add);
  V a0 = SET1(1.0f), a1 = SET1(1.1f), a2 = SET1(1.2f), a3 = SET1(1.3f), a4 = SET1(1.4f),
    a5 = SET1(1.5f), a6 = SET1(1.6f), a7 = SET1(1.7f), a8 = SET1(1.8f), a9 = SET1(1.9f),
    a10 = SET1(2.0f), a11 = SET1(2.1f), a12 = SET1(2.2f), a13 = SET1(2.3f), a14 = SET1(2.4f),
    a15 = SET1(2.5f);
  const long inner = 1L << 16;
  double best = 0, t_total = 0, start = now();
  long flops_total = 0;
  while (t_total < 0.3) {
    double t0 = now();
    for (long k = 0; k < inner; k++) {
      ALL;
    }
    double dt = now() - t0;
    double g = (double)inner * CHAINS * LANES * 2 / dt / 1e9;
    if (g > best) best = g;
    t_total = now() - start;
    flops_total += inner * CHAINS * LANES * 2;
  }
  V s = ADD(ADD(ADD(a0, a1), ADD(a2, a3)), ADD(ADD(a4, a5), ADD(a6, a7)));
  s = ADD(s, ADD(ADD(ADD(a8, a9), ADD(a10, a11)), ADD(ADD(a12, a13), ADD(a14, a15))));
  printf("{\"isa\":\"%s\",\"gflops\":%.2f,\"mean_gflops\":%.2f,\"seconds\":%.3f,\"checksum\":%g}\n", ISA,
         best, flops_total / t_total / 1e9, t_total, (double)hsum(s));
  return 0;
}
