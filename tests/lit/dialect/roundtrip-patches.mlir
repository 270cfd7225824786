// The patch, resampling, einsum and attention ops print and parse back to themselves.
// RUN: tessera-opt %s | tessera-opt | FileCheck %s

// CHECK-LABEL: func.func @ops
// CHECK: tess.avg_pool2d %arg0 {count_include_pad = false, kernel = array<i64: 3, 3>, padding = array<i64: 1, 1>, strides = array<i64: 2, 2>}
// CHECK: tess.unfold %arg0 {kernel = array<i64: 3, 3>, padding = array<i64: 1, 1>, strides = array<i64: 1, 1>}
// CHECK: tess.fold %{{.*}} {kernel = array<i64: 3, 3>, padding = array<i64: 1, 1>, strides = array<i64: 1, 1>}
// CHECK: tess.resize %arg0 {mode = "bilinear"} : tensor<1x2x8x8xf32> -> tensor<1x2x12x9xf32>
// CHECK: tess.einsum "bij,bjk->bik", %arg1, %arg2
// CHECK: tess.attention %arg3, %arg3, %arg3 bias(%arg4 : tensor<1x1x6xf32>) init(%{{.*}}) {causal = true, scale = 5.000000e-01 : f64}
func.func @ops(%x: tensor<1x2x8x8xf32>, %a: tensor<2x3x4xf32>, %b: tensor<2x4x5xf32>, %q: tensor<1x6x4xf32>, %bias: tensor<1x1x6xf32>) {
  %p = tess.avg_pool2d %x {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, padding = array<i64: 1, 1>, count_include_pad = false} : tensor<1x2x8x8xf32> -> tensor<1x2x4x4xf32>
  %u = tess.unfold %x {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, padding = array<i64: 1, 1>} : tensor<1x2x8x8xf32> -> tensor<1x18x64xf32>
  %f = tess.fold %u {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, padding = array<i64: 1, 1>} : tensor<1x18x64xf32> -> tensor<1x2x8x8xf32>
  %r = tess.resize %x {mode = "bilinear"} : tensor<1x2x8x8xf32> -> tensor<1x2x12x9xf32>
  %e = tess.einsum "bij,bjk->bik", %a, %b : tensor<2x3x4xf32>, tensor<2x4x5xf32> -> tensor<2x3x5xf32>
  %init = tensor.empty() : tensor<1x6x4xf32>
  %o = tess.attention %q, %q, %q bias(%bias : tensor<1x1x6xf32>) init(%init) {scale = 0.5 : f64, causal = true} : tensor<1x6x4xf32>, tensor<1x6x4xf32>, tensor<1x6x4xf32>, tensor<1x6x4xf32> -> tensor<1x6x4xf32>
  return
}
