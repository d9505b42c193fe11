#include "kernels/cpu/parallel.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

extern "C" void scipy_openblas_set_num_threads(int);

namespace gg::cpu {
namespace {

thread_local bool tl_in_parallel = false;

class Pool {
 public:
  explicit Pool(int n) : num_threads_(std::max(1, n)) { start(); }
  ~Pool() { stop(); }

  int size() const { return num_threads_; }
  void resize(int n) {
    n = std::max(1, n);
    if (n == num_threads_) return;
    stop();
    num_threads_ = n;
    start();
  }

  void run(int64_t begin, int64_t end, int64_t grain, const std::function<void(int64_t, int64_t)>& fn) {
    int64_t total = end - begin;
    int64_t chunks = std::min<int64_t>(num_threads_, (total + grain - 1) / grain);
    if (chunks <= 1) {
      fn(begin, end);
      return;
    }
    std::lock_guard<std::mutex> job_lock(job_mu_);  // one parallel region at a time
    int64_t per = (total + chunks - 1) / chunks;
    std::exception_ptr err;
    std::mutex err_mu;
    std::function<void(int64_t)> task = [&](int64_t c) {
      int64_t b = begin + c * per, e = std::min(end, b + per);
      if (b >= e) return;
      try {
        fn(b, e);
      } catch (...) {
        std::lock_guard<std::mutex> l(err_mu);
        if (!err) err = std::current_exception();
      }
    };
    uint64_t gen;
    {
      std::lock_guard<std::mutex> l(mu_);
      task_ = &task;
      chunks_ = chunks;
      pending_.store(chunks);
      gen = ++generation_;
      next_claim_.store(gen << kChunkBits, std::memory_order_release);
    }
    cv_.notify_all();
    tl_in_parallel = true;
    run_claimed(task, gen, chunks);
    tl_in_parallel = false;
    spin_until([&] { return pending_.load(std::memory_order_acquire) == 0; });
    {
      std::unique_lock<std::mutex> l(mu_);
      done_cv_.wait(l, [&] { return pending_.load() == 0; });
      task_ = nullptr;
    }
    if (err) std::rethrow_exception(err);
  }

 private:
  // Waking a sleeping thread costs 40-70 us here (measured), more than many kernels take: a worker waiting
  // for the next job, and the caller waiting for its workers, spin this long before sleeping.
  static constexpr auto kSpin = std::chrono::microseconds(100);
  template <typename Pred>
  static void spin_until(const Pred& done) {
    const auto deadline = std::chrono::steady_clock::now() + kSpin;
    for (int i = 1; !done(); ++i) {
#if defined(__x86_64__) || defined(__i386__)
      __builtin_ia32_pause();
#endif
      if (i % 64 == 0 && std::chrono::steady_clock::now() > deadline) return;
    }
  }

  void start() {
    quit_ = false;
    for (int i = 1; i < num_threads_; ++i) workers_.emplace_back([this] { loop(); });
  }
  void stop() {
    {
      std::lock_guard<std::mutex> l(mu_);
      quit_ = true;
    }
    cv_.notify_all();
    for (auto& w : workers_) w.join();
    workers_.clear();
  }
  // Chunks go to whoever claims them first, the caller included: a chunk whose worker has not been
  // scheduled yet (another process holds its core) runs on the caller instead of keeping it waiting.
  // A claim carries the job's generation, so a worker waking late cannot take a chunk of a later job.
  void run_claimed(const std::function<void(int64_t)>& task, uint64_t gen, int64_t chunks) {
    uint64_t claim = next_claim_.load(std::memory_order_acquire);
    for (;;) {
      if (claim >> kChunkBits != gen || int64_t(claim & kChunkMask) >= chunks) return;
      if (!next_claim_.compare_exchange_weak(claim, claim + 1, std::memory_order_acq_rel)) continue;
      task(int64_t(claim & kChunkMask));
      if (pending_.fetch_sub(1, std::memory_order_acq_rel) == 1) {
        std::lock_guard<std::mutex> l(mu_);
        done_cv_.notify_all();
      }
      claim = next_claim_.load(std::memory_order_acquire);
    }
  }

  void loop() {
    tl_in_parallel = true;
    uint64_t seen = 0;
    for (;;) {
      const std::function<void(int64_t)>* task;
      int64_t chunks;
      spin_until([&] { return generation_.load(std::memory_order_acquire) != seen; });
      {
        std::unique_lock<std::mutex> l(mu_);
        cv_.wait(l, [&] { return quit_ || (generation_ != seen && task_); });
        if (quit_) return;
        seen = generation_;
        task = task_;
        chunks = chunks_;
      }
      run_claimed(*task, seen, chunks);
    }
  }

  int num_threads_;
  std::vector<std::thread> workers_;
  std::mutex job_mu_, mu_;
  std::condition_variable cv_, done_cv_;
  const std::function<void(int64_t)>* task_ = nullptr;
  int64_t chunks_ = 0;
  std::atomic<int64_t> pending_{0};
  std::atomic<uint64_t> generation_{0};
  static constexpr int kChunkBits = 20;
  static constexpr uint64_t kChunkMask = (uint64_t(1) << kChunkBits) - 1;
  std::atomic<uint64_t> next_claim_{0};  // generation << kChunkBits | next unclaimed chunk
  bool quit_ = false;
};

int default_threads() {
  unsigned hc = std::thread::hardware_concurrency();
  return hc ? (int)hc : 1;
}

Pool& pool() {
  static Pool* p = [] {
    scipy_openblas_set_num_threads(1);  // GEMMs are threaded by this pool (kernels/cpu/blas.cpp)
    return new Pool(default_threads());  // leaked on purpose: no join at exit
  }();
  return *p;
}

}  // namespace

int get_num_threads() { return pool().size(); }

void set_num_threads(int n) {
  pool().resize(n);
}

bool in_parallel_region() { return tl_in_parallel; }

void parallel_for(int64_t begin, int64_t end, int64_t grain,
                  const std::function<void(int64_t, int64_t)>& fn) {
  if (end <= begin) return;
  if (tl_in_parallel || get_num_threads() == 1 || end - begin <= grain) {
    fn(begin, end);
    return;
  }
  pool().run(begin, end, std::max<int64_t>(grain, 1), fn);
}

}  // namespace gg::cpu
