// Parser tests: AST shapes, exact diagnostics, and robustness against hostile input.
#include "tessera/frontend/Parser.h"

#include <gtest/gtest.h>

#include <memory>
#include <random>

using namespace tessera::frontend;

namespace {

struct ParseResult {
  std::optional<Program> program;
  std::string diagnostics;
  unsigned errorCount = 0;
};

ParseResult parse(const std::string &source) {
  SourceFile file("t.tg", source);
  DiagnosticEngine diags(file);
  ParseResult result;
  result.program = parseProgram(file, diags);
  result.diagnostics = diags.str();
  result.errorCount = diags.errorCount();
  return result;
}

/// Parses a valid program; fails the test on any diagnostic.
Program parseOk(const std::string &source) {
  ParseResult result = parse(source);
  EXPECT_TRUE(result.program.has_value()) << result.diagnostics;
  EXPECT_EQ(result.diagnostics, "");
  return result.program ? std::move(*result.program) : Program();
}

/// Parses an invalid program; returns its one diagnostic.
std::string parseError(const std::string &source) {
  ParseResult result = parse(source);
  EXPECT_FALSE(result.program.has_value());
  EXPECT_EQ(result.errorCount, 1u) << result.diagnostics;
  return result.diagnostics;
}

/// The first config's value, formatted: the quickest way to look at an expression's tree.
std::string exprTree(const std::string &expr) {
  Program program = parseOk("config v = " + expr);
  if (program.configs.size() != 1)
    return "<no config>";
  return formatExpr(*program.configs[0].value);
}

//===------------------------------------------------------------------------------------------===//
// AST shapes
//===------------------------------------------------------------------------------------------===//

TEST(ParserTest, EmptyInputs) {
  for (const char *source : {"", "\n\n", "   \t ", "# only a comment", "# c\n;;\n;", "\r\n"}) {
    Program program = parseOk(source);
    EXPECT_TRUE(program.configs.empty() && program.params.empty() && program.fns.empty() &&
                program.graphs.empty());
  }
}

TEST(ParserTest, ConfigWithArithmetic) {
  Program program = parseOk("config B = 2, T = 16 # batch, time\n"
                            "config D = 64; config H = D / 4 * 2 + B % 3\n");
  ASSERT_EQ(program.configs.size(), 4u);
  EXPECT_EQ(program.configs[0].name, "B");
  EXPECT_EQ(program.configs[0].loc.line, 1u);
  EXPECT_EQ(program.configs[0].loc.col, 8u);
  EXPECT_EQ(program.configs[1].name, "T");
  EXPECT_EQ(program.configs[1].loc.col, 15u);
  const Expr &h = *program.configs[3].value;
  EXPECT_EQ(h.kind, Expr::Kind::Binary);
  EXPECT_EQ(h.op, '+');
  EXPECT_EQ(h.loc.line, 2u);
  EXPECT_EQ(h.loc.col, 27u); // a binary expression starts where its left operand starts
  EXPECT_EQ(h.rhs->kind, Expr::Kind::Binary);
  EXPECT_EQ(h.rhs->op, '%');
  EXPECT_EQ(formatExpr(h), "(((D / 4) * 2) + (B % 3))");
}

TEST(ParserTest, Precedence) {
  EXPECT_EQ(exprTree("a + b * c"), "(a + (b * c))");
  EXPECT_EQ(exprTree("a * b + c"), "((a * b) + c)");
  EXPECT_EQ(exprTree("a - b - c"), "((a - b) - c)");
  EXPECT_EQ(exprTree("a / b / c % d"), "(((a / b) / c) % d)");
  EXPECT_EQ(exprTree("(a + b) * c"), "((a + b) * c)");
  EXPECT_EQ(exprTree("a * (b - c)"), "(a * (b - c))");
}

TEST(ParserTest, UnaryMinus) {
  EXPECT_EQ(exprTree("-2 * x"), "((-2) * x)");
  EXPECT_EQ(exprTree("a - -b"), "(a - (-b))");
  EXPECT_EQ(exprTree("--a"), "(-(-a))");
  EXPECT_EQ(exprTree("-a.b[0]"), "(-a.b[0])");
  EXPECT_EQ(exprTree("-f(x)"), "(-f(x))");
  Program program = parseOk("config v = -2 * x");
  const Expr &mul = *program.configs[0].value;
  ASSERT_EQ(mul.kind, Expr::Kind::Binary);
  ASSERT_EQ(mul.lhs->kind, Expr::Kind::Unary);
  EXPECT_EQ(mul.lhs->op, '-');
  EXPECT_EQ(mul.lhs->lhs->kind, Expr::Kind::Integer);
  EXPECT_EQ(mul.lhs->lhs->intValue, 2);
}

TEST(ParserTest, Literals) {
  Program program = parseOk(
      "config a = 42, b = 1e-6, c = 0.5, d = 2E3, e = \"t\\\"a\\\\n\\n\", f = true, g = false,"
      " h = 9223372036854775807, i = 0, j = 1.5e+2, k = 007");
  ASSERT_EQ(program.configs.size(), 11u);
  auto value = [&](size_t i) -> const Expr & { return *program.configs[i].value; };
  EXPECT_EQ(value(0).kind, Expr::Kind::Integer);
  EXPECT_EQ(value(0).intValue, 42);
  EXPECT_EQ(value(1).kind, Expr::Kind::Float);
  EXPECT_DOUBLE_EQ(value(1).floatValue, 1e-6);
  EXPECT_DOUBLE_EQ(value(2).floatValue, 0.5);
  EXPECT_DOUBLE_EQ(value(3).floatValue, 2000.0);
  EXPECT_EQ(value(4).kind, Expr::Kind::String);
  EXPECT_EQ(value(4).text, "t\"a\\n\n");
  EXPECT_EQ(value(5).kind, Expr::Kind::Bool);
  EXPECT_TRUE(value(5).boolValue);
  EXPECT_FALSE(value(6).boolValue);
  EXPECT_EQ(value(7).intValue, INT64_MAX);
  EXPECT_EQ(value(8).intValue, 0);
  EXPECT_DOUBLE_EQ(value(9).floatValue, 150.0);
  EXPECT_EQ(value(10).intValue, 7);
}

TEST(ParserTest, RangeDotsAreNotDecimalPoints) {
  Program program = parseOk("fn f(x) { for i in 0..depth { x = x } for j in 1 .. 2 {} }");
  ASSERT_EQ(program.fns.size(), 1u);
  const Stmt &loop = *program.fns[0].body[0];
  ASSERT_EQ(loop.kind, Stmt::Kind::For);
  EXPECT_EQ(loop.start->kind, Expr::Kind::Integer);
  EXPECT_EQ(loop.stop->kind, Expr::Kind::Name);
  EXPECT_EQ(loop.stop->text, "depth");
}

TEST(ParserTest, ParamPaths) {
  Program program = parseOk("param embed.weight: f32[V, D]\n"
                            "param blocks[i].norm1.weight: f32[D]\n"
                            "param w: i64[]\n");
  ASSERT_EQ(program.params.size(), 3u);
  const Stmt &param = *program.params[1];
  EXPECT_EQ(param.kind, Stmt::Kind::Param);
  EXPECT_EQ(param.loc.line, 2u);
  EXPECT_EQ(param.loc.col, 1u);
  // blocks[i].norm1.weight == Member(Member(Index(Name blocks, [i]), norm1), weight)
  const Expr &weight = *param.path;
  ASSERT_EQ(weight.kind, Expr::Kind::Member);
  EXPECT_EQ(weight.text, "weight");
  const Expr &norm1 = *weight.base;
  ASSERT_EQ(norm1.kind, Expr::Kind::Member);
  EXPECT_EQ(norm1.text, "norm1");
  const Expr &index = *norm1.base;
  ASSERT_EQ(index.kind, Expr::Kind::Index);
  ASSERT_EQ(index.subscripts.size(), 1u);
  EXPECT_FALSE(index.subscripts[0].isSlice);
  EXPECT_EQ(index.subscripts[0].index->text, "i");
  EXPECT_EQ(index.base->kind, Expr::Kind::Name);
  EXPECT_EQ(index.base->text, "blocks");
  EXPECT_EQ(param.type.dtype, "f32");
  EXPECT_EQ(param.type.loc.col, 31u);
  ASSERT_EQ(param.type.dims.size(), 1u);
  EXPECT_EQ(program.params[2]->type.dtype, "i64");
  EXPECT_TRUE(program.params[2]->type.dims.empty());
  EXPECT_EQ(formatProgram(program), "param embed.weight: f32[V, D]\n"
                                    "param blocks[i].norm1.weight: f32[D]\n"
                                    "param w: i64[]\n");
}

TEST(ParserTest, FnWithForLoops) {
  Program program = parseOk(R"(
fn block(x, p) {
  param p.scale: f32[D]
  h = rms_norm(x, p.norm.weight, eps = 1e-6)
  for i in 0 .. depth {
    for j in i .. 2 * i { h = h + x; }
  }
  return h
}
)");
  ASSERT_EQ(program.fns.size(), 1u);
  const FnDecl &fn = program.fns[0];
  EXPECT_EQ(fn.name, "block");
  EXPECT_EQ(fn.loc.line, 2u);
  EXPECT_EQ(fn.loc.col, 1u);
  EXPECT_EQ(fn.params, (std::vector<std::string>{"x", "p"}));
  ASSERT_EQ(fn.paramLocs.size(), 2u);
  EXPECT_EQ(fn.paramLocs[1].col, 13u);
  ASSERT_EQ(fn.body.size(), 4u);
  EXPECT_EQ(fn.body[0]->kind, Stmt::Kind::Param);
  EXPECT_EQ(fn.body[1]->kind, Stmt::Kind::Assign);
  EXPECT_EQ(fn.body[1]->name, "h");
  EXPECT_EQ(fn.body[1]->loc.line, 4u);
  EXPECT_EQ(fn.body[1]->loc.col, 3u);
  const Stmt &outer = *fn.body[2];
  ASSERT_EQ(outer.kind, Stmt::Kind::For);
  EXPECT_EQ(outer.name, "i");
  ASSERT_EQ(outer.body.size(), 1u);
  const Stmt &inner = *outer.body[0];
  EXPECT_EQ(inner.kind, Stmt::Kind::For);
  EXPECT_EQ(formatExpr(*inner.stop), "(2 * i)");
  ASSERT_EQ(inner.body.size(), 1u);
  EXPECT_EQ(fn.body[3]->kind, Stmt::Kind::Return);
  EXPECT_EQ(formatProgram(program), "fn block(x, p) {\n"
                                    "  param p.scale: f32[D]\n"
                                    "  h = rms_norm(x, p.norm.weight, eps=1e-06)\n"
                                    "  for i in 0 .. depth {\n"
                                    "    for j in i .. (2 * i) {\n"
                                    "      h = (h + x)\n"
                                    "    }\n"
                                    "  }\n"
                                    "  return h\n"
                                    "}\n");
}

TEST(ParserTest, GraphWithMultipleOutputs) {
  Program program =
      parseOk("graph main(tokens: i32[B, T], mask: f32[B, T, T]) -> (logits: f32[B, T, V], loss: "
              "f32[]) {\n  logits = forward(tokens, mask)\n  return logits, mean(logits)\n}\n");
  ASSERT_EQ(program.graphs.size(), 1u);
  const GraphDecl &graph = program.graphs[0];
  EXPECT_EQ(graph.name, "main");
  ASSERT_EQ(graph.inputs.size(), 2u);
  EXPECT_EQ(graph.inputs[0].name, "tokens");
  EXPECT_EQ(graph.inputs[0].loc.col, 12u);
  EXPECT_EQ(graph.inputs[0].type.dtype, "i32");
  EXPECT_EQ(graph.inputs[1].type.dims.size(), 3u);
  ASSERT_EQ(graph.outputs.size(), 2u);
  EXPECT_EQ(graph.outputs[0].name, "logits");
  EXPECT_EQ(graph.outputs[1].name, "loss");
  EXPECT_TRUE(graph.outputs[1].type.dims.empty());
  ASSERT_EQ(graph.body.size(), 2u);
  const Stmt &ret = *graph.body[1];
  ASSERT_EQ(ret.kind, Stmt::Kind::Return);
  ASSERT_EQ(ret.values.size(), 2u);
  EXPECT_EQ(ret.values[1]->kind, Expr::Kind::Call);
  EXPECT_EQ(ret.values[1]->text, "mean");
}

TEST(ParserTest, GraphWithoutInputs) {
  Program program = parseOk("graph g() -> (y: f32[1]) { y = zeros([1]) }");
  ASSERT_EQ(program.graphs.size(), 1u);
  EXPECT_TRUE(program.graphs[0].inputs.empty());
}

TEST(ParserTest, Slices) {
  Program program = parseOk("config v = x[:, 0]");
  const Expr &index = *program.configs[0].value;
  ASSERT_EQ(index.kind, Expr::Kind::Index);
  ASSERT_EQ(index.subscripts.size(), 2u);
  const Subscript &all = index.subscripts[0];
  EXPECT_TRUE(all.isSlice);
  EXPECT_FALSE(all.start || all.stop || all.step);
  EXPECT_EQ(all.loc.col, 14u);
  EXPECT_FALSE(index.subscripts[1].isSlice);
  EXPECT_EQ(index.subscripts[1].index->intValue, 0);

  program = parseOk("config v = x[1:3, ::2]");
  const Expr &strided = *program.configs[0].value;
  ASSERT_EQ(strided.subscripts.size(), 2u);
  const Subscript &range = strided.subscripts[0];
  EXPECT_TRUE(range.isSlice);
  EXPECT_EQ(range.start->intValue, 1);
  EXPECT_EQ(range.stop->intValue, 3);
  EXPECT_FALSE(range.step);
  const Subscript &step = strided.subscripts[1];
  EXPECT_TRUE(step.isSlice);
  EXPECT_FALSE(step.start || step.stop);
  EXPECT_EQ(step.step->intValue, 2);

  EXPECT_EQ(exprTree("x[1:]"), "x[1:]");
  EXPECT_EQ(exprTree("x[:-1]"), "x[:(-1)]");
  EXPECT_EQ(exprTree("x[::]"), "x[:]");
  EXPECT_EQ(exprTree("x[a:b:c, :n]"), "x[a:b:c, :n]");
  EXPECT_EQ(exprTree("x[i][j]"), "x[i][j]");
}

TEST(ParserTest, CallsWithKeywordArguments) {
  Program program = parseOk("config v = layer_norm(x, w, eps = 1e-5, axis=-1)");
  const Expr &call = *program.configs[0].value;
  ASSERT_EQ(call.kind, Expr::Kind::Call);
  EXPECT_EQ(call.text, "layer_norm");
  EXPECT_EQ(call.loc.col, 12u);
  ASSERT_EQ(call.args.size(), 2u);
  ASSERT_EQ(call.kwargs.size(), 2u);
  EXPECT_EQ(call.kwargs[0].name, "eps");
  EXPECT_EQ(call.kwargs[0].loc.col, 29u);
  EXPECT_EQ(call.kwargs[1].name, "axis");
  EXPECT_EQ(formatExpr(*call.kwargs[1].value), "(-1)");
  EXPECT_EQ(exprTree("f()"), "f()");
  EXPECT_EQ(exprTree("f(act = \"tanh\")"), "f(act=\"tanh\")");
  EXPECT_EQ(exprTree("f(x)[0].y"), "f(x)[0].y");
}

TEST(ParserTest, Lists) {
  Program program = parseOk("config v = [1, [a, b], f(x)]");
  const Expr &list = *program.configs[0].value;
  ASSERT_EQ(list.kind, Expr::Kind::List);
  ASSERT_EQ(list.args.size(), 3u);
  EXPECT_EQ(list.args[1]->kind, Expr::Kind::List);
  EXPECT_EQ(exprTree("[]"), "[]");
  EXPECT_EQ(exprTree("[a, b,]"), "[a, b]");
  EXPECT_EQ(exprTree("reshape(x, [B, T * 2])"), "reshape(x, [B, (T * 2)])");
}

TEST(ParserTest, SemicolonsAndCommentsAreOptionalSeparators) {
  Program a = parseOk("graph g(x: f32[2]) -> (y: f32[2]) { a = x; b = a;; return b; };");
  Program b = parseOk("graph g(x: f32[2]) -> (y: f32[2]) {\n a = x # one\n b = a\n return b\n}");
  EXPECT_EQ(formatProgram(a), formatProgram(b));
  EXPECT_EQ(a.graphs[0].body.size(), 3u);
}

TEST(ParserTest, FormatRoundTrips) {
  const char *source = R"(
import "layers/mlp.tg"
config B = 2, T = 8, D = 4 * 16, H = D / -2 % 3, eps = 1e-6, act = "ge\"lu"
preprocess "--preset inception"
param embed: f32[V, D]
param blocks[i + 1].attn.qkv[0]: f32[D, 3 * D]
fn mlp(x, p, scale = 2 * D, act = "tanh") {
  h = gelu(matmul(x, p.w1), approximate = true)
  return matmul(h, p.w2)[:, ::2, 1:-1], [h, x,]
}
graph main(x: f32[B, T, D]) -> (y: f32[B, T, D], z: i64[]) {
  for i in 0..depth { x = x + mlp(rms_norm(x, eps = eps), blocks[i]) }
  return x, -(x - 1.5) * 2
}
)";
  Program program = parseOk(source);
  std::string once = formatProgram(program);
  Program again = parseOk(once);
  EXPECT_EQ(formatProgram(again), once);
}

