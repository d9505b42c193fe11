// TensorImpl: a strided view into a Storage, with dtype, flags and (when autograd is
// involved) autograd metadata. `Tensor` is the shared handle everyone passes around.
#pragma once
#include <memory>
#include <string>
#include <vector>
#include "core/dtype.h"
#include "core/small_vector.h"
#include "core/storage.h"

namespace gg {

// Defined by autograd/: core only holds it. `requires_grad` lives here so that the hot
// path (does any input need a graph?) is one load.
struct AutogradMetaBase {
  bool requires_grad = false;
  virtual ~AutogradMetaBase() = default;
};

class TensorImpl {
 public:
  TensorImpl(std::shared_ptr<Storage> storage, DimVec sizes, DimVec strides, int64_t offset,
             DType dtype);

  std::shared_ptr<Storage> storage;
  DimVec sizes;
  DimVec strides;  // in elements
  int64_t offset;  // in elements
  DType dtype;
  bool is_inference = false;
  bool is_wrapped_number = false;  // a Python scalar turned tensor: weakest in promotion
  bool is_view = false;            // made by a view op: shares its storage with a base
  std::shared_ptr<TensorImpl> view_base;  // the root tensor a view was made from
  std::unique_ptr<AutogradMetaBase> autograd;

  int64_t dim() const { return (int64_t)sizes.size(); }
  int64_t numel() const { return numel_; }
  Device device() const { return storage->device; }
  bool requires_grad() const { return autograd && autograd->requires_grad; }
  bool is_contiguous() const { return contiguous_; }
  size_t element_size() const { return itemsize(dtype); }
  uint32_t version() const { return storage->version; }
  void bump_version() { ++storage->version; }

  void* raw_data() const {
    return static_cast<char*>(storage->data) + offset * (int64_t)itemsize(dtype);
  }
  template <typename T>
  T* data() const { return static_cast<T*>(storage->data) + offset; }

  // Changes the view in place (used by detach_-like and resize paths).
  void set_geometry(DimVec new_sizes, DimVec new_strides, int64_t new_offset);

 private:
  void refresh();
  int64_t numel_ = 1;
  bool contiguous_ = true;
};

using Tensor = std::shared_ptr<TensorImpl>;
using TensorList = SmallVec<Tensor, 4>;

// ---- helpers every layer uses ----
DimVec contiguous_strides(const DimVec& sizes);
int64_t shape_numel(const DimVec& sizes);
std::string shape_str(const DimVec& sizes);            // (2, 3)
std::string tensor_type_str(const Tensor& t);          // torch.FloatTensor [2, 3]
int64_t wrap_dim(int64_t dim, int64_t ndim, bool scalar_ok = true, const char* op = nullptr);
// The same, with the op named at the end of the message ("... but got 2) [sum]").
inline int64_t wrap_dim(int64_t dim, int64_t ndim, const char* op) { return wrap_dim(dim, ndim, true, op); }

Tensor empty(const DimVec& sizes, DType dtype, Device device = Device{});
// A view of `base` (marked is_view).
Tensor make_view(const Tensor& base, DimVec sizes, DimVec strides, int64_t offset);
// A new TensorImpl over the same bytes and geometry, without autograd metadata.
Tensor shallow_alias(const Tensor& t);

DimVec broadcast_shapes(const DimVec& a, const DimVec& b, const char* op);
// Result dtype of an op over these operands, by PyTorch's rules: dimensioned tensors beat
// zero-dim tensors beat wrapped numbers, unless a weaker one is of a higher category.
DType result_type(const Tensor* const* ts, size_t n);

}  // namespace gg
