// pack-weights: a parameter read as a contraction's rhs is read from a packed copy, a new
// graph argument [ceil(N / panel), K, panel] tagged tess.packed, through
// (n floordiv panel, k, n mod panel). Inputs, activations and already contiguous views of
// non-parameters stay as they are; two contractions reading one parameter the same way share
// one copy. (Only ops of the graph function are rewritten; dispatch functions are not.)
// RUN: tessera-opt %s --pass-pipeline='builtin.module(func.func(tessera-pack-weights{panel=32}))' | FileCheck %s
// RUN: tessera-opt %s --pass-pipeline='builtin.module(func.func(tessera-pack-weights))' | FileCheck %s --check-prefix=AUTO
// RUN: not tessera-opt %s --pass-pipeline='builtin.module(func.func(tessera-pack-weights{panel=24}))' 2>&1 | FileCheck %s --check-prefix=BAD

#x = affine_map<(d0, d1, d2) -> (d0, d2)>
#w = affine_map<(d0, d1, d2) -> (d1, d2)>
#o = affine_map<(d0, d1, d2) -> (d0, d1)>
#b = affine_map<(d0, d1, d2) -> (d2, d1)>

// CHECK-DAG: #[[PACKED:.+]] = affine_map<(d0, d1, d2) -> (d1 floordiv 32, d2, d1 mod 32)>
// CHECK-LABEL: func.func @linear
// CHECK-SAME: %arg1: memref<40x16xf32> {tess.param = "fc.weight"}
// CHECK-SAME: %[[P:.+]]: memref<2x16x32xf32> {tess.packed = {offset = 0 : i64, panel = 32 : i64, panel_dim = 0 : i64, param = "fc.weight", permutation = array<i64: 0, 1>, shape = array<i64: 40, 16>}}
// CHECK-SAME: %arg3: memref<4x40xf32> {tess.output = "y"}
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[PACKED]], #{{.+}}]
// CHECK-SAME: ins(%arg0, %[[P]] : memref<4x16xf32>, memref<2x16x32xf32>)
// CHECK: linalg.generic {indexing_maps = [#{{.+}}, #[[PACKED]], #{{.+}}]
// CHECK-SAME: ins(%arg0, %[[P]] : memref<4x16xf32>, memref<2x16x32xf32>)
// AUTO-LABEL: func.func @linear
// AUTO-SAME: memref<1x16x48xf32> {tess.packed = {offset = 0 : i64, panel = 48 : i64
// BAD: panel must be 0 (automatic) or a positive multiple of vector-width
func.func @linear(%x: memref<4x16xf32> {tess.input = "x"},
                  %w: memref<40x16xf32> {tess.param = "fc.weight"},
                  %y: memref<4x40xf32> {tess.output = "y"}) {
  %t = memref.alloc() : memref<4x40xf32>
  linalg.generic {indexing_maps = [#x, #w, #o], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<4x16xf32>, memref<40x16xf32>) outs(%t : memref<4x40xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#x, #w, #o], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<4x16xf32>, memref<40x16xf32>) outs(%y : memref<4x40xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// A [K, N] parameter (matmul rhs) is permuted into panels of N; a reshaped parameter is
// packed in its reshaped shape.
// CHECK-LABEL: func.func @matmul_rhs
// CHECK-SAME: memref<2x16x32xf32> {tess.packed = {offset = 0 : i64, panel = 32 : i64, panel_dim = 0 : i64, param = "w", permutation = array<i64: 1, 0>, shape = array<i64: 16, 64>}}
func.func @matmul_rhs(%x: memref<4x16xf32> {tess.input = "x"},
                      %w: memref<16x64xf32> {tess.param = "w"},
                      %y: memref<4x64xf32> {tess.output = "y"}) {
  linalg.generic {indexing_maps = [#x, #b, #o], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<4x16xf32>, memref<16x64xf32>) outs(%y : memref<4x64xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// A row block of a parameter (the k part of a packed q/k/v projection) is packed from its
// element offset.
// CHECK-LABEL: func.func @slice
// CHECK-SAME: memref<1x16x32xf32> {tess.packed = {offset = 512 : i64, panel = 32 : i64, panel_dim = 0 : i64, param = "in_proj", permutation = array<i64: 0, 1>, shape = array<i64: 32, 16>}}
func.func @slice(%x: memref<4x16xf32> {tess.input = "x"},
                 %w: memref<96x16xf32> {tess.param = "in_proj"},
                 %y: memref<4x32xf32> {tess.output = "y"}) {
  %k = memref.subview %w[32, 0] [32, 16] [1, 1] : memref<96x16xf32> to memref<32x16xf32, strided<[16, 1], offset: 512>>
  linalg.generic {indexing_maps = [#x, #w, #o], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %k : memref<4x16xf32>, memref<32x16xf32, strided<[16, 1], offset: 512>>) outs(%y : memref<4x32xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}

// Left alone: the rhs is an activation (an input), not a parameter.
// CHECK-LABEL: func.func @not_parameters
// CHECK-NOT: tess.packed
// CHECK: return
func.func @not_parameters(%x: memref<4x16xf32> {tess.input = "x"},
                          %w: memref<40x16xf32> {tess.input = "w"},
                          %y: memref<4x40xf32> {tess.output = "y"}) {
  linalg.generic {indexing_maps = [#x, #w, #o], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<4x16xf32>, memref<40x16xf32>) outs(%y : memref<4x40xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  }
  return
}
