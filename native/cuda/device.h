// CUDA device queries used by the CUDA-only exports (cuda_binding.cc). Plain
// C++ with no CUDA headers, so the binding files need no CUDA toolchain.
#pragma once

namespace tf {
namespace cuda {

// Number of usable devices; 0 when the driver or GPU is missing.
int device_count();
// True in the g++ emulation build.
bool is_emulated();
// Waits for all queued device work (and surfaces its errors as exceptions).
void synchronize();
// Streaming multiprocessors of device 0 (sizes grids and split-K).
int sm_count();

}  // namespace cuda
}  // namespace tf
