// More reductions: var/std, logsumexp, all/any, vector norms, cumsum/cumprod, sort/argsort,
// topk, unique. Forward (meta -> kernel) and VJP side by side; the scalar math lives in
// kernels/functors.h (reduce_extra block), the reductions run through cpu::reduce.
#include <algorithm>
#include <cstring>
#include <cmath>
#include <numeric>

#include "kernels/cpu/reduce.h"
#include "kernels/functors.h"
#include "ops/internal.h"
#include "ops/reduce_common.h"

namespace gg {
using namespace ops;
using autograd::make_node;

namespace {

template <class T> using acc_t = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;

Tensor zeros(const DimVec& shape, DType dtype) {
  Tensor z = empty(shape, dtype);
  if (z->numel()) std::memset(z->raw_data(), 0, z->numel() * z->element_size());
  return z;
}

// r, with zeros replaced by ones (a constant mask: the gradient through it is the identity).
Tensor nonzero_denominator(const Tensor& r) {
  return add(r, to_dtype(compare(r, wrapped(0.0), Compare::Eq), r->dtype));
}

// Runs a reducer over `in` (already in the compute dtype) into a new tensor of `out_dtype`.
template <unsigned Set, class MakeR>
Tensor run(const char* op, const Tensor& in, const std::vector<bool>& mask, bool keepdim, DType out_dtype,
           MakeR make) {
  check_device(in, op);
  Tensor out = empty(reduced_shape(in, mask, keepdim), out_dtype, in->device());
  cpu::ReducePlan plan(in, mask, out);
  dispatch<Set>(in->dtype, op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    auto r = make(tag);
    using Out = decltype(r.finish(r.init(), 0));
    cpu::reduce<T, Out>(plan, r);
  });
  return out;
}

// Lines along one dim of a contiguous tensor: element (a, i, b) is at a*len*inner + i*inner + b.
struct Lines {
  int64_t outer = 1, len = 1, inner = 1;
  Lines(const DimVec& sizes, int64_t d) {
    if (sizes.empty()) return;
    len = sizes[d];
    for (int64_t k = 0; k < d; ++k) outer *= sizes[k];
    for (int64_t k = d + 1; k < (int64_t)sizes.size(); ++k) inner *= sizes[k];
  }
};


}  // namespace

// ---------------------------------------------------------------- var / std
static Tensor var_std(const char* op, const Tensor& t, const std::optional<DimVec>& dims, double correction,
                      bool keepdim, bool is_std) {
  GG_CHECK(is_floating(t->dtype), "std and var only support floating point and complex dtypes (", op,
           " got a tensor of dtype ", dtype_name(t->dtype), " and shape ", shape_str(t->sizes), ")");
  auto mask = reduce_mask(t, dims, op);
  int64_t rows, n;
  Tensor out;
  if (cpu::trailing_rows(t, mask, rows, n)) {  // two passes: row means, then squared deviations
    out = empty(reduced_shape(t, mask, keepdim), t->dtype, t->device());
    dispatch<kFloats>(t->dtype, op, [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* x = t->data<T>();
      std::vector<double> mu = cpu::row_reduce(x, rows, n, 0.0, [](int64_t, T v) { return v; }, fn::Add{});
      for (double& m : mu) m /= double(n);
      std::vector<double> m2 = cpu::row_reduce(x, rows, n, 0.0, [&](int64_t r, T v) {
        const double d = double(v) - mu[r];
        return d * d;
      }, fn::Add{});
      const double dof = std::max(0.0, double(n) - correction);
      T* o = out->data<T>();
      for (int64_t r = 0; r < rows; ++r) o[r] = T(is_std ? std::sqrt(m2[r] / dof) : m2[r] / dof);
    });
  } else {
    out = run<kFloats>(op, t, mask, keepdim, t->dtype, [&](auto tag) {
      using T = typename decltype(tag)::type;
      return fn::VarReduce<T, double>{correction, is_std};
    });
  }
  auto backward = is_std ? [](OpNode& n, TensorList& g) -> TensorList {
    // d std = d var / (2 std)
    Tensor self = n.get(0), result = n.get(1);
    Tensor centered = sub(self, mean(self, reduced_dims(n), true));
    // Where std is 0 the line is constant (centered is 0): the gradient there is 0, as in PyTorch.
    Tensor scale = div(expand_back(div(g[0], nonzero_denominator(result)), n),
                       wrapped(double(reduced_count(n)) - n.scalar));
    return {mul(scale, centered)};
  } : [](OpNode& n, TensorList& g) -> TensorList {
    Tensor self = n.get(0);
    Tensor centered = sub(self, mean(self, reduced_dims(n), true));
    Tensor scale = mul(expand_back(g[0], n), wrapped(2.0 / (double(reduced_count(n)) - n.scalar)));
    return {mul(scale, centered)};
  };
  if (auto node = make_node(is_std ? "StdBackward0" : "VarBackward0", backward, {&t})) {
    remember(*node, t, mask, keepdim);
    node->save_scalar("correction", correction, is_whole(correction));
    node->save("self", t);
    if (is_std) node->save("result", out, true);
    attach(node, out);
  }
  return out;
}