TEST(ParserTest, PreprocessTakesAnExpression) {
  Program program = parseOk("config pre = \"--mean 0\"\npreprocess pre\n"
                            "graph g(x: f32[2]) -> (y: f32[2]) { return x }");
  ASSERT_EQ(program.preprocess.size(), 1u);
  EXPECT_EQ(program.preprocess[0].loc.line, 2u);
  EXPECT_EQ(program.preprocess[0].flags->kind, Expr::Kind::Name);
  EXPECT_EQ(formatProgram(program).substr(0, 39), "config pre = \"--mean 0\"\npreprocess pre\n");
  EXPECT_NE(parseError("preprocess\ngraph g(x: f32[2]) -> (y: f32[2]) { return x }"), "");
}

TEST(ParserTest, ImportsAndFnDefaults) {
  Program program = parseOk("import \"a.tg\"\nfn f(x, k = 3, s = k + 1) { return x }\n"
                            "import \"sub/b.tg\"\n");
  ASSERT_EQ(program.imports.size(), 2u);
  EXPECT_EQ(program.imports[0].path, "a.tg");
  EXPECT_EQ(program.imports[1].path, "sub/b.tg");
  EXPECT_EQ(program.imports[1].loc.line, 3u);
  ASSERT_EQ(program.fns.size(), 1u);
  const FnDecl &fn = program.fns[0];
  ASSERT_EQ(fn.defaults.size(), 3u);
  EXPECT_EQ(fn.defaults[0], nullptr);
  ASSERT_NE(fn.defaults[1], nullptr);
  EXPECT_EQ(fn.defaults[1]->intValue, 3);
  EXPECT_EQ(formatExpr(*fn.defaults[2]), "(k + 1)");
  EXPECT_EQ(parseError("fn f(a = 1, b) { return a }"),
            "t.tg:1:13: error: parameter 'b' of fn 'f' needs a default, as the parameters before "
            "it have\n"
            "  fn f(a = 1, b) { return a }\n"
            "              ^\n");
  EXPECT_EQ(parseError("fn f(a, b, a) { return a }"),
            "t.tg:1:12: error: fn 'f' has two parameters named 'a'\n"
            "  fn f(a, b, a) { return a }\n"
            "             ^\n");
  EXPECT_NE(parseError("import layers"), "");
  EXPECT_NE(parseError("import \"\""), "");
}

