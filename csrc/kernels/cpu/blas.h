// GEMM: our AVX-512 kernel for float where the CPU has it, OpenBLAS (scipy-openblas32) for other float
// and double, a plain loop for integers.
#pragma once
#include <cstdint>

namespace gg::cpu {

// Row-major C[M,N] = alpha * op(A)[M,K] @ op(B)[K,N] + beta * C.
template <typename T>
void gemm(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, T alpha, const T* A, int64_t lda,
          const T* B, int64_t ldb, T beta, T* C, int64_t ldc);

// The AVX-512 float32 GEMM (kernels/cpu/sgemm_avx512.cpp), same contract as gemm; false when this CPU
// lacks AVX-512 (or K is 0) and the caller should use OpenBLAS.
bool sgemm_avx512(bool trans_a, bool trans_b, int64_t M, int64_t N, int64_t K, float alpha, const float* A,
                  int64_t lda, const float* B, int64_t ldb, float beta, float* C, int64_t ldc);

}  // namespace gg::cpu
