// Scalar math, written once. CPU loops and (later) CUDA launchers are generic over these
// functors, so the CPU tests check the same formulas the GPU runs.
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>
#include <cstring>
#include <type_traits>

#include "kernels/fast_math.h"

#ifdef __CUDACC__
#define GG_HOST_DEVICE __host__ __device__
#else
#define GG_HOST_DEVICE
#endif

namespace gg::fn {

// Transcendental functions for the functors: float takes the vectorizable fast_math forms, double
// (and any other type) libm's.
namespace math {
#define GG_FLOAT_FAST(f)                                                        \
  template <class T> GG_HOST_DEVICE T f(T x) { return std::f(x); }              \
  GG_HOST_DEVICE GG_FORCE_INLINE float f(float x) { return fastmath::f(x); }
GG_FLOAT_FAST(exp)
GG_FLOAT_FAST(expm1)
GG_FLOAT_FAST(log)
GG_FLOAT_FAST(log2)
GG_FLOAT_FAST(log1p)
GG_FLOAT_FAST(tanh)
GG_FLOAT_FAST(erf)
GG_FLOAT_FAST(erfc)
#undef GG_FLOAT_FAST
}  // namespace math

// Functors whose body is transcendental math (compute-bound, not memory-bound) say so with
// GG_COMPUTE_BOUND: the CPU loops also build their contiguous float32 path for AVX-512
// (cpu::detail::run_inner).
#define GG_COMPUTE_BOUND static constexpr bool kComputeBound = true;

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

// ---- optimizer updates: one pass per parameter, PyTorch's operation order ----
// SGD: d = g (+ wd p); buf = momentum buf + (1 - dampening) d (buf = d on the first step);
// d = nesterov ? d + momentum buf : buf; p -= lr d.
template <class T>
struct SgdUpdate {
  T lr, momentum, dampening, weight_decay;
  bool nesterov, maximize, first;
  GG_HOST_DEVICE void operator()(T& p, T g, T* buf) const {
    T d = maximize ? -g : g;
    if (weight_decay != T(0)) d = d + weight_decay * p;
    if (buf) {
      *buf = first ? d : *buf * momentum + (T(1) - dampening) * d;
      d = nesterov ? d + momentum * *buf : *buf;
    }
    p = p + (-lr) * d;
  }
};
// Adam / AdamW: m = lerp(m, g, 1 - b1); v = v b2 + (1 - b2) g g; (amsgrad: vmax = max(vmax, v));
// p += -step_size m / (sqrt(v) / bc2_sqrt + eps). AdamW decays p by (1 - lr wd) first.
template <class T>
struct AdamUpdate {
  T beta1, beta2, eps, weight_decay, lr, step_size, bc2_sqrt;
  bool decoupled, maximize;
  GG_HOST_DEVICE void operator()(T& p, T g, T& m, T& v, T* vmax) const {
    T d = maximize ? -g : g;
    if (weight_decay != T(0)) {
      if (decoupled) p = p * (T(1) - lr * weight_decay);
      else d = d + weight_decay * p;
    }
    const T w = T(1) - beta1;
    m = w < T(0.5) ? m + w * (d - m) : d - (d - m) * (T(1) - w);
    v = v * beta2 + (T(1) - beta2) * d * d;
    T vv = v;
    if (vmax) {
      *vmax = *vmax > v ? *vmax : v;
      vv = *vmax;
    }
    const T denom = std::sqrt(vv) / bc2_sqrt + eps;
    p = p + (-step_size) * (m / denom);
  }
};

// RMSprop: v = alpha v + (1 - alpha) d d; centered: ga = lerp(ga, d, 1 - alpha), avg = sqrt(v - ga ga);
// avg += eps; momentum: buf = momentum buf + d / avg, p -= lr buf; else p -= lr d / avg.
template <class T>
struct RmspropUpdate {
  T lr, alpha, eps, weight_decay, momentum;
  bool maximize;
  GG_HOST_DEVICE void operator()(T& p, T g, T& v, T* grad_avg, T* buf) const {
    T d = maximize ? -g : g;
    if (weight_decay != T(0)) d = d + weight_decay * p;
    v = v * alpha + (T(1) - alpha) * d * d;
    T avg;
    if (grad_avg) {
      const T w = T(1) - alpha;
      *grad_avg = w < T(0.5) ? *grad_avg + w * (d - *grad_avg) : d - (d - *grad_avg) * (T(1) - w);
      avg = std::sqrt(v + T(-1) * *grad_avg * *grad_avg);
    } else {
      avg = std::sqrt(v);
    }
    avg = avg + eps;
    if (buf) {
      *buf = *buf * momentum + d / avg;
      p = p + (-lr) * *buf;
    } else {
      p = p + (-lr) * (d / avg);
    }
  }
};
// Adagrad: sum += d d; p -= clr d / (sqrt(sum) + eps), clr = lr / (1 + (step - 1) lr_decay).
template <class T>
struct AdagradUpdate {
  T clr, eps, weight_decay;
  bool maximize;
  GG_HOST_DEVICE void operator()(T& p, T g, T& sum) const {
    T d = maximize ? -g : g;
    if (weight_decay != T(0)) d = d + weight_decay * p;
    sum = sum + d * d;
    p = p + (-clr) * (d / (std::sqrt(sum) + eps));
  }
};

// ---- unary ----
struct Neg { template <class T> GG_HOST_DEVICE T operator()(T x) const { return -x; } };
struct Abs { template <class T> GG_HOST_DEVICE T operator()(T x) const { return x < 0 ? -x : x; } };
struct Exp { GG_COMPUTE_BOUND template <class T> GG_HOST_DEVICE T operator()(T x) const { return math::exp(x); } };
struct Log { GG_COMPUTE_BOUND template <class T> GG_HOST_DEVICE T operator()(T x) const { return math::log(x); } };
struct Reciprocal { template <class T> GG_HOST_DEVICE T operator()(T x) const { return T(1) / x; } };
struct Sqrt { template <class T> GG_HOST_DEVICE T operator()(T x) const { return std::sqrt(x); } };
struct Sin { template <class T> GG_HOST_DEVICE T operator()(T x) const { return std::sin(x); } };
struct Cos { template <class T> GG_HOST_DEVICE T operator()(T x) const { return std::cos(x); } };
struct Tanh { GG_COMPUTE_BOUND template <class T> GG_HOST_DEVICE T operator()(T x) const { return math::tanh(x); } };
struct Sigmoid { GG_COMPUTE_BOUND
  template <class T> GG_HOST_DEVICE T operator()(T x) const { return T(1) / (T(1) + math::exp(-x)); }
};
struct Relu { template <class T> GG_HOST_DEVICE T operator()(T x) const { return x > T(0) ? x : T(0); } };
struct Sign {
  template <class T> GG_HOST_DEVICE T operator()(T x) const { return T((T(0) < x) - (x < T(0))); }
};
// One element of an LSTM cell, PyTorch's gate order (input, forget, cell, output): from the gate sums
// it keeps the activated gates (for the backward) and gives the next hidden and cell state.
struct LstmCell {
  template <class T>
  GG_HOST_DEVICE void forward(T si, T sf, T sg, T so, T c, T& i, T& f, T& g, T& o, T& h_next, T& c_next) const {
    i = Sigmoid{}(si), f = Sigmoid{}(sf), g = Tanh{}(sg), o = Sigmoid{}(so);
    c_next = f * c + i * g;
    h_next = o * Tanh{}(c_next);
  }
  // Gradients of the four gate sums and of c, given those of h_next and c_next.
  template <class T>
  GG_HOST_DEVICE void backward(T i, T f, T g, T o, T c, T c_next, T dh, T dc_next, T& di, T& df, T& dg, T& d_o,
                               T& dc) const {
    const T tc = Tanh{}(c_next), dc_total = dc_next + dh * o * (T(1) - tc * tc);
    di = dc_total * g * i * (T(1) - i);
    df = dc_total * c * f * (T(1) - f);
    dg = dc_total * i * (T(1) - g * g);
    d_o = dh * tc * o * (T(1) - o);
    dc = dc_total * f;
  }
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
struct SoftplusNeg { GG_COMPUTE_BOUND
  template <class T> GG_HOST_DEVICE T operator()(T x) const {
    return math::log1p(math::exp(-(x < 0 ? -x : x))) + (x < 0 ? -x : T(0));
  }
};
}  // namespace gg::fn

// ==== reduce_extra family (var/std, logsumexp, norms, all/any, cumulative ops, sort) ====
// Reducer bodies for cpu::reduce (init / step / finish); Acc is the accumulator type
// (double for floating inputs). The same bodies serve a later CUDA reduction.
namespace gg::fn {

// Welford's running mean and sum of squared deviations: stable one-pass variance.
template <class Acc> struct WelfordAcc { int64_t n; Acc mean; Acc m2; };
template <class T, class Acc>
struct VarReduce {
  Acc correction;
  bool take_sqrt;
  GG_HOST_DEVICE WelfordAcc<Acc> init() const { return {0, Acc(0), Acc(0)}; }
  GG_HOST_DEVICE WelfordAcc<Acc> step(WelfordAcc<Acc> a, T x, int64_t) const {
    a.n += 1;
    const Acc d = Acc(x) - a.mean;
    a.mean += d / Acc(a.n);
    a.m2 += d * (Acc(x) - a.mean);
    return a;
  }
  GG_HOST_DEVICE T finish(WelfordAcc<Acc> a, int64_t) const {
    Acc dof = Acc(a.n) - correction;
    if (dof < Acc(0)) dof = Acc(0);
    const Acc v = a.m2 / dof;  // dof 0: nan (or inf), as in PyTorch
    return T(take_sqrt ? std::sqrt(v) : v);
  }
};

// Online log-sum-exp: running max and the sum of exp(x - max), rescaled when the max grows.
template <class Acc> struct LseAcc { Acc max; Acc sum; };
template <class T, class Acc>
struct LogSumExpReduce {
  GG_HOST_DEVICE LseAcc<Acc> init() const { return {-INFINITY, Acc(0)}; }
  GG_HOST_DEVICE LseAcc<Acc> step(LseAcc<Acc> a, T xv, int64_t) const {
    const Acc x = Acc(xv);
    if (x == -INFINITY || a.max != a.max) return a;
    if (x <= a.max) {
      a.sum += std::exp(x - a.max);
    } else {  // also NaN: it then sticks in max and sum
      a.sum = a.sum * std::exp(a.max - x) + Acc(1);
      a.max = x;
    }
    return a;
  }
  GG_HOST_DEVICE T finish(LseAcc<Acc> a, int64_t) const {
    if (a.max == -INFINITY || a.max == INFINITY || a.max != a.max) return T(a.max);
    return T(a.max + std::log(a.sum));
  }
};

// Vector norms by kind: 0 (count of nonzeros), 1, 2, general p, +inf (max |x|), -inf (min |x|).
enum class NormKind { Zero, One, Two, P, Inf, NegInf };
template <NormKind K, class T, class Acc>
struct NormReduce {
  Acc p;
  GG_HOST_DEVICE Acc init() const {
    if constexpr (K == NormKind::Inf) return Acc(0);
    else if constexpr (K == NormKind::NegInf) return Acc(INFINITY);
    else return Acc(0);
  }
  GG_HOST_DEVICE Acc step(Acc a, T xv, int64_t) const {
    const Acc x = Acc(xv) < Acc(0) ? -Acc(xv) : Acc(xv);
    if constexpr (K == NormKind::Zero) return a + Acc(x != Acc(0));
    else if constexpr (K == NormKind::One) return a + x;
    else if constexpr (K == NormKind::Two) return a + x * x;
    else if constexpr (K == NormKind::P) return a + std::pow(x, p);
    else {  // max / min of |x|; NaN wins
      if (a != a) return a;
      if (x != x) return x;
      if constexpr (K == NormKind::Inf) return x > a ? x : a;
      else return x < a ? x : a;
    }
  }
  GG_HOST_DEVICE T finish(Acc a, int64_t) const {
    if constexpr (K == NormKind::Two) return T(std::sqrt(a));
    else if constexpr (K == NormKind::P) return T(std::pow(a, Acc(1) / p));
    else return T(a);
  }
};

// all / any: nonzero (NaN included) counts as true.
template <class T, bool All>
struct AllAnyReduce {
  GG_HOST_DEVICE bool init() const { return All; }
  GG_HOST_DEVICE bool step(bool a, T x, int64_t) const { return All ? (a && x != T(0)) : (a || x != T(0)); }
  GG_HOST_DEVICE bool finish(bool a, int64_t) const { return a; }
};

// Sort order with NaN greatest (PyTorch's): ascending puts NaN last, descending first.
template <bool Descending>
struct SortBefore {
  template <class T> GG_HOST_DEVICE bool operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) {
      if (Descending) return (a != a && b == b) || a > b;
      return (b != b && a == a) || a < b;
    } else {
      return Descending ? a > b : a < b;
    }
  }
};

}  // namespace gg::fn

