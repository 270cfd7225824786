#include "tessera/Json.h"

#include <gtest/gtest.h>

#include <random>

using namespace tessera::runtime;

namespace {

std::string errorOf(std::string_view text) {
  Expected<JsonValue> value = parseJson(text);
  return value ? std::string("<no error>") : value.error().message();
}

TEST(Json, Scalars) {
  EXPECT_TRUE(parseJson("null")->isNull());
  EXPECT_TRUE(parseJson(" true ")->boolValue());
  EXPECT_FALSE(parseJson("false")->boolValue());
  EXPECT_EQ(parseJson("\"hi\"")->stringValue(), "hi");
  EXPECT_EQ(parseJson("-12.5e1")->numberValue(), -125.0);
  EXPECT_FALSE(parseJson("-12")->isUnsignedInteger());
  EXPECT_FALSE(parseJson("1.0")->isUnsignedInteger());
  EXPECT_TRUE(parseJson("0")->isUnsignedInteger());
  Expected<JsonValue> big = parseJson("18446744073709551615");
  ASSERT_TRUE(big);
  EXPECT_TRUE(big->isUnsignedInteger());
  EXPECT_EQ(big->uintValue(), 18446744073709551615ull);
  Expected<JsonValue> tooBig = parseJson("18446744073709551616");
  ASSERT_TRUE(tooBig);
  EXPECT_FALSE(tooBig->isUnsignedInteger());
  EXPECT_TRUE(parseJson("9007199254740993")->uintValue() == 9007199254740993ull);
}

TEST(Json, StringsAndEscapes) {
  Expected<JsonValue> s = parseJson(R"("a\"b\\c\/d\b\f\n\r\t\u0041\u00e9\u20ac\ud83d\ude00")");
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_EQ(s->stringValue(), "a\"b\\c/d\b\f\n\r\tA\xC3\xA9\xE2\x82\xAC\xF0\x9F\x98\x80");
  EXPECT_EQ(parseJson("\"\xC3\xA9\"")->stringValue(), "\xC3\xA9"); // Raw UTF-8 passes.
}

TEST(Json, Containers) {
  Expected<JsonValue> v = parseJson(R"({"a": [1, 2, {"b": null}], "c": {}, "d": []})");
  ASSERT_TRUE(v) << v.error().message();
  ASSERT_TRUE(v->isObject());
  ASSERT_EQ(v->objectMembers().size(), 3u);
  EXPECT_EQ(v->objectMembers()[0].first, "a"); // File order is kept.
  const JsonValue *a = v->find("a");
  ASSERT_TRUE(a && a->isArray());
  EXPECT_EQ(a->arrayItems().size(), 3u);
  EXPECT_TRUE(a->arrayItems()[2].find("b")->isNull());
  EXPECT_EQ(v->find("missing"), nullptr);
  EXPECT_TRUE(v->find("c")->isObject());
}

TEST(Json, Errors) {
  EXPECT_NE(errorOf(""), "<no error>");
  EXPECT_NE(errorOf("{"), "<no error>");
  EXPECT_NE(errorOf("[1, 2"), "<no error>");
  EXPECT_NE(errorOf("[1, 2,]"), "<no error>");
  EXPECT_NE(errorOf("{\"a\": 1,}"), "<no error>");
  EXPECT_NE(errorOf("{a: 1}"), "<no error>");
  EXPECT_NE(errorOf("01"), "<no error>");
  EXPECT_NE(errorOf("1."), "<no error>");
  EXPECT_NE(errorOf("1e"), "<no error>");
  EXPECT_NE(errorOf("-"), "<no error>");
  EXPECT_NE(errorOf("+1"), "<no error>");
  EXPECT_NE(errorOf("NaN"), "<no error>");
  EXPECT_NE(errorOf("tru"), "<no error>");
  EXPECT_NE(errorOf("\"abc"), "<no error>");
  EXPECT_NE(errorOf("\"a\nb\""), "<no error>");
  EXPECT_NE(errorOf("\"\\x\""), "<no error>");
  EXPECT_NE(errorOf("\"\\u12\""), "<no error>");
  EXPECT_NE(errorOf("\"\\ud83d\""), "<no error>");
  EXPECT_NE(errorOf("\"\\ude00\""), "<no error>");
  EXPECT_NE(errorOf("\"\xFF\""), "<no error>");
  EXPECT_NE(errorOf("\"\xC0\x80\""), "<no error>"); // Overlong.
  EXPECT_NE(errorOf("1 2"), "<no error>");
  EXPECT_EQ(errorOf("{\"a\": 1, \"a\": 2}"), "invalid JSON at byte 12: duplicate key \"a\"");
  EXPECT_EQ(errorOf("[1, ?]"), "invalid JSON at byte 4: unexpected character '?'");
}

TEST(Json, DepthLimit) {
  std::string ok(kJsonMaxDepth, '['), okClose(kJsonMaxDepth, ']');
  EXPECT_EQ(errorOf(ok + okClose), "<no error>");
  std::string deep(100000, '[');
  std::string message = errorOf(deep);
  EXPECT_NE(message.find("nesting deeper than"), std::string::npos) << message;
}

TEST(Json, RandomGarbageNeverCrashes) {
  std::mt19937 rng(7);
  const std::string alphabet = "{}[]\":,0123456789-+.eEtruefalsn \\u\x01\xC3\xA9";
  for (int trial = 0; trial < 20000; ++trial) {
    std::string text(rng() % 40, ' ');
    for (char &c : text)
      c = alphabet[rng() % alphabet.size()];
    (void)parseJson(text);
  }
}

} // namespace
