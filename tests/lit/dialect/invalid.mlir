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

// -----

func.func @compare_predicate(%a: tensor<2x3xf32>, %b: tensor<3xf32>) {
  // expected-error@+1 {{predicate must be lt, le, gt, ge, eq or ne, got "lte"}}
  %0 = tess.compare "lte", %a, %b : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xi1>
  return
}

// -----

func.func @compare_element_types(%a: tensor<2x3xf32>, %b: tensor<3xi32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{operand element types differ}}
  %0 = tess.compare "lt", %a, %b : tensor<2x3xf32>, tensor<3xi32> -> tensor<2x3xi1>
  return
}

// -----

func.func @compare_result(%a: tensor<2x3xf32>, %b: tensor<3xf32>) {
  // expected-error@+1 {{result #0 must be statically shaped tensor of 1-bit signless integer values, but got 'tensor<2x3xi32>'}}
  %0 = tess.compare "lt", %a, %b : tensor<2x3xf32>, tensor<3xf32> -> tensor<2x3xi32>
  return
}

// -----

func.func @select_condition(%c: tensor<2x3xf32>, %b: tensor<3xf32>) {
  // expected-error@+1 {{operand #0 must be statically shaped tensor of 1-bit signless integer values, but got 'tensor<2x3xf32>'}}
  %0 = tess.select %c, %b, %b : tensor<2x3xf32>, tensor<3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @select_branches(%c: tensor<2x3xi1>, %b: tensor<3xf32>, %i: tensor<3xi32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{select branches have different element types}}
  %0 = tess.select %c, %b, %i : tensor<2x3xi1>, tensor<3xf32>, tensor<3xi32> -> tensor<2x3xf32>
  return
}

// -----

func.func @select_broadcast(%c: tensor<2x4xi1>, %b: tensor<3xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{shapes [2, 4] and [3] do not broadcast (dimension 1: 4 vs 3)}}
  %0 = tess.select %c, %b, %b : tensor<2x4xi1>, tensor<3xf32>, tensor<3xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @cast_shape(%a: tensor<2x3xf32>) {
  // expected-error@+1 {{cannot change the shape}}
  %0 = tess.cast %a : tensor<2x3xf32> -> tensor<3x2xi32>
  return
}

// -----

func.func @iota_axis() {
  // expected-error@+1 {{axis 2 is out of range for rank 2}}
  %0 = tess.iota {axis = 2 : i64} : tensor<2x3xi32>
  return
}

// -----

func.func @broadcast_to_shape(%a: tensor<3xf32>) {
  // expected-error@+1 {{cannot broadcast [3] to [4, 2]}}
  %0 = tess.broadcast_to %a : tensor<3xf32> -> tensor<4x2xf32>
  return
}

// -----

func.func @broadcast_to_type(%a: tensor<3xf32>) {
  // expected-error@+1 {{cannot change the element type}}
  %0 = tess.broadcast_to %a : tensor<3xf32> -> tensor<4x3xi32>
  return
}

// -----

func.func @gather_float_indices(%a: tensor<4x3xf32>, %i: tensor<2xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{gather indices must be i32 or i64}}
  %0 = tess.gather %a[%i] {axis = 0 : i64} : tensor<4x3xf32>, tensor<2xf32> -> tensor<2x3xf32>
  return
}

// -----

func.func @gather_axis(%a: tensor<4x3xf32>, %i: tensor<2xi32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{gather axis 2 is out of range for rank 2}}
  %0 = tess.gather %a[%i] {axis = 2 : i64} : tensor<4x3xf32>, tensor<2xi32> -> tensor<2x3xf32>
  return
}

// -----

func.func @argmax_axis(%a: tensor<4x3xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{axis 2 is out of range for rank 2}}
  %0 = tess.argmax %a {axis = 2 : i64} : tensor<4x3xf32> -> tensor<4xi64>
  return
}

// -----

func.func @argmin_result(%a: tensor<4x3xf32>) {
  // expected-error@+1 {{result #0 must be statically shaped tensor of 64-bit signless integer values, but got 'tensor<4xi32>'}}
  %0 = tess.argmin %a {axis = 1 : i64} : tensor<4x3xf32> -> tensor<4xi32>
  return
}

// -----

func.func @conv2d_channels(%x: tensor<1x4x9x8xf32>, %w: tensor<6x3x3x3xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{conv2d weight [6, 3, 3, 3] expects 3 input channels per group, input [1, 4, 9, 8] has 4}}
  %0 = tess.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>} : tensor<1x4x9x8xf32>, tensor<6x3x3x3xf32> -> tensor<1x6x7x6xf32>
  return
}

// -----

func.func @conv2d_groups(%x: tensor<1x4x9x8xf32>, %w: tensor<6x2x3x3xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{conv2d groups 3 must divide the input channels (4) and the output channels (6)}}
  %0 = tess.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>, groups = 3} : tensor<1x4x9x8xf32>, tensor<6x2x3x3xf32> -> tensor<1x6x7x6xf32>
  return
}

// -----

func.func @conv2d_bias(%x: tensor<1x4x9x8xf32>, %w: tensor<6x4x3x3xf32>, %b: tensor<5xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{conv2d bias must be [6], got [5]}}
  %0 = tess.conv2d %x, %w, %b {strides = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>} : tensor<1x4x9x8xf32>, tensor<6x4x3x3xf32>, tensor<5xf32> -> tensor<1x6x7x6xf32>
  return
}