// ======================================================================== elementwise family
// (where, clamp, masked_fill, lerp, addcmul/addcdiv, extra unary math, activations, integer
// division and remainder, logical ops, nan/inf tests). One definition per formula.
namespace gg::fn {

// ---- unary math (float unless noted) ----
struct Expm1 { GG_COMPUTE_BOUND template <class T> GG_HOST_DEVICE T operator()(T x) const { return math::expm1(x); } };
struct Log1p { GG_COMPUTE_BOUND template <class T> GG_HOST_DEVICE T operator()(T x) const { return math::log1p(x); } };
struct Log2 { GG_COMPUTE_BOUND template <class T> GG_HOST_DEVICE T operator()(T x) const { return math::log2(x); } };
struct Erf { GG_COMPUTE_BOUND template <class T> GG_HOST_DEVICE T operator()(T x) const { return math::erf(x); } };
struct Rsqrt { template <class T> GG_HOST_DEVICE T operator()(T x) const { return T(1) / std::sqrt(x); } };
struct Tan { template <class T> GG_HOST_DEVICE T operator()(T x) const { return std::tan(x); } };
// Rounding: integers pass through unchanged (as in PyTorch); round is half-to-even.
struct Floor {
  template <class T> GG_HOST_DEVICE T operator()(T x) const {
    if constexpr (std::is_floating_point_v<T>) return std::floor(x); else return x;
  }
};
struct Ceil {
  template <class T> GG_HOST_DEVICE T operator()(T x) const {
    if constexpr (std::is_floating_point_v<T>) return std::ceil(x); else return x;
  }
};
struct Round {
  template <class T> GG_HOST_DEVICE T operator()(T x) const {
    if constexpr (std::is_floating_point_v<T>) return std::nearbyint(x); else return x;
  }
};
// round(x, decimals): scale by 10^|decimals|, round half to even, scale back (as PyTorch).
template <class T>
struct RoundDecimals {
  T ten_pow, negative;  // negative: 1 when decimals < 0
  GG_HOST_DEVICE T operator()(T x) const {
    return negative != T(0) ? std::nearbyint(x / ten_pow) * ten_pow : std::nearbyint(x * ten_pow) / ten_pow;
  }
};
struct Trunc {
  template <class T> GG_HOST_DEVICE T operator()(T x) const {
    if constexpr (std::is_floating_point_v<T>) return std::trunc(x); else return x;
  }
};

// ---- activations ----
// max(x, 0) + slope * min(x, 0): exact, NaN-propagating, and free of a data-dependent select
// (which GCC does not if-convert under -ftrapping-math), so the loop vectorizes.
template <class T>
struct LeakyRelu {
  T slope;
  GG_HOST_DEVICE T operator()(T x) const {
    return (x < T(0) ? T(0) : x) + slope * (T(0) < x ? T(0) : x);
  }
};
// scale * (x > 0 ? x : alpha * (exp(input_scale * x) - 1))
template <class T>
struct Elu { GG_COMPUTE_BOUND
  T alpha, scale, input_scale;
  GG_HOST_DEVICE T operator()(T x) const {
    return x > T(0) ? x * scale : alpha * scale * math::expm1(x * input_scale);
  }
};
struct Silu { GG_COMPUTE_BOUND template <class T> GG_HOST_DEVICE T operator()(T x) const { return x / (T(1) + math::exp(-x)); } };
// x * Phi(x), Phi the standard normal CDF = erfc(-x / sqrt(2)) / 2: erfc keeps the left tail's
// relative accuracy, which 1 + erf(x / sqrt(2)) cancels away.
struct GeluErf { GG_COMPUTE_BOUND
  template <class T> GG_HOST_DEVICE T operator()(T x) const {
    return x * T(0.5) * math::erfc(x * T(-0.70710678118654752440));
  }
};
// 0.5 x (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3), computed as x sigmoid(2u): the
// same function with one exp instead of tanh (cheaper, and no cancellation in 1 + tanh).
struct GeluTanh { GG_COMPUTE_BOUND
  template <class T> GG_HOST_DEVICE T operator()(T x) const {
    const T u = T(0.79788456080286535588) * (x + T(0.044715) * x * x * x);
    return x / (T(1) + math::exp(T(-2) * u));
  }
};
// d/dx gelu(x), times the incoming gradient g.
struct GeluErfGrad { GG_COMPUTE_BOUND
  template <class T> GG_HOST_DEVICE T operator()(T g, T x) const {
    const T cdf = T(0.5) * math::erfc(x * T(-0.70710678118654752440));
    const T pdf = T(0.39894228040143267794) * math::exp(T(-0.5) * x * x);
    return g * (cdf + x * pdf);
  }
};
struct GeluTanhGrad { GG_COMPUTE_BOUND
  template <class T> GG_HOST_DEVICE T operator()(T g, T x) const {
    const T k0 = T(0.79788456080286535588), k1 = T(0.044715);
    const T t = math::tanh(k0 * (x + k1 * x * x * x));
    return g * (T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t * t) * k0 * (T(1) + T(3) * k1 * x * x));
  }
};
// log(1 + exp(beta x)) / beta, linear above the threshold.
template <class T>
struct Softplus { GG_COMPUTE_BOUND
  T beta, threshold;
  GG_HOST_DEVICE T operator()(T x) const {
    return x * beta > threshold ? x : math::log1p(math::exp(x * beta)) / beta;
  }
};

