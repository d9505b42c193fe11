// Reductions: sum, mean, prod, amax/amin, max/min (with indices), argmax/argmin.
#include <cmath>
#include <limits>

#include "kernels/cpu/reduce.h"
#include "ops/internal.h"
#include "ops/reduce_common.h"

namespace gg {
using namespace ops;
using autograd::make_node;

namespace {

template <class T> using acc_t = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;

template <class T> struct SumR {
  acc_t<T> init() const { return 0; }
  acc_t<T> step(acc_t<T> a, T x, int64_t) const { return a + x; }
  T finish(acc_t<T> a, int64_t) const { return T(a); }
};
template <class T> struct MeanR {
  double init() const { return 0; }
  double step(double a, T x, int64_t) const { return a + x; }
  T finish(double a, int64_t n) const { return T(a / double(n)); }
};
template <class T> struct ProdR {
  acc_t<T> init() const { return 1; }
  acc_t<T> step(acc_t<T> a, T x, int64_t) const { return a * x; }
  T finish(acc_t<T> a, int64_t) const { return T(a); }
};
// Max (or min with Less=false): NaN wins, as in PyTorch.
template <class T, bool IsMax> struct ExtremeR {
  T init() const {
    if constexpr (std::is_floating_point_v<T>) return IsMax ? -INFINITY : INFINITY;
    else if constexpr (std::is_same_v<T, bool>) return !IsMax;
    else return IsMax ? std::numeric_limits<T>::lowest() : std::numeric_limits<T>::max();
  }
  T step(T a, T x, int64_t) const {
    if constexpr (std::is_floating_point_v<T>) {
      if (a != a) return a;
      if (x != x) return x;
    }
    return (IsMax ? x > a : x < a) ? x : a;
  }
  T finish(T a, int64_t) const { return a; }
};
template <class T, bool IsMax> struct ArgR {
  struct Acc { T v; int64_t i; };
  Acc init() const { return {ExtremeR<T, IsMax>{}.init(), -1}; }
  Acc step(Acc a, T x, int64_t i) const {
    if (a.i < 0) return {x, i};
    if constexpr (std::is_floating_point_v<T>) {
      if (a.v != a.v) return a;
      if (x != x) return {x, i};
    }
    return (IsMax ? x > a.v : x < a.v) ? Acc{x, i} : a;
  }
  int64_t finish(Acc a, int64_t) const { return a.i < 0 ? 0 : a.i; }
};



template <unsigned Set, template <class> class R>
Tensor run_reduce(const char* op, const Tensor& in, const std::vector<bool>& mask, bool keepdim, DType dtype) {
  check_device(in, op);
  Tensor src = in->dtype == dtype ? in : cast_raw(in, dtype);
  Tensor out = empty(reduced_shape(in, mask, keepdim), dtype, in->device());
  // Sums over trailing dims of a contiguous input: vectorized lanes, chunks across threads.
  constexpr bool is_sum = std::is_same_v<R<float>, SumR<float>>, is_mean = std::is_same_v<R<float>, MeanR<float>>;
  int64_t rows, n;
  if constexpr (is_sum || is_mean) {
    if (is_floating(dtype) && cpu::trailing_rows(src, mask, rows, n)) {
      dispatch<kFloats>(dtype, op, [&](auto tag) {
        using T = typename decltype(tag)::type;
        std::vector<double> acc = cpu::row_reduce(src->data<T>(), rows, n, 0.0, [](int64_t, T v) { return v; },
                                                  [](double a, double b) { return a + b; });
        T* o = out->data<T>();
        for (int64_t r = 0; r < rows; ++r) o[r] = T(is_mean ? acc[r] / double(n) : acc[r]);
      });
      return out;
    }
  }
  cpu::ReducePlan plan(src, mask, out);
  dispatch<Set>(dtype, op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    cpu::reduce<T, T>(plan, R<T>{});
  });
  return out;
}

template <bool IsMax> struct Max_ { template <class T> using R = ExtremeR<T, IsMax>; };
template <bool IsMax> struct Arg_ { template <class T> using R = ArgR<T, IsMax>; };

Tensor extreme(const char* op, const Tensor& in, const std::vector<bool>& mask, bool keepdim, bool is_max) {
  for (int64_t d = 0; d < in->dim(); ++d)
    GG_CHECK_KIND(!mask[d] || in->sizes[d] > 0, Index, op, "(): Expected reduction dim ", d,
                  " to have non-zero size.");
  return is_max ? run_reduce<kAll, Max_<true>::R>(op, in, mask, keepdim, in->dtype)
                : run_reduce<kAll, Max_<false>::R>(op, in, mask, keepdim, in->dtype);
}

Tensor arg_extreme(const char* op, const Tensor& in, const std::vector<bool>& mask, bool keepdim, bool is_max) {
  check_device(in, op);
  for (int64_t d = 0; d < in->dim(); ++d)
    GG_CHECK_KIND(!mask[d] || in->sizes[d] > 0, Index, op, "(): Expected reduction dim ", d,
                  " to have non-zero size.");
  Tensor out = empty(reduced_shape(in, mask, keepdim), DType::Int64, in->device());
  cpu::ReducePlan plan(in, mask, out);
  dispatch<kAll>(in->dtype, op, [&](auto tag) {
    using T = typename decltype(tag)::type;
    if (is_max) cpu::reduce<T, int64_t>(plan, ArgR<T, true>{});
    else cpu::reduce<T, int64_t>(plan, ArgR<T, false>{});
  });
  return out;
}



bool full(const std::optional<DimVec>& dims) { return !dims || dims->empty(); }

}  // namespace

