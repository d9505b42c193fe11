#include "kernels/cpu/blas.h"

#include <cblas.h>

#include "core/error.h"
#include "kernels/cpu/parallel.h"

extern "C" void scipy_openblas_set_num_threads(int);

namespace gg::cpu {

namespace {
int32_t to_blas_int(int64_t v) {
  GG_CHECK(v <= INT32_MAX, "[matmul] dimension ", v, " exceeds the 32-bit BLAS limit");
  return (int32_t)v;
}

// OpenBLAS threads a GEMM from about 262K multiply-adds. Up to ~1M its threads save little on an idle
// machine and cost milliseconds on a busy one (they spin-wait for the caller and get descheduled), so such
// GEMMs run on the calling thread. The switch is global, so it is made only outside our parallel regions.
constexpr double kSerialGemmMacs = double(1 << 20);
class SerialBlasGuard {
 public:
  SerialBlasGuard(int64_t M, int64_t N, int64_t K)
      : threads_(double(M) * double(N) * double(K) < kSerialGemmMacs && !in_parallel_region() ? get_num_threads()
                                                                                             : 1) {
    if (threads_ > 1) scipy_openblas_set_num_threads(1);
  }
  ~SerialBlasGuard() {
    if (threads_ > 1) scipy_openblas_set_num_threads(threads_);
  }

 private:
  int threads_;
};
}  // namespace

template <>
void gemm<float>(bool ta, bool tb, int64_t M, int64_t N, int64_t K, float alpha, const float* A, int64_t lda,
                 const float* B, int64_t ldb, float beta, float* C, int64_t ldc) {
  SerialBlasGuard serial(M, N, K);
  scipy_cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, to_blas_int(M),
                    to_blas_int(N), to_blas_int(K), alpha, A, to_blas_int(lda), B, to_blas_int(ldb), beta, C,
                    to_blas_int(ldc));
}

template <>
void gemm<double>(bool ta, bool tb, int64_t M, int64_t N, int64_t K, double alpha, const double* A, int64_t lda,
                  const double* B, int64_t ldb, double beta, double* C, int64_t ldc) {
  SerialBlasGuard serial(M, N, K);
  scipy_cblas_dgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, to_blas_int(M),
                    to_blas_int(N), to_blas_int(K), alpha, A, to_blas_int(lda), B, to_blas_int(ldb), beta, C,
                    to_blas_int(ldc));
}

template <typename T>
void gemm(bool ta, bool tb, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda, const T* B,
          int64_t ldb, T beta, T* C, int64_t ldc) {
  for (int64_t i = 0; i < M; ++i)
    for (int64_t j = 0; j < N; ++j) {
      T acc = 0;
      for (int64_t k = 0; k < K; ++k) {
        T a = ta ? A[k * lda + i] : A[i * lda + k];
        T b = tb ? B[j * ldb + k] : B[k * ldb + j];
        acc += a * b;
      }
      C[i * ldc + j] = alpha * acc + (beta == T(0) ? T(0) : beta * C[i * ldc + j]);
    }
}
template void gemm<int32_t>(bool, bool, int64_t, int64_t, int64_t, int32_t, const int32_t*, int64_t, const int32_t*,
                            int64_t, int32_t, int32_t*, int64_t);
template void gemm<int64_t>(bool, bool, int64_t, int64_t, int64_t, int64_t, const int64_t*, int64_t, const int64_t*,
                            int64_t, int64_t, int64_t*, int64_t);

}  // namespace gg::cpu