// ---- clamping (NaN inputs pass through) ----
template <class T>
struct ClampScalar {
  T lo, hi;
  GG_HOST_DEVICE T operator()(T x) const {
    T r = x < lo ? lo : x;
    return r > hi ? hi : r;
  }
};
// Tensor bounds: min(max(x, lo), hi) with NaN propagated from any operand.
struct Clamp {
  template <class T> GG_HOST_DEVICE T operator()(T x, T lo, T hi) const {
    return Minimum{}(Maximum{}(x, lo), hi);
  }
};

// ---- selection and fused arithmetic ----
// The condition is a bool tensor read as bytes: byte loads vectorize where bool loads do not.
struct Where {
  template <class T> GG_HOST_DEVICE T operator()(uint8_t c, T a, T b) const { return c ? a : b; }
};
template <class T>
struct WhereScalarOther {  // c ? a : s
  T s;
  GG_HOST_DEVICE T operator()(uint8_t c, T a) const { return c ? a : s; }
};
template <class T>
struct WhereScalarSelf {  // c ? s : b
  T s;
  GG_HOST_DEVICE T operator()(uint8_t c, T b) const { return c ? s : b; }
};
// start + weight * (end - start), evaluated from the nearer end for accuracy (as PyTorch).
struct Lerp {
  template <class T> GG_HOST_DEVICE T operator()(T a, T b, T w) const {
    T d = b - a;
    return (w < T(0.5) && w > T(-0.5)) || w != w ? a + w * d : b - d * (T(1) - w);
  }
};
template <class T>
struct Addcmul {
  T value;
  GG_HOST_DEVICE T operator()(T s, T a, T b) const { return s + value * a * b; }
};
template <class T>
struct Addcdiv {
  T value;
  GG_HOST_DEVICE T operator()(T s, T a, T b) const { return s + value * (a / b); }
};

