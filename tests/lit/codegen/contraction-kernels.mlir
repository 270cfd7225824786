// contraction-kernels: `out += lhs * rhs` generics become register-blocked vector FMA loop
// nests; the fill or bias broadcast before them becomes the accumulators' initial value and
// the elementwise consumers after them run on the accumulators before the one store.
// RUN: tessera-opt %s --pass-pipeline='builtin.module(func.func(tessera-contraction-kernels{vector-width=16}))' | FileCheck %s
// RUN: tessera-opt %s --pass-pipeline='builtin.module(func.func(tessera-contraction-kernels{vector-width=16 epilogues=false}))' | FileCheck %s --check-prefix=NOEPI
// RUN: not tessera-opt %s --pass-pipeline='builtin.module(func.func(tessera-contraction-kernels{vector-width=12}))' 2>&1 | FileCheck %s --check-prefix=BAD

#x = affine_map<(d0, d1, d2) -> (d0, d2)>
#p = affine_map<(d0, d1, d2) -> (d1 floordiv 32, d2, d1 mod 32)>
#o = affine_map<(d0, d1, d2) -> (d0, d1)>
#w = affine_map<(d0, d1, d2) -> (d1, d2)>
#kn = affine_map<(d0, d1, d2) -> (d2, d1)>
#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>

