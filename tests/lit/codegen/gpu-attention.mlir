// gpu-attention: a buffer-form attention becomes one gpu.launch (kept as one kernel by
// outline-gpu-kernels): work items (head, query tile) strided over the grid, one query row
// per thread in private memory, key and value tiles staged in workgroup memory between two
// barriers, the online softmax per group of 8 keys. A causal attention's key loop ends at
// the tile's last row; a tile of keys contiguous along the key index is staged along it and
// padded by a column; biases are read per score; heads wider than 256 are left alone.
// RUN: tessera-opt %s --pass-pipeline='builtin.module(func.func(tessera-gpu-attention{rows=32 key-tile=16}),tessera-outline-gpu-kernels,canonicalize,cse)' | FileCheck %s
// RUN: not tessera-opt %s --pass-pipeline='builtin.module(func.func(tessera-gpu-attention{rows=48}))' 2>&1 | FileCheck %s --check-prefix=BADROWS
// BADROWS: rows must be a multiple of 32 in [32, 256]

// CHECK-LABEL: gpu.func @heads_k0(
// CHECK-SAME: workgroup(%[[KT:.+]] : memref<16x16xf32, #gpu.address_space<workgroup>>, %[[VT:.+]] : memref<16x24xf32, #gpu.address_space<workgroup>>)
// CHECK-SAME: private(%[[Q:.+]] : memref<16xf32, #gpu.address_space<private>>, %[[ACC:.+]] : memref<24xf32, #gpu.address_space<private>>, %[[STATS:.+]] : memref<2xf32, #gpu.address_space<private>>)
// CHECK-SAME: tess.gpu_block = 32 : i64, tess.gpu_grid = 2 : i64
// CHECK: %[[GRID:.+]] = gpu.grid_dim x
// CHECK: scf.for %{{.*}} = %{{.*}} to %c2 step %[[GRID]]
// CHECK: memref.store %{{.*}}, %[[Q]][%c0]
// Causal: the only query tile's keys end at its last row, 32 (of 40).
// CHECK: scf.for %[[J0:.+]] = %c0 to %c32 step %c16
// CHECK: scf.for %{{.*}} = %{{.*}} to %c256 step %c32
// CHECK: memref.store %{{.*}}, %[[KT]]
// CHECK: scf.for %{{.*}} = %{{.*}} to %c384 step %c32
// CHECK: memref.store %{{.*}}, %[[VT]]
// CHECK: gpu.barrier
// CHECK: scf.for %{{.*}} = %c0 to %{{.*}} step %c8
// CHECK: memref.load %[[KT]]
// CHECK: arith.cmpi ule
// CHECK: math.exp
// CHECK: memref.load %[[VT]]
// CHECK: memref.store %{{.*}}, %[[ACC]]
// CHECK: gpu.barrier
// CHECK: memref.load %[[STATS]][%c1]
// CHECK: memref.store %{{.*}}, %arg3
// CHECK: gpu.return
func.func @heads(%q: memref<2x30x16xf32>, %k: memref<2x40x16xf32>, %v: memref<2x40x24xf32>,
                 %o: memref<2x30x24xf32>) attributes {tess.dispatch} {
  tess.attention %q, %k, %v init(%o) {scale = 2.500000e-01 : f64, causal = true} : memref<2x30x16xf32>, memref<2x40x16xf32>, memref<2x40x24xf32>, memref<2x30x24xf32>
  return
}

// CHECK-LABEL: gpu.func @bias_k0(
// CHECK-NOT: arith.cmpi ule
// CHECK: gpu.barrier
// CHECK: memref.load %arg3[%c0, %{{.*}}] : memref<1x5xf32>
// CHECK: gpu.barrier
func.func @bias(%q: memref<3x8xf32>, %k: memref<5x8xf32>, %v: memref<5x8xf32>, %b: memref<1x5xf32>,
                %o: memref<3x8xf32>) attributes {tess.dispatch} {
  tess.attention %q, %k, %v bias(%b : memref<1x5xf32>) init(%o) {scale = 1.0 : f64} : memref<3x8xf32>, memref<5x8xf32>, memref<5x8xf32>, memref<3x8xf32>
  return
}

// CHECK-LABEL: gpu.func @wide_k0(
// CHECK-NOT: gpu.barrier
// CHECK: tess.attention
func.func @wide(%q: memref<4x300xf32>, %k: memref<4x300xf32>, %v: memref<4x8xf32>,
                %o: memref<4x8xf32>) attributes {tess.dispatch} {
  tess.attention %q, %k, %v init(%o) {scale = 1.0 : f64} : memref<4x300xf32>, memref<4x300xf32>, memref<4x8xf32>, memref<4x8xf32>
  return
}

// Keys contiguous along the key index: consecutive threads take consecutive keys (the flat
// index modulo the 16 rows of the tile), and the tile has a 17th column.
// CHECK-LABEL: gpu.func @keys_transposed_k0(
// CHECK-SAME: workgroup(%[[KT2:.+]] : memref<16x17xf32, #gpu.address_space<workgroup>>, %{{.*}} : memref<16x24xf32, #gpu.address_space<workgroup>>)
// CHECK: scf.for %[[F:.+]] = %{{.*}} to %c256 step %c32
// CHECK: arith.remui %[[F]], %c16
func.func @keys_transposed(%q: memref<2x30x16xf32>, %k: memref<2x40x16xf32, strided<[640, 1, 40]>>, %v: memref<2x40x24xf32>,
                 %o: memref<2x30x24xf32>) attributes {tess.dispatch} {
  tess.attention %q, %k, %v init(%o) {scale = 2.500000e-01 : f64} : memref<2x30x16xf32>, memref<2x40x16xf32, strided<[640, 1, 40]>>, memref<2x40x24xf32>, memref<2x30x24xf32>
  return
}
