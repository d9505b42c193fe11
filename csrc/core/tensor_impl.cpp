#include "core/tensor_impl.h"

#include <sstream>

#include "alloc/cpu_allocator.h"
#include "core/modes.h"

namespace gg {

TensorImpl::TensorImpl(std::shared_ptr<Storage> s, DimVec sz, DimVec st, int64_t off, DType dt)
    : storage(std::move(s)), sizes(std::move(sz)), strides(std::move(st)), offset(off), dtype(dt) {
  refresh();
}

void TensorImpl::set_geometry(DimVec new_sizes, DimVec new_strides, int64_t new_offset) {
  sizes = std::move(new_sizes);
  strides = std::move(new_strides);
  offset = new_offset;
  refresh();
}

void TensorImpl::refresh() {
  numel_ = shape_numel(sizes);
  contiguous_ = true;
  int64_t expected = 1;
  for (int64_t i = (int64_t)sizes.size() - 1; i >= 0; --i) {
    if (sizes[i] == 1) continue;
    if (strides[i] != expected) {
      contiguous_ = false;
      break;
    }
    expected *= sizes[i];
  }
  if (numel_ == 0) contiguous_ = true;
}

DimVec contiguous_strides(const DimVec& sizes) {
  DimVec st(sizes.size(), 1);
  int64_t acc = 1;
  for (int64_t i = (int64_t)sizes.size() - 1; i >= 0; --i) {
    st[i] = acc;
    acc *= sizes[i] > 1 ? sizes[i] : 1;
  }
  return st;
}

int64_t shape_numel(const DimVec& sizes) {
  int64_t n = 1;
  for (int64_t s : sizes) n *= s;
  return n;
}

std::string shape_str(const DimVec& sizes) {
  std::ostringstream os;
  os << "(";
  for (size_t i = 0; i < sizes.size(); ++i) os << (i ? ", " : "") << sizes[i];
  if (sizes.size() == 1) os << ",";
  os << ")";
  return os.str();
}

std::string tensor_type_str(const Tensor& t) {
  std::ostringstream os;
  os << legacy_type_name(t->dtype) << " [";
  for (size_t i = 0; i < t->sizes.size(); ++i) os << (i ? ", " : "") << t->sizes[i];
  os << "]";
  return os.str();
}

int64_t wrap_dim(int64_t dim, int64_t ndim, bool scalar_ok, const char* op) {
  int64_t n = ndim;
  if (n == 0 && scalar_ok) n = 1;
  const std::string where = op ? str_cat(" [", op, "]") : std::string();
  if (n == 0) fail(ErrorKind::Index, "dimension specified as ", dim, " but tensor has no dimensions", where);
  if (dim < -n || dim >= n)
    fail(ErrorKind::Index, "Dimension out of range (expected to be in range of [", -n, ", ", n - 1,
         "], but got ", dim, ")", where);
  return dim < 0 ? dim + n : dim;
}

Tensor empty(const DimVec& sizes, DType dtype, Device device) {
  int64_t n = 1;
  for (int64_t s : sizes) {
    GG_CHECK(s >= 0, "Trying to create tensor with negative dimension ", s, ": ", shape_str(sizes));
    n *= s;
  }
  auto storage = Storage::allocate(size_t(n) * itemsize(dtype), device);
  auto t = alloc::make_pooled<TensorImpl>(std::move(storage), sizes, contiguous_strides(sizes), 0, dtype);
  t->is_inference = modes().inference;
  return t;
}

Tensor make_view(const Tensor& base, DimVec sizes, DimVec strides, int64_t offset) {
  auto t = alloc::make_pooled<TensorImpl>(base->storage, std::move(sizes), std::move(strides), offset,
                                        base->dtype);
  t->is_inference = base->is_inference || modes().inference;
  t->is_view = true;
  t->view_base = base->view_base ? base->view_base : base;
  return t;
}

Tensor shallow_alias(const Tensor& t) {
  auto a = alloc::make_pooled<TensorImpl>(t->storage, t->sizes, t->strides, t->offset, t->dtype);
  a->is_inference = t->is_inference;
  return a;
}

DimVec broadcast_shapes(const DimVec& a, const DimVec& b, const char* op) {
  size_t n = std::max(a.size(), b.size());
  DimVec out(n, 1);
  for (size_t i = n; i-- > 0;) {  // from the right, so the reported dim matches PyTorch's
    int64_t da = i < n - a.size() ? 1 : a[i - (n - a.size())];
    int64_t db = i < n - b.size() ? 1 : b[i - (n - b.size())];
    if (da == db || db == 1) {
      out[i] = da;
    } else if (da == 1) {
      out[i] = db;
    } else {
      fail(ErrorKind::Runtime, "The size of tensor a (", da, ") must match the size of tensor b (", db,
           ") at non-singleton dimension ", i, " [", op, ": shapes ", shape_str(a), " and ",
           shape_str(b), "]");
    }
  }
  return out;
}

DType result_type(const Tensor* const* ts, size_t n) {
  // Three priority tiers, each with its own promoted dtype; a weaker tier wins only by
  // bringing a higher category (e.g. a float scalar into an int tensor).
  int have[3] = {0, 0, 0};
  DType tier[3] = {DType::Bool, DType::Bool, DType::Bool};
  for (size_t i = 0; i < n; ++i) {
    const Tensor& t = *ts[i];
    int k = t->is_wrapped_number ? 2 : t->dim() == 0 ? 1 : 0;
    tier[k] = have[k] ? promote(tier[k], t->dtype) : t->dtype;
    have[k] = 1;
  }
  DType r = DType::Bool;
  bool set = false;
  for (int k = 0; k < 3; ++k) {
    if (!have[k]) continue;
    DType cand = tier[k];
    if (k == 2 && is_floating(cand)) cand = default_float_dtype();  // Python floats
    if (k == 2 && cand == DType::Int32) cand = DType::Int64;
    if (!set) {
      r = cand;
      set = true;
    } else if (category(cand) > category(r)) {
      r = cand;
    }
  }
  return r;
}

}  // namespace gg
