// float32 exp, expm1, log, log2, log1p, tanh, erf, erfc written as straight-line arithmetic so loops
// over them vectorize (libm's scalar calls do not). Error bounds against the exact value, measured
// over every 7th float32 bit pattern (tests/test_vecmath.py checks them): exp, log, log1p 1.1 ulp;
// expm1, log2, erf 1.5 ulp; tanh 2.5 ulp; erfc 6.2 ulp. inf, nan, signed zeros, denormals and
// out-of-domain inputs answer as libm does.
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

// c0 x^n + c1 x^(n-1) + ... + cn by Horner's rule (highest coefficient first): the one form every
// polynomial here is evaluated in, each step a multiply-add.
template <class... C>
GG_HOST_DEVICE GG_FORCE_INLINE float horner(float x, float c0, C... cs) {
  float p = c0;
  ((p = p * x + cs), ...);
  return p;
}

GG_HOST_DEVICE GG_FORCE_INLINE float pow2i(int32_t n) {  // 2^n for n in [-126, 127]
  const int32_t bits = (n + 127) << 23;
  float f;
  std::memcpy(&f, &bits, sizeof f);
  return f;
}

// x = n ln2 + r, |r| <= ln2 / 2, ln2 split in two (the first part has few bits, so n * it is exact).
GG_HOST_DEVICE GG_FORCE_INLINE float exp_reduce(float x, int32_t& n) {
  const float nf = __builtin_floorf(x * 1.44269504088896341f + 0.5f);
  n = (int32_t)nf;
  const float r = x - nf * 0.693359375f;
  return r - nf * -2.12194440e-4f;
}

// e^r - 1 for |r| <= ln2 / 2: r + r^2 P(r), Cephes' expf polynomial; no cancellation near 0.
GG_HOST_DEVICE GG_FORCE_INLINE float expm1_reduced(float r) {
  const float p = horner(r, 1.9875691500e-4f, 1.3981999507e-3f, 8.3334519073e-3f, 4.1665795894e-2f,
                         1.6666665459e-1f, 5.0000001201e-1f);
  return p * r * r + r;
}

GG_HOST_DEVICE GG_FORCE_INLINE float exp(float x) {
  // Written as selects the vectorizer can if-convert (with -fno-trapping-math); NaN maps to
  // the clamp here and is restored at the end.
  float xc = x > -104.0f ? x : -104.0f;
  xc = xc < 89.0f ? xc : 89.0f;
  int32_t n;
  const float y = expm1_reduced(exp_reduce(xc, n)) + 1.0f;
  const int32_t a = n >> 1, b = n - a;  // two halves: no overflow at the ends
  float out = y * pow2i(a) * pow2i(b);
  out = x > 88.72283905206835f ? __builtin_inff() : out;
  out = x < -103.972084f ? 0.0f : out;
  return x != x ? x : out;
}

GG_HOST_DEVICE GG_FORCE_INLINE float expm1(float x) {
  float xc = x > -30.0f ? x : -30.0f;  // below, e^x - 1 rounds to -1
  xc = xc < 89.0f ? xc : 89.0f;
  int32_t n;
  const float m = expm1_reduced(exp_reduce(xc, n));
  // 2^n (m + 1) - 1 = 2^n m + (2^n - 1): both terms exact for n <= 24, so one rounding in the sum.
  const float s = pow2i(n < 24 ? n : 24);
  const float mid = s * m + (s - 1.0f);
  const int32_t a = n >> 1, b = n - a;
  const float big = (m + 1.0f) * pow2i(a) * pow2i(b) - 1.0f;
  float out = n <= 24 ? mid : big;
  out = x > 88.72283905206835f ? __builtin_inff() : out;
  return x != x || x == 0.0f ? x : out;  // -0 keeps its sign
}

// x = 2^k (1 + f), 1 + f in [sqrt(1/2), sqrt(2)), for finite x > 0 (denormals scaled up first).
GG_HOST_DEVICE GG_FORCE_INLINE float log_reduce(float x, float& k) {
  const bool denormal = x < 1.17549435e-38f;
  x = denormal ? x * 8388608.0f : x;
  int32_t ix;
  std::memcpy(&ix, &x, sizeof ix);
  ix += 0x3f800000 - 0x3f3504f3;  // shifts the exponent boundary to sqrt(1/2)
  k = (float)((ix >> 23) - 127 - (denormal ? 23 : 0));
  ix = (ix & 0x007fffff) + 0x3f3504f3;
  float m;
  std::memcpy(&m, &ix, sizeof m);
  return m - 1.0f;
}

// log(1 + f) - f for 1 + f in [sqrt(1/2), sqrt(2)): -f^2 / 2 + f^3 P(f), Cephes' logf polynomial.
GG_HOST_DEVICE GG_FORCE_INLINE float log1p_tail(float f) {
  const float z = f * f;
  const float p = horner(f, 7.0376836292e-2f, -1.1514610310e-1f, 1.1676998740e-1f, -1.2420140846e-1f,
                         1.4249322787e-1f, -1.6668057665e-1f, 2.0000714765e-1f, -2.4999993993e-1f, 3.3333331174e-1f);
  return p * f * z - 0.5f * z;
}

