// propagate-layouts: the transposes around channels-last convolutions sink through
// elementwise ops, pooling and padding and cancel, so that a CNN runs NHWC from its first
// convolution to its last; contractions and index-dependent ops keep their layouts.
// RUN: tessera-opt %s --pass-pipeline='builtin.module(tess-to-linalg, canonicalize, func.func(tessera-propagate-layouts))' | FileCheck %s

// conv -> relu -> conv -> add: one transpose into NHWC at the start, one back at the end.
// CHECK-LABEL: func.func @conv_relu_conv
// CHECK: linalg.transpose ins(%arg0 : tensor<1x4x6x5xf32>) {{.*}} permutation = [0, 2, 3, 1]
// CHECK-NOT: linalg.transpose
// CHECK: %[[C1:.+]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]
// The relu iterates NHWC (identity maps over the NHWC result of the convolution).
// CHECK: %[[R:.+]] = linalg.generic {indexing_maps = [#[[ID:.+]], #[[ID]]], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%[[C1]] : tensor<1x6x5x8xf32>) outs(%{{.*}} : tensor<1x6x5x8xf32>)
// CHECK: arith.maximumf
// CHECK-NOT: linalg.transpose
// Its zero padding happens in NHWC too.
// CHECK: tensor.insert_slice %[[R]] into %{{.*}}[0, 1, 1, 0] [1, 6, 5, 8] [1, 1, 1, 1] : tensor<1x6x5x8xf32> into tensor<1x8x7x8xf32>
// CHECK-NOT: linalg.transpose
// CHECK: %[[C2:.+]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]
// CHECK: %[[ADD:.+]] = linalg.generic {{.*}} ins(%[[C2]], %[[R]] : tensor<1x6x5x8xf32>, tensor<1x6x5x8xf32>)
// CHECK: %[[OUT:.+]] = linalg.transpose ins(%[[ADD]] : tensor<1x6x5x8xf32>) {{.*}} permutation = [0, 3, 1, 2]
// CHECK: return %[[OUT]]
func.func @conv_relu_conv(%x: tensor<1x4x6x5xf32>, %w1: tensor<8x4x1x1xf32>, %w2: tensor<8x8x3x3xf32>) -> tensor<1x8x6x5xf32> {
  %0 = tess.conv2d %x, %w1 {strides = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>} : tensor<1x4x6x5xf32>, tensor<8x4x1x1xf32> -> tensor<1x8x6x5xf32>
  %1 = tess.relu %0 : tensor<1x8x6x5xf32>
  %2 = tess.conv2d %1, %w2 {strides = array<i64: 1, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 1>} : tensor<1x8x6x5xf32>, tensor<8x8x3x3xf32> -> tensor<1x8x6x5xf32>
  %3 = tess.add %2, %1 : tensor<1x8x6x5xf32>, tensor<1x8x6x5xf32> -> tensor<1x8x6x5xf32>
  return %3 : tensor<1x8x6x5xf32>
}

// Max pooling after a convolution: -inf padding and the window reduction in NHWC, the
// channels loop innermost.
// CHECK-LABEL: func.func @conv_pool
// CHECK: linalg.transpose ins(%arg0
// CHECK-NOT: linalg.transpose
// CHECK: linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<1x11x10x4xf32>)
// CHECK: tensor.insert_slice {{.*}} : tensor<1x9x8x4xf32> into tensor<1x11x10x4xf32>
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction", "reduction", "parallel", "parallel"]} ins({{.*}} : tensor<1x11x10x4xf32>, tensor<3x3xf32>) outs({{.*}} : tensor<1x5x4x4xf32>)
// CHECK: arith.maximumf
// CHECK: linalg.transpose ins({{.*}} : tensor<1x5x4x4xf32>) {{.*}} permutation = [0, 3, 1, 2]
func.func @conv_pool(%x: tensor<1x4x9x8xf32>, %w: tensor<4x4x1x1xf32>) -> tensor<1x4x5x4xf32> {
  %0 = tess.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>} : tensor<1x4x9x8xf32>, tensor<4x4x1x1xf32> -> tensor<1x4x9x8xf32>
  %1 = tess.max_pool2d %0 {kernel = array<i64: 3, 3>, padding = array<i64: 1, 1>, strides = array<i64: 2, 2>} : tensor<1x4x9x8xf32> -> tensor<1x4x5x4xf32>
  return %1 : tensor<1x4x5x4xf32>
}

// Left alone: a transpose feeding a matmul (a contraction keeps the layout its lowering
// chose) stays.
// CHECK-LABEL: func.func @matmul_keeps_transpose
// CHECK: linalg.transpose
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "parallel"]} ins(%transposed,
func.func @matmul_keeps_transpose(%a: tensor<3x2xf32>, %b: tensor<3x4xf32>) -> tensor<2x4xf32> {
  %0 = tess.transpose %a {permutation = array<i64: 1, 0>} : tensor<3x2xf32> -> tensor<2x3xf32>
  %1 = tess.matmul %0, %b : tensor<2x3xf32>, tensor<3x4xf32> -> tensor<2x4xf32>
  return %1 : tensor<2x4xf32>
}
