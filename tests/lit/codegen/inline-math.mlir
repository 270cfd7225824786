// inline-math: f32 exp, erf and tanh (scalar and vector) become polynomials of arith / fma
// ops, so loops with them vectorize; f64 is left to libm. The numbers are checked against
// double precision in tests/e2e/InlineMathTest.cpp; this test pins the shapes.
// RUN: tessera-opt %s --pass-pipeline='builtin.module(tessera-inline-math)' | FileCheck %s

// exp: x clamped, 2^n p(r) with n = roundeven(x log2 e), r = x - n ln 2 in two fmas (a
// two-part constant), p of degree 6 in six more, 2^n from the exponent bits; NaN passes
// through.
// CHECK-LABEL: func.func @exp
// CHECK-NOT: math.exp
// CHECK: math.roundeven {{.*}} : f32
// CHECK-COUNT-8: math.fma {{.*}} : f32
// CHECK: arith.shli {{.*}} : i32
// CHECK: arith.bitcast {{.*}} : i32 to f32
// CHECK: arith.cmpf uno
// CHECK-NOT: math.exp
// CHECK: return
func.func @exp(%x: f32) -> f32 {
  %e = math.exp %x : f32
  return %e : f32
}

// The same on vectors, lane for lane.
// CHECK-LABEL: func.func @exp_vector
// CHECK-NOT: math.exp
// CHECK: math.roundeven {{.*}} : vector<16xf32>
// CHECK: arith.bitcast {{.*}} : vector<16xi32> to vector<16xf32>
// CHECK-NOT: math.exp
// CHECK: return
func.func @exp_vector(%v: vector<16xf32>) -> vector<16xf32> {
  %e = math.exp %v : vector<16xf32>
  return %e : vector<16xf32>
}

// erf: x P(x^2) / Q(x^2) on x clamped to [-4, 4], clamped to [-1, 1].
// CHECK-LABEL: func.func @erf
// CHECK-NOT: math.erf
// CHECK: arith.divf
// CHECK-NOT: math.erf
// CHECK: return
func.func @erf(%x: f32) -> f32 {
  %r = math.erf %x : f32
  return %r : f32
}

// tanh: an odd polynomial near 0, 1 - 2 / (exp(2|x|) + 1) (itself inlined) elsewhere, the
// sign restored.
// CHECK-LABEL: func.func @tanh
// CHECK-NOT: math.tanh
// CHECK-NOT: math.exp
// CHECK: math.absf
// CHECK: arith.select
// CHECK: math.copysign
// CHECK-NOT: math.tanh
// CHECK: return
func.func @tanh(%x: f32) -> f32 {
  %t = math.tanh %x : f32
  return %t : f32
}

// f64 stays a call into libm.
// CHECK-LABEL: func.func @double
// CHECK: math.exp %{{.*}} : f64
func.func @double(%d: f64) -> f64 {
  %e = math.exp %d : f64
  return %e : f64
}
