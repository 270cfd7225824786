// formatExpr / formatProgram: the AST back as .tg source, for diagnostics, tests and dumps.
#include "tessera/frontend/AST.h"

#include <charconv>

namespace tessera::frontend {

namespace {

std::string formatFloat(double value) {
  char buffer[64];
  // Shortest text that reads back as the same double, independent of the C locale.
  auto [end, ec] = std::to_chars(buffer, buffer + sizeof(buffer), value);
  std::string text = ec == std::errc() ? std::string(buffer, end) : std::string("nan");
  // Keep it a float literal: `2` would read back as an integer.
  if (text.find_first_of(".eEn") == std::string::npos)
    text += ".0";
  return text;
}

std::string formatString(const std::string &value) {
  // Only the three escapes the lexer knows; every other byte is written as is, so that the
  // output always parses back to the same string.
  std::string text = "\"";
  for (char c : value) {
    if (c == '"' || c == '\\') {
      text += '\\';
      text += c;
    } else if (c == '\n') {
      text += "\\n";
    } else {
      text += c;
    }
  }
  return text + "\"";
}

std::string formatOptional(const ExprPtr &expr) { return expr ? formatExpr(*expr) : ""; }

std::string formatSubscript(const Subscript &subscript) {
  if (!subscript.isSlice)
    return formatOptional(subscript.index);
  std::string text = formatOptional(subscript.start) + ":" + formatOptional(subscript.stop);
  if (subscript.step)
    text += ":" + formatExpr(*subscript.step);
  return text;
}

std::string formatType(const TensorTypeExpr &type) {
  std::string text = type.dtype + "[";
  for (size_t i = 0; i < type.dims.size(); ++i)
    text += (i ? ", " : "") + formatOptional(type.dims[i]);
  return text + "]";
}

void formatBody(const std::vector<StmtPtr> &body, unsigned indent, std::string &out);

void formatStmt(const Stmt &stmt, unsigned indent, std::string &out) {
  out.append(indent, ' ');
  switch (stmt.kind) {
  case Stmt::Kind::Assign:
    out += stmt.name + " = " + formatOptional(stmt.value) + "\n";
    return;
  case Stmt::Kind::Return:
    out += "return";
    for (size_t i = 0; i < stmt.values.size(); ++i)
      out += (i ? ", " : " ") + formatOptional(stmt.values[i]);
    out += "\n";
    return;
  case Stmt::Kind::For:
    out += "for " + stmt.name + " in " + formatOptional(stmt.start) + " .. " +
           formatOptional(stmt.stop) + " {\n";
    formatBody(stmt.body, indent + 2, out);
    out.append(indent, ' ');
    out += "}\n";
    return;
  case Stmt::Kind::Param:
    out += "param " + formatOptional(stmt.path) + ": " + formatType(stmt.type) + "\n";
    return;
  case Stmt::Kind::If:
    out += "if " + formatOptional(stmt.value) + " {\n";
    formatBody(stmt.body, indent + 2, out);
    out.append(indent, ' ');
    out += "} else {\n";
    formatBody(stmt.elseBody, indent + 2, out);
    out.append(indent, ' ');
    out += "}\n";
    return;
  }
}

void formatBody(const std::vector<StmtPtr> &body, unsigned indent, std::string &out) {
  for (const StmtPtr &stmt : body)
    if (stmt)
      formatStmt(*stmt, indent, out);
}

std::string formatArgs(const std::vector<GraphArg> &args) {
  std::string text;
  for (size_t i = 0; i < args.size(); ++i)
    text += (i ? ", " : "") + args[i].name + ": " + formatType(args[i].type);
  return text;
}

} // namespace

std::string formatExpr(const Expr &expr) {
  switch (expr.kind) {
  case Expr::Kind::Integer:
    return std::to_string(expr.intValue);
  case Expr::Kind::Float:
    return formatFloat(expr.floatValue);
  case Expr::Kind::String:
    return formatString(expr.text);
  case Expr::Kind::Bool:
    return expr.boolValue ? "true" : "false";
  case Expr::Kind::Name:
    return expr.text;
  case Expr::Kind::Member:
    return formatOptional(expr.base) + "." + expr.text;
  case Expr::Kind::Index: {
    std::string text = formatOptional(expr.base) + "[";
    for (size_t i = 0; i < expr.subscripts.size(); ++i)
      text += (i ? ", " : "") + formatSubscript(expr.subscripts[i]);
    return text + "]";
  }
  case Expr::Kind::Call: {
    std::string text = expr.text + "(";
    bool first = true;
    for (const ExprPtr &arg : expr.args) {
      text += (first ? "" : ", ") + formatOptional(arg);
      first = false;
    }
    for (const KeywordArg &kwarg : expr.kwargs) {
      text += (first ? "" : ", ") + kwarg.name + "=" + formatOptional(kwarg.value);
      first = false;
    }
    return text + ")";
  }
  case Expr::Kind::Unary:
    return std::string("(") + expr.op + formatOptional(expr.lhs) + ")";
  case Expr::Kind::Binary:
    return "(" + formatOptional(expr.lhs) + " " + binaryOpSpelling(expr.op) + " " +
           formatOptional(expr.rhs) + ")";
  case Expr::Kind::List: {
    std::string text = "[";
    for (size_t i = 0; i < expr.args.size(); ++i)
      text += (i ? ", " : "") + formatOptional(expr.args[i]);
    return text + "]";
  }
  }
  return "?";
}

std::string formatProgram(const Program &program) {
  std::string out;
  for (const ImportDecl &decl : program.imports)
    out += "import " + formatString(decl.path) + "\n";
  for (const ConfigEntry &config : program.configs)
    out += "config " + config.name + " = " + formatOptional(config.value) + "\n";
  for (const PreprocessDecl &decl : program.preprocess)
    out += "preprocess " + formatOptional(decl.flags) + "\n";
  formatBody(program.params, 0, out);
  for (const FnDecl &fn : program.fns) {
    out += "fn " + fn.name + "(";
    for (size_t i = 0; i < fn.params.size(); ++i) {
      out += (i ? ", " : "") + fn.params[i];
      if (i < fn.defaults.size() && fn.defaults[i])
        out += " = " + formatOptional(fn.defaults[i]);
    }
    out += ") {\n";
    formatBody(fn.body, 2, out);
    out += "}\n";
  }
  for (const GraphDecl &graph : program.graphs) {
    out += "graph " + graph.name + "(" + formatArgs(graph.inputs) + ") -> (" +
           formatArgs(graph.outputs) + ") {\n";
    formatBody(graph.body, 2, out);
    out += "}\n";
  }
  return out;
}

} // namespace tessera::frontend
