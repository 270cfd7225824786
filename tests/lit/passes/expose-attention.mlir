// expose-attention: each fused attention's probabilities become one more graph output, named
// after the nearest parameters, with the grids its query and key axes lie on; the attention
// itself and functions without named outputs are left alone.
// RUN: tessera-opt %s --pass-pipeline='builtin.module(func.func(tessera-expose-attention))' | FileCheck %s

// ViT: patches flattened from a 2 x 2 feature map behind one class token; q = k from one
// projection, whose weight and bias name the layer.
// CHECK-LABEL: func.func @vit
// CHECK-SAME: -> (tensor<1x5x8xf32> {tess.output = "out"}, tensor<1x5x5xf32> {tess.output = "attention:blocks.0.attn.qkv"})
// CHECK-SAME: tess.attention_maps = [{key_grid = [1, 2, 2], layer = "blocks.0.attn.qkv", output = "attention:blocks.0.attn.qkv", query_grid = [1, 2, 2]}]
// CHECK: %[[Q:.+]] = tess.linear
// CHECK: %[[O:.+]] = tess.attention %[[Q]], %[[Q]], %{{.*}} init(%{{.*}}) {scale = 5.000000e-01 : f64}
// CHECK: %[[S:.+]] = tess.matmul %[[Q]], %[[Q]] {transpose_rhs = true} : tensor<1x5x8xf32>, tensor<1x5x8xf32> -> tensor<1x5x5xf32>
// CHECK: %[[C:.+]] = tess.constant dense<5.000000e-01> : tensor<f32>
// CHECK: %[[X:.+]] = tess.mul %[[S]], %[[C]]
// CHECK: %[[P:.+]] = tess.softmax %[[X]] {axis = 2 : i64}
// CHECK: return %[[O]], %[[P]]
func.func @vit(%img: tensor<1x8x2x2xf32> {tess.input = "image"}, %cls: tensor<1x1x8xf32> {tess.param = "cls_token"}, %w: tensor<8x8xf32> {tess.param = "blocks.0.attn.qkv.weight"}, %b: tensor<8xf32> {tess.param = "blocks.0.attn.qkv.bias"}) -> (tensor<1x5x8xf32> {tess.output = "out"}) {
  %f = tess.reshape %img : tensor<1x8x2x2xf32> -> tensor<1x8x4xf32>
  %t = tess.transpose %f {permutation = array<i64: 0, 2, 1>} : tensor<1x8x4xf32> -> tensor<1x4x8xf32>
  %x = tess.concat %cls, %t {axis = 1} : tensor<1x1x8xf32>, tensor<1x4x8xf32> -> tensor<1x5x8xf32>
  %q = tess.linear %x, %w, %b : tensor<1x5x8xf32>, tensor<8x8xf32>, tensor<8xf32> -> tensor<1x5x8xf32>
  %e = tensor.empty() : tensor<1x5x8xf32>
  %o = tess.attention %q, %q, %x init(%e) {scale = 0.5 : f64} : tensor<1x5x8xf32>, tensor<1x5x8xf32>, tensor<1x5x8xf32>, tensor<1x5x8xf32> -> tensor<1x5x8xf32>
  return %o : tensor<1x5x8xf32>
}

// Decoder-style: learned queries (no grid) over keys flattened from a 2 x 3 map (a grid
// without tokens); causal with a per-key bias; scale 1 adds no multiply. Two attentions of one
// layer: the second is numbered.
// CHECK-LABEL: func.func @decoder
// CHECK-SAME: tensor<1x6x6xf32> {tess.output = "attention:dec.attn"}, tensor<1x6x6xf32> {tess.output = "attention:dec.attn#2"})
// CHECK-SAME: tess.attention_maps = [{key_grid = [0, 2, 3], layer = "dec.attn", output = "attention:dec.attn"}, {key_grid = [0, 2, 3], layer = "dec.attn#2", output = "attention:dec.attn#2"}]
// CHECK: %[[S:.+]] = tess.matmul %arg0, %{{.*}} {transpose_rhs = true}
// CHECK-NOT: tess.mul
// CHECK: %[[B:.+]] = tess.add %[[S]], %arg2
// CHECK: %[[J:.+]] = tess.iota {axis = 1 : i64} : tensor<6x6xi64>
// CHECK: %[[I:.+]] = tess.iota {axis = 0 : i64} : tensor<6x6xi64>
// CHECK: %[[KEEP:.+]] = tess.compare "le", %[[J]], %[[I]]
// CHECK: %[[NEG:.+]] = tess.constant dense<0xFF800000> : tensor<f32>
// CHECK: %[[M:.+]] = tess.select %[[KEEP]], %[[B]], %[[NEG]]
// CHECK: tess.softmax %[[M]] {axis = 2 : i64}
func.func @decoder(%q: tensor<1x6x4xf32> {tess.param = "dec.attn.query"}, %mem: tensor<1x4x2x3xf32> {tess.input = "memory"}, %bias: tensor<1x1x6xf32> {tess.param = "dec.attn.key_bias"}) -> (tensor<1x6x4xf32> {tess.output = "a"}, tensor<1x6x4xf32> {tess.output = "b"}) {
  %f = tess.reshape %mem : tensor<1x4x2x3xf32> -> tensor<1x4x6xf32>
  %k = tess.transpose %f {permutation = array<i64: 0, 2, 1>} : tensor<1x4x6xf32> -> tensor<1x6x4xf32>
  %e = tensor.empty() : tensor<1x6x4xf32>
  %o = tess.attention %q, %k, %k bias(%bias : tensor<1x1x6xf32>) init(%e) {scale = 1.0 : f64, causal = true} : tensor<1x6x4xf32>, tensor<1x6x4xf32>, tensor<1x6x4xf32>, tensor<1x6x4xf32> -> tensor<1x6x4xf32>
  %o2 = tess.attention %q, %k, %k bias(%bias : tensor<1x1x6xf32>) init(%e) {scale = 1.0 : f64, causal = true} : tensor<1x6x4xf32>, tensor<1x6x4xf32>, tensor<1x6x4xf32>, tensor<1x6x4xf32> -> tensor<1x6x4xf32>
  return %o, %o2 : tensor<1x6x4xf32>, tensor<1x6x4xf32>
}

// A function without named outputs is not the graph: nothing is added.
// CHECK-LABEL: func.func @helper
// CHECK-SAME: -> tensor<1x3x2xf32> {
// CHECK-NOT: tess.softmax
// CHECK: return
func.func @helper(%q: tensor<1x3x2xf32>) -> tensor<1x3x2xf32> {
  %e = tensor.empty() : tensor<1x3x2xf32>
  %o = tess.attention %q, %q, %q init(%e) {scale = 1.0 : f64} : tensor<1x3x2xf32>, tensor<1x3x2xf32>, tensor<1x3x2xf32>, tensor<1x3x2xf32> -> tensor<1x3x2xf32>
  return %o : tensor<1x3x2xf32>
}
