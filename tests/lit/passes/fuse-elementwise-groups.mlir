// Group-wise fusion: a tree of producers becomes one generic (each body cloned once), loop
// indices are renamed into the root's loops, and max-body-ops caps a fused body.
// RUN: tessera-opt %s --pass-pipeline='builtin.module(func.func(tessera-fuse-elementwise))' | FileCheck %s
// RUN: tessera-opt %s --pass-pipeline='builtin.module(func.func(tessera-fuse-elementwise{max-body-ops=2}))' | FileCheck %s --check-prefix=CAP

#id = affine_map<(d0, d1) -> (d0, d1)>
#t = affine_map<(d0, d1) -> (d1, d0)>

// Two producers (exp of x, negf of y) feed one add: one generic with both bodies, in order.
// CHECK-LABEL: func.func @tree
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}}, %{{.*}} : tensor<4x8xf32>, tensor<4x8xf32>)
// CHECK: math.exp
// CHECK: arith.negf
// CHECK: arith.addf
// CHECK-NOT: linalg.generic
// CAP-LABEL: func.func @tree
// CAP-COUNT-2: linalg.generic
// CAP-NOT: linalg.generic
func.func @tree(%x: tensor<4x8xf32>, %y: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = math.exp %in : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  %b = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.negf %in : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  %s = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a, %b : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%i0: f32, %i1: f32, %out: f32):
    %r = arith.addf %i0, %i1 : f32
    linalg.yield %r : f32
  } -> tensor<4x8xf32>
  return %s : tensor<4x8xf32>
}

// A producer computed in transposed loops: its input map is composed into the root's loops
// ((d0, d1) -> (d0, d1) read through the transposed use becomes (d0, d1) -> (d1, d0)), and
// its linalg.index 0 (its own first loop = the root's second) becomes linalg.index 1.
// CHECK-LABEL: func.func @transposed_index
// CAP-LABEL: func.func @transposed_index
// CHECK: linalg.generic {indexing_maps = [#map1, #map]
// CHECK: linalg.index 1
// CHECK-NOT: linalg.generic
func.func @transposed_index(%x: tensor<8x4xf32>) -> tensor<4x8xf32> {
  %e8 = tensor.empty() : tensor<8x4xf32>
  %p = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<8x4xf32>) outs(%e8 : tensor<8x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %i = linalg.index 0 : index
    %ii = arith.index_cast %i : index to i32
    %f = arith.sitofp %ii : i32 to f32
    %m = arith.addf %in, %f : f32
    linalg.yield %m : f32
  } -> tensor<8x4xf32>
  %e = tensor.empty() : tensor<4x8xf32>
  %c = linalg.generic {indexing_maps = [#t, #id], iterator_types = ["parallel", "parallel"]}
      ins(%p : tensor<8x4xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.negf %in : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  return %c : tensor<4x8xf32>
}
