// User-facing errors. Each kind maps to the Python exception PyTorch raises for it.
#pragma once
#include <sstream>
#include <stdexcept>
#include <string>

namespace gg {

enum class ErrorKind { Runtime, Index, Value, Type, NotImplemented };

struct Error : std::runtime_error {
  ErrorKind kind;
  Error(ErrorKind k, const std::string& msg) : std::runtime_error(msg), kind(k) {}
};

namespace detail {
inline void append(std::ostringstream&) {}
template <typename T, typename... R>
void append(std::ostringstream& os, const T& v, const R&... rest) {
  os << v;
  append(os, rest...);
}
}  // namespace detail

template <typename... A>
std::string str_cat(const A&... parts) {
  std::ostringstream os;
  detail::append(os, parts...);
  return os.str();
}

template <typename... A>
[[noreturn]] void fail(ErrorKind kind, const A&... parts) {
  throw Error(kind, str_cat(parts...));
}

}  // namespace gg

// User errors: a RuntimeError unless GG_CHECK_KIND names another kind.
#define GG_CHECK(cond, ...) \
  do {                      \
    if (!(cond)) ::gg::fail(::gg::ErrorKind::Runtime, __VA_ARGS__); \
  } while (0)
#define GG_CHECK_KIND(cond, kind, ...) \
  do {                                 \
    if (!(cond)) ::gg::fail(::gg::ErrorKind::kind, __VA_ARGS__); \
  } while (0)
// Internal invariants: a failure here is a gradgate bug, reported as such.
#define GG_ASSERT(cond)                                                            \
  do {                                                                             \
    if (!(cond))                                                                   \
      ::gg::fail(::gg::ErrorKind::Runtime, "gradgate internal error: ", #cond,     \
                 " at ", __FILE__, ":", __LINE__, " (please report a bug)");       \
  } while (0)