// ---- integer-valued division (callers rule out integer division by zero) ----
struct FloorDiv {
  template <class T> GG_HOST_DEVICE T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) {
      if (b == T(0)) return a / b;
      T mod = std::fmod(a, b);
      T div = (a - mod) / b;
      if (mod != T(0) && ((b < T(0)) != (mod < T(0)))) div -= T(1);
      if (div == T(0)) return std::copysign(T(0), a / b);
      T fl = std::floor(div);
      if (div - fl > T(0.5)) fl += T(1);
      return fl;
    } else {
      if (b == T(-1)) return T(0) - a;  // no overflow trap at the minimum value
      T q = a / b;
      if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
      return q;
    }
  }
};
struct TruncDiv {
  template <class T> GG_HOST_DEVICE T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) return std::trunc(a / b);
    else return b == T(-1) ? T(0) - a : a / b;
  }
};
// Python's modulus: the result takes the divisor's sign.
struct Remainder {
  template <class T> GG_HOST_DEVICE T operator()(T a, T b) const {
    if constexpr (std::is_floating_point_v<T>) {
      T r = std::fmod(a, b);
      if (r != T(0) && ((r < T(0)) != (b < T(0)))) r += b;
      return r;
    } else {
      if (b == T(-1)) return T(0);
      T r = a % b;
      if (r != 0 && ((r < 0) != (b < 0))) r += b;
      return r;
    }
  }
};

