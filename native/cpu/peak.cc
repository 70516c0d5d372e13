// fmaPeak(isa, threads, iters) -> { flops, seconds, threads }: runs the
// independent-FMA loop of peak_<isa>.cc on `threads` pool threads at once, so
// benchmarks can state GEMM speed as a share of what this machine can do.
#include <atomic>
#include <chrono>
#include <cstring>

#include "../binding/args.h"
#include "isa.h"
#include "parallel.h"

namespace tf {
namespace cpu {
#ifndef TF_NO_X86_KERNELS
double peak_fma_f32_avx512(int64_t iters, float mul, float add);
double peak_fma_f32_avx2(int64_t iters, float mul, float add);
#endif
}  // namespace cpu

namespace binding {

TF_EXPORT(fmaPeak) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) type_error(env, "fmaPeak: isa must be 'avx2' or 'avx512'");
  std::string isa = info[0].As<Napi::String>().Utf8Value();
  int64_t threads = int_arg(info, 1, "fmaPeak", "threads", 1, 256);
  int64_t iters = int_arg(info, 2, "fmaPeak", "iters", 1, (int64_t)1 << 40);
  double (*fn)(int64_t, float, float) = nullptr;
#ifndef TF_NO_X86_KERNELS
  int best = (int)cpu::best_supported_isa();
  if (isa == "avx512" && best >= (int)cpu::Isa::Avx512) fn = cpu::peak_fma_f32_avx512;
  if (isa == "avx2" && best >= (int)cpu::Isa::Avx2) fn = cpu::peak_fma_f32_avx2;
#endif
  if (!fn) range_error(env, "fmaPeak: this CPU (or build) cannot run '" + isa + "'");
  std::atomic<double> flops{0};
  std::atomic<int> used{0};
  auto t0 = std::chrono::steady_clock::now();
  cpu::parallel_for(threads, 1, [&](int64_t b, int64_t e) {
    for (int64_t t = b; t < e; t++) {
      double f = fn(iters, 0.999999f, 1e-7f);
      double cur = flops.load();
      while (!flops.compare_exchange_weak(cur, cur + f)) {
      }
    }
    used++;
  });
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  Napi::Object o = Napi::Object::New(env);
  o.Set("flops", flops.load());
  o.Set("seconds", secs);
  o.Set("threads", used.load());
  return o;
}

}  // namespace binding
}  // namespace tf
