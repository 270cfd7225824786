// Workgroups split the first non-unit parallel dimension; loop-free dispatches run on
// workgroup 0 only, so any workgroup count gives the same result.
// RUN: tessera-opt %s --pass-pipeline='builtin.module(func.func(tessera-distribute-workgroups{max-workgroups=8}))' | FileCheck %s

// CHECK-LABEL: func.func @split
// CHECK-SAME: (%{{.*}}: memref<1x40xf32>, %[[ID:.+]]: index, %[[N:.+]]: index)
// CHECK-SAME: tess.workgroups = 8
// CHECK: %[[CHUNK:.+]] = arith.ceildivui %{{.*}}, %[[N]] : index
// CHECK: %[[SPAN:.+]] = arith.muli %[[CHUNK]], %{{.*}} : index
// CHECK: %[[OFF:.+]] = arith.muli %[[ID]], %[[SPAN]] : index
// CHECK: %[[LB:.+]] = arith.addi %{{.*}}, %[[OFF]] : index
// CHECK: %[[END:.+]] = arith.addi %[[LB]], %[[SPAN]] : index
// CHECK: %[[UB:.+]] = arith.minsi %{{.*}}, %[[END]] : index
// CHECK: scf.parallel (%{{.*}}, %{{.*}}) = (%{{.*}}, %[[LB]]) to (%{{.*}}, %[[UB]])
func.func @split(%m: memref<1x40xf32>) attributes {tess.dispatch} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c40 = arith.constant 40 : index
  %f = arith.constant 1.0 : f32
  scf.parallel (%i, %j) = (%c0, %c0) to (%c1, %c40) step (%c1, %c1) {
    memref.store %f, %m[%i, %j] : memref<1x40xf32>
  }
  return
}

// CHECK-LABEL: func.func @serial
// CHECK-SAME: tess.workgroups = 1
// CHECK: %[[FIRST:.+]] = arith.cmpi eq
// CHECK: scf.if %[[FIRST]]
// CHECK: memref.store
func.func @serial(%m: memref<f32>) attributes {tess.dispatch} {
  %f = arith.constant 1.0 : f32
  memref.store %f, %m[] : memref<f32>
  return
}