TEST(ParserTest, LocationsCarryTheFileIndex) {
  SourceFile main("m.tg", "x");
  DiagnosticEngine diags(main);
  uint32_t id =
      diags.addFile(std::make_unique<SourceFile>("lib/l.tg", "fn f(x) { return x +* 1 }"));
  EXPECT_EQ(id, 1u);
  EXPECT_FALSE(parseProgram(diags.file(id), diags, id).has_value());
  EXPECT_EQ(diags.str(), "lib/l.tg:1:21: error: expected an expression, found '*'\n"
                         "  fn f(x) { return x +* 1 }\n"
                         "                      ^\n");
  uint32_t goodId = diags.addFile(std::make_unique<SourceFile>("g.tg", "fn g(y) { return y }"));
  std::optional<Program> program = parseProgram(diags.file(goodId), diags, goodId);
  ASSERT_TRUE(program.has_value());
  EXPECT_EQ(program->fns[0].loc.file, goodId);
  EXPECT_EQ(program->fns[0].body[0]->loc.file, goodId);
}

TEST(ParserTest, KeywordsAreNotNames) {
  EXPECT_EQ(parseError("config for = 1"), "t.tg:1:8: error: expected a config name, found 'for'\n"
                                          "  config for = 1\n"
                                          "         ^\n");
}

