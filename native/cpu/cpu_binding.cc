// CPU-only controls: thread count and ISA selection.
#include <cstring>

#include "../binding/args.h"
#include "isa.h"
#include "parallel.h"

namespace tf {
namespace binding {

TF_EXPORT(getNumThreads) { return Napi::Number::New(info.Env(), cpu::num_threads()); }

TF_EXPORT(setNumThreads) {
  cpu::set_num_threads((int)int_arg(info, 0, "setNumThreads", "threads", 1, 256));
  return info.Env().Undefined();
}

TF_EXPORT(getIsa) { return Napi::String::New(info.Env(), cpu::isa_name(cpu::kernels().isa)); }

TF_EXPORT(supportedIsas) {
  Napi::Env env = info.Env();
  Napi::Array a = Napi::Array::New(env);
  int best = (int)cpu::best_supported_isa();
  for (int i = 0; i <= best; i++) a.Set((uint32_t)i, cpu::isa_name((cpu::Isa)i));
  return a;
}

// setIsa(name): returns false (and changes nothing) if the CPU lacks it.
TF_EXPORT(setIsa) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsString()) type_error(env, "setIsa: name must be 'generic', 'avx2' or 'avx512'");
  std::string n = info[0].As<Napi::String>().Utf8Value();
  cpu::Isa isa;
  if (n == "generic") isa = cpu::Isa::Generic;
  else if (n == "avx2") isa = cpu::Isa::Avx2;
  else if (n == "avx512") isa = cpu::Isa::Avx512;
  else range_error(env, "setIsa: unknown ISA '" + n + "' (expected generic, avx2 or avx512)");
  return Napi::Boolean::New(env, cpu::set_isa(isa));
}

}  // namespace binding
}  // namespace tf
