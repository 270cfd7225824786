// Every tess op prints and parses back to itself.
// RUN: tessera-opt %s | tessera-opt | FileCheck %s

// CHECK-LABEL: func.func @ops
func.func @ops(%a: tensor<2x3xf32>, %b: tensor<3xf32>, %w: tensor<4x3xf32>, %c: tensor<4xf32>,
               %m: tensor<5x2x3xf32>) -> tensor<2x3xf32> {
  // CHECK: tess.constant dense<5.000000e-01> : tensor<f32>
  %half = tess.constant dense<0.5> : tensor<f32>
  // CHECK: tess.relu %{{.*}} : tensor<2x3xf32>
  %0 = tess.relu %a : tensor<2x3xf32>
  // CHECK: tess.exp
  %1 = tess.exp %0 : tensor<2x3xf32>
  // CHECK: tess.sqrt
  %2 = tess.sqrt %1 : tensor<2x3xf32>
  // CHECK: tess.rsqrt
  %3 = tess.rsqrt %2 : tensor<2x3xf32>
  // CHECK: tess.neg
  %4 = tess.neg %3 : tensor<2x3xf32>
  // CHECK: tess.tanh
  %5 = tess.tanh %4 : tensor<2x3xf32>
  // CHECK: tess.sigmoid
  %6 = tess.sigmoid %5 : tensor<2x3xf32>
  // CHECK: tess.gelu %{{.*}} {approximate = "tanh"} : tensor<2x3xf32>
  %7 = tess.gelu %6 {approximate = "tanh"} : tensor<2x3xf32>
  // CHECK: tess.add %{{.*}}, %{{.*}} : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  %8 = tess.add %7, %b : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  // CHECK: tess.sub
  %9 = tess.sub %8, %half : tensor<2x3xf32>, tensor<f32> -> tensor<2x3xf32>
  // CHECK: tess.mul
  %10 = tess.mul %9, %9 : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x3xf32>
  // CHECK: tess.div
  %11 = tess.div %10, %b : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  // CHECK: tess.max
  %12 = tess.max %11, %a : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x3xf32>
  // CHECK: tess.min
  %13 = tess.min %12, %a : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<2x3xf32>
  // CHECK: tess.matmul %{{.*}}, %{{.*}} {transpose_rhs = true} : tensor<5x2x3xf32>, tensor<2x3xf32> -> tensor<5x2x2xf32>
  %14 = tess.matmul %m, %13 {transpose_rhs = true} : tensor<5x2x3xf32>, tensor<2x3xf32> -> tensor<5x2x2xf32>
  // CHECK: tess.linear %{{.*}}, %{{.*}}, %{{.*}} : tensor<2x3xf32>, tensor<4x3xf32>, tensor<4xf32> -> tensor<2x4xf32>
  %15 = tess.linear %13, %w, %c : tensor<2x3xf32>, tensor<4x3xf32>, tensor<4xf32> -> tensor<2x4xf32>
  // CHECK: tess.linear %{{.*}}, %{{.*}} : tensor<2x3xf32>, tensor<4x3xf32> -> tensor<2x4xf32>
  %16 = tess.linear %13, %w : tensor<2x3xf32>, tensor<4x3xf32> -> tensor<2x4xf32>
  // CHECK: tess.reduce_sum %{{.*}} {axes = array<i64: 0, 2>, keepdims = true} : tensor<5x2x2xf32> -> tensor<1x2x1xf32>
  %17 = tess.reduce_sum %14 {axes = array<i64: 0, 2>, keepdims = true} : tensor<5x2x2xf32> -> tensor<1x2x1xf32>
  // CHECK: tess.reduce_mean
  %18 = tess.reduce_mean %14 {axes = array<i64: 1>} : tensor<5x2x2xf32> -> tensor<5x2xf32>
  // CHECK: tess.reduce_max
  %19 = tess.reduce_max %14 {axes = array<i64: 0, 1, 2>} : tensor<5x2x2xf32> -> tensor<f32>
  // CHECK: tess.softmax %{{.*}} {axis = 1 : i64} : tensor<2x4xf32>
  %20 = tess.softmax %15 {axis = 1} : tensor<2x4xf32>
  // CHECK: tess.layer_norm %{{.*}} weight %{{.*}} bias %{{.*}} {eps = 9.9999999999999995E-7 : f64} : tensor<2x4xf32>, tensor<4xf32>, tensor<4xf32> -> tensor<2x4xf32>
  %21 = tess.layer_norm %20 weight %c bias %c {eps = 1.0e-6 : f64} : tensor<2x4xf32>, tensor<4xf32>, tensor<4xf32> -> tensor<2x4xf32>
  // CHECK: tess.layer_norm %{{.*}} : tensor<2x4xf32> -> tensor<2x4xf32>
  %22 = tess.layer_norm %21 : tensor<2x4xf32> -> tensor<2x4xf32>
  // CHECK: tess.reshape %{{.*}} : tensor<2x4xf32> -> tensor<8xf32>
  %23 = tess.reshape %22 : tensor<2x4xf32> -> tensor<8xf32>
  // CHECK: tess.transpose %{{.*}} {permutation = array<i64: 2, 0, 1>} : tensor<5x2x3xf32> -> tensor<3x5x2xf32>
  %24 = tess.transpose %m {permutation = array<i64: 2, 0, 1>} : tensor<5x2x3xf32> -> tensor<3x5x2xf32>
  // CHECK: tess.slice %{{.*}} {limits = array<i64: 3, 5, 2>, starts = array<i64: 1, 0, 0>, strides = array<i64: 1, 2, 1>} : tensor<3x5x2xf32> -> tensor<2x3x2xf32>
  %25 = tess.slice %24 {starts = array<i64: 1, 0, 0>, limits = array<i64: 3, 5, 2>, strides = array<i64: 1, 2, 1>} : tensor<3x5x2xf32> -> tensor<2x3x2xf32>
  // CHECK: tess.concat %{{.*}}, %{{.*}} {axis = 0 : i64} : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<4x3xf32>
  %26 = tess.concat %a, %13 {axis = 0} : tensor<2x3xf32>, tensor<2x3xf32> -> tensor<4x3xf32>
  return %13 : tensor<2x3xf32>
}