//===------------------------------------------------------------------------------------------===//
// Diagnostics: full text, with line, column and caret
//===------------------------------------------------------------------------------------------===//

TEST(ParserErrorTest, UnclosedParenthesis) {
  EXPECT_EQ(parseError("graph g(x: f32[4]) -> (y: f32[4]) {\n"
                       "  y = x\n"
                       "  z = relu(x + (1 {\n"
                       "}\n"),
            "t.tg:3:19: error: expected ')' to close '(' at 3:16, found '{'\n"
            "    z = relu(x + (1 {\n"
            "                    ^\n");
  EXPECT_EQ(parseError("fn f(a, b {}"),
            "t.tg:1:11: error: expected ')' to close '(' at 1:5, found '{'\n"
            "  fn f(a, b {}\n"
            "            ^\n");
}

TEST(ParserErrorTest, ExpectedExpression) {
  EXPECT_EQ(parseError("fn f(x) {\n  y = \n}"),
            "t.tg:3:1: error: expected an expression, found '}'\n"
            "  }\n"
            "  ^\n");
  EXPECT_EQ(parseError("config a = 1 +"),
            "t.tg:1:15: error: expected an expression, found end of file\n"
            "  config a = 1 +\n"
            "                ^\n");
  EXPECT_EQ(parseError("config a = [,]"), "t.tg:1:13: error: expected an expression, found ','\n"
                                          "  config a = [,]\n"
                                          "              ^\n");
}

