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

// CHECK-LABEL: func.func @new_ops
func.func @new_ops(%a: tensor<2x3xf32>, %b: tensor<3xf32>, %i: tensor<2x3xi32>, %l: tensor<4xi64>,
                   %x: tensor<1x4x9x8xf32>, %w: tensor<6x2x3x3xf32>, %bias: tensor<6xf32>,
                   %e: tensor<10x5xf32>, %w1: tensor<3x4x1x1xf32>) -> tensor<2x3xf32> {
  // CHECK: tess.sin %{{.*}} : tensor<2x3xf32>
  %0 = tess.sin %a : tensor<2x3xf32>
  // CHECK: tess.cos
  %1 = tess.cos %0 : tensor<2x3xf32>
  // CHECK: tess.floor
  %2 = tess.floor %1 : tensor<2x3xf32>
  // CHECK: tess.log
  %3 = tess.log %2 : tensor<2x3xf32>
  // CHECK: tess.abs
  %4 = tess.abs %3 : tensor<2x3xf32>
  // CHECK: tess.pow %{{.*}}, %{{.*}} : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  %5 = tess.pow %4, %b : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  // CHECK: tess.compare "lt", %{{.*}}, %{{.*}} : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xi1>
  %6 = tess.compare "lt", %5, %b : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xi1>
  // CHECK: tess.compare "le"
  %c1 = tess.compare "le", %5, %b : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xi1>
  // CHECK: tess.compare "gt"
  %c2 = tess.compare "gt", %5, %b : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xi1>
  // CHECK: tess.compare "ge"
  %c3 = tess.compare "ge", %5, %b : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xi1>
  // CHECK: tess.compare "eq"
  %c4 = tess.compare "eq", %5, %b : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xi1>
  // CHECK: tess.compare "ne", %{{.*}}, %{{.*}} : tensor<2x3xi32>, tensor<2x3xi32> -> tensor<2x3xi1>
  %7 = tess.compare "ne", %i, %i : tensor<2x3xi32>, tensor<2x3xi32> -> tensor<2x3xi1>
  // CHECK: tess.select %{{.*}}, %{{.*}}, %{{.*}} : tensor<2x3xi1>, tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  %8 = tess.select %6, %5, %b : tensor<2x3xi1>, tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  // CHECK: tess.cast %{{.*}} : tensor<2x3xi32> -> tensor<2x3xf32>
  %9 = tess.cast %i : tensor<2x3xi32> -> tensor<2x3xf32>
  // CHECK: tess.cast %{{.*}} : tensor<2x3xi1> -> tensor<2x3xi64>
  %10 = tess.cast %7 : tensor<2x3xi1> -> tensor<2x3xi64>
  // CHECK: tess.iota {axis = 1 : i64} : tensor<2x3xi32>
  %11 = tess.iota {axis = 1 : i64} : tensor<2x3xi32>
  // CHECK: tess.broadcast_to %{{.*}} : tensor<3xf32> -> tensor<4x2x3xf32>
  %12 = tess.broadcast_to %b : tensor<3xf32> -> tensor<4x2x3xf32>
  // CHECK: tess.gather %{{.*}}[%{{.*}}] {axis = 0 : i64} : tensor<10x5xf32>, tensor<4xi64> -> tensor<4x5xf32>
  %13 = tess.gather %e[%l] {axis = 0 : i64} : tensor<10x5xf32>, tensor<4xi64> -> tensor<4x5xf32>
  // CHECK: tess.gather %{{.*}}[%{{.*}}] {axis = 1 : i64} : tensor<2x3xf32>, tensor<2x3xi32> -> tensor<2x2x3xf32>
  %14 = tess.gather %a[%i] {axis = 1 : i64} : tensor<2x3xf32>, tensor<2x3xi32> -> tensor<2x2x3xf32>
  // CHECK: tess.argmax %{{.*}} {axis = 1 : i64} : tensor<2x3xf32> -> tensor<2xi64>
  %15 = tess.argmax %a {axis = 1 : i64} : tensor<2x3xf32> -> tensor<2xi64>
  // CHECK: tess.argmin %{{.*}} {axis = 0 : i64, keepdims = true} : tensor<2x3xf32> -> tensor<1x3xi64>
  %16 = tess.argmin %a {axis = 0 : i64, keepdims = true} : tensor<2x3xf32> -> tensor<1x3xi64>
  // CHECK: tess.conv2d %{{.*}}, %{{.*}}, %{{.*}} {dilation = array<i64: 1, 2>, groups = 2 : i64, padding = array<i64: 1, 1>, strides = array<i64: 2, 1>} : tensor<1x4x9x8xf32>, tensor<6x2x3x3xf32>, tensor<6xf32> -> tensor<1x6x5x6xf32>
  %17 = tess.conv2d %x, %w, %bias {strides = array<i64: 2, 1>, padding = array<i64: 1, 1>, dilation = array<i64: 1, 2>, groups = 2} : tensor<1x4x9x8xf32>, tensor<6x2x3x3xf32>, tensor<6xf32> -> tensor<1x6x5x6xf32>
  // CHECK: tess.conv2d %{{.*}}, %{{.*}} {dilation = array<i64: 1, 1>, padding = array<i64: 0, 0>, strides = array<i64: 1, 1>} : tensor<1x4x9x8xf32>, tensor<3x4x1x1xf32> -> tensor<1x3x9x8xf32>
  %18 = tess.conv2d %x, %w1 {strides = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>} : tensor<1x4x9x8xf32>, tensor<3x4x1x1xf32> -> tensor<1x3x9x8xf32>
  // CHECK: tess.max_pool2d %{{.*}} {kernel = array<i64: 3, 3>, padding = array<i64: 1, 1>, strides = array<i64: 2, 2>} : tensor<1x4x9x8xf32> -> tensor<1x4x5x4xf32>
  %19 = tess.max_pool2d %x {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, padding = array<i64: 1, 1>} : tensor<1x4x9x8xf32> -> tensor<1x4x5x4xf32>
  return %8 : tensor<2x3xf32>
}
