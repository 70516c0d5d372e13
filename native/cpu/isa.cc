#include "isa.h"

#include <cstdlib>
#include <cstring>

namespace tf {
namespace cpu {
namespace {

bool cpu_has(const char* feature) {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_cpu_init();
  if (!std::strcmp(feature, "avx2")) return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  if (!std::strcmp(feature, "avx512")) return __builtin_cpu_supports("avx512f");
#endif
  (void)feature;
  return false;
}

KernelTable table_for(Isa isa) {
#ifndef TF_NO_X86_KERNELS
  switch (isa) {
    case Isa::Avx512: return kernels_avx512();
    case Isa::Avx2: return kernels_avx2();
    default: break;
  }
#endif
  (void)isa;
  return kernels_generic();
}

KernelTable& current() {
  static KernelTable t = [] {
    Isa isa = best_supported_isa();
    if (const char* e = std::getenv("TENSORFORGE_ISA")) {
      Isa want = !std::strcmp(e, "avx512") ? Isa::Avx512 : !std::strcmp(e, "avx2") ? Isa::Avx2 : Isa::Generic;
      if ((int)want <= (int)isa) isa = want;
    }
    return table_for(isa);
  }();
  return t;
}

}  // namespace

Isa best_supported_isa() {
  if (cpu_has("avx512")) return Isa::Avx512;
  if (cpu_has("avx2")) return Isa::Avx2;
  return Isa::Generic;
}

const KernelTable& kernels() { return current(); }

bool set_isa(Isa isa) {
  if ((int)isa > (int)best_supported_isa()) return false;
  current() = table_for(isa);
  return true;
}

const char* isa_name(Isa isa) {
  switch (isa) {
    case Isa::Avx512: return "avx512";
    case Isa::Avx2: return "avx2";
    default: return "generic";
  }
}

}  // namespace cpu
}  // namespace tf