Tensor sum(const Tensor& t, const std::optional<DimVec>& dims, bool keepdim, std::optional<DType> dtype) {
  auto mask = reduce_mask(t, dims, "sum");
  DType dt = dtype ? *dtype : is_floating(t->dtype) ? t->dtype : DType::Int64;
  Tensor out = run_reduce<kNumbers, SumR>("sum", t, mask, keepdim, dt);
  if (auto node = make_node(full(dims) ? "SumBackward0" : "SumBackward1", [](OpNode& n, TensorList& g) -> TensorList {
        Tensor r = expand_back(g[0], n);
        return {r->dtype == n.dtype ? r : to_dtype(r, n.dtype)};
      }, {&t})) {
    remember(*node, t, mask, keepdim);
    attach(node, out);
  }
  return out;
}

Tensor mean(const Tensor& t, const std::optional<DimVec>& dims, bool keepdim, std::optional<DType> dtype) {
  DType dt = dtype ? *dtype : t->dtype;
  GG_CHECK(is_floating(dt), "mean(): could not infer output dtype. Input dtype must be either a floating point or "
           "complex dtype. Got: ", short_name(dt));
  auto mask = reduce_mask(t, dims, "mean");
  Tensor out = run_reduce<kFloats, MeanR>("mean", t, mask, keepdim, dt);
  if (auto node = make_node(full(dims) ? "MeanBackward0" : "MeanBackward1", [](OpNode& n, TensorList& g) -> TensorList {
        int64_t count = 1;
        for (size_t d = 0; d < n.shape.size(); ++d)
          if (n.shape2[d]) count *= n.shape[d];
        Tensor r = div(expand_back(g[0], n), wrapped(double(count)));
        return {r->dtype == n.dtype ? r : to_dtype(r, n.dtype)};
      }, {&t})) {
    remember(*node, t, mask, keepdim);
    attach(node, out);
  }
  return out;
}