Tensor var(const Tensor& t, const std::optional<DimVec>& dims, double correction, bool keepdim) {
  return var_std("var", t, dims, correction, keepdim, false);
}
Tensor std_(const Tensor& t, const std::optional<DimVec>& dims, double correction, bool keepdim) {
  return var_std("std", t, dims, correction, keepdim, true);
}

// ---------------------------------------------------------------- logsumexp
Tensor logsumexp(const Tensor& t, const DimVec& dims, bool keepdim) {
  DType dt = is_floating(t->dtype) ? t->dtype : default_float_dtype();
  Tensor src = t->dtype == dt ? t : cast_raw(t, dt);
  auto mask = reduce_mask(t, dims, "logsumexp");
  int64_t rows, n;
  Tensor out;
  if (cpu::trailing_rows(src, mask, rows, n)) {  // two passes: row max, then sum of exp(x - max)
    out = empty(reduced_shape(src, mask, keepdim), dt, src->device());
    dispatch<kFloats>(dt, "logsumexp", [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* x = src->data<T>();
      std::vector<double> m = cpu::row_reduce(x, rows, n, -INFINITY, [](int64_t, T v) { return v; }, fn::Maximum{});
      std::vector<double> se = cpu::row_reduce(x, rows, n, 0.0, [&](int64_t r, T v) {
        return std::exp(double(v) - m[r]);
      }, fn::Add{});
      T* o = out->data<T>();
      for (int64_t r = 0; r < rows; ++r) o[r] = T(std::isfinite(m[r]) ? m[r] + std::log(se[r]) : m[r]);
    });
  } else {
    out = run<kFloats>("logsumexp", src, mask, keepdim, dt, [&](auto tag) {
      using T = typename decltype(tag)::type;
      return fn::LogSumExpReduce<T, double>{};
    });
  }
  if (auto node = make_node("LogsumexpBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        Tensor self = n.get(0), result = n.get(1);
        return {mul(expand_back(g[0], n), exp(sub(self, expand_back(result, n))))};
      }, {&t})) {
    remember(*node, t, mask, keepdim);
    node->save("self", t);
    node->save("result", out, true);
    attach(node, out);
  }
  return out;
}

// ---------------------------------------------------------------- all / any (no gradient)
template <bool All>
static Tensor all_any(const char* op, const Tensor& t, const std::optional<DimVec>& dims, bool keepdim) {
  // An empty tuple of dims reduces nothing here (PyTorch's all/any), unlike sum's.
  auto mask = dims && dims->empty() ? std::vector<bool>(t->dim(), false) : reduce_mask(t, dims, op);
  return run<kAll>(op, t, mask, keepdim, DType::Bool, [&](auto tag) {
    using T = typename decltype(tag)::type;
    return fn::AllAnyReduce<T, All>{};
  });
}
Tensor all(const Tensor& t, const std::optional<DimVec>& dims, bool keepdim) {
  return all_any<true>("all", t, dims, keepdim);
}
Tensor any(const Tensor& t, const std::optional<DimVec>& dims, bool keepdim) {
  return all_any<false>("any", t, dims, keepdim);
}

