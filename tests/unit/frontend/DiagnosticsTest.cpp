// SourceFile line lookup and DiagnosticEngine's exact output format.
#include "tessera/frontend/Diagnostics.h"

#include <gtest/gtest.h>

using namespace tessera::frontend;

namespace {

TEST(SourceFileTest, LineText) {
  SourceFile file("a.tg", "first\nsecond\r\n\nlast");
  EXPECT_EQ(file.lineText(1), "first");
  EXPECT_EQ(file.lineText(2), "second"); // CRLF: the '\r' is not part of the line
  EXPECT_EQ(file.lineText(3), "");
  EXPECT_EQ(file.lineText(4), "last");
  EXPECT_EQ(file.lineText(0), "");
  EXPECT_EQ(file.lineText(5), "");
}

TEST(SourceFileTest, TrailingNewlineAndEmptyFile) {
  SourceFile file("a.tg", "x\n");
  EXPECT_EQ(file.lineText(1), "x");
  EXPECT_EQ(file.lineText(2), "");
  SourceFile empty("e.tg", "");
  EXPECT_EQ(empty.lineText(1), "");
}

TEST(DiagnosticEngineTest, ErrorWithCaret) {
  SourceFile file("model.tg", "config a = 1\nconfig b = a $ 2\n");
  DiagnosticEngine diags(file);
  EXPECT_FALSE(diags.hasErrors());
  diags.error({2, 14}, "unexpected character '$'");
  EXPECT_TRUE(diags.hasErrors());
  EXPECT_EQ(diags.errorCount(), 1u);
  EXPECT_EQ(diags.str(), "model.tg:2:14: error: unexpected character '$'\n"
                         "  config b = a $ 2\n"
                         "               ^\n");
}

TEST(DiagnosticEngineTest, NoteDoesNotCountAsError) {
  SourceFile file("m.tg", "x");
  DiagnosticEngine diags(file);
  diags.note({1, 1}, "defined here");
  EXPECT_FALSE(diags.hasErrors());
  EXPECT_EQ(diags.str(), "m.tg:1:1: note: defined here\n  x\n  ^\n");
}

TEST(DiagnosticEngineTest, MessagesAreKeptSeparately) {
  SourceFile file("m.tg", "ab");
  DiagnosticEngine diags(file);
  diags.error({1, 2}, "one");
  diags.note({1, 1}, "two");
  ASSERT_EQ(diags.messages().size(), 2u);
  EXPECT_EQ(diags.messages()[0], "m.tg:1:2: error: one\n  ab\n   ^\n");
  EXPECT_EQ(diags.messages()[1], "m.tg:1:1: note: two\n  ab\n  ^\n");
  EXPECT_EQ(diags.str(), diags.messages()[0] + diags.messages()[1]);
  EXPECT_EQ(diags.errorCount(), 1u);
}

TEST(DiagnosticEngineTest, UnknownLocation) {
  SourceFile file("m.tg", "x");
  DiagnosticEngine diags(file);
  diags.error({0, 0}, "cannot read file");
  EXPECT_EQ(diags.str(), "m.tg: error: cannot read file\n");
}

TEST(DiagnosticEngineTest, TabsKeptCaretUsesSpaces) {
  SourceFile file("m.tg", "\tx = $");
  DiagnosticEngine diags(file);
  diags.error({1, 6}, "bad");
  EXPECT_EQ(diags.str(), "m.tg:1:6: error: bad\n  \tx = $\n       ^\n");
}

TEST(DiagnosticEngineTest, NonPrintableBytesShownAsQuestionMarks) {
  SourceFile file("m.tg", std::string("a\0b\xff\x1b c", 7));
  DiagnosticEngine diags(file);
  diags.error({1, 4}, "bad");
  EXPECT_EQ(diags.str(), "m.tg:1:4: error: bad\n  a?b?? c\n     ^\n");
}

TEST(DiagnosticEngineTest, LocationPastTheLine) {
  SourceFile file("m.tg", "ab\n");
  DiagnosticEngine diags(file);
  diags.error({1, 3}, "at end of line");
  diags.error({9, 1}, "past the end of the file");
  EXPECT_EQ(diags.str(), "m.tg:1:3: error: at end of line\n  ab\n    ^\n"
                         "m.tg:9:1: error: past the end of the file\n  \n  ^\n");
  EXPECT_EQ(diags.errorCount(), 2u);
}

} // namespace
