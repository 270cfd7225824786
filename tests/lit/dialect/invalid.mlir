// Verifier and type-inference errors of the tess dialect.
// RUN: tessera-opt %s -split-input-file -verify-diagnostics

func.func @broadcast(%a: tensor<2x3xf32>, %b: tensor<4xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{do not broadcast}}
  %0 = tess.add %a, %b : tensor<2x3xf32>, tensor<4xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @result_type(%a: tensor<2x3xf32>, %b: tensor<3xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{inferred type(s) 'tensor<2x3xf32>' are incompatible with return type(s)}}
  %0 = tess.add %a, %b : tensor<2x3xf32>, tensor<3xf32> -> tensor<3x3xf32>
  return
}

// -----

func.func @matmul_k(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{matmul contraction sizes differ}}
  %0 = tess.matmul %a, %b : tensor<2x3xf32>, tensor<4x5xf32> -> tensor<2x5xf32>
  return
}

// -----

func.func @linear_in(%a: tensor<2x3xf32>, %w: tensor<4x5xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{expects 5 input features}}
  %0 = tess.linear %a, %w : tensor<2x3xf32>, tensor<4x5xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @reduce_axis(%a: tensor<2x3xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{axis 2 is out of range for rank 2}}
  %0 = tess.reduce_sum %a {axes = array<i64: 2>} : tensor<2x3xf32> -> tensor<2xf32>
  return
}

// -----

func.func @softmax_axis(%a: tensor<2x3xf32>) {
  // expected-error@+1 {{axis 5 is out of range for rank 2}}
  %0 = tess.softmax %a {axis = 5} : tensor<2x3xf32>
  return
}

// -----

func.func @gelu_kind(%a: tensor<2x3xf32>) {
  // expected-error@+1 {{approximate must be "none", "tanh" or "sigmoid"}}
  %0 = tess.gelu %a {approximate = "fast"} : tensor<2x3xf32>
  return
}

// -----

func.func @reshape_count(%a: tensor<2x3xf32>) {
  // expected-error@+1 {{cannot reshape [2, 3] (6 elements) to [7] (7 elements)}}
  %0 = tess.reshape %a : tensor<2x3xf32> -> tensor<7xf32>
  return
}

// -----

func.func @permutation(%a: tensor<2x3xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{invalid permutation [0, 0]}}
  %0 = tess.transpose %a {permutation = array<i64: 0, 0>} : tensor<2x3xf32> -> tensor<2x2xf32>
  return
}

// -----

func.func @slice_range(%a: tensor<2x3xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{slice [0:4] is out of range for dimension 1 of size 3}}
  %0 = tess.slice %a {starts = array<i64: 0, 0>, limits = array<i64: 2, 4>, strides = array<i64: 1, 1>} : tensor<2x3xf32> -> tensor<2x4xf32>
  return
}

// -----

func.func @concat_shapes(%a: tensor<2x3xf32>, %b: tensor<2x4xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{concat inputs differ outside axis 0}}
  %0 = tess.concat %a, %b {axis = 0} : tensor<2x3xf32>, tensor<2x4xf32> -> tensor<4x3xf32>
  return
}

// -----

func.func @layer_norm_weight(%a: tensor<2x3xf32>, %w: tensor<4xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{layer_norm weight must be [3], got [4]}}
  %0 = tess.layer_norm %a weight %w : tensor<2x3xf32>, tensor<4xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @dynamic(%a: tensor<?x3xf32>) {
  // expected-error@+1 {{must be statically shaped tensor}}
  %0 = tess.relu %a : tensor<?x3xf32>
  return
}