// ---------------------------------------------------------------- vector norms
// The VJP of a vector norm (self and result in the same dtype).
static Tensor norm_grad(const Tensor& self, const Tensor& result, const Tensor& g, OpNode& n) {
  const double p = n.scalar;
  Tensor ge = expand_back(g, n);
  if (p == 1) return mul(sign(self), ge);
  Tensor re = expand_back(result, n);
  if (std::isinf(p)) {  // shared evenly between the entries at the extreme
    Tensor hit = to_dtype(compare(abs(self), re, Compare::Eq), self->dtype);
    Tensor count = sum(hit, reduced_dims(n), true);
    return div(mul(mul(sign(self), hit), ge), count);
  }
  if (p == 2) return mul(self, div(ge, nonzero_denominator(re)));
  // x |x|^(p-2) g / norm^(p-1); where x == 0 the factor is 0 (also for p < 2).
  Tensor scaled;
  if (p < 2) {
    Tensor zero = to_dtype(compare(self, wrapped(0.0), Compare::Eq), self->dtype);
    scaled = mul(sign(self), pow(add(abs(self), zero), wrapped(p - 1)));
  } else {
    scaled = mul(self, pow(abs(self), wrapped(p - 2)));
  }
  return mul(scaled, div(ge, pow(nonzero_denominator(re), wrapped(p - 1))));
}

