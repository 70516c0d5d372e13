#include "vmath.h"

namespace tf {
namespace cpu {

const VMathTable& vmath_table() {
  // Built once; all three are plain function tables, so building the ones this
  // CPU cannot run is harmless (they are only called when the ISA is active).
  static const VMathTable tables[3] = {
    vmath_generic(),
#ifndef TF_NO_X86_KERNELS
    vmath_avx2(), vmath_avx512(),
#else
    vmath_generic(), vmath_generic(),
#endif
  };
  return tables[(int)kernels().isa];
}

}  // namespace cpu
}  // namespace tf
