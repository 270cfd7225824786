// tile-lambda: a gather feeding a contraction is read inside it (never materialized); a
// gather feeding an elementwise op, or used twice, stays.
// The fused contraction is then tiled: the loops indexing the relative-index table are its
// query positions (parallel, query-tile) and context positions (reduction, context-tile).
// RUN: tessera-opt %s --pass-pipeline='builtin.module(func.func(tessera-tile-lambda))' | FileCheck %s
// RUN: tessera-opt %s --pass-pipeline='builtin.module(func.func(tessera-tile-lambda{query-tile=2 context-tile=0}))' | FileCheck %s --check-prefix=OPTS

#idx = affine_map<(n, m, k) -> (n, m)>
#out3 = affine_map<(n, m, k) -> (n, m, k)>
#e = affine_map<(n, k, m) -> (n, m, k)>
#v = affine_map<(n, k, m) -> (m)>
#y = affine_map<(n, k, m) -> (n, k)>

// CHECK-LABEL: func.func @into_contraction
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "reduction"]
// CHECK-SAME: tess.tile_sizes = array<i64: 16, 0, 64>
// CHECK: tensor.extract %arg0
// OPTS-LABEL: func.func @into_contraction
// OPTS: tess.tile_sizes = array<i64: 2, 0, 0>
// CHECK-NOT: linalg.generic
func.func @into_contraction(%table: tensor<7x4xf32>, %index: tensor<3x5xi64>, %v: tensor<5xf32>) -> tensor<3x4xf32> {
  %e0 = tensor.empty() : tensor<3x5x4xf32>
  %emb = linalg.generic {indexing_maps = [#idx, #out3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%index : tensor<3x5xi64>) outs(%e0 : tensor<3x5x4xf32>) {
  ^bb0(%i: i64, %o: f32):
    %r = arith.index_cast %i : i64 to index
    %k = linalg.index 2 : index
    %x = tensor.extract %table[%r, %k] : tensor<7x4xf32>
    linalg.yield %x : f32
  } -> tensor<3x5x4xf32>
  %zero = arith.constant 0.0 : f32
  %e1 = tensor.empty() : tensor<3x4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e1 : tensor<3x4xf32>) -> tensor<3x4xf32>
  %y = linalg.generic {indexing_maps = [#e, #v, #y], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%emb, %v : tensor<3x5x4xf32>, tensor<5xf32>) outs(%init : tensor<3x4xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<3x4xf32>
  return %y : tensor<3x4xf32>
}

// CHECK-LABEL: func.func @not_into_elementwise
// CHECK-COUNT-2: linalg.generic
func.func @not_into_elementwise(%table: tensor<7x4xf32>, %index: tensor<3x5xi64>) -> tensor<3x5x4xf32> {
  %e0 = tensor.empty() : tensor<3x5x4xf32>
  %emb = linalg.generic {indexing_maps = [#idx, #out3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%index : tensor<3x5xi64>) outs(%e0 : tensor<3x5x4xf32>) {
  ^bb0(%i: i64, %o: f32):
    %r = arith.index_cast %i : i64 to index
    %k = linalg.index 2 : index
    %x = tensor.extract %table[%r, %k] : tensor<7x4xf32>
    linalg.yield %x : f32
  } -> tensor<3x5x4xf32>
  %neg = linalg.generic {indexing_maps = [#out3, #out3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%emb : tensor<3x5x4xf32>) outs(%e0 : tensor<3x5x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %n = arith.negf %a : f32
    linalg.yield %n : f32
  } -> tensor<3x5x4xf32>
  return %neg : tensor<3x5x4xf32>
}
