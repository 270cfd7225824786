// fuse-rows: consecutive ops that hand data to each other row by row run as one loop over
// rows, each member on rank-preserving row subviews; ops that would read another row, reorder
// a reduction's loops or re-read a large buffer for every row stay apart.
// RUN: tessera-opt %s --pass-pipeline='builtin.module(func.func(tessera-fuse-rows))' | FileCheck %s
// RUN: tessera-opt %s --pass-pipeline='builtin.module(func.func(tessera-fuse-rows{max-broadcast-bytes=16}))' | FileCheck %s --check-prefix=LIMIT

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>
#tr = affine_map<(d0, d1) -> (d1, d0)>

// A normalization: zero the row sums, reduce, subtract. 32 rows, one loop.
// CHECK-LABEL: func.func @center_rows
// CHECK: scf.parallel (%[[R:.+]]) = (%c0) to (%c32) step (%c1)
// CHECK: %[[S:.+]] = memref.subview %{{.+}}[%[[R]]] [1] [1] : memref<32xf32> to memref<1xf32, strided<[1], offset: ?>>
// CHECK: linalg.fill {{.*}} outs(%[[S]]
// CHECK: %[[X:.+]] = memref.subview %arg0[%[[R]], 0] [1, 8] [1, 1]
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[X]]
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// CHECK: scf.reduce
// CHECK-NOT: linalg.
// CHECK: return
func.func @center_rows(%x: memref<32x8xf32>, %y: memref<32x8xf32>) {
  %zero = arith.constant 0.0 : f32
  %s = memref.alloc() : memref<32xf32>
  linalg.fill ins(%zero : f32) outs(%s : memref<32xf32>)
  linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : memref<32x8xf32>) outs(%s : memref<32xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %acc, %a : f32
    linalg.yield %r : f32
  }
  linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %s : memref<32x8xf32>, memref<32xf32>) outs(%y : memref<32x8xf32>) {
  ^bb0(%a: f32, %m: f32, %o: f32):
    %r = arith.subf %a, %m : f32
    linalg.yield %r : f32
  }
  return
}

// bias -> GEMM -> relu. The contraction's outermost loop walks the 32 output features, so
// the group runs by feature (column): each feature's weight row serves every token.
// CHECK-LABEL: func.func @linear_relu
// CHECK: scf.parallel (%[[N:.+]]) = (%c0) to (%c32) step (%c1)
// CHECK: memref.subview %arg2[%[[N]]] [1] [1]
// CHECK: memref.subview %arg3[0, %[[N]]] [4, 1] [1, 1]
// CHECK: %[[W:.+]] = memref.subview %arg1[%[[N]], 0] [1, 16] [1, 1]
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%arg0, %[[W]]
// CHECK: arith.maximumf
// CHECK: scf.reduce
// A 16-byte limit on what a member may re-read per row keeps them apart (x is 256 bytes).
// LIMIT-LABEL: func.func @linear_relu
// LIMIT-NOT: scf.parallel
// LIMIT-COUNT-3: linalg.generic
// LIMIT-LABEL: func.func @transposed_consumer
func.func @linear_relu(%x: memref<4x16xf32>, %w: memref<32x16xf32>, %b: memref<32xf32>,
                       %y: memref<4x32xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.generic {indexing_maps = [#col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%b : memref<32xf32>) outs(%y : memref<4x32xf32>) {
  ^bb0(%v: f32, %o: f32):
    linalg.yield %v : f32
  }
  linalg.generic {indexing_maps = [affine_map<(n, t, k) -> (t, k)>, affine_map<(n, t, k) -> (n, k)>,
                                   affine_map<(n, t, k) -> (t, n)>],
                  iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<4x16xf32>, memref<32x16xf32>) outs(%y : memref<4x32xf32>) {
  ^bb0(%a: f32, %c: f32, %acc: f32):
    %p = arith.mulf %a, %c : f32
    %r = arith.addf %acc, %p : f32
    linalg.yield %r : f32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y : memref<4x32xf32>) outs(%y : memref<4x32xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.maximumf %a, %zero : f32
    linalg.yield %r : f32
  }
  return
}

// The transpose reads row j of %a while computing row i of %b: not row by row.
// CHECK-LABEL: func.func @transposed_consumer
// CHECK-NOT: scf.parallel
// CHECK: linalg.generic
// CHECK: linalg.transpose
func.func @transposed_consumer(%x: memref<32x32xf32>, %y: memref<32x32xf32>) {
  %a = memref.alloc() : memref<32x32xf32>
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<32x32xf32>) outs(%a : memref<32x32xf32>) {
  ^bb0(%v: f32, %o: f32):
    %r = arith.mulf %v, %v : f32
    linalg.yield %r : f32
  }
  linalg.transpose ins(%a : memref<32x32xf32>) outs(%y : memref<32x32xf32>) permutation = [1, 0]
  return
}

// The contraction's output features (d2) are inside its reduction loop (d1): running it by
// feature would reorder its loops, and 4 tokens are too few rows. Nothing fuses.
// CHECK-LABEL: func.func @reduction_in_the_middle
// CHECK-NOT: scf.parallel
// CHECK: return
func.func @reduction_in_the_middle(%x: memref<4x16xf32>, %w: memref<16x32xf32>,
                                   %b: memref<32xf32>, %y: memref<4x32xf32>) {
  linalg.generic {indexing_maps = [#col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%b : memref<32xf32>) outs(%y : memref<4x32xf32>) {
  ^bb0(%v: f32, %o: f32):
    linalg.yield %v : f32
  }
  linalg.generic {indexing_maps = [affine_map<(t, k, n) -> (t, k)>, affine_map<(t, k, n) -> (k, n)>,
                                   affine_map<(t, k, n) -> (t, n)>],
                  iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x, %w : memref<4x16xf32>, memref<16x32xf32>) outs(%y : memref<4x32xf32>) {
  ^bb0(%a: f32, %c: f32, %acc: f32):
    %p = arith.mulf %a, %c : f32
    %r = arith.addf %acc, %p : f32
    linalg.yield %r : f32
  }
  return
}

// The second op reads %x both by row (operand) and at row 0 (a load in its body): one
// subview cannot serve both, so it stays out of the row loop.
// CHECK-LABEL: func.func @operand_also_loaded
// CHECK-NOT: scf.parallel
// CHECK: return
func.func @operand_also_loaded(%x: memref<32x8xf32>, %y: memref<32x8xf32>, %z: memref<32x8xf32>) {
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<32x8xf32>) outs(%y : memref<32x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.mulf %a, %a : f32
    linalg.yield %r : f32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<32x8xf32>) outs(%z : memref<32x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %c0 = arith.constant 0 : index
    %j = linalg.index 1 : index
    %t = memref.load %x[%c0, %j] : memref<32x8xf32>
    %r = arith.addf %a, %t : f32
    linalg.yield %r : f32
  }
  return
}
