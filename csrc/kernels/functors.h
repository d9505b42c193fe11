// Scalar math, written once. CPU loops and (later) CUDA launchers are generic over these
// functors, so the CPU tests check the same formulas the GPU runs.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>

#ifdef __CUDACC__
#define GG_HOST_DEVICE __host__ __device__
#else
#define GG_HOST_DEVICE
#endif

namespace gg::fn {

// ---- binary ----
struct Add { template <class T> GG_HOST_DEVICE T operator()(T a, T b) const { return a + b; } };
struct Sub { template <class T> GG_HOST_DEVICE T operator()(T a, T b) const { return a - b; } };
struct Mul {
  template <class T> GG_HOST_DEVICE T operator()(T a, T b) const {
    if constexpr (std::is_same_v<T, bool>) return a && b;
    else return a * b;
  }
};
struct Div { template <class T> GG_HOST_DEVICE T operator()(T a, T b) const { return a / b; } };
// a + alpha * b in one pass (add/sub with alpha, and the SGD update).
template <class T>
struct AddScaled {
  T alpha;
  GG_HOST_DEVICE T operator()(T a, T b) const { return a + alpha * b; }
};
struct Pow {
  template <class T>
  GG_HOST_DEVICE T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) {
      return std::pow(a, b);
    } else {
      if (b < 0) return a == 1 ? 1 : (a == -1 ? (b % 2 ? -1 : 1) : 0);
      T r = 1;
      for (; b; b >>= 1, a *= a)
        if (b & 1) r *= a;
      return r;
    }
  }
};
struct Maximum {
  template <class T> GG_HOST_DEVICE T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) { if (a != a || b != b) return a + b; }
    return a > b ? a : b;
  }
};
struct Minimum {
  template <class T> GG_HOST_DEVICE T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) { if (a != a || b != b) return a + b; }
    return a < b ? a : b;
  }
};
struct Eq { template <class T> GG_HOST_DEVICE bool operator()(T a, T b) const { return a == b; } };
struct Ne { template <class T> GG_HOST_DEVICE bool operator()(T a, T b) const { return a != b; } };
struct Lt { template <class T> GG_HOST_DEVICE bool operator()(T a, T b) const { return a < b; } };
struct Le { template <class T> GG_HOST_DEVICE bool operator()(T a, T b) const { return a <= b; } };
struct Gt { template <class T> GG_HOST_DEVICE bool operator()(T a, T b) const { return a > b; } };
struct Ge { template <class T> GG_HOST_DEVICE bool operator()(T a, T b) const { return a >= b; } };

// ---- unary ----
struct Neg { template <class T> GG_HOST_DEVICE T operator()(T x) const { return -x; } };
struct Abs { template <class T> GG_HOST_DEVICE T operator()(T x) const { return x < 0 ? -x : x; } };
struct Exp { template <class T> GG_HOST_DEVICE T operator()(T x) const { return std::exp(x); } };
struct Log { template <class T> GG_HOST_DEVICE T operator()(T x) const { return std::log(x); } };
struct Reciprocal { template <class T> GG_HOST_DEVICE T operator()(T x) const { return T(1) / x; } };
struct Sqrt { template <class T> GG_HOST_DEVICE T operator()(T x) const { return std::sqrt(x); } };
struct Sin { template <class T> GG_HOST_DEVICE T operator()(T x) const { return std::sin(x); } };
struct Cos { template <class T> GG_HOST_DEVICE T operator()(T x) const { return std::cos(x); } };
struct Tanh { template <class T> GG_HOST_DEVICE T operator()(T x) const { return std::tanh(x); } };
struct Sigmoid {
  template <class T> GG_HOST_DEVICE T operator()(T x) const { return T(1) / (T(1) + std::exp(-x)); }
};
struct Relu { template <class T> GG_HOST_DEVICE T operator()(T x) const { return x > T(0) ? x : T(0); } };
struct Sign {
  template <class T> GG_HOST_DEVICE T operator()(T x) const { return T((T(0) < x) - (x < T(0))); }
};
// Gradient of relu: 1 where the output is positive.
struct PositiveMask {
  template <class T> GG_HOST_DEVICE T operator()(T g, T y) const { return y > T(0) ? g : T(0); }
};