// bias -> GEMM over a packed weight -> tanh epilogue. 20 rows = one block of 12 and a
// remainder of 8; 40 columns = one full panel of 32 and an edge panel of 8 (masked). Two
// panels are too few tasks (min-tasks 16): each is split in two row chunks, task =
// panel * 2 + chunk.
// CHECK-LABEL: func.func @linear_bias_act
// CHECK-NOT: linalg.
// CHECK: scf.parallel (%[[T:.+]]) = (%c0) to (%c4) step (%c1)
// CHECK: %[[PANEL:.+]] = arith.divui %[[T]], %c2
// CHECK: arith.remui %[[T]], %c2
// CHECK: %[[EDGE:.+]] = arith.cmpi eq, %[[PANEL]], %c1
// CHECK: scf.if %[[EDGE]]
// The edge panel: one vector of 8 valid lanes, bias read masked.
// CHECK: vector.maskedload %arg2
// CHECK: scf.for {{.*}} iter_args
// CHECK: vector.load %arg1[{{.*}}] : memref<2x16x32xf32>, vector<16xf32>
// CHECK: memref.load %arg0
// CHECK: vector.broadcast {{.*}} : f32 to vector<16xf32>
// CHECK: arith.mulf {{.*}} fastmath<contract> : vector<16xf32>
// CHECK: arith.addf {{.*}} fastmath<contract> : vector<16xf32>
// CHECK: math.tanh {{.*}} : vector<16xf32>
// CHECK: vector.maskedstore %arg3
// CHECK: } else {
// Full panels: bias loaded as vectors, 12-row blocks of 2 x 16 columns.
// CHECK: vector.load %arg2
// CHECK: scf.for
// CHECK-COUNT-24: arith.addf {{.*}} fastmath<contract> : vector<16xf32>
// CHECK: math.tanh {{.*}} : vector<16xf32>
// CHECK: vector.store {{.*}}, %arg3
// CHECK: } {tess.flops = 25600 : i64, tess.kernel = "gemm"}
// CHECK-NOT: linalg.
// CHECK: return
// Without epilogues the bias broadcast and the activation stay separate ops.
// NOEPI-LABEL: func.func @linear_bias_act
// NOEPI: tess.kernel = "gemm"
// NOEPI: linalg.generic
// NOEPI: math.tanh {{.*}} : f32
// NOEPI: return
// BAD: vector-width must be a power of two >= 1
func.func @linear_bias_act(%x: memref<20x16xf32> {tess.input = "x"},
                           %w: memref<2x16x32xf32> {tess.packed = {panel = 32 : i64, panel_dim = 0 : i64, param = "w", permutation = array<i64: 0, 1>, shape = array<i64: 40, 16>}},
                           %b: memref<40xf32> {tess.param = "b"},
                           %y: memref<20x40xf32> {tess.output = "y"}) {
  %t = memref.alloc() : memref<20x40xf32>
  linalg.generic {indexing_maps = [#col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%b : memref<40xf32>) outs(%t : memref<20x40xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  }
  linalg.generic {indexing_maps = [#x, #p, #o], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<20x16xf32>, memref<2x16x32xf32>) outs(%t : memref<20x40xf32>) {
  ^bb0(%a: f32, %c: f32, %acc: f32):
    %m = arith.mulf %a, %c : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%t : memref<20x40xf32>) outs(%y : memref<20x40xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = math.tanh %a : f32
    linalg.yield %r : f32
  }
  return
}

// A residual add into a buffer that is read again later stays a kernel epilogue: the
// contraction's own output is what is not stored. The add's other operand is loaded as a
// vector at the element it updates.
// CHECK-LABEL: func.func @residual
// CHECK: scf.parallel
// CHECK: vector.load %arg2
// CHECK: arith.addf
// CHECK: vector.store {{.*}}, %arg2
// CHECK: tess.kernel = "gemm"
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @residual(%x: memref<4x16xf32> {tess.input = "x"},
                    %w: memref<16x32xf32> {tess.input = "w"},
                    %r: memref<4x32xf32> {tess.output = "r"}) {
  %zero = arith.constant 0.0 : f32
  %t = memref.alloc() : memref<4x32xf32>
  linalg.fill ins(%zero : f32) outs(%t : memref<4x32xf32>)
  linalg.generic {indexing_maps = [#x, #kn, #o], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<4x16xf32>, memref<16x32xf32>) outs(%t : memref<4x32xf32>) {
  ^bb0(%a: f32, %c: f32, %acc: f32):
    %m = arith.mulf %a, %c : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%t, %r : memref<4x32xf32>, memref<4x32xf32>) outs(%r : memref<4x32xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  }
  return
}

// Left alone: an epilogue whose input is still read afterwards keeps its own op (the kernel
// stores the contraction's output), and a dot-form contraction (rhs read along k, not along
// the output's columns) is not a kernel at all.
// CHECK-LABEL: func.func @kept_apart
// CHECK: tess.kernel = "gemm"
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// CHECK: math.exp
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]
// CHECK: return
func.func @kept_apart(%x: memref<4x16xf32> {tess.input = "x"},
                      %w: memref<16x32xf32> {tess.input = "w"},
                      %v: memref<32x16xf32> {tess.input = "v"},
                      %y: memref<4x32xf32> {tess.output = "y"},
                      %z: memref<4x32xf32> {tess.output = "z"}) {
  %zero = arith.constant 0.0 : f32
  %t = memref.alloc() : memref<4x32xf32>
  linalg.fill ins(%zero : f32) outs(%t : memref<4x32xf32>)
  linalg.generic {indexing_maps = [#x, #kn, #o], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<4x16xf32>, memref<16x32xf32>) outs(%t : memref<4x32xf32>) {
  ^bb0(%a: f32, %c: f32, %acc: f32):
    %m = arith.mulf %a, %c : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%t : memref<4x32xf32>) outs(%y : memref<4x32xf32>) {
  ^bb0(%a: f32, %o: f32):
    %e = math.exp %a : f32
    linalg.yield %e : f32
  }
  linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%t : memref<4x32xf32>) outs(%z : memref<4x32xf32>) {
  ^bb0(%a: f32, %o: f32):
    %n = arith.negf %a : f32
    linalg.yield %n : f32
  }
  linalg.generic {indexing_maps = [#x, #w, #o], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %v : memref<4x16xf32>, memref<32x16xf32>) outs(%z : memref<4x32xf32>) {
  ^bb0(%a: f32, %c: f32, %acc: f32):
    %m = arith.mulf %a, %c : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  return
}

// Batch-norm after a convolution-like GEMM: the scale and shift are computed from the
// parameters between the contraction and its consumers. Both computations move before the
// kernel (the second stage's shift too, although it is computed before the first stage), the
// scale and shift are read as per-column vectors through views without their unit dims.
// CHECK-LABEL: func.func @bn_epilogue
// CHECK: linalg.generic {{.*}} ins(%arg2 :
// CHECK: linalg.generic {{.*}} ins(%arg3 :
// CHECK: memref.collapse_shape
// CHECK: scf.parallel
// CHECK: arith.mulf {{.*}} : vector<16xf32>
// CHECK: arith.addf {{.*}} : vector<16xf32>
// CHECK: vector.store
// CHECK: tess.kernel = "gemm"
// CHECK-NOT: linalg.generic
// CHECK: return
#pc = affine_map<(d0, d1) -> (d1, 0)>
#v = affine_map<(d0) -> (d0)>
func.func @bn_epilogue(%x: memref<4x16xf32> {tess.input = "x"},
                       %w: memref<16x32xf32> {tess.input = "w"},
                       %g: memref<32xf32> {tess.param = "g"},
                       %h: memref<32xf32> {tess.param = "h"},
                       %y: memref<4x32xf32> {tess.output = "y"}) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%y : memref<4x32xf32>)
  linalg.generic {indexing_maps = [#x, #kn, #o], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x, %w : memref<4x16xf32>, memref<16x32xf32>) outs(%y : memref<4x32xf32>) {
  ^bb0(%a: f32, %c: f32, %acc: f32):
    %m = arith.mulf %a, %c : f32
    %s = arith.addf %acc, %m : f32
    linalg.yield %s : f32
  }
  %scale = memref.alloc() : memref<32xf32>
  linalg.generic {indexing_maps = [#v, #v], iterator_types = ["parallel"]}
      ins(%g : memref<32xf32>) outs(%scale : memref<32xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = math.rsqrt %a : f32
    linalg.yield %r : f32
  }
  %shift = memref.alloc() : memref<32xf32>
  linalg.generic {indexing_maps = [#v, #v], iterator_types = ["parallel"]}
      ins(%h : memref<32xf32>) outs(%shift : memref<32xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = arith.negf %a : f32
    linalg.yield %r : f32
  }
  %s2 = memref.expand_shape %scale [[0, 1]] output_shape [32, 1] : memref<32xf32> into memref<32x1xf32>
  %h2 = memref.expand_shape %shift [[0, 1]] output_shape [32, 1] : memref<32xf32> into memref<32x1xf32>
  linalg.generic {indexing_maps = [#id, #pc, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y, %s2 : memref<4x32xf32>, memref<32x1xf32>) outs(%y : memref<4x32xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.mulf %a, %b : f32
    linalg.yield %r : f32
  }
  linalg.generic {indexing_maps = [#id, #pc, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y, %h2 : memref<4x32xf32>, memref<32x1xf32>) outs(%y : memref<4x32xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.addf %a, %b : f32
    linalg.yield %r : f32
  }
  return
}
