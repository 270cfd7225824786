//===- TessInterfaces.td - interfaces of tess ops ------------------------===//
//
// What the reference interpreter and the frontend ask of an op, declared with the op instead
// of in a switch over op kinds.
//
//===----------------------------------------------------------------------===//

#ifndef TESS_INTERFACES
#define TESS_INTERFACES

include "mlir/IR/OpBase.td"

def Tess_ElementwiseUnaryOpInterface : OpInterface<"ElementwiseUnaryOpInterface"> {
  let cppNamespace = "::tessera::tess";
  let description = [{
    An op whose result element i is a function of operand element i alone. The function, in
    double precision, is the op's reference semantics: the interpreter evaluates the op with
    it, and the DSL folds calls on numbers with it (`sigmoid(0.5)`).
  }];
  let methods = [
    InterfaceMethod<"The value of one result element from its operand element.", "double",
                    "evaluateElement", (ins "double":$x)>,
  ];
}

#endif // TESS_INTERFACES
