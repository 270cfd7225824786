// fuse-attention: the forms the models produce, and chains it must leave alone.
// RUN: tessera-opt %s --pass-pipeline='builtin.module(func.func(tessera-fuse-attention))' | FileCheck %s

// ViT / DETR: softmax(q k^T * scale) v with heads as a batch dimension.
// CHECK-LABEL: func.func @scaled
// CHECK: %[[E:.+]] = tensor.empty() : tensor<2x4x17x16xf32>
// CHECK: tess.attention %arg0, %arg1, %arg2 init(%[[E]]) {scale = 2.500000e-01 : f64}
// CHECK-NOT: tess.softmax
// CHECK-NOT: tess.matmul
func.func @scaled(%q: tensor<2x4x17x16xf32>, %k: tensor<2x4x17x16xf32>, %v: tensor<2x4x17x16xf32>) -> tensor<2x4x17x16xf32> {
  %s = tess.matmul %q, %k {transpose_rhs = true} : tensor<2x4x17x16xf32>, tensor<2x4x17x16xf32> -> tensor<2x4x17x17xf32>
  %c = tess.constant dense<0.25> : tensor<f32>
  %x = tess.mul %s, %c : tensor<2x4x17x17xf32>, tensor<f32> -> tensor<2x4x17x17xf32>
  %a = tess.softmax %x {axis = 3} : tensor<2x4x17x17xf32>
  %o = tess.matmul %a, %v : tensor<2x4x17x17xf32>, tensor<2x4x17x16xf32> -> tensor<2x4x17x16xf32>
  return %o : tensor<2x4x17x16xf32>
}

// iGPT: the causal mask where(j <= i, s, most negative) becomes `causal`, never a tensor.
// CHECK-LABEL: func.func @causal
// CHECK: tess.attention %arg0, %arg1, %arg2 init(%{{.*}}) {causal = true, scale = 5.000000e-01 : f64}
// CHECK-NOT: tess.select
func.func @causal(%q: tensor<1x8x4xf32>, %k: tensor<1x8x4xf32>, %v: tensor<1x8x4xf32>) -> tensor<1x8x4xf32> {
  %s = tess.matmul %q, %k {transpose_rhs = true} : tensor<1x8x4xf32>, tensor<1x8x4xf32> -> tensor<1x8x8xf32>
  %c = tess.constant dense<0.5> : tensor<f32>
  %x = tess.mul %s, %c : tensor<1x8x8xf32>, tensor<f32> -> tensor<1x8x8xf32>
  %j = tess.iota {axis = 1} : tensor<8x8xi64>
  %i = tess.iota {axis = 0} : tensor<8x8xi64>
  %visible = tess.compare "le", %j, %i : tensor<8x8xi64>, tensor<8x8xi64> -> tensor<8x8xi1>
  %neg = tess.constant dense<-3.40282347E+38> : tensor<f32>
  %m = tess.select %visible, %x, %neg : tensor<8x8xi1>, tensor<1x8x8xf32>, tensor<f32> -> tensor<1x8x8xf32>
  %a = tess.softmax %m {axis = 2} : tensor<1x8x8xf32>
  %o = tess.matmul %a, %v : tensor<1x8x8xf32>, tensor<1x8x4xf32> -> tensor<1x8x4xf32>
  return %o : tensor<1x8x4xf32>
}

// FPT grounding: softmax(2 q.k - |q|^2 - |k|^2) is attention with scale 2 and two biases
// (per query, per key), negated.
// CHECK-LABEL: func.func @distance
// CHECK: %[[B1:.+]] = tess.mul %arg3, %{{.*}} : tensor<1x6x1xf32>
// CHECK: %[[B2:.+]] = tess.mul %arg4, %{{.*}} : tensor<1x1x3xf32>
// CHECK: tess.attention %arg0, %arg1, %arg2 bias(%{{.*}}, %{{.*}} : tensor<1x6x1xf32>, tensor<1x1x3xf32>) init(%{{.*}}) {scale = 2.000000e+00 : f64}
func.func @distance(%q: tensor<1x6x4xf32>, %k: tensor<1x3x4xf32>, %v: tensor<1x3x4xf32>, %qq: tensor<1x6x1xf32>, %kk: tensor<1x1x3xf32>) -> tensor<1x6x4xf32> {
  %s = tess.matmul %q, %k {transpose_rhs = true} : tensor<1x6x4xf32>, tensor<1x3x4xf32> -> tensor<1x6x3xf32>
  %two = tess.constant dense<2.0> : tensor<f32>
  %x = tess.mul %two, %s : tensor<f32>, tensor<1x6x3xf32> -> tensor<1x6x3xf32>
  %y = tess.sub %x, %qq : tensor<1x6x3xf32>, tensor<1x6x1xf32> -> tensor<1x6x3xf32>
  %z = tess.sub %y, %kk : tensor<1x6x3xf32>, tensor<1x1x3xf32> -> tensor<1x6x3xf32>
  %a = tess.softmax %z {axis = 2} : tensor<1x6x3xf32>
  %o = tess.matmul %a, %v : tensor<1x6x3xf32>, tensor<1x3x4xf32> -> tensor<1x6x4xf32>
  return %o : tensor<1x6x4xf32>
}

