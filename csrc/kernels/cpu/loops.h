// Elementwise loops over N strided operands. The plan merges dimensions that are
// contiguous for every operand; the inner loop then has a contiguous fast path the
// compiler vectorizes, a broadcast-scalar path, and a general strided path.
#pragma once
#include <cstring>
#include <type_traits>
#include <utility>
#include "core/tensor_impl.h"
#include "kernels/cpu/parallel.h"
#include "kernels/fast_math.h"  // GG_CPU_CLONES

namespace gg::cpu {

constexpr int kMaxOperands = 4;

struct LoopPlan {
  int nargs = 0;  // output first, then inputs
  DimVec sizes;
  DimVec strides[kMaxOperands];  // in bytes, per operand
  char* base[kMaxOperands];
  int64_t numel = 1;

  // Operands are broadcast to out's shape (inputs with fewer dims are right-aligned).
  LoopPlan(const Tensor& out, std::initializer_list<const Tensor*> inputs);
};

namespace detail {

template <class F, class = void>
struct compute_bound : std::false_type {};
template <class F>
struct compute_bound<F, std::void_t<decltype(F::kComputeBound)>> : std::bool_constant<F::kComputeBound> {};

template <typename Out, typename... In, typename F, size_t... I>
__attribute__((flatten)) inline void contiguous_loop(char** p, int64_t n, const F& f, std::index_sequence<I...>) {
  Out* o = reinterpret_cast<Out*>(p[0]);
  auto in = std::make_tuple(reinterpret_cast<const In*>(p[I + 1])...);
  for (int64_t i = 0; i < n; ++i) o[i] = f(std::get<I>(in)[i]...);
}

// The same loop also built for AVX-512 (picked at load time), for transcendental float32 bodies
// where twice the vector width is twice the speed.
template <typename Out, typename... In, typename F, size_t... I>
__attribute__((flatten)) GG_CPU_CLONES void contiguous_loop_wide(char** p, int64_t n, const F& f,
                                                                 std::index_sequence<I...> seq) {
  contiguous_loop<Out, In...>(p, n, f, seq);
}

// flatten: the functor, and the fast_math bodies in it, must be inlined for the loops below to
// vectorize, and in a large translation unit GCC's inlining budget would otherwise decline them.
template <typename Out, typename... In, typename F, size_t... I>
__attribute__((flatten)) inline void run_inner(char** p, const int64_t* st, int64_t n, const F& f_ref, std::index_sequence<I...>) {
  // A local copy: the functor's parameters (a slope, a scalar operand) then live in registers.
  // Read through the reference they could alias the output, so each iteration would reload
  // them, and a select such as `c ? a : s` would become a branch instead of a vector blend.
  const F f = f_ref;
  constexpr int64_t so = sizeof(Out);
  bool contiguous = st[0] == so && ((st[I + 1] == (int64_t)sizeof(In)) && ...);
  if (contiguous) {
    if constexpr (compute_bound<F>::value && std::is_same_v<Out, float>)
      contiguous_loop_wide<Out, In...>(p, n, f, std::index_sequence<I...>{});
    else
      contiguous_loop<Out, In...>(p, n, f, std::index_sequence<I...>{});
    return;
  }
  if constexpr (sizeof...(In) == 2) {
    using A = std::tuple_element_t<0, std::tuple<In...>>;
    using B = std::tuple_element_t<1, std::tuple<In...>>;
    if (st[0] == so && st[1] == (int64_t)sizeof(A) && st[2] == 0) {
      Out* o = reinterpret_cast<Out*>(p[0]);
      const A* a = reinterpret_cast<const A*>(p[1]);
      const B b = *reinterpret_cast<const B*>(p[2]);
      for (int64_t i = 0; i < n; ++i) o[i] = f(a[i], b);
      return;
    }
    if (st[0] == so && st[1] == 0 && st[2] == (int64_t)sizeof(B)) {
      Out* o = reinterpret_cast<Out*>(p[0]);
      const A a = *reinterpret_cast<const A*>(p[1]);
      const B* b = reinterpret_cast<const B*>(p[2]);
      for (int64_t i = 0; i < n; ++i) o[i] = f(a, b[i]);
      return;
    }
  }
  for (int64_t i = 0; i < n; ++i) {
    *reinterpret_cast<Out*>(p[0] + i * st[0]) =
        f(*reinterpret_cast<const In*>(p[I + 1] + i * st[I + 1])...);
  }
}

}  // namespace detail

// Runs out = f(in...) over the plan, splitting across threads above the grain size.
template <typename Out, typename... In, typename F>
void elementwise(const LoopPlan& plan, const F& f, int64_t grain = kGrainSize) {
  constexpr int N = 1 + sizeof...(In);
  const int nd = (int)plan.sizes.size();
  auto body = [&](int64_t begin, int64_t end) {
    char* p[N];
    int64_t inner_st[N];
    if (nd == 0) {
      for (int k = 0; k < N; ++k) { p[k] = plan.base[k]; inner_st[k] = 0; }
      detail::run_inner<Out, In...>(p, inner_st, 1, f, std::index_sequence_for<In...>{});
      return;
    }
    const int64_t inner = plan.sizes[nd - 1];
    for (int k = 0; k < N; ++k) inner_st[k] = plan.strides[k][nd - 1];
    DimVec idx(nd, 0);
    int64_t rem = begin;
    for (int d = nd - 1; d >= 0; --d) {
      idx[d] = rem % plan.sizes[d];
      rem /= plan.sizes[d];
    }
    int64_t pos = begin;
    while (pos < end) {
      for (int k = 0; k < N; ++k) {
        char* q = plan.base[k];
        for (int d = 0; d < nd; ++d) q += idx[d] * plan.strides[k][d];
        p[k] = q;
      }
      int64_t n = std::min(inner - idx[nd - 1], end - pos);
      detail::run_inner<Out, In...>(p, inner_st, n, f, std::index_sequence_for<In...>{});
      pos += n;
      idx[nd - 1] += n;
      for (int d = nd - 1; d > 0 && idx[d] >= plan.sizes[d]; --d) {
        idx[d] = 0;
        ++idx[d - 1];
      }
    }
  };
  parallel_for_small(0, plan.numel, grain, body);
}

}  // namespace gg::cpu