// ---- logical and floating-point classification (bool results) ----
struct LogicalAnd { template <class T> GG_HOST_DEVICE bool operator()(T a, T b) const { return a != T(0) && b != T(0); } };
struct LogicalOr { template <class T> GG_HOST_DEVICE bool operator()(T a, T b) const { return a != T(0) || b != T(0); } };
struct LogicalXor { template <class T> GG_HOST_DEVICE bool operator()(T a, T b) const { return (a != T(0)) != (b != T(0)); } };
struct LogicalNot { template <class T> GG_HOST_DEVICE bool operator()(T a) const { return a == T(0); } };
struct IsNan { template <class T> GG_HOST_DEVICE bool operator()(T a) const { return a != a; } };
struct IsInf {
  template <class T> GG_HOST_DEVICE bool operator()(T a) const {
    if constexpr (std::is_floating_point_v<T>) return std::isinf(a); else return false;
  }
};
struct IsFinite {
  template <class T> GG_HOST_DEVICE bool operator()(T a) const {
    if constexpr (std::is_floating_point_v<T>) return std::isfinite(a); else return true;
  }
};
template <class T>
struct NanToNum {
  T nan, posinf, neginf;
  GG_HOST_DEVICE T operator()(T a) const {
    return a != a ? nan : a == std::numeric_limits<T>::infinity() ? posinf
                          : a == -std::numeric_limits<T>::infinity() ? neginf : a;
  }
};
// Bitwise ops on integers and bools (`&`, `|`, `^`, `~`).
struct BitAnd { template <class T> GG_HOST_DEVICE T operator()(T a, T b) const { return a & b; } };
struct BitOr { template <class T> GG_HOST_DEVICE T operator()(T a, T b) const { return a | b; } };
struct BitXor { template <class T> GG_HOST_DEVICE T operator()(T a, T b) const { return a ^ b; } };
struct BitNot {
  template <class T> GG_HOST_DEVICE T operator()(T a) const {
    if constexpr (std::is_same_v<T, bool>) return !a; else return ~a;
  }
};

}  // namespace gg::fn

