// CUDA-only exports, registered with TF_EXPORT next to the shared binding ones.
#include "../binding/args.h"
#include "device.h"

namespace tf {
namespace binding {

// deviceCount() -> number of usable GPUs (0 when driver or GPU is missing).
TF_EXPORT(deviceCount) { return Napi::Number::New(info.Env(), cuda::device_count()); }

// isEmulated() -> true for the g++ emulation build (tensorforge_cuda_emu.node).
TF_EXPORT(isEmulated) { return Napi::Boolean::New(info.Env(), cuda::is_emulated()); }

// synchronize(): waits for queued kernels; throws if one of them failed.
TF_EXPORT(synchronize) {
  cuda::synchronize();
  return info.Env().Undefined();
}

}  // namespace binding
}  // namespace tf
