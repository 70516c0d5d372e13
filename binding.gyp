{
  # The CPU addon. Kernels that need a particular ISA live in *_avx2.cc and
  # *_avx512.cc files, compiled in their own static libraries with that ISA's
  # flags; everything else is built for baseline x86-64 (or arm64), and the
  # kernel table is picked at run time (native/cpu/isa.cc). Never -march=native.
  # -fno-math-errno: nothing reads errno, and without it GCC cannot vectorise
  # sqrt and friends (the Adam update went 1.42 -> 0.48 ms on 392K parameters).
  "variables": {
    "tf_cflags": ["-O3", "-fno-math-errno", "-fPIC", "-Wall", "-Wno-unused-function", "-Wno-unknown-pragmas"]
  },
  "targets": [
    {
      "target_name": "tensorforge",
      "sources": [
        "<!@(node scripts/sources.cjs native/binding native/cpu native/cpu/gemm)"
      ],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "dependencies": ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"],
      # NAPI_EXPERIMENTAL (Node >= 20.12 / 21.6): storage finalizers are "basic"
      # finalizers, run synchronously by the GC. Without it Node defers them to
      # the next event-loop turn, so a synchronous training loop never frees
      # its intermediates and native memory grows until the loop yields.
      "defines": ["NAPI_EXPERIMENTAL"],
      "cflags_cc": ["<@(tf_cflags)", "-std=c++17"],
      "cflags_cc!": ["-O2", "-O1", "-O0"],
      "cflags!": ["-O2"],
      "xcode_settings": {
        "OTHER_CPLUSPLUSFLAGS": ["-O3", "-std=c++17"],
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES"
      },
      "conditions": [
        ["target_arch=='x64'", { "dependencies": ["tf_avx2", "tf_avx512"] }],
        ["target_arch!='x64'", { "defines": ["TF_NO_X86_KERNELS"] }]
      ]
    }
  ],
  "conditions": [
    ["target_arch=='x64'", {
      "targets": [
        {
          "target_name": "tf_avx2",
          "type": "static_library",
          "sources": ["<!@(node scripts/sources.cjs --isa=avx2 native/cpu native/cpu/gemm)"],
          "cflags_cc": ["<@(tf_cflags)", "-std=c++17", "-mavx2", "-mfma"],
          "cflags_cc!": ["-O2"],
          "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-O3", "-std=c++17", "-mavx2", "-mfma"] }
        },
        {
          "target_name": "tf_avx512",
          "type": "static_library",
          "sources": ["<!@(node scripts/sources.cjs --isa=avx512 native/cpu native/cpu/gemm)"],
          "cflags_cc": ["<@(tf_cflags)", "-std=c++17", "-mavx512f", "-mavx512dq", "-mavx512bw", "-mavx512vl", "-mavx2", "-mfma"],
          "cflags_cc!": ["-O2"],
          "xcode_settings": { "OTHER_CPLUSPLUSFLAGS": ["-O3", "-std=c++17", "-mavx512f", "-mavx2", "-mfma"] }
        }
      ]
    }]
  ]
}
