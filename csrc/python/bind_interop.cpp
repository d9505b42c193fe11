// Memory in and out: NumPy (shared memory both ways), DLPack, and the raw factories the
// Python layer builds gradgate.tensor / zeros / rand ... on.
#include <pybind11/numpy.h>

#include <random>
#include <sstream>

#include "autograd/node.h"
#include "python/common.h"

namespace gg::py_bind {

namespace {

// ---- DLPack (v0.8 ABI, the unversioned "dltensor" capsule) ----
struct DLDevice { int32_t device_type; int32_t device_id; };
struct DLDataType { uint8_t code; uint8_t bits; uint16_t lanes; };
struct DLTensor {
  void* data;
  DLDevice device;
  int32_t ndim;
  DLDataType dtype;
  int64_t* shape;
  int64_t* strides;
  uint64_t byte_offset;
};
struct DLManagedTensor {
  DLTensor dl_tensor;
  void* manager_ctx;
  void (*deleter)(DLManagedTensor*);
};
// DLPack 1.x: versioned, with flags (a consumer may write only if READ_ONLY is clear).
struct DLPackVersion { uint32_t major; uint32_t minor; };
struct DLManagedTensorVersioned {
  DLPackVersion version;
  void* manager_ctx;
  void (*deleter)(DLManagedTensorVersioned*);
  uint64_t flags;
  DLTensor dl_tensor;
};
constexpr int32_t kDLCPU = 1, kDLCUDA = 2;
enum : uint8_t { kDLInt = 0, kDLUInt = 1, kDLFloat = 2, kDLBool = 6 };

struct DLOwner {
  Tensor tensor;
  std::vector<int64_t> shape, strides;
  DLManagedTensor managed;
  DLManagedTensorVersioned versioned;
};

DLDataType to_dl(DType t) {
  switch (t) {
    case DType::Bool: return {kDLBool, 8, 1};
    case DType::Int32: return {kDLInt, 32, 1};
    case DType::Int64: return {kDLInt, 64, 1};
    case DType::Float32: return {kDLFloat, 32, 1};
    case DType::Float64: return {kDLFloat, 64, 1};
  }
  return {0, 0, 0};
}

DType from_dl(DLDataType d) {
  GG_CHECK(d.lanes == 1, "from_dlpack: vector dtypes (lanes > 1) are not supported");
  if (d.code == kDLFloat && d.bits == 32) return DType::Float32;
  if (d.code == kDLFloat && d.bits == 64) return DType::Float64;
  if (d.code == kDLInt && d.bits == 64) return DType::Int64;
  if (d.code == kDLInt && d.bits == 32) return DType::Int32;
  if ((d.code == kDLBool || d.code == kDLUInt) && d.bits == 8 && d.code == kDLBool) return DType::Bool;
  fail(ErrorKind::Type, "from_dlpack: unsupported dtype (code ", int(d.code), ", bits ", int(d.bits),
       "); gradgate supports float32, float64, int32, int64 and bool");
}

py::capsule to_dlpack(const Tensor& t, bool versioned) {
  auto* owner = new DLOwner();
  owner->tensor = t;
  owner->shape.assign(t->sizes.begin(), t->sizes.end());
  owner->strides.assign(t->strides.begin(), t->strides.end());
  DLTensor dl;
  dl.data = t->storage->data;
  dl.device = {t->device().is_cuda() ? kDLCUDA : kDLCPU, std::max(0, t->device().index)};
  dl.ndim = (int32_t)t->dim();
  dl.dtype = to_dl(t->dtype);
  dl.shape = owner->shape.data();
  dl.strides = owner->strides.data();
  dl.byte_offset = t->offset * t->element_size();
  if (versioned) {
    owner->versioned = {{1, 0}, owner, [](DLManagedTensorVersioned* m) { delete static_cast<DLOwner*>(m->manager_ctx); }, 0, dl};
    return py::capsule(&owner->versioned, "dltensor_versioned", [](PyObject* cap) {
      // Only a capsule nobody consumed still owns its tensor.
      if (PyCapsule_IsValid(cap, "dltensor_versioned")) {
        auto* m = static_cast<DLManagedTensorVersioned*>(PyCapsule_GetPointer(cap, "dltensor_versioned"));
        if (m && m->deleter) m->deleter(m);
      }
    });
  }
  owner->managed = {dl, owner, [](DLManagedTensor* m) { delete static_cast<DLOwner*>(m->manager_ctx); }};
  return py::capsule(&owner->managed, "dltensor", [](PyObject* cap) {
    if (PyCapsule_IsValid(cap, "dltensor")) {
      auto* m = static_cast<DLManagedTensor*>(PyCapsule_GetPointer(cap, "dltensor"));
      if (m && m->deleter) m->deleter(m);
    }
  });
}

Tensor from_dlpack_capsule(py::capsule cap) {
  const bool versioned = PyCapsule_IsValid(cap.ptr(), "dltensor_versioned");
  GG_CHECK_KIND(versioned || PyCapsule_IsValid(cap.ptr(), "dltensor"), Value,
                "from_dlpack: expected an unconsumed 'dltensor' or 'dltensor_versioned' capsule");
  const DLTensor* dlp;
  std::function<void(void*)> release;
  if (versioned) {
    auto* m = static_cast<DLManagedTensorVersioned*>(PyCapsule_GetPointer(cap.ptr(), "dltensor_versioned"));
    GG_CHECK(m->version.major == 1, "from_dlpack: unsupported DLPack major version ", m->version.major);
    dlp = &m->dl_tensor;
    release = [m](void*) { if (m->deleter) m->deleter(m); };
  } else {
    auto* m = static_cast<DLManagedTensor*>(PyCapsule_GetPointer(cap.ptr(), "dltensor"));
    dlp = &m->dl_tensor;
    release = [m](void*) { if (m->deleter) m->deleter(m); };
  }
  const DLTensor& dl = *dlp;
  if (dl.device.device_type != kDLCPU) fail_no_cuda("from_dlpack");
  DType dt = from_dl(dl.dtype);
  DimVec sizes(dl.shape, dl.shape + dl.ndim);
  DimVec strides = dl.strides ? DimVec(dl.strides, dl.strides + dl.ndim) : contiguous_strides(sizes);
  int64_t extent = 1;
  for (int i = 0; i < dl.ndim; ++i) {
    GG_CHECK(strides[i] >= 0, "from_dlpack: negative strides are not supported");
    if (sizes[i] == 0) extent = 0;
    else if (extent) extent += (sizes[i] - 1) * strides[i];
  }
  char* base = static_cast<char*>(dl.data) + dl.byte_offset;
  auto storage = Storage::wrap(base, size_t(extent) * itemsize(dt), Device{}, release);
  PyCapsule_SetName(cap.ptr(), versioned ? "used_dltensor_versioned" : "used_dltensor");
  return std::make_shared<TensorImpl>(storage, sizes, strides, 0, dt);
}

// ---- NumPy ----
py::dtype np_dtype(DType t) {
  switch (t) {
    case DType::Bool: return py::dtype::of<bool>();
    case DType::Int32: return py::dtype::of<int32_t>();
    case DType::Int64: return py::dtype::of<int64_t>();
    case DType::Float32: return py::dtype::of<float>();
    case DType::Float64: return py::dtype::of<double>();
  }
  return py::dtype::of<float>();
}

DType dtype_of_np(const py::array& a) {
  const char kind = a.dtype().kind();
  const auto size = a.itemsize();
  if (kind == 'f' && size == 4) return DType::Float32;
  if (kind == 'f' && size == 8) return DType::Float64;
  if (kind == 'i' && size == 8) return DType::Int64;
  if (kind == 'i' && size == 4) return DType::Int32;
  if (kind == 'b') return DType::Bool;
  fail(ErrorKind::Type, "can't convert np.ndarray of type numpy.", std::string(py::str(a.dtype())),
       ". The only supported types are: float64, float32, int64, int32, and bool.");
}

py::array to_numpy(const Tensor& t, bool force) {
  if (!force) {
    GG_CHECK(!t->requires_grad(), "Can't call numpy() on Tensor that requires grad. Use tensor.detach().numpy() instead.");
  }
  if (t->device().is_cuda())
    fail(ErrorKind::Type, "can't convert cuda:0 device type tensor to numpy. Use Tensor.cpu() to copy the tensor to host memory first.");
  std::vector<py::ssize_t> shape(t->sizes.begin(), t->sizes.end()), strides;
  for (int64_t s : t->strides) strides.push_back(s * (int64_t)t->element_size());
  Tensor keep = t;
  py::capsule base(new Tensor(keep), [](void* p) { delete static_cast<Tensor*>(p); });
  return py::array(np_dtype(t->dtype), shape, strides, t->raw_data(), base);
}

Tensor from_numpy(py::array a) {
  DType dt = dtype_of_np(a);
  const int64_t es = (int64_t)itemsize(dt);
  DimVec sizes, strides;
  int64_t extent = 1;
  for (py::ssize_t i = 0; i < a.ndim(); ++i) {
    sizes.push_back(a.shape(i));
    int64_t sb = a.strides(i);
    GG_CHECK_KIND(sb >= 0, Value, "At least one stride in the given numpy array is negative, and tensors with negative "
                  "strides are not currently supported. (You can probably work around this by making a copy of your "
                  "array  with array.copy().) ");
    GG_CHECK_KIND(sb % es == 0, Value, "given numpy array strides not a multiple of the element byte size. Copy the "
                  "numpy array to reallocate the memory.");
    strides.push_back(sb / es);
    if (a.shape(i) == 0) extent = 0;
    else if (extent) extent += (a.shape(i) - 1) * (sb / es);
  }
  PyObject* owner = a.ptr();
  Py_INCREF(owner);
  auto storage = Storage::wrap(const_cast<void*>(a.data()), size_t(extent) * es, Device{}, [owner](void*) {
    py::gil_scoped_acquire gil;
    Py_DECREF(owner);
  });
  auto t = std::make_shared<TensorImpl>(storage, sizes, strides, 0, dt);
  t->is_inference = modes().inference;
  return t;
}

// ---- random numbers: one seeded generator, as torch.manual_seed gives ----
std::mt19937_64& generator() {
  static std::mt19937_64 g(0x5eed);
  return g;
}
uint64_t g_seed = 0x5eed;

template <typename Fill>
Tensor random_tensor(const DimVec& shape, DType dt, Fill fill) {
  Tensor t = empty(shape, dt);
  dispatch<kNumbers>(dt, "random", [&](auto tag) {
    using T = typename decltype(tag)::type;
    T* p = t->data<T>();
    for (int64_t i = 0; i < t->numel(); ++i) p[i] = (T)fill();
  });
  return t;
}

}  // namespace

void bind_interop(py::module_& m) {
  py::object tensor_cls = m.attr("Tensor");
  py::setattr(tensor_cls, "numpy", py::cpp_function(
      [](const Tensor& t, bool force) { return to_numpy(t, force); }, py::is_method(tensor_cls),
      py::arg("force") = false));
  py::setattr(tensor_cls, "__dlpack__", py::cpp_function(
      [](const Tensor& t, py::kwargs kwargs) {
        if (t->requires_grad()) throw py::buffer_error("Can't export tensors that require gradient, use tensor.detach()");
        bool versioned = false;
        if (kwargs.contains("max_version") && !kwargs["max_version"].is_none())
          versioned = kwargs["max_version"].cast<py::tuple>()[0].cast<int>() >= 1;
        return to_dlpack(t, versioned);
      }, py::is_method(tensor_cls)));
  py::setattr(tensor_cls, "__dlpack_device__", py::cpp_function(
      [](const Tensor& t) {
        return py::make_tuple(t->device().is_cuda() ? kDLCUDA : kDLCPU, std::max(0, t->device().index));
      }, py::is_method(tensor_cls)));

  m.def("_from_numpy", &from_numpy);
  m.def("_from_dlpack_capsule", &from_dlpack_capsule);
  m.def("_empty", [](py::handle shape, py::handle dtype) {
    return empty(shape_from_obj(shape), optional_dtype(dtype).value_or(default_float_dtype()));
  });
  // zeros / ones / full: filled at birth, so the version counter starts at 0 as in PyTorch.
  m.def("_full", [](py::handle shape, py::handle value, py::handle dtype) {
    Tensor t = empty(shape_from_obj(shape), optional_dtype(dtype).value_or(default_float_dtype()));
    Tensor v = to_dtype(operand_or_throw(value, "full", "fill_value"), t->dtype);
    dispatch<kAll>(t->dtype, "full", [&](auto tag) {
      using T = typename decltype(tag)::type;
      std::fill_n(t->data<T>(), t->numel(), *v->data<T>());
    });
    return t;
  });
  m.def("manual_seed", [](uint64_t seed) {
    g_seed = seed;
    generator().seed(seed);
  });
  m.def("initial_seed", []() { return g_seed; });
  m.def("_rand", [](py::handle shape, py::handle dtype) {
    std::uniform_real_distribution<double> u(0.0, 1.0);
    return random_tensor(shape_from_obj(shape), optional_dtype(dtype).value_or(default_float_dtype()),
                         [&] { return u(generator()); });
  });
  m.def("_randn", [](py::handle shape, py::handle dtype) {
    std::normal_distribution<double> n(0.0, 1.0);
    return random_tensor(shape_from_obj(shape), optional_dtype(dtype).value_or(default_float_dtype()),
                         [&] { return n(generator()); });
  });
  m.def("_randint", [](int64_t low, int64_t high, py::handle shape, py::handle dtype) {
    GG_CHECK(low < high, "random_ expects 'from' to be less than 'to', but got from=", low, " >= to=", high);
    std::uniform_int_distribution<int64_t> u(low, high - 1);
    return random_tensor(shape_from_obj(shape), optional_dtype(dtype).value_or(DType::Int64),
                         [&] { return u(generator()); });
  });
  m.def("_randperm", [](int64_t n) {
    Tensor t = empty(DimVec{n}, DType::Int64);
    int64_t* p = t->data<int64_t>();
    for (int64_t i = 0; i < n; ++i) p[i] = i;
    std::shuffle(p, p + n, generator());
    return t;
  });
  m.def("_get_rng_state", []() {
    std::ostringstream os;
    os << generator();
    return py::bytes(os.str());
  });
  m.def("_set_rng_state", [](py::bytes state) {
    std::istringstream is{std::string(state)};
    is >> generator();
  });
}

}  // namespace gg::py_bind