TEST(ParserErrorTest, UnexpectedCharacter) {
  EXPECT_EQ(parseError("config a = 1\nconfig b = a $ 2\n"),
            "t.tg:2:14: error: unexpected character '$'\n"
            "  config b = a $ 2\n"
            "               ^\n");
  EXPECT_EQ(parseError("config a = \xff"), "t.tg:1:12: error: unexpected character '\\xff'\n"
                                           "  config a = ?\n"
                                           "             ^\n");
  EXPECT_EQ(parseError("config a = 'x'"),
            "t.tg:1:12: error: unexpected character '''; strings are written in double quotes\n"
            "  config a = 'x'\n"
            "             ^\n");
  EXPECT_EQ(parseError("config \xc3\xa9 = 1"), // non-ASCII names: one '?' per byte
            "t.tg:1:8: error: unexpected character '\\xc3'\n"
            "  config ?? = 1\n"
            "         ^\n");
  EXPECT_EQ(parseError(std::string("config a = 1\0", 13)),
            "t.tg:1:13: error: unexpected character '\\x00'\n"
            "  config a = 1?\n"
            "              ^\n");
}

TEST(ParserErrorTest, UnterminatedString) {
  EXPECT_EQ(parseError("config act = \"tanh\nconfig b = 1"),
            "t.tg:1:14: error: unterminated string\n"
            "  config act = \"tanh\n"
            "               ^\n");
  EXPECT_EQ(parseError("config act = \"ab\\"), "t.tg:1:14: error: unterminated string\n"
                                               "  config act = \"ab\\\n"
                                               "               ^\n");
}