Tensor vector_norm(const Tensor& t, double ord, const std::optional<DimVec>& dims, bool keepdim,
                   std::optional<DType> dtype) {
  GG_CHECK(is_floating(t->dtype), "linalg.vector_norm: Expected a floating point or complex tensor as input. Got ",
           short_name(t->dtype), " (input of shape ", shape_str(t->sizes), ")");
  if (dtype)
    GG_CHECK(is_floating(*dtype), "linalg.vector_norm: dtype should be floating point or complex. Got ",
             short_name(*dtype));
  // With `dtype`, the input is read in that dtype; the graph records only the norm (as PyTorch does).
  const Tensor in = dtype && *dtype != t->dtype ? cast_raw(t, *dtype) : t;
  auto mask = reduce_mask(in, dims, "linalg.vector_norm");
  if (ord < 0 || std::isinf(ord)) {
    for (int64_t d = 0; d < in->dim(); ++d)
      GG_CHECK(!mask[d] || in->sizes[d] > 0, "linalg.vector_norm cannot compute the ", ord,
               " norm on an empty tensor because the operation does not have an identity (input of shape ",
               shape_str(in->sizes), ", dim ", d, ")");
  }
  using fn::NormKind;
  const NormKind kind = ord == 0 ? NormKind::Zero : ord == 1 ? NormKind::One : ord == 2 ? NormKind::Two
                        : ord == INFINITY ? NormKind::Inf : ord == -INFINITY ? NormKind::NegInf : NormKind::P;
  Tensor out = empty(reduced_shape(in, mask, keepdim), in->dtype, in->device());
  check_device(in, "linalg.vector_norm");
  int64_t rows, n;
  if (cpu::trailing_rows(in, mask, rows, n)) {
    dispatch<kFloats>(in->dtype, "linalg.vector_norm", [&](auto tag) {
      using T = typename decltype(tag)::type;
      const T* x = in->data<T>();
      T* o = out->data<T>();
      auto rows_of = [&](auto r, double init, auto combine) {
        auto term = [&](int64_t, T v) { return r.step(r.init(), v, 0); };
        std::vector<double> acc = cpu::row_reduce(x, rows, n, init, term, combine);
        for (int64_t i = 0; i < rows; ++i) o[i] = r.finish(acc[i], n);
      };
      switch (kind) {
        case NormKind::Zero: rows_of(fn::NormReduce<NormKind::Zero, T, double>{ord}, 0.0, fn::Add{}); break;
        case NormKind::One: rows_of(fn::NormReduce<NormKind::One, T, double>{ord}, 0.0, fn::Add{}); break;
        case NormKind::Two: rows_of(fn::NormReduce<NormKind::Two, T, double>{ord}, 0.0, fn::Add{}); break;
        case NormKind::P: rows_of(fn::NormReduce<NormKind::P, T, double>{ord}, 0.0, fn::Add{}); break;
        case NormKind::Inf: rows_of(fn::NormReduce<NormKind::Inf, T, double>{ord}, 0.0, fn::Maximum{}); break;
        case NormKind::NegInf:
          rows_of(fn::NormReduce<NormKind::NegInf, T, double>{ord}, INFINITY, fn::Minimum{});
          break;
      }
    });
  } else {
    cpu::ReducePlan plan(in, mask, out);
    dispatch<kFloats>(in->dtype, "linalg.vector_norm", [&](auto tag) {
      using T = typename decltype(tag)::type;
      switch (kind) {
        case NormKind::Zero: cpu::reduce<T, T>(plan, fn::NormReduce<NormKind::Zero, T, double>{ord}); break;
        case NormKind::One: cpu::reduce<T, T>(plan, fn::NormReduce<NormKind::One, T, double>{ord}); break;
        case NormKind::Two: cpu::reduce<T, T>(plan, fn::NormReduce<NormKind::Two, T, double>{ord}); break;
        case NormKind::P: cpu::reduce<T, T>(plan, fn::NormReduce<NormKind::P, T, double>{ord}); break;
        case NormKind::Inf: cpu::reduce<T, T>(plan, fn::NormReduce<NormKind::Inf, T, double>{ord}); break;
        case NormKind::NegInf: cpu::reduce<T, T>(plan, fn::NormReduce<NormKind::NegInf, T, double>{ord}); break;
      }
    });
  }
  if (auto node = make_node("LinalgVectorNormBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        Tensor self = n.get(0), result = n.get(1);
        const double p = n.scalar;
        if (p == 0) return {Tensor()};  // piecewise constant: no gradient (PyTorch gives None)
        if (self->dtype != result->dtype) {  // computed in `dtype`: differentiate there, cast back
          Tensor gs = norm_grad(to_dtype(self, result->dtype), result, g[0], n);
          return {to_dtype(gs, self->dtype)};
        }
        return {norm_grad(self, result, g[0], n)};
      }, {&t})) {
    remember(*node, t, mask, keepdim);
    node->save_scalar("ord", ord, is_whole(ord));
    node->save("self", t);
    node->save("result", out, true);
    attach(node, out);
  }
  return out;
}

// ---------------------------------------------------------------- cumsum / cumprod
namespace {

// out[a, i, b] = op(out[a, i-1, b], x[a, i, b]) along the lines of a contiguous `x` (same dtype as out).
template <bool IsProd>
void scan(const Tensor& x, const Tensor& out, int64_t d, const char* op) {
  Lines L(x->sizes, d);
  dispatch<kNumbers>(x->dtype, op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    using A = acc_t<T>;
    const T* xs = x->data<T>();
    T* os = out->data<T>();
    // Tasks: (outer line, chunk of the inner dim); each element's order of accumulation is
    // fixed, so the result does not depend on the split.
    const int64_t chunk = std::min<int64_t>(std::max<int64_t>(L.inner, 1), 2048);
    const int64_t chunks = (L.inner + chunk - 1) / chunk;
    const int64_t grain = std::max<int64_t>(1, cpu::kGrainSize / std::max<int64_t>(1, L.len * chunk));
    cpu::parallel_for_small(0, L.outer * chunks, grain, [&](int64_t b, int64_t e) {
      std::vector<A> acc(chunk);
      for (int64_t task = b; task < e; ++task) {
        const int64_t a = task / chunks, j0 = (task % chunks) * chunk, j1 = std::min(L.inner, j0 + chunk);
        std::fill(acc.begin(), acc.end(), A(IsProd ? 1 : 0));
        for (int64_t i = 0; i < L.len; ++i) {
          const int64_t base = (a * L.len + i) * L.inner;
          for (int64_t j = j0; j < j1; ++j) {
            A& s = acc[j - j0];
            if constexpr (IsProd) s = fn::Mul{}(s, A(xs[base + j]));
            else s = fn::Add{}(s, A(xs[base + j]));
            os[base + j] = T(s);
          }
        }
      }
    });
  });
}