// Casts between dtypes, with bool as PyTorch has it (nonzero is true).
template <class To>
struct Cast {
  template <class From> GG_HOST_DEVICE To operator()(From x) const {
    if constexpr (std::is_same_v<To, bool>) return x != From(0);
    else return static_cast<To>(x);
  }
};


}  // namespace gg::fn

namespace gg::fn {
// log(1 + exp(-x)) without overflow: the softplus of -x.
struct SoftplusNeg {
  template <class T> GG_HOST_DEVICE T operator()(T x) const {
    return std::log1p(std::exp(-(x < 0 ? -x : x))) + (x < 0 ? -x : T(0));
  }
};
}  // namespace gg::fn

// ================================================================ nn family (ops/nn.cpp)
// Per-lane bodies: a "lane" is the n values along the reduced dim, `s` elements apart.
namespace gg::fn {

// exp that the compiler vectorizes (no libm call; needs -fno-trapping-math to if-convert): Cephes'
// expf polynomial, within 1e-7 relative; 0 below -87 (and for -inf), nan through, saturating at
// exp(88) above (softmax only takes it of values <= 0). Doubles keep std::exp.
GG_HOST_DEVICE inline float exp_fast(float x) {
  float xc = x < -87.0f ? -87.0f : x;
  xc = xc > 88.0f ? 88.0f : xc;
  const float n = (xc * 1.44269504088896341f + 12582912.0f) - 12582912.0f;  // round to nearest
  float r = xc - n * 0.693359375f;
  r = r - n * -2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  const float y = p * r * r + r + 1.0f;
  const int32_t bits = (int32_t(n) + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  return y * scale * float(x >= -87.0f);  // (a nan x stays nan: nan * 0)
}
GG_HOST_DEVICE inline double exp_fast(double x) { return std::exp(x); }

// Reductions over a contiguous lane in kLanes interleaved partial results (a fixed order, so
// deterministic), which the compiler turns into SIMD registers.
constexpr int kLanes = 16;

// softmax / log_softmax of one contiguous lane: max, then exp and sum, then scale (or shift).
template <class T, bool log>
GG_HOST_DEVICE void softmax_lane(const T* x, T* y, int64_t n) {
  T mv[kLanes], sv[kLanes];
  for (int j = 0; j < kLanes; ++j) { mv[j] = -INFINITY; sv[j] = 0; }
  const int64_t nb = n - n % kLanes;
  // The max skips nans: a nan still makes exp(x - m), the sum and so the whole lane nan, as in PyTorch.
  for (int64_t i = 0; i < nb; i += kLanes)
    for (int j = 0; j < kLanes; ++j) mv[j] = x[i + j] > mv[j] ? x[i + j] : mv[j];
  for (int64_t i = nb; i < n; ++i) mv[0] = x[i] > mv[0] ? x[i] : mv[0];
  T m = mv[0];
  for (int j = 1; j < kLanes; ++j) m = mv[j] > m ? mv[j] : m;
  if (m == -INFINITY) m = 0;  // all -inf: exp(-inf - 0) = 0, giving the nan PyTorch gives
  // exp into y (a plain loop, vectorized), then its sum in kLanes partial sums.
  for (int64_t i = 0; i < n; ++i) y[i] = exp_fast(x[i] - m);
  for (int64_t i = 0; i < nb; i += kLanes)
    for (int j = 0; j < kLanes; ++j) sv[j] += y[i + j];
  for (int64_t i = nb; i < n; ++i) sv[0] += y[i];
  T sum = 0;
  for (int j = 0; j < kLanes; ++j) sum += sv[j];
  if constexpr (log) {
    const T ls = std::log(sum);  // (x - m) - log(sum): never forms m + log(sum), which rounds at |m|'s scale
    for (int64_t i = 0; i < n; ++i) y[i] = (x[i] - m) - ls;
  } else {
    const T inv = T(1) / sum;
    for (int64_t i = 0; i < n; ++i) y[i] *= inv;
  }
}

// Gradient of softmax from its output y: y (g - sum(g y)); of log_softmax: g - exp(y) sum(g).
template <class T, bool log>
GG_HOST_DEVICE void softmax_backward_lane(const T* g, const T* y, T* out, int64_t n) {
  T av[kLanes];
  for (int j = 0; j < kLanes; ++j) av[j] = 0;
  const int64_t nb = n - n % kLanes;
  for (int64_t i = 0; i < nb; i += kLanes)
    for (int j = 0; j < kLanes; ++j) av[j] += log ? g[i + j] : g[i + j] * y[i + j];
  for (int64_t i = nb; i < n; ++i) av[0] += log ? g[i] : g[i] * y[i];
  T acc = 0;
  for (int j = 0; j < kLanes; ++j) acc += av[j];
  if constexpr (log)
    for (int64_t i = 0; i < n; ++i) out[i] = g[i] - exp_fast(y[i]) * acc;
  else
    for (int64_t i = 0; i < n; ++i) out[i] = y[i] * (g[i] - acc);
}

// The same three bodies over a block of w <= kSoftmaxBlock adjacent lanes (a reduced dim that is not
// innermost): each pass sweeps rows of w contiguous values, so memory is read in order.
constexpr int64_t kSoftmaxBlock = 64;
template <class T, bool log>
GG_HOST_DEVICE void softmax_cols(const T* x, T* y, int64_t n, int64_t s, int64_t w) {
  T m[kSoftmaxBlock], sum[kSoftmaxBlock];
  for (int64_t j = 0; j < w; ++j) { m[j] = -INFINITY; sum[j] = 0; }
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < w; ++j) {
      T v = x[i * s + j];
      m[j] = (v > m[j] || v != v) ? v : m[j];
    }
  for (int64_t j = 0; j < w; ++j) m[j] = m[j] == -INFINITY ? T(0) : m[j];
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < w; ++j) {
      T e = exp_fast(x[i * s + j] - m[j]);
      if constexpr (!log) y[i * s + j] = e;
      sum[j] += e;
    }
  for (int64_t j = 0; j < w; ++j) sum[j] = log ? std::log(sum[j]) : T(1) / sum[j];
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < w; ++j)
      y[i * s + j] = log ? (x[i * s + j] - m[j]) - sum[j] : y[i * s + j] * sum[j];
}
template <class T, bool log>
GG_HOST_DEVICE void softmax_backward_cols(const T* g, const T* y, T* out, int64_t n, int64_t s, int64_t w) {
  T acc[kSoftmaxBlock];
  for (int64_t j = 0; j < w; ++j) acc[j] = 0;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < w; ++j) acc[j] += log ? g[i * s + j] : g[i * s + j] * y[i * s + j];
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < w; ++j) {
      const int64_t k = i * s + j;
      out[k] = log ? g[k] - exp_fast(y[k]) * acc[j] : y[k] * (g[k] - acc[j]);
    }
}