Tensor prod(const Tensor& t, std::optional<int64_t> dim, bool keepdim, std::optional<DType> dtype) {
  std::optional<DimVec> dims;
  if (dim) dims = DimVec{*dim};
  auto mask = reduce_mask(t, dims, "prod");
  DType dt = dtype ? *dtype : is_floating(t->dtype) ? t->dtype : DType::Int64;
  Tensor out = run_reduce<kNumbers, ProdR>("prod", t, mask, keepdim, dt);
  if (auto node = make_node(dim ? "ProdBackward1" : "ProdBackward0", [](OpNode& n, TensorList& g) -> TensorList {
        Tensor self = n.get(0), result = n.get(1);
        // d prod / d x_i = prod / x_i; where an input is zero that formula fails, so use the
        // product of the others computed directly.
        Tensor zeros = compare(self, wrapped(0.0), Compare::Eq);
        bool any_zero = sum(zeros, std::nullopt, false)->data<int64_t>()[0] > 0;
        if (!any_zero) return {div(mul(expand_back(g[0], n), expand_back(result, n)), self)};
        GG_CHECK_KIND(!grad_enabled(), NotImplemented,
                      "[prod] double backward through a product with zero entries is not supported yet");
        // Product of the other entries along the reduced dims: recompute per element.
        Tensor x = contiguous(self);
        Tensor others = empty(x->sizes, x->dtype, x->device());
        dispatch<kFloats>(x->dtype, "prod_backward", [&](auto tag) {
          using T = typename decltype(tag)::type;
          const T* xs = x->data<T>();
          T* o = others->data<T>();
          const int64_t N = x->numel();
          // Full reduction or one dim: iterate over lines along the reduced dims.
          int64_t inner = 1, len = N, outer = 1;
          if (n.ints[1] >= 0) {
            int64_t d = n.ints[1];
            len = x->sizes[d];
            inner = 1;
            for (int64_t k = d + 1; k < x->dim(); ++k) inner *= x->sizes[k];
            outer = len ? N / (len * inner) : 0;
          }
          for (int64_t a = 0; a < outer; ++a)
            for (int64_t b = 0; b < inner; ++b) {
              const int64_t base = a * len * inner + b;
              T prefix = 1;
              for (int64_t i = 0; i < len; ++i) {
                o[base + i * inner] = prefix;
                prefix *= xs[base + i * inner];
              }
              T suffix = 1;
              for (int64_t i = len - 1; i >= 0; --i) {
                o[base + i * inner] *= suffix;
                suffix *= xs[base + i * inner];
              }
            }
        });
        return {mul(expand_back(g[0], n), others)};
      }, {&t})) {
    remember(*node, t, mask, keepdim);
    node->ints[1] = dim ? wrap_dim(*dim, t->dim()) : -1;
    node->save("self", t);
    node->save("result", out, true);
    attach(node, out);
  }
  return out;
}

// amax/amin and full max/min: the gradient is shared evenly between tied extremes.
static Tensor extreme_with_grad(const char* op, const char* node_name, const Tensor& t, const std::optional<DimVec>& dims,
                                bool keepdim, bool is_max) {
  auto mask = reduce_mask(t, dims, op);
  if (!dims || dims->empty())
    GG_CHECK(t->numel() > 0, op, "(): Expected reduction dim to be specified for input.numel() == 0. Specify the "
             "reduction dim with the 'dim' argument.");
  Tensor out = extreme(op, t, mask, keepdim, is_max);
  if (auto node = make_node(node_name, [](OpNode& n, TensorList& g) -> TensorList {
        Tensor self = n.get(0), result = n.get(1);
        Tensor hit = to_dtype(compare(self, expand_back(result, n), Compare::Eq), g[0]->dtype);
        DimVec red;
        for (size_t d = 0; d < n.shape.size(); ++d)
          if (n.shape2[d]) red.push_back((int64_t)d);
        Tensor count = sum(hit, red, true);
        return {div(mul(hit, expand_back(g[0], n)), count)};
      }, {&t})) {
    remember(*node, t, mask, keepdim);
    node->save("self", t);
    node->save("result", out, true);
    attach(node, out);
  }
  return out;
}

