// Lowering of the patch and resampling ops the TTSR / FPT / lambda models use.
// RUN: tessera-opt %s --tess-to-linalg | FileCheck %s

// unfold: pad (fill + insert_slice), copy into [N, C, KH, KW, OH, OW], collapse.
// CHECK: tensor.insert_slice %arg0 into %{{.*}}[0, 0, 1, 1] [1, 2, 8, 8] [1, 1, 1, 1]
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]
// CHECK: tensor.collapse_shape %{{.*}} {{\[\[}}0], [1, 2, 3], [4, 5]] : tensor<1x2x3x3x8x8xf32> into tensor<1x18x64xf32>
// fold: a gather over the output pixels summing the kernel window (two reduction loops).
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "parallel"]
// CHECK: arith.remsi
// CHECK: tensor.extract %collapsed
// CHECK: arith.select
// bicubic: 16 taps read with tensor.extract around floor(source coordinate).
// CHECK: math.floor
// CHECK-COUNT-16: tensor.extract %arg0
// einsum: result axes parallel, the summed axis last.
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction"]
// CHECK-SAME: ins(%arg1, %arg2 : tensor<2x3x4xf32>, tensor<2x4x5xf32>)
// avg_pool2d without padding in the count: window sum, then divide by the in-image count.
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "parallel"]
// CHECK: arith.sitofp
// CHECK: arith.divf
func.func @ops(%x: tensor<1x2x8x8xf32>, %a: tensor<2x3x4xf32>, %b: tensor<2x4x5xf32>) -> (tensor<1x18x64xf32>, tensor<1x2x8x8xf32>, tensor<1x2x16x16xf32>, tensor<2x3x5xf32>, tensor<1x2x4x4xf32>) {
  %u = tess.unfold %x {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, padding = array<i64: 1, 1>} : tensor<1x2x8x8xf32> -> tensor<1x18x64xf32>
  %f = tess.fold %u {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, padding = array<i64: 1, 1>} : tensor<1x18x64xf32> -> tensor<1x2x8x8xf32>
  %r = tess.resize %x {mode = "bicubic"} : tensor<1x2x8x8xf32> -> tensor<1x2x16x16xf32>
  %e = tess.einsum "bij,bjk->bik", %a, %b : tensor<2x3x4xf32>, tensor<2x4x5xf32> -> tensor<2x3x5xf32>
  %p = tess.avg_pool2d %x {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, padding = array<i64: 1, 1>, count_include_pad = false} : tensor<1x2x8x8xf32> -> tensor<1x2x4x4xf32>
  return %u, %f, %r, %e, %p : tensor<1x18x64xf32>, tensor<1x2x8x8xf32>, tensor<1x2x16x16xf32>, tensor<2x3x5xf32>, tensor<1x2x4x4xf32>
}