// Mean and biased variance of `blocks` blocks of `len` values, `stride` apart.
template <class T>
GG_HOST_DEVICE void moments(const T* x, int64_t blocks, int64_t len, int64_t stride, double& mean, double& var) {
  double s = 0;
  for (int64_t b = 0; b < blocks; ++b)
    for (int64_t i = 0; i < len; ++i) s += x[b * stride + i];
  const double n = double(blocks * len);
  mean = n > 0 ? s / n : 0.0;
  double q = 0;
  for (int64_t b = 0; b < blocks; ++b)
    for (int64_t i = 0; i < len; ++i) {
      double d = x[b * stride + i] - mean;
      q += d * d;
    }
  var = n > 0 ? q / n : 0.0;
}

// Smooth L1 (beta) and Huber (delta) losses of d = x - y.
template <class T>
struct SmoothL1 {
  T beta;
  GG_HOST_DEVICE T operator()(T x, T y) const {
    T d = x - y, a = d < 0 ? -d : d;
    return a < beta ? T(0.5) * d * d / beta : a - T(0.5) * beta;
  }
};
template <class T>
struct Huber {
  T delta;
  GG_HOST_DEVICE T operator()(T x, T y) const {
    T d = x - y, a = d < 0 ? -d : d;
    return a < delta ? T(0.5) * d * d : delta * (a - T(0.5) * delta);
  }
};
// Binary cross entropy on probabilities, logs clamped at -100 as PyTorch does.
struct BinaryCrossEntropy {
  template <class T> GG_HOST_DEVICE T operator()(T x, T y) const {
    T lx = std::log(x), l1x = std::log(T(1) - x);
    lx = lx < T(-100) ? T(-100) : lx;
    l1x = l1x < T(-100) ? T(-100) : l1x;
    return -(y * lx + (T(1) - y) * l1x);
  }
};
}  // namespace gg::fn