Tensor amax(const Tensor& t, const DimVec& dims, bool keepdim) {
  return extreme_with_grad("amax", "AmaxBackward0", t, dims, keepdim, true);
}
Tensor amin(const Tensor& t, const DimVec& dims, bool keepdim) {
  return extreme_with_grad("amin", "AminBackward0", t, dims, keepdim, false);
}
Tensor max_all(const Tensor& t) { return extreme_with_grad("max", "MaxBackward1", t, std::nullopt, false, true); }
Tensor min_all(const Tensor& t) { return extreme_with_grad("min", "MinBackward1", t, std::nullopt, false, false); }

// max/min along a dim: values and indices; the gradient goes to the index picked.
static std::pair<Tensor, Tensor> extreme_dim(const char* op, const char* node_name, const Tensor& t, int64_t dim,
                                             bool keepdim, bool is_max) {
  std::optional<DimVec> dims = DimVec{dim};
  auto mask = reduce_mask(t, dims, op);
  Tensor values = extreme(op, t, mask, keepdim, is_max);
  Tensor indices = arg_extreme(op, t, mask, keepdim, is_max);
  if (auto node = make_node(node_name, [](OpNode& n, TensorList& g) -> TensorList {
        if (!g[0]) return {Tensor()};
        Tensor indices = n.get(0);
        const int64_t d = n.ints[1];
        const int64_t size = n.shape.size() ? n.shape[d] : 1;
        // positions along `d` (shape 1 elsewhere) compared with the chosen indices.
        DimVec pshape(n.shape.size(), 1);
        if (!pshape.empty()) pshape[d] = size;
        Tensor positions = empty(pshape, DType::Int64, g[0]->device());
        for (int64_t i = 0; i < size; ++i) positions->data<int64_t>()[i] = i;
        Tensor idx = indices, gr = g[0];
        if (!n.ints[0] && !n.shape.empty()) {
          idx = unsqueeze(idx, d);
          gr = unsqueeze(gr, d);
        }
        Tensor pick = to_dtype(compare(positions, idx, Compare::Eq), g[0]->dtype);
        return {mul(pick, gr)};
      }, {&t})) {
    remember(*node, t, mask, keepdim);
    node->ints[1] = t->dim() ? wrap_dim(dim, t->dim()) : 0;
    node->save("indices", indices, true);
    attach(node, values);
  }
  return {values, indices};
}

std::pair<Tensor, Tensor> max_dim(const Tensor& t, int64_t dim, bool keepdim) {
  return extreme_dim("max", "MaxBackward0", t, dim, keepdim, true);
}
std::pair<Tensor, Tensor> min_dim(const Tensor& t, int64_t dim, bool keepdim) {
  return extreme_dim("min", "MinBackward0", t, dim, keepdim, false);
}

Tensor argmax(const Tensor& t, std::optional<int64_t> dim, bool keepdim) {
  if (!dim) {
    GG_CHECK_KIND(t->numel() > 0, Index, "argmax(): Expected reduction dim to be specified for input.numel() == 0.");
    Tensor flat = reshape(detach(t), DimVec{-1});
    Tensor r = arg_extreme("argmax", flat, {true}, false, true);
    return keepdim ? reshape(r, DimVec(t->dim(), 1)) : r;
  }
  return arg_extreme("argmax", t, reduce_mask(t, DimVec{*dim}, "argmax"), keepdim, true);
}
Tensor argmin(const Tensor& t, std::optional<int64_t> dim, bool keepdim) {
  if (!dim) {
    GG_CHECK_KIND(t->numel() > 0, Index, "argmin(): Expected reduction dim to be specified for input.numel() == 0.");
    Tensor flat = reshape(detach(t), DimVec{-1});
    Tensor r = arg_extreme("argmin", flat, {true}, false, false);
    return keepdim ? reshape(r, DimVec(t->dim(), 1)) : r;
  }
  return arg_extreme("argmin", t, reduce_mask(t, DimVec{*dim}, "argmin"), keepdim, false);
}

}  // namespace gg
