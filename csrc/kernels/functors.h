// Scalar math, written once. CPU loops and (later) CUDA launchers are generic over these
// functors, so the CPU tests check the same formulas the GPU runs.
#pragma once
#include <cmath>
#include <cstdint>
#include <limits>
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

// ======================================================================== elementwise family
// (where, clamp, masked_fill, lerp, addcmul/addcdiv, extra unary math, activations, integer
// division and remainder, logical ops, nan/inf tests). One definition per formula.
namespace gg::fn {

// ---- unary math (float unless noted) ----
struct Expm1 { template <class T> GG_HOST_DEVICE T operator()(T x) const { return std::expm1(x); } };
struct Log1p { template <class T> GG_HOST_DEVICE T operator()(T x) const { return std::log1p(x); } };
struct Log2 { template <class T> GG_HOST_DEVICE T operator()(T x) const { return std::log2(x); } };
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
struct Elu {
  T alpha, scale, input_scale;
  GG_HOST_DEVICE T operator()(T x) const {
    return x > T(0) ? x * scale : alpha * scale * std::expm1(x * input_scale);
  }
};
struct Silu { template <class T> GG_HOST_DEVICE T operator()(T x) const { return x / (T(1) + std::exp(-x)); } };
// x * Phi(x), Phi the standard normal CDF.
struct GeluErf {
  template <class T> GG_HOST_DEVICE T operator()(T x) const {
    return x * T(0.5) * (T(1) + std::erf(x * T(0.70710678118654752440)));
  }
};
// 0.5 x (1 + tanh(u)), u = sqrt(2/pi) (x + 0.044715 x^3), computed as x sigmoid(2u): the
// same function with one exp instead of tanh (cheaper, and no cancellation in 1 + tanh).
struct GeluTanh {
  template <class T> GG_HOST_DEVICE T operator()(T x) const {
    const T u = T(0.79788456080286535588) * (x + T(0.044715) * x * x * x);
    return x / (T(1) + std::exp(T(-2) * u));
  }
};
// d/dx gelu(x), times the incoming gradient g.
struct GeluErfGrad {
  template <class T> GG_HOST_DEVICE T operator()(T g, T x) const {
    const T cdf = T(0.5) * (T(1) + std::erf(x * T(0.70710678118654752440)));
    const T pdf = T(0.39894228040143267794) * std::exp(T(-0.5) * x * x);
    return g * (cdf + x * pdf);
  }
};
struct GeluTanhGrad {
  template <class T> GG_HOST_DEVICE T operator()(T g, T x) const {
    const T k0 = T(0.79788456080286535588), k1 = T(0.044715);
    const T t = std::tanh(k0 * (x + k1 * x * x * x));
    return g * (T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t * t) * k0 * (T(1) + T(3) * k1 * x * x));
  }
};
// log(1 + exp(beta x)) / beta, linear above the threshold.
template <class T>
struct Softplus {
  T beta, threshold;
  GG_HOST_DEVICE T operator()(T x) const {
    return x * beta > threshold ? x : std::log1p(std::exp(x * beta)) / beta;
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