TEST(ParserErrorTest, InvalidEscape) {
  EXPECT_EQ(parseError("config s = \"a\\tb\""),
            "t.tg:1:14: error: invalid escape sequence '\\t' in string; expected \\\", \\\\ or "
            "\\n\n"
            "  config s = \"a\\tb\"\n"
            "               ^\n");
}

TEST(ParserErrorTest, TopLevel) {
  EXPECT_EQ(parseError("config a = 1\nx = 2\n"),
            "t.tg:2:1: error: expected 'graph', 'fn', 'config', 'param', 'import' or "
            "'preprocess' at top level, found "
            "'x'\n"
            "  x = 2\n"
            "  ^\n");
  EXPECT_EQ(parseError("config a = 1 b = 2"), "t.tg:1:14: error: expected 'graph', 'fn', 'config', "
                                              "'param', 'import' or 'preprocess' at top level, "
                                              "found "
                                              "'b'\n"
                                              "  config a = 1 b = 2\n"
                                              "               ^\n");
}

TEST(ParserErrorTest, KeywordArgumentOrder) {
  EXPECT_EQ(parseError("config y = rms_norm(eps = 1e-6, x)"),
            "t.tg:1:33: error: keyword argument 'eps' must come after positional arguments\n"
            "  config y = rms_norm(eps = 1e-6, x)\n"
            "                                  ^\n");
  EXPECT_EQ(parseError("config y = f(a = 1, a = 2)"),
            "t.tg:1:21: error: duplicate keyword argument 'a'\n"
            "  config y = f(a = 1, a = 2)\n"
            "                      ^\n");
}

TEST(ParserErrorTest, CallOnNonName) {
  EXPECT_EQ(parseError("fn f(a, x) { y = a.b(x) }"),
            "t.tg:1:21: error: a call must name a function: found call on 'a.b'\n"
            "  fn f(a, x) { y = a.b(x) }\n"
            "                      ^\n");
  EXPECT_EQ(parseError("config y = (f)(x)"),
            "t.tg:1:15: error: a call must name a function: found call on 'f'\n"
            "  config y = (f)(x)\n"
            "                ^\n");
  EXPECT_EQ(parseError("config y = f(x)(z)"),
            "t.tg:1:16: error: a call must name a function: found call on 'f(x)'\n"
            "  config y = f(x)(z)\n"
            "                 ^\n");
}

TEST(ParserErrorTest, UnknownElementType) {
  EXPECT_EQ(parseError("graph g(x: f16[4]) -> (y: f32[4]) { return x }"),
            "t.tg:1:12: error: unknown element type 'f16'; expected f32, i32 or i64\n"
            "  graph g(x: f16[4]) -> (y: f32[4]) { return x }\n"
            "             ^\n");
  EXPECT_EQ(parseError("param w: [4]"), "t.tg:1:10: error: expected an element type, found '['\n"
                                        "  param w: [4]\n"
                                        "           ^\n");
  EXPECT_EQ(parseError("param w: f32"),
            "t.tg:1:13: error: expected '[' after element type 'f32', found end of file\n"
            "  param w: f32\n"
            "              ^\n");
}

TEST(ParserErrorTest, NumericLiterals) {
  EXPECT_EQ(parseError("config n = 99999999999999999999"),
            "t.tg:1:12: error: integer literal is too large\n"
            "  config n = 99999999999999999999\n"
            "             ^\n");
  EXPECT_EQ(parseError("config n = 9223372036854775808"),
            "t.tg:1:12: error: integer literal is too large\n"
            "  config n = 9223372036854775808\n"
            "             ^\n");
  EXPECT_EQ(parseError("config n = 1e999"),
            "t.tg:1:12: error: floating-point literal is out of range\n"
            "  config n = 1e999\n"
            "             ^\n");
  EXPECT_EQ(parseError("config n = 2x"), "t.tg:1:13: error: invalid suffix 'x' on numeric literal\n"
                                         "  config n = 2x\n"
                                         "              ^\n");
}

TEST(ParserErrorTest, MissingClosingBrace) {
  EXPECT_EQ(parseError("fn f(x) {\n  y = x\n\n# trailing comment\n"),
            "t.tg:2:8: error: expected '}' to close '{' at 1:9, found end of file\n"
            "    y = x\n"
            "         ^\n");
  EXPECT_EQ(parseError("fn f(x) { y = x ) }"),
            "t.tg:1:17: error: expected '}' to close '{' at 1:9, found ')'\n"
            "  fn f(x) { y = x ) }\n"
            "                  ^\n");
}