Tensor scan_forward(const char* op, const Tensor& t, int64_t dim, std::optional<DType> dtype, bool is_prod,
                    int64_t& d) {
  check_device(t, op);
  d = wrap_dim(dim, t->dim(), op);
  DType dt = dtype ? *dtype : is_integral(t->dtype, true) ? DType::Int64 : t->dtype;
  Tensor x = cast_raw(t, dt);  // contiguous, in the output dtype
  Tensor out = empty(t->sizes, dt, t->device());
  if (is_prod) scan<true>(x, out, d, op);
  else scan<false>(x, out, d, op);
  return out;
}

// sum over j >= i along d of g_j (the gradient of cumsum), with differentiable ops.
Tensor reverse_cumsum(const Tensor& g, int64_t d) {
  if (g->dim() == 0) return g;
  return add(sub(sum(g, DimVec{d}, true), cumsum(g, d)), g);
}

// Gradient of cumprod where the input has zeros: per line, with z the first zero,
//   k < z: sum_{k<=j<z} g_j y_j / x_k;  k == z: sum_{j>=z} g_j prod_{i<=j, i!=z} x_i;  k > z: 0.
Tensor cumprod_backward_with_zeros(const Tensor& g, const Tensor& self, int64_t d) {
  Tensor x = cast_raw(self, self->dtype), gc = cast_raw(g, self->dtype);
  Tensor out = empty(self->sizes, self->dtype, self->device());
  Lines L(self->sizes, d);
  dispatch<kFloats>(self->dtype, "cumprod_backward", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* xs = x->data<T>();
    const T* gs = gc->data<T>();
    T* o = out->data<T>();
    std::vector<double> y(L.len);
    for (int64_t a = 0; a < L.outer; ++a)
      for (int64_t b = 0; b < L.inner; ++b) {
        auto at = [&](int64_t i) { return (a * L.len + i) * L.inner + b; };
        int64_t z = 0;
        while (z < L.len && xs[at(z)] != T(0)) ++z;
        double prefix = 1;
        for (int64_t i = 0; i < L.len; ++i) {
          prefix *= double(xs[at(i)]);
          y[i] = prefix;
        }
        double s = 0;
        for (int64_t k = std::min(z, L.len) - 1; k >= 0; --k) {
          s += double(gs[at(k)]) * y[k];
          o[at(k)] = T(s / double(xs[at(k)]));
        }
        if (z < L.len) {
          double before = z > 0 ? y[z - 1] : 1.0, run = before, acc = 0;
          for (int64_t j = z; j < L.len; ++j) {
            if (j > z) run *= double(xs[at(j)]);
            acc += double(gs[at(j)]) * run;
          }
          o[at(z)] = T(acc);
          for (int64_t k = z + 1; k < L.len; ++k) o[at(k)] = T(0);
        }
      }
  });
  return out;
}

}  // namespace

Tensor cumsum(const Tensor& t, int64_t dim, std::optional<DType> dtype) {
  int64_t d;
  Tensor out = scan_forward("cumsum", t, dim, dtype, false, d);
  if (auto node = make_node("CumsumBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        Tensor r = reverse_cumsum(g[0], n.ints[1]);
        return {r->dtype == n.dtype ? r : to_dtype(r, n.dtype)};
      }, {&t})) {
    node->ints[1] = d;
    node->dtype = t->dtype;
    node->save_scalar("dim", double(d), true);
    attach(node, out);
  }
  return out;
}