// -----

func.func @conv2d_stride(%x: tensor<1x4x9x8xf32>, %w: tensor<6x4x3x3xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{strides entries must be >= 1, got [0, 1]}}
  %0 = tess.conv2d %x, %w {strides = array<i64: 0, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>} : tensor<1x4x9x8xf32>, tensor<6x4x3x3xf32> -> tensor<1x6x7x6xf32>
  return
}

// -----

func.func @conv2d_dilated_kernel(%x: tensor<1x4x9x8xf32>, %w: tensor<6x4x3x3xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{conv2d kernel [3, 3] (dilated) is larger than the padded input [9, 8]}}
  %0 = tess.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 5, 1>} : tensor<1x4x9x8xf32>, tensor<6x4x3x3xf32> -> tensor<1x6x7x6xf32>
  return
}

// -----

func.func @conv2d_rank(%x: tensor<4x9x8xf32>, %w: tensor<6x4x3x3xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{conv2d input must be [N, C, H, W], got [4, 9, 8]}}
  %0 = tess.conv2d %x, %w {strides = array<i64: 1, 1>, padding = array<i64: 0, 0>, dilation = array<i64: 1, 1>} : tensor<4x9x8xf32>, tensor<6x4x3x3xf32> -> tensor<1x6x7x6xf32>
  return
}

// -----

func.func @max_pool_padding(%x: tensor<1x4x9x8xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{max_pool2d padding [2, 1] must be at most half the kernel [3, 3]}}
  %0 = tess.max_pool2d %x {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, padding = array<i64: 2, 1>} : tensor<1x4x9x8xf32> -> tensor<1x4x5x4xf32>
  return
}

// -----

func.func @max_pool_kernel_pair(%x: tensor<1x4x9x8xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{kernel needs two entries (height, width), got [3]}}
  %0 = tess.max_pool2d %x {kernel = array<i64: 3>, strides = array<i64: 2, 2>, padding = array<i64: 1, 1>} : tensor<1x4x9x8xf32> -> tensor<1x4x5x4xf32>
  return
}

// -----

func.func @max_pool_result(%x: tensor<1x4x9x8xf32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{inferred type(s) 'tensor<1x4x5x4xf32>' are incompatible with return type(s) of operation 'tensor<1x4x4x4xf32>'}}
  %0 = tess.max_pool2d %x {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, padding = array<i64: 1, 1>} : tensor<1x4x9x8xf32> -> tensor<1x4x4x4xf32>
  return
}

// -----

func.func @max_pool_integer(%x: tensor<1x4x9x8xi32>) {
  // expected-error@+1 {{operand #0 must be statically shaped tensor of 32-bit float values, but got 'tensor<1x4x9x8xi32>'}}
  %0 = tess.max_pool2d %x {kernel = array<i64: 3, 3>, strides = array<i64: 2, 2>, padding = array<i64: 1, 1>} : tensor<1x4x9x8xi32> -> tensor<1x4x5x4xi32>
  return
}

// -----

func.func @sin_integer(%x: tensor<3xi32>) {
  // expected-error@+1 {{operand #0 must be statically shaped tensor of 32-bit float values, but got 'tensor<3xi32>'}}
  %0 = tess.sin %x : tensor<3xi32>
  return
}

// -----

func.func @pow_integer(%a: tensor<3xi32>) {
  // expected-error@+2 {{failed to infer returned types}}
  // expected-error@+1 {{pow needs floating-point operands}}
  %0 = tess.pow %a, %a : tensor<3xi32>, tensor<3xi32> -> tensor<3xi32>
  return
}

// -----

func.func @einsum_sizes(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) {
  // expected-error@+1 {{einsum axis 'j' has size 3 and 4}}
  %0 = tess.einsum "ij,jk->ik", %a, %b : tensor<2x3xf32>, tensor<4x5xf32> -> tensor<2x5xf32>
  return
}

// -----

func.func @fold_blocks(%a: tensor<1x18x60xf32>) {
  // expected-error@+1 {{fold input has 60 blocks but an output of [8, 8] has 64}}
  %0 = tess.fold %a {kernel = array<i64: 3, 3>, strides = array<i64: 1, 1>, padding = array<i64: 1, 1>} : tensor<1x18x60xf32> -> tensor<1x2x8x8xf32>
  return
}

// -----

func.func @resize_mode(%a: tensor<1x2x8x8xf32>) {
  // expected-error@+1 {{mode must be nearest, bilinear or bicubic}}
  %0 = tess.resize %a {mode = "area"} : tensor<1x2x8x8xf32> -> tensor<1x2x4x4xf32>
  return
}

// -----

func.func @attention_keys(%q: tensor<1x6x4xf32>, %k: tensor<1x5x4xf32>, %v: tensor<1x6x4xf32>) {
  %init = tensor.empty() : tensor<1x6x4xf32>
  // expected-error@+1 {{k and v must have the same number of keys}}
  %0 = tess.attention %q, %k, %v init(%init) {scale = 1.0 : f64} : tensor<1x6x4xf32>, tensor<1x5x4xf32>, tensor<1x6x4xf32>, tensor<1x6x4xf32> -> tensor<1x6x4xf32>
  return
}
