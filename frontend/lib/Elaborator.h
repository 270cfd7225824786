// The elaborator behind mlirGen(): evaluation of DSL expressions and statements into scalars,
// parameter paths and tess tensor values.
#ifndef TESSERA_FRONTEND_ELABORATOR_H
#define TESSERA_FRONTEND_ELABORATOR_H

#include "tessera/frontend/AST.h"
#include "tessera/frontend/Diagnostics.h"
#include "tessera/frontend/MLIRGen.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace tessera::frontend {

/// A DSL value during elaboration.
struct Val {
  enum class Kind { Int, Float, Bool, String, List, Tensor, Path };
  Kind kind = Kind::Int;
  int64_t i = 0;
  double f = 0;
  bool b = false;
  std::string s; // String contents or Path ("blocks.0.attn")
  std::vector<Val> list;
  mlir::Value tensor;

  static Val ofInt(int64_t v) {
    Val x;
    x.kind = Kind::Int;
    x.i = v;
    return x;
  }
  static Val ofFloat(double v) {
    Val x;
    x.kind = Kind::Float;
    x.f = v;
    return x;
  }
  static Val ofBool(bool v) {
    Val x;
    x.kind = Kind::Bool;
    x.b = v;
    return x;
  }
  static Val ofString(std::string v) {
    Val x;
    x.kind = Kind::String;
    x.s = std::move(v);
    return x;
  }
  static Val ofPath(std::string v) {
    Val x;
    x.kind = Kind::Path;
    x.s = std::move(v);
    return x;
  }
  static Val ofTensor(mlir::Value v) {
    Val x;
    x.kind = Kind::Tensor;
    x.tensor = v;
    return x;
  }
  static Val ofList(std::vector<Val> v) {
    Val x;
    x.kind = Kind::List;
    x.list = std::move(v);
    return x;
  }

  bool isNumber() const { return kind == Kind::Int || kind == Kind::Float; }
  double number() const { return kind == Kind::Int ? double(i) : f; }
};

/// A DSL literal as -D values and builtin defaults spell it: an integer, a float, true/false or
/// a (quoted or bare) string; std::nullopt for empty text.
std::optional<Val> parseLiteral(const std::string &text);

/// "an integer", "a tensor f32[2, 3]", ... for diagnostics.
std::string describe(const Val &v);

class Elaborator {
public:
  Elaborator(mlir::MLIRContext &context, const Program &program, const SourceFile &file,
             DiagnosticEngine &diags);

  mlir::OwningOpRef<mlir::ModuleOp> run(const MLIRGenOptions &options);

  // Used by the builtins.
  mlir::OpBuilder &builder() { return builder_; }
  mlir::Location loc(SourceLoc l);
  bool error(SourceLoc l, const std::string &message); // always returns false
  void note(SourceLoc l, const std::string &message);

  /// Converts scalars to rank-0 f32 constants and resolves declared parameter paths.
  std::optional<mlir::Value> asTensor(const Val &v, SourceLoc l, const std::string &what);
  /// Like asTensor, but a number becomes a scalar of `elementType` (so `tokens + 1` stays
  /// integral).
  std::optional<mlir::Value> asTensorLike(const Val &v, SourceLoc l, const std::string &what,
                                          mlir::Type elementType);
  /// Looks up a declared parameter; nullopt without a diagnostic when it is not declared.
  std::optional<mlir::Value> findParam(const std::string &path);
  /// Declares (or re-finds with a shape check) a parameter of the graph being built.
  std::optional<mlir::Value> declareParam(const std::string &path, llvm::ArrayRef<int64_t> shape,
                                          mlir::Type elementType, SourceLoc l);
  mlir::Value scalarConstant(double value, SourceLoc l);
  mlir::Value scalarConstant(double value, mlir::Type elementType, SourceLoc l);

private:
  using Scope = std::map<std::string, Val>;

  bool evalConfigs(const MLIRGenOptions &options);
  bool evalTopLevelParams();
  std::optional<std::vector<int64_t>> evalShape(const TensorTypeExpr &type, Scope &scope);
  std::optional<mlir::Type> elementType(const TensorTypeExpr &type);
  mlir::func::FuncOp buildGraph(const GraphDecl &graph);

  /// Executes statements; a `return` stores its values in `returned` and stops.
  bool execBlock(const std::vector<StmtPtr> &body, Scope &scope,
                 std::optional<std::vector<Val>> &returned);
  bool execStmt(const Stmt &stmt, Scope &scope, std::optional<std::vector<Val>> &returned);
  bool execParam(const Stmt &stmt, Scope &scope);

  std::optional<Val> eval(const Expr &e, Scope &scope);
  std::optional<Val> evalUnchecked(const Expr &e, Scope &scope);
  /// Reports `what` at `l` if `type` exceeds the rank or size limits; returns whether it fits.
  bool checkTensorType(mlir::Type type, SourceLoc l, const std::string &what);
  std::optional<Val> evalName(const Expr &e, Scope &scope);
  std::optional<Val> evalIndex(const Expr &e, Scope &scope);
  std::optional<Val> evalCall(const Expr &e, Scope &scope);
  std::optional<Val> evalUnary(const Expr &e, Scope &scope);
  std::optional<Val> evalBinary(const Expr &e, Scope &scope);
  std::optional<Val> callFn(const FnDecl &fn, const Expr &call, const std::vector<Val> &args,
                            const std::vector<SourceLoc> &argLocs,
                            const std::vector<std::pair<std::string, Val>> &kwargs);
  std::optional<Val> sliceTensor(const Expr &e, mlir::Value tensor, Scope &scope);

  mlir::MLIRContext &context_;
  const Program &program_;
  const SourceFile &file_;
  DiagnosticEngine &diags_;
  mlir::OpBuilder builder_;

  Scope configs_;
  std::map<std::string, const FnDecl *> fns_;
  unsigned callDepth_ = 0;
  uint64_t executedStatements_ = 0;
  uint64_t maxTensorBytes_ = 0; // MLIRGenOptions::maxTensorBytes
  uint64_t maxStatements_ = 0;  // MLIRGenOptions::maxStatements

  struct Param {
    mlir::Value value;
    SourceLoc declaredAt;
  };
  std::map<std::string, Param> params_;
  std::vector<std::string> paramOrder_;
  mlir::Block *graphBlock_ = nullptr;
};

} // namespace tessera::frontend

#endif // TESSERA_FRONTEND_ELABORATOR_H
