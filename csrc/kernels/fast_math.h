// float32 exp/tanh/sigmoid written as straight-line arithmetic so loops over them vectorize
// (libm's scalar calls do not): Cephes' expf polynomial with a split power-of-two scale.
// Accurate to about 2 ulp over the whole float range, NaN and +-inf propagate as in libm.
// Loops over them vectorize only with -fno-trapping-math (set in CMakeLists.txt).
#pragma once
#include <cstdint>
#include <cstring>

#ifndef GG_HOST_DEVICE
#ifdef __CUDACC__
#define GG_HOST_DEVICE __host__ __device__
#else
#define GG_HOST_DEVICE
#endif
#endif

// Loops vectorize only if these bodies are inlined into them; GCC's budget sometimes declines.
#ifndef GG_FORCE_INLINE
#ifdef __CUDACC__
#define GG_FORCE_INLINE __forceinline__
#else
#define GG_FORCE_INLINE inline __attribute__((always_inline))
#endif
#endif

// Vectorize the next loop on the host where GCC's cost model would leave it scalar (fixed-lane max
// reductions); -fopenmp-simd enables the pragma without any OpenMP runtime.
#ifndef GG_SIMD
#ifdef __CUDA_ARCH__
#define GG_SIMD
#else
#define GG_SIMD _Pragma("omp simd")
#endif
#endif

// Compute-bound loops (transcendentals over many elements) are also built for AVX-512 and the
// CPU's best one is picked at load time (GCC/Clang function multiversioning). Memory-bound loops
// gain nothing from wider vectors and stay single-versioned, keeping the build small.
#ifndef GG_CPU_CLONES
#if defined(__x86_64__) && !defined(__CUDACC__)
#define GG_CPU_CLONES __attribute__((target_clones("arch=x86-64-v4", "default")))
#else
#define GG_CPU_CLONES
#endif
#endif

namespace gg::fastmath {

GG_HOST_DEVICE GG_FORCE_INLINE float pow2i(int32_t n) {  // 2^n for n in [-126, 127]
  const int32_t bits = (n + 127) << 23;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

GG_HOST_DEVICE GG_FORCE_INLINE float exp(float x) {
  // Written as selects the vectorizer can if-convert (with -fno-trapping-math); NaN maps to
  // the clamp here and is restored at the end.
  float xc = x > -104.0f ? x : -104.0f;
  xc = xc < 89.0f ? xc : 89.0f;
  const float n = __builtin_floorf(xc * 1.44269504088896341f + 0.5f);
  float r = xc - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float y = p * r * r + r + 1.0f;
  const int32_t ni = (int32_t)n, a = ni >> 1, b = ni - a;  // two halves: no overflow at the ends
  float out = y * pow2i(a) * pow2i(b);
  out = x > 88.72283905206835f ? __builtin_inff() : out;
  out = x < -103.972084f ? 0.0f : out;
  return x != x ? x : out;
}

GG_HOST_DEVICE GG_FORCE_INLINE float tanh(float x) {
  const float ax = x < 0 ? -x : x;
  // Near 0: the odd Taylor series (next term < 2e-8 relative below 0.3).
  const float x2 = x * x;
  float small = 62.0f / 2835.0f;
  small = small * x2 - 17.0f / 315.0f;
  small = small * x2 + 2.0f / 15.0f;
  small = small * x2 - 1.0f / 3.0f;
  small = x + x * x2 * small;
  // Elsewhere: 1 - 2 / (e^{2|x|} + 1), with the sign put back.
  const float e = fastmath::exp(2.0f * (ax < 20.0f ? ax : 20.0f));
  float big = 1.0f - 2.0f / (e + 1.0f);
  big = x < 0 ? -big : big;
  const float out = ax < 0.3f ? small : big;
  return x != x ? x : out;
}

GG_HOST_DEVICE GG_FORCE_INLINE float sigmoid(float x) { return 1.0f / (1.0f + fastmath::exp(-x)); }

}  // namespace gg::fastmath