// Not fused: the probabilities are also an output (the score matrix must exist).
// CHECK-LABEL: func.func @probabilities_used
// CHECK-NOT: tess.attention
// CHECK: tess.softmax
func.func @probabilities_used(%q: tensor<1x8x4xf32>, %k: tensor<1x8x4xf32>, %v: tensor<1x8x4xf32>) -> (tensor<1x8x4xf32>, tensor<1x8x8xf32>) {
  %s = tess.matmul %q, %k {transpose_rhs = true} : tensor<1x8x4xf32>, tensor<1x8x4xf32> -> tensor<1x8x8xf32>
  %a = tess.softmax %s {axis = 2} : tensor<1x8x8xf32>
  %o = tess.matmul %a, %v : tensor<1x8x8xf32>, tensor<1x8x4xf32> -> tensor<1x8x4xf32>
  return %o, %a : tensor<1x8x4xf32>, tensor<1x8x8xf32>
}

// Not fused: softmax over the query axis is not attention over keys.
// CHECK-LABEL: func.func @wrong_axis
// CHECK-NOT: tess.attention
func.func @wrong_axis(%q: tensor<8x4xf32>, %k: tensor<8x4xf32>, %v: tensor<8x4xf32>) -> tensor<8x4xf32> {
  %s = tess.matmul %q, %k {transpose_rhs = true} : tensor<8x4xf32>, tensor<8x4xf32> -> tensor<8x8xf32>
  %a = tess.softmax %s {axis = 0} : tensor<8x8xf32>
  %o = tess.matmul %a, %v : tensor<8x8xf32>, tensor<8x4xf32> -> tensor<8x4xf32>
  return %o : tensor<8x4xf32>
}

// Not fused: a nonlinear op between the scores and the softmax.
// CHECK-LABEL: func.func @nonlinear
// CHECK-NOT: tess.attention
func.func @nonlinear(%q: tensor<8x4xf32>, %k: tensor<8x4xf32>, %v: tensor<8x4xf32>) -> tensor<8x4xf32> {
  %s = tess.matmul %q, %k {transpose_rhs = true} : tensor<8x4xf32>, tensor<8x4xf32> -> tensor<8x8xf32>
  %t = tess.tanh %s : tensor<8x8xf32>
  %a = tess.softmax %t {axis = 1} : tensor<8x8xf32>
  %o = tess.matmul %a, %v : tensor<8x8xf32>, tensor<8x4xf32> -> tensor<8x4xf32>
  return %o : tensor<8x4xf32>
}

// Not fused: a mask that is not the causal iota comparison would have to be materialized.
// CHECK-LABEL: func.func @data_mask
// CHECK-NOT: tess.attention
func.func @data_mask(%q: tensor<8x4xf32>, %k: tensor<8x4xf32>, %v: tensor<8x4xf32>, %keep: tensor<8x8xi1>) -> tensor<8x4xf32> {
  %s = tess.matmul %q, %k {transpose_rhs = true} : tensor<8x4xf32>, tensor<8x4xf32> -> tensor<8x8xf32>
  %neg = tess.constant dense<-1.0e+38> : tensor<f32>
  %m = tess.select %keep, %s, %neg : tensor<8x8xi1>, tensor<8x8xf32>, tensor<f32> -> tensor<8x8xf32>
  %a = tess.softmax %m {axis = 1} : tensor<8x8xf32>
  %o = tess.matmul %a, %v : tensor<8x8xf32>, tensor<8x4xf32> -> tensor<8x4xf32>
  return %o : tensor<8x4xf32>
}