// What log, log2 and log1p answer outside (0, inf): nan below `zero`, -inf at it, inf at inf.
GG_HOST_DEVICE GG_FORCE_INLINE float log_special(float x, float arg, float zero, float out) {
  out = x == __builtin_inff() ? x : out;
  out = arg == zero ? -__builtin_inff() : out;
  out = arg < zero ? __builtin_nanf("") : out;
  return x != x ? x : out;
}

// ln2 = 0.693359375 - 2.12194440e-4, the first part exact in k * it, added last.
GG_HOST_DEVICE GG_FORCE_INLINE float log(float x) {
  float k;
  const float f = log_reduce(x, k);
  const float out = (f + (log1p_tail(f) + k * -2.12194440e-4f)) + k * 0.693359375f;
  return log_special(x, x, 0.0f, out);
}

GG_HOST_DEVICE GG_FORCE_INLINE float log2(float x) {
  float k;
  const float f = log_reduce(x, k);
  const float y = log1p_tail(f);
  // (f + y) log2(e) + k with log2(e) = 1 + 0.4426950...: the 1 part adds f and y unrounded.
  const float c = 0.44269504088896340736f;
  const float out = (((y * c + f * c) + y) + f) + k;
  return log_special(x, x, 0.0f, out);
}

GG_HOST_DEVICE GG_FORCE_INLINE float log1p(float x) {
  const float u = 1.0f + x;
  // log1p(x) = log(u) + c / u with c the rounding error of 1 + x, computed exactly (Sterbenz
  // in both forms); for tiny x, u = 1 and this leaves x.
  const float c = (u < 2.0f ? x - (u - 1.0f) : 1.0f - (u - x)) / u;
  float k;
  const float f = log_reduce(u, k);
  const float out = (f + (log1p_tail(f) + (k * -2.12194440e-4f + c))) + k * 0.693359375f;
  return x == 0.0f ? x : log_special(x, u, 0.0f, out);  // -0 keeps its sign
}

GG_HOST_DEVICE GG_FORCE_INLINE float tanh(float x) {
  const float ax = x < 0 ? -x : x;
  // Near 0: the odd Taylor series (next term < 2e-8 relative below 0.3).
  const float x2 = x * x;
  const float small = x + x * x2 * horner(x2, 62.0f / 2835.0f, -17.0f / 315.0f, 2.0f / 15.0f, -1.0f / 3.0f);
  // Elsewhere: 1 - 2 / (e^{2|x|} + 1), with the sign put back.
  const float e = fastmath::exp(2.0f * (ax < 20.0f ? ax : 20.0f));
  float big = 1.0f - 2.0f / (e + 1.0f);
  big = x < 0 ? -big : big;
  const float out = ax < 0.3f ? small : big;
  return x != x || x == 0.0f ? x : out;  // -0 keeps its sign (x + x x2 P makes +0)
}

// erf(x) for |x| < 1: x (c0 + z Q(z)), z = x^2, Q a least-squares fit (relative error 1.4e-9
// with rounded coefficients); c0 = 2 / sqrt(pi) is carried as hi + lo, its rounding alone being half an ulp.
GG_HOST_DEVICE GG_FORCE_INLINE float erf_small(float x) {
  const float z = x * x;
  const float q = horner(z, 7.919110794e-05f, -8.031137404e-04f, 5.190899130e-03f, -2.685531229e-02f,
                         1.128362715e-01f, -3.761263192e-01f);
  return x * 1.128379107e+00f + x * (z * q + 6.057390323e-08f);  // lo > 0: erf(-0) = -0
}

// erfc(a) for a >= 1/2: e^{-a^2} H(2 / (2 + a)), H a least-squares fit of e^{a^2} erfc(a)
// (relative error 1.5e-9 with rounded coefficients over [1/2, 10.1]; beyond, erfc is below the
// smallest float). a^2 is carried as hi + lo: its rounding error alone would cost up to 16 ulp
// at a = 4. The rounding of t costs up to ~3 ulp, hence erfc's looser bound.
GG_HOST_DEVICE GG_FORCE_INLINE float erfc_tail(float a) {
  a = a < 10.1f ? a : 10.1f;
  const float t = 2.0f / (2.0f + a);
  const float h = horner(t, -7.464638352e-02f, 3.521384001e-01f, -6.124603152e-01f, 4.078134298e-01f,
                         -1.090109870e-01f, 2.357956618e-01f, 2.347183228e-01f, 2.836610973e-01f, 2.819784284e-01f,
                         3.776777930e-06f);
  const float a2 = a * a, a2_lo = __builtin_fmaf(a, a, -a2);
  return fastmath::exp(-a2) * (1.0f - a2_lo) * h;
}

GG_HOST_DEVICE GG_FORCE_INLINE float erf(float x) {
  const float ax = x < 0 ? -x : x;
  const float big = 1.0f - erfc_tail(ax);
  const float out = ax < 1.0f ? erf_small(x) : (x < 0 ? -big : big);
  return x != x ? x : out;
}

// 1 - erf(x) without cancellation (gelu's normal CDF in the left tail): from 1/2 up, where
// 1 - erf(x) would lose bits, the tail form directly.
GG_HOST_DEVICE GG_FORCE_INLINE float erfc(float x) {
  const float ax = x < 0 ? -x : x;
  const float e = erfc_tail(ax);
  const float out = ax < 0.5f ? 1.0f - erf_small(x) : (x < 0 ? 2.0f - e : e);
  return x != x ? x : out;
}

}  // namespace gg::fastmath