TEST(ParserErrorTest, Statements) {
  EXPECT_EQ(parseError("fn f(x) { relu(x) }"),
            "t.tg:1:15: error: expected '=' after 'relu', found '('\n"
            "  fn f(x) { relu(x) }\n"
            "                ^\n");
  EXPECT_EQ(parseError("fn f(x) { a.b = x }"),
            "t.tg:1:12: error: expected '=' after 'a', found '.'\n"
            "  fn f(x) { a.b = x }\n"
            "             ^\n");
  EXPECT_EQ(parseError("fn f(x) { 3 }"), "t.tg:1:11: error: expected a statement, found '3'\n"
                                         "  fn f(x) { 3 }\n"
                                         "            ^\n");
  EXPECT_EQ(parseError("fn f(x) { for i 0 .. 3 {} }"),
            "t.tg:1:17: error: expected 'in' after loop variable 'i', found '0'\n"
            "  fn f(x) { for i 0 .. 3 {} }\n"
            "                  ^\n");
  EXPECT_EQ(parseError("fn f(x) { for i in 0 : 3 {} }"),
            "t.tg:1:22: error: expected '..' between the bounds of the loop range, found ':'\n"
            "  fn f(x) { for i in 0 : 3 {} }\n"
            "                       ^\n");
  EXPECT_EQ(parseError("fn f(x) { for i in 0 .. 3 x = 1 }"),
            "t.tg:1:27: error: expected '{' to begin the body of the loop over 'i', found 'x'\n"
            "  fn f(x) { for i in 0 .. 3 x = 1 }\n"
            "                            ^\n");
  EXPECT_EQ(parseError("fn f(x) { return }"),
            "t.tg:1:18: error: expected an expression, found '}'\n"
            "  fn f(x) { return }\n"
            "                   ^\n");
}

TEST(ParserErrorTest, GraphSignature) {
  EXPECT_EQ(parseError("graph g(x: f32[4]) { }"),
            "t.tg:1:20: error: expected '->' after the inputs of graph 'g', found '{'\n"
            "  graph g(x: f32[4]) { }\n"
            "                     ^\n");
  EXPECT_EQ(parseError("graph g(x: f32[4]) -> () { }"),
            "t.tg:1:24: error: expected an output name, found ')'\n"
            "  graph g(x: f32[4]) -> () { }\n"
            "                         ^\n");
  EXPECT_EQ(parseError("graph g(x f32[4]) -> (y: f32[4]) { }"),
            "t.tg:1:11: error: expected ':' after 'x', found 'f32'\n"
            "  graph g(x f32[4]) -> (y: f32[4]) { }\n"
            "            ^\n");
}

TEST(ParserErrorTest, Subscripts) {
  EXPECT_EQ(parseError("config v = x[]"),
            "t.tg:1:14: error: expected an index or slice, found ']'\n"
            "  config v = x[]\n"
            "               ^\n");
  EXPECT_EQ(parseError("config v = x[1, 2"),
            "t.tg:1:18: error: expected ']' to close '[' at 1:13, found end of file\n"
            "  config v = x[1, 2\n"
            "                   ^\n");
  EXPECT_EQ(parseError("param w[1:2]: f32[1]"),
            "t.tg:1:10: error: expected ']' to close '[' at 1:8, found ':'\n"
            "  param w[1:2]: f32[1]\n"
            "           ^\n");
  EXPECT_EQ(parseError("config v = x.1"),
            "t.tg:1:14: error: expected a member name after '.', found '1'\n"
            "  config v = x.1\n"
            "               ^\n");
}

TEST(ParserErrorTest, NestingTooDeep) {
  std::string deep = "config a = " + std::string(10000, '(') + "1" + std::string(10000, ')');
  std::string message = parseError(deep);
  EXPECT_EQ(message.substr(0, message.find('\n')), "t.tg:1:268: error: nesting is too deep");
  // Just under the limit is fine.
  parseOk("config a = " + std::string(200, '(') + "1" + std::string(200, ')'));
}

TEST(ParserErrorTest, FirstErrorOnly) {
  ParseResult result = parse("config a = $\nconfig b = (\n");
  EXPECT_FALSE(result.program);
  EXPECT_EQ(result.errorCount, 1u);
}

TEST(ParserErrorTest, LongTokensAreShortenedInMessages) {
  std::string name(100000, 'a');
  std::string message = parse(name).diagnostics;
  EXPECT_EQ(message.substr(0, message.find('\n') + 1),
            "t.tg:1:1: error: expected 'graph', 'fn', 'config', 'param', 'import' or "
            "'preprocess' at top level, found "
            "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...'\n");
}

//===------------------------------------------------------------------------------------------===//
// Robustness: no crash, hang or stack overflow on any input; errors always well-formed
//===------------------------------------------------------------------------------------------===//

/// Every parse either succeeds silently or fails with exactly one well-formed diagnostic.
void expectWellFormed(const std::string &source) {
  ParseResult result = parse(source);
  if (result.program) {
    EXPECT_EQ(result.diagnostics, "");
    return;
  }
  ASSERT_EQ(result.errorCount, 1u) << source;
  EXPECT_EQ(result.diagnostics.rfind("t.tg:", 0), 0u) << result.diagnostics;
  EXPECT_NE(result.diagnostics.find(": error: "), std::string::npos);
  EXPECT_EQ(result.diagnostics.back(), '\n');
}

