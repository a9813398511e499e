#include "protocol/Encoding.h"

#include <doctest/doctest.h>

#include <string>

using namespace recurrent::protocol;

TEST_CASE("encoding: ASCII columns are the same in every encoding") {
  for (auto enc : {PositionEncoding::Utf8, PositionEncoding::Utf16, PositionEncoding::Utf32}) {
    CHECK(columnToByte("hello", 3, enc) == 3);
    CHECK(byteToColumn("hello", 3, enc) == 3);
    CHECK(columnToByte("hello", 99, enc) == 5); // clamped
  }
}

TEST_CASE("encoding: an emoji is two UTF-16 units, one code point, four bytes") {
  std::string line = "a😀b"; // 😀 is U+1F600, a surrogate pair in UTF-16
  REQUIRE(line.size() == 6);
  CHECK(byteToColumn(line, 5, PositionEncoding::Utf16) == 3);
  CHECK(byteToColumn(line, 5, PositionEncoding::Utf32) == 2);
  CHECK(byteToColumn(line, 5, PositionEncoding::Utf8) == 5);
  CHECK(columnToByte(line, 3, PositionEncoding::Utf16) == 5);
  CHECK(columnToByte(line, 2, PositionEncoding::Utf32) == 5);
  CHECK(columnToByte(line, 1, PositionEncoding::Utf16) == 1);
  // A column inside the surrogate pair rounds down to the emoji's first byte.
  CHECK(columnToByte(line, 2, PositionEncoding::Utf16) == 1);
  // A UTF-8 column inside the sequence rounds down too.
  CHECK(columnToByte(line, 3, PositionEncoding::Utf8) == 1);
}

TEST_CASE("encoding: CJK is one UTF-16 unit and three bytes per character") {
  std::string line = "第一回 雪";
  CHECK(byteToColumn(line, 9, PositionEncoding::Utf16) == 3);
  CHECK(columnToByte(line, 4, PositionEncoding::Utf16) == 10);
  CHECK(byteToColumn(line, line.size(), PositionEncoding::Utf16) == 5);
  CHECK(byteToColumn(line, line.size(), PositionEncoding::Utf32) == 5);
}

TEST_CASE("encoding: round trip over every character boundary of a mixed line") {
  std::string line = "Ｌé😀中x👩‍👩‍👧z";
  for (auto enc : {PositionEncoding::Utf8, PositionEncoding::Utf16, PositionEncoding::Utf32}) {
    for (std::size_t b = 0; b <= line.size(); ++b) {
      bool boundary = b == line.size() || (static_cast<unsigned char>(line[b]) & 0xC0) != 0x80;
      if (!boundary)
        continue;
      CAPTURE(b);
      CHECK(columnToByte(line, byteToColumn(line, b, enc), enc) == b);
    }
  }
}

TEST_CASE("encoding: invalid UTF-8 counts one unit per bad byte") {
  std::string line = "a\xff\xfe" "b";
  CHECK(byteToColumn(line, 4, PositionEncoding::Utf16) == 4);
  CHECK(columnToByte(line, 3, PositionEncoding::Utf16) == 3);
  std::string truncated = "x\xf0\x9f"; // an emoji cut short
  CHECK(byteToColumn(truncated, 3, PositionEncoding::Utf16) == 3);
}

TEST_CASE("encoding: names") {
  CHECK(parseEncoding("utf-16") == PositionEncoding::Utf16);
  CHECK(parseEncoding("utf-8") == PositionEncoding::Utf8);
  CHECK_FALSE(parseEncoding("latin1"));
  CHECK(encodingName(PositionEncoding::Utf32) == "utf-32");
}