Tensor cumprod(const Tensor& t, int64_t dim, std::optional<DType> dtype) {
  int64_t d;
  Tensor out = scan_forward("cumprod", t, dim, dtype, true, d);
  if (auto node = make_node("CumprodBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        Tensor self = n.get(0), result = n.get(1);
        const int64_t d = n.ints[1];
        Tensor r;
        Tensor zeros_in = compare(self, wrapped(0.0), Compare::Eq);
        bool any_zero = self->numel() > 0 && sum(zeros_in, std::nullopt, false)->data<int64_t>()[0] > 0;
        if (!any_zero) {
          r = div(reverse_cumsum(mul(g[0], result), d), self);
        } else {
          GG_CHECK_KIND(!grad_enabled(), NotImplemented,
                        "[cumprod] double backward through a cumulative product with zero entries is not "
                        "supported yet (input of shape ", shape_str(self->sizes), ")");
          r = cumprod_backward_with_zeros(g[0], self, d);
        }
        return {r->dtype == n.dtype ? r : to_dtype(r, n.dtype)};
      }, {&t})) {
    node->ints[1] = d;
    node->dtype = t->dtype;
    node->save_scalar("dim", double(d), true);
    node->save("self", t);
    node->save("result", out, true);
    attach(node, out);
  }
  return out;
}

namespace {

// The first k entries of each line along d in sort order (stable: ties keep input order).
std::pair<Tensor, Tensor> sorted_lines(const char* op, const Tensor& t, int64_t d, int64_t k, bool descending) {
  check_device(t, op);
  Tensor x = cast_raw(t, t->dtype);
  DimVec shape = t->sizes;
  if (!shape.empty()) shape[d] = k;
  Tensor values = empty(shape, t->dtype, t->device()), indices = empty(shape, DType::Int64, t->device());
  Lines L(t->sizes, d);
  dispatch<kAll>(t->dtype, op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* xs = x->data<T>();
    T* vs = values->data<T>();
    int64_t* is = indices->data<int64_t>();
    const int64_t lines = L.outer * L.inner;
    const int64_t grain = std::max<int64_t>(1, cpu::kGrainSize / std::max<int64_t>(1, 8 * L.len));
    cpu::parallel_for_small(0, lines, grain, [&](int64_t begin, int64_t end) {
      std::vector<int64_t> order(L.len);
      for (int64_t line = begin; line < end; ++line) {
        const int64_t a = line / L.inner, b = line % L.inner;
        const T* src = xs + a * L.len * L.inner + b;
        std::iota(order.begin(), order.end(), int64_t(0));
        // Ties keep input order: stable_sort for whole lines; for the first k < len, a
        // partial sort (O(len log k)) that breaks ties by index, which gives the same order.
        auto run = [&](auto before) {
          if (k == L.len) {
            std::stable_sort(order.begin(), order.end(), [&](int64_t i, int64_t j) {
              return before(src[i * L.inner], src[j * L.inner]);
            });
          } else {
            std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int64_t i, int64_t j) {
              const T a = src[i * L.inner], b = src[j * L.inner];
              return before(a, b) || (!before(b, a) && i < j);
            });
          }
        };
        if (descending) run(fn::SortBefore<true>{});
        else run(fn::SortBefore<false>{});
        for (int64_t i = 0; i < k; ++i) {
          const int64_t o = (a * k + i) * L.inner + b;
          vs[o] = src[order[i] * L.inner];
          is[o] = order[i];
        }
      }
    });
  });
  return {values, indices};
}

// The gradient of a value-selecting op (sort, topk): g put back where the values came from.
TensorList selected_backward(OpNode& n, TensorList& g) {
  if (!g[0]) return {Tensor()};
  if (n.shape.empty()) return {g[0]};  // 0-dim: the value itself
  // The gradient goes back to the positions the indices picked (ScatterAddBackward0 under
  // create_graph: gather is its VJP, so double backward works).
  return {scatter_add(zeros(n.shape, g[0]->dtype), n.ints[1], n.get(0), g[0])};
}