TEST(ParserRobustnessTest, RandomBytes) {
  std::mt19937 rng(1234);
  for (int i = 0; i < 3000; ++i) {
    std::string source(rng() % 64, '\0');
    for (char &c : source)
      c = static_cast<char>(rng() & 0xff);
    expectWellFormed(source);
  }
}

TEST(ParserRobustnessTest, RandomTokenSoup) {
  // Mostly valid tokens, so that the parser gets deep into its grammar before failing.
  static const char *const kPieces[] = {
      "config", "param", "fn", "graph", "return", "for",   "in", "true", "false", "x",   "f32",
      "i64",    "f16",   "1",  "2.5",   "1e-3",   "\"s\"", "(",  ")",    "[",     "]",   "{",
      "}",      ",",     ":",  ";",     "=",      "+",     "-",  "*",    "/",     "%",   ".",
      "..",     "->",    " ",  "\n",    "#c\n",   "a",     "b",  "\"",   "$",     "\xff"};
  std::mt19937 rng(42);
  for (int i = 0; i < 3000; ++i) {
    std::string source;
    size_t count = rng() % 40;
    for (size_t j = 0; j < count; ++j) {
      source += kPieces[rng() % (sizeof(kPieces) / sizeof(kPieces[0]))];
      source += ' ';
    }
    expectWellFormed(source);
  }
}

TEST(ParserRobustnessTest, TruncatedValidProgram) {
  // Every prefix of a valid program is either valid or gets one clean diagnostic.
  std::string source = "config D = 4\nparam p.w[0]: f32[D, 2]\n"
                       "fn f(x, p) { for i in 0..2 { x = g(x, p.w[i], k = [1, -2]) } return x }\n"
                       "graph main(x: f32[D]) -> (y: f32[D]) { y = f(x[1:, ::2], p); return y }\n";
  for (size_t n = 0; n <= source.size(); ++n)
    expectWellFormed(source.substr(0, n));
}

TEST(ParserRobustnessTest, DeepNesting) {
  const size_t n = 10000;
  for (std::string open : {"(", "[", "-", "x[", "f(", "[[", "(-"})
    expectWellFormed("config a = " + [&] {
      std::string s;
      for (size_t i = 0; i < n; ++i)
        s += open;
      return s;
    }());
  std::string blocks = "fn f(x) {";
  for (size_t i = 0; i < n; ++i)
    blocks += " for i in 0..1 {";
  EXPECT_NE(parseError(blocks).find("error: nesting is too deep"), std::string::npos);
}

TEST(ParserRobustnessTest, LongChainsAreBounded) {
  // Left-leaning chains deepen the AST without deepening the parser's recursion; they are bounded
  // too, or destroying (or later walking) the AST would overflow the stack.
  std::string sum = "config a = 1";
  std::string path = "param p";
  std::string access = "config b = x";
  for (int i = 0; i < 20000; ++i) {
    sum += "+1";
    path += ".w";
    access += "[0]";
  }
  EXPECT_NE(parseError(sum).find("nesting is too deep"), std::string::npos);
  EXPECT_NE(parseError(path + ": f32[1]").find("nesting is too deep"), std::string::npos);
  EXPECT_NE(parseError(access).find("nesting is too deep"), std::string::npos);
  // Long flat sequences are fine.
  std::string list = "config c = [";
  std::string many;
  for (int i = 0; i < 20000; ++i) {
    list += "1, ";
    many += "config v" + std::to_string(i) + " = " + std::to_string(i) + "\n";
  }
  EXPECT_EQ(parseOk(list + "]").configs[0].value->args.size(), 20000u);
  std::string kwargs = "config k = f(";
  for (int i = 0; i < 20000; ++i)
    kwargs += "k" + std::to_string(i) + " = 1, ";
  EXPECT_EQ(parseOk(kwargs + "z = 1)").configs[0].value->kwargs.size(), 20001u);
  EXPECT_NE(parseError(kwargs + "k7 = 1)").find("duplicate keyword argument 'k7'"),
            std::string::npos);

  EXPECT_EQ(parseOk(many).configs.size(), 20000u);
}

TEST(ParserRobustnessTest, HugeInputs) {
  expectWellFormed(std::string(1 << 20, '\0'));
  expectWellFormed("config a = " + std::string(1 << 20, '9'));
  expectWellFormed("config a = 0." + std::string(1 << 20, '1'));
  expectWellFormed("config a = \"" + std::string(1 << 20, 'x'));
  expectWellFormed("#" + std::string(1 << 20, '\xff'));
  EXPECT_EQ(
      parseOk("config a = \"" + std::string(1 << 20, 'x') + "\"").configs[0].value->text.size(),
      1u << 20);
}

} // namespace
