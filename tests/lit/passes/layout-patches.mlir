// layout-patches: patch embedding (conv with kernel == stride, flattened grid, tokens last)
// becomes one contraction reading the image in place; other convolutions stay.
// RUN: tessera-opt %s --pass-pipeline='builtin.module(func.func(tessera-layout-patches))' | FileCheck %s

// CHECK-DAG: #[[IMG:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d3, (d1 floordiv 4) * 8 + d4, (d1 mod 4) * 8 + d5)>
// CHECK-DAG: #[[W:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d2, d3, d4, d5)>
// CHECK-DAG: #[[OUT:.+]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d1, d2)>
// The accumulator starts from the bias broadcast over the tokens, in the token layout.
// CHECK-LABEL: func.func @vit_patches
// CHECK: %[[E:.+]] = tensor.empty() : tensor<2x16x16xf32>
// CHECK: %[[INIT:.+]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel"]} ins(%arg2 : tensor<16xf32>) outs(%[[E]] : tensor<2x16x16xf32>)
// CHECK: linalg.generic {indexing_maps = [#[[IMG]], #[[W]], #[[OUT]]], iterator_types = ["parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
// CHECK-SAME: ins(%arg0, %arg1 : tensor<2x3x32x32xf32>, tensor<16x3x8x8xf32>) outs(%[[INIT]] : tensor<2x16x16xf32>)
// CHECK: ^bb0(%[[X:.+]]: f32, %[[WV:.+]]: f32, %[[ACC:.+]]: f32):
// CHECK: %[[P:.+]] = arith.mulf %[[X]], %[[WV]]
// CHECK: arith.addf %[[ACC]], %[[P]]
// CHECK-NOT: tess.conv2d
// CHECK-NOT: tess.transpose
func.func @vit_patches(%x: tensor<2x3x32x32xf32>, %w: tensor<16x3x8x8xf32>, %b: tensor<16xf32>) -> tensor<2x16x16xf32> {
  %c = tess.conv2d %x, %w, %b {strides = array<i64: 8, 8>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>} : tensor<2x3x32x32xf32>, tensor<16x3x8x8xf32>, tensor<16xf32> -> tensor<2x16x4x4xf32>
  %r = tess.reshape %c : tensor<2x16x4x4xf32> -> tensor<2x16x16xf32>
  %t = tess.transpose %r {permutation = array<i64: 0, 2, 1>} : tensor<2x16x16xf32> -> tensor<2x16x16xf32>
  return %t : tensor<2x16x16xf32>
}

// Overlapping windows (stride < kernel) are not patches.
// CHECK-LABEL: func.func @overlapping
// CHECK: tess.conv2d
// CHECK: tess.transpose
func.func @overlapping(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>) -> tensor<1x9x4xf32> {
  %c = tess.conv2d %x, %w {strides = array<i64: 2, 2>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>} : tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32> -> tensor<1x4x3x3xf32>
  %r = tess.reshape %c : tensor<1x4x3x3xf32> -> tensor<1x4x9xf32>
  %t = tess.transpose %r {permutation = array<i64: 0, 2, 1>} : tensor<1x4x9xf32> -> tensor<1x9x4xf32>
  return %t : tensor<1x9x4xf32>
}
