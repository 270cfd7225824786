// gpu-tiled-contractions: a 3x3 convolution (NHWC input, FCHW filters) becomes one tiled
// kernel: loops grouped as M = (n, oh, ow) = 64 pixels, N = f = 16 filters, K = (kh, kw, c)
// = 72; per 8 reduction steps both inputs are gathered through their maps into padded 8 x 68
// shared tiles (the image along c, its contiguous dimension), then each thread does 8 rank-1
// updates of its 4 x 4 block held in private memory; the block is added to the output.
// Below min-flops, or with too few rows, the op is left to tessera-gpu-loops.
// RUN: tessera-opt %s --pass-pipeline='builtin.module(func.func(tessera-gpu-tiled-contractions{min-flops=0}),tessera-outline-gpu-kernels,canonicalize,cse)' | FileCheck %s
// RUN: tessera-opt %s --pass-pipeline='builtin.module(func.func(tessera-gpu-tiled-contractions))' | FileCheck %s --check-prefix=SMALL
// SMALL-NOT: gpu.launch
// RUN: not tessera-opt %s --pass-pipeline='builtin.module(func.func(tessera-gpu-tiled-contractions{max-blocks=0}))' 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: min-flops must be >= 0 and max-blocks >= 1

// CHECK-LABEL: gpu.func @conv3x3_k0(
// CHECK-SAME: workgroup(%[[AT:.+]] : memref<8x68xf32, #gpu.address_space<workgroup>>, %[[BT:.+]] : memref<8x68xf32, #gpu.address_space<workgroup>>)
// CHECK-SAME: private(%[[ACC:.+]] : memref<16xf32, #gpu.address_space<private>>)
// CHECK-SAME: tess.gpu_block = 256 : i64, tess.gpu_grid = 1 : i64
// CHECK: memref.store %{{.*}}, %[[ACC]][%c15]
// CHECK: scf.for %{{.*}} = %c0 to %c72 step %c8
// CHECK: memref.load %arg0
// CHECK: memref.store %{{.*}}, %[[AT]]
// CHECK: memref.load %arg1
// CHECK: memref.store %{{.*}}, %[[BT]]
// CHECK: gpu.barrier
// CHECK-COUNT-16: arith.mulf
// CHECK: memref.store %{{.*}}, %[[ACC]][%c15]
// CHECK: gpu.barrier
// CHECK: memref.load %arg2
// CHECK: arith.addf
// CHECK: memref.store %{{.*}}, %arg2
// CHECK-LABEL: gpu.func @few_rows_k0(
// CHECK-NOT: gpu.barrier
// CHECK: linalg.generic
func.func @conv3x3(%x: memref<1x10x10x8xf32>, %w: memref<16x8x3x3xf32>, %y: memref<1x8x8x16xf32>)
    attributes {tess.dispatch} {
  linalg.generic {indexing_maps = [affine_map<(n, oh, ow, f, kh, kw, c) -> (n, oh + kh, ow + kw, c)>,
                                   affine_map<(n, oh, ow, f, kh, kw, c) -> (f, c, kh, kw)>,
                                   affine_map<(n, oh, ow, f, kh, kw, c) -> (n, oh, ow, f)>],
                  iterator_types = ["parallel", "parallel", "parallel", "parallel",
                                    "reduction", "reduction", "reduction"]}
      ins(%x, %w : memref<1x10x10x8xf32>, memref<16x8x3x3xf32>) outs(%y : memref<1x8x8x16xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}
func.func @few_rows(%a: memref<4x64xf32>, %b: memref<64x64xf32>, %c: memref<4x64xf32>)
    attributes {tess.dispatch} {
  linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>,
                                   affine_map<(m, n, k) -> (m, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : memref<4x64xf32>, memref<64x64xf32>) outs(%c : memref<4x64xf32>) {
  ^bb0(%p: f32, %q: f32, %acc: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}