// ================================================================ nn family (ops/nn.cpp)
// Per-lane bodies: a "lane" is the n values along the reduced dim, `s` elements apart.
namespace gg::fn {

// Reductions over a contiguous lane in kLanes interleaved partial results (a fixed order, so
// deterministic), which the compiler turns into SIMD registers.
constexpr int kLanes = 16;

// softmax / log_softmax of one contiguous lane: max, then exp and sum, then scale (or shift).
template <class T, bool log>
GG_HOST_DEVICE GG_CPU_CLONES void softmax_lane(const T* x, T* y, int64_t n) {
  T mv[kLanes], sv[kLanes];
  for (int j = 0; j < kLanes; ++j) { mv[j] = -INFINITY; sv[j] = 0; }
  const int64_t nb = n - n % kLanes;
  // The max skips nans: a nan still makes exp(x - m), the sum and so the whole lane nan, as in PyTorch.
  for (int64_t i = 0; i < nb; i += kLanes)
    GG_SIMD for (int j = 0; j < kLanes; ++j) mv[j] = x[i + j] > mv[j] ? x[i + j] : mv[j];
  for (int64_t i = nb; i < n; ++i) mv[0] = x[i] > mv[0] ? x[i] : mv[0];
  T m = mv[0];
  for (int j = 1; j < kLanes; ++j) m = mv[j] > m ? mv[j] : m;
  if (m == -INFINITY) m = 0;  // all -inf: exp(-inf - 0) = 0, giving the nan PyTorch gives
  // exp summed in kLanes partial sums in the same pass; only softmax keeps it (log_softmax rewrites y below).
  for (int64_t i = 0; i < nb; i += kLanes)
    GG_SIMD for (int j = 0; j < kLanes; ++j) {
      const T e = math::exp(x[i + j] - m);
      if constexpr (!log) y[i + j] = e;
      sv[j] += e;
    }
  for (int64_t i = nb; i < n; ++i) {
    const T e = math::exp(x[i] - m);
    if constexpr (!log) y[i] = e;
    sv[0] += e;
  }
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
GG_HOST_DEVICE GG_CPU_CLONES void softmax_backward_lane(const T* g, const T* y, T* out, int64_t n) {
  T av[kLanes];
  for (int j = 0; j < kLanes; ++j) av[j] = 0;
  const int64_t nb = n - n % kLanes;
  for (int64_t i = 0; i < nb; i += kLanes)
    for (int j = 0; j < kLanes; ++j) av[j] += log ? g[i + j] : g[i + j] * y[i + j];
  for (int64_t i = nb; i < n; ++i) av[0] += log ? g[i] : g[i] * y[i];
  T acc = 0;
  for (int j = 0; j < kLanes; ++j) acc += av[j];
  if constexpr (log)
    for (int64_t i = 0; i < n; ++i) out[i] = g[i] - math::exp(y[i]) * acc;
  else
    for (int64_t i = 0; i < n; ++i) out[i] = y[i] * (g[i] - acc);
}

// The same with g constant (c) along the lane, as the gradient of a sum or mean over the softmax dim
// arrives: sum(g) = c n and sum(g y) = c sum(y), so g is never materialized.
template <class T, bool log>
GG_HOST_DEVICE GG_CPU_CLONES void softmax_backward_lane_const(T c, const T* y, T* out, int64_t n) {
  if constexpr (log) {
    const T acc = c * T(n);
    for (int64_t i = 0; i < n; ++i) out[i] = c - math::exp(y[i]) * acc;
  } else {
    T sv[kLanes];
    for (int j = 0; j < kLanes; ++j) sv[j] = 0;
    const int64_t nb = n - n % kLanes;
    for (int64_t i = 0; i < nb; i += kLanes)
      for (int j = 0; j < kLanes; ++j) sv[j] += y[i + j];
    for (int64_t i = nb; i < n; ++i) sv[0] += y[i];
    T sy = 0;
    for (int j = 0; j < kLanes; ++j) sy += sv[j];
    const T acc = c * sy;
    for (int64_t i = 0; i < n; ++i) out[i] = y[i] * (c - acc);
  }
}

// The same three bodies over a block of w <= kSoftmaxBlock adjacent lanes (a reduced dim that is not
// innermost): each pass sweeps rows of w contiguous values, so memory is read in order.
constexpr int64_t kSoftmaxBlock = 64;
template <class T, bool log>
GG_HOST_DEVICE GG_CPU_CLONES void softmax_cols(const T* x, T* y, int64_t n, int64_t s, int64_t w) {
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
      T e = math::exp(x[i * s + j] - m[j]);
      if constexpr (!log) y[i * s + j] = e;
      sum[j] += e;
    }
  for (int64_t j = 0; j < w; ++j) sum[j] = log ? std::log(sum[j]) : T(1) / sum[j];
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < w; ++j)
      y[i * s + j] = log ? (x[i * s + j] - m[j]) - sum[j] : y[i * s + j] * sum[j];
}
template <class T, bool log>
GG_HOST_DEVICE GG_CPU_CLONES void softmax_backward_cols(const T* g, const T* y, T* out, int64_t n, int64_t s, int64_t w) {
  T acc[kSoftmaxBlock];
  for (int64_t j = 0; j < w; ++j) acc[j] = 0;
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < w; ++j) acc[j] += log ? g[i * s + j] : g[i * s + j] * y[i * s + j];
  for (int64_t i = 0; i < n; ++i)
    for (int64_t j = 0; j < w; ++j) {
      const int64_t k = i * s + j;
      out[k] = log ? g[k] - math::exp(y[k]) * acc[j] : y[k] * (g[k] - acc[j]);
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
    T lx = math::log(x), l1x = math::log(T(1) - x);
    lx = lx < T(-100) ? T(-100) : lx;
    l1x = l1x < T(-100) ? T(-100) : l1x;
    return -(y * lx + (T(1) - y) * l1x);
  }
};
}  // namespace gg::fn