void record_selection(const char* name, const Tensor& t, int64_t d, const Tensor& values, const Tensor& indices) {
  if (auto node = make_node(name, selected_backward, {&t})) {
    node->shape = t->sizes;
    node->ints[1] = d;
    node->save_scalar("dim", double(d), true);
    node->save("indices", indices, true);
    attach(node, values);
  }
}

}  // namespace

// ---------------------------------------------------------------- sort / argsort / topk
std::pair<Tensor, Tensor> sort(const Tensor& t, int64_t dim, bool descending, bool stable) {
  const int64_t d = wrap_dim(dim, t->dim(), "sort");
  const int64_t len = t->dim() ? t->sizes[d] : 1;
  auto [values, indices] = sorted_lines("sort", t, d, len, descending);
  record_selection(stable ? "SortBackward1" : "SortBackward0", t, d, values, indices);
  return {values, indices};
}

Tensor argsort(const Tensor& t, int64_t dim, bool descending, bool) {
  const int64_t d = wrap_dim(dim, t->dim(), "argsort");
  return sorted_lines("argsort", t, d, t->dim() ? t->sizes[d] : 1, descending).second;
}

std::pair<Tensor, Tensor> topk(const Tensor& t, int64_t k, int64_t dim, bool largest, bool) {
  const int64_t d = wrap_dim(dim, t->dim(), "topk");
  const int64_t len = t->dim() ? t->sizes[d] : 1;
  GG_CHECK(k >= 0 && k <= len, "selected index k out of range (topk with k=", k, " along dim ", d,
           " of a tensor of shape ", shape_str(t->sizes), ")");
  // (A 0-dim input gives itself back, even for k = 0, as in PyTorch.)
  auto [values, indices] = sorted_lines("topk", t, d, t->dim() ? k : 1, largest);
  record_selection("TopkBackward0", t, d, values, indices);
  return {values, indices};
}

// ---------------------------------------------------------------- unique (no gradient)
std::tuple<Tensor, Tensor, Tensor> unique(const Tensor& t, bool, bool return_inverse, bool return_counts) {
  check_device(t, "unique");
  Tensor x = cast_raw(t, t->dtype);
  const int64_t n = x->numel();
  Tensor values, inverse, counts;
  dispatch<kAll>(t->dtype, "unique", [&](auto tag) {
    using T = typename decltype(tag)::type;
    const T* xs = x->data<T>();
    std::vector<int64_t> order(n);
    std::iota(order.begin(), order.end(), int64_t(0));
    std::stable_sort(order.begin(), order.end(),
                     [&](int64_t i, int64_t j) { return fn::SortBefore<false>{}(xs[i], xs[j]); });
    std::vector<T> uniq;
    std::vector<int64_t> cnt, inv(n);
    for (int64_t r = 0; r < n; ++r) {
      const T v = xs[order[r]];
      if (uniq.empty() || !(uniq.back() == v)) {
        uniq.push_back(v);
        cnt.push_back(0);
      }
      ++cnt.back();
      inv[order[r]] = (int64_t)uniq.size() - 1;
    }
    values = empty(DimVec{(int64_t)uniq.size()}, t->dtype, t->device());
    std::copy(uniq.begin(), uniq.end(), values->data<T>());
    if (return_inverse) {
      inverse = empty(t->sizes, DType::Int64, t->device());
      std::copy(inv.begin(), inv.end(), inverse->data<int64_t>());
    }
    if (return_counts) {
      counts = empty(DimVec{(int64_t)cnt.size()}, DType::Int64, t->device());
      std::copy(cnt.begin(), cnt.end(), counts->data<int64_t>());
    }
  });
  // As in PyTorch: the values are attached to a node whose backward is not implemented.
  if (auto node = make_node("Unique2Backward0", [](OpNode&, TensorList&) -> TensorList {
        fail(ErrorKind::NotImplemented, "the derivative for '_unique2' is not implemented.");
      }, {&t})) {
    attach(node, values);
  }
  return {values, inverse, counts};
}

}  // namespace gg
